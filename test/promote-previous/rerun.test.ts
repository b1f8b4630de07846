// A re-run of the same rollback (GitHub's "Re-run jobs", a re-delivered workflow_run event, the CLI
// run twice) must never walk production one more step back, on any platform provider. For each one,
// older → good → bad (live), then the same run twice, with from empty, with from a commit SHA that no
// deployment carries, and with from the bad deployment's own id. What each platform was asked to put
// back is read from its stand-in's requests: a second request is the bug, whatever the outcome says.
// Each provider may refuse a run it cannot prove safe (a clear error, nothing changed), but once a
// rollback succeeded the same run again is already-current.
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import type { ProviderOutcome } from '../../src/platforms/outcome.js';
import { promoteOnFly } from '../../src/platforms/fly/rollback.js';
import { promoteOnNetlify } from '../../src/platforms/netlify/rollback.js';
import { promoteOnRailway } from '../../src/platforms/railway/rollback.js';
import { promoteOnRender } from '../../src/platforms/render/rollback.js';
import { fakeClock, type FakeHttp } from '../platforms/fake-http.js';
import { startFakeFly } from '../platforms/fake-fly.js';
import { SITE_ID, startFakeNetlify } from '../platforms/fake-netlify.js';
import { ENVIRONMENT, PROJECT, SERVICE, startFakeRailway } from '../platforms/fake-railway.js';
import { SERVICE_ID, startFakeRender } from '../platforms/fake-render.js';

/** A commit no deployment carries: what a deploy workflow's head SHA is to a platform that records none. */
const UNKNOWN_SHA = 'feedfacefeedfacefeedfacefeedfacefeedface';

interface World {
  /** The same promote-previous run, every time it is called (target previous unless named). */
  run: (from: string | undefined, target?: string) => Promise<ProviderOutcome>;
  /** The ids the platform was asked to put back, in order. */
  puts: () => string[];
  good: string;
  bad: string;
  /** How the target input names good, when not by `good` (Fly: its version). */
  target?: string;
}

/** What the first run does; a second identical run after a success is always already-current. */
type First = 'rolled-back' | 'already-current' | 'refused';

interface Case {
  name: string;
  world: () => Promise<World>;
  /** The first run with no from, and with from a commit SHA that no deployment carries. */
  empty: First;
  sha: First;
  /** The text a refusal says, when one of them refuses. */
  refusal?: RegExp;
  /** 'skip' where the re-run of an explicit target cannot be told from a new request (no code recorded). */
  explicit?: 'skip';
}

let fakes: FakeHttp[] = [];
afterEach(async () => {
  await Promise.all(fakes.map((f) => f.close()));
  fakes = [];
});
const track = <T extends FakeHttp>(f: T): T => (fakes.push(f), f);
const clockOpts = () => {
  const c = fakeClock();
  return { sleep: c.sleep, now: c.now, retry: { jitterMs: 0 }, timeoutSeconds: 120, dryRun: false, target: 'previous' };
};

function railway(kind: 'commits' | 'images' | 'uploads'): () => Promise<World> {
  return async () => {
    const f = track(await startFakeRailway());
    const token = 'rwy-proj-6f1c0a9e-4b7d-4d0e-9a55-secret';
    f.addProjectToken(token, PROJECT, ENVIRONMENT);
    // A Docker image deploy records the image and no commit; `railway up` records neither.
    const deploy = (n: number) => (kind === 'commits' ? f.deploy({}) : f.deploy({ commit: '', image: kind === 'images' ? `ghcr.io/acme/backend:${n}` : undefined }));
    deploy(1);
    const good = deploy(2);
    const bad = deploy(3);
    return {
      run: (from, target) => promoteOnRailway({ ...clockOpts(), ...(target ? { target } : {}), token, apiUrl: f.url, project: PROJECT, environment: ENVIRONMENT, service: SERVICE, from, pollIntervalMs: 1000 }, memoryLog()),
      puts: () => f.requestsTo(/^deploymentRollback$/).map((r) => String((r.body as { variables: { id: string } }).variables.id)),
      good: good.id,
      bad: bad.id,
    };
  };
}

async function fly(): Promise<World> {
  const f = track(await startFakeFly());
  const token = 'FlyV1 fm2_lJPECAAAAAAAAsecretdeploytoken==';
  f.addToken(token, ['hotdash']);
  f.release({});
  const good = f.release({});
  const bad = f.release({});
  f.machine(bad.imageRef);
  const byImage = new Map(f.releases.map((r) => [r.imageRef, r.id]));
  return {
    run: (from, target) => promoteOnFly({ ...clockOpts(), ...(target ? { target } : {}), token, app: 'hotdash', apiUrl: f.url, machinesApiUrl: f.url, registryUrl: f.url, from }, memoryLog()),
    // One machine: each update is one put.
    puts: () => f.requestsTo(/^POST \/v1\/apps\/hotdash\/machines\/[^/]+$/).map((r) => byImage.get(String((r.body as { config: { image: string } }).config.image)) ?? '?'),
    good: good.id,
    bad: `v${bad.version}`,
  };
}

function render(withCommits: boolean): () => Promise<World> {
  return async () => {
    const f = track(await startFakeRender());
    const token = 'rnd_Zx81secretApiKeyForRender0000';
    f.addToken(token);
    let n = 0;
    const deploy = () => f.deploy(withCommits ? {} : { commit: '', image: `ghcr.io/acme/backend:${++n}` });
    deploy();
    const good = deploy();
    const bad = deploy();
    return {
      run: (from, target) => promoteOnRender({ ...clockOpts(), ...(target ? { target } : {}), token, apiUrl: f.url, service: SERVICE_ID, from, pollIntervalMs: 1000 }, memoryLog()),
      puts: () => f.requestsTo(/^POST \/v1\/services\/[^/]+\/rollback$/).map((r) => String((r.body as { deployId: string }).deployId)),
      good: good.id,
      bad: bad.id,
    };
  };
}

function netlify(withCommits: boolean): () => Promise<World> {
  return async () => {
    const f = track(await startFakeNetlify());
    const token = 'nfp_Secret9aXy7PersonalAccessToken';
    f.addToken(token);
    // `netlify deploy --prod` from a laptop records no commit.
    const deploy = () => f.deploy(withCommits ? {} : { commit: '' });
    deploy();
    const good = deploy();
    const bad = deploy();
    return {
      run: (from, target) => promoteOnNetlify({ ...clockOpts(), ...(target ? { target } : {}), token, apiUrl: f.url, site: SITE_ID, from, pollIntervalMs: 500 }, memoryLog()),
      puts: () => f.requestsTo(/\/restore$/).map((r) => r.path.split('/').at(-2)!),
      good: good.id,
      bad: bad.id,
    };
  };
}

const CASES: Case[] = [
  { name: 'railway, deployments built from commits', world: railway('commits'), empty: 'rolled-back', sha: 'already-current' },
  { name: 'railway, Docker image deployments (no commit)', world: railway('images'), empty: 'rolled-back', sha: 'rolled-back' },
  {
    name: 'railway, `railway up` uploads (no commit, no image)',
    world: railway('uploads'),
    empty: 'refused',
    sha: 'refused',
    refusal: /cannot tell whether the live deployment \S+ is the bad release or a copy of \S+ made by an earlier rollback.*is the release that rollback replaced, so nothing was changed/,
    // No commit or image on either side: a copy of the target cannot be told from another deployment.
    explicit: 'skip',
  },
  // A SHA is what auto-rollback.yml's workflow_run trigger passes: compared with the commit the
  // serving release records (Render, Netlify), or the commit tag of a Fly image; where nothing
  // records one it counts as no from (from-ref.ts).
  { name: 'fly', world: fly, empty: 'rolled-back', sha: 'rolled-back' },
  { name: 'render, deploys with commits', world: render(true), empty: 'rolled-back', sha: 'already-current' },
  { name: 'render, image deploys (no commit)', world: render(false), empty: 'rolled-back', sha: 'rolled-back' },
  { name: 'netlify, deploys with commits', world: netlify(true), empty: 'rolled-back', sha: 'already-current' },
  { name: 'netlify, CLI deploys (no commit)', world: netlify(false), empty: 'rolled-back', sha: 'rolled-back' },
];

/** Runs the same request twice and checks that production was put back at most once, to good. */
async function twice(c: Case, w: World, from: string | undefined, first: First, target?: string): Promise<void> {
  const runOnce = () => w.run(from, target).catch((err: Error) => err);
  const a = await runOnce();
  const b = await runOnce();
  // What the platform was asked first: a second put (the bad release back, or one step further) is the bug.
  expect(w.puts()).toEqual(first === 'rolled-back' ? [w.good] : []);
  if (first === 'refused') {
    for (const r of [a, b]) expect(r instanceof Error ? r.message : r.status).toMatch(c.refusal!);
    return;
  }
  expect(a).toMatchObject({ status: first, ...(first === 'rolled-back' ? { to: { id: w.good } } : {}) });
  expect(b).toMatchObject({ status: 'already-current' });
}

describe.each(CASES)('promote-previous re-run ($name)', (c) => {
  it(`with no from: the first run is ${c.empty}, a second never goes further back`, async () => {
    const w = await c.world();
    await twice(c, w, undefined, c.empty);
  });

  it(`with from a commit SHA no deployment carries: the first run is ${c.sha}, a second never goes further back`, async () => {
    const w = await c.world();
    await twice(c, w, UNKNOWN_SHA, c.sha);
  });

  it("with from the bad deployment's id: rolls back once, a re-run is already-current", async () => {
    const w = await c.world();
    await twice(c, w, w.bad, 'rolled-back');
  });

  // The same explicit target again must not put it back a second time (on Railway, a second copy of
  // the same old deployment), when production already serves what the first run put back.
  if (c.explicit !== 'skip') {
    it('with target the good deployment named, and no from: rolls back once, a re-run is already-current', async () => {
      const w = await c.world();
      await twice(c, w, undefined, 'rolled-back', w.target ?? w.good);
    });
  } else {
    // The documented limit (README: the re-run paragraph): with no commit or image on either side,
    // a copy of the target cannot be told from another deployment, so a re-run copies it again:
    // the same release, never one further back. `from` (the live id) is what stops it.
    it('with target the good deployment named, and no from: a re-run puts the same release back again, never an older one', async () => {
      const w = await c.world();
      const target = w.target ?? w.good;
      const runOnce = () => w.run(undefined, target).catch((err: Error) => err);
      const a = await runOnce();
      const b = await runOnce();
      expect(a).toMatchObject({ status: 'rolled-back', to: { id: w.good } });
      expect(b).toMatchObject({ status: 'rolled-back', to: { id: w.good } });
      expect(w.puts()).toEqual([w.good, w.good]);
    });
  }
});
