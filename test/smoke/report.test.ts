// Reports that other tools parse: JUnit XML must stay well-formed whatever a check name or reason
// holds, and the summary table must keep its columns.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { annotations, buildReport, junitXml, writeReportFiles } from '../../src/smoke/report.js';
import { summaryMarkdown } from '../../src/report/smoke-test-summary.js';
import type { CheckResult, SmokeOptions } from '../../src/smoke/run-checks.js';
import { decide } from '../../src/smoke/verdict.js';

const options: SmokeOptions = { attempts: 3, intervalSeconds: 1, backoff: 'fixed', timeoutSeconds: 5, samples: 1, maxErrorRate: 5, maxP95Ms: 3000, deadlineSeconds: 60, bypassToken: 'tok-should-not-appear' };

function result(over: Partial<CheckResult>): CheckResult {
  return { name: 'c', kind: 'http', critical: false, target: 'https://x.example.com/', passed: true, attempts: 1, samples: 1, failedSamples: 0, errorRate: 0, p50Ms: 5, p95Ms: 5, maxMs: 5, failures: [], unreachable: false, thresholdBroken: false, durationMs: 12, ...over };
}

function report(results: CheckResult[]) {
  return buildReport({ startedAt: new Date('2026-11-22T09:30:00Z'), durationMs: 1234, verdict: decide(results), results, options });
}

describe('reports', () => {
  it('JUnit escapes names and reasons and drops characters XML cannot carry', () => {
    const xml = junitXml(report([result({ name: 'a <b> & "c"', passed: false, reason: "status 500 <html> & 'x'\u0001", failures: ['status 500 <html>'] })]));
    expect(xml).toContain('name="a &lt;b&gt; &amp; &quot;c&quot;"');
    expect(xml).toContain('<failure message="status 500 &lt;html&gt; &amp; &apos;x&apos;" type="failure">status 500 &lt;html&gt;</failure>');
    expect(xml).not.toContain('\u0001');
    expect(xml).toMatch(/<testsuites name="smoke-test" tests="1" failures="1" errors="0" time="1\.234">/);
  });

  it('the summary escapes pipes and newlines so the table keeps its columns', () => {
    const md = summaryMarkdown(report([result({ name: 'a|b', passed: false, reason: 'line one\nline | two' })]), memoryLog());
    const row = md.split('\n').find((l) => l.startsWith('| a'))!;
    expect(row).toBe('| a\\|b | ❌ failed | 1 | - | 5 / 5 / 5 | line one line \\| two |');
  });

  it('settings in the report never carry the bypass token or the database connection', async () => {
    const r = report([result({})]);
    expect(JSON.stringify(r)).not.toContain('tok-should-not-appear');
    const dir = await mkdtemp(join(tmpdir(), 'rk-smoke-report-'));
    const log = memoryLog();
    log.secret('x.example.com');
    await writeReportFiles(r, { json: join(dir, 'a/report.json'), junit: join(dir, 'b/junit.xml') }, log);
    // Everything written passes through redaction.
    expect(await readFile(join(dir, 'a/report.json'), 'utf8')).toContain('"target": "https://***/"');
  });

  it('annotations: an error per failed check, a warning per regression, nothing for a pass', () => {
    const out = annotations(
      report([
        result({ name: 'ok' }),
        result({ name: 'down', critical: true, passed: false, attempts: 3, reason: 'connection refused by x' }),
        result({ name: 'slow', baseline: { url: 'u', errorRate: 0, p95Ms: 10, regression: true } , p95Ms: 90 }),
      ]),
    );
    expect(out).toEqual([
      { level: 'error', title: 'Smoke check failed: down', message: 'Critical check "down" (https://x.example.com/) failed after 3 attempts: connection refused by x' },
      { level: 'warning', title: 'Slower than baseline: slow', message: '"slow" p95 90 ms against the baseline\'s 10 ms' },
    ]);
  });

  // The target in brackets: its secret parameter, the last thing in it, is hidden, and the bracket
  // that closes the target stays (it went with the hidden value: `…?api_key=*** failed`). Registered
  // (the action registers its checks' URLs) or not, as any URL in free text.
  it('annotations: a target ending in a secret parameter keeps its closing bracket once redacted', () => {
    const [failed] = annotations(report([result({ name: 'echo', passed: false, target: 'http://127.0.0.1:5999/x?api_key=EchoSecret-3321', reason: 'status 500' })]));
    const registered = memoryLog();
    registered.secret('EchoSecret-3321', 'guessed');
    for (const log of [registered, memoryLog()]) {
      expect(log.redact(failed!.message)).toBe('Check "echo" (http://127.0.0.1:5999/x?api_key=***) failed after 1 attempt: status 500');
    }
  });
});
