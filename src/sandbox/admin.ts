/**
 * The sandbox's own sessions on its server's admin database: creating the sandbox database, and
 * dropping it in the cleanup. Both can wait for a lock another session holds (pg_database, which
 * CREATE and DROP DATABASE write): the creation ends at the sandbox's stop (Ctrl-C), the drop, which
 * runs after the stop, is bounded by a lock timeout instead. No query deadline: the server is on
 * this machine only (assertLoopback, or the sandbox's own cluster), with nothing between to stall.
 */
import { RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import type { ConnectionTarget } from '../db/connection.js';
import { cancelQuery, sessionTag } from '../db/lock-wait.js';
import { closeSession, connect } from '../db/session.js';
import { SandboxStopped } from './cleanup.js';

const CONNECT_TIMEOUT_MS = 5000;

/**
 * How long the cleanup's DROP DATABASE waits for a lock (a session holding pg_database, or the
 * database itself): the cleanup runs after a Ctrl-C too, and must end on its own, saying what it
 * could not remove, rather than hold the terminal until that session lets go.
 */
export const DROP_LOCK_TIMEOUT_MS = 5000;

/**
 * Runs `sql` (CREATE DATABASE) on a session the stop ends: while connecting (ConnectStopped), and
 * while the statement runs or waits, by cancelling it on the server (cancelQuery, as a stopped down
 * migration's wait is). Not by closing the socket (closeAtStop), which suits a session that only
 * reads: the server would go on waiting, then create the database after the cleanup had looked
 * for it. Cancelled, the statement ends on the server before this returns, and the cleanup's drop
 * (Cleanup.make) then sees what is there. Throws SandboxStopped when the stop ended it.
 */
export async function stoppableAdminQuery(target: ConnectionTarget, sql: string, log: Log, signal: AbortSignal): Promise<void> {
  const tag = sessionTag('sandbox');
  const session = await connect({ ...target, params: { ...target.params, application_name: tag } }, { connectTimeoutMs: CONNECT_TIMEOUT_MS, signal }).catch((err: unknown) => {
    throw signal.aborted ? new SandboxStopped() : err;
  });
  let cancelling: Promise<void> | undefined;
  try {
    const { rows } = await session.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const pid = rows[0]!.pid;
    // Only while the session is still ours (its tag): the pid could be another's once it is gone.
    const cancel = () => void (cancelling = cancelQuery(target, pid, log, { applicationName: tag }));
    if (signal.aborted) throw new SandboxStopped();
    signal.addEventListener('abort', cancel, { once: true });
    try {
      await session.query(sql);
    } catch (err) {
      throw signal.aborted ? new SandboxStopped() : err;
    } finally {
      signal.removeEventListener('abort', cancel);
    }
  } finally {
    await cancelling;
    void closeSession(session);
  }
}

/**
 * Drops the sandbox database, if it is there, with its lock wait bounded (DROP_LOCK_TIMEOUT_MS).
 * Looked for first: a DROP DATABASE IF EXISTS of a database never created (a creation the stop
 * cancelled) still waits for pg_database's lock, and would say it could not clean up what was never there.
 */
export async function dropSandboxDatabase(target: ConnectionTarget, name: string): Promise<void> {
  const session = await connect(target, { connectTimeoutMs: CONNECT_TIMEOUT_MS });
  try {
    const { rowCount } = await session.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) return;
    await session.query(`SET lock_timeout = ${DROP_LOCK_TIMEOUT_MS}`);
    try {
      await session.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } catch (err) {
      if ((err as { code?: string }).code !== '55P03') throw err;
      throw new RollbackKitError(
        `another session held a lock DROP DATABASE needs for ${DROP_LOCK_TIMEOUT_MS / 1000} s (pg_database, or the database itself), so ${name} is still there; drop it once that session ends: DROP DATABASE ${name} WITH (FORCE)`,
      );
    }
  } finally {
    void closeSession(session);
  }
}
