// The seeds' decision matrix (seeds 000 and 001), row by row, for what a check can observe:
// critical → immediate rollback, major → rollback, minor → fix forward, nothing → none.
import { beforeAll, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseChecks } from '../../src/smoke/parse-spec.js';
import type { SmokeOptions } from '../../src/smoke/run-checks.js';
import { runSmokeTest } from '../../src/smoke/smoke-test.js';
import { worstCheck, type Verdict } from '../../src/smoke/verdict.js';
import { refusedUrl, startServer, type ScriptedServer } from './servers.js';

let server: ScriptedServer;
beforeAll(async () => {
  server = await startServer();
});

const defaults: SmokeOptions = { attempts: 1, intervalSeconds: 0.01, backoff: 'fixed', timeoutSeconds: 5, samples: 1, maxErrorRate: 5, maxP95Ms: 3000, deadlineSeconds: 60 };

async function verdict(yaml: string, opts: Partial<SmokeOptions> = {}, baseUrl = server.url): Promise<Verdict> {
  const checks = parseChecks(yaml, { baseUrl, hasDatabase: false });
  return (await runSmokeTest(checks, { ...defaults, ...opts }, memoryLog())).verdict;
}

describe('verdict and decision', () => {
  it('everything healthy: none / none', async () => {
    const v = await verdict('- {name: health, url: /health, critical: true, json: {status: ok}}\n- {name: login, url: /login, body-contains: Sign in}');
    expect(v).toMatchObject({ passed: true, severity: 'none', decision: 'none', failed: 0, reasons: [], errorRate: 0, unreachable: false });
  });

  it('System down (unreachable): critical / rollback, even without critical checks', async () => {
    const v = await verdict('- {name: health, url: /health}\n- {name: login, url: /login}', {}, await refusedUrl());
    expect(v).toMatchObject({ passed: false, severity: 'critical', decision: 'rollback', failed: 2, unreachable: true, errorRate: 100 });
    expect(v.reasons[0]).toMatch(/^the service is unreachable: all 2 HTTP checks got no answer \(connection refused/);
  });

  it('a service that never answers is down too: critical / rollback', async () => {
    const v = await verdict('- {name: health, url: /hang}', { timeoutSeconds: 0.1 });
    expect(v).toMatchObject({ severity: 'critical', decision: 'rollback', unreachable: true });
  });

  it('a critical check failed (Core workflow / payments broken): critical / rollback', async () => {
    const v = await verdict('- {name: health, url: /wrong-json, critical: true, json: {status: ok}}\n- {name: login, url: /login}');
    expect(v).toMatchObject({ severity: 'critical', decision: 'rollback', failed: 1, unreachable: false });
    expect(v.reasons).toEqual(['critical check "health" failed: json "status" is "degraded", expected "ok"']);
  });

  it('Error rate > 5%: major / rollback, with the error rate of that check', async () => {
    const v = await verdict('- {name: api, url: /errors10/v}\n- {name: login, url: /login}', { samples: 20 });
    expect(v).toMatchObject({ severity: 'major', decision: 'rollback', failed: 1, errorRate: 10 });
    expect(v.worst?.name).toBe('api');
  });

  it('Response time > 3 s (p95 above max-p95-ms): major / rollback', async () => {
    // The seeds' 3 s, scaled down so the test stays quick: max-p95-ms 60 against a 120 ms endpoint.
    const v = await verdict('- {name: api, url: /slow/120}', { samples: 3, maxP95Ms: 60 });
    expect(v).toMatchObject({ severity: 'major', decision: 'rollback' });
    expect(v.p95Ms!).toBeGreaterThanOrEqual(120);
  });

  it('a non-critical check failed (major feature down): major / rollback', async () => {
    const v = await verdict('- {name: health, url: /health, critical: true}\n- {name: reports, url: /status/500}');
    expect(v).toMatchObject({ severity: 'major', decision: 'rollback', failed: 1 });
  });

  it('only slower than the baseline, within thresholds: minor / fix-forward, and the checks passed', async () => {
    const slow = await startServer({ delayMs: 300 });
    const v = await verdict('- {name: health, url: /health}', { baselineUrl: server.url }, slow.url);
    expect(v).toMatchObject({ passed: true, severity: 'minor', decision: 'fix-forward', failed: 0 });
    expect(v.reasons[0]).toMatch(/^"health" is slower than the baseline: p95 \d+/);
  });

  it('a flaky start that recovers within the attempts: none', async () => {
    const v = await verdict('- {name: health, url: /flaky/v, critical: true}', { attempts: 3 });
    expect(v).toMatchObject({ severity: 'none', decision: 'none' });
  });
});

describe('worstCheck', () => {
  const base = { kind: 'http' as const, target: '', attempts: 1, samples: 20, failedSamples: 0, failures: [], unreachable: false, thresholdBroken: false, durationMs: 1 };
  it('ranks failed, then critical, then error rate, then p95', () => {
    const a = { ...base, name: 'a', critical: false, passed: true, errorRate: 0, p95Ms: 900 };
    const b = { ...base, name: 'b', critical: false, passed: false, errorRate: 10, p95Ms: 5 };
    const c = { ...base, name: 'c', critical: true, passed: false, errorRate: 0, p95Ms: 5 };
    const d = { ...base, name: 'd', critical: false, passed: true, errorRate: 5, p95Ms: 1 };
    expect(worstCheck([a, d])?.name).toBe('d');
    expect(worstCheck([a, b])?.name).toBe('b');
    expect(worstCheck([a, b, c])?.name).toBe('c');
    expect(worstCheck([a, { ...a, name: 'a2', p95Ms: 901 }])?.name).toBe('a2');
    expect(worstCheck([])).toBeUndefined();
  });
});
