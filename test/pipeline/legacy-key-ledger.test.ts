// An incident still in flight when rollback-kit was upgraded: its ledger row was written under the key
// as the earlier version spelled it (a7b1bdd: a Render or Fly service URL `from` as given, a URL with
// its user name and password). The key is spelled otherwise now (the deploy rolled back from, or the
// URL run-scoped, without its secrets), and a re-run looked up the new spelling only: it missed the
// half-done row, planned afresh and counted `steps` again, reverting more than the incident's plan
// (or, here, less of it). The re-run finishes that row's plan, moves the row to the new key, and
// never says the old spelling where it held a password. Real PostgreSQL (dbmate), the local stand-ins
// for Render and GitHub's issues API.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { withSession } from '../../src/db/session.js';
import { writeLedger } from '../../src/migrations/ledger.js';
import { runRollback, type RollbackRequest } from '../../src/pipeline/rollback.js';
import { tellingDeps } from '../../src/report/rollback-deps.js';
import { startGitHubIssues, type GitHubIssuesFake } from '../fakes/github-issues.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { applyMigrations, tables, writeMigrations } from '../migrations/fixtures.js';
import { SERVICE_ID, startFakeRender } from '../platforms/fake-render.js';
import { appliedVersions } from './world.js';

const GH_TOKEN = 'ghs_Test0Token1For2Legacy3Key4Ledger56';
const RENDER_TOKEN = 'rnd_Zx81secretApiKeyForRender0000';
const V = (i: number) => `2024010100000${i}`;

let db: TestDatabase;
let ws: string;
let issues: GitHubIssuesFake;
const closing: (() => Promise<void>)[] = [];
beforeEach(async () => {
  db = await createTestDatabase('rk_legacy_key_ledger');
  ws = await mkdtemp(join(tmpdir(), 'rk-legacy-key-ledger-'));
  await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', tables(3)), tables(3));
  issues = await startGitHubIssues({ token: GH_TOKEN, repository: 'acme/shop' });
});
afterEach(async () => {
  for (const c of closing.splice(0)) await c();
  await issues.close();
  await rm(ws, { recursive: true, force: true });
});

/** A Render web component with `from`, and a database section whose `steps: 1` would plan only 3 afresh. */
async function run(r: { from: string; runId: string; scope: string[]; log: ReturnType<typeof memoryLog>; apiFrom?: string }) {
  const f = await startFakeRender();
  f.addToken(RENDER_TOKEN);
  closing.push(() => f.close());
  f.deploy();
  f.deploy();
  const bad = f.deploy();
  const request: RollbackRequest = {
    plan: {
      source: 'rollback-kit.yml',
      environment: 'production',
      budgetMinutes: 15,
      components: [
        { name: 'web', provider: 'render', service: SERVICE_ID, apiUrl: f.url, target: 'previous', method: 'rollback', timeoutSeconds: 60, from: r.from },
        ...(r.apiFrom ? [{ name: 'api', provider: 'render' as const, service: SERVICE_ID, apiUrl: f.url, target: 'previous' as const, method: 'rollback' as const, timeoutSeconds: 60, from: r.apiFrom }] : []),
      ],
      database: { method: 'down-migrations', migrationsDir: 'db/migrations', format: 'dbmate', choice: { steps: 1 }, lockTimeoutSeconds: 10 },
      labels: ['incident'],
    },
    scope: r.scope,
    reason: 'checkout returns 500',
    severity: 'critical',
    dryRun: false,
    earlierTimeline: [],
    secrets: { renderToken: RENDER_TOKEN, githubToken: GH_TOKEN },
    database: parseConnectionString(db.url),
    workspace: ws,
    snapshotDir: join(ws, 'snapshots'),
    github: { repository: 'acme/shop', apiUrl: issues.url, runId: r.runId, runUrl: `https://github.com/acme/shop/actions/runs/${r.runId}` },
    commandEnv: {},
    pollIntervalMs: 10,
  };
  const record = await runRollback(request, tellingDeps({ githubToken: GH_TOKEN, repository: 'acme/shop', githubApiUrl: issues.url }, r.log), r.log);
  return { record, bad };
}

/** The row the earlier version wrote before its run stopped: plan 3 and 2, nothing reverted yet. */
async function halfDoneRow(key: string): Promise<void> {
  await withSession(parseConnectionString(db.url), (s) => writeLedger(s, { incidentKey: key, method: 'down-migrations', planned: [V(3), V(2)], kept: [V(1)], applied: [V(1), V(2), V(3)], reverted: [], status: 'started' }));
}

const rows = async () => (await db.query<{ incident_key: string; status: string; planned: string[] }>('SELECT incident_key, status, planned FROM rollback_kit.rollbacks ORDER BY incident_key')).rows;

it('a Render service URL from: the row under the old spelling is finished and moved to the deploy-named key', async () => {
  const URL = 'https://shop-web.onrender.com/';
  const legacy = `production:web@${URL}`;
  await halfDoneRow(legacy);
  const log = memoryLog();
  const { record, bad } = await run({ from: URL, runId: '701', scope: ['web', 'database'], log });
  expect(record.incidentKey).toBe(`production:web@${bad.id}`);
  // That row's plan (3 and 2), not a fresh `steps: 1` (3 alone).
  expect(record).toMatchObject({ status: 'rolled-back', database: { status: 'reverted', planned: [V(3), V(2)] } });
  expect(await appliedVersions(db)).toEqual([V(1)]);
  expect(await rows()).toEqual([{ incident_key: record.incidentKey, status: 'done', planned: [V(3), V(2)] }]);
  expect(log.lines.join('\n')).toContain('under an earlier spelling of the key');
  // The issue an earlier version opened for it carries the old spelling in its marker.
  expect(record.incidentAliases).toContain(legacy);
});

it('a URL from with a password: the row under the old spelling is finished and moved, and the password is never said', async () => {
  const withSecrets = 'https://deploy:pw-S3cr3t-value@shop-web.onrender.com/a,b';
  await halfDoneRow(`production:web@${withSecrets}`);
  const log = memoryLog();
  const { record } = await run({ from: withSecrets, runId: '702', scope: ['database'], log });
  expect(record.incidentKey).toBe('production:web@https://shop-web.onrender.com/a%2Cb|run-702');
  expect(record).toMatchObject({ status: 'rolled-back', database: { status: 'reverted', planned: [V(3), V(2)] } });
  expect(await appliedVersions(db)).toEqual([V(1)]);
  expect(await rows()).toEqual([{ incident_key: record.incidentKey, status: 'done', planned: [V(3), V(2)] }]);
  const everything = [log.lines.join('\n'), JSON.stringify(issues.issues), JSON.stringify(record), JSON.stringify(await rows())].join('\n');
  expect(everything).not.toContain('pw-S3cr3t-value');
});

it("a Render service URL from: an earlier incident's finished row under the old spelling is not this incident's", async () => {
  // Every incident on the service had that spelling: this done row is an earlier one's, finished
  // before the upgrade (its migration 3 applied again since, with the fix that went bad too).
  const URL = 'https://shop-web.onrender.com/';
  const legacy = `production:web@${URL}`;
  await withSession(parseConnectionString(db.url), (s) => writeLedger(s, { incidentKey: legacy, method: 'down-migrations', planned: [V(3)], kept: [V(1), V(2)], applied: [V(1), V(2), V(3)], reverted: [V(3)], status: 'done' }));
  const { record, bad } = await run({ from: URL, runId: '703', scope: ['web', 'database'], log: memoryLog() });
  // Planned afresh (steps: 1), not "nothing to do" nor refused as that incident's.
  expect(record).toMatchObject({ status: 'rolled-back', incidentKey: `production:web@${bad.id}`, database: { status: 'reverted', planned: [V(3)] } });
  expect(await appliedVersions(db)).toEqual([V(1), V(2)]);
  expect(await rows()).toEqual([
    { incident_key: `production:web@${bad.id}`, status: 'done', planned: [V(3)] },
    { incident_key: legacy, status: 'done', planned: [V(3)] },
  ]);
  expect(record.incidentAliases ?? []).not.toContain(legacy);
});

it('refused under the old spelling before the row is moved: the DELETE its hint gives names the key the row has', async () => {
  // The earlier version planned to revert 2 and stopped; 3 was applied since, above that plan.
  const URL = 'https://shop-web.onrender.com/';
  const legacy = `production:web@${URL}`;
  await withSession(parseConnectionString(db.url), (s) => writeLedger(s, { incidentKey: legacy, method: 'down-migrations', planned: [V(2)], kept: [V(1)], applied: [V(1), V(2)], reverted: [], status: 'started' }));
  const { record } = await run({ from: URL, runId: '704', scope: ['database'], log: memoryLog() });
  expect(record).toMatchObject({ status: 'failed', failedPhase: 'plan', incidentKey: `${legacy}|run-704` });
  const said = record.timeline.find((e) => e.phase === 'plan')!.detail;
  expect(said).toContain(`delete the incident's row first (DELETE FROM rollback_kit.rollbacks WHERE incident_key = '${legacy}') and re-run`);
  // That DELETE clears the row: nothing else is under that key.
  expect(await rows()).toEqual([{ incident_key: legacy, status: 'started', planned: [V(2)] }]);
  await db.query(/DELETE FROM rollback_kit\.rollbacks WHERE incident_key = '[^']*'/.exec(said)![0]);
  expect(await rows()).toEqual([]);
});

it('refused under an old spelling that held a password: the DELETE names the key without it, and says what to write back', async () => {
  const withSecrets = 'https://deploy:pw-S3cr3t-value@shop-web.onrender.com/a,b';
  await withSession(parseConnectionString(db.url), (s) => writeLedger(s, { incidentKey: `production:web@${withSecrets}`, method: 'down-migrations', planned: [V(2)], kept: [V(1)], applied: [V(1), V(2)], reverted: [], status: 'started' }));
  const log = memoryLog();
  const { record } = await run({ from: withSecrets, runId: '705', scope: ['database'], log });
  expect(record).toMatchObject({ status: 'failed', failedPhase: 'plan' });
  const said = record.timeline.find((e) => e.phase === 'plan')!.detail;
  expect(said).toContain("(DELETE FROM rollback_kit.rollbacks WHERE incident_key = 'production:web@https://shop-web.onrender.com/a,b', with each URL in the key written as in the from you gave");
  expect([said, log.lines.join('\n'), JSON.stringify(record)].join('\n')).not.toContain('pw-S3cr3t-value');
});

it('refused under an old two-part spelling whose URL has no path: the DELETE names that key exactly, and it is an alias', async () => {
  // `web@https://shop-web.onrender.com,api@dep-abc`: read as one URL, `shop-web.onrender.com,api` is
  // its userinfo; the key holds no secret, and is said as it is.
  const legacy = 'production:web@https://shop-web.onrender.com,api@dep-abc';
  await withSession(parseConnectionString(db.url), (s) => writeLedger(s, { incidentKey: legacy, method: 'down-migrations', planned: [V(2)], kept: [V(1)], applied: [V(1), V(2)], reverted: [], status: 'started' }));
  const { record } = await run({ from: 'https://shop-web.onrender.com', apiFrom: 'dep-abc', runId: '706', scope: ['database'], log: memoryLog() });
  expect(record).toMatchObject({ status: 'failed', failedPhase: 'plan' });
  const said = record.timeline.find((e) => e.phase === 'plan')!.detail!;
  expect(said).toContain(`delete the incident's row first (DELETE FROM rollback_kit.rollbacks WHERE incident_key = '${legacy}') and re-run`);
  expect(said).not.toContain('an earlier version of rollback-kit wrote the row under that spelling');
  expect(record.incidentAliases).toContain(legacy);
  await db.query(/DELETE FROM rollback_kit\.rollbacks WHERE incident_key = '[^']*'/.exec(said)![0]);
  expect(await rows()).toEqual([]);
});
