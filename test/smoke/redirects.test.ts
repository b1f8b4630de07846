// Where a check's request may be sent after the first hop. A redirect to another origin (a sign-in
// page answering for a service that is not there) or to a data: URL used to be followed and judged,
// and passed; a redirect fetch refuses to follow (a blocked port, ftp:) was called a configuration
// error with "no request went out", and the step ended with no decision. And the bypass token went to
// any origin an absolute check named, not only to base-url's and baseline-url's.
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { runAction } from '../helpers/run-action.js';
import { startServer, type ScriptedServer } from './servers.js';

let production: ScriptedServer;
let other: ScriptedServer;
beforeAll(async () => {
  other = await startServer();
  production = await startServer({
    handler(req, res) {
      const to: Record<string, string> = {
        '/to-other': `${other.url}/health`,
        '/to-data': 'data:application/json,{"status":"ok"}',
        '/to-ftp': 'ftp://example.com/health',
        '/to-blocked-port': 'http://127.0.0.1:10080/health',
        '/to-nowhere': 'http://[::1',
      };
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (to[path]) {
        res.writeHead(302, { location: to[path] });
        return res.end();
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'ok', bypass: req.headers['x-vercel-protection-bypass'] ?? null }));
    },
  });
});

const fast = { attempts: 1, 'timeout-seconds': 5, 'fail-step': false };

async function reasons(run: Awaited<ReturnType<typeof runAction>>): Promise<Record<string, string | undefined>> {
  const report = JSON.parse(await readFile(run.outputs['report-path']!, 'utf8')) as { checks: { name: string; reason?: string }[] };
  return Object.fromEntries(report.checks.map((c) => [c.name, c.reason]));
}

describe('redirects', () => {
  it('another origin, data: and other schemes are not followed: the check fails saying where it was sent', async () => {
    const before = other.requests.length;
    const run = await runAction('smoke-test', {
      'base-url': production.url,
      checks: '- {name: sso, url: /to-other, json: {status: ok}}\n- {name: data, url: /to-data, json: {status: ok}}\n- {name: ftp, url: /to-ftp}\n- {name: nowhere, url: /to-nowhere}',
      ...fast,
    });
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ passed: 'false', failed: '4', decision: 'rollback' });
    expect(other.requests.length).toBe(before);
    expect(await reasons(run)).toEqual({
      sso: `redirected (302) to ${other.url}/health, another origin than the check's ${production.url} (a sign-in page?), so it was not followed; if that redirect is expected, list ${other.url} in the check's redirect-origins, or accept its status (status: 3xx)`,
      data: 'redirected (302) to a URL that is not http(s) (data:), which is never followed',
      ftp: 'redirected (302) to a URL that is not http(s) (ftp:), which is never followed',
      nowhere: 'redirected (302) with a Location that is not a URL, so it was not followed',
    });
  });

  it('redirect-origins lets a check follow a redirect to another origin; status 3xx judges the redirect itself', async () => {
    const before = other.requests.length;
    const run = await runAction('smoke-test', {
      'base-url': production.url,
      checks: `- {name: allowed, url: /to-other, json: {status: ok}, redirect-origins: ["${other.url}/"]}\n- {name: login redirect, url: /to-other, status: 302, header: {location: {contains: "${other.url}"}}}`,
      ...fast,
    });
    expect(run.errors).toEqual([]);
    expect(run.outputs).toMatchObject({ passed: 'true', decision: 'none' });
    expect(other.requests.length).toBe(before + 1);
  });

  it('a redirect fetch refuses to follow is what the service answered: a failed sample, not a configuration error', async () => {
    const run = await runAction('smoke-test', { 'base-url': production.url, checks: '- {name: blocked, url: /to-blocked-port, critical: true, redirect-origins: "http://127.0.0.1:10080"}', ...fast });
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ passed: 'false', severity: 'critical', decision: 'rollback' });
    expect((await reasons(run)).blocked).toBe(
      'redirected (302) to 127.0.0.1:10080, which cannot be requested: Node\'s fetch refuses to connect to port 10080 of 127.0.0.1 (a port the Fetch standard blocks, "bad port")',
    );
    expect(run.log).not.toContain('no request went out');
  });
});

describe('the bypass token', () => {
  it('goes only to base-url’s and baseline-url’s origins, never to another origin an absolute check names', async () => {
    const token = 'bypass-Vq72kLm9Xz';
    const baseline = await startServer();
    const before = other.requests.length;
    const run = await runAction('smoke-test', {
      'base-url': production.url,
      'baseline-url': baseline.url,
      'bypass-token': token,
      checks: `- {name: own, url: /health, json: {bypass: ${token}}}\n- {name: third party, url: "${other.url}/health"}`,
      ...fast,
    });
    expect(run.errors).toEqual([]);
    expect(run.outputs).toMatchObject({ passed: 'true' });
    const thirdParty = other.requests.slice(before);
    expect(thirdParty).toHaveLength(1);
    expect(thirdParty[0]!.headers['x-vercel-protection-bypass']).toBeUndefined();
    expect(baseline.requests.map((r) => [r.path, r.headers['x-vercel-protection-bypass']])).toEqual([['/health', token]]);
  });

  it('without base-url and baseline-url it would go nowhere: refused as an input mistake', async () => {
    const run = await runAction('smoke-test', { 'bypass-token': 'bypass-Vq72kLm9Xz', checks: `- {name: h, url: "${production.url}/health"}`, ...fast });
    expect(run.code).toBe(1);
    expect(run.outputs).toEqual({});
    expect(run.errors[0]).toMatch(/^Input bypass-token is set, but neither base-url nor baseline-url/);
  });
});

describe('the same host moving its callers to https', () => {
  it('is the check’s own origin (default ports only); anything else on that host is another origin', async () => {
    const { isHttpsUpgrade } = await import('../../src/smoke/http-probe.js');
    expect(isHttpsUpgrade('http://app.example.com', 'https://app.example.com/health')).toBe(true);
    expect(isHttpsUpgrade('http://app.example.com', 'https://www.app.example.com/health')).toBe(false);
    expect(isHttpsUpgrade('http://app.example.com:8080', 'https://app.example.com/health')).toBe(false);
    expect(isHttpsUpgrade('http://app.example.com', 'https://app.example.com:8443/health')).toBe(false);
    expect(isHttpsUpgrade('https://app.example.com', 'http://app.example.com/health')).toBe(false);
  });
});
