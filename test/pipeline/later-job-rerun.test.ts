// A later job of a split rollback (its `timeline` input holds the app job's row that rolled web back)
// never says "nothing was changed" (README): the earlier job did change production. Its re-run (Re-run
// jobs: the database already rolled back by the first attempt) ended "An earlier run already did this
// rollback; nothing was changed.", and its dry run "Dry run: nothing was changed." / "Rollback plan (dry
// run): nothing was changed in production". They say "this job changed nothing" (inThisJob), as its
// errors do. A rollback in one job keeps its words. Real PostgreSQL, dbmate migrations.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import type { RollbackRecord } from '../../src/pipeline/record.js';
import { runRollback } from '../../src/pipeline/rollback.js';
import { closingLines, rollbackSummaryMarkdown } from '../../src/report/rollback-summary.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { applyMigrations, tables, writeMigrations } from '../migrations/fixtures.js';
import { appliedVersions } from './world.js';
import { databaseRollbackRequest } from './requests.js';

let db: TestDatabase;
let ws: string;
beforeEach(async () => {
  db = await createTestDatabase('rk_later_rerun');
  ws = await mkdtemp(join(tmpdir(), 'rk-later-rerun-'));
  await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', tables(3)), tables(3));
});
afterEach(async () => {
  await rm(ws, { recursive: true, force: true });
});

/** The app job's row: it rolled web back. */
const appRolledBack = { phase: 'app' as const, component: 'web', started: new Date().toISOString(), 'duration-ms': 900, 'budget-ms': 60_000, status: 'ok' as const, detail: 'dpl_bad → dpl_good', from: 'dpl_bad', to: 'dpl_good' };

function dbJob(opts: { dryRun?: boolean; later?: boolean; scope?: string[] } = {}) {
  return {
    ...databaseRollbackRequest(
      { method: 'down-migrations', migrationsDir: 'db/migrations', format: 'dbmate', choice: { steps: 1 }, lockTimeoutSeconds: 5 },
      { database: parseConnectionString(db.url), workspace: ws, snapshotDir: join(ws, 'snapshots'), github: { repository: 'acme/shop', apiUrl: 'http://127.0.0.1:9', runId: '7001' } },
    ),
    earlierTimeline: opts.later === false ? [] : [appRolledBack],
    dryRun: opts.dryRun ?? false,
    ...(opts.scope ? { scope: opts.scope } : {}),
  };
}

/** Everything the job says: its rows, next steps, last lines and job summary. */
const said = (record: RollbackRecord) => [...record.timeline.map((t) => t.detail), ...record.nextSteps, ...closingLines(record), rollbackSummaryMarkdown(record, memoryLog())].join('\n');

it('the database job re-run after it rolled the database back: "this job changed nothing", never "nothing was changed"', async () => {
  const first = await runRollback(dbJob(), {}, memoryLog());
  expect(first.status).toBe('rolled-back');
  expect(await appliedVersions(db)).toEqual(['20240101000001', '20240101000002']);

  const again = await runRollback(dbJob(), {}, memoryLog());
  expect(again.status).toBe('nothing-to-do');
  expect(again.nextSteps).toContain('An earlier run already did this rollback; this job changed nothing. If production is still broken, look at what the earlier run reported.');
  expect(said(again)).not.toMatch(/nothing was changed/i);
  expect(await appliedVersions(db)).toEqual(['20240101000001', '20240101000002']);
});

it('the database job\'s dry run: "this job changed nothing", never "nothing was changed"', async () => {
  const dry = await runRollback(dbJob({ dryRun: true }), {}, memoryLog());
  expect(dry.status).toBe('dry-run');
  expect(dry.nextSteps).toContain('Dry run: this job changed nothing. Run again with dry-run false to do what the plan says.');
  expect(closingLines(dry)[0]).toMatch(/^Rollback plan \(dry run\): this job changed nothing in production/);
  expect(said(dry)).not.toMatch(/nothing was changed/i);
});

it('the verify job\'s dry run: "this job contacted nothing", never "nothing was contacted or changed"', async () => {
  const dry = await runRollback(dbJob({ dryRun: true, scope: [] }), {}, memoryLog());
  expect(dry.status).toBe('dry-run');
  expect(dry.nextSteps).toContain('Dry run of scope verify: the plan and the inputs were read and checked; this job contacted nothing and changed nothing.');
  expect(said(dry)).not.toMatch(/nothing was (contacted or )?changed/i);
  const one = await runRollback(dbJob({ dryRun: true, scope: [], later: false }), {}, memoryLog());
  expect(one.nextSteps).toContain('Dry run of scope verify: the plan and the inputs were read and checked; nothing was contacted or changed.');
});

it('a rollback in one job keeps its words', async () => {
  await runRollback(dbJob({ later: false }), {}, memoryLog());
  const again = await runRollback(dbJob({ later: false }), {}, memoryLog());
  // Its incident's row is finished: said as such, with how a new incident gets a key of its own (a
  // plan with no component names no deployment, so the way is a new workflow run or the DELETE).
  expect(again.nextSteps[0]).toMatch(/^Incident \S+ is finished: an earlier run rolled it back \(its database phase reverted \d+\), so this run changed nothing\. If production is still broken, look at what the earlier run reported\. If this is a new incident, start a new workflow run for it rather than re-running this one, or delete its row first, then run again: DELETE FROM rollback_kit\.rollbacks WHERE incident_key = 'production:run-\d+'\.$/);
  expect(again.nextSteps[0]).toContain(`DELETE FROM rollback_kit.rollbacks WHERE incident_key = '${again.incidentKey}'`);
  const dry = await runRollback(dbJob({ later: false, dryRun: true }), {}, memoryLog());
  expect(closingLines(dry)[0]).toMatch(/^Rollback plan \(dry run\): nothing was changed in production/);
});
