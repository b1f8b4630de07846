/**
 * What every action entry point shares: typed input reading, a redacting log on the runner,
 * outputs, and one failure path: the summary's failure heading, one clear `::error::` line and a
 * non-zero exit.
 */
import { core } from './actions-core.js';
import { RollbackKitError, errorLine } from './errors.js';
import { createLog, type Log } from './log.js';
import { output } from './output.js';
import { parseBoolean, parseInteger, parseList, parseNumber } from './parse.js';
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
  const raw = (name: string) => get(name) ?? '';
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
      log.secret(value);
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
const STOP_GRACE_MS = 5_000;

/**
 * SIGTERM and SIGINT while an action runs. Node's default is to exit at once (143, 130): no
 * `::error::`, no summary, child processes and temporary files left behind, and nobody told whether
 * the database changed. Instead the first signal aborts `signal`, which the action's work listens to
 * (it stops feeding its programs and ends them, and knows what it had done), and the step waits for
 * that work to end, at most STOP_GRACE_MS; a second signal stops the wait at once.
 */
function stopOnSignals(log: Log) {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  let giveUp = () => undefined as void;
  const expired = new Promise<'expired'>((resolve) => (giveUp = () => resolve('expired')));
  const onSignal = (name: NodeJS.Signals) => {
    if (received) return giveUp();
    received = name;
    log.info(`Received ${name}: stopping; waiting up to ${STOP_GRACE_MS / 1000} s for the work under way to end …`);
    controller.abort(new Error(`stopped by ${name}`));
    setTimeout(giveUp, STOP_GRACE_MS).unref();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    signal: controller.signal,
    received: () => received,
    expired,
    dispose() {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    },
  };
}

/**
 * Runs an action body; every action fails the same way. The job summary gets "### <action>:
 * failed", the redacted error line and the action's own details; the log gets one redacted
 * `::error::` line. Unexpected errors keep their stack in the debug log so a bug report has it
 * without frightening the reader. A step stopped by SIGTERM or SIGINT fails the same way, saying
 * so, with what the action knew of its own state (its error), and exits non-zero.
 */
export async function runAction(action: string, body: (log: Log, signal: AbortSignal) => Promise<void>, details?: FailureDetails): Promise<void> {
  const log = actionLog();
  const stop = stopOnSignals(log);
  try {
    const ran = body(log, stop.signal).then(
      () => ({ ok: true as const }),
      (err: unknown) => ({ ok: false as const, err }),
    );
    const outcome = await Promise.race([ran, stop.expired]);
    const signal = stop.received();
    let failure: unknown;
    if (outcome === 'expired') {
      failure = new RollbackKitError(
        `${action} was stopped by ${signal} and its work did not end within ${STOP_GRACE_MS / 1000} s: what it had changed by then is not known.`,
        'Check the state of what it works on (its log above says how far it got) before running it again.',
      );
    } else if (!outcome.ok) {
      failure = signal ? stoppedError(action, signal, outcome.err) : outcome.err;
    } else if (signal) {
      failure = new RollbackKitError(`${action} was stopped by ${signal} as its work ended: that work was done, and what it reports above stands.`);
    }
    if (failure === undefined) return;
    const err = failure;
    if (!(err instanceof RollbackKitError) && err instanceof Error && err.stack) log.debug(err.stack);
    await writeSummary(failureSummary(action, err, log, await failureDetails(details, err, log)), log);
    output.fail(log.redact(errorLine(err)));
  } finally {
    stop.dispose();
    // Whatever is still running (a connection, a program that ignored the stop) must not keep a
    // stopped step alive: the runner would kill it before anything else is said.
    if (stop.received()) process.exit(process.exitCode || 1);
  }
}

/** The action's own error, said to be a stop: what it knew (committed or not) is in its words. */
function stoppedError(action: string, signal: NodeJS.Signals, err: unknown): RollbackKitError {
  const hint = err instanceof RollbackKitError ? err.hint : undefined;
  const message = err instanceof RollbackKitError ? err.message : errorLine(err);
  return new RollbackKitError(`${action} was stopped by ${signal}: ${message}`, hint);
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
