/**
 * A non-transactional migration cannot be undone as a whole when a statement fails, so we record
 * each statement as it completes (rollback_kit.down_progress). The re-run after a fix skips the
 * statements that already ran instead of failing on objects that are already gone. The row is
 * deleted in the same transaction that marks the migration reverted.
 *
 * Progress describes one state of the database: the one where the migration's tracking rows are
 * the versions recorded with it (Tracking.rowVersionSql). A re-apply writes those rows again, and
 * whatever the progress lists as done may be undone by then, so it no longer counts; nor does
 * progress a restore keeps while it writes the tracking rows back (progressAcrossRestore).
 *
 * A restore brings this table back with the snapshot, unlike the ledger (migrations/ledger.ts
 * ledgerKeptAcrossRestore): the snapshot's rows describe the schema it brings back, recorded against
 * its tracking rows, so a later revert resumes where that schema stands. The restore writes both
 * anew in its one transaction, which is how progressStillHolds still knows them for a pair. The
 * target's rows kept instead would say statements ran that the restore undid, and their re-run
 * would skip them.
 */
import { nodeCrypto } from '../core/lazy-builtins.js';
import { RollbackKitError } from '../core/errors.js';
import { doBlock } from '../db/catalog.js';
import type { Session } from '../db/session.js';
import { ensureTableSql, type OwnTable } from './own-tables.js';
import { literal } from './sql-split.js';

export interface Progress {
  /** sha256 of each statement that completed, in order. */
  done: string[];
  /** The tracking rows' versions it was recorded against; null when a version that did not record them wrote it. */
  rows: string | null;
  /** The row's own version (xmin): the transaction that last wrote it. */
  written: string;
}

export function statementHash(text: string): string {
  return nodeCrypto().createHash('sha256').update(text).digest('hex');
}

async function tableExists(session: Session): Promise<boolean> {
  const r = await session.query<{ t: string | null }>(`SELECT to_regclass('rollback_kit.down_progress')::text AS t`);
  return Boolean(r.rows[0]?.t);
}

/** `exists`: whether the table exists, when the caller has asked already (else it is asked here). */
export async function readProgress(session: Session, tracking: string, exists?: boolean): Promise<Map<string, Progress>> {
  const out = new Map<string, Progress>();
  if (!(exists ?? (await tableExists(session)))) return out;
  // Through to_jsonb: a table an earlier version created has no tracking_rows column until the next start.
  const r = await session.query<{ migration: string; done: string[]; rows: string | null; written: string }>(
    `SELECT migration, done, to_jsonb(p) ->> 'tracking_rows' AS rows, p.xmin::text AS written FROM rollback_kit.down_progress p WHERE tracking = $1`,
    [tracking],
  );
  for (const row of r.rows) out.set(row.migration, { done: row.done, rows: row.rows, written: row.written });
  return out;
}

/** A list of row versions as rowVersionsSql writes it: not the mark a restore leaves (progressAcrossRestore). */
const ROW_VERSIONS = /^[0-9]+(,[0-9]+)*$/;

/**
 * Whether `progress` describes the tracking rows as they are now (`rowVersionSql` gives them):
 * recorded against them, or written with them by one transaction, which only a restore does (the
 * runner's own transactions that write both end the progress, or read the rows they wrote). A
 * restore writes every row it brings back anew, so the snapshot's progress never reads its own
 * tracking rows' versions again; it was recorded against them when the snapshot was taken, unless
 * a restore made it stale before then, which that restore marks (progressAcrossRestore).
 */
export async function progressStillHolds(session: Session, progress: Progress, rowVersionSql: string): Promise<boolean> {
  if (progress.rows === null) return false;
  const r = await session.query<{ rows: string }>(`SELECT (${rowVersionSql}) AS rows`);
  const now = r.rows[0]?.rows;
  if (now === progress.rows) return true;
  if (!now || !ROW_VERSIONS.test(progress.rows)) return false;
  return now.split(',').every((version) => version === progress.written);
}

const DOWN_PROGRESS: OwnTable = {
  name: 'rollback_kit.down_progress',
  definition: `tracking text NOT NULL, migration text NOT NULL, done text[] NOT NULL DEFAULT '{}',
       updated_at timestamptz NOT NULL DEFAULT now(), tracking_rows text, PRIMARY KEY (tracking, migration)`,
  added: { tracking_rows: 'text' },
};

/**
 * Statements (literals inlined) that make the migration's progress row belong to the tracking
 * rows as `rowVersionSql` reads them in the same transaction, keeping the statements done or
 * starting over. The table is made where needed, and given the tracking_rows column where an
 * earlier version made it without one (own-tables.ts).
 */
export function startProgressSql(tracking: string, migration: string, rowVersionSql: string, keepDone: boolean): string[] {
  return [
    ensureTableSql(DOWN_PROGRESS),
    `INSERT INTO rollback_kit.down_progress AS p (tracking, migration, tracking_rows) VALUES (${literal(tracking)}, ${literal(migration)}, (${rowVersionSql}))
       ON CONFLICT (tracking, migration) DO UPDATE SET tracking_rows = excluded.tracking_rows, updated_at = now()${keepDone ? '' : `, done = '{}'`}`,
  ];
}

export async function recordStatement(session: Session, tracking: string, migration: string, hash: string): Promise<void> {
  await session.query(`UPDATE rollback_kit.down_progress SET done = done || $3::text, updated_at = now() WHERE tracking = $1 AND migration = $2`, [tracking, migration, hash]);
}

/** The statement (literals inlined) that ends the migration's progress, in the transaction that marks it reverted. */
export function clearProgressSql(tracking: string, migration: string): string {
  return `DELETE FROM rollback_kit.down_progress WHERE tracking = ${literal(tracking)} AND migration = ${literal(migration)}`;
}

/** How many leading statements already ran; refuses when those statements were edited since. */
export function statementsAlreadyRun(progress: Progress | undefined, hashes: string[], file: string): number {
  if (!progress || progress.done.length === 0) return 0;
  const matching = progress.done.findIndex((h, i) => h !== hashes[i]);
  if (matching >= 0) {
    throw new RollbackKitError(
      `${file} was partly reverted by an earlier run (${progress.done.length} statement(s) ran), but statement ${matching + 1}, which already ran, has changed since.`,
      'Edit only the statements that have not run yet (the one that failed and after). Check the schema by hand; then delete its row from rollback_kit.down_progress to start that migration over.',
    );
  }
  return progress.done.length;
}

/** A tracking table as Tracking.table names it (describeTable): two parts, each plain or quoted, so parse_ident cannot fail on it. */
const TRACKING_NAME = String.raw`^("([^"]|"")+"|[a-z_][a-z0-9_$]*)\.("([^"]|"")+"|[a-z_][a-z0-9_$]*)$`;

/** What tracking_rows reads once a restore has written a progress row's tracking rows anew under it (not ROW_VERSIONS). */
const RESTORED_OVER = 'restored over';

/**
 * The statement every restore runs in its transaction after the snapshot's script (db/restore.ts).
 * A progress row the restore keeps (the snapshot has no down_progress, or not this row) while it
 * writes the tracking rows anew is stale: the schema is the snapshot's. Its own tracking_rows says
 * so already, but a snapshot taken later holds it beside those tracking rows, and restoring that
 * snapshot would write both in one transaction, which progressStillHolds takes for progress taken
 * with its tracking rows. Marked here, it stays stale in every later snapshot. Rows the snapshot
 * brought are its own, written in this transaction, and left as they are; so is a row whose
 * tracking table this role may not read (it cannot have restored that table either). The table is
 * looked up in the catalog, not by to_regclass, which fails on a schema the role may not use.
 */
export function progressAcrossRestore(): string {
  const table = literal(DOWN_PROGRESS.name);
  // This transaction's xid as xmin reads it (txid_current has the epoch on top).
  const thisTransaction = '(txid_current() % 4294967296)::text';
  return doBlock(
    'rk_progress_restored',
    [
      'DECLARE p record; t regclass; ns oid; restored boolean;',
      'BEGIN',
      `  IF to_regclass(${table}) IS NULL OR NOT has_table_privilege(${table}, 'SELECT, UPDATE') THEN`,
      '    RETURN;',
      '  END IF;',
      // A table an earlier version made has no tracking_rows: its rows are discarded anyway.
      `  IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = ${table}::regclass AND attname = 'tracking_rows' AND NOT attisdropped) THEN`,
      '    RETURN;',
      '  END IF;',
      `  FOR p IN SELECT tracking, migration, parse_ident(tracking) AS name FROM rollback_kit.down_progress WHERE xmin::text <> ${thisTransaction} AND tracking ~ ${literal(TRACKING_NAME)} LOOP`,
      '    t := NULL;',
      '    SELECT c.oid, n.oid INTO t, ns FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = p.name[1] AND c.relname = p.name[2];',
      `    IF t IS NULL OR NOT has_schema_privilege(ns, 'USAGE') OR NOT has_table_privilege(t, 'SELECT') THEN`,
      '      CONTINUE;',
      '    END IF;',
      `    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s WHERE xmin::text = ${thisTransaction.replace('%', '%%')})', t) INTO restored;`,
      '    IF restored THEN',
      `      UPDATE rollback_kit.down_progress SET tracking_rows = ${literal(RESTORED_OVER)}, updated_at = now() WHERE tracking = p.tracking AND migration = p.migration;`,
      '    END IF;',
      '  END LOOP;',
      'END',
    ].join('\n'),
  );
}
