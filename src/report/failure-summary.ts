/** What every failed step leaves in its job summary: the heading, the error line, then the action's own details. */
import { errorLine } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { text } from './markdown.js';

export function failureSummary(action: string, err: unknown, log: Log, details?: string): string {
  // Redact before escaping: escaping can split a secret so the redactor no longer sees it.
  const parts = [`### ${action}: failed`, text(log.redact(errorLine(err)))];
  if (details?.trim()) parts.push(details.trim());
  return `${parts.join('\n\n')}\n`;
}
