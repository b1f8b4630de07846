// A down statement whose table lock is not granted within lock-timeout-seconds is tried again after
// a pause (runner.ts RETRY_DELAYS_MS). An attempt that will be retried is not run a second time just
// to name its statement: that run waited for the same lock as long again, doubling every attempt's
// wait. Only the last attempt's failure is named. Counted at the wire, through a proxy.
import { expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { RETRY_DELAYS_MS } from '../../src/migrations/runner.js';
import { revertMigrations } from '../../src/migrations/revert.js';
import { createTestDatabase, holdTableLock } from '../helpers/pg.js';
import { startWireLog } from '../helpers/wire-log.js';
import { applyMigrations, tables, trackingState, workspace, writeMigrations } from './fixtures.js';

it('a lock timeout that will be retried is not run again to be named; the last one is', async () => {
  const db = await createTestDatabase('rk_down_lock_retries');
  const ws = await workspace();
  await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', tables(2)), tables(2));
  const blocker = await holdTableLock(db, 't2');
  const wire = await startWireLog();
  try {
    const url = new URL(db.url);
    url.host = `127.0.0.1:${wire.port}`;
    const err = await revertMigrations(
      { target: parseConnectionString(url.toString()), root: ws, format: 'dbmate', choice: { steps: 1 }, dryRun: false, requireSnapshot: false, lockTimeoutSeconds: 1, statementTimeoutSeconds: 60 },
      memoryLog(),
    ).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/DROP TABLE t2/);
    expect((err as Error).message).toMatch(/lock timeout/);
    // Every attempt sends the migration once; the last attempt's failure is run once more, statement by statement, to name it.
    const sent = wire.queries.filter((q) => q.includes('DROP TABLE t2'));
    expect(sent).toHaveLength(RETRY_DELAYS_MS.length + 1 + 1);
    expect(await trackingState(db, 'dbmate')).toEqual(['20240101000001', '20240101000002']);
  } finally {
    await blocker.release();
    await wire.stop();
  }
});
