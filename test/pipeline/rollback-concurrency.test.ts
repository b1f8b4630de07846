// Two whole rollbacks of one database at once (runRollback, as the root action and the CLI call it),
// on real PostgreSQL with dbmate migrations: "Run workflow" pressed twice, or the automatic trigger
// racing a person. The whole-rollback lock is held from before the snapshot to the end of the
// database change, so the second run waits for the first, takes no snapshot, and reports
// nothing-to-do; the lock goes on every path (a failed snapshot, a refusal), and a lock that is not
// released in time ends the wait with an error naming who holds it, nothing changed.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { withSession } from '../../src/db/session.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { lockHolders } from '../../src/migrations/lock.js';
import { ROLLBACK_LOCK_KEY } from '../../src/pipeline/ledger.js';
import type { RollbackRecord } from '../../src/pipeline/record.js';
import { runRollback, type RollbackDeps, type RollbackRequest } from '../../src/pipeline/rollback.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { applyMigrations, tables, writeMigrations } from '../migrations/fixtures.js';
import { appliedVersions } from './world.js';
import { databaseRollbackRequest } from './requests.js';

const V = (i: number) => `2024010100000${i}`;

let db: TestDatabase;
let ws: string;
beforeEach(async () => {
  db = await createTestDatabase('rk_rollback_concurrency');
  ws = await mkdtemp(join(tmpdir(), 'rk-rollback-concurrency-'));
  await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', tables(3)), tables(3));
});
afterEach(async () => {
  await rm(ws, { recursive: true, force: true });
});

/** scope db, steps 1, no verify; `runId` names the incident (a run of its own is an incident of its own). */
function request(opts: { runId: string; snapshotDir?: string; budgetMinutes?: number }): RollbackRequest {
  return databaseRollbackRequest(
    { method: 'down-migrations', migrationsDir: 'db/migrations', format: 'dbmate', choice: { steps: 1 }, lockTimeoutSeconds: 10 },
    {
      budgetMinutes: opts.budgetMinutes,
      reason: 'checkout returns 500 after the 14:02 deploy',
      database: parseConnectionString(db.url),
      workspace: ws,
      snapshotDir: opts.snapshotDir ?? join(ws, 'snapshots'),
      github: { repository: 'acme/shop', apiUrl: 'http://127.0.0.1:9', runId: opts.runId },
    },
  );
}

const rows = (r: RollbackRecord) => r.timeline.map((e) => `${e.phase}=${e.status}`);
const row = (r: RollbackRecord, phase: string) => r.timeline.find((e) => e.phase === phase)!;

async function rollbackLockHolders(): Promise<number[]> {
  return (await withSession(parseConnectionString(db.url), (s) => lockHolders(s, ROLLBACK_LOCK_KEY))).map((h) => h.pid);
}

async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((r) => setTimeout(r, 20));
}

/**
 * Two runs started together. The first to end its snapshot phase (it holds the whole-rollback lock)
 * goes on to change the database only once the other run says it waits for that lock: the other
 * run has planned the same revert by then, and must wait rather than dump beside it.
 */
async function twoAtOnce(runIds: [string, string], make: (runId: string) => RollbackRequest = (runId) => request({ runId })) {
  const logs = [memoryLog(), memoryLog()];
  const ended = [false, false];
  let holder: number | undefined;
  const deps = (i: number): RollbackDeps => ({
    notify: async (event) => {
      if (event.kind !== 'phase' || event.entry.phase !== 'snapshot' || event.entry.status !== 'ok' || holder !== undefined) return;
      holder = i;
      // Or until the other run has ended without waiting (it did not wait for this one's lock).
      await until(() => ended[1 - i]! || logs[1 - i]!.lines.some((l) => l.startsWith('Waiting up to ')));
    },
  });
  const records = await Promise.all([0, 1].map((i) => runRollback(make(runIds[i]!), deps(i), logs[i]!).finally(() => (ended[i] = true))));
  expect(holder, 'neither run took a snapshot').toBeDefined();
  return { first: records[holder!]!, second: records[1 - holder!]!, secondLog: logs[1 - holder!]!.lines.join('\n') };
}

describe('two whole rollbacks of one database at once', () => {
  it('the same incident: one reverts; the other waits for it before its snapshot, takes none, and reports nothing-to-do', async () => {
    const { first, second, secondLog } = await twoAtOnce(['4242', '4242']);
    expect(first.status).toBe('rolled-back');
    expect(first.database).toMatchObject({ status: 'reverted', reverted: [V(3)] });
    expect(second.status).toBe('nothing-to-do');
    expect(second.failedPhase).toBeUndefined();
    expect(second.snapshot, 'the waiting run took a needless snapshot').toBeUndefined();
    expect(rows(second)).toEqual(expect.arrayContaining(['snapshot=skipped', 'database=nothing-to-do', 'verify=skipped']));
    expect(row(second, 'database').detail).toBe('another run already rolled the database back for this incident');
    expect(second.nextSteps.join('\n')).toContain('Another run rolled the database back while this one was on its way; this run changed nothing in the database.');
    // The wait is said, with who holds the lock.
    expect(secondLog).toMatch(/Waiting up to 480 s for the whole-rollback lock \(another rollback of this database is running, key \d+\), held by pid \d+ \(application "rollback-kit"/);
    expect(await appliedVersions(db)).toEqual([V(1), V(2)]);
    expect(await rollbackLockHolders()).toEqual([]);
  });

  it('two incidents (each run its own): the waiting run reads from the tracking table that its plan was reverted, and takes no snapshot', async () => {
    const { first, second } = await twoAtOnce(['4242', '4243']);
    expect(first.status).toBe('rolled-back');
    expect(second.status).toBe('nothing-to-do');
    expect(second.snapshot, 'the waiting run took a needless snapshot').toBeUndefined();
    expect(rows(second)).toEqual(expect.arrayContaining(['snapshot=skipped', 'database=nothing-to-do']));
    expect(row(second, 'database').detail).toBe(`none of the planned migrations (${V(3)}) is applied any more: another run reverted them after this one planned`);
    expect(second.database).toMatchObject({ planned: [V(3)], reverted: [V(3)] });
    expect(await appliedVersions(db)).toEqual([V(1), V(2)]);
    // It never wrote a row: it did nothing.
    expect((await db.query('SELECT incident_key FROM rollback_kit.rollbacks')).rows).toEqual([{ incident_key: first.incidentKey }]);
  });

  it('started together over and over: always one rolled-back and one nothing-to-do, never a failed snapshot', async () => {
    for (let round = 0; round < 5; round++) {
      // A fresh incident each round, and the migration reverted last round applied again.
      if (round > 0) await applyMigrations(db, 'dbmate', join(ws, 'db/migrations'), tables(3));
      const records = await Promise.all([0, 1].map(() => runRollback(request({ runId: `run-${round}` }), {}, memoryLog())));
      expect(records.map((r) => r.failedPhase), `round ${round}`).toEqual([undefined, undefined]);
      expect(records.map((r) => r.status).sort(), `round ${round}`).toEqual(['nothing-to-do', 'rolled-back']);
      expect(records.filter((r) => r.snapshot), `round ${round}: snapshots taken`).toHaveLength(1);
      expect(await appliedVersions(db)).toEqual([V(1), V(2)]);
    }
  });
});

describe('two whole rollbacks by restore at once', () => {
  it('restore once: the second run waits for the first, takes no snapshot of its own, and reports nothing-to-do', async () => {
    await db.query('CREATE TABLE public.orders (id int PRIMARY KEY); INSERT INTO public.orders SELECT generate_series(1, 100)');
    const good = await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: join(ws, 'good'), label: 'before-deploy' }), memoryLog());
    await db.query('INSERT INTO public.orders SELECT generate_series(101, 120)');
    const restore = (runId: string): RollbackRequest => {
      const r = request({ runId });
      return { ...r, plan: { ...r.plan, database: { method: 'restore', format: 'auto', snapshotPath: good.path, lockTimeoutSeconds: 10 } } };
    };
    const { first, second, secondLog } = await twoAtOnce(['4242', '4242'], restore);
    expect(first.status).toBe('rolled-back');
    expect(first.database?.status).toBe('restored');
    expect(second.status).toBe('nothing-to-do');
    expect(second.snapshot, 'the waiting run took a needless snapshot').toBeUndefined();
    expect(rows(second)).toEqual(expect.arrayContaining(['snapshot=skipped', 'database=nothing-to-do']));
    expect(row(second, 'database').detail).toBe('another run already rolled the database back for this incident');
    expect(secondLog).toContain('Waiting up to 480 s for the whole-rollback lock');
    expect((await db.query('SELECT count(*)::int AS n FROM public.orders')).rows[0]).toEqual({ n: 100 });
    expect(await rollbackLockHolders()).toEqual([]);
  });
});

describe('the whole-rollback lock is released on every path', () => {
  it('after a failed snapshot: a later run takes it and rolls back', async () => {
    const failed = await runRollback(request({ runId: '1', snapshotDir: '/dev/null/snapshots' }), {}, memoryLog());
    expect(failed.status).toBe('failed');
    expect(failed.failedPhase).toBe('snapshot');
    expect(await rollbackLockHolders()).toEqual([]);
    const later = await runRollback(request({ runId: '1' }), {}, memoryLog());
    expect(later.status).toBe('rolled-back');
    expect(await appliedVersions(db)).toEqual([V(1), V(2)]);
  });

  /** A deploy applies 4 (a new migration) while the rollback runs. */
  async function applyFour(): Promise<void> {
    const four = tables(4)[3]!;
    await writeMigrations(ws, 'dbmate', [four]);
    await db.query(four.up);
    await db.query('INSERT INTO schema_migrations (version) VALUES ($1)', [four.version]);
  }

  it.each([
    ['before its snapshot (under the lock, what is left of the plan)', 'start'],
    ['in the database phase (after its snapshot)', 'snapshot'],
  ])('after a refusal %s: nothing changed, and a later run takes the lock and rolls back', async (_, when) => {
    const deps: RollbackDeps = {
      notify: async (event) => {
        if (event.kind === when || (event.kind === 'phase' && event.entry.phase === when)) await applyFour();
      },
    };
    const refused = await runRollback(request({ runId: '1' }), deps, memoryLog());
    expect(refused.status).toBe('failed');
    expect(refused.failedPhase).toBe('database');
    expect(refused.database?.error).toContain(`${V(4)}_create_t4.sql was applied since`);
    expect(await appliedVersions(db)).toEqual([V(1), V(2), V(3), V(4)]);
    expect(await rollbackLockHolders()).toEqual([]);
    // Another incident plans afresh: steps 1 is the new migration.
    const later = await runRollback(request({ runId: '2' }), {}, memoryLog());
    expect(later.status).toBe('rolled-back');
    expect(later.database?.reverted).toEqual([V(4)]);
    expect(await appliedVersions(db)).toEqual([V(1), V(2), V(3)]);
  });
});

describe('a whole-rollback lock that is not released', () => {
  it('ends the wait at its bound, with an error naming the holder, nothing changed', async () => {
    const other = new pg.Client({ connectionString: db.url, application_name: 'rk-test-other-rollback' });
    await other.connect();
    try {
      const pid = (await other.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await other.query('SELECT pg_advisory_lock($1::bigint)', [ROLLBACK_LOCK_KEY]);
      const log = memoryLog();
      // budget-minutes 1: the snapshot and database phases' 32 s together.
      const record = await runRollback(request({ runId: '1', budgetMinutes: 1 }), {}, log);
      expect(record.status).toBe('failed');
      expect(record.failedPhase).toBe('database');
      expect(record.snapshot).toBeUndefined();
      expect(rows(record)).toEqual(expect.arrayContaining(['snapshot=skipped', 'database=failed']));
      const error = row(record, 'database').detail;
      expect(error).toMatch(new RegExp(`^Another run holds the whole-rollback lock \\(another rollback of this database is running, advisory key ${ROLLBACK_LOCK_KEY}\\) and did not release it within 32 s: pid ${pid} \\(application "rk-test-other-rollback"`));
      expect(error).toContain(`SELECT pg_terminate_backend(${pid})`);
      expect(error).toMatch(/This run changed nothing in the database\.$/);
      expect(log.lines.join('\n')).toContain(`Waiting up to 32 s for the whole-rollback lock (another rollback of this database is running, key ${ROLLBACK_LOCK_KEY}), held by pid ${pid} (application "rk-test-other-rollback"`);
      expect(await appliedVersions(db)).toEqual([V(1), V(2), V(3)]);
      expect((await db.query("SELECT to_regclass('rollback_kit.rollbacks') IS NULL AS none")).rows[0]).toEqual({ none: true });
      expect(await rollbackLockHolders()).toEqual([pid]);
    } finally {
      await other.end();
    }
  });
});
