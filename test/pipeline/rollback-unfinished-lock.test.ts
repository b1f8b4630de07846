// A whole rollback run again after an earlier one restored the Netlify deploy but could not lock it:
// the plan finds the site already current, but not locked, so the app phase still runs and locks it.
// Taken for "nothing to do", the re-run would leave the site publishing every new build over the
// rollback, while the earlier run's error told the user to re-run to lock it. The local Netlify
// stand-in, no database.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { NOT_ROLLED_BACK_AGAIN } from '../../src/platforms/outcome.js';
import { runRollback, type RollbackRequest } from '../../src/pipeline/rollback.js';
import { tellingDeps } from '../../src/report/rollback-deps.js';
import { SITE_ID, startFakeNetlify, type FakeNetlify } from '../platforms/fake-netlify.js';

const NETLIFY_TOKEN = 'nfp_Secret9aXy7PersonalAccessToken';
let fake: FakeNetlify | undefined;
let ws: string | undefined;
afterEach(async () => {
  await fake?.close();
  if (ws) await rm(ws, { recursive: true, force: true });
  fake = undefined;
  ws = undefined;
});

it('a re-run after a lock that failed locks the restored deploy, in a real run; a dry run says it would', async () => {
  const f = (fake = await startFakeNetlify());
  f.addToken(NETLIFY_TOKEN);
  f.deploy();
  const good = f.deploy();
  const bad = f.deploy();
  ws = await mkdtemp(join(tmpdir(), 'rk-unfinished-lock-'));
  const run = (dryRun: boolean, automatic = false) => {
    const request: RollbackRequest = {
      automatic,
      plan: {
        source: 'rollback-kit.yml',
        environment: 'production',
        budgetMinutes: 15,
        components: [{ name: 'web', provider: 'netlify', site: SITE_ID, apiUrl: f.url, target: 'previous', method: 'rollback', timeoutSeconds: 60 }],
        labels: ['incident'],
      },
      scope: ['web'],
      reason: 'checkout returns 500',
      severity: 'critical',
      dryRun,
      earlierTimeline: [],
      secrets: { netlifyToken: NETLIFY_TOKEN },
      workspace: ws!,
      snapshotDir: join(ws!, 'snapshots'),
      github: { repository: 'acme/shop', apiUrl: 'http://127.0.0.1:9' },
      commandEnv: {},
      pollIntervalMs: 10,
    };
    const log = memoryLog();
    return runRollback(request, tellingDeps({ repository: 'acme/shop', githubApiUrl: 'http://127.0.0.1:9' }, log), log);
  };

  // Every attempt to lock fails (the provider retries a 500).
  f.fault(/\/lock$/, { status: 500, json: { code: 500, message: 'Internal Server Error' } }, 4);
  const first = await run(false);
  expect(first.status).toBe('failed');
  expect(first.components[0]!.error).toMatch(/But locking it failed/);
  expect(f.published()!.id).toBe(good.id);
  expect(good.locked).toBe(false);

  const preview = await run(true);
  expect(preview.status).toBe('dry-run');
  expect(preview.components[0]).toMatchObject({ status: 'already-current', unfinished: `lock deploy ${good.id}, so that new builds stop publishing over it` });
  expect(preview.timeline.find((e) => e.phase === 'plan')!.detail).toContain(`web: already current, still to lock deploy ${good.id}, so that new builds stop publishing over it`);
  expect(good.locked).toBe(false);

  const again = await run(false);
  expect(good.locked).toBe(true);
  expect(again.components[0]).toMatchObject({ status: 'already-current', frozen: { what: expect.stringContaining(`deploy ${good.id} is locked`) } });
  expect(again.components[0]!.unfinished).toBeUndefined();
  expect(again.components[0]!.notes.join(' ')).not.toMatch(/dry run/i);
  // The app row says what the re-run did, not "nothing to do".
  expect(again.timeline.find((e) => e.phase === 'app')).toMatchObject({ status: 'ok', detail: expect.stringContaining(`deploy ${good.id} is locked`) });
  // The lock holds: a new production build does not publish.
  f.deploy();
  expect(f.published()!.id).toBe(good.id);
  expect(bad.locked).toBeFalsy();
});

it("an automatic run the cascade guard stops still locks an earlier rollback's restored deploy, and its app row keeps the guard's words", async () => {
  const f = (fake = await startFakeNetlify());
  f.addToken(NETLIFY_TOKEN);
  f.deploy();
  const good = f.deploy();
  f.deploy();
  ws = await mkdtemp(join(tmpdir(), 'rk-unfinished-lock-'));
  const run = (automatic: boolean) => {
    const request: RollbackRequest = {
      automatic,
      plan: {
        source: 'rollback-kit.yml',
        environment: 'production',
        budgetMinutes: 15,
        components: [{ name: 'web', provider: 'netlify', site: SITE_ID, apiUrl: f.url, target: 'previous', method: 'rollback', timeoutSeconds: 60, from: 'https://shop-front.netlify.app' }],
        labels: ['incident'],
      },
      scope: ['web'],
      reason: 'Automatic: the smoke checks failed twice after the deploy',
      severity: 'critical',
      dryRun: false,
      earlierTimeline: [],
      secrets: { netlifyToken: NETLIFY_TOKEN },
      workspace: ws!,
      snapshotDir: join(ws!, 'snapshots'),
      github: { repository: 'acme/shop', apiUrl: 'http://127.0.0.1:9' },
      commandEnv: {},
      pollIntervalMs: 10,
    };
    const log = memoryLog();
    return runRollback(request, tellingDeps({ repository: 'acme/shop', githubApiUrl: 'http://127.0.0.1:9' }, log), log);
  };
  f.fault(/\/lock$/, { status: 500, json: { code: 500, message: 'Internal Server Error' } }, 4);
  expect((await run(true)).status).toBe('failed');
  expect(good.locked).toBe(false);

  // The same event again: production is where the first run put it; the guard leaves it, and locks it.
  const again = await run(true);
  expect(good.locked).toBe(true);
  expect(f.published()!.id).toBe(good.id);
  expect(again.status).toBe('nothing-to-do');
  expect(again.components[0]).toMatchObject({ status: 'already-current', frozen: { what: expect.stringContaining(`deploy ${good.id} is locked`) } });
  const app = again.timeline.find((e) => e.phase === 'app')!;
  expect(app.status).toBe('ok');
  // auto-rollback's last job looks for a row that begins with the guard's words.
  expect(app.detail.startsWith(NOT_ROLLED_BACK_AGAIN)).toBe(true);
  expect(app.detail).toContain(`deploy ${good.id} is locked`);
  // The summary's next steps say why nothing went back, as when there was no lock to finish.
  expect(again.nextSteps.some((step) => step.startsWith(NOT_ROLLED_BACK_AGAIN))).toBe(true);
});
