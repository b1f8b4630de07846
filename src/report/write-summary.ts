/**
 * The one way a job summary reaches GITHUB_STEP_SUMMARY: the Markdown is redacted as a whole (a
 * last net: builders redact outside text before escaping it), and a summary that cannot be written
 * is a warning, never the step's failure: the outputs and the log still say what happened.
 */
import { core } from '../core/actions-core.js';
import { systemErrorLine } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { redactMarkdown } from './markdown.js';

export async function writeSummary(markdown: string, log: Log): Promise<void> {
  try {
    await core.summary.addRaw(redactMarkdown(markdown, (text) => log.redact(text))).write();
  } catch (err) {
    // The buffer keeps what failed to write; the next summary must not carry it along.
    core.summary.emptyBuffer();
    log.warning(`The job summary could not be written: ${systemErrorLine(err) ?? (err instanceof Error ? err.message : String(err))}`);
  }
}
