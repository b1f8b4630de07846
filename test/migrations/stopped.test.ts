// run-down-migrations stopped mid-run (the step being cancelled: SIGINT, then SIGTERM, which abort
// its signal): it stops between migrations, the one in flight committing (or rolling back) as it
// would anyway, and between the statements of a non-transactional one with its progress recorded.
// The tracking table says exactly what is still applied, the error says what was reverted, and a
// re-run finishes the plan. Real dbmate, the real server; the stop lands while a down statement
// waits for a lock another session holds, so where it lands is certain.
import { describe, expect, it } from 'vitest';
import { errorFacts } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { ConnectStopped } from '../../src/db/session.js';
import { RevertFailed, revertMigrations, type RevertOptions } from '../../src/migrations/revert.js';
import { createTestDatabase, holdTableLock, waitForLockWaiter, type TestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';
import { applyMigrations, existingTables, tables, trackingState, workspace, writeMigrations, type Step } from './fixtures.js';

function options(db: TestDatabase, ws: string, signal: AbortSignal | undefined, steps: number): RevertOptions {
  return { target: parseConnectionString(db.url), root: ws, format: 'dbmate', choice: { steps }, dryRun: false, requireSnapshot: false, lockTimeoutSeconds: 120, statementTimeoutSeconds: 120, signal };
}

/** A down statement of the run waiting for a lock. */
const downWaiting = (db: TestDatabase) => ({ database: db.name, applicationName: 'rollback-kit run-down-migrations' });

async function setUp(prefix: string, steps: Step[]): Promise<{ db: TestDatabase; ws: string }> {
  const db = await createTestDatabase(prefix);
  const ws = await workspace();
  await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', steps), steps);
  return { db, ws };
}

/** Runs the revert, and aborts it while its down statement waits for `table`'s lock; then lets that statement finish. */
async function stoppedWhileWaiting(db: TestDatabase, ws: string, table: string, steps: number): Promise<unknown> {
  const blocker = await holdTableLock(db, table);
  const stop = new AbortController();
  const running = revertMigrations(options(db, ws, stop.signal, steps), memoryLog());
  running.catch(() => undefined);
  try {
    // A run that fails before it waits is that failure, not a wait for ever.
    await waitForLockWaiter(downWaiting(db), { unless: running });
    stop.abort(new Error('stopped by SIGTERM'));
  } finally {
    await blocker.release();
  }
  return running.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('run-down-migrations stopped', () => {
  it('between migrations: the one in flight commits, the rest never start, and a re-run finishes the plan', async () => {
    const { db, ws } = await setUp('rk_down_stopped', tables(3));
    const err = await stoppedWhileWaiting(db, ws, 't3', 3);
    expect(err).toBeInstanceOf(RevertFailed);
    const failed = err as RevertFailed;
    expect(failed.partial.status).toBe('failed');
    expect(failed.partial.reverted.map((r) => r.version)).toEqual(['20240101000003']);
    expect(failed.partial.stoppedIn).toBeUndefined();
    expect(failed.message).toBe(
      'Stopped before reverting 20240101000002_create_t2.sql: the 1 migration(s) before it were reverted and committed; 20240101000002_create_t2.sql, 20240101000001_create_t1.sql were not started and are still applied in public.schema_migrations. Reverted before the failure: 20240101000003_create_t3.sql.',
    );
    expect(failed.hint).toMatch(/^Start a new run with `steps: 2` to finish the plan: it reads the tracking table and reverts what is still applied of it\. With steps, finish this plan with `steps: 2`/);
    // The tracking table and the schema agree.
    expect(await trackingState(db, 'dbmate')).toEqual(['20240101000001', '20240101000002']);
    expect(await existingTables(db)).toEqual(['t1', 't2']);

    const rest = await revertMigrations(options(db, ws, undefined, 2), memoryLog());
    expect(rest.reverted.map((r) => r.version)).toEqual(['20240101000002', '20240101000001']);
    expect(await trackingState(db, 'dbmate')).toEqual([]);
    expect(await existingTables(db)).toEqual([]);
  });

  it('in a non-transactional migration: between statements, its progress recorded; a re-run goes on from there', async () => {
    const steps: Step[] = [
      { version: '20240101000001', name: 'three_tables', up: 'CREATE TABLE t1 (id int);\nCREATE TABLE t2 (id int);\nCREATE TABLE t3 (id int);', down: 'DROP TABLE t1;\nDROP TABLE t2;\nDROP TABLE t3;', noTransaction: true },
    ];
    const { db, ws } = await setUp('rk_down_stopped_nontx', steps);
    const err = await stoppedWhileWaiting(db, ws, 't2', 1);
    expect(err).toBeInstanceOf(RevertFailed);
    const failed = err as RevertFailed;
    expect(failed.partial.reverted).toEqual([]);
    expect(failed.partial.stoppedIn).toMatchObject({ version: '20240101000001', transactional: false, ran: 2, resumeAt: 3, unsure: false });
    expect(failed.message).toBe(
      'Stopped in 20240101000001_three_tables.sql before its statement 3 of 3. It runs statement by statement (non-transactional): 2 of 3 statement(s) ran and are recorded in rollback_kit.down_progress; public.schema_migrations still lists it as applied until all have run. A re-run starts at statement 3.',
    );
    expect(await existingTables(db)).toEqual(['t3']);
    expect(await trackingState(db, 'dbmate')).toEqual(['20240101000001']);
    expect((await db.query('SELECT cardinality(done) AS n FROM rollback_kit.down_progress')).rows).toEqual([{ n: 2 }]);

    const rest = await revertMigrations(options(db, ws, undefined, 1), memoryLog());
    expect(rest.reverted.map((r) => r.version)).toEqual(['20240101000001']);
    expect(await existingTables(db)).toEqual([]);
    expect(await trackingState(db, 'dbmate')).toEqual([]);
  });

  it('a stop aborted before the plan runs: nothing reverted, said so', async () => {
    const { db, ws } = await setUp('rk_down_stopped_first', tables(2));
    const stop = new AbortController();
    // Stopped once connected (its first line names the tracking table), before anything is planned.
    const lines = memoryLog();
    const log = { ...lines, info: (m: string) => (m.startsWith('Tracking table') && stop.abort(new Error('stopped by SIGINT')), lines.info(m)) };
    const err = await revertMigrations(options(db, ws, stop.signal, 2), log).catch((e: unknown) => e);
    expect(stop.signal.aborted).toBe(true);
    expect(err).toBeInstanceOf(RevertFailed);
    expect((err as RevertFailed).message).toMatch(/^Stopped before reverting 20240101000002_create_t2\.sql: no migration was reverted; /);
    expect(await trackingState(db, 'dbmate')).toEqual(['20240101000001', '20240101000002']);
  });

  it('a stop already given: no connection is opened, nothing reverted, said so', async () => {
    const { db, ws } = await setUp('rk_down_stopped_before', tables(2));
    const stop = new AbortController();
    stop.abort(new Error('stopped by SIGINT'));
    const err = await revertMigrations(options(db, ws, stop.signal, 2), memoryLog()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectStopped);
    expect(errorFacts(err)).toEqual({ changed: 'no', stopped: true });
    expect(await trackingState(db, 'dbmate')).toEqual(['20240101000001', '20240101000002']);
  });

  // Runs dist/run-down-migrations: needs the bundles rebuilt from this source.
  it('run-down-migrations action: SIGTERM between migrations says what was reverted and exits non-zero', async () => {
    const { db, ws } = await setUp('rk_down_stopped_action', tables(3));
    const blocker = await holdTableLock(db, 't3');
    const run = await runAction(
      'run-down-migrations',
      { 'database-url': db.url, 'require-snapshot': 'false', steps: '3', 'lock-timeout-seconds': '120' },
      {
        cwd: ws,
        whileRunning: async (child) => {
          await waitForLockWaiter(downWaiting(db));
          child.kill('SIGTERM');
          await blocker.release();
        },
      },
    );
    expect(run.code).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(/^run-down-migrations was stopped by SIGTERM: Stopped before reverting 20240101000002_create_t2\.sql: the 1 migration\(s\) before it were reverted and committed; /);
    expect(run.outputs.status).toBe('failed');
    expect(run.outputs.reverted).toBe('["20240101000003"]');
    expect(await trackingState(db, 'dbmate')).toEqual(['20240101000001', '20240101000002']);
  });
});

