/** snapshot-db's job summary: what was taken, where it is, and that it was verified. */
import type { SnapshotResult } from '../db/snapshot.js';
import { codeSpan, formatBytes, table, text } from './markdown.js';
import { formatDuration } from '../core/duration.js';

/** `artifact`: the name it was uploaded under, when upload-artifact was set; `deletedWithJob`: the warning that it goes with the job (runner-temp.ts). */
export function snapshotSummary(r: SnapshotResult, artifact?: { name: string; retentionDays?: number }, deletedWithJob?: string): string {
  const m = r.manifest;
  const rows = m.tables.reduce((n, t) => n + (t.rows ?? 0), 0);
  const parts = [
    `## Snapshot of ${text(m.target)}: verified`,
    table(
      ['', ''],
      [
        ['Snapshot', codeSpan(r.path)],
        ['Format', r.format],
        ['Size', formatBytes(r.sizeBytes)],
        ['sha256', codeSpan(r.sha256)],
        ['Tables / rows', `${m.tables.length} / ${rows}`],
        ['Views, functions, triggers, sequences, RLS policies', `${m.objects.views + m.objects.materializedViews}, ${m.objects.functions}, ${m.objects.triggers}, ${m.objects.sequences}, ${m.objects.policies}`],
        ...(m.largeObjects ? [['Large objects', String(m.largeObjects)]] : []),
        ['Server / pg_dump', `PostgreSQL ${text(m.server.version)} / ${text(r.pgDump.version)}`],
        ['Time', `${formatDuration(r.durationMs)} (dump ${formatDuration(r.timings.dumpMs)}, verification ${formatDuration(r.timings.verifyMs)})`],
        ['Manifest', codeSpan(r.manifestPath)],
      ],
    ),
  ];
  if (m.exports) {
    parts.push(
      `### Rows newer than ${text(m.exports.since)} (by ${codeSpan(m.exports.column)})`,
      table(['Table', 'Rows', 'File'], m.exports.tables.map((t) => [text(t.table), t.rows, codeSpan(`${r.exportsDir}/${t.file}`)])),
    );
  }
  let summary = parts.join('\n\n') + '\n';
  if (artifact) summary += `\nUploaded as artifact ${codeSpan(artifact.name)}${artifact.retentionDays ? ` (kept ${artifact.retentionDays} days)` : ''}.\n`;
  if (deletedWithJob) summary += `\n> **Warning:** ${text(deletedWithJob)}\n`;
  return summary;
}
