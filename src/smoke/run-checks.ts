/**
 * Measuring: every check runs in attempts; an attempt is one whole run of the check (all its
 * samples, never retried one by one). A check passes as soon as an attempt passes and fails only
 * when every attempt failed; its numbers come from the attempt that decided it. An overall deadline
 * aborts whatever is still in flight so the step always ends.
 */
import type { Log } from '../core/log.js';
import type { ConnectionTarget } from '../db/connection.js';
import { probeHttp, type Sample } from './http-probe.js';
import { joinUrl } from './join-url.js';
import { mapLimit, sleep } from './pool.js';
import type { Backoff, Check, HttpCheck, SqlCheck } from './spec.js';
import { probeSql } from './sql-probe.js';
import { errorRate, latencyStats, type LatencyStats } from './stats.js';

export interface SmokeOptions {
  attempts: number;
  intervalSeconds: number;
  backoff: Backoff;
  timeoutSeconds: number;
  samples: number;
  /** Percent (0–100) of failed samples an attempt may have and still pass. */
  maxErrorRate: number;
  maxP95Ms: number;
  deadlineSeconds: number;
  /** Without userinfo: that travels as `baselineCredentials`. */
  baselineUrl?: string;
  /** Basic Authorization from baseline-url's user name and password. */
  baselineCredentials?: string;
  bypassToken?: string;
  /** The origins of base-url and baseline-url: the only ones the bypass token is sent to. */
  bypassOrigins?: string[];
  database?: ConnectionTarget;
  /** Checks measured at the same time, and requests in flight per check. */
  checkConcurrency?: number;
  sampleConcurrency?: number;
  /**
   * The run's stop (SIGINT, SIGTERM): ends the measuring as the deadline does (requests aborted,
   * waits cut short); runSmokeTest then gives no verdict, since what was measured is not one.
   */
  signal?: AbortSignal;
}

export interface BaselineResult extends LatencyStats {
  url: string;
  errorRate: number;
  /** p95 more than REGRESSION_FACTOR × the baseline's (and REGRESSION_FLOOR_MS slower). */
  regression: boolean;
  note?: string;
}

export interface CheckResult extends LatencyStats {
  name: string;
  kind: 'http' | 'sql';
  critical: boolean;
  /** The URL for HTTP checks, "SQL" for queries (never the connection string). */
  target: string;
  passed: boolean;
  /** Attempts made (0 when the deadline came before the first). */
  attempts: number;
  samples: number;
  failedSamples: number;
  errorRate: number;
  /** The status most samples of the deciding attempt got. */
  status?: number;
  /** One line: why it failed (or what was slow). */
  reason?: string;
  /** Distinct failures of the deciding attempt, most frequent first (at most 10). */
  failures: string[];
  /** Nothing answered in the deciding attempt: refused, DNS, timeouts, database down. */
  unreachable: boolean;
  /** The attempt failed on max-error-rate or max-p95-ms rather than on a single assertion. */
  thresholdBroken: boolean;
  baseline?: BaselineResult;
  durationMs: number;
}

export const REGRESSION_FACTOR = 2;
/** Below this difference a "2× slower" is noise (2 ms against 0.9 ms), not a regression. */
export const REGRESSION_FLOOR_MS = 50;
const MAX_BACKOFF_SECONDS = 60;
/** The abort reason when a check threw: the run has no verdict, so the others stop without a word. */
const STOPPED = Symbol('stopped');

export async function runChecks(checks: Check[], opts: SmokeOptions, log: Log): Promise<CheckResult[]> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), opts.deadlineSeconds * 1000);
  const deadlineAt = performance.now() + opts.deadlineSeconds * 1000;
  const onStop = () => deadline.abort(STOPPED);
  if (opts.signal?.aborted) onStop();
  else opts.signal?.addEventListener('abort', onStop, { once: true });
  try {
    return await mapLimit(checks, opts.checkConcurrency ?? 4, (check) =>
      runCheck(check, opts, { signal: deadline.signal, at: deadlineAt }, log).catch((err: unknown) => {
        // A check that cannot run as written (CheckConfigError) means there will be no verdict: stop measuring.
        deadline.abort(STOPPED);
        throw err;
      }),
    );
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onStop);
  }
}

interface AttemptOutcome {
  passed: boolean;
  samples: number;
  failedSamples: number;
  errorRate: number;
  latency: LatencyStats;
  status?: number;
  failures: string[];
  reason?: string;
  unreachable: boolean;
  thresholdBroken: boolean;
}

/** The overall deadline: a signal that aborts requests and gives up queries, and a time for regex matching and statement timeouts. */
interface Deadline {
  signal: AbortSignal;
  at: number;
}

async function runCheck(check: Check, opts: SmokeOptions, until: Deadline, log: Log): Promise<CheckResult> {
  const deadline = until.signal;
  const started = performance.now();
  const attempts = check.attempts ?? opts.attempts;
  const interval = check.intervalSeconds ?? opts.intervalSeconds;
  const backoff = check.backoff ?? opts.backoff;
  let outcome: AttemptOutcome | undefined;
  let made = 0;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (deadline.aborted) break;
    made = attempt;
    outcome = check.kind === 'http' ? await httpAttempt(check, { url: check.url, credentials: check.credentials }, opts, until, log) : await sqlAttempt(check, opts, until, log);
    if (deadline.reason === STOPPED) break;
    if (outcome.passed) {
      log.info(`✓ ${check.name}: passed${attempts > 1 ? ` on attempt ${attempt}/${attempts}` : ''}${describeNumbers(outcome)}`);
      break;
    }
    const wait = attempt < attempts ? delaySeconds(interval, backoff, attempt) : 0;
    log.info(`✗ ${check.name}: attempt ${attempt}/${attempts} failed: ${outcome.reason}${wait && !deadline.aborted ? `; next attempt in ${wait} s` : ''}`);
    if (wait) await sleep(wait * 1000, deadline);
  }
  if (!outcome) {
    outcome = {
      passed: false,
      samples: 0,
      failedSamples: 0,
      errorRate: 100,
      latency: {},
      failures: [],
      reason: `not measured: the overall deadline (${opts.deadlineSeconds} s) passed first`,
      unreachable: false,
      thresholdBroken: false,
    };
  }
  const result: CheckResult = {
    name: check.name,
    kind: check.kind,
    critical: check.critical,
    target: check.kind === 'http' ? check.url : 'SQL',
    passed: outcome.passed,
    attempts: made,
    samples: outcome.samples,
    failedSamples: outcome.failedSamples,
    errorRate: outcome.errorRate,
    ...outcome.latency,
    status: outcome.status,
    reason: outcome.reason,
    failures: outcome.failures,
    unreachable: outcome.unreachable,
    thresholdBroken: outcome.thresholdBroken,
    durationMs: 0,
  };
  if (check.kind === 'http' && opts.baselineUrl && check.path && deadline.reason !== STOPPED) {
    result.baseline = await measureBaseline(check, result, opts, until, log);
    if (result.baseline.regression) {
      // Info, not warning: the entry point annotates regressions once, from the report.
      log.info(`⚠ ${check.name}: p95 ${result.p95Ms} ms is more than ${REGRESSION_FACTOR}× the baseline's ${result.baseline.p95Ms} ms`);
    }
  }
  result.durationMs = Math.round(performance.now() - started);
  return result;
}

export function delaySeconds(interval: number, backoff: Backoff, attempt: number): number {
  const seconds = backoff === 'exponential' ? interval * 2 ** (attempt - 1) : interval;
  return Math.min(seconds, Math.max(interval, MAX_BACKOFF_SECONDS));
}

/** Where an attempt sends the check: its own URL, or the baseline's; each with its own credentials. */
interface Destination {
  url: string;
  credentials?: string;
}

async function httpAttempt(check: HttpCheck, to: Destination, opts: SmokeOptions, deadline: Deadline, log: Log): Promise<AttemptOutcome> {
  const count = check.samples ?? opts.samples;
  const timeoutMs = (check.timeoutSeconds ?? opts.timeoutSeconds) * 1000;
  const samples = await mapLimit(Array.from({ length: count }), opts.sampleConcurrency ?? 5, () =>
    probeHttp(check, to.url, { timeoutMs, deadline: deadline.signal, deadlineAt: deadline.at, bypassToken: opts.bypassToken, bypassOrigins: opts.bypassOrigins, credentials: to.credentials, log }),
  );
  return judgeAttempt(samples, { maxErrorRate: check.maxErrorRate ?? opts.maxErrorRate, maxP95Ms: check.maxP95Ms ?? opts.maxP95Ms });
}

/** Turns an attempt's samples into pass/fail against max-error-rate and max-p95-ms. */
export function judgeAttempt(samples: Sample[], opts: Pick<SmokeOptions, 'maxErrorRate' | 'maxP95Ms'>): AttemptOutcome {
  const failed = samples.filter((s) => !s.ok);
  const rate = errorRate(failed.length, samples.length);
  // Latency is what answered requests took: a refused connection is fast, not healthy.
  const latency = latencyStats(samples.filter((s) => !s.network).map((s) => s.ms));
  const failures = rankFailures(failed.flatMap((s) => s.failures));
  const unreachable = samples.length > 0 && samples.every((s) => s.network && s.network !== 'deadline');
  const reasons: string[] = [];
  let thresholdBroken = false;
  if (rate > opts.maxErrorRate) {
    if (samples.length === 1) reasons.push(failed[0]!.failures.join('; '));
    else {
      thresholdBroken = true;
      reasons.push(`error rate ${rate}% (${failed.length}/${samples.length}) above max-error-rate ${opts.maxErrorRate}%: ${failures[0]}`);
    }
  }
  if (latency.p95Ms !== undefined && latency.p95Ms > opts.maxP95Ms) {
    thresholdBroken = true;
    reasons.push(`p95 ${latency.p95Ms} ms above max-p95-ms ${opts.maxP95Ms}`);
  }
  return {
    passed: reasons.length === 0,
    samples: samples.length,
    failedSamples: failed.length,
    errorRate: rate,
    latency,
    status: mostCommon(samples.map((s) => s.status).filter((s): s is number => s !== undefined)),
    failures,
    reason: reasons.length ? reasons.join('; ') : failures.length ? `${failed.length}/${samples.length} samples failed (within max-error-rate): ${failures[0]}` : undefined,
    unreachable,
    thresholdBroken,
  };
}

async function sqlAttempt(check: SqlCheck, opts: SmokeOptions, deadline: Deadline, log: Log): Promise<AttemptOutcome> {
  // The server cannot be told about our deadline, so the query's timeout is cut to what is left
  // before it; the probe is given up (its connection closed) when the deadline comes all the same.
  const configured = (check.timeoutSeconds ?? opts.timeoutSeconds) * 1000;
  const left = Math.max(1, deadline.at - performance.now());
  // Validation refuses SQL checks without database-url, so the target is there.
  const outcome = await probeSql(check, opts.database!, { timeoutMs: Math.min(configured, left), cutByDeadline: left < configured, deadline: deadline.signal, log });
  return {
    passed: outcome.ok,
    samples: 1,
    failedSamples: outcome.ok ? 0 : 1,
    errorRate: outcome.ok ? 0 : 100,
    latency: latencyStats([outcome.ms]),
    failures: outcome.failures,
    reason: outcome.failures.join('; ') || undefined,
    unreachable: outcome.unreachable ?? false,
    thresholdBroken: false,
  };
}

async function measureBaseline(check: HttpCheck, result: CheckResult, opts: SmokeOptions, deadline: Deadline, log: Log): Promise<BaselineResult> {
  const url = joinUrl(opts.baselineUrl!, check.path!);
  if (deadline.signal.aborted) return { url, errorRate: 0, regression: false, note: 'not measured: the overall deadline passed first' };
  const outcome = await httpAttempt(check, { url, credentials: opts.baselineCredentials }, opts, deadline, log);
  const baseline: BaselineResult = { url, errorRate: outcome.errorRate, ...outcome.latency, regression: false };
  if (outcome.latency.p95Ms === undefined) baseline.note = `baseline did not answer (${outcome.failures[0] ?? 'no samples'}): no comparison`;
  else if (result.p95Ms !== undefined) {
    baseline.regression = result.p95Ms > REGRESSION_FACTOR * outcome.latency.p95Ms && result.p95Ms - outcome.latency.p95Ms >= REGRESSION_FLOOR_MS;
  }
  return baseline;
}

function rankFailures(failures: string[]): string[] {
  const counts = new Map<string, number>();
  for (const f of failures) counts.set(f, (counts.get(f) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 10)
    .map(([f, n]) => (n > 1 ? `${f} (×${n})` : f));
}

function mostCommon(values: number[]): number | undefined {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: number | undefined;
  for (const [v, n] of counts) if (best === undefined || n > counts.get(best)!) best = v;
  return best;
}

function describeNumbers(o: AttemptOutcome): string {
  if (o.samples <= 1) return o.latency.p95Ms !== undefined ? ` (${o.latency.p95Ms} ms)` : '';
  return ` (${o.samples} samples, ${o.errorRate}% errors, p95 ${o.latency.p95Ms ?? '-'} ms)`;
}
