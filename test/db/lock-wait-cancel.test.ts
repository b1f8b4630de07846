// The one cancel SQL (lock-wait.ts) serves both its callers: cancelQuery, from a connection of its
// own (a stop: any statement, or only a lock wait), and the blocker watcher's cancel of a lock wait
// that outlasts its limit, only for sessions of ours (application_name). Real PostgreSQL.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { cancelQuery, sessionTag, watchBlockers } from '../../src/db/lock-wait.js';
import { createTestDatabase, holdTableLock, type TestDatabase } from '../helpers/pg.js';

async function client(db: TestDatabase, applicationName: string): Promise<{ c: pg.Client; pid: number }> {
  const c = new pg.Client({ connectionString: db.url, application_name: applicationName });
  // Ended with the test database when a test fails midway: an error event, not an uncaught one.
  c.on('error', () => undefined);
  await c.connect();
  const pid = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  return { c, pid };
}

async function until(db: TestDatabase, pid: number, condition: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if ((await db.query(`SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND ${condition}`, [pid])).rowCount) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`pid ${pid} never showed ${condition} within 30 s`);
}

/** What a query ended with: its error's code, or 'done'. */
const outcome = (q: Promise<unknown>) => q.then(
  () => 'done',
  (e: { code?: string }) => e.code,
);

describe('cancelling a statement of ours', () => {
  it('cancelQuery onlyLockWait leaves a running statement alone; without it, cancels it', async () => {
    const db = await createTestDatabase('rk_cancel_query');
    const target = parseConnectionString(db.url);
    const { c, pid } = await client(db, 'rk-test');
    try {
      const sleeping = outcome(c.query('SELECT pg_sleep(3)'));
      await until(db, pid, "wait_event = 'PgSleep'");
      await cancelQuery(target, pid, memoryLog(), { onlyLockWait: true });
      await until(db, pid, "wait_event = 'PgSleep'");
      await cancelQuery(target, pid, memoryLog());
      expect(await sleeping).toBe('57014');
    } finally {
      await c.end();
    }
  });

  it('the watcher cancels a lock wait of ours past its limit, and not another application\'s', async () => {
    const db = await createTestDatabase('rk_cancel_watch');
    await db.query('CREATE TABLE t (id int)');
    const tag = sessionTag('test');
    const blocker = await holdTableLock(db, 't', 'ACCESS EXCLUSIVE');
    const ours = await client(db, tag);
    const theirs = await client(db, 'someone-else');
    const watch = await watchBlockers(parseConnectionString(db.url), tag, memoryLog());
    try {
      const oursWait = outcome(ours.c.query('SELECT count(*) FROM t'));
      const theirsWait = outcome(theirs.c.query('SELECT count(*) FROM t'));
      await until(db, ours.pid, "wait_event_type = 'Lock'");
      await until(db, theirs.pid, "wait_event_type = 'Lock'");
      watch.cancelWaitsAfter(0.3);
      expect(await oursWait).toBe('57014');
      // Asked the moment the cancelled statement's error arrives, as restore.ts asks it.
      expect(watch.cancelled()).toBe(true);
      // Still waiting: only ours was cancelled.
      expect((await db.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'", [theirs.pid])).rowCount).toBe(1);
      await blocker.release();
      expect(await theirsWait).toBe('done');
    } finally {
      await watch.stop();
      await blocker.release().catch(() => undefined);
      await ours.c.end();
      await theirs.c.end();
    }
  });
});
