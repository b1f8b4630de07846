/**
 * SIGTERM, SIGINT and SIGHUP while work that must wind down runs (an action's step, the CLI's
 * database commands, the sandbox). Node's default is to exit at once (143, 130, 129): child
 * processes, temporary files and the sandbox's database left behind, and nobody told whether the
 * database changed. SIGHUP is an SSH session or a terminal window that went away: the work under
 * way is in the same state as after a Ctrl-C. A stdout whose reader closed the pipe (`| head -1`:
 * the write fails with EPIPE, since Node ignores the SIGPIPE a program would die of) is a stop too,
 * named SIGPIPE: nobody reads the rest, and dying of it, as Node did, left everything behind. Instead:
 *
 * - the first signal aborts `signal`, which the work listens to (it stops feeding its programs,
 *   ends them, and knows what it had done), calls `onFirst`, and starts a wait of `graceMs`;
 * - a second signal ends that wait at once: the caller stops waiting for the work and does what it
 *   does when the wait runs out (reports that the work's state is not known, or cleans up). A
 *   closed stdout after the first signal is not a second one: with `… | tee log` and Ctrl-C, tee
 *   dies of the same SIGINT, and our next write (the "stopping…" note itself) gets EPIPE. Nobody
 *   asked twice, so the work keeps its grace; only a real SIGINT, SIGTERM or SIGHUP cuts it short;
 * - every later signal is ignored: the handlers stay installed until `dispose()`, so no signal ever
 *   reaches Node's default kill while the caller still reports or cleans up. (With
 *   `process.once`, the second Ctrl-C would find no handler and kill the process mid-cleanup.)
 *
 * One process-level handler per signal takes them all, and hands each to every stop listening at
 * that moment. Installed while a stop listens; the command line's bin keeps it for the whole run
 * from its first line (holdStopSignals), and says what a signal that no stop hears did. A handler
 * removed as another is added instead loses the signal Node has caught but not yet handed over
 * (it reaches the listeners only at the next turn of the event loop): a stop at the start of the
 * sandbox went unheard, and the sandbox ran to its end.
 */
import { RollbackKitError, errorLine } from './errors.js';
import { output } from './output.js';

/** The signals a stop is taken from; SIGPIPE comes from a closed stdout (output.ts), not as a signal. */
const STOP_SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

/** What stopped the work, as a note says it: SIGPIPE alone would not tell the reader what happened. */
export function stopCause(name: NodeJS.Signals): string {
  return name === 'SIGPIPE' ? 'SIGPIPE, stdout closed' : name;
}

export interface StopOptions {
  /** How long the work may take to end after the first signal before `expired` settles. */
  graceMs: number;
  /** Called once, on the first signal (what to say, what else to stop). */
  onFirst?: (name: NodeJS.Signals) => void;
}

/** How a piece of work ended, raced against the wait after a signal. */
export type Settled<T> = { ok: true; value: T } | { ok: false; err: unknown } | 'expired';

export interface StopSignals {
  /** Aborted at the first signal. */
  readonly signal: AbortSignal;
  /** The first signal received, if any. */
  received(): NodeJS.Signals | undefined;
  /** Settles `graceMs` after the first signal, or at the second one, whichever comes first. */
  readonly expired: Promise<'expired'>;
  /** The work's outcome, or 'expired' when a signal came and the work did not end in time. */
  settle<T>(work: Promise<T>): Promise<Settled<T>>;
  /** Stops listening (and the pending wait): from here on a signal gets Node's default again, or what the bin holding the handler does. */
  dispose(): void;
}

type OnSignal = (name: NodeJS.Signals) => void;

/** Every stop listening now, in the order they started. */
const listening = new Set<OnSignal>();
/** What a signal that no stop hears does, while the bin holds the handler (holdStopSignals). */
let unheard: OnSignal | undefined;
let installed = false;

function onProcessSignal(name: NodeJS.Signals): void {
  if (!listening.size) return unheard?.(name);
  for (const stop of [...listening]) stop(name);
}

/** The process-level handler is there exactly while a stop listens or the bin holds it. */
function install(): void {
  const wanted = listening.size > 0 || unheard !== undefined;
  if (wanted === installed) return;
  installed = wanted;
  for (const sig of STOP_SIGNALS) {
    if (wanted) process.on(sig, onProcessSignal);
    else process.off(sig, onProcessSignal);
  }
}

/**
 * Keeps the handler installed until the returned release is called: a signal while no stop listens
 * goes to `whenUnheard` (before a command's work, after it) instead of Node's default. The release
 * puts Node's default back for such signals.
 */
export function holdStopSignals(whenUnheard: OnSignal): () => void {
  unheard = whenUnheard;
  install();
  return () => {
    if (unheard !== whenUnheard) return;
    unheard = undefined;
    install();
  };
}

export function stopOnSignals(opts: StopOptions): StopSignals {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  let timer: NodeJS.Timeout | undefined;
  let giveUp = (): void => undefined;
  const expired = new Promise<'expired'>((resolve) => (giveUp = () => resolve('expired')));
  const onSignal = (name: NodeJS.Signals) => {
    if (received) {
      if (name !== 'SIGPIPE') giveUp();
      return;
    }
    received = name;
    opts.onFirst?.(name);
    controller.abort(stopReason(name));
    timer = setTimeout(giveUp, opts.graceMs);
  };
  listening.add(onSignal);
  install();
  const unwatchStdout = output.onStdoutClosed(() => onSignal('SIGPIPE'));
  return {
    signal: controller.signal,
    received: () => received,
    expired,
    settle<T>(work: Promise<T>): Promise<Settled<T>> {
      const ran = work.then(
        (value) => ({ ok: true as const, value }),
        (err: unknown) => ({ ok: false as const, err }),
      );
      return Promise.race([ran, expired]);
    },
    dispose() {
      clearTimeout(timer);
      listening.delete(onSignal);
      install();
      unwatchStdout();
    },
  };
}

/** Stopped work that did not end within the grace time: what it had changed is not known, so no detail may claim it. */
export class StopOutlasted extends RollbackKitError {}

/**
 * What a stopped piece of work (`what`: the action or command) failed with, given how it settled:
 * its own error said to be a stop (what it knew, committed or not, is in its words); that its state
 * is not known when it did not end within the grace time (`known`: what the work had already said
 * it changed, which is said instead, and what is not known is the work's to say); or that it was
 * done when the stop came. Undefined when no signal came.
 */
export function stoppedFailure(what: string, signal: NodeJS.Signals | undefined, settled: Settled<unknown>, graceMs: number, known?: string): RollbackKitError | undefined {
  if (!signal) return undefined;
  if (settled === 'expired') {
    return new StopOutlasted(
      `${what} was stopped by ${signal} and its work did not end within ${graceMs / 1000} s: ${known ?? 'what it had changed by then is not known'}.`,
      'Check the state of what it works on (its log above says how far it got) before running it again.',
    );
  }
  if (settled.ok) return new RollbackKitError(`${what} was stopped by ${signal} as its work ended: that work was done, and what it reports stands (its report follows in the summary).`);
  const err = settled.err;
  const hint = err instanceof RollbackKitError ? err.hint : undefined;
  const message = err instanceof RollbackKitError ? err.message : errorLine(err);
  return new RollbackKitError(`${what} was stopped by ${signal}: ${message}`, hint);
}

/**
 * The reason every stop aborts its work with: stopName reads the signal back from it, so an abort
 * without it (AbortController.abort()) made every stop text say "stopped (stopped)".
 */
export function stopReason(name: NodeJS.Signals): Error {
  return new Error(`stopped by ${name}`);
}

/** "SIGINT" from a stop's reason (stopReason: "stopped by SIGINT"); undefined when it names none. */
export function stopSignalName(signal: AbortSignal | undefined): string | undefined {
  const reason: unknown = signal?.reason;
  const text = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : '';
  return /SIG[A-Z]+/.exec(text)?.[0];
}

/** "SIGINT" from a stop's reason (stopSignalName), else "stopped". */
export function stopName(signal: AbortSignal | undefined): string {
  return stopSignalName(signal) ?? 'stopped';
}
