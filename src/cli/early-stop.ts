/**
 * The bin's very first act (index.ts): a stop (Ctrl-C, SIGTERM, SIGHUP) while the command line is
 * still loading is said in one line, "Stopped (SIGINT) before rollback-kit drill started: nothing
 * was changed.", and the process exits 128 + the signal's number (130, 143, 129). Node's default
 * ended it there with no word, or a stack.
 *
 * It holds the stops only until the full handler (signals.ts, loaded after it) holds them: that one
 * also knows what a command made before it began and reads a --timeline. Until then nothing of any
 * command has run, so nothing was made and nothing changed.
 *
 * No imports, on purpose: it is the bundle's first chunk (dist/cli/index.js), parsed and run before
 * anything else of the command line loads; whatever it imported would load before the handler.
 * What it prints is fixed text, a signal's name and a command name from COMMAND_NAMES: no outside
 * text, so it needs no escaping writer (core/output.ts, which loads later).
 */

/**
 * The exit code of a command stopped by a signal and not done: 128 + the signal's number, as a shell
 * reports a command it interrupted, so a script can tell "someone stopped it" (do not retry) from
 * "it failed" (1); both are non-zero for `set -e`. The error line still says what the stop did.
 * A closed stdout (stop-signals.ts) is 141, SIGPIPE's, as for any program whose reader went away.
 */
export const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 129, SIGINT: 130, SIGPIPE: 141, SIGTERM: 143 };

/** The commands, as COMMAND_FLAGS (flags.ts) keys them: here so the first chunk can name one without loading the flags. */
export const COMMAND_NAMES = ['plan', 'rollback', 'snapshot', 'restore', 'promote', 'down', 'smoke', 'sandbox', 'drill'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

/** The signals a person or a runner stops the command line with (stop-signals.ts STOP_SIGNALS less the closed stdout). */
const EARLY_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** The options: what comes before `--` (after it, everything is an argument). */
function options(argv: readonly string[]): readonly string[] {
  const end = argv.indexOf('--');
  return end < 0 ? argv : argv.slice(0, end);
}

/** --json among the options. */
export function wantsJson(argv: readonly string[]): boolean {
  return options(argv).includes('--json');
}

/** The command named on the command line, if one is. */
export function commandOf(argv: readonly string[]): CommandName | undefined {
  return argv.find((a): a is CommandName => (COMMAND_NAMES as readonly string[]).includes(a));
}

/** A flag's value as given (`--name value` or `--name=value`), before commander has read it. */
export function flagValue(argv: readonly string[], name: string): string | undefined {
  const opts = options(argv);
  for (let i = 0; i < opts.length; i++) {
    if (opts[i] === `--${name}`) return opts[i + 1];
    if (opts[i]!.startsWith(`--${name}=`)) return opts[i]!.slice(name.length + 3);
  }
  return undefined;
}

/**
 * The line of a stop while the command line loads. A --timeline (a later job of a split rollback)
 * makes it "this job changed nothing": true of any job, and reading whether the earlier job changed
 * production (job-words.ts) would load the timeline's parser before the handler. signals.ts, once
 * loaded, says it from the timeline itself.
 */
export function earlyStopLine(name: NodeJS.Signals, argv: readonly string[]): string {
  const command = commandOf(argv);
  const later = Boolean(flagValue(argv, 'timeline')?.trim());
  return `Stopped (${name}) before rollback-kit${command ? ` ${command}` : ''} started: ${later ? 'this job changed nothing' : 'nothing was changed'}.`;
}

/** The JSON document a --json run prints for a stop before its command began (signals.ts prints the same). */
export function stoppedJson(argv: readonly string[], line: string): string {
  return JSON.stringify({ command: commandOf(argv) ?? null, ok: false, status: 'failed', error: line }, null, 2);
}

/**
 * Holds the stops from the bin's first line: a stop says its line (and with --json its document)
 * and exits 128 + its number. Returns the release, called once signals.ts holds them: both hold
 * them for that moment, so a signal Node caught in between reaches signals.ts' handler, never
 * Node's default.
 */
export function holdEarlyStops(argv: readonly string[]): () => void {
  const onSignal = (name: NodeJS.Signals): void => {
    const line = earlyStopLine(name, argv);
    // Not through core/output.ts, which would load the Actions toolkit into the first chunk: the text is
    // fixed (see the top). Synchronous for files and pipes: written before the exit.
    // eslint-disable-next-line no-restricted-syntax -- the first chunk's one line, before output.ts loads
    process.stderr.write(`${line}\n`);
    // eslint-disable-next-line no-restricted-syntax -- as above
    if (wantsJson(argv)) process.stdout.write(`${stoppedJson(argv, line)}\n`);
    process.exit(SIGNAL_EXIT[name] ?? 1);
  };
  for (const sig of EARLY_SIGNALS) process.on(sig, onSignal);
  return () => {
    for (const sig of EARLY_SIGNALS) process.off(sig, onSignal);
  };
}
