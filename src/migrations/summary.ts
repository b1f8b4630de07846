/** The job summary of a run: what was reverted and how long each took, and what is still applied. */
import { code, table, text } from '../report/markdown.js';
import type { RevertResult } from './revert.js';

const STILL_APPLIED_SHOWN = 15;

export function revertSummary(result: RevertResult, error?: string): string {
  const lines: string[] = ['## run-down-migrations', ''];
  const headline =
    result.status === 'dry-run'
      ? `Dry run: ${result.plan.length} migration(s) would be reverted; nothing was changed.`
      : result.status === 'nothing-to-do'
        ? 'Nothing to do: none of the selected migrations is applied.'
        : `Reverted ${result.reverted.length} of ${result.plan.length} ${result.format} migration(s) in ${result.durationMs} ms.`;
  lines.push(error ? `**Failed** after reverting ${result.reverted.length} of ${result.plan.length}: ${text(error)}` : headline, '');
  lines.push(`Database ${code(result.target)}, ${result.format} migrations in ${code(result.dir)}.`);
  lines.push(result.snapshot ? `Way back: snapshot ${code(result.snapshot.path)} (sha256 ${result.snapshot.sha256.slice(0, 12)}…), verified before the run.` : result.status === 'dry-run' ? '' : 'No snapshot was required (require-snapshot: false).', '');
  const rows = result.status === 'dry-run' ? result.plan.map((p) => ({ ...p, durationMs: undefined })) : result.reverted;
  if (rows.length > 0) {
    const cells = rows.map((r, i) => {
      const time = 'durationMs' in r && r.durationMs !== undefined ? `${r.durationMs} ms` : '—';
      return [i + 1, text(r.version), code(r.file), r.transactional ? 'transaction' : 'statement by statement', time];
    });
    lines.push(table(['#', 'version', 'down file', 'mode', 'time'], cells), '');
  }
  const still = result.stillApplied;
  lines.push(`**Still applied** (${still.length}${still.length > STILL_APPLIED_SHOWN ? `, newest ${STILL_APPLIED_SHOWN} shown` : ''}):${still.length ? '' : ' none'}`, '');
  for (const m of still.slice(0, STILL_APPLIED_SHOWN)) lines.push(`- ${text(m.version)} ${code(m.name)}`);
  return `${lines.join('\n')}\n`;
}
