// promote-previous with provider fly, railway, render and netlify, through the bundle, each against
// its local platform stand-in (test/platforms/fake-*.ts, served from this test process and reached
// through api-url / machines-api-url / registry-url). Every run is searched for the tokens.
import { afterEach, describe, expect, it } from 'vitest';
import { expectNoLeaks } from '../helpers/leak-scan.js';
import { runAction, type ActionRun } from '../helpers/run-action.js';
import type { FakeHttp } from '../platforms/fake-http.js';
import { startFakeFly } from '../platforms/fake-fly.js';
import { startFakeNetlify, SITE_ID } from '../platforms/fake-netlify.js';
import { ENVIRONMENT, PROJECT, SERVICE, startFakeRailway } from '../platforms/fake-railway.js';
import { SERVICE_ID, startFakeRender } from '../platforms/fake-render.js';

const WRONG_TOKEN = 'wrong-token-5e1f0c9a7b3d-not-valid';

/** One provider's world: its stand-in with a good and a bad (live) release, and the inputs that reach it. */
interface World {
  fake: FakeHttp;
  inputs: Record<string, string>;
  /** The bad release as `from` takes it, and its id as the outputs name it. */
  badRef: string;
  badId: string;
  goodId: string;
  /** An older good release, as `target` names it, and its id in the outputs. */
  olderRef: string;
  olderId: string;
  /** What production serves now, by the platform's own view. */
  serving(): string | undefined;
  /** Rollback requests the platform received. */
  rollbacks(): number;
  /** The inputs naming an app/service/site the token cannot see or that does not exist. */
  unknown: Record<string, string>;
  unknownError: RegExp;
  /** Requests that change something on the platform (rollbacks, machine updates, freezes). */
  writes(): number;
  /** From now on the platform accepts the rollback but never completes it. */
  stall(): void;
  /** The error of a rollback that did not complete in time: the state it left and what to do. */
  timeoutError: RegExp;
  timeoutHint: RegExp;
  /** After a stalled rollback: the target is not what production runs (the bad release still serves). */
  notBack(): boolean;
}

/** A history with nothing the provider may go back to, and the error that must name each skip. */
interface Barren {
  fake: FakeHttp;
  inputs: Record<string, string>;
  badId: string;
  serving(): string | undefined;
  writes(): number;
  error: RegExp;
  /** Every release passed over appears in the error with its reason. */
  skipped: string[];
}

interface ProviderCase {
  provider: 'fly' | 'railway' | 'render' | 'netlify';
  tokenInput: string;
  tokenEnv: string;
  token: string;
  frozen: boolean;
  frozenText: RegExp;
  world(token: string): Promise<World>;
  barren(token: string): Promise<Barren>;
}

const CASES: ProviderCase[] = [
  {
    provider: 'fly',
    tokenInput: 'fly-token',
    tokenEnv: 'FLY_API_TOKEN',
    token: 'FlyV1 fm2_lJPECAAAAAAAAbundle0secret0deploy==',
    frozen: false,
    frozenText: /Fly has nothing to freeze/,
    async world(token) {
      const f = await startFakeFly();
      f.addToken(token, ['hotdash']);
      f.waitsBeforeUp = 0;
      const older = f.release({});
      const good = f.release({});
      f.release({ stable: false });
      const bad = f.release({});
      f.machine(bad.imageRef);
      f.machine(bad.imageRef);
      return {
        fake: f,
        inputs: { provider: 'fly', app: 'hotdash', 'api-url': f.url, 'machines-api-url': f.url, 'registry-url': f.url },
        badRef: `v${bad.version}`,
        badId: bad.id,
        goodId: good.id,
        olderRef: `v${older.version}`,
        olderId: older.id,
        serving: () => [good, bad, older].find((r) => f.images().every((i) => i === r.imageRef))?.id ?? 'mixed',
        rollbacks: () => f.requestsTo(/^POST \/v1\/apps\/hotdash\/machines\/[^/]+$/).length,
        unknown: { app: 'nothere' },
        unknownError: /App nothere was not found/,
        writes: () => f.requestsTo(/^POST \/v1\//).length,
        stall: () => void (f.waitsBeforeUp = Infinity),
        // The first machine is updated but never starts; the second is either updated with the
        // last moments left or not touched, depending on when the first wait gives up.
        timeoutError: new RegExp(
          `App hotdash is half rolled back to release v${good.version}: 0 of 2 machine\\(s\\) run it \\(none\\); not done: \\S+ \\(on the target image but: updated, but not started on its new instance within the time limit\\); ` +
            `\\S+ \\((on the target image but: updated, but not started|still on ${bad.imageRef.replace(/[.]/g, '\\.')}: not updated: the time limit was reached first)`,
        ),
        timeoutHint: new RegExp(`Re-run the step with target v${good.version}: it updates only the machines left`),
        // A machine may carry the target image in its config yet never have started on it.
        notBack: () => f.machines.some((m) => m.config.image !== good.imageRef || m.state !== 'started'),
      };
    },
    async barren(token) {
      const f = await startFakeFly();
      f.addToken(token, ['hotdash']);
      f.release({ status: 'failed' });
      f.release({ stable: false });
      const bad = f.release({});
      f.machine(bad.imageRef);
      return {
        fake: f,
        inputs: { provider: 'fly', app: 'hotdash', 'api-url': f.url, 'machines-api-url': f.url, 'registry-url': f.url },
        badId: bad.id,
        serving: () => (f.images().every((i) => i === bad.imageRef) ? bad.id : 'changed'),
        writes: () => f.requestsTo(/^POST \/v1\//).length,
        error: /No earlier release of app hotdash can take over from v3: none below it completed, is stable and has another image\./,
        skipped: ['v2 (not marked stable)', 'v1 (status failed'],
      };
    },
  },
  {
    provider: 'railway',
    tokenInput: 'railway-token',
    tokenEnv: 'RAILWAY_TOKEN',
    token: 'rwy-proj-bundle-6f1c0a9e-4b7d-secret',
    frozen: false,
    frozenText: /Railway has nothing to freeze/,
    async world(token) {
      const f = await startFakeRailway();
      f.addProjectToken(token, PROJECT, ENVIRONMENT);
      f.rollbackSteps = ['DEPLOYING', 'SUCCESS'];
      const older = f.deploy({});
      const good = f.deploy({});
      f.deploy({ status: 'FAILED' });
      const bad = f.deploy({});
      return {
        fake: f,
        inputs: { provider: 'railway', project: PROJECT, environment: ENVIRONMENT, service: SERVICE, 'api-url': f.url },
        badRef: bad.id,
        badId: bad.id,
        goodId: good.id,
        olderRef: older.id,
        olderId: older.id,
        serving: () => {
          const live = f.live();
          return [good, older].find((d) => d.meta.commitHash === live?.meta.commitHash)?.id ?? live?.id;
        },
        rollbacks: () => f.requestsTo(/^deploymentRollback$/).length,
        unknown: { service: 'svc-missing-00' },
        unknownError: /svc-missing-00/,
        writes: () => f.requests.filter((q) => /^\s*mutation/.test(String((q.body as { query?: string })?.query))).length,
        stall: () => void (f.rollbackSteps = ['INITIALIZING', 'DEPLOYING']),
        timeoutError: new RegExp(`rollback of the service ${SERVICE} .* to ${good.id} did not finish within 2 s: Railway deployment dep-\\S+ is (INITIALIZING|DEPLOYING); ${bad.id} serves until it is SUCCESS`),
        timeoutHint: /Watch deployment dep-\S+ in the Railway dashboard.*do not request another rollback while it deploys/,
        notBack: () => f.live()?.id === bad.id,
      };
    },
    async barren(token) {
      const f = await startFakeRailway();
      f.addProjectToken(token, PROJECT, ENVIRONMENT);
      const old = f.deploy({ canRollback: false });
      const failed = f.deploy({ status: 'FAILED' });
      const bad = f.deploy({});
      return {
        fake: f,
        inputs: { provider: 'railway', project: PROJECT, environment: ENVIRONMENT, service: SERVICE, 'api-url': f.url },
        badId: bad.id,
        serving: () => f.live()?.id,
        writes: () => f.requests.filter((q) => /^\s*mutation/.test(String((q.body as { query?: string })?.query))).length,
        error: new RegExp(`No earlier deployment of the service ${SERVICE} .* can take over from ${bad.id}: 2 older deployment\\(s\\) checked`),
        skipped: [`${failed.id} (status FAILED`, `${old.id} (Railway does not allow a rollback to it`],
      };
    },
  },
  {
    provider: 'render',
    tokenInput: 'render-token',
    tokenEnv: 'RENDER_API_KEY',
    token: 'rnd_BundleSecretApiKeyForRender9',
    frozen: true,
    frozenText: /Auto-deploy of Render service .* is off/,
    async world(token) {
      const f = await startFakeRender();
      f.addToken(token);
      f.rollbackSteps = ['update_in_progress', 'live'];
      const older = f.deploy();
      const good = f.deploy();
      f.deploy({ status: 'build_failed' });
      const bad = f.deploy();
      return {
        fake: f,
        inputs: { provider: 'render', service: SERVICE_ID, 'api-url': f.url },
        badRef: bad.id,
        badId: bad.id,
        goodId: good.id,
        olderRef: older.id,
        olderId: older.id,
        serving: () => {
          const live = f.live();
          return [good, older].find((d) => d.commit.id === live?.commit.id)?.id ?? live?.id;
        },
        rollbacks: () => f.requestsTo(/^POST \/v1\/services\/[^/]+\/rollback$/).length,
        unknown: { service: 'srv-doesnotexist0' },
        unknownError: /Service srv-doesnotexist0 was not found/,
        writes: () => f.requests.filter((q) => q.method !== 'GET').length,
        stall: () => void (f.rollbackSteps = ['build_in_progress']),
        timeoutError: new RegExp(`The rollback of service backend \\(${SERVICE_ID}\\) to ${good.id} did not finish within 2 s \\(deploy dep-[a-z0-9]+ is build_in_progress\\)`),
        timeoutHint: /Auto-deploy stays off/,
        notBack: () => f.live()?.id === bad.id,
      };
    },
    async barren(token) {
      const f = await startFakeRender();
      f.addToken(token);
      const failed = f.deploy({ status: 'build_failed' });
      const canceled = f.deploy({ status: 'canceled' });
      const bad = f.deploy();
      return {
        fake: f,
        inputs: { provider: 'render', service: SERVICE_ID, 'api-url': f.url },
        badId: bad.id,
        serving: () => f.live()?.id,
        writes: () => f.requests.filter((q) => q.method !== 'GET').length,
        error: new RegExp(`No earlier deploy of service backend \\(${SERVICE_ID}\\) can take over from ${bad.id}.* 2 older deploy\\(s\\) read`),
        skipped: [`${canceled.id} (status canceled`, `${failed.id} (status build_failed`],
      };
    },
  },
  {
    provider: 'netlify',
    tokenInput: 'netlify-token',
    tokenEnv: 'NETLIFY_AUTH_TOKEN',
    token: 'nfp_BundleSecret9aXy7AccessToken',
    frozen: true,
    frozenText: /Auto publishing of Netlify site .* is stopped/,
    async world(token) {
      const f = await startFakeNetlify();
      f.addToken(token);
      const older = f.deploy();
      const good = f.deploy();
      f.deploy({ state: 'error' });
      const bad = f.deploy();
      return {
        fake: f,
        inputs: { provider: 'netlify', site: SITE_ID, 'api-url': f.url },
        badRef: bad.id,
        badId: bad.id,
        goodId: good.id,
        olderRef: older.id,
        olderId: older.id,
        serving: () => f.published()?.id,
        rollbacks: () => f.requestsTo(/\/restore$/).length,
        unknown: { site: 'no-such-site.netlify.app' },
        unknownError: /Site no-such-site\.netlify\.app was not found/,
        writes: () => f.requests.filter((q) => q.method !== 'GET').length,
        stall: () => void (f.publishAfterPolls = Infinity),
        timeoutError: new RegExp(`Site shop-front did not publish ${good.id} within 2 s of the restore; it publishes ${bad.id}\\.`),
        timeoutHint: new RegExp(`Nothing is locked yet.*re-run the step with target ${good.id}`),
        notBack: () => f.published()?.id === bad.id,
      };
    },
    async barren(token) {
      const f = await startFakeNetlify();
      f.addToken(token);
      const commit = 'ab'.repeat(20);
      const older = f.deploy({ commit });
      f.deploy({ state: 'error' });
      const same = f.deploy({ commit });
      const bad = f.deploy({ commit });
      return {
        fake: f,
        inputs: { provider: 'netlify', site: SITE_ID, 'api-url': f.url },
        badId: bad.id,
        serving: () => f.published()?.id,
        writes: () => f.requests.filter((q) => q.method !== 'GET').length,
        error: new RegExp(`No earlier ready production deploy of site shop-front can take over from ${bad.id}: 2 older one\\(s\\) read, none with other code`),
        skipped: [`${same.id} (`, `${older.id} (`],
      };
    },
  },
];

let open: FakeHttp | undefined;
afterEach(async () => {
  await open?.close();
  open = undefined;
});

describe.each(CASES)('promote-previous ($provider) through the bundle', (c) => {
  async function world(): Promise<World> {
    const w = await c.world(c.token);
    open = w.fake;
    return w;
  }

  async function run(inputs: Record<string, string>, env?: Record<string, string>): Promise<ActionRun> {
    const r = await runAction('promote-previous', inputs, { env });
    await expectNoLeaks(r, [c.token, encodeURIComponent(c.token), WRONG_TOKEN]);
    return r;
  }

  it('rolls back to the previous release, says what was frozen, and a re-run with from changes nothing', async () => {
    const w = await world();
    const r = await run({ ...w.inputs, [c.tokenInput]: c.token, reason: 'errors after deploy', 'timeout-seconds': '60' });
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({ status: 'rolled-back', 'from-deployment-id': w.badId, 'to-deployment-id': w.goodId, 'auto-assign-disabled': 'false', frozen: String(c.frozen) });
    if (c.frozen) expect(r.outputs.unfreeze).toMatch(/fix is ready/);
    else expect(r.outputs.unfreeze).toBe('');
    expect(Number(r.outputs['duration-ms'])).toBeGreaterThan(0);
    expect(w.serving()).toBe(w.goodId);
    expect(r.summary).toContain('promote-previous: rolled-back');
    expect(r.summary).toContain(w.goodId);
    expect(r.summary).toMatch(c.frozenText);
    if (c.frozen) expect(r.summary).toContain(`To undo: ${r.outputs.unfreeze}`);
    expect(r.summary).toContain(`provider ${c.provider}`);
    expect(r.masked).toContain(c.token);
    const requests = w.rollbacks();
    expect(requests).toBeGreaterThan(0);

    const again = await run({ ...w.inputs, [c.tokenInput]: c.token, from: w.badRef });
    expect(again.errors).toEqual([]);
    expect(again.outputs.status).toBe('already-current');
    expect(again.summary).toContain('promote-previous: already-current');
    expect(w.rollbacks()).toBe(requests);
    expect(w.serving()).toBe(w.goodId);
  });

  it('puts back an explicitly named older release', async () => {
    const w = await world();
    const r = await run({ ...w.inputs, [c.tokenInput]: c.token, target: w.olderRef });
    expect(r.errors).toEqual([]);
    expect(r.outputs).toMatchObject({ status: 'rolled-back', 'from-deployment-id': w.badId, 'to-deployment-id': w.olderId });
    expect(w.serving()).toBe(w.olderId);
  });

  it(`plans only in a dry run, with the token from ${c.tokenEnv}`, async () => {
    const w = await world();
    const r = await run({ ...w.inputs, 'dry-run': 'true' }, { [c.tokenEnv]: c.token });
    expect(r.errors).toEqual([]);
    expect(r.outputs).toMatchObject({ status: 'dry-run', 'from-deployment-id': w.badId, 'to-deployment-id': w.goodId });
    expect(r.masked).toContain(c.token);
    expect(r.summary).toContain('promote-previous: dry-run');
    expect(w.rollbacks()).toBe(0);
    expect(w.serving()).toBe(w.badId);
  });

  it('refuses a bad token with a clear error naming its input, and changes nothing', async () => {
    const w = await world();
    const r = await run({ ...w.inputs, [c.tokenInput]: WRONG_TOKEN });
    expect(r.code).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/token/i);
    expect(r.errors[0]).toContain(c.tokenInput);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(r.summary).toContain('promote-previous: failed');
    expect(w.rollbacks()).toBe(0);
    expect(w.serving()).toBe(w.badId);
  });

  it('names an unknown app, service or site', async () => {
    const w = await world();
    const r = await run({ ...w.inputs, ...w.unknown, [c.tokenInput]: c.token });
    expect(r.code).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(w.unknownError);
    expect(w.rollbacks()).toBe(0);
  });

  it('says why nothing is eligible, naming each release passed over, and changes nothing', async () => {
    const b = await c.barren(c.token);
    open = b.fake;
    const r = await run({ ...b.inputs, [c.tokenInput]: c.token, 'timeout-seconds': '60' });
    expect(r.code).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(b.error);
    for (const s of b.skipped) expect(r.errors[0]).toContain(s);
    expect(r.errors[0]).toMatch(/Name the (deployment|deploy|release) to (return to|put back) in target/);
    expect(r.outputs.status).toBe('failed');
    expect(r.summary).toContain('promote-previous: failed');
    expect(b.writes()).toBe(0);
    expect(b.serving()).toBe(b.badId);
  });

  it('gives up at timeout-seconds when the platform never completes, saying what state it left and what to do', async () => {
    const w = await world();
    w.stall();
    const r = await run({ ...w.inputs, [c.tokenInput]: c.token, 'timeout-seconds': '2' });
    expect(r.code).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(w.timeoutError);
    expect(r.errors[0]).toMatch(w.timeoutHint);
    // Nothing half-done is reported as done: no status output, a failed summary, not serving the target.
    expect(r.outputs.status).toBe('failed');
    expect(r.summary).toContain('promote-previous: failed');
    expect(r.summary).not.toContain('rolled-back');
    expect(w.rollbacks()).toBeGreaterThan(0);
    expect(w.notBack()).toBe(true);
  });

  it('refuses a missing token before any request, naming the input and the variable', async () => {
    const w = await world();
    const r = await run(w.inputs);
    expect(r.code).toBe(1);
    expect(r.errors[0]).toMatch(new RegExp(`Input ${c.tokenInput} is required when provider is ${c.provider}.*${c.tokenEnv}`));
    expect(w.fake.requests).toEqual([]);
  });
});

describe('promote-previous api-url defaults per provider', () => {
  it("never sends another provider's token to Vercel's API: a bad api-url is refused as that provider's", async () => {
    const r = await runAction('promote-previous', { provider: 'render', service: SERVICE_ID, 'render-token': CASES[2]!.token, 'api-url': 'ftp://render.example' });
    expect(r.code).toBe(1);
    expect(r.errors[0]).toMatch(/Input api-url must be an http\(s\) URL such as https:\/\/api\.render\.com/);
    await expectNoLeaks(r, [CASES[2]!.token]);
  });
});
