// promote-previous through the bundle, for every API provider, against an API that answers every
// request with a redirect to another origin: no request (and so no token, in any header) reaches
// that origin, and the step fails saying the API redirected.
import { afterEach, describe, expect, it } from 'vitest';
import { expectNoLeaks } from '../helpers/leak-scan.js';
import { runAction } from '../helpers/run-action.js';
import { startFakeHttp, type FakeHttp } from '../platforms/fake-http.js';

const TOKEN = 'tok_redirect0secret0value0123456789';

const open: FakeHttp[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

const CASES: Record<string, (api: string) => Record<string, string>> = {
  vercel: (api) => ({ 'vercel-token': TOKEN, project: 'shop', 'api-url': api }),
  railway: (api) => ({ 'railway-token': TOKEN, project: 'p1', environment: 'e1', service: 's1', 'api-url': api }),
  render: (api) => ({ 'render-token': TOKEN, service: 'srv-abc123', 'api-url': api }),
  netlify: (api) => ({ 'netlify-token': TOKEN, site: 'shop-front.netlify.app', 'api-url': api }),
  fly: (api) => ({ 'fly-token': TOKEN, app: 'hotdash', 'api-url': api, 'machines-api-url': api, 'registry-url': api }),
};

describe('promote-previous: an API that redirects', () => {
  for (const [provider, inputs] of Object.entries(CASES)) {
    it(`${provider}: follows no redirect, sends the token nowhere else, and fails naming the redirect`, async () => {
      const elsewhere = await startFakeHttp(() => ({ status: 500, body: 'other origin' }));
      const api = await startFakeHttp((r) => ({ status: 307, headers: { location: `${elsewhere.url}${r.path}` } }));
      open.push(elsewhere, api);
      const r = await runAction('promote-previous', { provider, 'timeout-seconds': '5', ...inputs(api.url) });
      await expectNoLeaks(r, [TOKEN]);
      expect(r.code).toBe(1);
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]).toMatch(new RegExp(`answered (GET|POST) \\S+ with a redirect \\(307\\) to ${elsewhere.url.replace(/[.]/g, '\\.')}\\. API requests never follow a redirect`));
      expect(elsewhere.requests).toEqual([]);
      expect(api.requests).toHaveLength(1);
    });
  }
});
