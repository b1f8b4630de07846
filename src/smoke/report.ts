/**
 * What people and tools read after a smoke test: a JSON report (everything measured), a JUnit XML
 * file (for test-report viewers) and one annotation line per failure (the job summary is
 * src/report/smoke-test-summary.ts). Every text goes through the log's redaction before it is
 * written anywhere.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Log } from '../core/log.js';
import { redactDeep } from '../core/secrets.js';
import type { CheckResult, SmokeOptions } from './run-checks.js';
import type { Verdict } from './verdict.js';
import type { Confirmation } from './confirm.js';

export interface SmokeReport {
  tool: 'rollback-kit smoke-test';
  startedAt: string;
  durationMs: number;
  verdict: Omit<Verdict, 'worst'> & { worstCheck?: string };
  settings: Omit<SmokeOptions, 'bypassToken' | 'bypassOrigins' | 'baselineCredentials' | 'database' | 'checkConcurrency' | 'sampleConcurrency'> & { database?: string };
  checks: CheckResult[];
  /** The first run and the checks that flapped, when a rollback decision was measured twice. */
  confirmation?: Confirmation;
}

export function buildReport(args: { startedAt: Date; durationMs: number; verdict: Verdict; results: CheckResult[]; options: SmokeOptions; database?: string; confirmation?: Confirmation }): SmokeReport {
  const { worst, ...verdict } = args.verdict;
  const o = args.options;
  return {
    tool: 'rollback-kit smoke-test',
    startedAt: args.startedAt.toISOString(),
    durationMs: args.durationMs,
    verdict: { ...verdict, worstCheck: worst?.name },
    settings: {
      attempts: o.attempts,
      intervalSeconds: o.intervalSeconds,
      backoff: o.backoff,
      timeoutSeconds: o.timeoutSeconds,
      samples: o.samples,
      maxErrorRate: o.maxErrorRate,
      maxP95Ms: o.maxP95Ms,
      deadlineSeconds: o.deadlineSeconds,
      baselineUrl: o.baselineUrl,
      database: args.database,
    },
    checks: args.results,
    ...(args.confirmation ? { confirmation: args.confirmation } : {}),
  };
}

/**
 * Where a run's reports go: a folder of their own under `baseDir` (RUNNER_TEMP), so a job that
 * smoke-tests twice (after the deploy, after the rollback) keeps both.
 */
export function reportPaths(baseDir: string, now = new Date()): { json: string; junit: string } {
  const dir = join(baseDir, 'rollback-kit', 'smoke-test', `${now.toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}`);
  return { json: join(dir, 'report.json'), junit: join(dir, 'junit.xml') };
}

/** Redacts every text of the report before it is serialised (see redactDeep); numbers and booleans stay as they are. */
export function redactReport(report: SmokeReport, log: Log): SmokeReport {
  return redactDeep(report, log.redact);
}

export async function writeReportFiles(report: SmokeReport, paths: { json: string; junit: string }, log: Log): Promise<void> {
  const safe = redactReport(report, log);
  for (const [path, text] of [
    [paths.json, `${JSON.stringify(safe, null, 2)}\n`],
    [paths.junit, junitXml(safe)],
  ] as const) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
  }
}

export function junitXml(report: SmokeReport): string {
  const failures = report.checks.filter((c) => !c.passed).length;
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const v = report.verdict;
  const cases = report.checks.map((c) => {
    const out = [
      `attempts: ${c.attempts}`,
      `samples: ${c.samples} (${c.failedSamples} failed, error rate ${c.errorRate}%)`,
      `latency ms: p50 ${c.p50Ms ?? '-'}, p95 ${c.p95Ms ?? '-'}, max ${c.maxMs ?? '-'}`,
      ...(c.status !== undefined ? [`status: ${c.status}`] : []),
      ...(c.baseline ? [`baseline p95 ms: ${c.baseline.p95Ms ?? '-'}${c.baseline.regression ? ' (regression)' : ''}${c.baseline.note ? ` (${c.baseline.note})` : ''}`] : []),
      ...c.failures.map((f) => `failure: ${f}`),
    ].join('\n');
    const failure = c.passed
      ? ''
      : `\n      <failure message="${xml(c.reason ?? 'failed')}" type="${c.critical ? 'critical' : 'failure'}">${xml(c.failures.join('\n') || c.reason || '')}</failure>`;
    return `    <testcase classname="smoke-test.${c.kind}" name="${xml(c.name)}" time="${seconds(c.durationMs)}">${failure}\n      <system-out>${xml(out)}</system-out>\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="smoke-test" tests="${report.checks.length}" failures="${failures}" errors="0" time="${seconds(report.durationMs)}">`,
    `  <testsuite name="smoke-test" tests="${report.checks.length}" failures="${failures}" errors="0" skipped="0" time="${seconds(report.durationMs)}" timestamp="${report.startedAt}">`,
    '    <properties>',
    `      <property name="severity" value="${v.severity}"/>`,
    `      <property name="decision" value="${v.decision}"/>`,
    `      <property name="error-rate" value="${v.errorRate}"/>`,
    `      <property name="p95-ms" value="${v.p95Ms ?? ''}"/>`,
    '    </properties>',
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

function xml(text: string): string {
  return (
    text
      // Characters XML 1.0 cannot carry at all, even escaped.
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}

/** One annotation per failed check (errors) and per latency regression (warnings). */
export function annotations(report: SmokeReport): { level: 'error' | 'warning'; title: string; message: string }[] {
  const out: { level: 'error' | 'warning'; title: string; message: string }[] = [];
  for (const c of report.checks) {
    if (!c.passed) {
      out.push({
        level: 'error',
        title: `Smoke check failed: ${c.name}`,
        message: `${c.critical ? 'Critical check' : 'Check'} "${c.name}" (${c.target}) failed after ${c.attempts} attempt${c.attempts === 1 ? '' : 's'}: ${c.reason}`,
      });
    } else if (c.baseline?.regression) {
      out.push({ level: 'warning', title: `Slower than baseline: ${c.name}`, message: `"${c.name}" p95 ${c.p95Ms} ms against the baseline's ${c.baseline.p95Ms} ms` });
    }
  }
  return out;
}
