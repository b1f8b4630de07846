/** Job summaries of snapshot-db and restore-db: what happened, where it is, what to do next. */
import type { RestoreResult } from '../db/restore.js';
import type { SnapshotResult } from '../db/snapshot.js';
import { code, formatBytes, formatDuration, table, text } from './markdown.js';

export function snapshotSummary(r: SnapshotResult): string {
  const m = r.manifest;
  const rows = m.tables.reduce((n, t) => n + (t.rows ?? 0), 0);
  const parts = [
    `## Snapshot of ${text(m.target)}: verified`,
    table(
      ['', ''],
      [
        ['Snapshot', code(r.path)],
        ['Format', r.format],
        ['Size', formatBytes(r.sizeBytes)],
        ['sha256', code(r.sha256)],
        ['Tables / rows', `${m.tables.length} / ${rows}`],
        ['Views, functions, triggers, sequences, RLS policies', `${m.objects.views + m.objects.materializedViews}, ${m.objects.functions}, ${m.objects.triggers}, ${m.objects.sequences}, ${m.objects.policies}`],
        ['Server / pg_dump', `PostgreSQL ${text(m.server.version)} / ${text(r.pgDump.version)}`],
        ['Time', `${formatDuration(r.durationMs)} (dump ${formatDuration(r.timings.dumpMs)}, verification ${formatDuration(r.timings.verifyMs)})`],
        ['Manifest', code(r.manifestPath)],
      ],
    ),
  ];
  if (m.exports) {
    parts.push(
      `### Rows newer than ${text(m.exports.since)} (by ${code(m.exports.column)})`,
      table(['Table', 'Rows', 'File'], m.exports.tables.map((t) => [text(t.table), t.rows, code(`${r.exportsDir}/${t.file}`)])),
    );
  }
  return parts.join('\n\n') + '\n';
}

export function restoreSummary(r: RestoreResult): string {
  const parts = [
    `## Restore of ${text(r.target)} from snapshot: ${r.verified ? 'verified' : 'NOT verified'}`,
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
  if (r.differences.length) {
    parts.push(
      '### Tables that differ from the snapshot',
      table(['Table', 'Rows in snapshot', 'Rows now'], r.differences.map((d) => [text(d.table), d.expected ?? '', d.actual ?? 'missing'])),
    );
  }
  if (r.restoredEmpty.length) {
    parts.push(`### Restored without rows (the snapshot left their data out)\n\n${r.restoredEmpty.map((t) => `- ${code(t)}`).join('\n')}\n\nTheir rows from before the restore are in the pre-restore snapshot.`);
  }
  if (r.extraTables.length) {
    parts.push(`### Tables the snapshot does not have (left as they are)\n\n${r.extraTables.map((t) => `- ${code(t)}`).join('\n')}`);
  }
  if (r.preRestoreSnapshotPath) {
    parts.push(`To undo this restore, restore ${code(r.preRestoreSnapshotPath)} the same way.`);
  }
  return parts.join('\n\n') + '\n';
}
