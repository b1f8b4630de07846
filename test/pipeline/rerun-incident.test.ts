// The incident a whole rollback belongs to when the command line runs it twice: no GITHUB_RUN_ID and
// no `from`, so the incident is named by what production served. After the first run rolled back,
// production serves the deployment rolled back TO: the second run must still name the first run's
// incident, from what the platform itself records about the rollback already made (the last alias
// request on Vercel, the machines' note on Fly, the replaced deploy on Render and Netlify, the
// replaced deployment on Railway). Otherwise it opens a second incident issue, and, worse, does not
// find the first run's ledger row, so `steps: 1` plans afresh and reverts one more migration.
// Real PostgreSQL (dbmate), the local stand-ins for each platform and for GitHub's issues API.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { withSession } from '../../src/db/session.js';
import { writeLedger } from '../../src/migrations/ledger.js';
import type { ComponentPlan } from '../../src/pipeline/plan-file.js';
import { runRollback, type RollbackRequest } from '../../src/pipeline/rollback.js';
import { tellingDeps } from '../../src/report/rollback-deps.js';
import { startGitHubIssues, type GitHubIssuesFake } from '../fakes/github-issues.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { applyMigrations, tables, writeMigrations } from '../migrations/fixtures.js';
import { startFakeFly } from '../platforms/fake-fly.js';
import { SITE_ID, startFakeNetlify } from '../platforms/fake-netlify.js';
import { ENVIRONMENT, PROJECT, SERVICE, startFakeRailway } from '../platforms/fake-railway.js';
import { SERVICE_ID, startFakeRender } from '../platforms/fake-render.js';
import { shopFixture, TEAM_ID, TOKEN as VERCEL_TOKEN } from '../promote-previous/fixture.js';
import { appliedVersions } from './world.js';

const GH_TOKEN = 'ghs_Test0Token1For2Rerun3Incidents4567';
const FLY_TOKEN = 'FlyV1 fm2_lJPECAAAAAAAAsecretdeploytoken==';
const RAILWAY_TOKEN = 'rwy-proj-6f1c0a9e-4b7d-4d0e-9a55-secret';
const RENDER_TOKEN = 'rnd_Zx81secretApiKeyForRender0000';
const NETLIFY_TOKEN = 'nfp_Secret9aXy7PersonalAccessToken';

interface Platform {
  component: ComponentPlan;
  secrets: RollbackRequest['secrets'];
  /** The bad deployment's id, as the first run names it (its `from`). */
  bad: string;
  good: string;
  close(): Promise<void>;
}

const common = { name: 'web', target: 'previous', method: 'rollback' as const, timeoutSeconds: 60 };

const PLATFORMS: Record<string, () => Promise<Platform>> = {
  async vercel() {
    const shop = await shopFixture({ historySize: 3 });
    return {
      component: { ...common, provider: 'vercel', project: 'shop', team: TEAM_ID, apiUrl: shop.vercel.url },
      secrets: { vercelToken: VERCEL_TOKEN },
      bad: shop.bad.uid,
      good: shop.good.uid,
      close: () => shop.vercel.close(),
    };
  },
  async fly() {
    const f = await startFakeFly();
    f.addToken(FLY_TOKEN, ['hotdash']);
    f.release({});
    const good = f.release({});
    const bad = f.release({});
    f.machine(bad.imageRef);
    // Machines start at once: this test is about the incident, not the wait.
    f.waitsBeforeUp = 0;
    return { component: { ...common, provider: 'fly', app: 'hotdash', apiUrl: f.url, machinesApiUrl: f.url, registryUrl: f.url }, secrets: { flyToken: FLY_TOKEN }, bad: bad.id, good: good.id, close: () => f.close() };
  },
  async railway() {
    const f = await startFakeRailway();
    f.addProjectToken(RAILWAY_TOKEN, PROJECT, ENVIRONMENT);
    f.deploy({});
    const good = f.deploy({});
    const bad = f.deploy({});
    return { component: { ...common, provider: 'railway', project: PROJECT, environment: ENVIRONMENT, service: SERVICE, apiUrl: f.url }, secrets: { railwayToken: RAILWAY_TOKEN }, bad: bad.id, good: good.id, close: () => f.close() };
  },
  async render() {
    const f = await startFakeRender();
    f.addToken(RENDER_TOKEN);
    f.deploy();
    const good = f.deploy();
    const bad = f.deploy();
    return { component: { ...common, provider: 'render', service: SERVICE_ID, apiUrl: f.url }, secrets: { renderToken: RENDER_TOKEN }, bad: bad.id, good: good.id, close: () => f.close() };
  },
  async netlify() {
    const f = await startFakeNetlify();
    f.addToken(NETLIFY_TOKEN);
    f.deploy();
    const good = f.deploy();
    const bad = f.deploy();
    return { component: { ...common, provider: 'netlify', site: SITE_ID, apiUrl: f.url }, secrets: { netlifyToken: NETLIFY_TOKEN }, bad: bad.id, good: good.id, close: () => f.close() };
  },
};

let db: TestDatabase;
let ws: string;
let issues: GitHubIssuesFake;
const closing: (() => Promise<void>)[] = [];
beforeEach(async () => {
  db = await createTestDatabase('rk_rerun_incident');
  ws = await mkdtemp(join(tmpdir(), 'rk-rerun-incident-'));
  await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', tables(3)), tables(3));
  issues = await startGitHubIssues({ token: GH_TOKEN, repository: 'acme/shop' });
});
afterEach(async () => {
  for (const c of closing.splice(0)) await c();
  await issues.close();
  await rm(ws, { recursive: true, force: true });
});

describe.each(Object.keys(PLATFORMS))('the command line run twice (%s, no from, no run id)', (name) => {
  it('names one incident: one issue (the re-run comments on it), and the re-run finds the ledger row, reverting nothing more', async () => {
    const p = await PLATFORMS[name]!();
    closing.push(p.close);
    const run = () => {
      const request: RollbackRequest = {
        plan: {
          source: 'rollback-kit.yml',
          environment: 'production',
          budgetMinutes: 15,
          components: [p.component],
          database: { method: 'down-migrations', migrationsDir: 'db/migrations', format: 'dbmate', choice: { steps: 1 }, lockTimeoutSeconds: 10 },
          labels: ['incident'],
        },
        scope: ['web', 'database'],
        reason: 'checkout returns 500',
        severity: 'critical',
        dryRun: false,
        earlierTimeline: [],
        secrets: { ...p.secrets, githubToken: GH_TOKEN },
        database: parseConnectionString(db.url),
        workspace: ws,
        snapshotDir: join(ws, 'snapshots'),
        // As the command line fills it: no run id.
        github: { repository: 'acme/shop', apiUrl: issues.url },
        commandEnv: {},
        vercelPollIntervalMs: 10,
        pollIntervalMs: 10,
      };
      const log = memoryLog();
      return runRollback(request, tellingDeps({ githubToken: GH_TOKEN, repository: 'acme/shop', githubApiUrl: issues.url }, log), log);
    };

    const first = await run();
    expect(first).toMatchObject({ status: 'rolled-back', incidentKey: `production:web@${p.bad}` });
    expect(first.components[0]).toMatchObject({ status: 'rolled-back', to: { id: p.good } });
    expect(first.database).toMatchObject({ status: 'reverted', reverted: ['20240101000003'] });
    expect(issues.issues).toHaveLength(1);

    const again = await run();
    expect(again.components[0]).toMatchObject({ status: 'already-current' });
    expect(again.incidentKey).toBe(first.incidentKey);
    // The ledger row of the first run: done, nothing planned afresh.
    expect(again.database).toMatchObject({ status: 'nothing-to-do', reverted: ['20240101000003'] });
    expect(again.status).toBe('nothing-to-do');
    expect(await appliedVersions(db)).toEqual(['20240101000001', '20240101000002']);
    expect(issues.issues).toHaveLength(1);
    expect(issues.issues[0]!.comments).toHaveLength(1);
  });
});

// Without `from`, a workflow run once named the incident by its run id alone: "Run workflow" pressed
// twice (the second queued behind the first by the concurrency group), or the command line after a
// workflow run, named it anew, found no ledger row, and `steps: 1` reverted the migration before the
// bad one. The app phase knows the incident at plan whether or not the rollback is made already: the
// deployment rolled back from. Every run without `from` names it so, as a run with `from` does.
describe('workflow runs without from (vercel)', () => {
  const setup = async () => {
    const shop = await shopFixture({ historySize: 3 });
    closing.push(() => shop.vercel.close());
    const run = (r: { runId?: string; scope?: string[]; from?: string; earlierTimeline?: RollbackRequest['earlierTimeline'] }) => {
      const request: RollbackRequest = {
        plan: {
          source: 'rollback-kit.yml',
          environment: 'production',
          budgetMinutes: 15,
          components: [{ ...common, provider: 'vercel', project: 'shop', team: TEAM_ID, apiUrl: shop.vercel.url, ...(r.from ? { from: r.from } : {}) }],
          database: { method: 'down-migrations', migrationsDir: 'db/migrations', format: 'dbmate', choice: { steps: 1 }, lockTimeoutSeconds: 10 },
          labels: ['incident'],
        },
        scope: r.scope ?? ['web', 'database'],
        reason: 'checkout returns 500',
        severity: 'critical',
        dryRun: false,
        earlierTimeline: r.earlierTimeline ?? [],
        secrets: { vercelToken: VERCEL_TOKEN, githubToken: GH_TOKEN },
        database: parseConnectionString(db.url),
        workspace: ws,
        snapshotDir: join(ws, 'snapshots'),
        github: { repository: 'acme/shop', apiUrl: issues.url, ...(r.runId ? { runId: r.runId, runUrl: `https://github.com/acme/shop/actions/runs/${r.runId}` } : {}) },
        commandEnv: {},
        vercelPollIntervalMs: 10,
        pollIntervalMs: 10,
      };
      const log = memoryLog();
      return runRollback(request, tellingDeps({ githubToken: GH_TOKEN, repository: 'acme/shop', githubApiUrl: issues.url }, log), log);
    };
    return { shop, run };
  };
  const key = (shop: { bad: { uid: string } }) => `production:web@${shop.bad.uid}`;
  const twoLeft = ['20240101000001', '20240101000002'];

  it('a second workflow run, a run with from and the command line all name the first run\'s incident: nothing more reverted, one issue', async () => {
    const { shop, run } = await setup();
    const first = await run({ runId: '7080' });
    expect(first).toMatchObject({ status: 'rolled-back', incidentKey: key(shop), database: { status: 'reverted', reverted: ['20240101000003'] } });
    // The run id stays a name of it: an issue an earlier version opened for this run carries it.
    expect(first.incidentAliases).toContain('production:run-7080');
    expect(issues.issues).toHaveLength(1);

    const second = await run({ runId: '7081' });
    expect(second).toMatchObject({ status: 'nothing-to-do', incidentKey: key(shop), database: { status: 'nothing-to-do', reverted: ['20240101000003'] } });
    const named = await run({ runId: '7082', from: shop.bad.uid });
    expect(named).toMatchObject({ status: 'nothing-to-do', incidentKey: key(shop) });
    const cli = await run({});
    expect(cli).toMatchObject({ status: 'nothing-to-do', incidentKey: key(shop) });
    expect(await appliedVersions(db)).toEqual(twoLeft);
    expect(issues.issues).toHaveLength(1);
    expect(issues.issues[0]!.comments).toHaveLength(3);
  });

  it('a workflow run after the command line rolled back finds its ledger row', async () => {
    const { shop, run } = await setup();
    expect(await run({})).toMatchObject({ status: 'rolled-back', incidentKey: key(shop) });
    expect(await run({ runId: '7090' })).toMatchObject({ status: 'nothing-to-do', incidentKey: key(shop) });
    expect(await appliedVersions(db)).toEqual(twoLeft);
    expect(issues.issues).toHaveLength(1);
  });

  it('a split rollback: the database job names the incident by the app job\'s row, so "Re-run all jobs" and a new whole run revert nothing more', async () => {
    const { shop, run } = await setup();
    const app = await run({ runId: '7100', scope: ['web'] });
    expect(app).toMatchObject({ status: 'rolled-back', incidentKey: key(shop) });
    const database = await run({ runId: '7100', scope: ['database'], earlierTimeline: app.timeline });
    expect(database).toMatchObject({ status: 'rolled-back', incidentKey: key(shop), database: { status: 'reverted' } });
    // Re-run all jobs: the app job finds the rollback made, and its row says from what.
    const appAgain = await run({ runId: '7100', scope: ['web'] });
    expect(appAgain).toMatchObject({ status: 'nothing-to-do', incidentKey: key(shop) });
    const databaseAgain = await run({ runId: '7100', scope: ['database'], earlierTimeline: appAgain.timeline });
    expect(databaseAgain).toMatchObject({ status: 'nothing-to-do', incidentKey: key(shop), database: { status: 'nothing-to-do' } });
    expect(await run({ runId: '7101' })).toMatchObject({ status: 'nothing-to-do', incidentKey: key(shop) });
    expect(await appliedVersions(db)).toEqual(twoLeft);
    expect(issues.issues).toHaveLength(1);
  });

  it('a row an earlier version wrote under the run id is found by a re-run of that run (the upgrade path)', async () => {
    const { shop, run } = await setup();
    // Half done, under the run id: the plan was 003 and 002, and 003 is reverted.
    await withSession(parseConnectionString(db.url), (s) =>
      writeLedger(s, { incidentKey: 'production:run-7110', method: 'down-migrations', planned: ['20240101000003', '20240101000002'], kept: ['20240101000001'], applied: ['20240101000001', '20240101000002', '20240101000003'], reverted: [], status: 'started' }),
    );
    const rerun = await run({ runId: '7110' });
    expect(rerun).toMatchObject({ status: 'rolled-back', incidentKey: key(shop), database: { status: 'reverted', planned: ['20240101000003', '20240101000002'] } });
    expect(await appliedVersions(db)).toEqual(['20240101000001']);
  });
});
