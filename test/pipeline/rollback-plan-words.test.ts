// A real rollback plans its down migrations with a dry run; its log must say what the run will do
// ("Plan: will revert"), never "Dry run: would revert", which a reader takes for a run that changed
// nothing. A dry run keeps its own words. A component's plan is logged once, at plan, not again
// when its app phase carries it out. Real PostgreSQL, dbmate migrations, fake Vercel, runRollback
// in process.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { runRollback, type RollbackRequest } from '../../src/pipeline/rollback.js';
import { rollbackSummaryMarkdown } from '../../src/report/rollback-summary.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { applyMigrations, tables, writeMigrations } from '../migrations/fixtures.js';
import { databaseRollbackRequest } from './requests.js';
import { shopFixture, TEAM_ID, TOKEN } from '../promote-previous/fixture.js';

let db: TestDatabase;
let ws: string;
beforeEach(async () => {
  db = await createTestDatabase('rk_plan_words');
  ws = await mkdtemp(join(tmpdir(), 'rk-plan-words-'));
  await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', tables(2)), tables(2));
});
afterEach(async () => {
  await rm(ws, { recursive: true, force: true });
  await db.drop();
});

function request(dryRun: boolean): RollbackRequest {
  return databaseRollbackRequest(
    { method: 'down-migrations', migrationsDir: 'db/migrations', format: 'dbmate', choice: { steps: 1 }, lockTimeoutSeconds: 10 },
    { dryRun, database: parseConnectionString(db.url), workspace: ws, snapshotDir: join(ws, 'snapshots'), github: { repository: 'acme/shop', apiUrl: 'http://127.0.0.1:9', runId: `plan-words-${dryRun}` } },
  );
}

it('a real run logs its plan as "Plan: will revert", never as a dry run', async () => {
  const log = memoryLog();
  const record = await runRollback(request(false), {}, log);
  expect(record.status).toBe('rolled-back');
  expect(log.lines.filter((l) => l.startsWith('Plan: will revert 1 migration(s) on ')).length).toBeGreaterThan(0);
  expect(log.lines.filter((l) => /dry run/i.test(l))).toEqual([]);
});

it('a dry run still says "Dry run: would revert"', async () => {
  const log = memoryLog();
  const record = await runRollback(request(true), {}, log);
  expect(record.status).toBe('dry-run');
  expect(log.lines.some((l) => l.startsWith('Dry run: would revert 1 migration(s) on '))).toBe(true);
  expect(log.lines.some((l) => l.startsWith('Plan: will revert'))).toBe(false);
});

it("a second run for the incident finds the first one's revert done: its summary's plan reverts nothing, and says who did", async () => {
  const first = await runRollback(request(false), {}, memoryLog());
  expect(first.status).toBe('rolled-back');
  const again = await runRollback(request(false), {}, memoryLog());
  expect(again.status).toBe('nothing-to-do');
  const summary = rollbackSummaryMarkdown(again);
  const reverted = tables(2)[1]!.version;
  const plan = summary.split('### Plan')[1]!.split('\n### ')[0]!;
  expect(plan).toContain(`Database (down migrations): nothing to revert: already reverted by an earlier run, in this order:\n\n1. \`${reverted}\``);
  expect(plan).not.toContain('to revert in this order');
  expect(summary).toContain(`### Database: nothing-to-do\n\nReverted by an earlier run, in order:\n\n1. \`${reverted}\``);
});

it('a real Vercel rollback logs its plan block once: at plan, not again in the app phase', async () => {
  const shop = await shopFixture({ historySize: 3 });
  try {
    const log = memoryLog();
    const record = await runRollback(
      {
        plan: { source: 'inputs', environment: 'production', budgetMinutes: 15, components: [{ name: 'web', provider: 'vercel', project: 'shop', team: TEAM_ID, target: 'previous', method: 'rollback', apiUrl: shop.vercel.url, timeoutSeconds: 30 }], labels: [] },
        scope: ['web'],
        reason: 'checkout returns 500',
        severity: 'critical',
        dryRun: false,
        earlierTimeline: [],
        secrets: { vercelToken: TOKEN },
        workspace: ws,
        snapshotDir: join(ws, 'snapshots'),
        github: { repository: 'acme/shop', apiUrl: 'http://127.0.0.1:9', runId: 'plan-words-vercel' },
        commandEnv: {},
        vercelPollIntervalMs: 10,
      },
      {},
      log,
    );
    expect(record.status).toBe('rolled-back');
    const block = log.lines.filter((line) => line === 'Plan: rollback project shop' || /^ {2}(from|to|skipped|and) /.test(line));
    expect(block.filter((line) => line.startsWith('Plan: '))).toHaveLength(1);
    expect(block.filter((line) => line.startsWith('  skipped ')).length).toBeGreaterThan(0);
    expect(block).toEqual([...new Set(block)]);
    expect(block.slice(0, 3)).toEqual(['Plan: rollback project shop', expect.stringMatching(new RegExp(`^ {2}from ${shop.bad.uid} `)), expect.stringMatching(new RegExp(`^ {2}to {3}${shop.good.uid} `))]);
  } finally {
    await shop.vercel.close();
  }
});
