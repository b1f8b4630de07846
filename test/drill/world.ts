/**
 * A staging environment to drill on: a Vercel project (fake API) whose previous production
 * deployment was built from the commit before the last migration was added, an app whose health
 * endpoint records which deployment served each check, a real PostgreSQL database migrated by
 * dbmate from a git workspace, and GitHub's issues API.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGitHubIssues, type GitHubIssuesFake } from '../fakes/github-issues.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { runAction, type ActionRun } from '../helpers/run-action.js';
import { applyMigrations, git, tables, writeMigrations, type Step } from '../migrations/fixtures.js';
import { startFakeVercel, type FakeDeployment, type FakeProject, type FakeVercel } from '../../src/sandbox/vercel-api.js';

export const TOKEN = 'vercel_tok_Dr1llStag1ngT0ken42xyz';
export const TEAM_ID = 'team_staging0123456789';
export const GITHUB_TOKEN = 'ghs_' + 'Dr1llTestToken0123456789abcdefABCDEF';
export const DB_PASSWORD = 'Pg-Drill-Pass-51c0-never-print';
export const REPOSITORY = 'acme/shop';

export interface DrillWorld {
  vercel: FakeVercel;
  project: FakeProject;
  /** Built from the commit before the last migration: where the drill goes back to. */
  previous: FakeDeployment;
  /** Serving staging when the drill starts. */
  current: FakeDeployment;
  /** The deployment that served each health check, in order. */
  served: string[];
  app: { url: string; close(): Promise<void> };
  db: TestDatabase;
  databaseUrl: string;
  workspace: string;
  issues: GitHubIssuesFake;
  close(): Promise<void>;
}

export interface DrillWorldOptions {
  lastMigration?: Partial<Step>;
  tokenExpiresAt?: number;
  /** No deployment before the current one may serve production again. */
  noEligible?: boolean;
  /** The app answers 500 while this deployment serves. */
  unhealthy?: 'previous';
}

export async function startDrillWorld(opts: DrillWorldOptions = {}): Promise<DrillWorld> {
  const workspace = await mkdtemp(join(tmpdir(), 'rk-drill-ws-'));
  const steps = tables(3);
  steps[2] = { ...steps[2]!, ...opts.lastMigration };
  await git(workspace, 'init', '-q', '-b', 'main');
  await writeMigrations(workspace, 'dbmate', steps.slice(0, 2));
  await git(workspace, 'add', '.');
  await git(workspace, 'commit', '-q', '-m', 'two tables');
  const before = await git(workspace, 'rev-parse', 'HEAD');
  await writeMigrations(workspace, 'dbmate', steps);
  await git(workspace, 'add', '.');
  await git(workspace, 'commit', '-q', '-m', 'third table');
  const head = await git(workspace, 'rev-parse', 'HEAD');

  // Applied from a copy with every down block (dbmate insists), so the checkout may lack one.
  const applied = await mkdtemp(join(tmpdir(), 'rk-drill-applied-'));
  const db = await createTestDatabase('rk_drill');
  await applyMigrations(db, 'dbmate', await writeMigrations(applied, 'dbmate', tables(3)), tables(3));
  await rm(applied, { recursive: true, force: true });
  const u = new URL(db.url);
  u.password = DB_PASSWORD;

  const vercel = await startFakeVercel();
  vercel.addTeam(TEAM_ID, 'acme-staging');
  vercel.addToken(TOKEN, 'user_ci', [TEAM_ID], { expiresAt: opts.tokenExpiresAt });
  const project = vercel.addProject({ name: 'shop-staging', owner: TEAM_ID, domains: ['staging.shop.example.com'] });
  if (!opts.noEligible) for (let i = 0; i < 3; i++) vercel.addDeployment(project);
  const previous = vercel.addDeployment(project, { sha: before, ...(opts.noEligible ? { state: 'ERROR' } : {}) });
  const current = vercel.addDeployment(project, { sha: head, production: true });

  const served: string[] = [];
  const server: Server = createServer((_req, res) => {
    const uid = vercel.production(project)?.uid ?? 'none';
    served.push(uid);
    const ok = !(opts.unhealthy === 'previous' && uid === previous.uid);
    res.writeHead(ok ? 200 : 500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: ok ? 'ok' : 'error', deployment: uid }));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const app = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
  const issues = await startGitHubIssues({ token: GITHUB_TOKEN, repository: REPOSITORY });
  return {
    vercel,
    project,
    previous,
    current,
    served,
    app,
    db,
    databaseUrl: u.toString(),
    workspace,
    issues,
    async close() {
      await Promise.all([vercel.close(), app.close(), issues.close()]);
      await db.drop();
      await rm(workspace, { recursive: true, force: true });
    },
  };
}

/** The plan a staging drill uses: the Vercel app, the database (no steps: the drill diffs against the previous deployment's commit), a health check. */
export async function writeDrillPlan(w: DrillWorld): Promise<void> {
  const plan = [
    'environment: staging',
    'budget-minutes: 15',
    'components:',
    `  web: { provider: vercel, project: shop-staging, team: ${TEAM_ID}, api-url: "${w.vercel.url}" }`,
    'database:',
    '  migrations-dir: db/migrations',
    '  format: dbmate',
    'verify:',
    `  base-url: ${w.app.url}`,
    '  checks: "- {name: health, url: /api/health, critical: true}"',
    '  attempts: 1',
    '  interval-seconds: 0',
    '',
  ].join('\n');
  await writeFile(join(w.workspace, 'rollback-kit.yml'), plan);
}

export function drill(w: DrillWorld, inputs: Record<string, string | number | boolean | undefined> = {}): Promise<ActionRun> {
  return runAction(
    'rollback',
    { mode: 'drill', 'vercel-token': TOKEN, 'github-token': GITHUB_TOKEN, 'database-url': w.databaseUrl, ...inputs },
    { cwd: w.workspace, env: { GITHUB_API_URL: w.issues.url, GITHUB_REPOSITORY: REPOSITORY, GITHUB_WORKSPACE: w.workspace }, timeoutMs: 170_000 },
  );
}
