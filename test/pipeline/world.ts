/**
 * A small production for the whole rollback: a Vercel project (fake API) whose live deployment
 * decides what a local app server answers on /api/health, a second component rolled back by a
 * command, a real PostgreSQL database migrated by dbmate, GitHub's issues API and a chat webhook.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { runAction, type ActionRun } from '../helpers/run-action.js';
import { applyMigrations, tables, writeMigrations } from '../migrations/fixtures.js';
import { shopFixture, TEAM_ID, TOKEN, type ShopFixture } from '../promote-previous/fixture.js';
import { startGitHubIssues, type GitHubIssuesFake } from '../fakes/github-issues.js';
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js';
import { tempDir } from '../helpers/temp-dir.js';

export const GITHUB_TOKEN = 'ghs_' + 'R0llbackKitTestToken0123456789abcdef';
export const DB_PASSWORD = 'Pg-Pass-7d1e0c-never-print';
export const REPOSITORY = 'acme/shop';

export interface World {
  shop: ShopFixture;
  app: { url: string; healthy: () => boolean; close(): Promise<void> };
  db: TestDatabase;
  /** database-url with a password in it (the shared server trusts any password). */
  databaseUrl: string;
  workspace: string;
  issues: GitHubIssuesFake;
  webhook: WebhookReceiver;
  close(): Promise<void>;
}

/** Health follows production: the bad deployment answers 500, any other 200. */
async function startApp(shop: ShopFixture): Promise<World['app']> {
  const healthy = () => shop.vercel.production(shop.project)?.uid !== shop.bad.uid;
  const server: Server = createServer((req, res) => {
    const ok = healthy();
    res.writeHead(ok ? 200 : 500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: ok ? 'ok' : 'error', deployment: shop.vercel.production(shop.project)?.uid }));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    healthy,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

export async function startWorld(): Promise<World> {
  const shop = await shopFixture({ historySize: 3 });
  const app = await startApp(shop);
  const db = await createTestDatabase('rk_pipeline');
  const workspace = await tempDir('rk-pipeline-ws-');
  const dir = await writeMigrations(workspace, 'dbmate', tables(3));
  await applyMigrations(db, 'dbmate', dir, tables(3));
  const u = new URL(db.url);
  u.password = DB_PASSWORD;
  const issues = await startGitHubIssues({ token: GITHUB_TOKEN, repository: REPOSITORY });
  const webhook = await startWebhookReceiver();
  return {
    shop,
    app,
    db,
    databaseUrl: u.toString(),
    workspace,
    issues,
    webhook,
    async close() {
      await Promise.all([shop.vercel.close(), app.close(), issues.close(), webhook.close()]);
    },
  };
}

/** The plan most tests use: the Vercel web app, the api rolled back by a command, dbmate, a health check. */
export function planYaml(w: World, extra: { api?: boolean; verify?: string; database?: string } = {}): string {
  return [
    'budget-minutes: 15',
    'components:',
    `  web: { provider: vercel, project: shop, team: ${TEAM_ID}, api-url: "${w.shop.vercel.url}" }`,
    ...(extra.api === false ? [] : ['  api: { provider: command, command: \'echo "$ROLLBACK_TARGET" >> api-rollbacks.txt\', target: api-v1 }']),
    'database:',
    extra.database ?? '  migrations-dir: db/migrations\n  format: dbmate\n  steps: 1',
    'verify:',
    `  base-url: ${w.app.url}`,
    extra.verify ?? '  checks: "- {name: health, url: /api/health, critical: true}"',
    '  attempts: 1',
    '  interval-seconds: 0',
    'incident:',
    '  labels: [incident, rollback]',
    '',
  ].join('\n');
}

export async function writePlan(w: World, text: string): Promise<void> {
  await writeFile(join(w.workspace, 'rollback-kit.yml'), text);
}

export function rollback(w: World, inputs: Record<string, string | number | boolean | undefined>, env: Record<string, string | undefined> = {}): Promise<ActionRun> {
  return runAction(
    'rollback',
    {
      reason: 'checkout returns 500 after the 14:02 deploy',
      severity: 'critical',
      'vercel-token': TOKEN,
      'github-token': GITHUB_TOKEN,
      'database-url': w.databaseUrl,
      'notify-webhook-url': w.webhook.url,
      ...inputs,
    },
    { cwd: w.workspace, env: { GITHUB_API_URL: w.issues.url, ...env }, timeoutMs: 170_000 },
  );
}

export async function appliedVersions(db: TestDatabase): Promise<string[]> {
  const r = await db.query<{ version: string }>('SELECT version FROM schema_migrations ORDER BY version');
  return r.rows.map((row) => row.version);
}
