// The whole rollback by restore writes its incident's 'done' row in the restore's own transaction.
// Written after the COMMIT, a run whose lock session died in between (network, runner killed)
// reported "whether the restore committed is not known" though it had, and its re-run found
// 'started' and restored the snapshot again, over every write made since. And the restore keeps the
// ledger as it was: a snapshot taken after earlier rollbacks holds the ledger of that time, which
// must not come back over the rows of incidents rolled back since. Real PostgreSQL.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { connect } from '../../src/db/session.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { writeLedger, type LedgerRow } from '../../src/migrations/ledger.js';
import { lockRollback, unlockRollback } from '../../src/pipeline/ledger.js';
import { runRollback, type RollbackRequest } from '../../src/pipeline/rollback.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { databaseRollbackRequest } from './requests.js';

let db: TestDatabase;
let ws: string;
beforeEach(async () => {
  db = await createTestDatabase('rk_rollback_restore_ledger');
  ws = await mkdtemp(join(tmpdir(), 'rk-rollback-restore-ledger-'));
  await db.query('CREATE TABLE public.orders (id int PRIMARY KEY); INSERT INTO public.orders SELECT generate_series(1, 100)');
});
afterEach(async () => {
  await rm(ws, { recursive: true, force: true });
});

const row = (incidentKey: string, status: 'started' | 'done'): LedgerRow => ({ incidentKey, method: 'restore', planned: [], reverted: [], status });

async function ledgerRow(key: string, status: 'started' | 'done'): Promise<void> {
  const s = await connect(parseConnectionString(db.url));
  try {
    await writeLedger(s, row(key, status));
  } finally {
    await s.end();
  }
}

async function goodSnapshot(): Promise<string> {
  return (await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: join(ws, 'good'), label: 'before-deploy' }), memoryLog())).path;
}

function request(snapshotPath: string): RollbackRequest {
  return databaseRollbackRequest(
    { method: 'restore', format: 'auto', snapshotPath, lockTimeoutSeconds: 30 },
    { reason: 'orders double-charged', database: parseConnectionString(db.url), workspace: ws, snapshotDir: join(ws, 'rollback-kit-snapshots'), github: { repository: '', apiUrl: 'http://127.0.0.1:9' } },
  );
}

async function ledger(): Promise<Record<string, string>> {
  const { rows } = await db.query<{ incident_key: string; status: string }>('SELECT incident_key, status FROM rollback_kit.rollbacks ORDER BY incident_key');
  return Object.fromEntries(rows.map((r) => [r.incident_key, r.status]));
}

it("the lock session dies as 'done' is written after the restore: the row says done all the same, and a re-run does not restore again", async () => {
  const good = await goodSnapshot();
  await db.query('INSERT INTO public.orders SELECT generate_series(101, 120)');
  // Another incident's row, rolled back since the snapshot: the table exists for the trigger below.
  await ledgerRow('production:other', 'done');
  // Any session but the restore's own that writes a 'done' row dies on the spot, as the lock
  // session would on a network blip right after the restore's COMMIT. And no row may be deleted,
  // as for a role that may write the ledger and not delete from it: a snapshot without a ledger of
  // its own leaves the table as it was, and the restore has nothing to put back.
  await db.query(`CREATE FUNCTION public.rk_die() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'permission denied for table rollbacks';
      END IF;
      IF NEW.status = 'done' AND current_setting('application_name') NOT LIKE 'rollback-kit-restore-%' THEN
        PERFORM pg_terminate_backend(pg_backend_pid());
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER rk_die BEFORE INSERT OR UPDATE OR DELETE ON rollback_kit.rollbacks FOR EACH ROW EXECUTE FUNCTION public.rk_die()`);

  const first = await runRollback(request(good), { keepSnapshot: async () => 'before-rollback' }, memoryLog());
  // Soft: the re-run below is the data loss, and runs whatever these say.
  expect.soft(first.database?.status, first.database?.error).toBe('restored');
  expect.soft(first.nextSteps.join('\n')).not.toContain('not known');
  expect((await db.query('SELECT count(*)::int AS n FROM public.orders')).rows[0]).toEqual({ n: 100 });
  expect.soft(await ledger()).toEqual({ [first.incidentKey]: 'done', 'production:other': 'done' });

  // The same rollback again, nothing written since: the same incident, nothing to do.
  const same = await runRollback(request(good), { keepSnapshot: async () => 'before-rollback-2' }, memoryLog());
  expect(same.incidentKey).toBe(first.incidentKey);
  expect(same.status).toBe('nothing-to-do');
  expect(same.database?.status).toBe('nothing-to-do');

  // Written between the runs: a second restore of the snapshot would discard it. Under a key that
  // names no incident, the run cannot tell a re-run from a new incident's damage: it restores
  // nothing, and says so as a failure rather than "nothing to do".
  await db.query('INSERT INTO public.orders VALUES (5000)');
  const again = await runRollback(request(good), { keepSnapshot: async () => 'before-rollback-2' }, memoryLog());
  expect(again.incidentKey).toBe(first.incidentKey);
  expect(again).toMatchObject({ status: 'failed', failedPhase: 'plan' });
  expect(again.timeline.find((r) => r.phase === 'plan')!.detail).toContain('The database was NOT restored');
  expect((await db.query('SELECT count(*)::int AS n FROM public.orders WHERE id = 5000')).rows[0]).toEqual({ n: 1 });
});

it('a snapshot holding an older ledger: the restore keeps the ledger as it was, with its own row done', async () => {
  // Rolled back before the snapshot was taken: their rows are in it.
  await ledgerRow('production:a', 'done');
  await ledgerRow('production:b', 'started');
  const good = await goodSnapshot();
  // Since: b finished, c rolled back, a's row deleted by hand (to plan them afresh).
  await ledgerRow('production:b', 'done');
  await ledgerRow('production:c', 'done');
  await db.query("DELETE FROM rollback_kit.rollbacks WHERE incident_key = 'production:a'");
  await db.query('INSERT INTO public.orders SELECT generate_series(101, 120)');

  const log = memoryLog();
  const record = await runRollback(request(good), { keepSnapshot: async () => 'before-rollback' }, log);
  // Kept as it was: not said to hold fewer rows than before (3 kept, where the snapshot has 2).
  expect(log.lines.join('\n')).toContain('public.orders holds 20 row(s) fewer than before the restore');
  expect(log.lines.join('\n')).not.toContain('rollback_kit.rollbacks holds');
  expect(record.database?.status, record.database?.error).toBe('restored');
  expect((await db.query('SELECT count(*)::int AS n FROM public.orders')).rows[0]).toEqual({ n: 100 });
  expect(await ledger()).toEqual({ 'production:b': 'done', 'production:c': 'done', [record.incidentKey]: 'done' });
});

// The database alone, without from, keys every incident production:database. The next incident's
// restore (another snapshot) must not be skipped as "already rolled back for this incident".
it('a restore of another snapshot under a finished restore\'s key: stops in plan, naming it; the same snapshot again is nothing to do', async () => {
  const count = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM public.orders')).rows[0]!.n;
  const first = await goodSnapshot();
  await db.query('INSERT INTO public.orders SELECT generate_series(101, 120)');
  const done = await runRollback(request(first), { keepSnapshot: async () => 'before-rollback' }, memoryLog());
  expect(done).toMatchObject({ status: 'rolled-back', incidentKey: 'production:database', database: { status: 'restored' } });
  expect(await count()).toBe(100);

  // The same rollback again: the same incident, nothing to do.
  const again = await runRollback(request(first), { keepSnapshot: async () => 'before-rollback' }, memoryLog());
  expect(again).toMatchObject({ status: 'nothing-to-do', database: { status: 'nothing-to-do' } });

  // Days later: a snapshot before the next deploy, which goes bad.
  await db.query('INSERT INTO public.orders SELECT generate_series(101, 105)');
  const second = (await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: join(ws, 'second'), label: 'before-deploy-2' }), memoryLog())).path;
  await db.query('INSERT INTO public.orders SELECT generate_series(106, 135)');
  const refused = await runRollback(request(second), { keepSnapshot: async () => 'before-rollback' }, memoryLog());
  expect(refused).toMatchObject({ status: 'failed', failedPhase: 'plan', incidentKey: 'production:database' });
  const plan = refused.timeline.find((r) => r.phase === 'plan')!;
  expect(plan.detail).toMatch(/An earlier run for incident production:database finished rolling the database back \(it restored the snapshot with sha256 [0-9a-f]{12}…\), and this run restores another one/);
  // No component: from is refused there, so neither names it; the row's DELETE is the way forward.
  expect(plan.detail).toContain('the run rolls back the database alone, and the plan has no component for from to name');
  expect(plan.detail).not.toContain('pass from');
  expect(plan.detail).toContain("delete the earlier incident's row first (DELETE FROM rollback_kit.rollbacks WHERE incident_key = 'production:database'), then run again");
  expect(await count()).toBe(135);

  // A row an earlier version wrote does not say which snapshot: under this key, nothing tells.
  await db.query(`UPDATE rollback_kit.rollbacks SET snapshot = '{}' WHERE incident_key = 'production:database'`);
  const unknown = await runRollback(request(first), { keepSnapshot: async () => 'before-rollback' }, memoryLog());
  expect(unknown).toMatchObject({ status: 'failed', failedPhase: 'plan' });
  expect(unknown.timeline.find((r) => r.phase === 'plan')!.detail).toContain('does not say which snapshot it restored');
  expect(await count()).toBe(135);
});

it('another run finishes a restore of another snapshot after this run planned: stopped in the database phase, saying only the database is unchanged', async () => {
  const good = await goodSnapshot();
  await db.query('INSERT INTO public.orders SELECT generate_series(101, 120)');
  const target = parseConnectionString(db.url);
  // The other run holds the whole-rollback lock while this one plans, and finishes its restore.
  const other = await lockRollback(target, 5, memoryLog());
  let finishing: Promise<void> | undefined;
  const finishOther = async () => {
    await writeLedger(other, { ...row('production:database', 'done'), snapshot: ['f'.repeat(64)] });
    await unlockRollback(other);
  };
  const running = runRollback(request(good), { keepSnapshot: async () => 'before-rollback', progress: { started: (phase) => void (phase === 'snapshot' && (finishing ??= finishOther())), finished: () => undefined } }, memoryLog());
  const refused = await running.finally(() => finishing ?? unlockRollback(other));
  expect(refused).toMatchObject({ status: 'failed', failedPhase: 'database', database: { status: 'failed', changed: 'no' } });
  const detail = refused.timeline.find((r) => r.phase === 'database' && r.status === 'failed')!.detail;
  expect(detail).toContain('and this run restores another one');
  expect(detail).toContain('called it rolled back. Another run finished that restore after this run planned; this run changed nothing in the database.');
  expect(detail).not.toContain('Nothing was changed');
  expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM public.orders')).rows[0]!.n).toBe(120);
});

it('a row this version wrote without a snapshot (its manifest was unreadable then) is not called an earlier version\'s', async () => {
  const good = await goodSnapshot();
  const s = await connect(parseConnectionString(db.url));
  try {
    await writeLedger(s, { ...row('production:database', 'done'), snapshot: [] });
  } finally {
    await s.end();
  }
  const refused = await runRollback(request(good), { keepSnapshot: async () => 'before-rollback' }, memoryLog());
  const detail = refused.timeline.find((r) => r.phase === 'plan')!.detail;
  expect(detail).toContain("the earlier run's row does not say which snapshot it restored");
  expect(detail).not.toContain('earlier version');
});

it("a finished row of the other method under the key: a restore stops in plan rather than finding it done", async () => {
  const good = await goodSnapshot();
  await db.query('INSERT INTO public.orders SELECT generate_series(101, 120)');
  const s = await connect(parseConnectionString(db.url));
  try {
    await writeLedger(s, { incidentKey: 'production:database', method: 'down-migrations', planned: ['3'], applied: ['1', '2', '3'], reverted: ['3'], status: 'done' });
  } finally {
    await s.end();
  }
  const refused = await runRollback(request(good), { keepSnapshot: async () => 'before-rollback' }, memoryLog());
  expect(refused).toMatchObject({ status: 'failed', failedPhase: 'plan' });
  expect(refused.timeline.find((r) => r.phase === 'plan')!.detail).toContain("(it reverted 3), and this run's database section asks for restore");
  expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM public.orders')).rows[0]!.n).toBe(120);
});
