// A whole rollback (app and database, method restore) whose restore would be refused: the refusal is
// found while planning, by the restore's own plan (previewRestore, nothing locked), and stops the
// rollback there, before the app is touched. Found in the database phase, after the app went back,
// it left the rollback half-done: the app on the previous deployment, the database as it was.
// Real PostgreSQL and pg_dump; Vercel is the fake API, which records every request.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import type { RollbackRecord } from '../../src/pipeline/record.js';
import { runRollback, type RollbackRequest } from '../../src/pipeline/rollback.js';
import { rollbackSummaryMarkdown } from '../../src/report/rollback-summary.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { shopFixture, TEAM_ID, TOKEN, type ShopFixture } from '../promote-previous/fixture.js';
import { planYaml, rollback, startWorld, writePlan } from './world.js';
import { tempDir } from '../helpers/temp-dir.js';

let shop: ShopFixture;
let db: TestDatabase;
let temp: string;
beforeEach(async () => {
  shop = await shopFixture({ historySize: 3 });
  db = await createTestDatabase('rk_rollback_refused');
  await db.query('CREATE TABLE public.orders (id int PRIMARY KEY); INSERT INTO public.orders SELECT generate_series(1, 100)');
  temp = await tempDir('rk-rollback-refused-');
});
afterEach(async () => {
  await shop.vercel.close();
});

/** scope web (Vercel) and database, method restore of `snapshotPath` into `db`. */
function request(snapshotPath: string): RollbackRequest {
  return {
    plan: {
      source: 'inputs',
      environment: 'production',
      budgetMinutes: 15,
      components: [{ name: 'web', provider: 'vercel', project: 'shop', team: TEAM_ID, target: 'previous', method: 'rollback', apiUrl: shop.vercel.url, timeoutSeconds: 60 }],
      database: { method: 'restore', format: 'auto', snapshotPath, lockTimeoutSeconds: 5 },
      labels: [],
    },
    scope: ['web', 'database'],
    reason: 'orders double-charged',
    severity: 'critical',
    dryRun: false,
    earlierTimeline: [],
    secrets: { vercelToken: TOKEN },
    database: parseConnectionString(db.url),
    workspace: temp,
    snapshotDir: join(temp, 'snapshots'),
    github: { repository: 'acme/shop', apiUrl: 'http://127.0.0.1:9' },
    commandEnv: {},
    vercelPollIntervalMs: 10,
  };
}

async function snapshotOf(of: TestDatabase): Promise<{ path: string; manifestPath: string }> {
  return takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(of.url), { outputDir: join(temp, 'good'), label: 'before-deploy' }), memoryLog());
}

/** Stopped at plan: nothing promoted, production still the bad deployment, the database as it was. */
async function expectStoppedAtPlan(record: RollbackRecord, refusal: RegExp): Promise<string> {
  expect(record.status).toBe('failed');
  expect(record.failedPhase).toBe('plan');
  const plan = record.timeline.find((e) => e.phase === 'plan')!;
  expect(plan.status).toBe('failed');
  expect(plan.detail).toMatch(refusal);
  // Said once, whether the refusal says it itself or not.
  expect(plan.detail.match(/Nothing was changed\./g)).toHaveLength(1);
  for (const phase of ['app', 'snapshot', 'database'] as const) {
    expect(record.timeline.find((e) => e.phase === phase)).toMatchObject({ status: 'skipped', detail: 'the rollback stopped while planning' });
  }
  expect(record.nextSteps[0]).toBe('The rollback stopped while planning: fix what the plan row says and run it again.');
  expect(shop.vercel.requestsTo(/^POST /)).toEqual([]);
  expect(shop.vercel.production(shop.project)?.uid).toBe(shop.bad.uid);
  expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM public.orders')).rows[0]!.n).toBe(100);
  return plan.detail;
}

describe('a whole rollback whose restore would be refused', () => {
  it('a snapshot of another database: refused at plan, the app not promoted', async () => {
    const other = await createTestDatabase('rk_rollback_refused_other');
    await other.query('CREATE TABLE public.orders (id int PRIMARY KEY)');
    const snap = await snapshotOf(other);
    const record = await runRollback(request(snap.path), {}, memoryLog());
    await expectStoppedAtPlan(record, /restore-db refuses to restore .* into 127\.0\.0\.1:5432\/rk_rollback_refused_[0-9a-f]+: the snapshot .*set from-another-database: true/);
  });

  it('a snapshot whose bytes changed since it was taken (sha256): refused at plan, the app not promoted', async () => {
    const snap = await snapshotOf(db);
    const bytes = readFileSync(snap.path);
    bytes[bytes.length - 1]! ^= 0xff;
    writeFileSync(snap.path, bytes);
    const record = await runRollback(request(snap.path), {}, memoryLog());
    await expectStoppedAtPlan(record, /Snapshot .* changed since it was taken: sha256 .* It is corrupt, truncated or replaced: do not restore it; take or pick another snapshot\. Nothing was changed\.$/);
  });

  it('one it can do: the plan row of the real run lists what it will discard, and the app then the database go back', async () => {
    const snap = await snapshotOf(db);
    await db.query("ALTER TABLE public.orders ADD COLUMN note text; UPDATE public.orders SET note = 'x' WHERE id <= 3");
    const log = memoryLog();
    const record = await runRollback(request(snap.path), {}, log);
    expect(record.status).toBe('rolled-back');
    expect(record.timeline.find((e) => e.phase === 'plan')!.detail).toContain('database: restore the snapshot, discarding 1 column added to its tables since it was taken');
    expect(shop.vercel.production(shop.project)?.uid).toBe(shop.good.uid);
    // Vercel's instant rollback switched automatic domain assignment off: the outcome says so, and so does the next step.
    expect(record.components[0]!.autoAssignOff).toBe(true);
    expect(record.nextSteps).toContain('Vercel will not put new pushes of web live until a deployment is promoted: promote the fixed deployment when it is ready.');
    expect(rollbackSummaryMarkdown(record, log)).toContain('#### Columns and objects the restore discarded (added to snapshot tables since the snapshot)');
    // Known from the plan before the restore ran: a restore that then did not commit discarded nothing.
    const failed: RollbackRecord = { ...record, status: 'failed', failedPhase: 'database', database: { ...record.database!, status: 'failed', error: 'Restore failed.', changed: 'no' } };
    const summary = rollbackSummaryMarkdown(failed, log);
    expect(summary).toContain('#### Columns and objects the restore would discard (added to snapshot tables since the snapshot)');
    expect(summary).not.toContain('the restore discarded');
  });
});

// Runs dist/rollback: needs the bundles rebuilt from this source.
it('rollback action, scope full: exits non-zero at plan saying the restore is refused, and Vercel gets no promote', async () => {
  const w = await startWorld();
  try {
    const other = await createTestDatabase('rk_rollback_refused_other');
    await other.query('CREATE TABLE public.orders (id int PRIMARY KEY)');
    const snap = await snapshotOf(other);
    await writePlan(w, planYaml(w, { api: false, database: `  method: restore\n  snapshot-path: ${snap.path}` }));
    const run = await rollback(w, { scope: 'full' });
    expect(run.code).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(/^Rollback failed in plan: restore-db refuses to restore .* Nothing was changed\./);
    // The row's "Nothing was changed." and the next step after it: said once, not "Nothing was changed. Nothing was changed:".
    expect(run.errors[0]!.match(/nothing was changed/gi)).toHaveLength(1);
    expect(run.outputs.status).toBe('failed');
    expect(run.outputs['failed-phase']).toBe('plan');
    expect(w.shop.vercel.requestsTo(/^POST /)).toEqual([]);
    expect(w.shop.vercel.production(w.shop.project)?.uid).toBe(w.shop.bad.uid);
  } finally {
    await w.close();
  }
});
