// The whole rollback stopped while its database phase restores (the job being cancelled: SIGINT,
// then SIGTERM): the stop reaches the restore, which ends psql before its COMMIT, so the run says
// the restore was rolled back and the database is as it was, rather than waiting out the grace
// time and reporting that what it changed is "not known". The restore waits for a lock another
// session holds when the stop comes, so where it lands is certain.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { runRollback } from '../../src/pipeline/rollback.js';
import { createTestDatabase, holdTableLock, waitForLockWaiter, type TestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';
import { databaseRollbackRequest } from './requests.js';
import { tempDir } from '../helpers/temp-dir.js';

/** orders with 120 rows, and a snapshot of it with 100: the restore would delete 20. */
async function shop(): Promise<{ db: TestDatabase; snapshotPath: string }> {
  const db = await createTestDatabase('rk_rollback_stopped');
  await db.query('CREATE TABLE public.orders (id int PRIMARY KEY); INSERT INTO public.orders SELECT generate_series(1, 100)');
  const good = await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: await tempDir('rk-rollback-stopped-'), label: 'before-deploy' }), memoryLog());
  await db.query('INSERT INTO public.orders SELECT generate_series(101, 120)');
  return { db, snapshotPath: good.path };
}

/** The restore's psql waiting for a lock. */
const restoreWaiting = (db: TestDatabase) => ({ database: db.name, applicationName: 'rollback-kit-restore-%' });

const orders = async (db: TestDatabase) => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM public.orders')).rows[0]!.n;

const ROLLED_BACK = /Restore into 127\.0\.0\.1:5432\/rk_rollback_stopped_[0-9a-f]+ was stopped before its transaction committed, so nothing of it was applied: the database is as it was before\./;

describe('the whole rollback stopped mid-restore', () => {
  it('library: the database phase fails saying the restore rolled back, and the rows are as they were', async () => {
    const { db, snapshotPath } = await shop();
    const log = memoryLog();
    const runnerTemp = await tempDir('rk-rollback-stopped-temp-');
    const stop = new AbortController();
    const request = databaseRollbackRequest(
      { method: 'restore', format: 'auto', snapshotPath, lockTimeoutSeconds: 30 },
      {
        reason: 'orders double-charged',
        database: parseConnectionString(db.url, log),
        workspace: runnerTemp,
        snapshotDir: join(runnerTemp, 'rollback-kit', 'snapshots'),
        github: { repository: 'acme/shop', apiUrl: 'http://127.0.0.1:9' },
        signal: stop.signal,
      },
    );
    // An idle transaction that has read orders: the restore's DROP waits for it (a run the stop never
    // reaches gives up at lock-timeout-seconds, and says so instead).
    const blocker = await holdTableLock(db, 'public.orders');
    const running = runRollback(request, {}, log);
    running.catch(() => undefined);
    try {
      await waitForLockWaiter(restoreWaiting(db), { unless: running });
      stop.abort(new Error('stopped by SIGTERM'));
      const record = await running;
      expect(record.status).toBe('failed');
      expect(record.failedPhase).toBe('database');
      const row = record.timeline.find((e) => e.phase === 'database' && e.status === 'failed');
      expect(row?.detail).toMatch(ROLLED_BACK);
    } finally {
      await blocker.release();
    }
    expect(await orders(db)).toBe(120);
  });

  // Runs dist/rollback: needs the bundles rebuilt from this source.
  it('rollback action: SIGTERM mid-restore exits non-zero saying it rolled back, not "not known"', async () => {
    const { db, snapshotPath } = await shop();
    const blocker = await holdTableLock(db, 'public.orders');
    try {
      const run = await runAction(
        'rollback',
        { reason: 'orders double-charged', severity: 'critical', scope: 'db', 'database-url': db.url, 'db-method': 'restore', 'snapshot-path': snapshotPath, 'incident-issue': 'false' },
        {
          whileRunning: async (child) => {
            await waitForLockWaiter(restoreWaiting(db));
            child.kill('SIGTERM');
          },
        },
      );
      expect(run.code).toBe(1);
      expect(run.errors).toHaveLength(1);
      expect(run.errors[0]).toMatch(/^rollback was stopped by SIGTERM: Rollback stopped in database: /);
      expect(run.errors[0]).toMatch(ROLLED_BACK);
      expect(run.errors[0]).not.toContain('not known');
      expect(run.outputs.status).toBe('failed');
    } finally {
      await blocker.release();
    }
    expect(await orders(db)).toBe(120);
  });
});
