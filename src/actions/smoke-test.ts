/**
 * smoke-test: decide with evidence whether production is healthy, and whether to roll back.
 * Reads inputs, runs src/smoke, writes outputs, reports, the job summary and annotations.
 */
import { tmpdir } from 'node:os';
import * as core from '@actions/core';
import { input, runAction, setOutputs } from '../core/action.js';
import { RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { output } from '../core/output.js';
import { displayUrl, registerUrlSecrets, splitCredentials } from '../core/url-secrets.js';
import { parseConnectionString } from '../db/connection.js';
import { CheckConfigError } from '../smoke/config-error.js';
import { formatProblem, SpecError } from '../smoke/parse-spec.js';
import { annotations, reportPaths, summaryMarkdown, writeReportFiles } from '../smoke/report.js';
import type { Backoff } from '../smoke/spec.js';
import { loadChecks, runSmokeTest } from '../smoke/smoke-test.js';
import { text } from '../report/markdown.js';

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

async function writeSpecSummary(err: SpecError, log: Log): Promise<void> {
  const lines = ['### Smoke test', '', '❌ The check spec is invalid, so nothing was run:', '', ...err.problems.map((p) => `- ${text(formatProblem(p))}`), ''];
  await core.summary.addRaw(log.redact(lines.join('\n'))).write();
}

await runAction(async (log) => {
  // Secrets first: nothing below may print them.
  const bypassToken = input.secret('bypass-token', log);
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

  let checks;
  try {
    checks = await loadChecks(
      { checks: input.string('checks'), checksFile: input.string('checks-file'), cwd: process.env.GITHUB_WORKSPACE },
      { baseUrl, hasDatabase: Boolean(database) },
    );
  } catch (err) {
    // An invalid spec fails even with fail-step false: nothing was measured, there is no verdict.
    if (err instanceof SpecError) await writeSpecSummary(err, log);
    throw err;
  }
  if (baselineUrl && !checks.some((c) => c.kind === 'http' && c.path)) {
    log.warning('baseline-url is set, but no HTTP check is written as a path (/api/health), so there is nothing to compare.');
  }

  let outcome;
  try {
    outcome = await runSmokeTest(checks, options, log);
  } catch (err) {
    // A check that cannot run as written (a wrong database-url, a query that tries to write, a
    // request fetch refuses to send) fails like an invalid spec, whatever fail-step says: it is a
    // mistake in the configuration, not an outage, so no verdict and no decision output.
    if (err instanceof CheckConfigError) {
      // Redact first: escaping could split a secret so the redactor no longer sees it.
      await core.summary.addRaw(`### Smoke test\n\n❌ ${text(log.redact(err.message))}\n\n${text(log.redact(err.hint ?? ''))}\n`).write();
    }
    throw err;
  }
  const { verdict, report } = outcome;

  const paths = reportPaths(process.env.RUNNER_TEMP || tmpdir());
  await writeReportFiles(report, paths, log);

  for (const a of annotations(report)) {
    const message = log.redact(a.message);
    const title = log.redact(a.title);
    output.annotate(a.level, message, { title });
  }
  await core.summary.addRaw(log.redact(summaryMarkdown(report))).write();

  setOutputs({
    passed: verdict.passed,
    severity: verdict.severity,
    decision: verdict.decision,
    failed: verdict.failed,
    'error-rate': verdict.errorRate,
    'p95-ms': verdict.p95Ms ?? '',
    'report-path': paths.json,
    'junit-path': paths.junit,
  });

  if (!verdict.passed) {
    // The reason often ends in "(SQLSTATE 42P01)" or a quote: end it as a sentence before the hint.
    const reason = verdict.reasons[0]?.trim();
    const line = `Smoke test failed: ${verdict.failed} of ${report.checks.length} checks failed; severity ${verdict.severity}, decision ${verdict.decision}.${reason ? ` ${/[.!?]$/.test(reason) ? reason : `${reason}.`}` : ''}`;
    if (failStep) throw new RollbackKitError(line, 'See the job summary and the report; with fail-step: false the step stays green and a later step can act on the decision output.');
    log.warning(`${line} (fail-step is false: the step stays green; act on the decision output)`);
  }
});
