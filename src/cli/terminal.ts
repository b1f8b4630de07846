/**
 * What a person at a terminal sees: one line per phase (a spinner while it runs, on a TTY only),
 * its time against its budget when done, then a table. Colours only on a TTY and never with
 * NO_COLOR; with --json nothing but the one JSON document reaches stdout. Every character goes
 * through src/core/output.ts, which makes outside text inert for a terminal and for a runner.
 */
import { formatDuration } from '../core/duration.js';
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

/** Where a name of rollback-kit's own stands while the wording runs: private-use characters no rule matches. */
const KEPT = /\uE000(\d+)\uE001/g;

export class Terminal {
  private spinner: ReturnType<typeof setInterval> | undefined;
  private frame = 0;
  /** See `keepNames`: longest first, so a name inside a longer one is not taken out of it. */
  private ownNames: string[] = [];

  constructor(
    readonly options: TerminalOptions,
    /** The log's redaction: a secret never reaches the terminal, whatever the caller forgot. */
    private readonly redact: (text: string) => string = (t) => t,
    /** The command's wording (wording.ts): applied to each message whole, before a prefix or a column is added. */
    private readonly words: (text: string) => string = (t) => t,
  ) {}

  /**
   * Names of rollback-kit's own that messages label things with (a plan's components, a provider),
   * kept out of the wording: a component may be called what a flag is called (the command
   * provider's single component is "command"), and its label is not that flag: "command: v2 → v1",
   * not "--command v2 → v1". Cli.ownNames passes only the names that are flags.
   */
  keepNames(names: readonly string[]): void {
    this.ownNames = [...new Set([...this.ownNames, ...names.filter(Boolean)])].sort((a, b) => b.length - a.length);
  }

  /** Text as it is shown: secrets out (first, so a rewording can never split one), then in the command line's words. */
  private shown(text: string): string {
    const redacted = this.redact(text);
    if (!this.ownNames.length) return this.words(redacted);
    const kept: string[] = [];
    const names = new RegExp(`(?<![\\w-])(?:${this.ownNames.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})(?![\\w-])`, 'g');
    const worded = this.words(redacted.replace(names, (name) => `\uE000${kept.push(name) - 1}\uE001`));
    return worded.replace(KEPT, (marker, i: string) => kept[Number(i)] ?? marker);
  }

  private emit(text: string, stream: 'stdout' | 'stderr'): void {
    this.stopSpinner();
    output.line(text, stream);
  }

  paint(color: Paint, text: string): string {
    return this.options.color ? `\x1b[${CODES[color]}m${text}\x1b[0m` : text;
  }

  /** A result line on stdout (not in --json mode). */
  say(text: string): void {
    if (!this.options.json) this.emit(this.shown(text), 'stdout');
  }

  /** Progress and warnings: stderr, so stdout stays the result. */
  note(text: string): void {
    this.emit(this.shown(text), 'stderr');
  }

  /** A step of the command's own (the sandbox's deploys) on stderr; not in --json mode. */
  step(text: string): void {
    if (!this.options.json) this.emit(`${this.paint('blue', '›')} ${this.shown(text)}`, 'stderr');
  }

  /**
   * A named row of a list on stdout ("✓ checks: 3 smoke check(s) loaded"): the name is rollback-kit's
   * own (a readiness check, a component), shown as it is; only the detail is a message, worded as one.
   */
  item(symbol: string, name: string, detail: string): void {
    if (!this.options.json) this.emit(`  ${symbol} ${this.redact(name)}: ${this.shown(detail)}`, 'stdout');
  }

  /** Library progress lines: shown with --verbose only; the phase rows already say what happened. */
  detail(text: string): void {
    if (this.options.verbose && !this.options.json) this.emit(this.paint('dim', this.shown(text)), 'stderr');
  }

  /**
   * Lines a program printed, under a heading of ours, on stderr: redacted (the log did) and made
   * inert by the writer, but not worded, since they are not our messages; in --json mode too, as
   * the document's error says the output is above.
   */
  quote(heading: string, lines: readonly string[]): void {
    this.emit(this.shown(heading), 'stderr');
    for (const line of lines) this.emit(`${this.paint('dim', '│')} ${this.redact(line)}`, 'stderr');
  }

  warn(text: string): void {
    this.emit(this.paint('yellow', `warning: ${this.shown(text)}`), 'stderr');
  }

  error(text: string): void {
    this.emit(this.paint('red', `error: ${this.shown(text)}`), 'stderr');
  }

  /** A phase starts: on a TTY a spinner turns beside its name until `finished`. */
  started(label: string): void {
    if (this.options.json || !this.options.tty) return;
    this.stopSpinner();
    const draw = () => output.status(`${this.paint('blue', SPINNER[this.frame++ % SPINNER.length]!)} ${this.shown(label)}…`);
    draw();
    this.spinner = setInterval(draw, 80);
    this.spinner.unref();
  }

  /** A phase's row: symbol, name, status, time against budget, what it did. */
  finished(entry: TimelineEntry<string>): void {
    if (this.options.json) return;
    const [symbol, color] = SYMBOL[entry.status];
    const name = `${entry.phase}${entry.component ? ` (${entry.component})` : ''}`.padEnd(22);
    const time = entry.status === 'skipped' ? ''.padEnd(20) : `${formatDuration(entry['duration-ms'])} of ${formatDuration(entry['budget-ms'])}`.padEnd(20);
    this.emit(`${this.paint(color, symbol)} ${name} ${this.paint(color, entry.status.padEnd(13))} ${time} ${this.paint('dim', this.shown(entry.detail))}`, 'stderr');
  }

  /** Columns as wide as their widest cell once shown; each cell is worded on its own. */
  table(headers: string[], rows: string[][]): void {
    if (this.options.json) return;
    const cells = rows.map((r) => r.map((c) => this.shown(c)));
    const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
    const line = (row: string[]) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
    this.emit(this.paint('bold', line(headers)), 'stdout');
    for (const r of cells) this.emit(line(r), 'stdout');
  }

  /** The --json document: the only thing on stdout. Each string is worded on its own; keys stay as they are. */
  json(document: unknown): void {
    this.emit(this.redact(JSON.stringify(this.wordStrings(document), null, 2)), 'stdout');
  }

  private wordStrings(value: unknown): unknown {
    if (typeof value === 'string') return this.shown(value);
    if (Array.isArray(value)) return value.map((v) => this.wordStrings(v));
    if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.wordStrings(v)]));
    }
    return value;
  }

  stopSpinner(): void {
    if (!this.spinner) return;
    clearInterval(this.spinner);
    this.spinner = undefined;
    output.status('');
  }
}
