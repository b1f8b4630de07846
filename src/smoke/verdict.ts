/**
 * From check results to the verdict the runbooks' decision matrix asks for:
 * critical (a critical check failed, or the service does not answer) → immediate rollback;
 * major (a threshold broken, or any other check failed) → rollback; minor (only a latency
 * regression against the baseline, within thresholds) → fix forward; nothing wrong → none.
 */
import type { CheckResult } from './run-checks.js';

export type Severity = 'none' | 'minor' | 'major' | 'critical';
/** `inconclusive` only comes from a confirming run that disagreed (src/smoke/confirm.ts). */
export type Decision = 'rollback' | 'fix-forward' | 'none' | 'inconclusive';

export const DECISION_MATRIX: Record<Severity, Exclude<Decision, 'inconclusive'>> = {
  critical: 'rollback',
  major: 'rollback',
  minor: 'fix-forward',
  none: 'none',
};

export interface Verdict {
  /** No check failed (a latency regression within thresholds is not a failure). */
  passed: boolean;
  severity: Severity;
  decision: Decision;
  failed: number;
  /** Why the severity is what it is, most serious first. */
  reasons: string[];
  /** The check whose error rate and p95 are reported. */
  worst?: CheckResult;
  errorRate: number;
  p95Ms?: number;
  /** Every HTTP check (or, without any, every SQL check) got no answer at all. */
  unreachable: boolean;
}

export function decide(results: CheckResult[]): Verdict {
  const failed = results.filter((r) => !r.passed);
  const http = results.filter((r) => r.kind === 'http');
  const probed = http.length ? http : results;
  const unreachable = probed.length > 0 && probed.every((r) => r.unreachable);
  const regressions = results.filter((r) => r.baseline?.regression);

  const reasons: string[] = [];
  if (unreachable) reasons.push(`the service is unreachable: ${probed.length === 1 ? 'its check' : `all ${probed.length} ${http.length ? 'HTTP' : 'SQL'} checks`} got no answer (${probed[0]!.reason})`);
  for (const r of failed.filter((r) => r.critical)) reasons.push(`critical check "${r.name}" failed: ${r.reason}`);
  for (const r of failed.filter((r) => !r.critical)) reasons.push(`check "${r.name}" failed: ${r.reason}`);
  for (const r of regressions) reasons.push(`"${r.name}" is slower than the baseline: p95 ${r.p95Ms} ms against ${r.baseline!.p95Ms} ms`);

  const severity: Severity = unreachable || failed.some((r) => r.critical) ? 'critical' : failed.length ? 'major' : regressions.length ? 'minor' : 'none';
  const worst = worstCheck(results);
  return {
    passed: failed.length === 0,
    severity,
    decision: DECISION_MATRIX[severity],
    failed: failed.length,
    reasons,
    worst,
    errorRate: worst?.errorRate ?? 0,
    p95Ms: worst?.p95Ms,
    unreachable,
  };
}

/** Failed before passed, critical before not, then the highest error rate, then the slowest p95. */
export function worstCheck(results: CheckResult[]): CheckResult | undefined {
  const rank = (r: CheckResult): number[] => [r.passed ? 0 : 1, r.critical && !r.passed ? 1 : 0, r.errorRate, r.p95Ms ?? -1];
  let worst: CheckResult | undefined;
  for (const r of results) {
    if (!worst) worst = r;
    else {
      const a = rank(r);
      const b = rank(worst);
      const i = a.findIndex((v, k) => v !== b[k]);
      if (i >= 0 && a[i]! > b[i]!) worst = r;
    }
  }
  return worst;
}
