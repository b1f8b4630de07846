// A `from` that is a Render or Fly service's own URL (auto-rollback's deployment_status target URL):
// the same for every deploy, so as the incident key it named every incident on the service alike,
// and a later incident commented on the earlier one's issue and shared its ledger row (which then
// said "done": the new deploy's migrations stayed applied). The key now names the deploy the
// provider found to roll back from; a job that does not roll the component back (the database job
// of a split rollback) names it by the workflow run, and the app job's issue carries that name too.
// Real PostgreSQL (dbmate), the local stand-ins for Render, Fly and GitHub's issues API.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';

type MemoryLog = ReturnType<typeof memoryLog>;
import { parseConnectionString } from '../../src/db/connection.js';
import type { ComponentPlan } from '../../src/pipeline/plan-file.js';
import { runRollback, type RollbackRequest } from '../../src/pipeline/rollback.js';
import type { TimelineEntry } from '../../src/pipeline/record.js';
import { tellingDeps } from '../../src/report/rollback-deps.js';
import { startGitHubIssues, type GitHubIssuesFake } from '../fakes/github-issues.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { applyMigrations, tables, writeMigrations } from '../migrations/fixtures.js';
import { startFakeFly } from '../platforms/fake-fly.js';
import { startFakeVercel } from '../../src/sandbox/vercel-api.js';
import { withSession } from '../../src/db/session.js';
import { writeLedger } from '../../src/migrations/ledger.js';
import { TEAM_ID, TEAM_SLUG, TOKEN as VERCEL_TOKEN } from '../promote-previous/fixture.js';
import { SERVICE_ID, startFakeRender, type FakeRender } from '../platforms/fake-render.js';
import { appliedVersions } from './world.js';

const GH_TOKEN = 'ghs_Test0Token1For2Service3Url4From567';
const FLY_TOKEN = 'FlyV1 fm2_lJPECAAAAAAAAsecretdeploytoken==';
const RENDER_TOKEN = 'rnd_Zx81secretApiKeyForRender0000';
const common = { name: 'web', target: 'previous', method: 'rollback' as const, timeoutSeconds: 60 };

let db: TestDatabase;
let ws: string;
let issues: GitHubIssuesFake;
const closing: (() => Promise<void>)[] = [];
beforeEach(async () => {
  db = await createTestDatabase('rk_service_url_from');
  ws = await mkdtemp(join(tmpdir(), 'rk-service-url-from-'));
  await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', tables(3)), tables(3));
  issues = await startGitHubIssues({ token: GH_TOKEN, repository: 'acme/shop' });
});
afterEach(async () => {
  for (const c of closing.splice(0)) await c();
  await issues.close();
  await rm(ws, { recursive: true, force: true });
});

interface Run {
  from: string;
  runId?: string;
  scope?: string[];
  target?: string;
  earlierTimeline?: TimelineEntry[];
  log?: MemoryLog;
}

function runner(component: ComponentPlan, secrets: RollbackRequest['secrets']) {
  return (r: Run) => {
    const request: RollbackRequest = {
      plan: {
        source: 'rollback-kit.yml',
        environment: 'production',
        budgetMinutes: 15,
        components: [{ ...component, from: r.from, ...(r.target ? { target: r.target } : {}) }],
        database: { method: 'down-migrations', migrationsDir: 'db/migrations', format: 'dbmate', choice: { steps: 1 }, lockTimeoutSeconds: 10 },
        labels: ['incident'],
      },
      scope: r.scope ?? ['web', 'database'],
      reason: 'checkout returns 500',
      severity: 'critical',
      dryRun: false,
      earlierTimeline: r.earlierTimeline ?? [],
      secrets: { ...secrets, githubToken: GH_TOKEN },
      database: parseConnectionString(db.url),
      workspace: ws,
      snapshotDir: join(ws, 'snapshots'),
      github: { repository: 'acme/shop', apiUrl: issues.url, runId: r.runId, runUrl: r.runId ? `https://github.com/acme/shop/actions/runs/${r.runId}` : undefined },
      commandEnv: {},
      pollIntervalMs: 10,
    };
    const log = r.log ?? memoryLog();
    return runRollback(request, tellingDeps({ githubToken: GH_TOKEN, repository: 'acme/shop', githubApiUrl: issues.url }, log), log);
  };
}

async function render(): Promise<{ f: FakeRender; run: ReturnType<typeof runner> }> {
  const f = await startFakeRender();
  f.addToken(RENDER_TOKEN);
  closing.push(() => f.close());
  return { f, run: runner({ ...common, provider: 'render', service: SERVICE_ID, apiUrl: f.url }, { renderToken: RENDER_TOKEN }) };
}

describe('a from that is the Render service URL', () => {
  const URL = 'https://shop-web.onrender.com/';

  it('names each incident by the deploy rolled back from: a later incident gets its own issue and its own ledger row', async () => {
    const { f, run } = await render();
    f.deploy();
    f.deploy();
    const bad = f.deploy();
    const log = memoryLog();
    const first = await run({ from: URL, runId: '101', log });
    expect(first).toMatchObject({ status: 'rolled-back', incidentKey: `production:web@${bad.id}` });
    expect(log.lines.join('\n')).toContain(`from of web (${URL}) is the URL of the render service, the same for every deploy: the incident is named by the deploy rolled back from, ${bad.id}.`);
    expect(issues.issues).toHaveLength(1);

    // A new run for the same incident (auto-rollback fired again): the same key, from what Render records.
    const again = await run({ from: URL, runId: '102' });
    expect(again).toMatchObject({ status: 'nothing-to-do', incidentKey: first.incidentKey });
    expect(issues.issues).toHaveLength(1);

    // The next incident on the same service: the fix, a migration with it, and it goes bad too.
    const fix = f.deploy();
    await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', tables(3)), tables(3));
    const next = await run({ from: URL, runId: '103' });
    expect(next.incidentKey).toBe(`production:web@${fix.id}`);
    expect(next).toMatchObject({ status: 'rolled-back', database: { status: 'reverted', reverted: ['20240101000003'] } });
    expect(issues.issues).toHaveLength(2);
  });

  it('with a target named, a new run for the same incident names it by the same deploy', async () => {
    const { f, run } = await render();
    f.deploy();
    const good = f.deploy();
    const bad = f.deploy();
    const targeted = (runId: string) => run({ from: URL, runId, target: good.id });
    const first = await targeted('501');
    expect(first).toMatchObject({ status: 'rolled-back', incidentKey: `production:web@${bad.id}` });
    const again = await targeted('502');
    expect(again).toMatchObject({ status: 'nothing-to-do', incidentKey: first.incidentKey });
    expect(issues.issues).toHaveLength(1);
  });

  it('in a split rollback, the database job names the incident by the deploy the app job\'s timeline row says it rolled back from, and comments on the app job\'s issue', async () => {
    const { f, run } = await render();
    f.deploy();
    f.deploy();
    const bad = f.deploy();
    const app = await run({ from: URL, runId: '201', scope: ['web'] });
    expect(app).toMatchObject({ status: 'rolled-back', incidentKey: `production:web@${bad.id}` });
    expect(app.incidentAliases).toContain(`production:web@${URL}|run-201`);
    const log = memoryLog();
    const database = await run({ from: URL, runId: '201', scope: ['database'], earlierTimeline: app.timeline, log });
    expect(database).toMatchObject({ status: 'rolled-back', incidentKey: app.incidentKey, database: { status: 'reverted' } });
    expect(log.lines.join('\n')).toContain(`the incident is named by the deploy rolled back from, ${bad.id}`);
    expect(issues.issues).toHaveLength(1);
    expect(issues.issues[0]!.comments).toHaveLength(1);
    // "Re-run jobs" of the database job: the same incident, its ledger row found.
    const rerun = await run({ from: URL, runId: '201', scope: ['database'], earlierTimeline: app.timeline });
    expect(rerun).toMatchObject({ incidentKey: database.incidentKey, database: { status: 'nothing-to-do' } });
    // A new workflow run for the same incident (the whole rollback, from the same URL): the same key, nothing more reverted.
    const whole = await run({ from: URL, runId: '202' });
    expect(whole).toMatchObject({ status: 'nothing-to-do', incidentKey: database.incidentKey, database: { status: 'nothing-to-do' } });
    expect(await appliedVersions(db)).toEqual(['20240101000001', '20240101000002']);
    expect(issues.issues).toHaveLength(1);
  });

  it('a database job given no timeline names the incident by the URL and the workflow run, and says so', async () => {
    const { f, run } = await render();
    f.deploy();
    f.deploy();
    const log = memoryLog();
    const database = await run({ from: URL, runId: '301', scope: ['database'], log });
    expect(database).toMatchObject({ status: 'rolled-back', incidentKey: `production:web@${URL}|run-301`, database: { status: 'reverted' } });
    expect(log.lines.join('\n')).toMatch(/from of web \(https:\/\/shop-web\.onrender\.com\/\) is the URL of the render service, the same for every deploy, and this job does not roll web back, so it cannot find the deploy that URL served: the incident is named by this workflow run as well/);
  });

  it('a URL with a user name, a password and a comma names the incident whole, and never with its secrets', async () => {
    const { f, run } = await render();
    f.deploy();
    f.deploy();
    const withSecrets = 'https://deploy:pw-S3cr3t-value@shop-web.onrender.com/a,b';
    const log = memoryLog();
    const database = await run({ from: withSecrets, runId: '401', scope: ['database'], log });
    expect(database.incidentKey).toBe('production:web@https://shop-web.onrender.com/a%2Cb|run-401');
    expect(database.status).toBe('rolled-back');
    const everything = [log.lines.join('\n'), JSON.stringify(issues.issues), database.incidentKey, ...(database.incidentAliases ?? [])].join('\n');
    expect(everything).not.toContain('pw-S3cr3t-value');
    expect(everything).not.toContain('deploy:');
  });
});

describe('a from that is the Fly app URL', () => {
  it('names the incident by the release rolled back from, in every run for it', async () => {
    const f = await startFakeFly();
    closing.push(() => f.close());
    f.addToken(FLY_TOKEN, ['hotdash']);
    f.release({});
    const good = f.release({});
    const bad = f.release({});
    f.machine(bad.imageRef);
    f.waitsBeforeUp = 0;
    const run = runner({ ...common, provider: 'fly', app: 'hotdash', apiUrl: f.url, machinesApiUrl: f.url, registryUrl: f.url }, { flyToken: FLY_TOKEN });
    const first = await run({ from: 'https://hotdash.fly.dev', runId: '301' });
    expect(first).toMatchObject({ status: 'rolled-back', incidentKey: `production:web@${bad.id}` });
    const again = await run({ from: 'https://hotdash.fly.dev', runId: '302' });
    expect(again).toMatchObject({ status: 'nothing-to-do', incidentKey: first.incidentKey });
    // Named by its version as target: the machines already run it, and the incident is the same.
    const targeted = await run({ from: 'https://hotdash.fly.dev', runId: '303', target: `v${good.version}` });
    expect(targeted).toMatchObject({ status: 'nothing-to-do', incidentKey: first.incidentKey });
    expect(issues.issues).toHaveLength(1);
    expect(await appliedVersions(db)).toEqual(['20240101000001', '20240101000002']);
  });
});

// The same on Vercel, where it cannot be told from the plan: a production domain (a custom one looks
// like any URL) or the project's .vercel.app alias matches whatever deployment serves. Vercel says
// at run time that from matched through an alias, and the key names the deployment rolled back from.
async function vercel() {
  const v = await startFakeVercel();
  closing.push(() => v.close());
  v.addTeam(TEAM_ID, TEAM_SLUG, 'pro');
  v.addToken(VERCEL_TOKEN, 'user_oncall', [TEAM_ID]);
  const project = v.addProject({ name: 'shop', owner: TEAM_ID, domains: ['shop.example.com'] });
  v.addDeployment(project, { production: true });
  v.addDeployment(project, { production: true });
  const bad = v.addDeployment(project, { production: true });
  const run = runner({ ...common, provider: 'vercel', project: 'shop', team: TEAM_ID, apiUrl: v.url }, { vercelToken: VERCEL_TOKEN });
  return { v, project, bad, run };
}

describe('a from that is a Vercel production domain or alias', () => {
  for (const DOMAIN of ['https://shop.example.com', 'https://shop.vercel.app/']) {
    it(`${DOMAIN}: names each incident by the deployment rolled back from, and says so`, async () => {
      const { v, project, bad, run } = await vercel();
      const log = memoryLog();
      const first = await run({ from: DOMAIN, runId: '601', log });
      expect(first).toMatchObject({ status: 'rolled-back', incidentKey: `production:web@${bad.uid}` });
      expect(log.lines.join('\n')).toContain(`from of web (${DOMAIN}) is an address that follows production on vercel (a domain or alias of whatever deployment serves), not one deployment's id or own URL: the incident is named by the deploy rolled back from, ${bad.uid}.`);
      expect(first.incidentAliases ?? []).not.toContain(`production:web@${DOMAIN}`);

      // A new run for the same incident (the event delivered again): the same key, from Vercel's last alias request.
      const again = await run({ from: DOMAIN, runId: '602' });
      expect(again).toMatchObject({ status: 'nothing-to-do', incidentKey: first.incidentKey });
      expect(issues.issues).toHaveLength(1);

      // The next incident: the fix goes live with a migration, and goes bad too.
      const fix = v.addDeployment(project, { production: true });
      await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', tables(3)), tables(3));
      const next = await run({ from: DOMAIN, runId: '603' });
      expect(next).toMatchObject({ status: 'rolled-back', incidentKey: `production:web@${fix.uid}`, database: { status: 'reverted', reverted: ['20240101000003'] } });
      expect(issues.issues).toHaveLength(2);
      expect(await appliedVersions(db)).toEqual(['20240101000001', '20240101000002']);
    });
  }

  it("a deployment's own URL still names the incident as given", async () => {
    const { bad, run } = await vercel();
    const own = `https://${bad.url}`;
    const log = memoryLog();
    const first = await run({ from: own, runId: '611', log });
    expect(first).toMatchObject({ status: 'rolled-back', incidentKey: `production:web@${own}` });
    expect(log.lines.join('\n')).not.toContain('follows production');
  });

  it('in a split rollback from the domain, the database job names the incident by the deployment the app job\'s row says, as the app job did: one issue', async () => {
    const DOMAIN = 'https://shop.example.com';
    const { bad, run } = await vercel();
    const app = await run({ from: DOMAIN, runId: '641', scope: ['web'] });
    expect(app).toMatchObject({ status: 'rolled-back', incidentKey: `production:web@${bad.uid}` });
    expect(app.timeline.find((r) => r.phase === 'app')).toMatchObject({ from: bad.uid, 'from-follows-production': true });
    const database = await run({ from: DOMAIN, runId: '641', scope: ['database'], earlierTimeline: app.timeline });
    expect(database).toMatchObject({ status: 'rolled-back', incidentKey: app.incidentKey, database: { status: 'reverted' } });
    expect(database.incidentAliases ?? []).not.toContain(`production:web@${DOMAIN}`);
    expect(issues.issues).toHaveLength(1);
    expect(issues.issues[0]!.comments).toHaveLength(1);
    // "Re-run all jobs": the app job finds the rollback made (its row says from what), the database job its ledger row.
    const appAgain = await run({ from: DOMAIN, runId: '641', scope: ['web'] });
    expect(appAgain.timeline.find((r) => r.phase === 'app')).toMatchObject({ component: 'web', status: 'skipped', from: bad.uid, 'from-follows-production': true });
    const dbAgain = await run({ from: DOMAIN, runId: '641', scope: ['database'], earlierTimeline: appAgain.timeline });
    expect(dbAgain).toMatchObject({ status: 'nothing-to-do', incidentKey: app.incidentKey, database: { status: 'nothing-to-do' } });
    expect(await appliedVersions(db)).toEqual(['20240101000001', '20240101000002']);
    expect(issues.issues).toHaveLength(1);
  });

  it("in a split rollback from a deployment's own URL, the database job names the incident by that URL, as the app job did", async () => {
    const { bad, run } = await vercel();
    const own = `https://${bad.url}`;
    const app = await run({ from: own, runId: '651', scope: ['web'] });
    expect(app).toMatchObject({ status: 'rolled-back', incidentKey: `production:web@${own}` });
    const database = await run({ from: own, runId: '651', scope: ['database'], earlierTimeline: app.timeline });
    expect(database).toMatchObject({ status: 'rolled-back', incidentKey: app.incidentKey });
    expect(issues.issues).toHaveLength(1);
  });

  it("an earlier incident's finished row under the old spelling (the domain as given) is not this incident's", async () => {
    const DOMAIN = 'https://shop.example.com';
    const legacy = `production:web@${DOMAIN}`;
    const V = (i: number) => `2024010100000${i}`;
    await withSession(parseConnectionString(db.url), (s) => writeLedger(s, { incidentKey: legacy, method: 'down-migrations', planned: [V(3)], kept: [V(1), V(2)], applied: [V(1), V(2), V(3)], reverted: [V(3)], status: 'done' }));
    const { bad, run } = await vercel();
    const record = await run({ from: DOMAIN, runId: '621' });
    // Planned afresh (steps: 1), not "nothing to do" nor refused as that incident's.
    expect(record).toMatchObject({ status: 'rolled-back', incidentKey: `production:web@${bad.uid}`, database: { status: 'reverted', planned: [V(3)] } });
    expect(await appliedVersions(db)).toEqual([V(1), V(2)]);
    expect(record.incidentAliases ?? []).not.toContain(legacy);
  });

  it('a half-done row under the old spelling (the domain as given) is this incident\'s: its plan is finished', async () => {
    const DOMAIN = 'https://shop.example.com';
    const V = (i: number) => `2024010100000${i}`;
    await withSession(parseConnectionString(db.url), (s) => writeLedger(s, { incidentKey: `production:web@${DOMAIN}`, method: 'down-migrations', planned: [V(3), V(2)], kept: [V(1)], applied: [V(1), V(2), V(3)], reverted: [], status: 'started' }));
    const { bad, run } = await vercel();
    const record = await run({ from: DOMAIN, runId: '631' });
    // That row's plan (3 and 2), not a fresh `steps: 1` (3 alone).
    expect(record).toMatchObject({ status: 'rolled-back', incidentKey: `production:web@${bad.uid}`, database: { status: 'reverted', planned: [V(3), V(2)] } });
    expect(await appliedVersions(db)).toEqual([V(1)]);
  });
});
