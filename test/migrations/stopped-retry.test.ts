// run-down-migrations stopped while it waits to try a migration again after a lock timeout (or a
// deadlock): the attempt that timed out rolled back, so nothing of that migration was applied, and
// the stop must end the run there, saying so, not go on through every retry (each one a new wait
// of lock-timeout-seconds) until the step's grace time runs out and its state reads "not known".
import { describe, expect, it } from 'vitest';
import { createLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { RevertFailed, revertMigrations } from '../../src/migrations/revert.js';
import { createTestDatabase, holdTableLock, waitForLockWaiter } from '../helpers/pg.js';
import { applyMigrations, existingTables, tables, trackingState, workspace, writeMigrations } from './fixtures.js';

describe('run-down-migrations stopped between lock-timeout retries', () => {
  it('tries no more: the error is the rolled-back attempt, and the table and tracking are untouched', async () => {
    const db = await createTestDatabase('rk_down_stopped_retry');
    const ws = await workspace();
    const steps = tables(2);
    await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', steps), steps);
    const blocker = await holdTableLock(db, 't2');
    const stop = new AbortController();
    const lines: string[] = [];
    // The stop lands as the first retry is announced: the attempt before it has rolled back.
    const log = createLog({
      info: (m) => {
        lines.push(m);
        if (m.includes('trying again')) stop.abort(new Error('stopped by SIGTERM'));
      },
      warning: (m) => lines.push(`warning: ${m}`),
      debug: () => undefined,
    });
    const options = { target: parseConnectionString(db.url), root: ws, format: 'dbmate' as const, choice: { steps: 1 }, dryRun: false, requireSnapshot: false, lockTimeoutSeconds: 0.2, statementTimeoutSeconds: 120, signal: stop.signal };
    const err = await revertMigrations(options, log).then(
      () => undefined,
      (e: unknown) => e,
    );
    await blocker.release();
    expect(err).toBeInstanceOf(RevertFailed);
    expect(lines.filter((l) => l.includes('trying again'))).toHaveLength(1);
    expect((err as RevertFailed).message).toContain('lock timeout');
    expect((err as RevertFailed).message).not.toContain('tried 4 times');
    expect((err as RevertFailed).partial.reverted).toEqual([]);
    expect(await existingTables(db)).toEqual(['t1', 't2']);
    expect(await trackingState(db, 'dbmate')).toEqual(steps.map((s) => s.version));
  });
});

describe('run-down-migrations stopped while a down statement waits for a table lock', () => {
  it('ends a wait still going shortly after: the migration rolls back, and the lock holder is left alone', async () => {
    const db = await createTestDatabase('rk_down_stopped_wait');
    const ws = await workspace();
    const steps = tables(2);
    await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', steps), steps);
    const blocker = await holdTableLock(db, 't2');
    const stop = new AbortController();
    const lines: string[] = [];
    const log = createLog({ info: (m) => lines.push(m), warning: (m) => lines.push(`warning: ${m}`), debug: () => undefined });
    // Past the 5 s grace a stopped step has: without the stop ending it, the wait ends as a lock timeout.
    const options = { target: parseConnectionString(db.url), root: ws, format: 'dbmate' as const, choice: { steps: 1 }, dryRun: false, requireSnapshot: false, lockTimeoutSeconds: 8, statementTimeoutSeconds: 900, signal: stop.signal };
    const running = revertMigrations(options, log).then(
      () => undefined,
      (e: unknown) => e,
    );
    try {
      await waitForLockWaiter({ database: db.name, applicationName: 'rollback-kit run-down-migrations' }, { unless: running });
      stop.abort(new Error('stopped by SIGTERM'));
      const err = await running;
      expect(err).toBeInstanceOf(RevertFailed);
      expect((err as RevertFailed).message).toContain('20240101000002');
      expect((err as RevertFailed).message).not.toContain('lock timeout');
      expect((err as RevertFailed).message).toContain('Its transaction was rolled back');
      // Its own stop's cancel, said as a stop: nothing to fix, run it again.
      expect((err as RevertFailed).message).toContain('Stopped (SIGTERM) while reverting');
      expect((err as RevertFailed).hint).toContain('The stop cancelled it, not a fault');
      expect((err as RevertFailed).hint).not.toContain('statement-timeout-seconds');
      expect((err as RevertFailed).partial.reverted).toEqual([]);
      expect(lines.some((l) => l.includes('trying again'))).toBe(false);
      // The holder's transaction is untouched: it is still open and still holds its lock.
      const held = await db.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'idle in transaction'", [blocker.pid]);
      expect(held.rowCount).toBe(1);
    } finally {
      await blocker.release();
    }
    expect(await existingTables(db)).toEqual(['t1', 't2']);
    expect(await trackingState(db, 'dbmate')).toEqual(steps.map((s) => s.version));
  });
});
