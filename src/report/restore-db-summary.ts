/** restore-db's job summary: what was restored from where, what it replaced, and the way back. */
import type { Log } from '../core/log.js';
import { redactDeep } from '../core/secrets.js';
import type { RestoreResult } from '../db/restore.js';
import { describeColumn, type DiscardedFromTable } from '../db/restore-discarded.js';
import { codeSpan, table, text } from './markdown.js';
import { deletedWithJobWarning } from './runner-temp.js';
import { formatDuration } from '../core/duration.js';

/** The pre-restore snapshot, and whether it outlives the job. */
export interface KeptSnapshot {
  path: string;
  /** The artifact it was uploaded as. */
  artifact?: string;
  retentionDays?: number;
  /** Set when it lies under RUNNER_TEMP and was not uploaded: the warning that says it goes with the job. */
  deletedWithJob?: string;
}

/** How a pre-restore snapshot at `path` is kept before any upload: under RUNNER_TEMP, it goes when the job ends. */
export function keptSnapshot(path: string, runnerTemp: string | undefined): KeptSnapshot {
  const deletedWithJob = deletedWithJobWarning(path, runnerTemp, {
    what: 'pre-restore snapshot',
    of: 'the database as it was before this restore',
    toKeep: 'set upload-artifact: true (auto uploads it whenever the step runs on GitHub Actions), or pre-restore-dir to a lasting place',
  });
  return deletedWithJob ? { path, deletedWithJob } : { path };
}

function keptCell(k: KeptSnapshot | undefined, path: string | undefined): string {
  if (!path) return 'not taken (pre-restore-snapshot: false)';
  if (k?.artifact) return `${codeSpan(path)}, uploaded as artifact ${codeSpan(k.artifact)}${k.retentionDays ? ` (kept ${k.retentionDays} days)` : ''}`;
  if (k?.deletedWithJob) return `${codeSpan(path)}, on this runner only: **deleted when this job ends**`;
  return codeSpan(path);
}

/**
 * What a restore discards (restore-discarded.ts) as a Markdown list, one line a column or object with
 * what creates it again: restore-db's summary and the whole rollback's write it the same way.
 */
export function discardedList(discarded: DiscardedFromTable[]): string {
  return discarded
    .flatMap((t) => [
      ...t.columns.map((c) => `- ${codeSpan(t.table)}: column ${codeSpan(describeColumn(c))}`),
      ...t.objects.map((o) => `- ${codeSpan(t.table)}: ${o.kind} ${codeSpan(o.name)}: ${codeSpan(o.definition)}`),
    ])
    .join('\n');
}

/** With `log`, the result is redacted before anything is escaped (see redactDeep): the target's name is the connection string's. */
export function restoreSummary(input: RestoreResult, kept?: KeptSnapshot, log?: Log): string {
  const r = log ? redactDeep(input, log.redact) : input;
  const parts = [
    `## Restore of ${text(r.target)} from snapshot: verified`,
    table(
      ['', ''],
      [
        ['Snapshot', `${codeSpan(r.snapshotPath)} (taken ${text(r.snapshotTakenAt)})`],
        ['Snapshot of', `${text(r.source)}${r.fromAnotherDatabase ? ' — **another database** (from-another-database: true)' : ''}`],
        ['Restored into', text(r.targetIdentity)],
        ['Pre-restore snapshot', keptCell(kept, r.preRestoreSnapshotPath)],
        ['Tables restored', String(r.tablesRestored)],
        ['Mode', r.mode],
        ['Time', formatDuration(r.durationMs)],
      ],
    ),
  ];
  if (r.fewerRows.length) {
    const rows = r.fewerRows.map((f) => `- ${codeSpan(f.table)}: ${f.before - f.restored} row(s) discarded (${f.before} before, ${f.restored} restored)`);
    parts.push(`### Rows the restore discarded\n\n${rows.join('\n')}\n\nThey are in the pre-restore snapshot ${codeSpan(r.preRestoreSnapshotPath!)}, with every row changed since the snapshot was taken (those were replaced too).`);
  } else if (r.preRestoreSnapshotPath) {
    parts.push(`No table holds fewer rows than before the restore; rows changed since the snapshot was taken were replaced, and are in the pre-restore snapshot ${codeSpan(r.preRestoreSnapshotPath)}.`);
  }
  if (r.discarded.length) {
    const kept = r.preRestoreSnapshotPath ? `Their values and definitions are in the pre-restore snapshot ${codeSpan(r.preRestoreSnapshotPath)}.` : 'No pre-restore snapshot was taken: those values are not kept anywhere.';
    parts.push(`### Columns and objects the restore discarded (added to snapshot tables since the snapshot)\n\n${discardedList(r.discarded)}\n\n${kept} Create again what is still wanted.`);
  }
  if (r.restoredEmpty.length) {
    parts.push(`### Restored without rows (the snapshot left their data out)\n\n${r.restoredEmpty.map((t) => `- ${codeSpan(t)}`).join('\n')}\n\nTheir rows from before the restore are in the pre-restore snapshot.`);
  }
  if (r.extraTables.length) {
    parts.push(`### Tables the snapshot does not have (left as they are)\n\n${r.extraTables.map((t) => `- ${codeSpan(t)}`).join('\n')}`);
  }
  if (r.extraSchemas.length) {
    parts.push(`### Schemas the snapshot does not have (left as they are)\n\n${r.extraSchemas.map((t) => `- ${codeSpan(t)}`).join('\n')}`);
  }
  if (kept?.deletedWithJob) parts.push(`> **Warning:** ${text(kept.deletedWithJob)}`);
  if (r.preRestoreSnapshotPath) {
    const from = kept?.artifact ? ` (artifact ${codeSpan(kept.artifact)})` : '';
    parts.push(`To undo this restore, restore ${codeSpan(r.preRestoreSnapshotPath)}${from} the same way.`);
  }
  return parts.join('\n\n') + '\n';
}

/** A restore that failed after its pre-restore snapshot was taken: where the way back is, and whether it lasts. */
export function preRestoreSnapshotDetails(k: KeptSnapshot): string {
  const parts = [`Pre-restore snapshot (the database as it was before this step): ${keptCell(k, k.path)}.`];
  if (k.deletedWithJob) parts.push(`> **Warning:** ${text(k.deletedWithJob)}`);
  return parts.join('\n\n');
}
