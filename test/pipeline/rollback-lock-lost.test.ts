// The whole-rollback lock lost while the migrations run (runRollback, real PostgreSQL, real dbmate
// migrations): the database phase checked the lock just before, but its session can end during the
// revert (an idle timeout, a pooler, the network; here pg_terminate_backend), taking the lock with it,
// and another rollback of this database could then start. The run must notice, stop before its next
// migration, and say what it reverted, what is still applied, and that another rollback may be under way.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { withSession } from '../../src/db/session.js';
import { RevertFailed } from '../../src/migrations/revert.js';
import { lockHolders } from '../../src/migrations/lock.js';
import { lockRollback, ROLLBACK_LOCK_KEY, unlockRollback, watchRollbackLock } from '../../src/pipeline/ledger.js';
import { runRollback, type RollbackRequest } from '../../src/pipeline/rollback.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { stallingProxy } from '../helpers/stalling-proxy.js';
import { applyMigrations, tables, writeMigrations, type Step } from '../migrations/fixtures.js';
import { appliedVersions } from './world.js';
import { databaseRollbackRequest } from './requests.js';

const V = (i: number) => `2024010100000${i}`;

let db: TestDatabase;
let ws: string;
beforeEach(async () => {
  db = await createTestDatabase('rk_rollback_lock_lost');
  ws = await mkdtemp(join(tmpdir(), 'rk-rollback-lock-lost-'));
  const steps: Step[] = tables(3);
  // The newest runs long enough for the lock's session to be ended under it, and ends well inside
  // the 2 s after which a stop cancels a transactional migration: it commits.
  steps[2] = { ...steps[2]!, down: 'DROP TABLE t3;\nSELECT pg_sleep(1);' };
  await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', steps), steps);
});
afterEach(async () => {
  await rm(ws, { recursive: true, force: true });
});

function request(): RollbackRequest {
  return databaseRollbackRequest(
    { method: 'down-migrations', migrationsDir: 'db/migrations', format: 'dbmate', choice: { steps: 3 }, lockTimeoutSeconds: 10 },
    {
      reason: 'checkout returns 500 after the 14:02 deploy',
      database: parseConnectionString(db.url),
      workspace: ws,
      snapshotDir: join(ws, 'snapshots'),
      github: { repository: 'acme/shop', apiUrl: 'http://127.0.0.1:9', runId: '4242' },
    },
  );
}

/** Once the first down migration sleeps, ends the session holding the whole-rollback lock. */
async function endLockSessionWhileReverting(): Promise<number> {
  for (;;) {
    const { rowCount } = await db.query("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'rollback-kit run-down-migrations' AND wait_event = 'PgSleep'");
    if (rowCount) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const [holder] = await withSession(parseConnectionString(db.url), (s) => lockHolders(s, ROLLBACK_LOCK_KEY));
  expect(holder, 'nobody holds the whole-rollback lock').toBeDefined();
  await db.query('SELECT pg_terminate_backend($1)', [holder!.pid]);
  return holder!.pid;
}

it('lost while a migration runs: that one commits, the next never starts, and the run says another rollback could be under way', async () => {
  const log = memoryLog();
  const running = runRollback(request(), {}, log);
  await endLockSessionWhileReverting();
  const record = await running;

  expect(record.status).toBe('failed');
  expect(record.failedPhase).toBe('database');
  expect(record.database?.status).toBe('failed');
  expect(record.database?.reverted).toEqual([V(3)]);
  const error = record.database?.error ?? '';
  expect(error).toMatch(/^The whole-rollback lock was lost while the migrations were reverted \(its session ended: .*\), so another rollback of this database could be under way; this run stopped there: /);
  expect(error).toContain(
    `Stopped before reverting ${V(2)}_create_t2.sql: the 1 migration(s) before it were reverted and committed; ${V(2)}_create_t2.sql, ${V(1)}_create_t1.sql were not started and are still applied in public.schema_migrations. Reverted before the failure: ${V(3)}_create_t3.sql.`,
  );
  expect(await appliedVersions(db)).toEqual([V(1), V(2)]);
  // The next run finishes the plan: what the tracking table shows left of it.
  const later = await runRollback(request(), {}, memoryLog());
  expect(later.status).toBe('rolled-back');
  expect(later.database?.reverted).toEqual([V(3), V(2), V(1)]);
  expect(await appliedVersions(db)).toEqual([]);
});

it('the error keeps the revert\'s partial result (RevertFailed) for the outputs and summary', async () => {
  const { lockLostWhileReverting } = await import('../../src/pipeline/ledger.js');
  const { RollbackKitError } = await import('../../src/core/errors.js');
  const partial = { status: 'failed' as const, format: 'dbmate' as const, target: 'h:5432/d', dir: 'db/migrations', plan: [], reverted: [{ version: '3', id: '3', file: '3_c.sql', transactional: true, statements: 1, durationMs: 1 }], stillApplied: [], durationMs: 1 };
  const err = lockLostWhileReverting(new RevertFailed(new RollbackKitError('Stopped before reverting 2_b.sql: …', 'Run it again.'), partial));
  expect(err).toBeInstanceOf(RevertFailed);
  expect((err as RevertFailed).partial).toBe(partial);
  // Said once, not twice.
  expect(err.message.match(/Reverted before the failure/g)).toHaveLength(1);
  expect(err.hint).toMatch(/^Check that no other rollback of this database is running/);
});

it('a lock gone while its session stays (found by the check on that session, not by its end) aborts the watch too; a stop does, without saying lost', async () => {
  const target = parseConnectionString(db.url);
  const session = await lockRollback(target, 5, memoryLog());
  const stop = new AbortController();
  const watch = watchRollbackLock(session, stop.signal, 100);
  try {
    await new Promise((r) => setTimeout(r, 300));
    expect(watch.signal.aborted).toBe(false);
    // As a session that the server ended and the network never said so would look: the lock no longer held.
    await session.query(`SELECT pg_advisory_unlock(${ROLLBACK_LOCK_KEY}::bigint)`);
    const until = Date.now() + 5_000;
    while (!watch.signal.aborted && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(watch.lost()).toBe(true);
    expect(watch.signal.aborted).toBe(true);
  } finally {
    watch.dispose();
    await unlockRollback(session);
  }
  const again = await lockRollback(target, 5, memoryLog());
  const stopped = new AbortController();
  const second = watchRollbackLock(again, stopped.signal, 100);
  stopped.abort(new Error('stopped by SIGTERM'));
  expect(second.signal.aborted).toBe(true);
  expect(second.lost()).toBe(false);
  second.dispose();
  await unlockRollback(again);
});

it('releasing the lock returns on a path that stalls as its session ends (the server\'s close never comes back)', async () => {
  // Terminate ('X', length 4): the last message the lock's session sends.
  const proxy = await stallingProxy(db, { clientSends: 'X\u0000\u0000\u0000\u0004' });
  const session = await lockRollback(parseConnectionString(proxy.url), 5, memoryLog());
  await unlockRollback(session);
  expect(proxy.stalls).toBe(1);
  // Released before the session was ended: another run may take it at once.
  expect(await withSession(parseConnectionString(db.url), (s) => lockHolders(s, ROLLBACK_LOCK_KEY))).toEqual([]);
});
