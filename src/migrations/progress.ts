/**
 * A non-transactional migration cannot be undone as a whole when a statement fails, so we record
 * each statement as it completes (rollback_kit.down_progress). The re-run after a fix skips the
 * statements that already ran instead of failing on objects that are already gone. The row is
 * deleted in the same transaction that marks the migration reverted.
 */
import { createHash } from 'node:crypto';
import { RollbackKitError } from '../core/errors.js';
import type { Session } from '../db/session.js';

export interface Progress {
  /** sha256 of each statement that completed, in order. */
  done: string[];
}

export function statementHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

async function tableExists(session: Session): Promise<boolean> {
  const r = await session.query<{ t: string | null }>(`SELECT to_regclass('rollback_kit.down_progress')::text AS t`);
  return Boolean(r.rows[0]?.t);
}

export async function readProgress(session: Session, tracking: string): Promise<Map<string, Progress>> {
  const out = new Map<string, Progress>();
  if (!(await tableExists(session))) return out;
  const r = await session.query<{ migration: string; done: string[] }>('SELECT migration, done FROM rollback_kit.down_progress WHERE tracking = $1', [tracking]);
  for (const row of r.rows) out.set(row.migration, { done: row.done });
  return out;
}

export async function startProgress(session: Session, tracking: string, migration: string): Promise<void> {
  await session.query(`CREATE SCHEMA IF NOT EXISTS rollback_kit`);
  await session.query(
    `CREATE TABLE IF NOT EXISTS rollback_kit.down_progress (
       tracking text NOT NULL, migration text NOT NULL, done text[] NOT NULL DEFAULT '{}',
       updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (tracking, migration))`,
  );
  await session.query(`INSERT INTO rollback_kit.down_progress (tracking, migration) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [tracking, migration]);
}

export async function recordStatement(session: Session, tracking: string, migration: string, hash: string): Promise<void> {
  await session.query(`UPDATE rollback_kit.down_progress SET done = done || $3::text, updated_at = now() WHERE tracking = $1 AND migration = $2`, [tracking, migration, hash]);
}

export async function clearProgress(session: Session, tracking: string, migration: string): Promise<void> {
  if (!(await tableExists(session))) return;
  await session.query('DELETE FROM rollback_kit.down_progress WHERE tracking = $1 AND migration = $2', [tracking, migration]);
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
