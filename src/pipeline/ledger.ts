/**
 * What a rollback already did to a database, kept in that database (rollback_kit.rollbacks, one
 * row per incident key). It lives beside the data it describes because that is the one place every
 * later run (a re-run, the next job, a second run started at the same time) is sure to reach, and
 * it changes in the same place as the migrations' own tracking table.
 *
 * `steps` is relative ("the newest two"), so a re-run would revert two more. The first run turns it
 * into the absolute "keep everything up to version V" and writes that down before reverting; every
 * later run for the same incident reverts to V, which is nothing once it is done. The whole-rollback
 * lock (an advisory lock of its own: the migration runner takes the migration lock in its own
 * session) makes a second concurrent run wait and then find the row finished.
 */
import type { Log } from '../core/log.js';
import type { Choice } from '../migrations/revert.js';
import type { Session } from '../db/session.js';
import { acquireMigrationLock, releaseMigrationLock, ROLLBACK_KIT_LOCK_KEY } from '../migrations/lock.js';

/** One more than the migration lock's key: the two are held at the same time by different sessions. */
export const ROLLBACK_LOCK_KEY = (BigInt(ROLLBACK_KIT_LOCK_KEY) + 1n).toString();

export interface LedgerRow {
  incidentKey: string;
  method: string;
  /** The newest migration to keep, fixed by the first run. */
  keepVersion?: string;
  planned: string[];
  reverted: string[];
  status: 'started' | 'done';
}

export async function lockRollback(session: Session, timeoutSeconds: number, log: Log): Promise<void> {
  await acquireMigrationLock(session, ROLLBACK_LOCK_KEY, timeoutSeconds, log, 'a whole rollback of this database');
}

export async function unlockRollback(session: Session): Promise<void> {
  await releaseMigrationLock(session, ROLLBACK_LOCK_KEY);
}

/** The row for `incidentKey`, or undefined (also when the table does not exist yet: read-only). */
export async function readLedger(session: Session, incidentKey: string): Promise<LedgerRow | undefined> {
  const exists = await session.query<{ t: string | null }>(`SELECT to_regclass('rollback_kit.rollbacks')::text AS t`);
  if (!exists.rows[0]?.t) return undefined;
  const r = await session.query<{ incident_key: string; method: string; keep_version: string | null; planned: string[]; reverted: string[]; status: string }>(
    'SELECT incident_key, method, keep_version, planned, reverted, status FROM rollback_kit.rollbacks WHERE incident_key = $1',
    [incidentKey],
  );
  const row = r.rows[0];
  if (!row) return undefined;
  return { incidentKey: row.incident_key, method: row.method, keepVersion: row.keep_version ?? undefined, planned: row.planned, reverted: row.reverted, status: row.status === 'done' ? 'done' : 'started' };
}

export async function writeLedger(session: Session, row: LedgerRow): Promise<void> {
  await session.query('CREATE SCHEMA IF NOT EXISTS rollback_kit');
  await session.query(
    `CREATE TABLE IF NOT EXISTS rollback_kit.rollbacks (
       incident_key text PRIMARY KEY, method text NOT NULL, keep_version text,
       planned text[] NOT NULL DEFAULT '{}', reverted text[] NOT NULL DEFAULT '{}', status text NOT NULL,
       started_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now())`,
  );
  await session.query(
    `INSERT INTO rollback_kit.rollbacks (incident_key, method, keep_version, planned, reverted, status)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (incident_key) DO UPDATE SET method = $2, keep_version = $3, planned = $4, reverted = $5, status = $6, updated_at = now()`,
    [row.incidentKey, row.method, row.keepVersion ?? null, row.planned, row.reverted, row.status],
  );
}

/**
 * Which migrations a run reverts, given what an earlier run for the same incident wrote down: the
 * fixed version when there is one; `steps` less what was already reverted when every migration was
 * to go (there is no version to keep then); otherwise what was asked.
 */
export function resumeChoice(row: LedgerRow | undefined, asked: Choice | undefined): Choice | undefined {
  if (row?.keepVersion) return { toVersion: row.keepVersion };
  if (row && asked && 'steps' in asked) return { steps: Math.max(0, row.planned.length - row.reverted.length) };
  return asked;
}
