/**
 * smoke-test: decide with evidence whether production is healthy, and whether to roll back.
 * Reads inputs, runs src/smoke, writes outputs, reports, the job summary and annotations.
 */
import { tmpdir } from 'node:os';
import { input, runAction, setOutputs } from '../core/action.js';
import { RollbackKitError } from '../core/errors.js';
import { sentence } from '../core/sentence.js';
import { output } from '../core/output.js';
import { SpecError } from '../smoke/parse-spec.js';
import { annotations, reportPaths, writeReportFiles } from '../smoke/report.js';
import { readSmokeInputs } from '../smoke/smoke-inputs.js';
import { sleep } from '../smoke/pool.js';
import { loadChecks, runSmokeTest } from '../smoke/smoke-test.js';
import { recordVerified, verifiedRequest } from '../smoke/record-verified.js';
import { specProblemsDetails, summaryMarkdown } from '../report/smoke-test-summary.js';

await runAction('smoke-test', async (log, signal, report) => {
  // Secrets first: nothing below may print them.
  const { source, baseUrl, options, failStep, confirmAfterSeconds } = readSmokeInputs(input, input.secret('database-url', log), process.env.GITHUB_WORKSPACE, log);
  const githubToken = input.secret('github-token', log);
  const verified = verifiedRequest(input.string('verified-sha'), githubToken, process.env);

  // An invalid spec fails even with fail-step false: nothing was measured, there is no verdict.
  const checks = await loadChecks(source, { baseUrl, hasDatabase: Boolean(options.database) });
  if (options.baselineUrl && !checks.some((c) => c.kind === 'http' && c.path)) {
    log.warning('baseline-url is set, but no HTTP check is written as a path (/api/health), so there is nothing to compare.');
  }

  // A check that cannot run as written (a wrong database-url, a query that tries to write, a
  // request fetch refuses to send) throws a CheckConfigError and fails like an invalid spec,
  // whatever fail-step says: it is a mistake in the configuration, not an outage, so no verdict
  // and no decision output; its message and hint are the failure's error line.
  const { verdict, report: measured, confirmation } = await runSmokeTest(checks, { ...options, signal }, log, { afterSeconds: confirmAfterSeconds, wait: (ms) => sleep(ms, signal) });

  const paths = reportPaths(process.env.RUNNER_TEMP || tmpdir());
  await writeReportFiles(measured, paths, log);

  for (const a of annotations(measured)) {
    const message = log.redact(a.message);
    const title = log.redact(a.title);
    output.annotate(a.level, message, { title });
  }
  const recorded = verified ? await recordVerified(verified, verdict, measured.checks.length, options.deadlineSeconds, log) : false;
  // Under the failure's heading when the checks fail the step: the table says which and why.
  report(summaryMarkdown(measured, log, verified ? { sha: verified.sha, recorded } : undefined));

  setOutputs({
    passed: verdict.passed,
    severity: verdict.severity,
    decision: verdict.decision,
    failed: verdict.failed,
    'error-rate': verdict.errorRate,
    'p95-ms': verdict.p95Ms ?? '',
    'report-path': paths.json,
    'junit-path': paths.junit,
    flapped: JSON.stringify(confirmation?.flapped ?? []),
    verified: recorded,
  });

  if (!verdict.passed) {
    // The reason is a clause ("check … failed: …", often ending in "(SQLSTATE 42P01)" or a quote):
    // said as a sentence of its own after the verdict's, before the hint.
    const reason = verdict.reasons[0]?.trim();
    const line =
      verdict.decision === 'inconclusive'
        ? `Smoke test inconclusive: ${reason}.`
        : `Smoke test failed: ${verdict.failed} of ${measured.checks.length} checks failed; severity ${verdict.severity}, decision ${verdict.decision}.${reason ? ` ${sentence(reason)}` : ''}`;
    if (failStep) throw new RollbackKitError(line, 'See the job summary and the report; with fail-step: false the step stays green and a later step can act on the decision output.');
    log.warning(`${line} (fail-step is false: the step stays green; act on the decision output)`);
  }
}, (err, log) => (err instanceof SpecError ? specProblemsDetails(err, log) : undefined));
