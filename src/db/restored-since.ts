/**
 * Whether a database still holds what a finished restore of a snapshot put back: the run that
 * finds that restore's ledger row under a key that names no incident (the command line without
 * --from) cannot otherwise tell a re-run from a new incident that wrote new bad rows, and taking
 * the row as done would leave those rows in place while calling the database rolled back.
 * Each snapshot table's rows now are counted against the manifest's, as a dry run's preview counts
 * them (restore-rows.ts): a restore leaves them equal, so a difference is a change since.
 */
import { LEDGER_TABLE } from '../migrations/ledger.js';
import type { ConnectionTarget } from './connection.js';
import { lockTimeoutMs } from './lock-wait.js';
import type { SnapshotManifest } from './manifest.js';
import { countTableRows, type TableRowsPreview } from './restore-rows.js';
import { closeAtStop, closeSession, connect, type QueryDeadline } from './session.js';

/** One count is bounded by restore-rows' own statement timeout; this is room for its answer. */
const COUNT_DEADLINE: QueryDeadline = { statementMs: 30_000, marginMs: 10_000 };

export interface ChangedSince {
  /** Tables whose rows differ from the snapshot's now, or that are gone. */
  changed: TableRowsPreview[];
  /** Tables not counted in time: what they hold is not known. */
  uncounted: string[];
}

/** Counts the snapshot's tables now, in a read-only session of its own that a stop closes at once. */
export async function changedSinceRestore(target: ConnectionTarget, manifest: Pick<SnapshotManifest, 'tables' | 'rowCounts'>, opts: { lockTimeoutSeconds: number; signal?: AbortSignal }): Promise<ChangedSince> {
  const session = await connect(target, { readOnly: true, queryDeadline: COUNT_DEADLINE, signal: opts.signal });
  const release = closeAtStop(session, opts.signal);
  try {
    // A table another session holds (a migration) is given up after lock-timeout, said as not counted.
    await session.query("SELECT set_config('lock_timeout', $1, false)", [String(lockTimeoutMs(opts.lockTimeoutSeconds))]);
    // The ledger comes out of every restore as it went in (restore.ts), so it never equals the snapshot's.
    const tables = manifest.tables.filter((t) => `${t.schema}.${t.name}` !== LEDGER_TABLE);
    // rowCounts says how the manifest counted a parent table: without it a current manifest reads as an old one.
    const rows = await countTableRows(session, { tables, rowCounts: manifest.rowCounts }, 0);
    return {
      changed: rows.filter((t) => t.counted === 'missing' || (t.counted === 'yes' && t.now !== (t.snapshot ?? 0))),
      uncounted: rows.filter((t) => t.counted === 'timeout').map((t) => t.table),
    };
  } finally {
    release();
    closeSession(session);
  }
}

/** "public.t: 3 rows now, 2 in the snapshot", the first few tables, for one sentence (tableRowsLine says what a restore would discard: nothing is here). */
export function changedText(changed: readonly TableRowsPreview[], max = 5): string {
  const line = (t: TableRowsPreview) => `${t.table}: ${t.counted === 'missing' ? 'gone' : `${t.now} rows now`}, ${t.snapshot ?? 0} in the snapshot`;
  const shown = changed.slice(0, max).map(line).join('; ');
  return changed.length > max ? `${shown}; and ${changed.length - max} more table(s)` : shown;
}
