/**
 * The smoke test as one call, shared by the action, the root rollback action and the CLI: load and
 * validate the spec (nothing runs if it is wrong), measure every check, decide, and build the report.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { describeTarget } from '../db/connection.js';
import { parseChecks } from './parse-spec.js';
import { buildReport, redactReport, type SmokeReport } from './report.js';
import { runChecks, type CheckResult, type SmokeOptions } from './run-checks.js';
import { registerSpecSecrets } from './sensitive.js';
import type { Check } from './spec.js';
import { decide, type Verdict } from './verdict.js';

export interface SpecSource {
  /** Inline YAML (the checks input). */
  checks?: string;
  /** A YAML file (the checks-file input), relative to `cwd`. */
  checksFile?: string;
  cwd?: string;
}

/** Reads the spec from exactly one of `checks` and `checks-file`, then validates it. */
export async function loadChecks(source: SpecSource, ctx: { baseUrl?: string; hasDatabase: boolean }): Promise<Check[]> {
  if (source.checks && source.checksFile) {
    throw new RollbackKitError('Both checks and checks-file are set.', 'Give the checks inline in checks, or in a YAML file named by checks-file, not both.');
  }
  if (source.checksFile) {
    const path = resolve(source.cwd ?? '.', source.checksFile);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      const code = (err as { code?: string }).code;
      throw new RollbackKitError(
        `Cannot read checks-file "${source.checksFile}": ${code === 'ENOENT' ? 'no such file' : (err as Error).message}.`,
        'The path is relative to the workspace; check out the repository first (actions/checkout).',
      );
    }
    return parseChecks(text, { ...ctx, source: `checks-file ${source.checksFile}` });
  }
  if (source.checks) return parseChecks(source.checks, { ...ctx, source: 'checks input' });
  throw new RollbackKitError('No checks given.', 'Set checks (YAML) or checks-file; the smoke-test section of the rollback-kit README has examples.');
}

export interface SmokeOutcome {
  results: CheckResult[];
  verdict: Verdict;
  report: SmokeReport;
}

export async function runSmokeTest(checks: Check[], options: SmokeOptions, log: Log): Promise<SmokeOutcome> {
  log.secret(options.bypassToken);
  registerSpecSecrets(checks, log);
  const startedAt = new Date();
  const started = performance.now();
  log.info(`Running ${checks.length} smoke check${checks.length === 1 ? '' : 's'} (attempts ${options.attempts}, samples ${options.samples}, deadline ${options.deadlineSeconds} s)`);
  const results = await runChecks(checks, options, log);
  const verdict = decide(results);
  // Redacted once here, so every consumer (files, summary, annotations, the CLI) gets the safe report.
  const report = redactReport(buildReport({
    startedAt,
    durationMs: Math.round(performance.now() - started),
    verdict,
    results,
    options,
    database: options.database ? describeTarget(options.database) : undefined,
  }), log);
  log.info(`Verdict: ${verdict.passed ? 'passed' : `${verdict.failed} failed`}, severity ${verdict.severity}, decision ${verdict.decision}`);
  for (const reason of verdict.reasons) log.info(`  - ${reason}`);
  return { results, verdict, report };
}
