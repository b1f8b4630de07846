/** restore-db's job summary: what was restored, whether it matches the snapshot, and the way back. */
import type { RestoreResult } from '../db/restore.js';
import { code, formatDuration, table, text } from './markdown.js';

export function restoreSummary(r: RestoreResult): string {
  const parts = [
    `## Restore of ${text(r.target)} from snapshot: verified`,
    table(
      ['', ''],
      [
        ['Snapshot', `${code(r.snapshotPath)} (taken ${text(r.snapshotTakenAt)})`],
        ['Pre-restore snapshot', r.preRestoreSnapshotPath ? code(r.preRestoreSnapshotPath) : 'not taken (pre-restore-snapshot: false)'],
        ['Tables restored', String(r.tablesRestored)],
        ['Mode', r.mode],
        ['Time', formatDuration(r.durationMs)],
      ],
    ),
  ];
  if (r.restoredEmpty.length) {
    parts.push(`### Restored without rows (the snapshot left their data out)\n\n${r.restoredEmpty.map((t) => `- ${code(t)}`).join('\n')}\n\nTheir rows from before the restore are in the pre-restore snapshot.`);
  }
  if (r.extraTables.length) {
    parts.push(`### Tables the snapshot does not have (left as they are)\n\n${r.extraTables.map((t) => `- ${code(t)}`).join('\n')}`);
  }
  if (r.extraSchemas.length) {
    parts.push(`### Schemas the snapshot does not have (left as they are)\n\n${r.extraSchemas.map((t) => `- ${code(t)}`).join('\n')}`);
  }
  if (r.preRestoreSnapshotPath) {
    parts.push(`To undo this restore, restore ${code(r.preRestoreSnapshotPath)} the same way.`);
  }
  return parts.join('\n\n') + '\n';
}

/** A restore that failed after its pre-restore snapshot was taken: where the way back is. */
export function preRestoreSnapshotDetails(path: string): string {
  return `Pre-restore snapshot (the database as it was before this step): ${code(path)}.`;
}
