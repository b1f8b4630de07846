/**
 * The verify phase's smoke test, as the whole rollback and the drill both run it: the plan's verify
 * settings in, one VerifyRecord and a one-line summary out. One place decides what "verified" means.
 */
import type { Log } from '../core/log.js';
import type { ConnectionTarget } from '../db/connection.js';
import { runSmokeTest } from '../smoke/smoke-test.js';
import type { Check } from '../smoke/spec.js';
import type { VerifyPlan } from './plan-file.js';
import type { VerifyRecord } from './record.js';

export async function verifyWithChecks(checks: Check[], v: VerifyPlan, database: ConnectionTarget | undefined, log: Log, signal?: AbortSignal): Promise<{ record: VerifyRecord; summary: string }> {
  const { verdict, results } = await runSmokeTest(
    checks,
    {
      attempts: v.attempts,
      intervalSeconds: v.intervalSeconds,
      backoff: v.backoff ?? 'fixed',
      timeoutSeconds: v.timeoutSeconds,
      samples: v.samples,
      maxErrorRate: v.maxErrorRate,
      maxP95Ms: v.maxP95Ms,
      deadlineSeconds: v.deadlineSeconds,
      database,
      signal,
    },
    log,
  );
  return {
    record: {
      decision: verdict.decision,
      severity: verdict.severity,
      passed: verdict.passed,
      checks: results.map((r) => ({ name: r.name, passed: r.passed, severity: r.critical ? 'critical' : 'normal', detail: log.redact(r.reason ?? (r.passed ? 'passed' : 'failed')) })),
    },
    summary: `${results.length - verdict.failed} of ${results.length} checks passed; severity ${verdict.severity}, decision ${verdict.decision}`,
  };
}
