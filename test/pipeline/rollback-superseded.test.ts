// An incident keyed by its workflow run (no `from`) whose run stopped midway, finished by a NEW run
// (a fixed down SQL reaches only a new run: Re-run jobs checks out the same commit). The new run is
// another incident key, so nothing ever closed the first run's row: it said 'started' forever, a
// rollback in progress to anyone reading rollback_kit.rollbacks. The run that finishes the work marks
// it superseded, and a later run for the first key (a re-run of the first run) reads it as finished,
// not as a plan to take up. Real PostgreSQL (dbmate migrations).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { withSession } from '../../src/db/session.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { readLedger, writeLedger } from '../../src/migrations/ledger.js';
import { runRollback, type RollbackRequest } from '../../src/pipeline/rollback.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { applyMigrations, tables, writeMigrations } from '../migrations/fixtures.js';
import { databaseRollbackRequest } from './requests.js';
import { appliedVersions } from './world.js';

const V = (i: number) => `2024010100000${i}`;

let db: TestDatabase;
let ws: string;
beforeEach(async () => {
  db = await createTestDatabase('rk_rollback_superseded');
  ws = await mkdtemp(join(tmpdir(), 'rk-rollback-superseded-'));
  await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', tables(3)), tables(3));
});
afterEach(async () => {
  await rm(ws, { recursive: true, force: true });
});

/** scope db on GitHub, run `runId`, no from: the incident is keyed by the run. */
function request(runId: string, choice: { steps: number } | { toVersion: string }): RollbackRequest {
  return databaseRollbackRequest(
    { method: 'down-migrations', migrationsDir: 'db/migrations', format: 'dbmate', choice, lockTimeoutSeconds: 10 },
    {
      database: parseConnectionString(db.url),
      workspace: ws,
      snapshotDir: join(ws, 'runner-temp', 'snapshots'),
      runnerTemp: join(ws, 'runner-temp'),
      github: { repository: 'acme/shop', apiUrl: 'http://127.0.0.1:9', runId, runUrl: `https://github.com/acme/shop/actions/runs/${runId}` },
    },
  );
}

const row = (key: string) => withSession(parseConnectionString(db.url), (s) => readLedger(s, key));
const statuses = async () => (await db.query<{ incident_key: string; status: string }>('SELECT incident_key, status FROM rollback_kit.rollbacks ORDER BY incident_key')).rows;

describe('a run-keyed incident finished by a new run', () => {
  it("marks the first run's row superseded, and a re-run of the first run finds nothing left", async () => {
    // Migration 2's down SQL fails: run 4242's plan (3, 2) stops after reverting 3.
    await writeMigrations(ws, 'dbmate', tables(3).map((s) => (s.version === V(2) ? { ...s, down: 'DROP TABLE no_such_table;' } : s)));
    const first = await runRollback(request('4242', { steps: 2 }), {}, memoryLog());
    expect(first.failedPhase).toBe('database');
    expect(await row('production:run-4242')).toMatchObject({ status: 'started', planned: [V(3), V(2)] });

    // The fix, in a new run ("Run workflow" again): another run id, so another incident key.
    await writeMigrations(ws, 'dbmate', tables(3));
    const log = memoryLog();
    const next = await runRollback(request('4243', { toVersion: V(1) }), {}, log);
    expect(next.status).toBe('rolled-back');
    expect(await appliedVersions(db)).toEqual([V(1)]);

    // Nothing is left 'started': the first run's row is closed, and says by what.
    expect(await statuses()).toEqual([
      { incident_key: 'production:run-4242', status: 'superseded' },
      { incident_key: 'production:run-4243', status: 'done' },
    ]);
    expect(next.timeline.find((e) => e.phase === 'database')!.detail).toContain('the unfinished ledger row of production:run-4242 marked superseded');
    expect(log.lines.join('\n')).toContain('marked superseded (by incident production:run-4243)');

    // A re-run of the first run (its key) does not take the plan up again, nor call it in progress.
    const rerun = await runRollback(request('4242', { steps: 2 }), {}, memoryLog());
    expect(rerun.status).toBe('nothing-to-do');
    expect(rerun.database).toMatchObject({ status: 'nothing-to-do', planned: [V(3), V(2)] });
    expect(rerun.timeline.find((e) => e.phase === 'database')!.detail).toContain('says superseded');
    // Its incident did not finish: it is not called finished, nor its database phase "rolled back".
    expect(rerun.nextSteps.join('\n')).not.toMatch(/is finished|rolled it back/);
    expect(await appliedVersions(db)).toEqual([V(1)]);
    expect((await row('production:run-4242'))!.status).toBe('superseded');
  });

  it("leaves a stopped run's row started while its plan still has work left, and never touches run-down-migrations' rows", async () => {
    const target = parseConnectionString(db.url);
    // A run that stopped before reverting anything of its plan (3, 2, 1), and a run-down-migrations row of its own method.
    await withSession(target, (s) => writeLedger(s, { incidentKey: 'production:run-1000', method: 'down-migrations', planned: [V(3), V(2), V(1)], reverted: [], status: 'started' }));
    await withSession(target, (s) => writeLedger(s, { incidentKey: 'run-down-migrations:7:db:step:schema_migrations', method: 'run-down-migrations', planned: [V(3)], reverted: [], status: 'started' }));
    const next = await runRollback(request('4243', { steps: 1 }), {}, memoryLog());
    expect(next.status).toBe('rolled-back');
    expect(await appliedVersions(db)).toEqual([V(1), V(2)]);
    // 2 and 1 of its plan are still applied: that plan is not finished, and its own re-run finishes it.
    expect((await row('production:run-1000'))!.status).toBe('started');
    expect((await row('run-down-migrations:7:db:step:schema_migrations'))!.status).toBe('started');
  });

  it("a restore that commits closes earlier incidents' restores left started, in its own transaction", async () => {
    const target = parseConnectionString(db.url);
    const good = (await takeSnapshot(wholeDatabaseSnapshot(target, { outputDir: join(ws, 'good'), label: 'before-deploy' }), memoryLog())).path;
    // Run 1000 wrote 'started' and stopped before its restore committed (nothing restored).
    await withSession(target, (s) => writeLedger(s, { incidentKey: 'production:run-1000', method: 'restore', planned: [], reverted: [], status: 'started' }));
    const restore = databaseRollbackRequest(
      { method: 'restore', format: 'auto', snapshotPath: good, lockTimeoutSeconds: 30 },
      { database: target, workspace: ws, snapshotDir: join(ws, 'snapshots'), github: { repository: 'acme/shop', apiUrl: 'http://127.0.0.1:9', runId: '4243' } },
    );
    const next = await runRollback(restore, { keepSnapshot: async () => 'before-rollback' }, memoryLog());
    expect(next.status).toBe('rolled-back');
    expect(await statuses()).toEqual([
      { incident_key: 'production:run-1000', status: 'superseded' },
      { incident_key: 'production:run-4243', status: 'done' },
    ]);
    // Its re-run does not restore again over what was written since.
    const rerun = await runRollback({ ...restore, github: { ...restore.github, runId: '1000' } }, { keepSnapshot: async () => 'before-rollback' }, memoryLog());
    expect(rerun.status).toBe('nothing-to-do');
    expect(rerun.timeline.find((e) => e.phase === 'database')!.detail).toContain('says superseded');
    // Its incident did not finish: it is not called finished, nor its database phase "rolled back".
    expect(rerun.nextSteps.join('\n')).not.toMatch(/is finished|rolled it back/);
  });
});
