/**
 * What every command gets: its flags read as the actions read their inputs (same names, same
 * parsing, same error lines), secrets from a flag or their documented variable, a redacting log
 * wired to the terminal, and the confirmation rule for commands that change a database.
 */
import { inputsFrom, type Inputs } from '../core/action.js';
import { RollbackKitError } from '../core/errors.js';
import { createLog, type Log } from '../core/log.js';
import { output } from '../core/output.js';
import { declareEnvironmentSecrets, secretInput, TOKEN_ENV } from '../core/secret-input.js';
import { inThisJob, laterJob } from '../pipeline/job-words.js';
import type { RollbackRequest } from '../pipeline/rollback.js';
import { Terminal, type TerminalOptions } from './terminal.js';
import { COMMAND_FLAGS } from './flags.js';
import { wordingFor } from './wording.js';
import { commandBegan, madeByThisRun } from './signals.js';

/** Wrong flags, a missing required value, a refusal without --yes: exit 2 with the usage line. */
export class UsageError extends RollbackKitError {}

/** How long a confirmation prompt waits for a person before it refuses (every wait is bounded). */
const CONFIRM_TIMEOUT_MS = 5 * 60_000;

export interface CliEnvironment {
  env: Record<string, string | undefined>;
  cwd: string;
  stdinIsTTY: boolean;
}

export class Cli {
  readonly inputs: Inputs;
  readonly log: Log;
  readonly term: Terminal;
  /** Set by `begin()`: from then on a failure is the command's (exit 1), before it the usage's (exit 2). */
  started = false;
  /** The signal that stopped the command's work (stoppable.ts, the sandbox's cleanup), if one did. */
  stoppedBy: NodeJS.Signals | undefined;

  constructor(
    readonly command: keyof typeof COMMAND_FLAGS,
    private readonly flags: Record<string, unknown>,
    readonly host: CliEnvironment,
    options: TerminalOptions,
  ) {
    this.inputs = inputsFrom((name) => {
      const value = flags[camel(name)];
      return value === undefined || value === null ? '' : String(value);
    });
    // The one boundary every printed line crosses: secrets out, workflow wording into this command's flags.
    // A secret given by its variable only: messages about its value name the variable (wordingFor).
    // Read from the flags as given: inputs.string checks the value's size, and its refusal must reach
    // the terminal below to be worded.
    const fromVariable = (Object.keys(TOKEN_ENV) as (keyof typeof TOKEN_ENV)[]).filter((name) => !String(flags[camel(name)] ?? '').trim() && host.env[TOKEN_ENV[name]]?.trim());
    this.term = new Terminal(options, (text) => this.log.redact(text), wordingFor(COMMAND_FLAGS[command], undefined, fromVariable));
    this.log = createLog({
      info: (m) => this.term.detail(m),
      // Shown without --verbose: a phase that waits on a silent platform must not look hung.
      progress: (m) => (options.json ? this.term.detail(m) : this.term.note(m)),
      warning: (m) => this.term.warn(m),
      debug: (m) => (options.verbose ? this.term.detail(m) : undefined),
      // A failed command's output, which `detail` showed only with --verbose: the error after it says it is above.
      failedOutput: (heading, lines) => (options.verbose && !options.json ? undefined : this.term.quote(heading, lines)),
    });
    declareEnvironmentSecrets(host.env, this.log);
  }

  get env(): Record<string, string | undefined> {
    return this.host.env;
  }

  get cwd(): string {
    return this.host.cwd;
  }

  get dryRun(): boolean {
    return this.flags.dryRun === true;
  }

  get searchPath(): string {
    return this.host.env.PATH ?? '';
  }

  /** A secret from its flag or, when that is empty, its documented environment variable; redacted from then on. */
  secret(name: keyof typeof TOKEN_ENV): string | undefined {
    return secretInput(name, this.host.env, this.log, this.inputs);
  }

  /**
   * How the person gave a secret, for messages about it: its flag when that was given (whatever the
   * shell's variable holds), else its environment variable. A message naming the other one sends
   * them to fix something they never set.
   */
  secretSource(name: keyof typeof TOKEN_ENV): string {
    return this.inputs.string(name) ? `--${name}` : TOKEN_ENV[name];
  }

  /** Every platform's token and GitHub's, as the pipeline takes them: the rollback and the drill read the same ones. */
  platformSecrets(): RollbackRequest['secrets'] {
    return {
      vercelToken: this.secret('vercel-token'),
      flyToken: this.secret('fly-token'),
      railwayToken: this.secret('railway-token'),
      renderToken: this.secret('render-token'),
      netlifyToken: this.secret('netlify-token'),
      githubToken: this.secret('github-token'),
    };
  }

  /** A secret the command cannot run without; a missing one is named with both ways to give it. */
  requireSecret(name: keyof typeof TOKEN_ENV): string {
    const value = this.secret(name);
    if (!value) throw new UsageError(`${TOKEN_ENV[name]} is not set and --${name} was not given.`, `Export ${TOKEN_ENV[name]} (from your password manager or the platform's settings) and run the command again.`);
    return value;
  }

  /**
   * A change to a database needs a yes: typed at a terminal, or --yes when nobody is there to ask.
   * `answer` is what the person must type (the database's name), so a reflex "y" is not enough.
   */
  async confirm(what: string, answer: string): Promise<void> {
    if (this.dryRun || this.flags.yes === true) return;
    if (!this.host.stdinIsTTY || !this.term.options.tty || this.term.options.json) {
      throw new UsageError(`${what}: refusing without --yes, because there is no terminal to ask.`, `Run it again with --yes to go ahead, or with --dry-run to see what it would do. Nothing was changed.`);
    }
    const timer = new AbortController();
    const timeout = setTimeout(() => timer.abort(), CONFIRM_TIMEOUT_MS);
    try {
      const typed = await output.ask(`${this.log.redact(what)}.\nType ${answer} to go ahead: `, timer.signal);
      if (typed.trim() !== answer) throw new UsageError(`Not confirmed (expected "${answer}"). Nothing was changed.`);
    } finally {
      clearTimeout(timeout);
    }
  }

  /**
   * Names the plan gave its components (or the provider promote runs): shown as they are, not as
   * the flag of the same name. Only those that are one of this command's flags need it; the others
   * the wording leaves alone already, and a whole sentence it rewrites may hold them ("A git-revert
   * component needs …").
   */
  ownNames(names: readonly string[]): void {
    const flags: readonly string[] = COMMAND_FLAGS[this.command];
    this.term.keepNames(names.filter((n) => flags.includes(n)));
  }

  /**
   * An error's line in the words of this job: refused before the command began, a later job of a
   * split rollback (its --timeline says an earlier job changed production) says "this job changed
   * nothing", as the root action does (job-words.ts); once it began, the pipeline words its own.
   */
  inThisJob(line: string): string {
    return this.started ? line : inThisJob(line, laterJob(this.inputs.string('timeline')));
  }

  /** A folder or file this run made (its output folder, the .gitignore in it): a stop at any point removes it again while it holds nothing else (signals.ts). */
  made(path: string, withContents?: boolean): () => void {
    return madeByThisRun(path, withContents);
  }

  /** Everything the command was given is read and checked: failures from here on are exit 1. */
  begin(): void {
    this.started = true;
    // From here a stop is the command's to say (its stop logic), not "nothing was changed" (signals.ts).
    commandBegan();
  }
}

/** commander's property name for a flag: --database-url → databaseUrl. */
export function camel(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
