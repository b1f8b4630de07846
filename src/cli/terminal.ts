/**
 * What a person at a terminal sees: one line per phase (a spinner while it runs, on a TTY only),
 * its time against its budget when done, then a table. Colours only on a TTY and never with
 * NO_COLOR; with --json nothing but the one JSON document reaches stdout. Every character goes
 * through src/core/output.ts, which makes outside text inert for a terminal and for a runner.
 */
import { output } from '../core/output.js';
import type { PhaseStatus, TimelineEntry } from '../pipeline/record.js';

export interface TerminalOptions {
  /** stderr is a terminal: spinners and prompts make sense. */
  tty: boolean;
  color: boolean;
  json: boolean;
  verbose: boolean;
}

/** NO_COLOR (any non-empty value, https://no-color.org) and --no-color win; colours only on a TTY. */
export function terminalOptions(env: Record<string, string | undefined>, flags: { json?: boolean; color?: boolean; verbose?: boolean }, tty: boolean): TerminalOptions {
  return { tty, color: tty && flags.color !== false && !env.NO_COLOR && env.TERM !== 'dumb', json: Boolean(flags.json), verbose: Boolean(flags.verbose) };
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, dim: 2, bold: 1 } as const;
type Paint = keyof typeof CODES;
const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const SYMBOL: Record<PhaseStatus, [string, Paint]> = {
  ok: ['✓', 'green'],
  failed: ['✗', 'red'],
  warning: ['!', 'yellow'],
  skipped: ['–', 'dim'],
  'nothing-to-do': ['=', 'dim'],
  'dry-run': ['○', 'blue'],
};

export function seconds(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s ? `${m} min ${s} s` : `${m} min`;
}

export class Terminal {
  private spinner: ReturnType<typeof setInterval> | undefined;
  private frame = 0;

  constructor(
    readonly options: TerminalOptions,
    /** The log's redaction: a secret never reaches the terminal, whatever the caller forgot. */
    private readonly redact: (text: string) => string = (t) => t,
  ) {}

  paint(color: Paint, text: string): string {
    return this.options.color ? `\x1b[${CODES[color]}m${text}\x1b[0m` : text;
  }

  /** A result line on stdout (not in --json mode). */
  say(text: string): void {
    if (this.options.json) return;
    this.stopSpinner();
    output.line(this.redact(text), 'stdout');
  }

  /** Progress and warnings: stderr, so stdout stays the result. */
  note(text: string): void {
    this.stopSpinner();
    output.line(this.redact(text), 'stderr');
  }

  /** A step of the command's own (the sandbox's deploys) on stderr; not in --json mode. */
  step(text: string): void {
    if (!this.options.json) this.note(`${this.paint('blue', '›')} ${text}`);
  }

  /** Library progress lines: shown with --verbose only; the phase rows already say what happened. */
  detail(text: string): void {
    if (this.options.verbose && !this.options.json) this.note(this.paint('dim', text));
  }

  warn(text: string): void {
    this.note(this.paint('yellow', `warning: ${text}`));
  }

  error(text: string): void {
    this.note(this.paint('red', `error: ${text}`));
  }

  /** A phase starts: on a TTY a spinner turns beside its name until `finished`. */
  started(label: string): void {
    if (this.options.json || !this.options.tty) return;
    this.stopSpinner();
    const draw = () => output.status(`${this.paint('blue', SPINNER[this.frame++ % SPINNER.length]!)} ${this.redact(label)}…`);
    draw();
    this.spinner = setInterval(draw, 80);
    this.spinner.unref();
  }

  /** A phase's row: symbol, name, status, time against budget, what it did. */
  finished(entry: TimelineEntry<string>): void {
    if (this.options.json) return;
    this.stopSpinner();
    const [symbol, color] = SYMBOL[entry.status];
    const name = `${entry.phase}${entry.component ? ` (${entry.component})` : ''}`.padEnd(22);
    const time = entry.status === 'skipped' ? ''.padEnd(20) : `${seconds(entry['duration-ms'])} of ${seconds(entry['budget-ms'])}`.padEnd(20);
    output.line(`${this.paint(color, symbol)} ${name} ${this.paint(color, entry.status.padEnd(13))} ${time} ${this.paint('dim', this.redact(entry.detail))}`, 'stderr');
  }

  table(headers: string[], rows: string[][]): void {
    if (this.options.json) return;
    const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
    this.say(this.paint('bold', line(headers)));
    for (const r of rows) this.say(line(r));
  }

  /** The --json document: the only thing on stdout. */
  json(document: unknown): void {
    this.stopSpinner();
    output.line(this.redact(JSON.stringify(document, null, 2)), 'stdout');
  }

  stopSpinner(): void {
    if (!this.spinner) return;
    clearInterval(this.spinner);
    this.spinner = undefined;
    output.status('');
  }
}
