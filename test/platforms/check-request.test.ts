// The checks a whole rollback runs on each component before anything starts: every provider's
// required values are refused the same way when missing or blank, whichever place they came from.
import { describe, expect, it } from 'vitest';
import type { RollbackKitError } from '../../src/core/errors.js';
import { checkPromoteRequest, type PromoteRequest } from '../../src/platforms/promote.js';

const common = { target: 'previous', timeoutSeconds: 60, dryRun: false };
const place = (f: string) => `components.web.${f}`;

describe('checkPromoteRequest', () => {
  const cases: [string, PromoteRequest, RegExp][] = [
    ['vercel, no token', { ...common, provider: 'vercel', token: undefined, project: 'shop', apiUrl: 'https://api.vercel.com', method: 'rollback' }, /^components\.web\.vercel-token is required when provider is vercel\.$/],
    ['vercel, blank project', { ...common, provider: 'vercel', token: 't', project: '  ', apiUrl: 'https://api.vercel.com', method: 'rollback' }, /^components\.web\.project is required when provider is vercel\.$/],
    ['git-revert, no token', { ...common, provider: 'git-revert', githubToken: undefined, repoDir: '.', repository: 'o/r', apiUrl: 'https://api.github.com' }, /^components\.web\.github-token is required when provider is git-revert\.$/],
    ['command, blank command', { ...common, provider: 'command', command: ' \n', baseEnv: {} }, /^components\.web\.command is required when provider is command\.$/],
    ['render, blank service', { ...common, provider: 'render', token: 't', service: ' ', apiUrl: 'https://api.render.com/v1' }, /^components\.web\.service is required when provider is render\.$/],
  ];
  it.each(cases)('%s: refused, naming the place', (_name, request, message) => {
    expect(() => checkPromoteRequest(request, place)).toThrow(message);
  });

  // Every platform provider: its token first, then the fields naming what to roll back, then its API base URL.
  const platforms: [PromoteRequest, string[], string, RegExp][] = [
    [{ ...common, provider: 'vercel', token: 't', project: 'shop', apiUrl: 'https://api.vercel.com', method: 'rollback' }, ['project'], 'https://api.vercel.com', /vercel-token: \$\{\{ secrets\.VERCEL_TOKEN \}\}/],
    [{ ...common, provider: 'fly', token: 't', app: 'shop', apiUrl: 'https://api.fly.io', machinesApiUrl: 'https://api.machines.dev' }, ['app'], 'https://api.fly.io', /fly-token: \$\{\{ secrets\.FLY_API_TOKEN \}\}/],
    [{ ...common, provider: 'railway', token: 't', project: 'p', environment: 'e', service: 's', apiUrl: 'https://backboard.railway.com/graphql/v2' }, ['project', 'environment', 'service'], 'https://backboard.railway.com/graphql/v2', /railway-token: \$\{\{ secrets\.RAILWAY_TOKEN \}\}/],
    [{ ...common, provider: 'render', token: 't', service: 'srv-1', apiUrl: 'https://api.render.com/v1' }, ['service'], 'https://api.render.com', /render-token: \$\{\{ secrets\.RENDER_API_KEY \}\}/],
    [{ ...common, provider: 'netlify', token: 't', site: 'shop', apiUrl: 'https://api.netlify.com' }, ['site'], 'https://api.netlify.com', /netlify-token: \$\{\{ secrets\.NETLIFY_AUTH_TOKEN \}\}/],
  ];
  const refusal = (request: PromoteRequest) => {
    try {
      checkPromoteRequest(request, place);
    } catch (err) {
      return err as RollbackKitError;
    }
    return undefined;
  };
  it.each(platforms)('$provider: token, then each field, then the API URL, with the default as the example', (complete, fields, defaultUrl, tokenHint) => {
    const p = complete.provider;
    expect(refusal(complete)).toBeUndefined();
    const noToken = refusal({ ...complete, token: undefined, ...Object.fromEntries(fields.map((f) => [f, ''])) } as PromoteRequest);
    expect(noToken?.message).toBe(`components.web.${p}-token is required when provider is ${p}.`);
    expect(noToken?.hint).toMatch(tokenHint);
    for (const field of fields) {
      const missing = refusal({ ...complete, [field]: ' ', apiUrl: 'not a url' } as PromoteRequest);
      expect(missing?.message).toBe(`components.web.${field} is required when provider is ${p}.`);
      expect(missing?.hint).toMatch(new RegExp(`^Set ${field} to the `));
    }
    expect(refusal({ ...complete, apiUrl: 'api.example' } as PromoteRequest)?.message).toBe(`components.web.api-url must be an http(s) URL such as ${defaultUrl}; got "api.example".`);
  });

  it('fly: the Machines API and registry URLs are checked after api-url', () => {
    const fly: PromoteRequest = { ...common, provider: 'fly', token: 't', app: 'shop', apiUrl: 'https://api.fly.io', machinesApiUrl: 'machines', registryUrl: 'registry' };
    expect(refusal(fly)?.message).toBe('components.web.machines-api-url must be an http(s) URL such as https://api.machines.dev; got "machines".');
    expect(refusal({ ...fly, machinesApiUrl: 'https://api.machines.dev' })?.message).toBe('components.web.registry-url must be an http(s) URL such as https://registry.fly.io; got "registry".');
  });

  it('accepts a complete request', () => {
    expect(() => checkPromoteRequest({ ...common, provider: 'vercel', token: 't', project: 'shop', apiUrl: 'https://api.vercel.com', method: 'rollback' }, place)).not.toThrow();
  });
});
