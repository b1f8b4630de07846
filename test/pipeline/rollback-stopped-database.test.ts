// The whole rollback stopped (Ctrl-C, a cancelled job) while a transactional down migration runs: the
// run cancels it STOP_CANCEL_MS later (revert.ts), its transaction rolls back, and PostgreSQL answers
// "canceling statement due to user request" (57014). That cancel is the run's own stop, not a fault:
// the run must say it stopped in the database, that nothing of the migration was reverted, and that
// the next step is to run it again, not "Do what the error says". Real dbmate migrations, the real server.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { runRollback } from '../../src/pipeline/rollback.js';
import { closingLines, failedRunError } from '../../src/report/rollback-summary.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { applyMigrations, tables, writeMigrations, type Step } from '../migrations/fixtures.js';
import { appliedVersions } from './world.js';
import { databaseRollbackRequest } from './requests.js';

const V = (i: number) => `2024010100000${i}`;

let db: TestDatabase;
let ws: string;
beforeEach(async () => {
  db = await createTestDatabase('rk_rollback_stopped_db');
  ws = await mkdtemp(join(tmpdir(), 'rk-rollback-stopped-db-'));
  const steps: Step[] = tables(2);
  // Still sleeping when the stop's cancel comes: the cancel, not the sleep, ends it.
  steps[1] = { ...steps[1]!, down: 'SELECT pg_sleep(30);\nDROP TABLE t2;' };
  await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', steps), steps);
});
afterEach(async () => {
  await rm(ws, { recursive: true, force: true });
});

async function downSleeping(): Promise<void> {
  for (;;) {
    const { rowCount } = await db.query("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'rollback-kit run-down-migrations' AND wait_event = 'PgSleep'");
    if (rowCount) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

it('a transactional down migration cancelled by the run\'s stop: "stopped in database", nothing reverted, run again', async () => {
  const stop = new AbortController();
  const request = databaseRollbackRequest(
    { method: 'down-migrations', migrationsDir: 'db/migrations', format: 'dbmate', choice: { steps: 2 }, lockTimeoutSeconds: 10 },
    {
      reason: 'checkout returns 500 after the 14:02 deploy',
      database: parseConnectionString(db.url),
      workspace: ws,
      snapshotDir: join(ws, 'snapshots'),
      github: { repository: 'acme/shop', apiUrl: 'http://127.0.0.1:9' },
      signal: stop.signal,
    },
  );
  const running = runRollback(request, {}, memoryLog());
  running.catch(() => undefined);
  await downSleeping();
  stop.abort(new Error('stopped by SIGINT'));
  const record = await running;

  expect(record.status).toBe('failed');
  expect(record.failedPhase).toBe('database');
  expect(record.database?.reverted).toEqual([]);
  expect(await appliedVersions(db)).toEqual([V(1), V(2)]);
  const row = record.timeline.find((e) => e.phase === 'database' && e.status === 'failed');
  expect(row?.stopped).toBe(true);
  expect(row?.detail).toMatch(/^Stopped \(SIGINT\) while reverting 20240101000002_create_t2\.sql: the stop cancelled it\. Its transaction was rolled back: 20240101000002_create_t2\.sql is still applied and unchanged/);

  const [status, ...steps] = closingLines(record);
  expect(status).toMatch(/^Rollback stopped in database/);
  expect(failedRunError(record).message).toMatch(/^Rollback stopped in database: Stopped \(SIGINT\)/);
  const said = steps.join('\n');
  expect(said).toContain('none of it reverted');
  expect(said).toContain('The run was stopped, not failed: run the same rollback again when it can run to its end');
  expect(said).not.toContain('Do what the error says');
  expect(said).not.toContain('before this run changed it');
});
