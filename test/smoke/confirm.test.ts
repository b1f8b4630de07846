// confirm-after-seconds through the bundle: a blip (fails, then recovers) is inconclusive and names
// the check that flapped; a real outage is confirmed as rollback; a pass is measured once.
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { runAction } from '../helpers/run-action.js';
import { startServer, type ScriptedServer } from './servers.js';

let server: ScriptedServer;
beforeAll(async () => {
  server = await startServer();
});

// Two attempts per run: /flaky/ fails its first two requests, so the first run fails it and the
// confirming run passes it.
const fast = { attempts: 2, 'interval-seconds': 0.05, 'timeout-seconds': 2, 'confirm-after-seconds': 0.2 };

describe('smoke-test confirm-after-seconds', () => {
  it('a blip: the first run decides rollback, the second passes, so the decision is inconclusive', async () => {
    const checks = '- {name: health, url: /flaky/blip, critical: true}\n- {name: login, url: /login, body-contains: Sign in}';
    const run = await runAction('smoke-test', { 'base-url': server.url, checks, 'fail-step': false, ...fast });
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ passed: 'false', decision: 'inconclusive', failed: '0', flapped: '["health"]' });
    // Two attempts in the first run, one in the second: the check was measured again.
    expect(server.hits('/flaky/blip')).toBe(3);
    expect(server.hits('/login')).toBeGreaterThanOrEqual(2);
    expect(run.log).toContain('measuring every check again in 0.2 s to confirm');
    expect(run.summary).toContain('Smoke test inconclusive: decision **inconclusive**, no automatic rollback');
    expect(run.summary).toContain('Flapped (failed, then passed 0.2 s later): health.');
    const report = JSON.parse(await readFile(run.outputs['report-path']!, 'utf8'));
    expect(report.confirmation).toMatchObject({ afterSeconds: 0.2, confirmed: false, flapped: ['health'], firstRun: { failed: ['health'], verdict: { decision: 'rollback', severity: 'critical' } } });
    expect(report.verdict.decision).toBe('inconclusive');
    // With fail-step false the step stays green but warns, so nobody mistakes it for a pass.
    expect(run.stdout).toMatch(/::warning::Smoke test inconclusive: "health" failed, then passed 0\.2 s later: not confirmed, so no automatic rollback\./);
  });

  it('inconclusive fails the step with fail-step true, with one line naming what flapped', async () => {
    const run = await runAction('smoke-test', { 'base-url': server.url, checks: '- {name: api, url: /flaky/step}', ...fast });
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ decision: 'inconclusive', flapped: '["api"]' });
    expect(run.errors.at(-1)).toMatch(/^Smoke test inconclusive: "api" failed, then passed 0\.2 s later: not confirmed, so no automatic rollback\./);
  });

  it('a real outage: both runs decide rollback, so rollback is confirmed', async () => {
    const checks = '- {name: health, url: /status/503, critical: true}\n- {name: login, url: /login}';
    const run = await runAction('smoke-test', { 'base-url': server.url, checks, 'fail-step': false, ...fast });
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ passed: 'false', severity: 'critical', decision: 'rollback', failed: '1', flapped: '[]' });
    expect(server.hits('/status/503')).toBe(4);
    expect(run.summary).toContain('Confirmed: the first run decided rollback (1 failed: health), and every check measured again 0.2 s later decided rollback too.');
    const report = JSON.parse(await readFile(run.outputs['report-path']!, 'utf8'));
    expect(report.confirmation).toMatchObject({ confirmed: true, flapped: [] });
  });

  it('a pass is measured once: no wait, no second run', async () => {
    const run = await runAction('smoke-test', { 'base-url': server.url, checks: '- {name: release, url: /health}', ...fast, 'confirm-after-seconds': 600 });
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ passed: 'true', decision: 'none', flapped: '[]' });
    expect(server.hits('/health')).toBe(1);
    expect(run.log).not.toContain('measuring every check again');
  });

  it.each([['-1'], ['1801'], ['soon']])('confirm-after-seconds %s is refused before any request', async (value) => {
    const before = server.requests.length;
    const run = await runAction('smoke-test', { 'base-url': server.url, checks: '- {name: release, url: /health}', 'confirm-after-seconds': value });
    expect(run.code).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(/confirm-after-seconds/);
    expect(server.requests.length).toBe(before);
  });
});
