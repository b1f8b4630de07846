// rollback.yml's scope db without from, as GitHub runs it: the incident job's step (the platform
// token, no database URL) and the database job's step (the database URL, no platform token), each
// the root action's bundle given what the workflow's with: evaluates to. The database job could not
// ask Vercel, so it named the incident by the workflow run, and "Run workflow" pressed twice reverted
// two migrations (DROP TABLE of the one before the bad one). Handed the incident job's
// incident-from, both workflow runs name the incident by the deployment, and the second does nothing.
// Real PostgreSQL (dbmate), the stand-in Vercel and GitHub issues servers.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startGitHubIssues, type GitHubIssuesFake } from '../fakes/github-issues.js';
import { findLeaks } from '../helpers/leak-scan.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { ROOT, runAction } from '../helpers/run-action.js';
import { applyMigrations, tables, writeMigrations } from '../migrations/fixtures.js';
import { appliedVersions } from '../pipeline/world.js';
import { shopFixture, TEAM_ID, TOKEN, type ShopFixture } from '../promote-previous/fixture.js';
import { evaluateAll } from '../workflows/expressions.js';

const GH_TOKEN = 'ghs_Test0Token1For2Db3Incident4From56789';

interface Job {
  outputs?: Record<string, string>;
  steps: { id?: string; uses?: string; with?: Record<string, unknown> }[];
}
const jobs = (parse(readFileSync(join(ROOT, '.github', 'workflows', 'rollback.yml'), 'utf8')) as { jobs: Record<string, Job> }).jobs;
const rootStep = (job: Job) => job.steps.find((s) => s.uses === 'rollback-kit/rollback-kit@v1')!;

let shop: ShopFixture | undefined;
let issues: GitHubIssuesFake | undefined;
let ws: string | undefined;
let db: TestDatabase | undefined;
afterEach(async () => {
  await Promise.all([shop?.vercel.close(), issues?.close(), db?.drop()]);
  if (ws) await rm(ws, { recursive: true, force: true });
});

const ledgerKeys = async (d: TestDatabase): Promise<string[]> => (await d.query('SELECT incident_key FROM rollback_kit.rollbacks ORDER BY incident_key')).rows.map((r) => String(r.incident_key));

it('scope db without from, "Run workflow" pressed twice: the incident job hands the database job the deployment, and the second run reverts nothing', async () => {
  shop = await shopFixture({ historySize: 3 });
  issues = await startGitHubIssues({ token: GH_TOKEN, repository: 'acme/shop' });
  db = await createTestDatabase('rk_db_only_key');
  ws = await mkdtemp(join(tmpdir(), 'rk-db-incident-from-'));
  await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', tables(4)), tables(4));
  await writeFile(
    join(ws, 'rollback-kit.yml'),
    [
      'components:',
      `  shop: { provider: vercel, project: shop, team: ${TEAM_ID}, api-url: "${shop.vercel.url}" }`,
      'database:',
      '  migrations-dir: db/migrations',
      '  format: dbmate',
      '  steps: 1',
      '',
    ].join('\n'),
  );
  const { vercel, project, bad } = shop;
  const { url: apiUrl } = issues;
  const d = db;
  const inputs = { environment: 'production', scope: 'db', reason: 'checkout returns 500', target: '', from: '', 'dry-run': false };
  // Each job gets only the secrets it names in with: (the runner's env holds no other).
  const secrets = { VERCEL_TOKEN: TOKEN, DATABASE_URL: d.url };
  const job = (id: string, runId: string, needs: Record<string, unknown> = {}) => {
    const given = evaluateAll(rootStep(jobs[id]!).with, { inputs, secrets, needs, github: { token: GH_TOKEN }, vars: {} });
    return runAction('rollback', given, { cwd: ws, env: { GITHUB_RUN_ID: runId, GITHUB_RUN_ATTEMPT: '1', GITHUB_JOB: id, GITHUB_API_URL: apiUrl, VERCEL_TOKEN: undefined, DATABASE_URL: undefined } });
  };
  const workflowRun = async (runId: string) => {
    const look = await job('incident', runId);
    const step = rootStep(jobs.incident!);
    const outputs = evaluateAll(jobs.incident!.outputs, { steps: { [step.id!]: { outputs: look.outputs } } });
    const rollback = await job('database', runId, { incident: { outputs }, app: { outputs: {} } });
    return { look, outputs, rollback };
  };

  const first = await workflowRun('8101');
  // The look-up only asked: no database URL, production still serves the bad deployment, no issue.
  expect(first.look.errors).toEqual([]);
  expect(first.look.outputs.status).toBe('dry-run');
  expect(first.look.log).not.toContain(d.url);
  // Its log and summary say only the look-up, never an app plan to run for real (review 6).
  expect(first.look.log).toContain(`Named the incident of this database rollback by shop=${bad.uid} (read only; nothing was changed)`);
  expect(first.look.summary).toContain(`Named the incident of this database rollback by \`shop=${bad.uid}\` (read only; nothing was changed)`);
  expect(first.look.summary).not.toMatch(/dry-run false|Run again|→/);
  expect(first.look.outputs.timeline).toBeUndefined();
  expect(vercel.production(project)?.uid).toBe(bad.uid);
  expect(first.outputs.from).toBe(`shop=${bad.uid}`);
  expect(first.rollback.errors).toEqual([]);
  expect(first.rollback.outputs.status).toBe('rolled-back');
  expect(JSON.parse(first.rollback.outputs.reverted!)).toEqual(['20240101000004']);
  expect(first.rollback.stdout).not.toContain('::warning::This run rolls back the database alone');
  expect(await ledgerKeys(d)).toEqual([`production:shop@${bad.uid}`]);

  const second = await workflowRun('8102');
  expect(second.outputs.from).toBe(`shop=${bad.uid}`);
  expect(second.rollback.errors).toEqual([]);
  expect(second.rollback.outputs.status).toBe('nothing-to-do');
  expect(await appliedVersions(d)).toEqual(['20240101000001', '20240101000002', '20240101000003']);
  expect(await ledgerKeys(d)).toEqual([`production:shop@${bad.uid}`]);
  expect(issues.issues).toHaveLength(1);

  // The app rolled back afterwards (the app job of a scope app run): production serves the good
  // deployment, and the look-up names the incident by the one the rollback was made from.
  const app = await runAction('rollback', { scope: 'app', reason: 'checkout returns 500', 'vercel-token': TOKEN, 'github-token': GH_TOKEN }, { cwd: ws, env: { GITHUB_RUN_ID: '8103', GITHUB_API_URL: apiUrl } });
  expect(app.outputs.status).toBe('rolled-back');
  expect(vercel.production(project)?.uid).toBe(shop.good.uid);
  const third = await workflowRun('8104');
  expect(third.outputs.from).toBe(`shop=${bad.uid}`);
  expect(third.rollback.outputs.status).toBe('nothing-to-do');
  expect(await appliedVersions(d)).toEqual(['20240101000001', '20240101000002', '20240101000003']);
  expect(issues.issues).toHaveLength(1);
});

it('scope db without from, a plan without app components (or one the look-up cannot ask): the incident job ends green, with a notice and no from', async () => {
  ws = await mkdtemp(join(tmpdir(), 'rk-db-incident-none-'));
  const inputs = { environment: 'production', scope: 'db', reason: 'orders table migration broke checkout', target: '', from: '', 'dry-run': false };
  const look = () => {
    const given = evaluateAll(rootStep(jobs.incident!).with, { inputs, secrets: { VERCEL_TOKEN: TOKEN }, needs: {}, github: { token: GH_TOKEN }, vars: {} });
    return runAction('rollback', given, { cwd: ws, env: { GITHUB_RUN_ID: '8201', GITHUB_RUN_ATTEMPT: '1', GITHUB_JOB: 'incident', VERCEL_TOKEN: undefined, DATABASE_URL: undefined } });
  };
  const database = ['database:', '  migrations-dir: db/migrations', '  format: dbmate', '  steps: 1', ''];
  for (const [components, why] of [
    [[], 'the rollback plan has no app components'],
    [['components:', '  jobs: { provider: command, command: "echo rolled back" }'], 'jobs is a command component, which cannot say what it serves'],
  ] as const) {
    await writeFile(join(ws, 'rollback-kit.yml'), [...components, ...database].join('\n'));
    const run = await look();
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.outputs['incident-from']).toBe('');
    expect(run.outputs.status).toBe('dry-run');
    const notice = run.stdout.split('\n').find((l) => l.startsWith('::notice'));
    expect(notice).toContain(`${why}. The database job names it by the workflow run`);
    expect(notice).toContain("give from (the bad deployment's id) to avoid that");
    expect(run.summary).toContain('The incident of this database rollback is not named by a deployment (read only; nothing was changed)');
    expect(run.summary).not.toMatch(/dry-run false|Run again/);
  }
});

// The look-up started (it asked Vercel) and failed: its summary says it only reads, not that a
// rollback "stopped before it started", and the refused token is never written anywhere.
it('scope incident with a token Vercel refuses: fails, and its summary says the look-up changed nothing', async () => {
  shop = await shopFixture({ historySize: 3 });
  ws = await mkdtemp(join(tmpdir(), 'rk-db-incident-badtoken-'));
  await writeFile(
    join(ws, 'rollback-kit.yml'),
    ['components:', `  shop: { provider: vercel, project: shop, team: ${TEAM_ID}, api-url: "${shop.vercel.url}" }`, 'database:', '  migrations-dir: db/migrations', '  format: dbmate', '  steps: 1', ''].join('\n'),
  );
  const badToken = 'vcp_Refused0Token1For2The3Lookup45';
  const inputs = { environment: 'production', scope: 'db', reason: 'checkout returns 500', target: '', from: '', 'dry-run': false };
  const given = evaluateAll(rootStep(jobs.incident!).with, { inputs, secrets: { VERCEL_TOKEN: badToken }, needs: {}, github: { token: GH_TOKEN }, vars: {} });
  const run = await runAction('rollback', given, { cwd: ws, env: { GITHUB_RUN_ID: '8301', GITHUB_RUN_ATTEMPT: '1', GITHUB_JOB: 'incident', VERCEL_TOKEN: undefined, DATABASE_URL: undefined } });
  expect(run.code).toBe(1);
  expect(run.errors).toHaveLength(1);
  expect(run.summary).toContain('The incident look-up only reads the platforms: nothing was changed.');
  expect(run.summary).not.toContain('stopped before it started');
  // It asked Vercel (so it started), and only asked.
  expect(shop.vercel.requests.length).toBeGreaterThan(0);
  expect(shop.vercel.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  expect(shop.vercel.production(shop.project)?.uid).toBe(shop.bad.uid);
  expect(await findLeaks(run, [badToken])).toEqual([]);
});
