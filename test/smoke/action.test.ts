// The smoke-test action as the runner runs it: the bundle, inputs as INPUT_* variables, outputs,
// job summary, annotations, report files, bad inputs, and secrets that never show anywhere.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { findSecret, runAction } from '../helpers/run-action.js';
import { refusedUrl, startServer, type ScriptedServer } from './servers.js';

let server: ScriptedServer;
let db: TestDatabase;
beforeAll(async () => {
  server = await startServer();
  db = await createTestDatabase('rk_smoke_action');
  await db.query('CREATE TABLE service_tickets (id serial PRIMARY KEY); INSERT INTO service_tickets DEFAULT VALUES;');
});

const HEALTHY = `
- name: health
  url: /health
  critical: true
  json: {status: ok, checks.db.latency_ms: {less-than: 500}}
- name: login page
  url: /login
  body-contains: Sign in
`;

const fast = { attempts: 2, 'interval-seconds': 0.05, 'timeout-seconds': 2 };

describe('smoke-test action', () => {
  it('healthy production: passed, none, and reports in every format', async () => {
    const run = await runAction('smoke-test', { 'base-url': server.url, checks: HEALTHY, samples: 5, ...fast });
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ passed: 'true', severity: 'none', decision: 'none', failed: '0', 'error-rate': '0' });
    expect(Number(run.outputs['p95-ms'])).toBeGreaterThan(0);

    const reportPath = run.outputs['report-path']!;
    expect(reportPath.startsWith(run.runnerTemp)).toBe(true);
    const report = JSON.parse(await readFile(reportPath, 'utf8'));
    expect(report.verdict).toMatchObject({ passed: true, severity: 'none', decision: 'none' });
    expect(report.checks.map((c: { name: string; samples: number; attempts: number }) => [c.name, c.samples, c.attempts])).toEqual([
      ['health', 5, 1],
      ['login page', 5, 1],
    ]);

    const junit = await readFile(run.outputs['junit-path']!, 'utf8');
    expect(junit).toMatch(/<testsuite name="smoke-test" tests="2" failures="0"/);
    expect(junit).toContain('<testcase classname="smoke-test.http" name="login page"');

    expect(run.summary).toContain('Smoke test passed: severity **none**, decision **none**');
    expect(run.summary).toMatch(/\| health \| ✅ passed \| 1 \| 200 \| [\d.]+ \/ [\d.]+ \/ [\d.]+ · 5 samples, 0% errors \|/);
  });

  it('fail-step false: the step stays green and the decision says rollback', async () => {
    const run = await runAction('smoke-test', {
      'base-url': server.url,
      checks: '- {name: health, url: /wrong-json, critical: true, json: {status: ok}}\n- {name: login, url: /login}',
      'fail-step': false,
      ...fast,
    });
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ passed: 'false', severity: 'critical', decision: 'rollback', failed: '1', 'error-rate': '100' });
    // One annotation per failed check, with its reason.
    expect(run.errors).toEqual(['Critical check "health" (' + server.url + '/wrong-json) failed after 2 attempts: json "status" is "degraded", expected "ok"']);
    expect(run.stdout).toContain('::error title=Smoke check failed%3A health::');
    expect(run.summary).toContain('❌ Smoke test failed: severity **critical**, decision **rollback** (1 of 2 checks failed)');
    expect(run.summary).toMatch(/\| health \| ❌ failed \(critical\) \| 2 \| 200 \|.*\| json "status" is "degraded", expected "ok" \|/);
    const junit = await readFile(run.outputs['junit-path']!, 'utf8');
    expect(junit).toContain('<failure message="json &quot;status&quot; is &quot;degraded&quot;, expected &quot;ok&quot;" type="critical">');
  });

  it('fail-step true (default): a failed check fails the step with one summary line', async () => {
    const run = await runAction('smoke-test', { 'base-url': server.url, checks: '- {name: reports, url: /status/500}', samples: 1, ...fast });
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ passed: 'false', severity: 'major', decision: 'rollback' });
    expect(run.errors.at(-1)).toMatch(/^Smoke test failed: 1 of 1 checks failed; severity major, decision rollback\. Check "reports" failed: status 500, expected 200\.\.299/);
  });

  it('an unreachable service is critical', async () => {
    const run = await runAction('smoke-test', { 'base-url': await refusedUrl(), checks: HEALTHY, 'fail-step': false, ...fast });
    expect(run.outputs).toMatchObject({ severity: 'critical', decision: 'rollback', failed: '2', 'p95-ms': '' });
    // The warning's sentences each start with a capital (the reason is a clause, joined after the verdict).
    expect(run.stdout).toMatch(/^::warning::Smoke test failed: 2 of 2 checks failed; severity critical, decision rollback\. The service is unreachable: /m);
  });

  it('a baseline regression alone: minor, fix-forward, step green', async () => {
    const slow = await startServer({ delayMs: 300 });
    const run = await runAction('smoke-test', { 'base-url': slow.url, 'baseline-url': server.url, checks: '- {name: health, url: /health}', ...fast });
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ passed: 'true', severity: 'minor', decision: 'fix-forward' });
    expect(run.stdout).toMatch(/::warning title=Slower than baseline%3A health::"health" p95 \d+/);
    expect(run.stdout.split('\n').filter((l) => l.startsWith('::warning'))).toHaveLength(1);
  });

  it('the bypass token is sent, and never printed anywhere', async () => {
    const token = 'bypass-Zq81x7Lm2Pw0';
    const before = server.requests.length;
    const run = await runAction('smoke-test', {
      'base-url': server.url,
      // Users paste it into places it does not belong; it must still not leak.
      checks: `- {name: echo, url: /echo, json: {headers.x-vercel-protection-bypass: ${token}}}\n- {name: bad, url: /status/500?t=${token}}`,
      'bypass-token': token,
      'fail-step': false,
      ...fast,
    });
    expect(run.code).toBe(0);
    expect(run.outputs.failed).toBe('1');
    expect(server.requests.slice(before).every((r) => r.headers['x-vercel-protection-bypass'] === token)).toBe(true);
    expect(run.masked).toContain(token);
    expect(await findSecret(run, token)).toEqual([]);
  });

  it('secrets written into the spec (authorization header, token in the query) stay out of every file', async () => {
    const apiToken = 'apitok-Rr55kVq2';
    const queryKey = 'qkey-Wn3pX0aa';
    const run = await runAction('smoke-test', {
      'base-url': server.url,
      checks: `- {name: api, url: "/status/500?api_key=${queryKey}", headers: {authorization: "Bearer ${apiToken}"}}`,
      'fail-step': false,
      ...fast,
    });
    expect(run.outputs.failed).toBe('1');
    // The failing check's URL is in the annotation, the summary and both reports: redacted there too.
    expect(run.errors[0]).toContain('/status/500?api_key=***');
    expect(await findSecret(run, apiToken)).toEqual([]);
    expect(await findSecret(run, queryKey)).toEqual([]);
  });

  it('cloud keys by their usual names (?code=, ?access_key=, x-functions-key, ocp-apim-subscription-key) stay out of every file', async () => {
    const secrets = ['AzFnK3yVeryS3cret', 'AKIAFAKEFAKEFAKE', 'FnHdrK3yS3cret', 'ApimK3yS3cret'];
    const run = await runAction('smoke-test', {
      checks: `- {name: fn, url: "${server.url}/status/500?code=${secrets[0]}"}\n- {name: s3, url: "${server.url}/echo?access_key=${secrets[1]}", headers: {x-functions-key: ${secrets[2]}, ocp-apim-subscription-key: ${secrets[3]}}, json: {headers.x-functions-key: other, headers.ocp-apim-subscription-key: other}}`,
      'fail-step': false,
      ...fast,
    });
    expect(run.outputs.failed).toBe('2');
    expect(run.errors[0]).toContain('/status/500?code=***');
    for (const secret of secrets) expect(await findSecret(run, secret)).toEqual([]);
  });

  it('SQL checks on PostgreSQL; the database password never printed, even when the database is down', async () => {
    const password = 'pw-Hk29xQm7Vd';
    const url = new URL(db.url);
    url.password = password;
    const checks = `
- {name: tickets, query: select count(*) from service_tickets, expect-value: 1}
- {name: phase 2 tables removed, query: select count(*) from task_templates, expect-error: does not exist, critical: true}
- {name: broken, query: select * from nope}
`;
    const run = await runAction('smoke-test', { 'database-url': url.toString(), checks, 'fail-step': false, ...fast });
    expect(run.outputs).toMatchObject({ passed: 'false', failed: '1', severity: 'major' });
    const report = JSON.parse(await readFile(run.outputs['report-path']!, 'utf8'));
    expect(report.checks.map((c: { name: string; passed: boolean }) => [c.name, c.passed])).toEqual([
      ['tickets', true],
      ['phase 2 tables removed', true],
      ['broken', false],
    ]);
    expect(await findSecret(run, password)).toEqual([]);

    const down = new URL(`${(await refusedUrl()).replace('http:', 'postgres:')}/shop`);
    down.username = 'app';
    down.password = password;
    const downRun = await runAction('smoke-test', { 'database-url': down.toString(), checks: '- {name: t, query: select 1}', ...fast });
    expect(downRun.code).toBe(1);
    expect(downRun.outputs).toMatchObject({ severity: 'critical', decision: 'rollback' });
    expect(downRun.errors.at(-1)).toMatch(/Cannot reach PostgreSQL at 127\.0\.0\.1:\d+\/shop: connection refused/);
    expect(await findSecret(downRun, password)).toEqual([]);
  });

  it('two runs in one job keep both reports (after the deploy, after the rollback)', async () => {
    const runnerTemp = await mkdtemp(join(tmpdir(), 'rk-smoke-temp-'));
    const first = await runAction('smoke-test', { 'base-url': server.url, checks: HEALTHY, ...fast }, { runnerTemp });
    const second = await runAction('smoke-test', { 'base-url': server.url, checks: '- {name: gone, url: /status/404, status: 404}', ...fast }, { runnerTemp });
    expect(first.outputs['report-path']).not.toBe(second.outputs['report-path']);
    expect(JSON.parse(await readFile(first.outputs['report-path']!, 'utf8')).checks).toHaveLength(2);
    expect(JSON.parse(await readFile(second.outputs['report-path']!, 'utf8')).checks).toHaveLength(1);
  });

  it('reads checks-file relative to the workspace', async () => {
    const workspace = await mkdtemp(join(tmpdir(), 'rk-smoke-ws-'));
    await writeFile(join(workspace, 'smoke.yml'), `checks:\n${HEALTHY.replace(/^/gm, '  ')}`);
    const run = await runAction('smoke-test', { 'base-url': server.url, 'checks-file': 'smoke.yml', ...fast }, { cwd: workspace });
    expect(run.code).toBe(0);
    expect(run.outputs.passed).toBe('true');
  });
});

describe('smoke-test action: an invalid spec fails before anything runs, even with fail-step false', () => {
  it('lists every problem with its place and sends no request', async () => {
    const before = server.requests.length;
    const run = await runAction('smoke-test', {
      checks: '- name: health\n  url: /health\n  staus: 200\n- name: gone\n  query: select 1 from task_templates\n  expect-error: true\n- name: home\n  url: https://x.example.com\n  body-matches: "(["\n  json: {status: {equal: ok}}\n',
      'fail-step': false,
    });
    expect(run.code).toBe(1);
    expect(run.outputs).toEqual({});
    expect(server.requests.length).toBe(before);
    expect(run.errors).toHaveLength(1);
    const error = run.errors[0]!;
    expect(error).toMatch(/^The smoke check spec \(checks input\) has 5 problems, so nothing was run:/);
    for (const part of [
      'line 2, check "health", field "url": is relative, and the base-url input is not set',
      'line 3, check "health", field "staus": unknown field (did you mean "status"?)',
      'line 5, check "gone", field "query": SQL checks need the database-url input',
      'line 9, check "home", field "body-matches": is not a valid regular expression',
      'line 10, check "home", field "json": unknown assertion "equal"',
    ]) {
      expect(error).toContain(part);
    }
    expect(run.summary).toContain('The check spec is invalid, so nothing was run');
  });

  it('bad YAML', async () => {
    const run = await runAction('smoke-test', { 'base-url': server.url, checks: '- name: [unclosed\n', 'fail-step': false });
    expect(run.code).toBe(1);
    expect(run.errors[0]).toMatch(/^The smoke check spec \(checks input\) has \d+ problems?, so nothing was run: line \d+: invalid YAML/);
  });

  it('a tab in the indentation: one line that says so, not the YAML parser\'s tokens', async () => {
    const run = await runAction('smoke-test', { 'base-url': server.url, checks: '- name: health\n\turl: /health\n', 'fail-step': false });
    expect(run.code).toBe(1);
    expect(run.outputs).toEqual({});
    expect(run.errors).toEqual([
      'The smoke check spec (checks input) has 1 problem, so nothing was run: line 2: tabs are not allowed for indentation in YAML; use spaces. Fix the spec; the smoke-test README (actions/smoke-test/README.md) lists every field.',
    ]);
  });
});

describe('smoke-test action: bad inputs', () => {
  const cases: [string, Record<string, string | number | boolean>, RegExp][] = [
    ['no checks', { 'base-url': 'https://x.example.com' }, /^No checks given\. Set input checks \(YAML\) or input checks-file/],
    ['both checks and checks-file', { checks: '- {name: a, url: https://x.example.com}', 'checks-file': 'a.yml' }, /^Input checks and input checks-file are both set\./],
    ['missing checks-file', { 'checks-file': 'nope.yml' }, /^Cannot read checks-file "nope\.yml": no such file\./],
    ['base-url not a URL', { 'base-url': 'my-app.vercel.app', checks: '- {name: a, url: /}' }, /^Input base-url must be an absolute http\(s\) URL/],
    ['baseline-url not http', { 'baseline-url': 'ftp://x', checks: '- {name: a, url: https://x.example.com}' }, /^Input baseline-url must be an absolute http\(s\) URL/],
    ['attempts 0', { attempts: 0, checks: '- {name: a, url: https://x.example.com}' }, /^Input attempts must be at least 1, got 0\./],
    ['samples not a number', { samples: 'many', checks: '- {name: a, url: https://x.example.com}' }, /^Input samples must be a whole number, got "many"\./],
    ['max-error-rate above 100', { 'max-error-rate': 150, checks: '- {name: a, url: https://x.example.com}' }, /^Input max-error-rate must be at most 100, got 150\./],
    ['backoff unknown', { backoff: 'linear', checks: '- {name: a, url: https://x.example.com}' }, /^Input backoff must be fixed or exponential, got "linear"\./],
    ['fail-step not boolean', { 'fail-step': 'maybe', checks: '- {name: a, url: https://x.example.com}' }, /^Input fail-step must be true or false, got "maybe"\./],
    ['database-url garbage', { 'database-url': 'not a connection string', checks: '- {name: a, query: select 1}' }, /^The connection string is neither a postgres:\/\/ URL nor key=value pairs\./],
  ];
  for (const [title, inputs, message] of cases) {
    it(title, async () => {
      const run = await runAction('smoke-test', inputs);
      expect(run.code).toBe(1);
      expect(run.errors).toHaveLength(1);
      expect(run.errors[0]).toMatch(message);
      expect(run.outputs).toEqual({});
    });
  }
});
