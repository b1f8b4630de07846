// The root action's bundle, as the runner starts it, run as "Run workflow" pressed twice under the
// README's concurrency group: the second run (a new GITHUB_RUN_ID) starts once the first is done,
// with no `from`. Then `rollback-kit rollback full` from a terminal. The first run reverts the bad
// migration; the others must find its incident (the deployment it rolled back from), its ledger row
// and its issue, and revert nothing more: once keyed by their run ids, each reverted one migration
// more (DROP TABLE of the migration before the bad one) and opened an issue of its own.
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
import { shopFixture, vercelInputs, TOKEN, type ShopFixture } from '../promote-previous/fixture.js';

const GH_TOKEN = 'ghs_Test0Token1For2Second3Run4567890';

let shop: ShopFixture | undefined;
let issues: GitHubIssuesFake | undefined;
let ws: string | undefined;
let db: TestDatabase | undefined;
afterEach(async () => {
  await Promise.all([shop?.vercel.close(), issues?.close()]);
  if (ws) await rm(ws, { recursive: true, force: true });
});

it('a second workflow run without from, and the command line after it, find the first run\'s incident: nothing more reverted, one issue', async () => {
  shop = await shopFixture({ historySize: 3 });
  issues = await startGitHubIssues({ token: GH_TOKEN, repository: 'acme/shop' });
  db = await createTestDatabase('rk_second_run');
  ws = await mkdtemp(join(tmpdir(), 'rk-second-run-'));
  await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', tables(3)), tables(3));
  const inputs = vercelInputs(shop, { reason: 'checkout returns 500', scope: 'full', 'database-url': db.url, 'migrations-dir': 'db/migrations', steps: '1', 'github-token': GH_TOKEN });
  const run = (id: string) => runAction('rollback', inputs, { cwd: ws, env: { GITHUB_RUN_ID: id, GITHUB_RUN_ATTEMPT: '1', GITHUB_JOB: 'rollback', GITHUB_API_URL: issues!.url } });

  const first = await run('7080');
  expect(first.errors).toEqual([]);
  expect(first.outputs.status).toBe('rolled-back');
  expect(JSON.parse(first.outputs.reverted!)).toEqual(['20240101000003']);
  expect(issues.issues).toHaveLength(1);

  const second = await run('7081');
  expect(second.errors).toEqual([]);
  expect(second.outputs.status).toBe('nothing-to-do');
  expect(second.log).not.toContain('reverting 20240101000002');
  expect(await appliedVersions(db)).toEqual(['20240101000001', '20240101000002']);
  expect(issues.issues).toHaveLength(1);
  expect(issues.issues[0]!.comments).toHaveLength(1);

  const cli = await runCli(['rollback', 'full', '--reason', 'checkout returns 500', '--provider', 'vercel', '--project', 'shop', '--team', inputs.team!, '--api-url', shop.vercel.url, '--migrations-dir', 'db/migrations', '--steps', '1', '--yes', '--json'], {
    cwd: ws,
    env: { VERCEL_TOKEN: TOKEN, DATABASE_URL: db.url, GITHUB_TOKEN: GH_TOKEN, GITHUB_REPOSITORY: 'acme/shop', GITHUB_API_URL: issues.url },
  });
  expect(cli.code).toBe(0);
  // Without a plan file the component is named after the project.
  expect(JSON.parse(cli.stdout)).toMatchObject({ status: 'nothing-to-do', record: { status: 'nothing-to-do', incidentKey: `production:shop@${shop.bad.uid}` } });
  expect(await appliedVersions(db)).toEqual(['20240101000001', '20240101000002']);
  expect(issues.issues).toHaveLength(1);
  expect(issues.issues[0]!.comments).toHaveLength(2);
});
