// Spec mistakes the step used to run with: empty checks were dropped (a spec of `- {}` ran no check,
// passed, and could mark the commit verified), a HEAD check asserting on a body always failed (a
// false rollback), header `matches: {a: 1}` became /[object Object]/, and an invalid header name was
// quoted whole, value included. Now each is a spec problem: nothing runs, no decision.
import { describe, expect, it } from 'vitest';
import { findSecret, runAction } from '../helpers/run-action.js';
import { startServer } from './servers.js';

describe('spec mistakes are refused before anything runs', () => {
  it('a spec of empty checks', async () => {
    const run = await runAction('smoke-test', { checks: '- {}\n- {}\n', attempts: 1 });
    expect(run.code).toBe(1);
    expect(run.outputs).toEqual({});
    expect(run.errors).toEqual([expect.stringMatching(/^The smoke check spec \(checks input\) has 2 problems, so nothing was run: line 1, check "#1": the check is empty/)]);
  });

  it('HEAD with body assertions, header matches that is not a string, a header line written as a name', async () => {
    const server = await startServer();
    const secret = 'SekretTok3nABC';
    const run = await runAction('smoke-test', {
      'base-url': server.url,
      checks: `- {name: head, url: /health, method: HEAD, body-contains: ok}\n- {name: etag, url: /health, header: {etag: {matches: {a: 1}}}}\n- {name: api, url: /health, headers: {"authorization: Bearer ${secret}": x}}\n`,
      attempts: 1,
      'fail-step': false,
    });
    expect(run.code).toBe(1);
    expect(run.outputs).toEqual({});
    expect(server.requests).toEqual([]);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toContain('line 1, check "head", field "body-contains": a HEAD response has no body');
    expect(run.errors[0]).toContain('line 2, check "etag", field "header": "etag": matches must be a regular expression written as a string');
    expect(run.errors[0]).toContain('line 3, check "api", field "headers": the key of entry #1 is not a valid header name; it starts with "authorization"');
    expect(await findSecret(run, secret)).toEqual([]);
  });
});
