// What auto-rollback.yml hands the rollback as `from` — a workflow_run's head commit SHA, a
// deployment_status's target URL — reaches Fly, Render and Netlify components too: each takes it,
// rolls the bad release back once, and a second run for the same event (a re-run, a re-delivered
// event) changes nothing. The event step is the workflow's own script, run with bash; the rollback
// is promote-previous's library call, as the root action makes it, against each platform's stand-in.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { memoryLog } from '../../src/core/log.js';
import { promotePrevious, type PromoteRequest } from '../../src/platforms/promote.js';
import { ROOT } from '../helpers/run-action.js';
import type { FakeHttp } from '../platforms/fake-http.js';
import { startFakeFly } from '../platforms/fake-fly.js';
import { SITE_ID, startFakeNetlify } from '../platforms/fake-netlify.js';
import { SERVICE_ID, startFakeRender } from '../platforms/fake-render.js';
import { runStep } from './run-step.js';

const workflow = parse(await readFile(join(ROOT, '.github', 'workflows', 'auto-rollback.yml'), 'utf8')) as {
  jobs: { smoke: { steps: { id?: string; run?: string; env?: Record<string, string> }[] } };
};
const step = workflow.jobs.smoke.steps.find((s) => s.id === 'deployment')!;
const EMPTY = Object.fromEntries(Object.keys(step.env ?? {}).map((k) => [k, '']));

/** The from the workflow's step writes for an event. */
async function eventFrom(env: Record<string, string>): Promise<string> {
  const r = await runStep(step.run!, { ...EMPTY, ...env });
  expect(r.code).toBe(0);
  return r.outputs.from!;
}

const BAD_SHA = 'badc0ffee0ddf00dbadc0ffee0ddf00dbadc0ffe';
const TOKEN = 'test-token-for-the-from-world-0001';
const COMMON = { target: 'previous', timeoutSeconds: 30, dryRun: false, automatic: true };

interface World {
  fake: FakeHttp;
  request(from: string): PromoteRequest;
  badId: string;
  goodId: string;
  serving(): string | undefined;
  /** What a deployment_status event of this platform points at for the bad release. */
  statusUrl: string;
}

let fake: FakeHttp | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** older, good, bad (live, built from BAD_SHA), on each platform. */
const WORLDS: Record<string, (tagged: boolean) => Promise<World>> = {
  async fly(tagged) {
    const f = (fake = await startFakeFly());
    f.addToken(TOKEN, ['hotdash']);
    f.waitsBeforeUp = 0;
    f.release({});
    const good = f.release({});
    // `fly deploy --image-label <sha>` tags the image with the commit; a plain deploy does not.
    const bad = f.release(tagged ? { image: `registry.fly.io/hotdash:${BAD_SHA}` } : {});
    f.machine(bad.imageRef);
    f.machine(bad.imageRef);
    return {
      fake: f,
      request: (from) => ({ ...COMMON, from, provider: 'fly', token: TOKEN, app: 'hotdash', apiUrl: f.url, machinesApiUrl: f.url, registryUrl: f.url }),
      badId: bad.id,
      goodId: good.id,
      serving: () => [good, bad].find((r) => f.images().every((i) => i === r.imageRef))?.id,
      statusUrl: 'https://hotdash.fly.dev',
    };
  },
  async render() {
    const f = (fake = await startFakeRender());
    f.addToken(TOKEN);
    f.rollbackSteps = ['live'];
    f.deploy();
    const good = f.deploy();
    const bad = f.deploy({ commit: BAD_SHA });
    return {
      fake: f,
      request: (from) => ({ ...COMMON, from, provider: 'render', token: TOKEN, service: SERVICE_ID, apiUrl: f.url, pollIntervalMs: 1 }),
      badId: bad.id,
      goodId: good.id,
      // A rollback is a new deploy with its target's commit.
      serving: () => [good, bad].find((d) => d.commit.id === f.live()?.commit.id)?.id,
      statusUrl: 'https://backend.onrender.com',
    };
  },
  async netlify() {
    const f = (fake = await startFakeNetlify());
    f.addToken(TOKEN);
    f.deploy();
    const good = f.deploy();
    const bad = f.deploy({ commit: BAD_SHA });
    return {
      fake: f,
      request: (from) => ({ ...COMMON, from, provider: 'netlify', token: TOKEN, site: SITE_ID, apiUrl: f.url, pollIntervalMs: 1 }),
      badId: bad.id,
      goodId: good.id,
      serving: () => f.published()?.id,
      // Netlify's deployment statuses point at the deploy's permalink.
      statusUrl: bad.deploy_ssl_url,
    };
  },
};

const CASES: [string, boolean][] = [
  ['fly', true],
  ['fly', false],
  ['render', false],
  ['netlify', false],
];

describe.each(CASES)('auto-rollback from on %s (image tagged with the commit: %s)', (provider, tagged) => {
  it.each([
    ['workflow_run: the head commit SHA', (_w: World) => eventFrom({ EVENT: 'workflow_run', RUN_SHA: BAD_SHA, PRODUCTION_URL: 'https://shop.example.com' })],
    ['deployment_status: the deployment URL', (w: World) => eventFrom({ EVENT: 'deployment_status', STATUS_URL: w.statusUrl, STATUS_SHA: BAD_SHA })],
  ])('%s: rolls back once, and the same event again changes nothing', async (_event, from) => {
    const w = await WORLDS[provider]!(tagged);
    const ref = await from(w);
    const first = await promotePrevious(w.request(ref), memoryLog());
    expect(first).toMatchObject({ status: 'rolled-back', from: { id: w.badId } });
    expect(w.serving()).toBe(w.goodId);

    const again = await promotePrevious(w.request(ref), memoryLog());
    expect(again.status).toBe('already-current');
    expect(w.serving()).toBe(w.goodId);
  });
});

describe('a SHA that names another release than the one serving', () => {
  it.each(['render', 'netlify'])('%s: production no longer serves that commit: nothing to do', async (provider) => {
    const w = await WORLDS[provider]!(false);
    const other = await promotePrevious(w.request('0123456789abcdef0123456789abcdef01234567'), memoryLog());
    expect(other.status).toBe('already-current');
    expect(other.notes[0]).toContain('no longer');
    expect(w.serving()).toBe(w.badId);
  });

  it('fly: a tagged image no machine runs any more: nothing to do', async () => {
    const w = await WORLDS.fly!(true);
    const f = w.fake as Awaited<ReturnType<typeof startFakeFly>>;
    f.deploy(); // the fix shipped since
    const r = await promotePrevious(w.request(BAD_SHA), memoryLog());
    expect(r.status).toBe('already-current');
    expect(r.notes[0]).toContain('any more');
  });
});
