/**
 * A non-transactional migration cannot be undone as a whole when a statement fails, so we record
 * each statement as it completes (rollback_kit.down_progress). The re-run after a fix skips the
 * statements that already ran instead of failing on objects that are already gone. The row is
 * deleted in the same transaction that marks the migration reverted.
 *
 * Progress describes one state of the database: the one where the migration's tracking rows are
 * the versions recorded with it (Tracking.rowVersionSql). A restore or a re-apply writes those rows
 * again, and whatever the progress lists as done may be undone by then, so it no longer counts.
 *
 * A restore brings this table back with the snapshot, unlike the ledger (migrations/ledger.ts
 * ledgerKeptAcrossRestore): the snapshot's rows describe the schema it brings back, recorded against
 * its tracking rows, so a later revert resumes where that schema stands. The target's rows kept
 * instead would say statements ran that the restore undid, where the tracking rows read the same on
 * both sides (a non-transactional migration's partial revert changes none), and their re-run would
 * skip them.
 */
import { createHash } from 'node:crypto';
import { RollbackKitError } from '../core/errors.js';
import type { Session } from '../db/session.js';
import { ensureTableSql, type OwnTable } from './own-tables.js';
import { literal } from './sql-split.js';

export interface Progress {
  /** sha256 of each statement that completed, in order. */
  done: string[];
  /** The tracking rows' versions it was recorded against; null when a version that did not record them wrote it. */
  rows: string | null;
}

export function statementHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
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
  const r = await session.query<{ migration: string; done: string[]; rows: string | null }>(
    `SELECT migration, done, to_jsonb(p) ->> 'tracking_rows' AS rows FROM rollback_kit.down_progress p WHERE tracking = $1`,
    [tracking],
  );
  for (const row of r.rows) out.set(row.migration, { done: row.done, rows: row.rows });
  return out;
}

/** Whether `progress` was recorded against the tracking rows as they are now (`rowVersionSql` gives them). */
export async function progressStillHolds(session: Session, progress: Progress, rowVersionSql: string): Promise<boolean> {
  if (progress.rows === null) return false;
  const r = await session.query<{ rows: string }>(`SELECT (${rowVersionSql}) AS rows`);
  return r.rows[0]?.rows === progress.rows;
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
