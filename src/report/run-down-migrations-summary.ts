/** run-down-migrations' job summary: what was reverted and how long each took, and what is still applied. */
import type { RevertResult } from '../migrations/revert.js';
import { appliedSinceText, holdsText, takenText, type WayBack } from '../migrations/way-back.js';
import { codeSpan, table, text } from './markdown.js';

const STILL_APPLIED_SHOWN = 15;

export function revertSummary(result: RevertResult): string {
  const headline =
    result.status === 'dry-run'
      ? `Dry run: ${result.plan.length} migration(s) would be reverted; nothing was changed.`
      : result.status === 'nothing-to-do'
        ? 'Nothing to do: none of the selected migrations is applied.'
        : `Reverted ${result.reverted.length} of ${result.plan.length} ${result.format} migration(s) in ${result.durationMs} ms.`;
  return `## run-down-migrations\n\n${headline}\n\n${details(result)}`;
}

/** Under a failed run's heading and error line: what was reverted before the failure, and what is still applied. */
export function partialRevertDetails(partial: RevertResult): string {
  return `**Failed** after reverting ${partial.reverted.length} of ${partial.plan.length}.\n\n${details(partial)}`;
}

/** Under the heading and error line of a run that stopped before planning (snapshot, lock, inputs). */
export const NOTHING_REVERTED = '**Failed before changing anything:** no migration was reverted.';

function details(result: RevertResult): string {
  const lines: string[] = [];
  lines.push(`Database ${codeSpan(result.target)}, ${result.format} migrations in ${codeSpan(result.dir)}.`);
  lines.push(result.snapshot ? wayBack(result.snapshot) : result.status === 'dry-run' ? '' : 'No snapshot was required (require-snapshot: false).', '');
  const rows = result.status === 'dry-run' ? result.plan.map((p) => ({ ...p, durationMs: undefined })) : result.reverted;
  if (rows.length > 0) {
    const cells = rows.map((r, i) => {
      const time = 'durationMs' in r && r.durationMs !== undefined ? `${r.durationMs} ms` : '—';
      return [i + 1, text(r.version), codeSpan(r.file), r.transactional ? 'transaction' : 'statement by statement', time];
    });
    lines.push(table(['#', 'version', 'down file', 'mode', 'time'], cells), '');
  }
  const still = result.stillApplied;
  lines.push(`**Still applied** (${still.length}${still.length > STILL_APPLIED_SHOWN ? `, newest ${STILL_APPLIED_SHOWN} shown` : ''}):${still.length ? '' : ' none'}`, '');
  for (const m of still.slice(0, STILL_APPLIED_SHOWN)) lines.push(`- ${text(m.version)} ${codeSpan(m.name)}`);
  return `${lines.join('\n')}\n`;
}

/** The snapshot the run could go back to: which, when it was taken, and what it lacks of the rows written since. */
function wayBack(w: WayBack): string {
  const line = `Way back: snapshot ${codeSpan(w.path)} (sha256 ${w.sha256.slice(0, 12)}…), ${text(takenText(w))}, verified before the run; ${text(holdsText(w))}.`;
  return w.appliedSince ? `${line}\n\n**Older than the migrations reverted:** ${text(appliedSinceText(w.appliedSince))}; any of them the down SQL dropped has no way back.` : line;
}
