// The checks a whole rollback runs on each component before anything starts: every provider's
// required values are refused the same way when missing or blank, whichever place they came from.
import { describe, expect, it } from 'vitest';
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

  it('accepts a complete request', () => {
    expect(() => checkPromoteRequest({ ...common, provider: 'vercel', token: 't', project: 'shop', apiUrl: 'https://api.vercel.com', method: 'rollback' }, place)).not.toThrow();
  });
});
