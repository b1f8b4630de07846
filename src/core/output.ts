/**
 * The one writer between rollback-kit and the runner's log. The runner reads every line a step
 * prints (stdout and stderr) as a possible workflow command: a line whose first non-blank
 * characters are `::` (`::set-output`, `::add-mask::`, `::stop-commands::`…), and, in the old
 * form, `##[name]` anywhere in a line. Our lines carry outside text (paths, migration file names,
 * check names, server messages, a command's output), and a newline inside such text would start a
 * new line that the runner obeys. So plain lines are split where the runner splits them (\n, \r)
 * and each one is made inert; our own commands (annotations, masks, failure) are issued by
 * @actions/core, which escapes their data and properties so they stay one line.
 */
import { core } from './actions-core.js';
import { EOL } from 'node:os';

/** Where the runner splits lines (.NET ReadLine: \r\n, \r or \n). */
const LINE_BREAK = /\r\n|\r|\n/;
/** The runner trims leading whitespace (.NET's definition, which includes U+0085) before looking for `::`. */
const LEADING_COMMAND = /^([\s\u0085]*)::/;
const OLD_FORM_COMMAND = /##\[/g;

/**
 * One line the runner will not read as a command: a leading `::` and any `##[` are written with
 * the runner's own percent escapes (`%3A%3A`, `##%5B`), so the text stays readable.
 */
export function inertLine(line: string): string {
  return line.replace(LEADING_COMMAND, '$1%3A%3A').replace(OLD_FORM_COMMAND, '##%5B');
}

/** Text of any number of lines, as the inert lines the runner will see. */
export function inertLines(text: string): string[] {
  return text.split(LINE_BREAK).map(inertLine);
}

/**
 * Control characters a terminal would obey (cursor moves, title changes, clearing the screen), from
 * outside text; colour codes (SGR, `ESC[…m`) are kept, since the command line's own are added the
 * same way and a stray one only changes a colour.
 */
// eslint-disable-next-line no-control-regex
const TERMINAL_CONTROL = /\x1b(?!\[[0-9;]*m)|[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f\x9b]/g;

/** Text for a terminal: inert for the runner (a CLI run may be a workflow step) and for the terminal. */
export function terminalLines(text: string): string[] {
  return inertLines(text.replace(TERMINAL_CONTROL, ''));
}

export type AnnotationLevel = 'error' | 'warning' | 'notice';

type Stream = 'stdout' | 'stderr';

/**
 * Streams whose reader is gone: a pipe closed on us (`rollback-kit sandbox | head -1`: EPIPE), a
 * terminal hung up (EIO), a full disk under a redirect. Node reports a failed write as an 'error'
 * event, and with nobody listening that event killed the process at once, mid-run, its cleanup
 * never run. Instead a line meant for a gone stdout goes to stderr (the closing lines of a stopped
 * run must reach someone), and a line for a gone stderr is dropped.
 */
const gone: Record<Stream, boolean> = { stdout: false, stderr: false };
/** Told when stdout's reader closed the pipe: stop-signals.ts takes that as a stop (SIGPIPE). */
const stdoutClosedListeners = new Set<() => void>();
let stdoutClosed = false;

function lost(stream: Stream, err: NodeJS.ErrnoException): void {
  if (gone[stream]) return;
  gone[stream] = true;
  if (stream !== 'stdout' || err.code !== 'EPIPE') return;
  stdoutClosed = true;
  for (const listener of [...stdoutClosedListeners]) listener();
}

for (const stream of ['stdout', 'stderr'] as const) process[stream].on('error', (err: NodeJS.ErrnoException) => lost(stream, err));

/** Writes `text` where it can still be read; a stdout line its failed write lost is written again on stderr. */
function write(stream: Stream, text: string): void {
  const to: Stream = stream === 'stdout' && gone.stdout ? 'stderr' : stream;
  if (gone[to]) return;
  process[to].write(text, (err) => {
    if (!err) return;
    lost(to, err);
    if (to === 'stdout') write('stderr', text);
  });
}

export const output = {
  /** Plain log lines; nothing in `text` can become a workflow command. */
  info(text: string): void {
    write('stdout', inertLines(text).join(EOL) + EOL);
  },
  /** An annotation: @actions/core escapes the message and the properties (title) into one line. */
  annotate(level: AnnotationLevel, message: string, props: { title?: string } = {}): void {
    if (level === 'error') core.error(message, props);
    else if (level === 'warning') core.warning(message, props);
    else core.notice(message, props);
  },
  /** Only shown with step debug logging; escaped by @actions/core like an annotation. */
  debug(message: string): void {
    core.debug(message);
  },
  /** Asks the runner to mask a value (`::add-mask::`, escaped by @actions/core). */
  mask(value: string): void {
    core.setSecret(value);
  },
  /** A line for the command line's reader: `stdout` for results, `stderr` for progress and errors. */
  line(text: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
    write(stream, terminalLines(text).join(EOL) + EOL);
  },
  /** Replaces the terminal's current line on stderr (a spinner); `''` clears it. Only for a TTY. */
  status(text: string): void {
    write('stderr', `\r\x1b[2K${terminalLines(text).join(' ')}`);
  },
  /**
   * Calls `listener` when stdout's reader closes the pipe (at once when it already has); returns
   * what stops listening.
   */
  onStdoutClosed(listener: () => void): () => void {
    if (stdoutClosed) {
      listener();
      return () => undefined;
    }
    stdoutClosedListeners.add(listener);
    return () => void stdoutClosedListeners.delete(listener);
  },
  /** Whether a person is there: stdin and stderr are terminals (prompts, spinners, colours). */
  terminal(): { stdin: boolean; stderr: boolean } {
    return { stdin: Boolean(process.stdin.isTTY), stderr: Boolean(process.stderr.isTTY) };
  },
  /** Asks on stderr and reads one line from `input` (stdin); '' when `signal` aborts first or the input ends. */
  async ask(question: string, signal: AbortSignal, input: NodeJS.ReadableStream = process.stdin): Promise<string> {
    // Loaded here, not with every action's bundle: only the command line asks anything.
    const { createInterface } = await import('node:readline/promises');
    const rl = createInterface({ input, output: process.stderr });
    // Input that ends (Ctrl-D at the prompt, a stdin closed) closes the interface, and Node 20
    // leaves the question pending for ever: the person would wait out the caller's timeout for an
    // answer that can no longer come. No answer is an empty one.
    const closed = new Promise<string>((resolve) => rl.once('close', () => resolve('')));
    try {
      return await Promise.race([rl.question(terminalLines(question).join(EOL), { signal }).catch(() => ''), closed]);
    } finally {
      rl.close();
    }
  },
  /** The step's one `::error::` line and a non-zero exit code. */
  fail(message: string): void {
    core.setFailed(message);
  },
};
