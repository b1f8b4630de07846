/**
 * One migration run at a time: a session advisory lock, on the tool's own key where it has one so
 * the tool and this action exclude each other. Polled with pg_try_advisory_lock so the wait is
 * bounded, and when it runs out the error says who holds the lock.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import type { Session } from '../db/session.js';
import { literal } from './sql-split.js';

/** Ours, for tools that take no lock of their own (dbmate, Supabase, plain). */
export const ROLLBACK_KIT_LOCK_KEY = '5290377542401023';

const POLL_MS = 250;

export interface LockHolder {
  pid: number;
  application: string;
  client: string;
  user: string;
  since: string;
  state: string;
}

/**
 * One try for the lock, as a statement with the key inlined: it can go in one query with others
 * (the run's first round trip). Its one row says in `locked` whether the lock was granted.
 */
export function tryLockSql(key: string): string {
  return `SELECT pg_try_advisory_lock(${literal(key)}::bigint) AS locked`;
}

async function tryLock(session: Session, key: string): Promise<boolean> {
  const r = await session.query<{ locked: boolean }>(tryLockSql(key));
  return r.rows[0]?.locked === true;
}

/** pg_locks rows `l` of the granted advisory lock $1 in this database (a bigint key shows as classid = high 32 bits, objid = low 32 bits). */
const GRANTED_ADVISORY_LOCK = `l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND ((l.classid::bigint << 32) | l.objid::bigint) = $1::bigint`;

/** Who else holds the advisory lock `key` in this database. */
export async function lockHolders(session: Session, key: string): Promise<LockHolder[]> {
  const r = await session.query<{ pid: number; application: string | null; client: string | null; usename: string | null; since: Date | null; state: string | null }>(
    `SELECT l.pid, a.application_name AS application, host(a.client_addr) AS client, a.usename,
            coalesce(a.xact_start, a.backend_start) AS since, a.state
       FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE ${GRANTED_ADVISORY_LOCK}
        AND l.pid <> pg_backend_pid()`,
    [key],
  );
  return r.rows.map((row) => ({
    pid: row.pid,
    application: row.application || '(no application_name)',
    client: row.client ?? 'local socket',
    user: row.usename ?? '?',
    since: row.since ? row.since.toISOString() : '?',
    state: row.state ?? '?',
  }));
}

/** Whether this session still holds the advisory lock `key`: false too when the session is gone. */
export async function holdsLock(session: Session, key: string): Promise<boolean> {
  try {
    const r = await session.query<{ held: boolean }>(`SELECT EXISTS (SELECT 1 FROM pg_locks l WHERE ${GRANTED_ADVISORY_LOCK} AND l.pid = pg_backend_pid()) AS held`, [key]);
    return r.rows[0]?.held === true;
  } catch {
    return false;
  }
}

export function describeHolder(h: LockHolder): string {
  return `pid ${h.pid} (application "${h.application}", user ${h.user}, client ${h.client}, since ${h.since}, ${h.state})`;
}

/** How the messages name the lock, and whoever else holds it. */
export interface LockNames {
  lock: string;
  holder: string;
}

const MIGRATION_LOCK: LockNames = { lock: 'the migration lock', holder: 'Another migration run' };

/**
 * Waits up to `timeoutSeconds` for the lock; throws naming the holder when it does not come. A stop
 * (`signal`) ends the wait at once: nothing has been changed while waiting, and the step can say so.
 */
export async function acquireMigrationLock(
  session: Session,
  key: string,
  timeoutSeconds: number,
  log: Log,
  what: string,
  names: LockNames = MIGRATION_LOCK,
  signal?: AbortSignal,
): Promise<void> {
  if (await tryLock(session, key)) return;
  const first = await lockHolders(session, key);
  log.info(`Waiting up to ${timeoutSeconds} s for ${names.lock} (${what}, key ${key}), held by ${first.map(describeHolder).join(', ') || 'another session'}.`);
  const deadline = Date.now() + timeoutSeconds * 1000;
  const stopped = () => new RollbackKitError(`Stopped while waiting for ${names.lock} (${what}): nothing was changed.`, 'Re-run when the other run has finished.', { changed: 'no', stopped: true });
  while (Date.now() < deadline) {
    if (signal?.aborted) throw stopped();
    await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())), undefined, { signal }).catch(() => undefined);
    if (signal?.aborted) throw stopped();
    if (await tryLock(session, key)) return;
  }
  const holders = await lockHolders(session, key);
  throw new RollbackKitError(
    `${names.holder} holds ${names.lock} (${what}, advisory key ${key}) and did not release it within ${timeoutSeconds} s: ${holders.map(describeHolder).join(', ') || 'a session that has just ended'}.`,
    holders.length
      ? `Wait for it to finish and re-run. If it is stuck (its runner was killed), end it with SELECT pg_terminate_backend(${holders[0]!.pid}); a session lock dies with its session.`
      : 'Re-run: the lock was released as the wait ended.',
  );
}

export async function releaseMigrationLock(session: Session, key: string): Promise<void> {
  await session.query(`SELECT pg_advisory_unlock(${literal(key)}::bigint)`).catch(() => undefined);
}
