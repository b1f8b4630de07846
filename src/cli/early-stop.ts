/**
 * A stop (Ctrl-C, SIGHUP, SIGTERM) that comes before a command has started its work: while the bundle
 * loads and the command line is parsed (~0.35 s for the sandbox), no handler existed, so Node's
 * default ended the process with no word at all. Nothing has been created or changed by then, and
 * the one closing line says so. A command's own handlers (stop-signals.ts) take over once it runs:
 * `started` removes these first, since from then on "nothing was created" may no longer be true.
 */
// Nothing heavy here (context.ts loads most of the CLI): the exit code is 128 + the signal's number, as SIGNAL_EXIT.
import { constants } from 'node:os';
import { output } from '../core/output.js';

const handlers = new Map<NodeJS.Signals, () => void>();

/** Installs the handlers: the bin calls it before loading the rest (early-stop-install.ts). */
export function stopBeforeStart(): void {
  for (const sig of ['SIGINT', 'SIGHUP', 'SIGTERM'] as const) {
    const onSignal = () => {
      output.line(`Stopped (${sig}) before it started: nothing was created or changed.`, 'stderr');
      process.exit(128 + constants.signals[sig]);
    };
    handlers.set(sig, onSignal);
    process.on(sig, onSignal);
  }
}

/** The command is about to start its work: its own handlers, if any, say what a stop did from here. */
export function started(): void {
  for (const [sig, onSignal] of handlers) process.off(sig, onSignal);
  handlers.clear();
}
