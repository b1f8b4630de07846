// run-down-migrations stopped (SIGTERM) while a transactional migration RUNS (not waits for a lock):
// a statement that holds its locks and goes on (a long UPDATE; pg_sleep here) past the step's 5 s
// grace left the step saying its state was not known. A transactional migration rolls back whole,
// so it is cancelled shortly after the stop, and the step says it rolled back and is still applied.
// The action runs as the runner runs it (node, INPUT_* variables, file commands), from this source
// through tsx rather than the dist bundle, so the test reads the code it sits beside.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { RevertFailed, revertMigrations } from '../../src/migrations/revert.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { ROOT, runAction } from '../helpers/run-action.js';
import { applyMigrations, existingTables, tables, trackingState, workspace, writeMigrations, type Step } from './fixtures.js';
import { tempDir } from '../helpers/temp-dir.js';

const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** A dist-like folder whose run-down-migrations/index.js is this source's entry point. */
let dist: string;
beforeAll(async () => {
  dist = await tempDir('rk-src-dist-');
  await mkdir(join(dist, 'run-down-migrations'));
  // An ES module, as the bundles are: tsx would load a CommonJS one's import as a require, which top-level await refuses.
  await writeFile(join(dist, 'package.json'), '{ "type": "module" }\n');
  await writeFile(join(dist, 'run-down-migrations', 'index.js'), `import ${JSON.stringify(pathToFileURL(join(ROOT, 'src/actions/run-down-migrations.ts')).href)};\n`);
});

/** Resolves once the run's session is inside pg_sleep. */
async function sleeping(db: TestDatabase): Promise<void> {
  for (;;) {
    const { rowCount } = await db.query("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'rollback-kit run-down-migrations' AND wait_event = 'PgSleep'");
    if (rowCount) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('run-down-migrations stopped while a transactional migration runs', () => {
  it('cancels it shortly after the stop: it rolls back whole, and the step says it is still applied', async () => {
    const db = await createTestDatabase('rk_down_stopped_running');
    const ws = await workspace();
    const steps: Step[] = tables(2);
    // Runs for 60 s unless cancelled: well past the 5 s grace. Its DROP comes first, so a migration
    // that committed, or was left half done, would show in the schema.
    steps[1] = { ...steps[1]!, down: 'DROP TABLE t2;\nSELECT pg_sleep(60);' };
    await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', steps), steps);
    const started = Date.now();
    let stoppedAt = 0;
    const run = await runAction(
      'run-down-migrations',
      { 'database-url': db.url, 'require-snapshot': 'false', steps: '2', 'statement-timeout-seconds': '120' },
      {
        cwd: ws,
        dist,
        env: { NODE_OPTIONS: `--import ${TSX}` },
        timeoutMs: 60_000,
        whileRunning: async (child) => {
          await sleeping(db);
          stoppedAt = Date.now();
          child.kill('SIGTERM');
        },
      },
    );
    expect(run.code).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).not.toContain('not known');
    expect(run.errors[0]).toMatch(/^run-down-migrations was stopped by SIGTERM: Stopped \(SIGTERM\) while reverting 20240101000002_create_t2\.sql: the stop cancelled it\. /);
    // The cancel was the step's own stop: no fault.
    expect(run.errors[0]).toContain('The stop cancelled it, not a fault: run it again when it can run to its end');
    expect(run.errors[0]).toContain('Its transaction was rolled back: 20240101000002_create_t2.sql is still applied and unchanged in the schema and in public.schema_migrations.');
    expect(run.outputs.status).toBe('failed');
    expect(run.outputs.reverted).toBe('[]');
    // Within the grace, not after the 60 s sleep.
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    expect(Date.now() - started).toBeLessThan(40_000);
    // The DROP rolled back with the rest: nothing of the migration applied.
    expect(await existingTables(db)).toEqual(['t1', 't2']);
    expect(await trackingState(db, 'dbmate')).toEqual(['20240101000001', '20240101000002']);
  }, 70_000);

  it('a non-transactional one is not cancelled mid-statement: it ends, is recorded, and the run stops before the next', async () => {
    const db = await createTestDatabase('rk_down_stopped_running_nontx');
    const ws = await workspace();
    // The sleep outlasts the 2 s after which a transactional migration would be cancelled.
    const steps: Step[] = [{ version: '20240101000001', name: 'two', up: 'CREATE TABLE t1 (id int);', down: 'SELECT pg_sleep(3);\nDROP TABLE t1;', noTransaction: true }];
    await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', steps), steps);
    const stop = new AbortController();
    const options = { target: parseConnectionString(db.url), root: ws, format: 'dbmate' as const, choice: { steps: 1 }, dryRun: false, requireSnapshot: false, lockTimeoutSeconds: 10, statementTimeoutSeconds: 120, signal: stop.signal };
    const running = revertMigrations(options, memoryLog()).then(
      () => undefined,
      (e: unknown) => e,
    );
    await Promise.race([sleeping(db), running]);
    stop.abort(new Error('stopped by SIGTERM'));
    const err = await running;
    expect(err).toBeInstanceOf(RevertFailed);
    expect((err as RevertFailed).message).toMatch(/^Stopped in 20240101000001_two\.sql before its statement 2 of 2\. It runs statement by statement \(non-transactional\): 1 of 2 statement\(s\) ran and are recorded/);
    expect((err as RevertFailed).partial.stoppedIn).toMatchObject({ ran: 1, resumeAt: 2, unsure: false });
    expect(await existingTables(db)).toEqual(['t1']);
    expect((await db.query('SELECT cardinality(done) AS n FROM rollback_kit.down_progress')).rows).toEqual([{ n: 1 }]);
  });
});
