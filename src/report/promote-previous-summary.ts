/** promote-previous's job summary: what serves production now and why; every cell is redacted, then escaped. */
import { formatDuration } from '../core/duration.js';
import type { Log } from '../core/log.js';
import { frozenNotes, type PromoteOutcome, type Provider } from '../platforms/promote.js';
import type { DeploymentInfo } from '../platforms/vercel/rollback.js';
import { table, text } from './markdown.js';

export function promoteSummary(outcome: PromoteOutcome, provider: Provider, durationMs: number, log: Log): string {
  const r = (value: string | undefined) => text(log.redact(value ?? ''));
  const row = (d: DeploymentInfo) => [r(d.id), r(d.url), r(d.commitSha)];
  const parts = [
    `### promote-previous: ${outcome.status}`,
    table(['', 'deployment', 'url', 'commit'], [['from', ...row(outcome.from)], ['to', ...row(outcome.to)]]),
    [...outcome.notes.map(r), ...frozenNotes(outcome).map(r), `provider ${provider}, ${formatDuration(durationMs)}`].map((note) => `- ${note}`).join('\n'),
  ];
  const details = outcome.details;
  if (details?.rows.length) parts.push(table(details.header, details.rows.map((cells) => cells.map(r))));
  return `${parts.join('\n\n')}\n`;
}
