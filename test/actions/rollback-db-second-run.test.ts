// The root action's bundle with scope db (the database alone), no `from` and no app job's timeline,
// run as "Run workflow" pressed twice: the second run (a new GITHUB_RUN_ID) starts once the first is
// done. Keyed by their run ids, the second reverted one migration more (DROP TABLE of the migration
// before the bad one). Given the Vercel token, the run asks Vercel (read only, as a full rollback's
// plan does) which deployment the incident is of, and names it so: a second db run, a full rollback
// after it, a db run after that and the command line's `rollback db` find one ledger row and one
// issue. Without the token, or when Vercel refuses it, it keeps the run's key and says so.
// Real PostgreSQL (dbmate), the stand-in Vercel and GitHub issues servers.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startGitHubIssues, type GitHubIssuesFake } from '../fakes/github-issues.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';
import { runCli } from '../cli/run-cli.js';
import { applyMigrations, tables, writeMigrations } from '../migrations/fixtures.js';
import { appliedVersions } from '../pipeline/world.js';
import { OTHER_TOKEN, shopFixture, TEAM_ID, TOKEN, vercelInputs, type ShopFixture } from '../promote-previous/fixture.js';

const GH_TOKEN = 'ghs_Test0Token1For2Db3Second4Run567890';

let shop: ShopFixture | undefined;
let issues: GitHubIssuesFake | undefined;
let ws: string | undefined;
let db: TestDatabase | undefined;
afterEach(async () => {
  await Promise.all([shop?.vercel.close(), issues?.close(), db?.drop()]);
  if (ws) await rm(ws, { recursive: true, force: true });
});

async function world(): Promise<{ shop: ShopFixture; issues: GitHubIssuesFake; db: TestDatabase; ws: string }> {
  shop = await shopFixture({ historySize: 3 });
  issues = await startGitHubIssues({ token: GH_TOKEN, repository: 'acme/shop' });
  db = await createTestDatabase('rk_db_second_run');
  ws = await mkdtemp(join(tmpdir(), 'rk-db-second-run-'));
  await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', tables(4)), tables(4));
  return { shop, issues, db, ws };
}

const ledgerKeys = async (d: TestDatabase): Promise<string[]> => (await d.query('SELECT incident_key FROM rollback_kit.rollbacks ORDER BY incident_key')).rows.map((r) => String(r.incident_key));

it('scope db run twice without from names the incident by the deployment, as a full rollback does: the second run, a full rollback and a db run after it revert nothing more', async () => {
  const { shop, issues, db, ws } = await world();
  const run = (id: string, scope: string) =>
    runAction('rollback', vercelInputs(shop, { reason: 'checkout returns 500', scope, 'database-url': db.url, 'migrations-dir': 'db/migrations', steps: '1', 'github-token': GH_TOKEN }), {
      cwd: ws,
      env: { GITHUB_RUN_ID: id, GITHUB_RUN_ATTEMPT: '1', GITHUB_JOB: 'database', GITHUB_API_URL: issues.url },
    });

  const first = await run('7090', 'db');
  expect(first.errors).toEqual([]);
  expect(first.outputs.status).toBe('rolled-back');
  expect(JSON.parse(first.outputs.reverted!)).toEqual(['20240101000004']);
  // Production was not rolled back: the key names the deployment it serves, as a full rollback's plan would.
  expect(await ledgerKeys(db)).toEqual([`production:shop@${shop.bad.uid}`]);
  // Vercel was only asked: production still serves the bad deployment.
  expect(shop.vercel.production(shop.project)?.uid).toBe(shop.bad.uid);
  expect(issues.issues).toHaveLength(1);

  const second = await run('7091', 'db');
  expect(second.errors).toEqual([]);
  expect(second.outputs.status).toBe('nothing-to-do');
  expect(second.log).not.toContain('reverting 20240101000003');
  expect(await appliedVersions(db)).toEqual(['20240101000001', '20240101000002', '20240101000003']);
  expect(issues.issues).toHaveLength(1);

  // A full rollback of the same incident: the app goes back, the database has nothing left to do.
  const full = await run('7092', 'full');
  expect(full.errors).toEqual([]);
  expect(full.outputs.status).toBe('rolled-back');
  expect(JSON.parse(full.outputs.reverted!)).toEqual(['20240101000004']);
  expect(shop.vercel.production(shop.project)?.uid).toBe(shop.good.uid);
  expect(await appliedVersions(db)).toEqual(['20240101000001', '20240101000002', '20240101000003']);

  // Once the app is back, the deployment rolled back from (Vercel's record of the rollback) names it.
  const after = await run('7093', 'db');
  expect(after.errors).toEqual([]);
  expect(after.outputs.status).toBe('nothing-to-do');
  expect(await appliedVersions(db)).toEqual(['20240101000001', '20240101000002', '20240101000003']);
  expect(await ledgerKeys(db)).toEqual([`production:shop@${shop.bad.uid}`]);
  expect(issues.issues).toHaveLength(1);
  expect(issues.issues[0]!.comments).toHaveLength(3);

  // `rollback-kit rollback db` from a terminal, once named production:database: the same incident.
  const cli = await runCli(['rollback', 'db', '--reason', 'checkout returns 500', '--provider', 'vercel', '--project', 'shop', '--team', TEAM_ID, '--api-url', shop.vercel.url, '--migrations-dir', 'db/migrations', '--steps', '1', '--yes', '--json'], {
    cwd: ws,
    env: { VERCEL_TOKEN: TOKEN, DATABASE_URL: db.url, GITHUB_TOKEN: GH_TOKEN, GITHUB_REPOSITORY: 'acme/shop', GITHUB_API_URL: issues.url },
  });
  expect(cli.code).toBe(0);
  expect(JSON.parse(cli.stdout)).toMatchObject({ status: 'nothing-to-do', record: { incidentKey: `production:shop@${shop.bad.uid}` } });
  expect(await appliedVersions(db)).toEqual(['20240101000001', '20240101000002', '20240101000003']);
  expect(issues.issues).toHaveLength(1);
});

it('scope db without the platform token keeps the workflow run\'s key and says a second run could revert more', async () => {
  const { shop, db, ws } = await world();
  const inputs = vercelInputs(shop, { 'vercel-token': '', reason: 'checkout returns 500', scope: 'db', 'database-url': db.url, 'migrations-dir': 'db/migrations', steps: '1', 'github-token': '', 'incident-issue': 'false' });
  const run = await runAction('rollback', inputs, { cwd: ws, env: { GITHUB_RUN_ID: '7095', GITHUB_RUN_ATTEMPT: '1', GITHUB_JOB: 'database', VERCEL_TOKEN: undefined } });
  expect(run.errors).toEqual([]);
  expect(run.outputs.status).toBe('rolled-back');
  expect(await ledgerKeys(db)).toEqual(['production:run-7095']);
  expect(run.stdout).toMatch(/::warning::This run rolls back the database alone, without from, and it cannot ask .*vercel-token.*the incident could not be named by the deployment, so it is named production:run-7095, .* Pass from/);
});

it('scope db whose look-up fails (Vercel refuses the token) keeps the workflow run\'s key, warns, and still rolls the database back', async () => {
  const { shop, db, ws } = await world();
  const inputs = vercelInputs(shop, { 'vercel-token': OTHER_TOKEN, reason: 'checkout returns 500', scope: 'db', 'database-url': db.url, 'migrations-dir': 'db/migrations', steps: '1', 'github-token': '', 'incident-issue': 'false' });
  const run = await runAction('rollback', inputs, { cwd: ws, env: { GITHUB_RUN_ID: '7096', GITHUB_RUN_ATTEMPT: '1', GITHUB_JOB: 'database' } });
  expect(run.errors).toEqual([]);
  expect(run.outputs.status).toBe('rolled-back');
  expect(JSON.parse(run.outputs.reverted!)).toEqual(['20240101000004']);
  expect(await ledgerKeys(db)).toEqual(['production:run-7096']);
  expect(run.stdout).toMatch(/::warning::This run rolls back the database alone, without from, and asking which deployment the incident is of failed \(.+\): the incident could not be named by the deployment, so it is named production:run-7096, .* Pass from/);
  expect(run.log).not.toContain(OTHER_TOKEN);
});
