// promote-previous through the bundle, for every API provider, against an API whose list never moves
// on: the same next-page cursor (or, with page numbers, the same page) every time. The step must
// stop on the second page with a message that says so, instead of asking until timeout-seconds
// runs out and then blaming the length of the list.
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { CommitStatuses } from '../../src/github/commit-status.js';
import { expectNoLeaks } from '../helpers/leak-scan.js';
import { runAction } from '../helpers/run-action.js';
import { startFakeHttp, type Answer, type FakeHttp, type RecordedRequest } from '../platforms/fake-http.js';

const TOKEN = 'tok_paging0secret0value0123456789';

const open: FakeHttp[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

const hex = (n: number, len: number) => n.toString(16).padStart(len, '0');
const operation = (r: RecordedRequest) => /(query|mutation)\s+(\w+)/.exec(String((r.body as { query?: string })?.query))?.[2] ?? '';

interface Case {
  inputs: (api: string) => Record<string, string>;
  /** The stand-in: every list request gets the same page. */
  api: (r: RecordedRequest) => Answer;
  isList: (r: RecordedRequest) => boolean;
  kind: RegExp;
}

const CASES: Record<string, Case> = {
  vercel: {
    inputs: (api) => ({ 'vercel-token': TOKEN, project: 'shop', 'api-url': api }),
    api: (r) => {
      if (r.path === '/v9/projects/shop') return { status: 200, body: { id: 'prj_shop', name: 'shop', targets: { production: { id: 'dpl_bad', createdAt: 10_000, readyState: 'READY', target: 'production' } } } };
      // Every page: 100 deployments that cannot take over, and the same `next`.
      const deployments = Array.from({ length: 100 }, (_, i) => ({ uid: `dpl_x${i}`, createdAt: 9_000 - i, readyState: 'ERROR', target: 'production' }));
      return { status: 200, body: { deployments, pagination: { count: 100, next: 5_000, prev: null } } };
    },
    isList: (r) => r.path === '/v6/deployments',
    kind: /the same next-page cursor \(5000\) as an earlier page/,
  },
  fly: {
    inputs: (api) => ({ 'fly-token': TOKEN, app: 'hotdash', 'api-url': api, 'machines-api-url': api, 'registry-url': api }),
    api: (r) => {
      if (r.path === '/v1/apps/hotdash/machines') return { status: 200, body: [{ id: 'm1', state: 'started', config: { image: 'registry.fly.io/hotdash:v1000' } }] };
      const nodes = Array.from({ length: 50 }, (_, i) => ({ id: `rel_${i}`, version: 1000 - i, status: 'failed', stable: false, imageRef: `registry.fly.io/hotdash:v${1000 - i}` }));
      return { status: 200, body: { data: { app: { releasesUnprocessed: { nodes, pageInfo: { hasNextPage: true, endCursor: 'c1' } } } } } };
    },
    isList: (r) => r.path === '/graphql',
    kind: /the same next-page cursor \(c1\) as an earlier page/,
  },
  railway: {
    inputs: (api) => ({ 'railway-token': TOKEN, project: 'p1', environment: 'e1', service: 's1', 'api-url': api }),
    api: (r) => {
      if (operation(r) !== 'deployments') return { status: 200, body: { errors: [{ message: `unexpected ${operation(r)}` }] } };
      const edges = Array.from({ length: 50 }, (_, i) => ({ cursor: `x${i}`, node: { id: `dep-${i}`, status: 'FAILED', createdAt: '2026-11-01T00:00:00Z' } }));
      return { status: 200, body: { data: { deployments: { edges, pageInfo: { hasNextPage: true, endCursor: 'c1' } } } } };
    },
    isList: (r) => operation(r) === 'deployments',
    kind: /the same next-page cursor \(c1\) as an earlier page/,
  },
  render: {
    inputs: (api) => ({ 'render-token': TOKEN, service: 'srv-abc123', 'api-url': api }),
    api: (r) => {
      if (r.path === '/v1/services/srv-abc123') return { status: 200, body: { id: 'srv-abc123', name: 'api', autoDeploy: 'yes' } };
      const body = Array.from({ length: 20 }, (_, i) => ({ cursor: 'c1', deploy: { id: `dep-x${i}`, status: 'build_failed', createdAt: '2026-11-01T00:00:00Z', commit: { id: 'f'.repeat(40) } } }));
      return { status: 200, body };
    },
    isList: (r) => r.path === '/v1/services/srv-abc123/deploys',
    kind: /the same next-page cursor \(c1\) as an earlier page/,
  },
  netlify: {
    inputs: (api) => ({ 'netlify-token': TOKEN, site: 'shop-front.netlify.app', 'api-url': api }),
    api: (r) => {
      const published = { id: hex(999, 24), state: 'ready', context: 'production', commit_ref: 'b'.repeat(40), created_at: '2026-11-02T00:00:00Z' };
      if (r.path === '/api/v1/sites/shop-front.netlify.app') return { status: 200, body: { id: 'site-1', name: 'shop-front', published_deploy: published } };
      // A server that ignores `page`: the first page, newer than the published deploy, every time.
      return { status: 200, body: Array.from({ length: 50 }, (_, i) => ({ id: hex(i, 24), state: 'ready', context: 'production', commit_ref: hex(i, 40), created_at: '2026-11-03T00:00:00Z' })) };
    },
    isList: (r) => r.path === '/api/v1/sites/site-1/deploys',
    kind: /a page it had already given/,
  },
};

describe('promote-previous: a list that never moves on', () => {
  for (const [provider, c] of Object.entries(CASES)) {
    it(`${provider}: stops on the repeated page with a message that says so`, async () => {
      const api = await startFakeHttp(c.api);
      open.push(api);
      const r = await runAction('promote-previous', { provider, 'timeout-seconds': '60', ...c.inputs(api.url) });
      await expectNoLeaks(r, [TOKEN]);
      expect(r.code).toBe(1);
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]).toMatch(/Listing .* stopped after 2 page\(s\): the API answered with /);
      expect(r.errors[0]).toMatch(c.kind);
      expect(r.errors[0]).toMatch(/so the list would never end/);
      expect(api.requests.filter(c.isList)).toHaveLength(2);
    });
  }
});

describe('commit statuses (target last-verified): a list that never moves on', () => {
  it('stops on the repeated page instead of reading ten copies of it', async () => {
    // A server that ignores `page`: the same hundred other contexts every time.
    const statuses = Array.from({ length: 100 }, (_, i) => ({ id: i + 1, context: `ci/check-${i}`, state: 'success' }));
    const api = await startFakeHttp(() => ({ status: 200, body: { state: 'success', total_count: 500, statuses } }));
    open.push(api);
    const sha = 'a'.repeat(40);
    const reading = new CommitStatuses({ apiUrl: api.url, repository: 'acme/shop', token: TOKEN }, memoryLog()).verified(sha);
    await expect(reading).rejects.toThrow(/Listing the commit statuses of aaaaaaaaaaaa in acme\/shop stopped after 2 page\(s\): the API answered with a page it had already given/);
    expect(api.requests).toHaveLength(2);
  });
});
