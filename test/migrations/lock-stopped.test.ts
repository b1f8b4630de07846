// A stop while a run waits for the migration lock (or the whole-rollback lock) ends the wait at
// once, saying nothing was changed, instead of holding the step until the lock-timeout or the
// stop's grace time ends it with "what it had changed is not known".
import pg from 'pg';
import { expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { closeSession, connect, ConnectStopped } from '../../src/db/session.js';
import { acquireMigrationLock } from '../../src/migrations/lock.js';
import { lockRollback, ROLLBACK_LOCK_KEY } from '../../src/pipeline/ledger.js';
import { createTestDatabase } from '../helpers/pg.js';

const KEY = '7340017';

async function holdAdvisoryLock(url: string, key: string): Promise<pg.Client> {
  const holder = new pg.Client({ connectionString: url });
  await holder.connect();
  await holder.query(`SELECT pg_advisory_lock(${key}::bigint)`);
  return holder;
}

it('a stop while waiting for the migration lock ends the wait at once: nothing was changed', async () => {
  const db = await createTestDatabase('rk_lock_stopped');
  const holder = await holdAdvisoryLock(db.url, KEY);
  const session = await connect(parseConnectionString(db.url));
  try {
    const log = memoryLog();
    const stop = new AbortController();
    const waiting = acquireMigrationLock(session, KEY, 600, log, 'dbmate, schema_migrations', undefined, stop.signal).catch((e: unknown) => e);
    // Stopped once the wait has begun (its log line says so), well before the 600 s lock wait.
    while (!log.lines.some((l) => l.includes('Waiting up to 600 s'))) await new Promise((r) => setTimeout(r, 20));
    stop.abort(new Error('stopped by SIGTERM'));
    const err = await waiting;
    expect((err as Error).message).toBe('Stopped while waiting for the migration lock (dbmate, schema_migrations): nothing was changed.');
    // The lock was never ours: the holder still has it.
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND objid = ${KEY}`);
    expect(rows[0]!.n).toBe(1);
  } finally {
    closeSession(session);
    await holder.end();
  }
});

it('the whole-rollback lock: a stop while waiting for it ends the wait at once', async () => {
  const db = await createTestDatabase('rk_lock_stopped_rollback');
  const holder = await holdAdvisoryLock(db.url, ROLLBACK_LOCK_KEY);
  try {
    const log = memoryLog();
    const stop = new AbortController();
    const waiting = lockRollback(parseConnectionString(db.url), 600, log, stop.signal).catch((e: unknown) => e);
    while (!log.lines.some((l) => l.includes('Waiting up to 600 s'))) await new Promise((r) => setTimeout(r, 20));
    stop.abort(new Error('stopped by SIGINT'));
    expect(((await waiting) as Error).message).toBe('Stopped while waiting for the whole-rollback lock (another rollback of this database is running): nothing was changed.');
  } finally {
    await holder.end();
  }
});

it('the whole-rollback lock: a stop already given opens no connection at all', async () => {
  const db = await createTestDatabase('rk_lock_stopped_rollback');
  const stop = new AbortController();
  stop.abort(new Error('stopped by SIGINT'));
  const err = await lockRollback(parseConnectionString(db.url), 600, memoryLog(), stop.signal).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ConnectStopped);
  expect((err as Error).message).toBe(`Stopped while still connecting to PostgreSQL at 127.0.0.1:5432/${db.name}: nothing had been sent to the database, so nothing was changed.`);
});
