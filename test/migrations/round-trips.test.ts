// Each time a run waits for the database's answer costs it the network's latency, and on a quiet
// machine the run's fixed waits are most of what it costs beyond Node's own start (BENCHMARKS.md).
// These count them through a proxy that passes every byte on: the run's own are a handful, and the
// rest is one per migration (its down SQL and bookkeeping in one transaction).
import { describe, expect, it } from 'vitest';
import { parseConnectionString } from '../../src/db/connection.js';
import { withSession } from '../../src/db/session.js';
import { readLedger, writeLedger, type LedgerRow } from '../../src/migrations/ledger.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';
import { startWireLog, type WireLog } from '../helpers/wire-log.js';
import { applyMigrations, existingTables, tables, trackingState, workspace, writeMigrations } from './fixtures.js';

/** The database's URL through the proxy. */
function through(db: TestDatabase, wire: WireLog): string {
  const url = new URL(db.url);
  url.host = `127.0.0.1:${wire.port}`;
  return url.toString();
}

describe('run-down-migrations round trips', () => {
  it('reverts n migrations in n + 6 round trips as GitHub runs it, the plan recorded for a re-run', async () => {
    const db = await createTestDatabase('rk_down_trips');
    const ws = await workspace();
    const steps = tables(3);
    const dir = await writeMigrations(ws, 'plain', steps);
    await applyMigrations(db, 'plain', dir, steps);
    const wire = await startWireLog();
    try {
      const run = await runAction(
        'run-down-migrations',
        { 'database-url': through(db, wire), 'migrations-dir': 'migrations', format: 'plain', steps: '3', 'require-snapshot': 'false' },
        { cwd: ws, env: { GITHUB_RUN_ATTEMPT: '1', GITHUB_JOB: 'rollback', GITHUB_ACTION: 'down' } },
      );
      expect(run.errors).toEqual([]);
      expect(run.outputs.count).toBe('3');
      expect(await existingTables(db)).toEqual([]);
      expect(await trackingState(db, 'plain')).toEqual([]);
      // The plan was recorded for a re-run, and what was reverted added to it.
      const ledger = await db.query(`SELECT planned, reverted, status FROM rollback_kit.rollbacks`);
      expect(ledger.rows).toEqual([{ planned: steps.map((s) => s.version).reverse(), reverted: steps.map((s) => s.version).reverse(), status: 'done' }]);
      // The startup; the settings, the lock and which tables exist; the tracking table's rows; the
      // plan recorded; one per migration; the record of what was reverted; the lock released.
      expect(wire.roundTrips, wire.queries.join('\n-----\n')).toBe(steps.length + 6);
    } finally {
      await wire.stop();
    }
  });

  it('writes a ledger row in one round trip, every value as it was given', async () => {
    const db = await createTestDatabase('rk_ledger_trips');
    const wire = await startWireLog();
    try {
      const target = parseConnectionString(through(db, wire));
      // Values a user's deploy ids and step names can bring: quotes, backslashes, what array text would split on.
      const row: LedgerRow = { incidentKey: `prod:web@o'k\\1,"2"`, method: 'run-down-migrations', keepVersion: `it's`, planned: ['3,4', '{2}', 'a"b', 'NULL'], kept: [`c\\d`], applied: ['1', '3,4', 'NULL'], snapshot: [`e'f`], firstSnapshot: [`path=/s/it's,a.dump`, 'sha256=ab'], reverted: [], status: 'started' };
      await withSession(target, async (s) => {
        const before = wire.roundTrips;
        await writeLedger(s, row);
        expect(wire.roundTrips - before).toBe(1);
        // Again, over the table the first write made: still one.
        await writeLedger(s, { ...row, reverted: ['3,4'], status: 'done' });
        expect(wire.roundTrips - before).toBe(2);
      });
      expect(await withSession(target, (s) => readLedger(s, row.incidentKey))).toEqual({ ...row, reverted: ['3,4'], status: 'done' });
    } finally {
      await wire.stop();
    }
  });
});
