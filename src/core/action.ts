/**
 * What every action entry point shares: typed input reading, a redacting log on the runner,
 * outputs, and one failure path: the summary's failure heading, one clear `::error::` line and a
 * non-zero exit.
 */
import { core } from './actions-core.js';
import { RollbackKitError, errorLine } from './errors.js';
import { createLog, type Log } from './log.js';
import { MadeRecord } from './made.js';
import { output } from './output.js';
import { withinSize } from './input-size.js';
import { declareEnvironmentSecrets } from './secret-input.js';
import { parseBoolean, parseInteger, parseList, parseNumber } from './parse.js';
import { stopCause, stopOnSignals, stoppedFailure } from './stop-signals.js';
import { failOnUnfinishedExit, unfinishedError } from './unfinished-exit.js';
import { failureSummary } from '../report/failure-summary.js';
import { writeSummary } from '../report/write-summary.js';

export function actionLog(): Log {
  return createLog({
    info: (m) => output.info(m),
    warning: (m) => output.annotate('warning', m),
    debug: (m) => output.debug(m),
    mask: (v) => output.mask(v),
  });
}

/** Reads inputs by their public names from `get` (the runner's INPUT_* variables, or the CLI's flags); every parse error names the input. */
export function inputsFrom(get: (name: string) => string) {
  // Every read goes through here: an input longer than it may be is refused before it is used or printed.
  const raw = (name: string) => withinSize(name, get(name) ?? '');
  const inputs = {
    string(name: string, opts: { required?: boolean; default?: string } = {}): string | undefined {
      const value = raw(name).trim();
      if (value) return value;
      if (opts.required) throw new RollbackKitError(`Input required and not supplied: ${name}.`);
      return opts.default;
    },
    required(name: string): string {
      return inputs.string(name, { required: true }) as string;
    },
    /** A secret input: masked before anything else can print it. */
    secret(name: string, log: Log, opts: { required?: boolean } = {}): string | undefined {
      const value = inputs.string(name, opts);
      log.secret(value, 'declared', `input ${name}`);
      return value;
    },
    boolean(name: string, fallback: boolean): boolean {
      return parseBoolean(raw(name), name, fallback);
    },
    integer(name: string, opts: { default?: number; min?: number; max?: number } = {}): number | undefined {
      return parseInteger(raw(name), name, opts);
    },
    number(name: string, opts: { default?: number; min?: number; max?: number } = {}): number | undefined {
      return parseNumber(raw(name), name, opts);
    },
    list(name: string): string[] {
      return parseList(raw(name));
    },
  };
  return inputs;
}

export type Inputs = ReturnType<typeof inputsFrom>;

/** The step's inputs as the runner passes them. */
export const input: Inputs = inputsFrom((name) => core.getInput(name));

export function setOutputs(outputs: Record<string, string | number | boolean | undefined>): void {
  for (const [name, value] of Object.entries(outputs)) {
    if (value !== undefined) core.setOutput(name, typeof value === 'string' ? value : String(value));
  }
}

/**
 * What an action adds when it fails: outputs a later `if: always()` step still needs, and the
 * Markdown returned is put under the failure's heading in the job summary.
 */
export type FailureDetails = (err: unknown, log: Log) => string | undefined | Promise<string | undefined>;

/**
 * How long a step being stopped waits for its work to wind down before it reports and exits. When
 * GitHub cancels a job the runner sends SIGINT, then SIGTERM 7.5 s later, then SIGKILL 2.5 s after
 * that: the report must be written before the SIGKILL.
 */
export const STOP_GRACE_MS = 5_000;

/**
 * The job summary of what the action did (smoke-test's checks table, the rollback's timeline),
 * given to runAction rather than written: written as it is when the step succeeds, and under the
 * failure's heading and error line when it fails, so every failed step's summary starts the same way.
 */
export type Report = (markdown: string) => void;

/**
 * Runs an action body; every action fails the same way. The job summary gets "### <action>:
 * failed", the redacted error line, the action's own details and what it reported (Report); the
 * log gets one redacted `::error::` line. Unexpected errors keep their stack in the debug log so a bug report has it
 * without frightening the reader. A step stopped by SIGTERM or SIGINT (stop-signals.ts: the body's
 * `signal` is aborted, the step waits up to STOP_GRACE_MS, a second signal ends the wait) fails the
 * same way, saying so, with what the action knew of its own state (its error), and exits non-zero.
 */
/**
 * What this step made where it was pointed (the snapshot folder, its parents, its .gitignore): a
 * stop takes it away again while it holds nothing else, by the command line's rules (MadeRecord).
 * A run that ends otherwise keeps it.
 */
export const madeThisStep = new MadeRecord();

export async function runAction(name: string | (() => string), body: (log: Log, signal: AbortSignal, report: Report) => Promise<void>, details?: FailureDetails): Promise<void> {
  // Read when a failure is said: the root action knows it runs a drill only once its inputs are read.
  const action = () => (typeof name === 'string' ? name : name());
  const log = actionLog();
  // eslint-disable-next-line no-restricted-properties -- the job's environment, which every command the step runs inherits
  declareEnvironmentSecrets(process.env, log);
  const stop = stopOnSignals({
    graceMs: STOP_GRACE_MS,
    onFirst: (name) => log.info(`Received ${stopCause(name)}: stopping; waiting up to ${STOP_GRACE_MS / 1000} s for the work under way to end …`),
  });
  let reported: string | undefined;
  const report: Report = (markdown) => void (reported = markdown);
  // `done`: the body finished before the stop came. Its outputs and report stand, so the action's
  // failure details (which write failure outputs: status=failed, verified=false) are not asked for.
  const fail = async (err: unknown, own: unknown, done = false) => {
    const known = [done ? undefined : await failureDetails(details, own ?? err, log), reported].filter((part) => part?.trim()).join('\n\n');
    await writeSummary(failureSummary(action(), err, log, known), log);
    output.fail(log.redact(errorLine(err)));
  };
  const unfinished = failOnUnfinishedExit(() => fail(unfinishedError(), undefined));
  try {
    const outcome = await stop.settle(body(log, stop.signal, report));
    // The body's own error, which its details read (a stop only rewords it); none when it outlasted the grace time.
    const own = outcome !== 'expired' && !outcome.ok ? outcome.err : undefined;
    const failure = stoppedFailure(action(), stop.received(), outcome, STOP_GRACE_MS) ?? own;
    if (failure === undefined) {
      if (reported !== undefined) await writeSummary(reported, log);
      return;
    }
    if (!(own instanceof RollbackKitError) && own instanceof Error && own.stack) log.debug(own.stack);
    await fail(failure, own, outcome !== 'expired' && outcome.ok);
  } finally {
    unfinished();
    stop.dispose();
    // Whatever is still running (a connection, a program that ignored the stop) must not keep a
    // stopped step alive: the runner would kill it before anything else is said.
    if (stop.received()) {
      madeThisStep.removeWhileEmpty();
      process.exit(process.exitCode || 1);
    }
  }
}

/** The action's details, or none: a failure while describing the failure must not hide the failure. */
async function failureDetails(details: FailureDetails | undefined, err: unknown, log: Log): Promise<string | undefined> {
  try {
    return await details?.(err, log);
  } catch (detailsErr) {
    log.warning(`The failure's details could not be gathered: ${errorLine(detailsErr)}`);
    return undefined;
  }
}
