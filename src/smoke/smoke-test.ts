/**
 * The smoke test as one call, shared by the action, the root rollback action and the CLI: load and
 * validate the spec (nothing runs if it is wrong), measure every check, decide, and build the report.
 */
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { RollbackKitError } from '../core/errors.js';
import { stopName } from '../core/stop-signals.js';
import { FileRefused, readRegularFile } from '../core/files.js';
import type { Log } from '../core/log.js';
import { describeTarget } from '../db/connection.js';
import { parseChecks } from './parse-spec.js';
import { buildReport, redactReport, type SmokeReport } from './report.js';
import { runChecks, type CheckResult, type SmokeOptions } from './run-checks.js';
import { registerSpecSecrets } from './sensitive.js';
import type { Check } from './spec.js';
import { decide, type Verdict } from './verdict.js';
import { measureConfirmed, type Confirmation } from './confirm.js';

export interface SpecSource {
  /** Inline YAML (the checks input). */
  checks?: string;
  /** A YAML file (the checks-file input), relative to `cwd`. */
  checksFile?: string;
  /** How messages name checksFile: the checks-file input, or the plan file's key that gave it. */
  checksFileName?: string;
  cwd?: string;
  /**
   * The person running us named checksFile on their own machine (a CLI flag): any file they can
   * read is theirs to use, so it is read wherever it is. Unset, it must be inside `cwd` (below).
   */
  anywhere?: boolean;
}

/**
 * The spec source the plan's verify settings name. A plan file's verify.checks-file keeps the
 * workspace rule even on the command line: the file travels with the repository, so what a local
 * run accepts the workflow must accept too.
 */
export function verifySource(verify: { checks?: string; checksFile?: string; checksFileName?: string; checksFileAnywhere?: boolean }, workspace: string): SpecSource {
  return { checks: verify.checks, checksFile: verify.checksFile, checksFileName: verify.checksFileName, cwd: workspace, anywhere: verify.checksFileAnywhere };
}

/** Reads the spec from exactly one of `checks` and `checks-file`, then validates it. */
export async function loadChecks(source: SpecSource, ctx: { baseUrl?: string; hasDatabase: boolean }): Promise<Check[]> {
  if (source.checks && source.checksFile) {
    throw new RollbackKitError('Input checks and input checks-file are both set.', 'Give the checks inline (input checks) or in a YAML file (input checks-file), not both.');
  }
  if (source.checksFile) {
    const name = source.checksFileName ?? 'checks-file';
    const text = await readChecksFile(source.checksFile, source.cwd ?? '.', name, source.anywhere ?? false);
    return parseChecks(text, { ...ctx, source: `${name} ${source.checksFile}` });
  }
  if (source.checks) return parseChecks(source.checks, { ...ctx, source: 'checks input' });
  throw new RollbackKitError('No checks given.', 'Set input checks (YAML) or input checks-file; the smoke-test README (actions/smoke-test/README.md) has examples.');
}

/** A spec is a page or a few of YAML: a file larger than this is the wrong file. */
export const MAX_CHECKS_FILE_BYTES = 1024 * 1024;

const CHECKOUT_HINT = 'The path is relative to the workspace (on the command line, the current directory); in a workflow, check out the repository first (actions/checkout).';

/**
 * The checks-file, which must be a file inside the workspace: the path is an input anyone who edits
 * the workflow sets, and a spec error names lines of the file, so it must not reach /etc/passwd or
 * a secrets file elsewhere on the runner. Symbolic links are followed before the check, so a link
 * in the repository that points outside is refused too. `anywhere`: a person named the file on
 * their own machine, where it reveals nothing they cannot read already, so only the size and kind
 * rules hold (a FIFO would still block, a huge file is still the wrong one).
 */
async function readChecksFile(checksFile: string, workspace: string, name: string, anywhere: boolean): Promise<string> {
  const cannotRead = (why: string, hint = CHECKOUT_HINT) => new RollbackKitError(`Cannot read ${name} "${checksFile}": ${why}.`, hint);
  let root: string;
  let path: string;
  try {
    root = await realpath(workspace);
    path = await realpath(resolve(workspace, checksFile));
  } catch (err) {
    throw cannotRead(describeFsError(err));
  }
  const inside = relative(root, path);
  if (!anywhere && (inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside))) {
    throw cannotRead('it is outside the workspace', `${name} must name a file in the repository (the workspace), such as .github/smoke.yml; symbolic links are followed before this check.`);
  }
  try {
    // A regular file only (a FIFO would block the step forever), read up to the cap.
    return readRegularFile(path, MAX_CHECKS_FILE_BYTES);
  } catch (err) {
    if (err instanceof FileRefused) throw cannotRead(err.why, `${name} must name a YAML file of checks in the repository, of at most 1 MB.`);
    throw cannotRead(describeFsError(err));
  }
}

function describeFsError(err: unknown): string {
  switch ((err as { code?: string }).code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'it is a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ELOOP':
      return 'too many symbolic links';
    default:
      return `${(err as { code?: string }).code ?? 'the file cannot be read'}`;
  }
}

export interface SmokeOutcome {
  results: CheckResult[];
  verdict: Verdict;
  report: SmokeReport;
  /** Set when a first run decided rollback and `confirm.afterSeconds` asked for a second. */
  confirmation?: Confirmation;
}

export interface ConfirmOptions {
  /** Seconds to wait before measuring again when the first run decides rollback; 0 means never. */
  afterSeconds: number;
  /** Tests replace the wait. */
  wait?: (ms: number) => Promise<void>;
}

/** The smoke test stopped before it had measured everything: no verdict, nothing said of production. */
function stoppedChecks(signal: AbortSignal): RollbackKitError {
  return new RollbackKitError(
    `The smoke checks were stopped (${stopName(signal)}) before they finished measuring, so they give no verdict: production was not verified.`,
    'Check production by hand now, or run the smoke test again.',
    { stopped: true },
  );
}

export async function runSmokeTest(checks: Check[], options: SmokeOptions, log: Log, confirm?: ConfirmOptions): Promise<SmokeOutcome> {
  log.secret(options.bypassToken);
  registerSpecSecrets(checks, log);
  const startedAt = new Date();
  const started = performance.now();
  log.info(`Running ${checks.length} smoke check${checks.length === 1 ? '' : 's'} (attempts ${options.attempts}, samples ${options.samples}, deadline ${options.deadlineSeconds} s)`);
  const measure = async () => {
    const results = await runChecks(checks, options, log);
    // Stopped: the checks cut short failed for no fault of production; no verdict may be read from them.
    if (options.signal?.aborted) throw stoppedChecks(options.signal);
    return { results, verdict: decide(results) };
  };
  const { results, verdict, confirmation } = await measureConfirmed(measure, confirm?.afterSeconds ?? 0, log, confirm?.wait);
  // Redacted once here, so every consumer (files, summary, annotations, the CLI) gets the safe report.
  const report = redactReport(buildReport({
    startedAt,
    durationMs: Math.round(performance.now() - started),
    verdict,
    results,
    options,
    database: options.database ? describeTarget(options.database) : undefined,
    confirmation,
  }), log);
  log.info(`Verdict: ${verdict.passed ? 'passed' : `${verdict.failed} failed`}, severity ${verdict.severity}, decision ${verdict.decision}`);
  for (const reason of verdict.reasons) log.info(`  - ${reason}`);
  return { results, verdict, report, confirmation };
}
