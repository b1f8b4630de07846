// A check's path joined to base-url / baseline-url with URL semantics: into the path, never into
// base-url's query (`https://app/?x-vercel-set-bypass-cookie=true` + `/api/health` used to request
// `/?x-vercel-set-bypass-cookie=true/api/health`, the home page, and pass).
import { describe, expect, it } from 'vitest';
import { joinUrl } from '../../src/smoke/join-url.js';
import { runAction } from '../helpers/run-action.js';
import { startServer } from './servers.js';

describe('joinUrl', () => {
  it.each([
    ['https://x.example.com', '/health', 'https://x.example.com/health'],
    ['https://x.example.com/', 'health', 'https://x.example.com/health'],
    ['https://x.example.com/app/', '/health', 'https://x.example.com/app/health'],
    ['https://x.example.com/?x-vercel-set-bypass-cookie=true', '/api/health', 'https://x.example.com/api/health?x-vercel-set-bypass-cookie=true'],
    ['https://x.example.com/app?a=1#top', '/api/health', 'https://x.example.com/app/api/health?a=1#top'],
    // The path's query is merged: base-url's parameters first, the path's replace those of the same name.
    ['https://x.example.com/?a=1&b=2', '/h?b=3&c=4', 'https://x.example.com/h?a=1&b=3&c=4'],
    ['https://x.example.com', '/h?c=4#frag', 'https://x.example.com/h?c=4#frag'],
    // Values are kept as written (a signed value must not be re-encoded).
    ['https://x.example.com/?sig=ab%2Bc%3D', '/h?q=a+b', 'https://x.example.com/h?sig=ab%2Bc%3D&q=a+b'],
    // A path that starts with // is a path, not another host.
    ['https://x.example.com/app', '//evil.example/x', 'https://x.example.com/app//evil.example/x'],
  ])('%s + %s', (base, path, joined) => {
    expect(joinUrl(base, path)).toBe(joined);
  });
});

describe('base-url and baseline-url with a query', () => {
  it('checks and their baselines request the check’s path, with the URL’s query kept', async () => {
    const production = await startServer();
    const baseline = await startServer();
    const run = await runAction('smoke-test', {
      'base-url': `${production.url}/?x-vercel-set-bypass-cookie=true`,
      'baseline-url': `${baseline.url}/v1?x-vercel-set-bypass-cookie=true`,
      checks: '- {name: health, url: /health, critical: true}\n- {name: echo, url: "/echo?verbose=1&x-vercel-set-bypass-cookie=samesitenone", json: {method: GET}}',
      attempts: 1,
      'timeout-seconds': 5,
    });
    expect(run.errors).toEqual([]);
    expect(run.outputs).toMatchObject({ passed: 'true' });
    expect(production.requests.map((r) => `${r.path}${r.search}`).sort()).toEqual(['/echo?verbose=1&x-vercel-set-bypass-cookie=samesitenone', '/health?x-vercel-set-bypass-cookie=true']);
    expect(baseline.requests.map((r) => `${r.path}${r.search}`).sort()).toEqual(['/v1/echo?verbose=1&x-vercel-set-bypass-cookie=samesitenone', '/v1/health?x-vercel-set-bypass-cookie=true']);
  });
});
