/** smoke-test's job summary: the verdict in one line, why, then one row per check; and why nothing was run. */
import type { Log } from '../core/log.js';
import { formatProblem, type SpecError } from '../smoke/parse-spec.js';
import { redactReport, type SmokeReport } from '../smoke/report.js';
import { codeSpan, escapeCell, text } from './markdown.js';

const ICON = { passed: '✅', failed: '❌', slower: '⚠️' };

/** The job summary: the verdict in one line, why, then one row per check; redacted before it is escaped. */
export function summaryMarkdown(measured: SmokeReport, log: Log, verified?: { sha: string; recorded: boolean }): string {
  const report = redactReport(measured, log);
  const v = report.verdict;
  const c = report.confirmation;
  const headline =
    v.decision === 'inconclusive'
      ? `${ICON.slower} Smoke test inconclusive: decision **inconclusive**, no automatic rollback (checks failed, then ${v.failed ? `${report.checks.length - v.failed} of ${report.checks.length}` : 'all'} passed when measured again ${c?.afterSeconds ?? '?'} s later)`
      : v.passed
        ? `${v.severity === 'minor' ? ICON.slower : ICON.passed} Smoke test passed: severity **${v.severity}**, decision **${v.decision}**`
        : `${ICON.failed} Smoke test failed: severity **${v.severity}**, decision **${v.decision}** (${v.failed} of ${report.checks.length} checks failed)`;
  const confirmation = !c
    ? []
    : c.confirmed
      ? [`Confirmed: the first run decided rollback (${c.firstRun.failed.length} failed: ${c.firstRun.failed.map(text).join(', ')}), and every check measured again ${c.afterSeconds} s later decided rollback too. The table shows the second run.`, '']
      : [
          `Flapped (failed, then passed ${c.afterSeconds} s later): ${c.flapped.length ? c.flapped.map(text).join(', ') : '-'}. Production may be unstable: look at it now; roll back by hand (the Rollback workflow) if it fails again. The table shows the second run.`,
          '',
        ];
  const withBaseline = report.checks.some((c) => c.baseline);
  const head = ['Check', 'Result', 'Attempts', 'Status', 'Latency p50 / p95 / max (ms)', ...(withBaseline ? ['Baseline p95 (ms)'] : []), 'Reason'];
  const rows = report.checks.map((c) => {
    const result = c.passed ? (c.baseline?.regression ? `${ICON.slower} slower` : `${ICON.passed} passed`) : `${ICON.failed} failed${c.critical ? ' (critical)' : ''}`;
    const samples = c.samples > 1 ? ` · ${c.samples} samples, ${c.errorRate}% errors` : '';
    const latency = `${c.p50Ms ?? '-'} / ${c.p95Ms ?? '-'} / ${c.maxMs ?? '-'}${samples}`;
    const baseline = c.baseline ? [`${c.baseline.p95Ms ?? '-'}${c.baseline.regression ? ' (regression)' : ''}`] : withBaseline ? ['-'] : [];
    return [text(c.name), result, String(c.attempts), c.status !== undefined ? String(c.status) : c.kind === 'sql' ? 'SQL' : '-', latency, ...baseline, text(c.reason ?? '')];
  });
  const line = (cells: string[]) => `| ${cells.map(escapeCell).join(' | ')} |`;
  return [
    '### Smoke test',
    '',
    headline,
    '',
    ...confirmation,
    ...(v.reasons.length ? [...v.reasons.map((r) => `- ${text(r)}`), ''] : []),
    line(head),
    line(head.map(() => '---')),
    ...rows.map(line),
    '',
    ...(verified
      ? [
          verified.recorded
            ? `Recorded commit ${codeSpan(verified.sha.slice(0, 12))} as verified (commit status \`rollback-kit/verified\`): promote-previous with target last-verified can return to it.`
            : `Commit ${codeSpan(verified.sha.slice(0, 12))} was not recorded as verified${v.passed ? ' (see the warning)' : ' (the checks did not pass)'}.`,
          '',
        ]
      : []),
    `Thresholds: error rate ≤ ${report.settings.maxErrorRate}%, p95 ≤ ${report.settings.maxP95Ms} ms. Reported error rate ${v.errorRate}% and p95 ${v.p95Ms ?? '-'} ms are those of "${text(v.worstCheck ?? '-')}".`,
    '',
  ].join('\n');
}

/** Under a failed run's heading and error line: every problem of an invalid spec, redacted, then escaped. */
export function specProblemsDetails(err: SpecError, log: Log): string {
  return ['❌ The check spec is invalid, so nothing was run:', '', ...err.problems.map((p) => `- ${text(log.redact(formatProblem(p)))}`)].join('\n');
}
