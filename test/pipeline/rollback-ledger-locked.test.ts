// The plan reads the rollback ledger before it takes the whole-rollback lock, so nothing else
// bounds that read: a session holding rollback_kit.rollbacks (ACCESS EXCLUSIVE: a VACUUM FULL, an
// ALTER TABLE left open) must end the plan at lock-timeout-seconds, naming that session and what to
// do, not hold it for as long as that session lives. The same holds for the read under the
// whole-rollback lock, before the snapshot: a session that takes the table after the plan read it
// ends the run named at lock-timeout-seconds, not at the lock session's deadline as a lost connection.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { closeSession, connect } from '../../src/db/session.js';
import { ROLLBACK_LOCK_KEY } from '../../src/pipeline/ledger.js';
import { writeLedger } from '../../src/migrations/ledger.js';
import { runRollback } from '../../src/pipeline/rollback.js';
import { createTestDatabase, holdTableLock, waitForLockWaiter, type TestDatabase } from '../helpers/pg.js';
import { applyMigrations, tables, writeMigrations } from '../migrations/fixtures.js';
import { appliedVersions } from './world.js';
import { databaseRollbackRequest } from './requests.js';

let db: TestDatabase;
let ws: string;
beforeEach(async () => {
  db = await createTestDatabase('rk_ledger_locked');
  ws = await mkdtemp(join(tmpdir(), 'rk-ledger-locked-'));
  await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', tables(2)), tables(2));
  // The ledger table exists (an earlier incident's row): the plan reads it.
  const s = await connect(parseConnectionString(db.url));
  await writeLedger(s, { incidentKey: 'earlier', method: 'down-migrations', planned: ['x'], reverted: ['x'], status: 'done' });
  await closeSession(s);
});
afterEach(async () => {
  await rm(ws, { recursive: true, force: true });
});

function request() {
  return databaseRollbackRequest(
    { method: 'down-migrations', migrationsDir: 'db/migrations', format: 'dbmate', choice: { steps: 1 }, lockTimeoutSeconds: 1 },
    { database: parseConnectionString(db.url), workspace: ws, snapshotDir: join(ws, 'snapshots'), github: { repository: '', apiUrl: 'http://127.0.0.1:9' } },
  );
}

it('a session holding the ledger table ends the plan at lock-timeout-seconds, naming it and what to do; nothing changed', async () => {
  const holder = await holdTableLock(db, 'rollback_kit.rollbacks', 'ACCESS EXCLUSIVE');
  try {
    const record = await runRollback(request(), {}, memoryLog());
    expect(record.status).toBe('failed');
    const text = [record.database?.error, ...record.nextSteps, ...record.timeline.map((t) => t.detail)].join('\n');
    expect(text).toContain('Reading the rollback ledger (rollback_kit.rollbacks)');
    expect(text).toContain('a lock was not granted within lock-timeout-seconds (1 s)');
    expect(text).toContain(`held by session pid ${holder.pid}`);
    expect(text).toContain('LOCK TABLE rollback_kit.rollbacks IN ACCESS EXCLUSIVE MODE');
    expect(text).toContain(`SELECT pg_terminate_backend(${holder.pid}) ends it`);
    expect(record.snapshot).toBeUndefined();
  } finally {
    await holder.release();
  }
  expect(await appliedVersions(db)).toEqual(['20240101000001', '20240101000002']);
});

it('a session that takes the ledger table after the plan ends the read under the whole-rollback lock at lock-timeout-seconds, naming it; nothing changed', async () => {
  // Another run holds the whole-rollback lock: this one plans (reading the ledger), then waits for it.
  const other = await connect(parseConnectionString(db.url));
  await other.query(`SELECT pg_advisory_lock(${ROLLBACK_LOCK_KEY}::bigint)`);
  const log = memoryLog();
  const running = runRollback(request(), {}, log);
  let holder: Awaited<ReturnType<typeof holdTableLock>> | undefined;
  try {
    while (!log.lines.some((l) => l.startsWith('Waiting up to '))) await new Promise((r) => setTimeout(r, 20));
    // The table is taken after the plan read it, and the lock given up: the run reads the ledger again under it.
    holder = await holdTableLock(db, 'rollback_kit.rollbacks', 'ACCESS EXCLUSIVE');
    await other.query(`SELECT pg_advisory_unlock(${ROLLBACK_LOCK_KEY}::bigint)`);
    const record = await running;
    expect(record.status).toBe('failed');
    const text = [record.database?.error, ...record.nextSteps, ...record.timeline.map((t) => t.detail)].join('\n');
    expect(text).toContain('Reading the rollback ledger (rollback_kit.rollbacks) of');
    expect(text).toContain('under the whole-rollback lock stopped: a lock was not granted within lock-timeout-seconds (1 s)');
    expect(text).toContain(`held by session pid ${holder.pid}`);
    expect(text).toContain(`SELECT pg_terminate_backend(${holder.pid}) ends it`);
    expect(record.database?.changed).toBe('no');
    expect(record.snapshot).toBeUndefined();
  } finally {
    await running.catch(() => undefined);
    await holder?.release();
    await closeSession(other);
  }
  expect(await appliedVersions(db)).toEqual(['20240101000001', '20240101000002']);
});

it('a session that takes the ledger table during the snapshot ends the write of the plan at lock-timeout-seconds, naming it; nothing changed', async () => {
  let holder: Awaited<ReturnType<typeof holdTableLock>> | undefined;
  const deps = {
    // The snapshot is taken: the ledger is taken before the plan's row is written.
    notify: async (event: { kind: string; entry?: { phase: string; status: string } }) => {
      if (event.kind === 'phase' && event.entry?.phase === 'snapshot' && event.entry.status === 'ok') holder ??= await holdTableLock(db, 'rollback_kit.rollbacks', 'ACCESS EXCLUSIVE');
    },
  };
  try {
    const record = await runRollback(request(), deps, memoryLog());
    expect(holder).toBeDefined();
    expect(record.status).toBe('failed');
    const text = [record.database?.error, ...record.nextSteps, ...record.timeline.map((t) => t.detail)].join('\n');
    expect(text).toContain("Writing this incident's row of the rollback ledger (rollback_kit.rollbacks) of");
    expect(text).toContain('stopped: a lock was not granted within lock-timeout-seconds (1 s)');
    expect(text).toContain(`held by session pid ${holder!.pid}`);
    expect(text).toContain(`SELECT pg_terminate_backend(${holder!.pid}) ends it`);
    expect(record.database?.changed).toBe('no');
  } finally {
    await holder?.release();
  }
  expect(await appliedVersions(db)).toEqual(['20240101000001', '20240101000002']);
});

it("a session that takes the ledger table while the plan is reverted: the revert stands, a warning names it, the row still says started", async () => {
  // The newest migration's down waits for a row of rk_go: the table is taken while it waits.
  await db.query('CREATE TABLE rk_go (x int)');
  const steps = tables(2);
  steps[1]!.down = `DO $$ BEGIN WHILE NOT EXISTS (SELECT 1 FROM rk_go) LOOP PERFORM pg_sleep(0.02); END LOOP; END $$;\n${steps[1]!.down}`;
  await writeMigrations(ws, 'dbmate', steps);
  const log = memoryLog();
  const running = runRollback(request(), {}, log);
  let holder: Awaited<ReturnType<typeof holdTableLock>> | undefined;
  try {
    while (!(await db.query("SELECT 1 FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%FROM rk_go%' AND pid <> pg_backend_pid()")).rowCount) await new Promise((r) => setTimeout(r, 20));
    holder = await holdTableLock(db, 'rollback_kit.rollbacks', 'ACCESS EXCLUSIVE');
    await db.query('INSERT INTO rk_go VALUES (1)');
    const record = await running;
    expect(record.database?.status).toBe('reverted');
    const warning = log.lines.find((l) => l.includes('could not be marked done'));
    expect(warning).toContain("The plan was reverted, but this incident's row in rollback_kit.rollbacks could not be marked done: Writing this incident's row");
    expect(warning).toContain(`held by session pid ${holder.pid}`);
    expect(log.lines.some((l) => l.includes('lock was lost'))).toBe(false);
  } finally {
    await running.catch(() => undefined);
    await holder?.release();
  }
  expect(await appliedVersions(db)).toEqual(['20240101000001']);
  expect((await db.query('SELECT status FROM rollback_kit.rollbacks WHERE incident_key <> $1', ['earlier'])).rows).toEqual([{ status: 'started' }]);
});

it('a stop in the plan of a split rollback\'s database job: its next step says only this job changed nothing, the earlier job\'s rollback stands', async () => {
  const holder = await holdTableLock(db, 'rollback_kit.rollbacks', 'ACCESS EXCLUSIVE');
  const stop = new AbortController();
  const appRolledBack = { phase: 'app' as const, component: 'web', started: new Date().toISOString(), 'duration-ms': 900, 'budget-ms': 60_000, status: 'ok' as const, detail: 'dpl_bad → dpl_good' };
  const req = {
    ...databaseRollbackRequest(
      { method: 'down-migrations', migrationsDir: 'db/migrations', format: 'dbmate', choice: { steps: 1 }, lockTimeoutSeconds: 3600 },
      { database: parseConnectionString(db.url), workspace: ws, snapshotDir: join(ws, 'snapshots'), github: { repository: '', apiUrl: 'http://127.0.0.1:9' }, signal: stop.signal },
    ),
    earlierTimeline: [appRolledBack],
  };
  const running = runRollback(req, {}, memoryLog());
  try {
    await waitForLockWaiter({ database: db.name, query: '%rollback_kit.rollbacks%' }, { unless: running });
    stop.abort(new Error('stopped by SIGINT'));
    const record = await running;
    expect(record.failedPhase).toBe('plan');
    expect(record.nextSteps).toContain('This job was stopped while planning, before it changed anything; what the earlier job rolled back stands: run this job again when it can run to its end.');
    expect(record.nextSteps.join(' ')).not.toContain('The rollback was stopped while planning, before it changed anything');
    // The stopped ledger read says "nothing was changed" of itself: in this job the earlier one did change production.
    const plan = record.timeline.find((t) => t.phase === 'plan' && t.status === 'failed')!;
    expect(plan.detail).toMatch(/to plan was stopped \(SIGINT\): this job changed nothing\./);
    expect(plan.detail).not.toMatch(/nothing was changed/i);
  } finally {
    stop.abort();
    await running.catch(() => undefined);
    await holder.release();
  }
});

it('a stop while the plan waits for the ledger table ends that wait at once: the plan row says it was stopped and nothing was changed', async () => {
  const holder = await holdTableLock(db, 'rollback_kit.rollbacks', 'ACCESS EXCLUSIVE');
  const stop = new AbortController();
  // A lock-timeout far past any stop's grace: only the stop can end this wait in time.
  const req = databaseRollbackRequest(
    { method: 'down-migrations', migrationsDir: 'db/migrations', format: 'dbmate', choice: { steps: 1 }, lockTimeoutSeconds: 3600 },
    { database: parseConnectionString(db.url), workspace: ws, snapshotDir: join(ws, 'snapshots'), github: { repository: '', apiUrl: 'http://127.0.0.1:9' }, signal: stop.signal },
  );
  const running = runRollback(req, {}, memoryLog());
  try {
    await waitForLockWaiter({ database: db.name, query: '%rollback_kit.rollbacks%' }, { unless: running });
    stop.abort(new Error('stopped by SIGINT'));
    const record = await running;
    expect(record.status).toBe('failed');
    const plan = record.timeline.find((t) => t.phase === 'plan')!;
    expect(plan).toMatchObject({ status: 'failed', stopped: true });
    expect(plan.detail).toMatch(/^Reading the rollback ledger \(rollback_kit\.rollbacks\) of 127\.0\.0\.1:5432\/rk_ledger_locked_[0-9a-f]+ to plan was stopped \(SIGINT\): nothing was changed\./);
    expect(record.nextSteps).toContain('The rollback was stopped while planning, before it changed anything: run it again when it can run to its end.');
  } finally {
    stop.abort();
    await running.catch(() => undefined);
    await holder.release();
  }
  expect(await appliedVersions(db)).toEqual(['20240101000001', '20240101000002']);
});
