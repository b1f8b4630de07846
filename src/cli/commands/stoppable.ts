/**
 * Ctrl-C (SIGINT), SIGTERM, SIGHUP or a closed stdout (stop-signals.ts) during a command that changes or dumps a database (snapshot, restore,
 * down, rollback): as in the actions (core/action.ts), the first signal stops the work through its
 * AbortSignal and waits for it a bounded time, a second ends the wait, and the command fails saying
 * what the work knew (committed or rolled back, a snapshot made or not), never killed mid-way by
 * Node's default with psql or pg_dump left running and nobody told what changed.
 */
import { STOP_GRACE_MS } from '../../core/action.js';
import { stopCause, stopOnSignals, stoppedFailure } from '../../core/stop-signals.js';
import type { Cli } from '../context.js';

/**
 * Runs `work` with the stop's signal. A result it returns stands, even when a signal came as it
 * ended (a rollback's record says itself what the stop did); its error is said to be a stop; work
 * that did not end in time fails saying its state is not known, or, with `known`, what the work had
 * already said it changed (and what of it is not known).
 */
export async function stoppable<T>(cli: Cli, work: (signal: AbortSignal) => Promise<T>, known?: () => string | undefined): Promise<T> {
  const stop = stopOnSignals({
    graceMs: STOP_GRACE_MS,
    onFirst: (name) => cli.term.note(`${stopCause(name)}: stopping; waiting up to ${STOP_GRACE_MS / 1000} s for the work under way to end (again to stop waiting)…`),
  });
  try {
    const settled = await stop.settle(work(stop.signal));
    if (settled !== 'expired' && settled.ok) return settled.value;
    throw stoppedFailure(`rollback-kit ${cli.command}`, stop.received(), settled, STOP_GRACE_MS, settled === 'expired' ? known?.() : undefined) ?? (settled as { err: unknown }).err;
  } finally {
    cli.stoppedBy ??= stop.received();
    stop.dispose();
  }
}
