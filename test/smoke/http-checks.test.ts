// HTTP checks against local scripted servers: each assertion passing and failing, attempts,
// sampling, timeouts, refused connections, redirects and the bypass header.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseChecks } from '../../src/smoke/parse-spec.js';
import { delaySeconds, runChecks, type CheckResult, type SmokeOptions } from '../../src/smoke/run-checks.js';
import { decide } from '../../src/smoke/verdict.js';
import { ROOT } from '../helpers/run-action.js';
import { refusedUrl, startServer, type ScriptedServer } from './servers.js';

let server: ScriptedServer;
beforeAll(async () => {
  server = await startServer();
});

const defaults: SmokeOptions = {
  attempts: 1,
  intervalSeconds: 0.01,
  backoff: 'fixed',
  timeoutSeconds: 5,
  samples: 1,
  maxErrorRate: 5,
  maxP95Ms: 3000,
  deadlineSeconds: 60,
};

async function run(yaml: string, opts: Partial<SmokeOptions> = {}, baseUrl = server.url): Promise<CheckResult[]> {
  const checks = parseChecks(yaml, { baseUrl, hasDatabase: false });
  return runChecks(checks, { ...defaults, ...opts }, memoryLog());
}

async function one(yaml: string, opts: Partial<SmokeOptions> = {}): Promise<CheckResult> {
  const [result] = await run(yaml, opts);
  return result!;
}

describe('assertions, each passing and failing', () => {
  it('status: default 2xx, exact, class, range and list', async () => {
    expect((await one('- {name: h, url: /health}')).passed).toBe(true);
    expect((await one('- {name: h, url: /status/404}')).reason).toBe('status 404, expected 200..299');
    expect((await one('- {name: h, url: /status/404, status: 404}')).passed).toBe(true);
    expect((await one('- {name: h, url: /status/503, status: 5xx}')).passed).toBe(true);
    expect((await one('- {name: h, url: /status/503, status: [200, "400..499"]}')).reason).toBe('status 503, expected 200 or 400..499');
  });

  it('body-contains, body-not-contains, body-matches', async () => {
    expect((await one('- {name: l, url: /login, body-contains: [Sign in, id="login"], body-not-contains: error, body-matches: "<title>\\\\w+ in</title>"}')).passed).toBe(true);
    expect((await one('- {name: l, url: /login, body-contains: Dashboard}')).reason).toBe('body does not contain "Dashboard"');
    expect((await one('- {name: l, url: /login, body-not-contains: form}')).reason).toBe('body contains "form"');
    expect((await one('- {name: l, url: /login, body-matches: "^\\\\{"}')).reason).toBe('body does not match /^\\{/');
  });

  it('json: bare value means equals; exists, less-than, greater-than; arrays and length', async () => {
    const pass = await one(`
- name: health
  url: /health
  json:
    status: ok
    checks.db.ok: true
    checks.db.latency_ms: {less-than: 100, greater-than: 0}
    version: {exists: true}
    error: {exists: false}
    regions[1]: iad1
    regions.length: 2
    $.checks.db: {equals: {ok: true, latency_ms: 12}}
`);
    expect(pass.failures).toEqual([]);
    expect(pass.passed).toBe(true);

    const wrong = await one(`
- name: health
  url: /wrong-json
  json:
    status: ok
    checks.db.latency_ms: {less-than: 100}
    regions.length: {greater-than: 0}
    uptime: {exists: true}
    version: {greater-than: 1}
    checks: {exists: false}
`);
    expect(wrong.passed).toBe(false);
    expect(wrong.failures).toEqual([
      'json "status" is "degraded", expected "ok"',
      'json "checks.db.latency_ms" is 950, expected less than 100',
      'json "regions.length" is 0, expected greater than 0',
      'json "uptime" is missing, expected it present',
      'json "version" is "1.5.0", not a number',
      'json "checks" is present, expected it absent',
    ]);
    expect(wrong.reason).toBe(wrong.failures.join('; '));
  });

  it('json on a body that is not JSON fails, never passes', async () => {
    const r = await one('- {name: h, url: /not-json, json: {status: {exists: false}}}');
    expect(r.passed).toBe(false);
    expect(r.reason).toMatch(/body is not JSON/);
  });

  it('header: equals, contains, matches, exists', async () => {
    const ok = await one(`
- name: h
  url: /health
  header:
    X-Release: v1.4.2
    content-type: {contains: json, matches: "^application/"}
    cache-control: {exists: true}
    set-cookie: {exists: false}
`);
    expect(ok.failures).toEqual([]);
    const bad = await one(`
- name: h
  url: /health
  header:
    x-release: v1.5.0
    content-type: {contains: html}
    cache-control: {matches: "^public"}
    x-missing: {exists: true}
    x-other: anything
`);
    expect(bad.failures).toEqual([
      'header "x-release" is "v1.4.2", expected "v1.5.0"',
      'header "content-type" is "application/json; charset=utf-8", expected it to contain "html"',
      'header "cache-control" is "no-store", expected it to match /^public/',
      'header "x-missing" is missing, expected it present',
      'header "x-other" is missing',
    ]);
  });

  it('max-ms: a slow answer fails the assertion, a quick one passes', async () => {
    expect((await one('- {name: s, url: /slow/150, max-ms: 50}')).reason).toMatch(/^took \d+ ms, more than max-ms 50$/);
    expect((await one('- {name: s, url: /health, max-ms: 5000}')).passed).toBe(true);
  });

  it('method, headers and body are sent as written', async () => {
    const r = await one('- {name: p, url: /echo, method: POST, headers: {x-team: shop}, body: {ping: 1}, json: {method: POST, body: "{\\"ping\\":1}", headers.x-team: shop, headers.content-type: application/json}}');
    expect(r.failures).toEqual([]);
  });
});

describe('attempts', () => {
  it('a flaky endpoint (fails twice, then recovers) passes on the third attempt', async () => {
    const r = await one('- {name: f, url: /flaky/a}', { attempts: 3 });
    expect(r).toMatchObject({ passed: true, attempts: 3, status: 200, errorRate: 0 });
    expect(server.hits('/flaky/a')).toBe(3);
  });

  it('fails only when every attempt failed, and stops at the limit', async () => {
    const r = await one('- {name: f, url: /flaky/b}', { attempts: 2 });
    expect(r).toMatchObject({ passed: false, attempts: 2, status: 503, reason: 'status 503, expected 200..299' });
    expect(server.hits('/flaky/b')).toBe(2);
  });

  it('a passing check makes one attempt only', async () => {
    const r = await one('- {name: h, url: /flaky/c, attempts: 1}', { attempts: 5 });
    expect(r.attempts).toBe(1);
    expect(server.hits('/flaky/c')).toBe(1);
  });

  it('waits interval-seconds between attempts, doubling with exponential backoff', async () => {
    expect([1, 2, 3, 4].map((a) => delaySeconds(0.5, 'fixed', a))).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect([1, 2, 3, 4].map((a) => delaySeconds(0.5, 'exponential', a))).toEqual([0.5, 1, 2, 4]);
    expect(delaySeconds(10, 'exponential', 10)).toBe(60);
    // The cap never makes a wait shorter than the interval asked for, and the docs say so.
    expect([1, 2, 3].map((a) => delaySeconds(120, 'exponential', a))).toEqual([120, 120, 120]);
    for (const doc of ['README.md', 'action.yml']) {
      const said = readFileSync(join(ROOT, 'actions/smoke-test', doc), 'utf8').split('\n').find((l) => /exponential`? \(the wait doubles/.test(l));
      expect(said, doc).toMatch(/60 s, or up to `?interval-seconds`? when that is longer/);
    }
    const started = performance.now();
    const r = await one('- {name: f, url: /flaky/d, backoff: exponential, interval-seconds: 0.1}', { attempts: 3 });
    expect(r.passed).toBe(true);
    // Two waits: 0.1 s then 0.2 s. A lower bound only: a busy machine is slower, never faster.
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });
});

describe('errors count as failures, never as passes', () => {
  it('connection refused', async () => {
    const base = await refusedUrl();
    const [r] = await run('- {name: down, url: /health, status: [2xx, 5xx]}', { attempts: 2 }, base);
    expect(r).toMatchObject({ passed: false, attempts: 2, unreachable: true, errorRate: 100, status: undefined, p95Ms: undefined });
    expect(r!.reason).toBe(`connection refused by ${new URL(base).host}`);
  });

  it('a server that never answers times out after timeout-seconds', async () => {
    const r = await one('- {name: hang, url: /hang, status: [2xx, 5xx], json: {x: {exists: false}}}', { timeoutSeconds: 0.2 });
    expect(r).toMatchObject({ passed: false, unreachable: true, errorRate: 100 });
    expect(r.reason).toBe(`no answer from ${new URL(server.url).host} within 0.2 s (timeout-seconds)`);
  });

  it('a body that stalls after status 200 is a failed check that says so, not an unreachable service', async () => {
    const host = new URL(server.url).host;
    const r = await one('- {name: login, url: /stall-body, body-contains: form}', { timeoutSeconds: 0.3 });
    expect(r).toMatchObject({ passed: false, unreachable: false, status: 200, errorRate: 100 });
    expect(r.reason).toBe(`${host} answered 200, but its body did not finish within 0.3 s (timeout-seconds)`);
    const verdict = decide([r]);
    expect(verdict).toMatchObject({ unreachable: false, severity: 'major', decision: 'rollback' });
    expect(verdict.reasons).toEqual([`check "login" failed: ${r.reason}`]);
    // Critical, it is a critical check that failed: still never "unreachable".
    const critical = decide([await one('- {name: login, url: /stall-body, body-contains: form, critical: true}', { timeoutSeconds: 0.3 })]);
    expect(critical).toMatchObject({ unreachable: false, severity: 'critical' });
    expect(critical.reasons.join(' ')).not.toContain('unreachable');
  });

  it('a body cut off after status 200 says the service closed the connection, not that it is unreachable', async () => {
    const r = await one('- {name: login, url: /cut-body, body-contains: form}', { timeoutSeconds: 5 });
    expect(r).toMatchObject({ passed: false, unreachable: false, status: 200 });
    expect(r.reason).toBe(`${new URL(server.url).host} answered 200, but closed the connection before its body ended`);
  });

  it("a check's own timeout-seconds is named as the check's, not as the input", async () => {
    const r = await one('- {name: hang, url: /hang, timeout-seconds: 0.2}', { timeoutSeconds: 30 });
    expect(r).toMatchObject({ passed: false, unreachable: true });
    expect(r.reason).toBe(`no answer from ${new URL(server.url).host} within 0.2 s (the check's "timeout-seconds")`);
  });

  it('the overall deadline ends the run, in-flight requests and later attempts included', async () => {
    const results = await run('- {name: hang, url: /hang}\n- {name: hang2, url: /hang}', { timeoutSeconds: 30, attempts: 5, intervalSeconds: 30, deadlineSeconds: 0.3 });
    for (const r of results) {
      expect(r.passed).toBe(false);
      expect(r.attempts).toBe(1);
      expect(r.reason).toMatch(/overall deadline/);
      // Cut short by us is not proof the service is down.
      expect(r.unreachable).toBe(false);
    }
  });

  it('a request the deadline cuts short says what it was waiting for: an answer, or the rest of a body after 200', async () => {
    const host = new URL(server.url).host;
    const [stalled, hang] = await run('- {name: login, url: /stall-body, body-contains: form}\n- {name: hang, url: /hang}', { samples: 2, timeoutSeconds: 5, deadlineSeconds: 0.4 });
    expect(stalled).toMatchObject({ passed: false, attempts: 1, status: 200, unreachable: false, errorRate: 100 });
    expect(stalled!.reason).toContain(`${host} answered 200, but its body had not finished when it was cut short by the overall deadline (deadline-seconds)`);
    expect(hang).toMatchObject({ passed: false, attempts: 1, unreachable: false });
    expect(hang!.reason).toContain(`no answer from ${host} yet when it was cut short by the overall deadline (deadline-seconds)`);
    // Cut short by us is no latency of the service's.
    expect(stalled!.p95Ms).toBeUndefined();
  });

  it('checks left when the deadline passes are reported as not measured', async () => {
    const results = await run('- {name: a, url: /hang}\n- {name: b, url: /health}', { timeoutSeconds: 30, deadlineSeconds: 0.2, checkConcurrency: 1 });
    expect(results[1]).toMatchObject({ name: 'b', passed: false, attempts: 0, reason: expect.stringMatching(/^not measured: the overall deadline/) });
  });
});

describe('samples', () => {
  it('measures error rate and latency percentiles over N requests', async () => {
    const r = await one('- {name: s, url: /slow/20, samples: 10}');
    expect(r).toMatchObject({ passed: true, samples: 10, failedSamples: 0, errorRate: 0 });
    expect(r.p50Ms).toBeGreaterThanOrEqual(19);
    expect(r.p95Ms!).toBeGreaterThanOrEqual(r.p50Ms!);
    expect(r.maxMs!).toBeGreaterThanOrEqual(r.p95Ms!);
    expect(server.hits('/slow/20')).toBe(10);
  });

  it('500 on 10% of requests breaks the default 5% max-error-rate', async () => {
    const r = await one('- {name: e, url: /errors10/a}', { samples: 20 });
    expect(r).toMatchObject({ passed: false, failedSamples: 2, errorRate: 10, thresholdBroken: true, unreachable: false });
    expect(r.reason).toBe('error rate 10% (2/20) above max-error-rate 5%: status 500, expected 200..299 (×2)');
  });

  it('...and passes with max-error-rate 10, reporting the failed samples', async () => {
    const r = await one('- {name: e, url: /errors10/b}', { samples: 20, maxErrorRate: 10 });
    expect(r).toMatchObject({ passed: true, errorRate: 10 });
    expect(r.reason).toMatch(/^2\/20 samples failed \(within max-error-rate\)/);
  });

  it('an attempt is all its samples: a retry re-runs every sample, never only the failed ones', async () => {
    // errors10: requests 10 and 20 fail; attempt 1 = requests 1-10 (one failure, 10%), attempt 2 = 11-20 (10%).
    const r = await one('- {name: e, url: /errors10/c, samples: 10}', { attempts: 2 });
    expect(r).toMatchObject({ passed: false, attempts: 2, samples: 10, failedSamples: 1, errorRate: 10 });
    expect(server.hits('/errors10/c')).toBe(20);
  });

  it('numbers come from the deciding attempt, not from earlier failed ones', async () => {
    // flaky: requests 1-2 fail. Attempt 1 (samples 1-4): 50% errors; attempt 2 (5-8): none.
    const r = await one('- {name: f, url: /flaky/samples, samples: 4}', { attempts: 2 });
    expect(r).toMatchObject({ passed: true, attempts: 2, samples: 4, failedSamples: 0, errorRate: 0 });
  });

  it('a check may set its own max-error-rate and max-p95-ms', async () => {
    expect((await one('- {name: e, url: /errors10/own, max-error-rate: 10}', { samples: 20 })).passed).toBe(true);
    const slow = await one('- {name: s, url: /slow/60, samples: 2, max-p95-ms: 30}', { maxP95Ms: 3000 });
    expect(slow.reason).toMatch(/above max-p95-ms 30$/);
  });

  it('p95 above max-p95-ms fails the attempt (a threshold, not an assertion)', async () => {
    const r = await one('- {name: slow, url: /slow/120, samples: 4}', { maxP95Ms: 50 });
    expect(r).toMatchObject({ passed: false, errorRate: 0, thresholdBroken: true });
    expect(r.reason).toMatch(/^p95 \d+(\.\d)? ms above max-p95-ms 50$/);
  });
});

describe('redirects and the bypass token', () => {
  it('follows redirects on the same origin and sends x-vercel-protection-bypass', async () => {
    const before = server.requests.length;
    const r = await one('- {name: r, url: /redirect, json: {status: ok}}', { bypassToken: 'bypass-secret-123', bypassOrigins: [server.url] });
    expect(r.passed).toBe(true);
    const sent = server.requests.slice(before);
    expect(sent.map((q) => q.path)).toEqual(['/redirect', '/health']);
    expect(sent.every((q) => q.headers['x-vercel-protection-bypass'] === 'bypass-secret-123')).toBe(true);
  });

  it('never sends the token or the check headers to another origin, even one the check lets it be redirected to', async () => {
    const other = await startServer();
    const r = await one(`- {name: r, url: "/redirect?to=${other.url}/echo", headers: {authorization: Bearer abc}, redirect-origins: ["${other.url}"]}`, { bypassToken: 'bypass-secret-123', bypassOrigins: [server.url] });
    expect(r.passed).toBe(true);
    expect(other.requests).toHaveLength(1);
    expect(other.requests[0]!.headers['x-vercel-protection-bypass']).toBeUndefined();
    expect(other.requests[0]!.headers.authorization).toBeUndefined();
  });
});

describe('baseline', () => {
  it('flags a regression when p95 is more than 2x the baseline, and not otherwise', async () => {
    const slow = await startServer({ delayMs: 300 });
    const fast = await startServer();
    const [regressed] = await run('- {name: h, url: /health, samples: 3}', { baselineUrl: fast.url }, slow.url);
    expect(regressed).toMatchObject({ passed: true, baseline: { url: `${fast.url}/health`, regression: true } });
    expect(regressed!.p95Ms!).toBeGreaterThan(2 * regressed!.baseline!.p95Ms!);
    expect(fast.hits('/health')).toBe(3);

    const [same] = await run('- {name: h, url: /health, samples: 3}', { baselineUrl: slow.url }, fast.url);
    expect(same!.baseline).toMatchObject({ regression: false });
  });

  it('a baseline that does not answer gives no comparison, not a regression', async () => {
    const [r] = await run('- {name: h, url: /health}', { baselineUrl: await refusedUrl() });
    expect(r!.baseline).toMatchObject({ regression: false, note: expect.stringMatching(/baseline did not answer.*connection refused/) });
  });
});
