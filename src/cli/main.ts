/**
 * `rollback-kit`: the command line over the same library the actions call. commander parses the
 * flags (the actions' input names); each command reads them as its action reads inputs, runs the
 * library call, and prints through the terminal writer. Exit codes: 0 done, 1 failed, 2 bad usage,
 * 128 + the signal's number when stopped before it was done: 129 SIGHUP (the terminal or SSH session
 * went away), 130 SIGINT (Ctrl-C), 141 stdout closed (SIGPIPE's: `| head`), 143 SIGTERM.
 */
import { Command, CommanderError, Option, type AddHelpTextContext } from 'commander';
import { errorLine, RollbackKitError } from '../core/errors.js';
import { output } from '../core/output.js';
import { TOKEN_ENV } from '../core/secret-input.js';
import type { CommandResult, CommandSpec } from './command.js';
import { COMMANDS } from './commands/index.js';
import { Cli, UsageError, type CliEnvironment } from './context.js';
import { COMMAND_FLAGS, flagHelp, flagOf, FLAGS } from './flags.js';
import { commandOf, forgetMade, madeFolderLeft, SIGNAL_EXIT, undoMade, wantsJson } from './signals.js';
import { terminalOptions } from './terminal.js';
import { VERSION } from './version.js';

const EXIT = { done: 0, failed: 1, usage: 2 } as const;

function usageLine(cmd: Command): string {
  return `Usage: rollback-kit ${cmd.name() === 'rollback-kit' ? '' : `${cmd.name()} `}${cmd.usage()}\nRun rollback-kit ${cmd.name() === 'rollback-kit' ? '' : `${cmd.name()} `}--help for the flags and examples.`;
}

function addFlags(cmd: Command, spec: CommandSpec): void {
  const names: readonly string[] = COMMAND_FLAGS[spec.name];
  for (const name of names) {
    const help = flagHelp(name, spec.name);
    const flag = FLAGS[name]!;
    if (flag.kind === 'switch' || flag.kind === 'on') cmd.addOption(new Option(flagOf(name), help));
    else cmd.addOption(new Option(`--${name} <${flag.placeholder ?? 'value'}>`, help));
  }
  for (const extra of spec.extra ?? []) cmd.option(extra.flags, extra.help);
  cmd.option('--json', 'print one JSON document (for scripts) instead of text');
  if (spec.asks) cmd.option('-y, --yes', 'change the database without asking for its name (needed when there is no terminal to ask)');
  cmd.option('--verbose', 'also print every step the library reports');
  cmd.option('--no-color', 'no colours (NO_COLOR does the same)');
}

/** The root help's list of secrets: each environment variable, and the flag that gives it instead. */
function secretsHelp(): string {
  const width = Math.max(...Object.values(TOKEN_ENV).map((v) => v.length));
  const rows = Object.entries(TOKEN_ENV).map(([name, variable]) => `  ${variable.padEnd(width)}  or ${flagOf(name)}`);
  return `Secrets come from these environment variables, or from the flag beside each:\n${rows.join('\n')}`;
}

/**
 * The narrowest description column commander still wraps. Its default, 40, left every description of
 * down's help on one line (its longest flag, --statement-timeout-seconds <seconds>, leaves 39 of 80
 * columns), where every other command's wrapped.
 */
const MIN_WIDTH_TO_WRAP = 20;

/**
 * Text after a command's help (its examples, the root's secrets and exit codes), wrapped by the
 * wrapper that wraps the rest of that help (commander's Help, as configured) at the same width: the
 * terminal's columns, 80 when the help does not go to a terminal. A line that goes on is indented
 * under its start, four columns in, as an example's arguments.
 */
function afterHelp(text: string): (context: AddHelpTextContext) => string {
  return ({ error, command }) => {
    const out = command.configureOutput();
    const width = (error ? out.getErrHelpWidth?.() : out.getOutHelpWidth?.()) ?? 80;
    const help = command.createHelp();
    return text
      .split('\n')
      .map((line) => {
        const indent = line.length - line.trimStart().length;
        const hang = indent ? indent + 4 : 0;
        const [first, ...rest] = help.boxWrap(line.trimStart(), width - hang).split('\n');
        return [' '.repeat(indent) + first, ...rest.map((l) => ' '.repeat(hang) + l)].join('\n');
      })
      .join('\n');
  };
}

/** Where the command line runs: the process's environment and folder, or a test's. */
export type Host = Pick<CliEnvironment, 'env' | 'cwd'>;

async function runCommand(spec: CommandSpec, argument: string | undefined, flags: Record<string, unknown>, cmd: Command, host: Host): Promise<number> {
  const tty = output.terminal();
  const cli = new Cli(spec.name, flags, { ...host, stdinIsTTY: tty.stdin }, terminalOptions(host.env, flags, tty.stderr));
  let result: CommandResult;
  try {
    result = await spec.run(cli, argument, flags);
  } catch (err) {
    cli.term.stopSpinner();
    const usage = err instanceof UsageError || (!cli.started && err instanceof RollbackKitError);
    const left = undoIfStopped(cli);
    const line = cli.log.redact(`${cli.inThisJob(errorLine(err))}${left ? ` ${left}` : ''}`);
    if (!(err instanceof RollbackKitError) && err instanceof Error && err.stack) cli.log.debug(err.stack);
    if (cli.term.options.json) cli.term.json({ command: spec.name, ok: false, status: usage ? 'usage' : 'failed', error: line });
    else {
      cli.term.error(line);
      if (usage) cli.term.note(usageLine(cmd));
    }
    return usage ? EXIT.usage : failedExit(cli);
  }
  const left = undoIfStopped(cli);
  if (left) cli.term.note(cli.log.redact(left));
  if (cli.term.options.json) cli.term.json({ command: spec.name, ...result });
  return result.ok ? EXIT.done : failedExit(cli);
}

/**
 * A stop once the command began: the folders this run made are removed while they hold nothing but
 * what it put there (its .gitignore; what it wrote besides was removed by the stop), as a stop before
 * it began does (signals.ts). Returns what is left, said; '' when nothing is.
 */
function undoIfStopped(cli: Cli): string {
  if (!cli.stoppedBy) {
    forgetMade();
    return '';
  }
  return madeFolderLeft(undoMade('it is not empty'));
}

/** 1, or 128 + the signal's number (SIGNAL_EXIT) when a signal or a closed stdout stopped the work before it was done (a result that came anyway stands: exit 0). */
function failedExit(cli: Cli): number {
  return (cli.stoppedBy && SIGNAL_EXIT[cli.stoppedBy]) ?? EXIT.failed;
}

/**
 * commander quotes what it could not parse ("unknown option '--vercel-tokn=ghp_…'", "unknown
 * command 'ghp_…'"), and a mistyped flag's value is as likely a token as anything. Every value on
 * the command line that is not a plain word is cut from its messages before they are printed.
 */
export function hideArgvValues(text: string, argv: readonly string[]): string {
  let out = text;
  for (const arg of argv) {
    const value = arg.startsWith('-') ? (arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : '') : arg;
    // Plain words (a mistyped command) and short values (counts, numbers) stay readable.
    if (value.length < 8 || /^[a-z][a-z-]{0,30}$/i.test(value)) continue;
    out = out.split(value).join('…');
  }
  return out;
}

export function program(setExit: (code: number) => void, argv: readonly string[] = [], host: Host = { env: process.env, cwd: process.cwd() }): Command {
  const root = new Command('rollback-kit')
    .description('Roll a bad deploy back from a terminal: the same pipeline as the rollback-kit GitHub Actions.')
    .usage('<command> [options]')
    .version(VERSION, '-V, --version', 'print the version')
    .showSuggestionAfterError(true)
    .configureHelp({ minWidthToWrap: MIN_WIDTH_TO_WRAP })
    .exitOverride()
    .configureOutput({
      writeOut: (text) => output.line(text.replace(/\n$/, ''), 'stdout'),
      writeErr: (text) => output.line(hideArgvValues(text.replace(/\n$/, ''), argv), 'stderr'),
    });
  root.addHelpText('after', afterHelp(`\nEvery command takes --help.\n${secretsHelp()}\nExit codes: 0 done, 1 failed, 2 bad usage, 130/143/129 stopped (Ctrl-C/SIGTERM/SIGHUP), 141 stdout closed.`));
  for (const spec of COMMANDS) {
    const cmd = root.command(spec.name).description(spec.summary);
    if (spec.argument) cmd.argument(`[${spec.argument.name}]`, spec.argument.help);
    addFlags(cmd, spec);
    cmd.addHelpText('after', afterHelp(`\nExamples:\n${spec.examples.map((e) => `  ${e}`).join('\n')}`));
    cmd.configureOutput({
      writeOut: (text) => output.line(text.replace(/\n$/, ''), 'stdout'),
      writeErr: (text) => output.line(hideArgvValues(text.replace(/\n$/, ''), argv), 'stderr'),
      outputError: (text, write) => write(`${text.replace(/\n$/, '')}\n${usageLine(cmd)}\n`),
    });
    cmd.action(async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      const argument = spec.argument ? (args[0] as string | undefined) : undefined;
      setExit(await runCommand(spec, argument, command.opts(), command, host));
    });
  }
  return root;
}

/** Runs the command line on `argv` (without node and the script) and returns the exit code. */
export async function main(argv: string[], host?: Host): Promise<number> {
  let code: number = EXIT.done;
  const root = program((c) => (code = c), argv, host);
  if (!argv.length) {
    root.outputHelp({ error: true });
    return EXIT.usage;
  }
  try {
    await root.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.done;
      if (err.code === 'commander.unknownCommand') output.line(usageLine(root), 'stderr');
      // README: --json prints one JSON document, parse errors included (commander's line is on stderr).
      if (wantsJson(argv)) output.line(JSON.stringify({ command: commandOf(argv) ?? null, ok: false, status: 'usage', error: hideArgvValues(err.message.replace(/^error: /, ''), argv) }, null, 2), 'stdout');
      return EXIT.usage;
    }
    throw err;
  }
  return code;
}
