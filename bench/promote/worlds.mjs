// One platform stand-in per provider with a history that makes `previous` read past failed
// releases, the inputs that point promote-previous at it, and how to recognise its rollback
// request. Every world is built fresh for each run with the same ids, so the requests one run
// sent are valid against the next world too (the baseline replays them).
//
// The stand-ins are the tests' own (TypeScript): this module is loaded under `node --import tsx`.
import { startFakeFly } from '../../test/platforms/fake-fly.ts';
import { startFakeNetlify, SITE_ID } from '../../test/platforms/fake-netlify.ts';
import { ENVIRONMENT, PROJECT, SERVICE, startFakeRailway } from '../../test/platforms/fake-railway.ts';
import { SERVICE_ID, startFakeRender } from '../../test/platforms/fake-render.ts';
// The Vercel stand-in is the one the tests and the sandbox use.
import { startFakeVercel } from '../../src/sandbox/vercel-api.ts';

/** Releases below the live one that `previous` must pass over: a full page and then some. */
const FAILED = 25;
const GOOD = 10;

const operation = (r) => /(?:query|mutation)\s+(\w+)/.exec(String(r.body?.query ?? ''))?.[1];

/**
 * Each world: `start()` → { url, requests, close, inputs, check() }. `isRollback(request)` picks the
 * request that puts the target back. `check()` says what is wrong with the world after a complete
 * run (undefined when it rolled back to the right release).
 */
export const WORLDS = {
  vercel: {
    isRollback: (r) => r.method === 'POST' && /\/rollback\//.test(r.path),
    async start() {
      const v = await startFakeVercel();
      v.addTeam('team_bench', 'bench');
      v.addToken('bench-vercel-token-0123456789', 'user_bench', ['team_bench']);
      const project = v.addProject({ name: 'shop', owner: 'team_bench' });
      for (let i = 0; i < GOOD; i++) v.addDeployment(project);
      const good = v.addDeployment(project);
      for (let i = 0; i < FAILED; i++) v.addDeployment(project, { substate: 'STAGED' });
      v.addDeployment(project, { production: true });
      project.job.pendingPolls = 0;
      project.job.inProgressPolls = 0;
      return {
        fake: v,
        inputs: { provider: 'vercel', 'vercel-token': 'bench-vercel-token-0123456789', project: 'shop', team: 'team_bench', 'api-url': v.url },
        check: () => (v.production(project).uid === good.uid ? undefined : `production is ${v.production(project).uid}, not ${good.uid}`),
      };
    },
  },
  fly: {
    isRollback: (r) => r.method === 'POST' && /^\/v1\/apps\/[^/]+\/machines\/[^/]+$/.test(r.path),
    async start() {
      const f = await startFakeFly();
      f.addToken('FlyV1 fm2_benchbenchbench==', ['hotdash']);
      f.waitsBeforeUp = 0;
      for (let i = 0; i < GOOD; i++) f.release({});
      const good = f.release({});
      for (let i = 0; i < FAILED; i++) f.release({ status: 'failed' });
      const bad = f.release({});
      for (let i = 0; i < 3; i++) f.machine(bad.imageRef);
      return {
        fake: f,
        inputs: { provider: 'fly', 'fly-token': 'FlyV1 fm2_benchbenchbench==', app: 'hotdash', 'api-url': f.url, 'machines-api-url': f.url, 'registry-url': f.url },
        check: () => (f.images().every((i) => i === good.imageRef) ? undefined : `machines run ${f.images().join(', ')}`),
      };
    },
  },
  railway: {
    isRollback: (r) => operation(r) === 'deploymentRollback',
    async start() {
      const f = await startFakeRailway();
      f.addProjectToken('rwy-bench-project-token-0001', PROJECT, ENVIRONMENT);
      f.rollbackSteps = ['SUCCESS'];
      for (let i = 0; i < GOOD; i++) f.deploy({});
      const good = f.deploy({});
      for (let i = 0; i < FAILED; i++) f.deploy({ status: 'FAILED' });
      f.deploy({});
      return {
        fake: f,
        inputs: { provider: 'railway', 'railway-token': 'rwy-bench-project-token-0001', project: PROJECT, environment: ENVIRONMENT, service: SERVICE, 'api-url': f.url },
        check: () => (f.live()?.meta.commitHash === good.meta.commitHash ? undefined : `live is ${f.live()?.id}`),
      };
    },
  },
  render: {
    isRollback: (r) => r.method === 'POST' && /\/rollback$/.test(r.path),
    async start() {
      const f = await startFakeRender();
      f.addToken('rnd_benchbenchbench0001');
      f.rollbackSteps = ['live'];
      for (let i = 0; i < GOOD; i++) f.deploy();
      const good = f.deploy();
      for (let i = 0; i < FAILED; i++) f.deploy({ status: 'build_failed' });
      f.deploy();
      return {
        fake: f,
        inputs: { provider: 'render', 'render-token': 'rnd_benchbenchbench0001', service: SERVICE_ID, 'api-url': f.url },
        check: () => (f.live()?.commit.id === good.commit.id ? undefined : `live is ${f.live()?.id}`),
      };
    },
  },
  netlify: {
    isRollback: (r) => r.method === 'POST' && /\/restore$/.test(r.path),
    async start() {
      const f = await startFakeNetlify();
      f.addToken('nfp_benchbenchbench0001');
      f.publishAfterPolls = 1;
      let n = 0;
      const id = () => `bench${String(++n).padStart(19, '0')}`;
      for (let i = 0; i < GOOD; i++) f.deploy({ id: id() });
      const good = f.deploy({ id: id() });
      // Same code as the live deploy: Netlify lists them as ready, and `previous` passes over them.
      const commit = 'b'.repeat(40);
      for (let i = 0; i < FAILED; i++) f.deploy({ id: id(), commit });
      f.deploy({ id: id(), commit });
      return {
        fake: f,
        inputs: { provider: 'netlify', 'netlify-token': 'nfp_benchbenchbench0001', site: SITE_ID, 'api-url': f.url },
        check: () => (f.published()?.id === good.id ? undefined : `published is ${f.published()?.id}`),
      };
    },
  },
};
