/**
 * What a whole rollback already did to a database, in the ledger (migrations/ledger.ts) under the
 * incident's key.
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
import type { LedgerRow } from '../migrations/ledger.js';
import { acquireMigrationLock, releaseMigrationLock, ROLLBACK_KIT_LOCK_KEY } from '../migrations/lock.js';

/** One more than the migration lock's key: the two are held at the same time by different sessions. */
export const ROLLBACK_LOCK_KEY = (BigInt(ROLLBACK_KIT_LOCK_KEY) + 1n).toString();

export async function lockRollback(session: Session, timeoutSeconds: number, log: Log): Promise<void> {
  await acquireMigrationLock(session, ROLLBACK_LOCK_KEY, timeoutSeconds, log, 'a whole rollback of this database');
}

export async function unlockRollback(session: Session): Promise<void> {
  await releaseMigrationLock(session, ROLLBACK_LOCK_KEY);
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
