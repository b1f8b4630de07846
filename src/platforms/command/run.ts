/**
 * command: the rollback is the user's own command (docker, pm2, kubectl…). It runs under bash with
 * the target in its environment, its output streamed to the log, and a time limit. When the limit
 * is reached or the step is stopped (the run cancelled, Ctrl-C), the command and everything it
 * started are ended (runProcess: its own process group, SIGTERM, then SIGKILL 10 s later), so no
 * background job of it goes on acting on production after the step said it failed. Its output passes through the Log
 * like every other line, so a line it prints cannot act as a workflow command. An optional verify
 * command (`kubectl rollout status`, a health check) runs after it within the same time limit: the
 * rollback is done only when that passes too.
 *
 * The command can say it changed nothing, the GitHub Actions way (as GITHUB_OUTPUT): ROLLBACK_KIT_OUTCOME
 * names an empty file it may write `status=already-current` (and `to=<id>`, what serves) into. That
 * file is outside text: read up to a cap, only a regular file, every line checked; anything else is
 * ignored with a warning, and the outcome is rolled-back as when nothing is written.
 *
 * Unlike the platform providers, this one cannot tell whether the release in production was put
 * there by a rollback, so the rollback-cascade guard (notPutBackAgain) cannot apply: an automatic
 * run says so (NO_CASCADE_GUARD) and the command decides, through the outcome file.
 */
import { constants as fsConstants } from 'node:fs';
import { lstat, mkdtemp, open, rm } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RollbackKitError } from '../../core/errors.js';
import { runProcess } from '../../core/process.js';
import type { Log } from '../../core/log.js';
import { hideUrlSecrets } from '../../core/url-secrets.js';
import { privateKeyLines, sqlWriteLines } from '../../core/token-shapes.js';
import type { ChangeGuard } from '../change-guard.js';

export interface CommandOptions {
  command: string;
  /** Runs after the command succeeds; its failure fails the rollback. */
  verifyCommand?: string;
  target: string;
  from?: string;
  reason?: string;
  timeoutSeconds: number;
  dryRun: boolean;
  cwd?: string;
  /** The environment the command inherits (the entry point passes the runner's). */
  baseEnv: Record<string, string | undefined>;
  /** Started by a deployment event, not a person: said in a warning, as no guard can apply (NO_CASCADE_GUARD). */
  automatic?: boolean;
  /**
   * The run's stop (change-guard.ts): the command is not started after it, nor the verify command;
   * one already running is ended, with what it started, and fails as stopped.
   */
  stop?: ChangeGuard;
}

export interface CommandResult {
  status: 'rolled-back' | 'already-current' | 'dry-run';
  /**
   * What serves now: what the command said in its outcome file (to=…), else the target it was given
   * when that names a release. Unset when neither tells (target `previous`, nothing said).
   */
  to?: string;
  exitCode?: number;
  /** Whether a verify command ran and passed. */
  verified: boolean;
  notes: string[];
}

/** How many of a failed command's last lines are said again where its output was not shown (Log.failedOutput). */
export const OUTPUT_TAIL_LINES = 20;

/** How long the command and what it started may take to end after SIGTERM (the limit, a stop) before SIGKILL. */
const KILL_AFTER_MS = 10_000;

/** How a command run ended: its exit status, or that the limit or a stop ended it. */
type Ended = { code: number } | { timedOut: true } | { stopped: true };

/** The variable naming the file the command may write its outcome into. */
export const OUTCOME_VARIABLE = 'ROLLBACK_KIT_OUTCOME';
/** Two short lines are all the file holds: anything longer is not an outcome. */
const OUTCOME_MAX_BYTES = 1024;
/** A deployment id, tag or image reference: no spaces, no control or Markdown characters. */
const OUTCOME_ID = /^[A-Za-z0-9][A-Za-z0-9._:/@+=-]{0,199}$/;

/** What an automatic run says: the rollback-cascade guard of the platform providers cannot apply here. */
export const NO_CASCADE_GUARD = `The command provider cannot tell whether the release in production was put there by a rollback, so the rollback-cascade guard does not apply to this automatic run: the command rolls back as for any other. If the command can tell (its own record of rollbacks), have it write status=already-current to $${OUTCOME_VARIABLE} rather than roll back from a release a rollback put there.`;

export type CommandOutcome = { status: 'rolled-back' | 'already-current'; to?: string } | { invalid: string };

/**
 * The outcome file's text: lines `status=rolled-back|already-current` and `to=<id>`, each at most
 * once; blank lines and a final newline are fine. No status line means rolled-back, as a command
 * that writes nothing does: `to=` alone says what serves after the rollback it made.
 */
export function parseOutcome(text: string): CommandOutcome {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) return { status: 'rolled-back' };
  const seen = new Map<string, string>();
  for (const line of lines) {
    const m = /^(status|to)=(.*)$/.exec(line);
    if (!m) return { invalid: 'a line that is not status=… or to=…' };
    if (seen.has(m[1]!)) return { invalid: `${m[1]} given twice` };
    seen.set(m[1]!, m[2]!);
  }
  const status = seen.get('status') ?? 'rolled-back';
  if (status !== 'rolled-back' && status !== 'already-current') return { invalid: 'a status other than already-current or rolled-back' };
  const to = seen.get('to');
  if (to !== undefined && !OUTCOME_ID.test(to)) return { invalid: 'a to= value that is not an id (letters, digits and ._:/@+=- only, at most 200)' };
  return { status, ...(to !== undefined ? { to } : {}) };
}

/** Reads the outcome file without ever blocking or filling memory: a regular file only, up to the cap. */
async function readOutcome(path: string): Promise<CommandOutcome> {
  let info;
  try {
    info = await lstat(path);
  } catch {
    // Removed by the command: nothing written.
    return { status: 'rolled-back' };
  }
  // A FIFO would block the read forever, a link could point anywhere.
  if (!info.isFile()) return { invalid: 'not a regular file' };
  if (info.size > OUTCOME_MAX_BYTES) return { invalid: `larger than ${OUTCOME_MAX_BYTES} bytes` };
  const file = await open(path, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  try {
    const buffer = Buffer.alloc(OUTCOME_MAX_BYTES + 1);
    const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
    if (bytesRead > OUTCOME_MAX_BYTES) return { invalid: `larger than ${OUTCOME_MAX_BYTES} bytes` };
    const text = buffer.subarray(0, bytesRead).toString('utf8');
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(text)) return { invalid: 'control characters' };
    return parseOutcome(text);
  } finally {
    await file.close();
  }
}

export async function runRollbackCommand(opts: CommandOptions, log: Log): Promise<CommandResult> {
  const command = opts.command.trim();
  if (!command) throw new RollbackKitError('Input command is required when provider is command.', 'Set command to the shell command that rolls back, e.g. docker compose up -d app@"$ROLLBACK_TARGET".');
  const verify = opts.verifyCommand?.trim() || undefined;
  const vars = { ROLLBACK_TARGET: opts.target, ROLLBACK_FROM: opts.from ?? '', ROLLBACK_REASON: opts.reason ?? '' };
  log.info(`Rollback command (bash, limit ${opts.timeoutSeconds} s) with ROLLBACK_TARGET=${vars.ROLLBACK_TARGET}${opts.from ? ` ROLLBACK_FROM=${opts.from}` : ''}:`);
  // A URL written into the command (a connection string) is shown as its output's are.
  log.info(`  ${hideUrlSecrets(log.redact(command))}`);
  if (verify) {
    log.info('Then the verify command, within the same limit:');
    log.info(`  ${hideUrlSecrets(log.redact(verify))}`);
  }
  const unguarded = opts.automatic ? [NO_CASCADE_GUARD] : [];
  for (const note of unguarded) log.warning(note);
  if (opts.dryRun) return { status: 'dry-run', ...namedTarget(opts.target), verified: false, notes: [`Dry run: the command${verify ? ' and the verify command were' : ' was'} not run.`, ...unguarded] };

  // The command gets the runner's environment but not this step's inputs: those include tokens
  // it has no business reading (INPUT_VERCEL-TOKEN, INPUT_GITHUB-TOKEN).
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.baseEnv)) if (v !== undefined && !k.startsWith('INPUT_')) env[k] = v;
  Object.assign(env, vars);
  // A fresh directory only this step uses (RUNNER_TEMP on a runner, which the job cleans up).
  const outcomeDir = await mkdtemp(join(opts.baseEnv.RUNNER_TEMP || tmpdir(), 'rollback-kit-outcome-'));
  try {
    const outcomeFile = join(outcomeDir, 'outcome');
    await (await open(outcomeFile, 'w', 0o600)).close();
    env[OUTCOME_VARIABLE] = outcomeFile;
    const result = await runWithOutcome(command, verify, outcomeFile, env, opts, log);
    return { ...result, notes: [...result.notes, ...unguarded] };
  } finally {
    await rm(outcomeDir, { recursive: true, force: true });
  }
}

async function runWithOutcome(command: string, verify: string | undefined, outcomeFile: string, env: Record<string, string>, opts: CommandOptions, log: Log): Promise<CommandResult> {
  const deadline = Date.now() + opts.timeoutSeconds * 1000;
  // The command changes production: not started once the run is stopped (change-guard.ts); started,
  // a stop ends it and what it started (runProcess), and it fails as stopped.
  opts.stop?.beforeChange('the rollback command');
  const ran = await runBash('the rollback command', command, opts.timeoutSeconds, env, opts, log);
  if ('timedOut' in ran) {
    throw new RollbackKitError(`The rollback command did not finish within ${opts.timeoutSeconds} s and was stopped, with everything it had started.`, 'Raise timeout-seconds, or make the command faster; check what it changed before re-running.');
  }
  if ('stopped' in ran) {
    throw new RollbackKitError('The rollback command was stopped before it finished, with everything it had started.', 'Check what it changed before re-running.');
  }
  const code = ran.code;
  if (code !== 0) {
    throw new RollbackKitError(`The rollback command exited with status ${code}.`, 'Its output is above; fix the cause and re-run the step.');
  }
  const outcome = await readOutcome(outcomeFile);
  if ('invalid' in outcome) {
    log.warning(`The rollback command's ${OUTCOME_VARIABLE} file was ignored (${outcome.invalid}): it may hold only the lines status=already-current or status=rolled-back, and to=<id>. The step reports rolled-back.`);
  }
  const said = 'invalid' in outcome ? { status: 'rolled-back' as const } : outcome;
  const to = said.to ?? namedTarget(opts.target).to;
  // Without a release to name, say what is known: what the command was given, and how it can tell.
  const unnamed = `it did not say which release serves now (it can: to=<id> in $${OUTCOME_VARIABLE})`;
  const notes =
    said.status === 'already-current'
      ? [`The rollback command finished (exit 0) and said through ${OUTCOME_VARIABLE} that nothing needed changing: ${to ? `${to} already serves` : `what served stays; ${unnamed}`}.`]
      : [to ? `The rollback command finished (exit 0) for target ${to}.` : `The rollback command finished (exit 0) with ROLLBACK_TARGET=${opts.target}; ${unnamed}.`];
  log.info(notes[0]!);
  const result = { status: said.status, ...(to ? { to } : {}), exitCode: code };
  if (!verify) return { ...result, verified: false, notes };

  const left = Math.ceil((deadline - Date.now()) / 1000);
  if (left <= 0) {
    throw new RollbackKitError(`The rollback command used the whole ${opts.timeoutSeconds} s, so the verify command could not run: the rollback is not confirmed.`, 'Raise timeout-seconds and re-run the step.');
  }
  opts.stop?.check('the verify command');
  log.info(`Verify command (limit ${left} s):`);
  const verified = await runBash('the verify command', verify, left, env, opts, log);
  if ('stopped' in verified) {
    throw new RollbackKitError('The rollback command finished, but the verify command was stopped before it passed: the rollback is not confirmed.', 'Check the service now, then re-run the step.');
  }
  if ('timedOut' in verified) {
    throw new RollbackKitError(`The rollback command finished, but the verify command did not pass within the ${opts.timeoutSeconds} s limit and was stopped: the rollback is not confirmed.`, 'Check the service now; raise timeout-seconds if it needs longer to become healthy, then re-run the step.');
  }
  const verifyCode = verified.code;
  if (verifyCode !== 0) {
    throw new RollbackKitError(`The rollback command finished, but the verify command exited with status ${verifyCode}: the rollback is not confirmed.`, 'Its output is above; check the service now, fix the cause and re-run the step.');
  }
  notes.push('The verify command passed (exit 0).');
  log.info(notes[1]!);
  return { ...result, verified: true, notes };
}

/** The target as a release's name, unless it is the keyword `previous`, which names none. */
function namedTarget(target: string): { to?: string } {
  const t = target.trim();
  return t && t.toLowerCase() !== 'previous' ? { to: t } : {};
}

/**
 * Runs `command`; when it fails (a status other than 0, or stopped), its last lines are said again
 * through Log.failedOutput under `what` ("the rollback command"), for a terminal that hid them.
 */
async function runBash(what: string, command: string, seconds: number, env: Record<string, string>, opts: CommandOptions, log: Log): Promise<Ended> {
  const tail: string[] = [];
  // A private key, or an SQL write, printed over many lines: each line alone does not show it is inside one.
  const keyLines = privateKeyLines();
  const sqlLines = sqlWriteLines();
  const line = (raw: string) => {
    // What the user's script prints is theirs: a database URL or a signed link it echoes holds a
    // secret we were never given, so the log mask cannot know it.
    // Registered secrets first: the mask knows them whole, and a URL shown without its userinfo
    // no longer reads as the whole secret (a webhook URL whose path is its credential).
    const text = sqlLines(keyLines(hideUrlSecrets(log.redact(raw))));
    log.info(text);
    tail.push(text);
    if (tail.length > OUTPUT_TAIL_LINES) tail.shift();
  };
  const ended = await runBashLines(command, seconds, env, opts, line);
  if (!('code' in ended && ended.code === 0) && tail.length) log.failedOutput(`The last ${tail.length === 1 ? 'line' : `${tail.length} lines`} of ${what}'s output:`, tail);
  return ended;
}

async function runBashLines(command: string, seconds: number, env: Record<string, string>, opts: CommandOptions, line: (text: string) => void): Promise<Ended> {
  const out = lineBuffer(line);
  const err = lineBuffer(line);
  let result;
  try {
    // Its output reaches the log through our writer, line by line: what a deploy tool prints
    // (image labels, server messages) must not become a workflow command of this step. The command
    // gets only this environment (`env`), not ours.
    result = await runProcess('bash', ['-eo', 'pipefail', '-c', command], {
      cwd: opts.cwd,
      env,
      inheritEnv: false,
      timeoutMs: seconds * 1000,
      killGraceMs: KILL_AFTER_MS,
      signal: opts.stop?.signal,
      onStdout: out.write,
      onStderr: err.write,
    });
  } catch (error) {
    throw new RollbackKitError(`Could not start the rollback command: ${(error as Error).message}.`, 'The runner needs bash (Linux and macOS runners have it).');
  }
  out.flush();
  err.flush();
  if (result.timedOut) return { timedOut: true };
  if (opts.stop?.stopped) return { stopped: true };
  // Ended by a signal from elsewhere: the shell's convention, 128 + its number.
  return { code: result.code ?? 128 + (result.signal ? (constants.signals[result.signal] ?? 0) : 0) };
}

/**
 * Whole lines out of a child's output chunks (already decoded); the last line is kept even without
 * a newline.
 */
function lineBuffer(emit: (line: string) => void): { write: (chunk: string) => void; flush: () => void } {
  let pending = '';
  return {
    write(chunk) {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) emit(line);
    },
    flush() {
      if (pending) emit(pending);
      pending = '';
    },
  };
}
