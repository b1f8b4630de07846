/**
 * smoke-test: decide with evidence whether production is healthy, and whether to roll back.
 * Reads inputs, runs src/smoke, writes outputs, reports, the job summary and annotations.
 */
import { tmpdir } from 'node:os';
import { input, runAction, setOutputs } from '../core/action.js';
import { RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { output } from '../core/output.js';
import { displayUrl, registerUrlSecrets, splitCredentials } from '../core/url-secrets.js';
import { parseConnectionString } from '../db/connection.js';
import { SpecError } from '../smoke/parse-spec.js';
import { annotations, reportPaths, writeReportFiles } from '../smoke/report.js';
import type { Backoff } from '../smoke/spec.js';
import { loadChecks, runSmokeTest } from '../smoke/smoke-test.js';
import { MAX_CONFIRM_AFTER_SECONDS } from '../smoke/confirm.js';
import { checkRecordVerified, recordVerified, type RecordVerifiedRequest } from '../smoke/record-verified.js';
import { specProblemsDetails, summaryMarkdown } from '../report/smoke-test-summary.js';
import { writeSummary } from '../report/write-summary.js';

/** A URL input; its user name, password and secret parameters are registered before anything can print them. */
function httpUrl(name: string, log: Log): string | undefined {
  const raw = input.string(name);
  if (!raw) return undefined;
  registerUrlSecrets(raw, log);
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new RollbackKitError(`Input ${name} must be an absolute http(s) URL such as https://my-app.vercel.app, got "${displayUrl(raw)}".`);
  }
  return raw;
}

function backoffInput(): Backoff {
  const raw = (input.string('backoff') ?? 'fixed').toLowerCase();
  if (raw !== 'fixed' && raw !== 'exponential') throw new RollbackKitError(`Input backoff must be fixed or exponential, got "${raw}".`);
  return raw;
}

await runAction('smoke-test', async (log) => {
  // Secrets first: nothing below may print them.
  const bypassToken = input.secret('bypass-token', log);
  const githubToken = input.secret('github-token', log);
  const databaseUrl = input.secret('database-url', log);
  const database = databaseUrl ? parseConnectionString(databaseUrl, log) : undefined;

  const baseUrl = httpUrl('base-url', log);
  const baseline = httpUrl('baseline-url', log);
  const { url: baselineUrl, authorization: baselineCredentials } = baseline ? splitCredentials(baseline) : { url: undefined, authorization: undefined };
  const options = {
    attempts: input.integer('attempts', { default: 3, min: 1, max: 100 })!,
    intervalSeconds: input.number('interval-seconds', { default: 5, min: 0, max: 3600 })!,
    backoff: backoffInput(),
    timeoutSeconds: input.number('timeout-seconds', { default: 10, min: 0.001, max: 3600 })!,
    samples: input.integer('samples', { default: 1, min: 1, max: 10000 })!,
    maxErrorRate: input.number('max-error-rate', { default: 5, min: 0, max: 100 })!,
    maxP95Ms: input.number('max-p95-ms', { default: 3000, min: 1 })!,
    deadlineSeconds: input.number('deadline-seconds', { default: 300, min: 0.1, max: 21600 })!,
    baselineUrl,
    baselineCredentials,
    bypassToken,
    database,
  };
  const failStep = input.boolean('fail-step', true);
  const confirmAfterSeconds = input.number('confirm-after-seconds', { default: 0, min: 0, max: MAX_CONFIRM_AFTER_SECONDS })!;
  const verifiedSha = input.string('verified-sha');
  const env = process.env;
  const verified: RecordVerifiedRequest | undefined = verifiedSha
    ? {
        sha: verifiedSha,
        github: { token: githubToken, repository: env.GITHUB_REPOSITORY || undefined, apiUrl: env.GITHUB_API_URL || 'https://api.github.com' },
        runUrl: env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}` : undefined,
      }
    : undefined;
  if (verified) checkRecordVerified(verified);

  // An invalid spec fails even with fail-step false: nothing was measured, there is no verdict.
  const checks = await loadChecks(
    { checks: input.string('checks'), checksFile: input.string('checks-file'), cwd: process.env.GITHUB_WORKSPACE },
    { baseUrl, hasDatabase: Boolean(database) },
  );
  if (baselineUrl && !checks.some((c) => c.kind === 'http' && c.path)) {
    log.warning('baseline-url is set, but no HTTP check is written as a path (/api/health), so there is nothing to compare.');
  }

  // A check that cannot run as written (a wrong database-url, a query that tries to write, a
  // request fetch refuses to send) throws a CheckConfigError and fails like an invalid spec,
  // whatever fail-step says: it is a mistake in the configuration, not an outage, so no verdict
  // and no decision output; its message and hint are the failure's error line.
  const { verdict, report, confirmation } = await runSmokeTest(checks, options, log, { afterSeconds: confirmAfterSeconds });

  const paths = reportPaths(process.env.RUNNER_TEMP || tmpdir());
  await writeReportFiles(report, paths, log);

  for (const a of annotations(report)) {
    const message = log.redact(a.message);
    const title = log.redact(a.title);
    output.annotate(a.level, message, { title });
  }
  const recorded = verified ? await recordVerified(verified, verdict, report.checks.length, log) : false;
  await writeSummary(summaryMarkdown(report, log, verified ? { sha: verified.sha, recorded } : undefined), log);

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
    // The reason often ends in "(SQLSTATE 42P01)" or a quote: end it as a sentence before the hint.
    const reason = verdict.reasons[0]?.trim();
    const line =
      verdict.decision === 'inconclusive'
        ? `Smoke test inconclusive: ${reason}.`
        : `Smoke test failed: ${verdict.failed} of ${report.checks.length} checks failed; severity ${verdict.severity}, decision ${verdict.decision}.${reason ? ` ${/[.!?]$/.test(reason) ? reason : `${reason}.`}` : ''}`;
    if (failStep) throw new RollbackKitError(line, 'See the job summary and the report; with fail-step: false the step stays green and a later step can act on the decision output.');
    log.warning(`${line} (fail-step is false: the step stays green; act on the decision output)`);
  }
}, (err, log) => (err instanceof SpecError ? specProblemsDetails(err, log) : undefined));
