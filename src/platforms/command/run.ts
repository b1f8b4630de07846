/**
 * command: the rollback is the user's own command (docker, pm2, kubectl…). It runs under bash with
 * the target in its environment, its output streamed to the log, and a time limit enforced by
 * coreutils `timeout`, which also kills what the command started. Its output passes through the Log
 * like every other line, so a line it prints cannot act as a workflow command. An optional verify
 * command (`kubectl rollout status`, a health check) runs after it within the same time limit: the
 * rollback is done only when that passes too.
 */
import { StringDecoder } from 'node:string_decoder';
import { RollbackKitError } from '../../core/errors.js';
import type { Log } from '../../core/log.js';

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
}

export interface CommandResult {
  status: 'rolled-back' | 'dry-run';
  exitCode?: number;
  /** Whether a verify command ran and passed. */
  verified: boolean;
  notes: string[];
}

/** `timeout` exits 124 when the limit hit (137 after the follow-up KILL). */
const TIMED_OUT = new Set([124, 137]);
const KILL_AFTER_SECONDS = 10;

export async function runRollbackCommand(opts: CommandOptions, log: Log): Promise<CommandResult> {
  const command = opts.command.trim();
  if (!command) throw new RollbackKitError('Input command is required when provider is command.', 'Set command to the shell command that rolls back, e.g. docker compose up -d app@"$ROLLBACK_TARGET".');
  const verify = opts.verifyCommand?.trim() || undefined;
  const vars = { ROLLBACK_TARGET: opts.target, ROLLBACK_FROM: opts.from ?? '', ROLLBACK_REASON: opts.reason ?? '' };
  log.info(`Rollback command (bash, limit ${opts.timeoutSeconds} s) with ROLLBACK_TARGET=${vars.ROLLBACK_TARGET}${opts.from ? ` ROLLBACK_FROM=${opts.from}` : ''}:`);
  log.info(`  ${command}`);
  if (verify) {
    log.info('Then the verify command, within the same limit:');
    log.info(`  ${verify}`);
  }
  if (opts.dryRun) return { status: 'dry-run', verified: false, notes: [`Dry run: the command${verify ? ' and the verify command were' : ' was'} not run.`] };

  // The command gets the runner's environment but not this step's inputs: those include tokens
  // it has no business reading (INPUT_VERCEL-TOKEN, INPUT_GITHUB-TOKEN).
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.baseEnv)) if (v !== undefined && !k.startsWith('INPUT_')) env[k] = v;
  Object.assign(env, vars);
  const deadline = Date.now() + opts.timeoutSeconds * 1000;
  const code = await runBash(command, opts.timeoutSeconds, env, opts.cwd, log);
  if (TIMED_OUT.has(code)) {
    throw new RollbackKitError(`The rollback command did not finish within ${opts.timeoutSeconds} s and was stopped.`, 'Raise timeout-seconds, or make the command faster; check what it changed before re-running.');
  }
  if (code !== 0) {
    throw new RollbackKitError(`The rollback command exited with status ${code}.`, 'Its output is above; fix the cause and re-run the step.');
  }
  const notes = [`The rollback command finished (exit 0) for target ${opts.target}.`];
  log.info(notes[0]!);
  if (!verify) return { status: 'rolled-back', exitCode: code, verified: false, notes };

  const left = Math.ceil((deadline - Date.now()) / 1000);
  if (left <= 0) {
    throw new RollbackKitError(`The rollback command used the whole ${opts.timeoutSeconds} s, so the verify command could not run: the rollback is not confirmed.`, 'Raise timeout-seconds and re-run the step.');
  }
  log.info(`Verify command (limit ${left} s):`);
  const verifyCode = await runBash(verify, left, env, opts.cwd, log);
  if (TIMED_OUT.has(verifyCode)) {
    throw new RollbackKitError(`The rollback command finished, but the verify command did not pass within the ${opts.timeoutSeconds} s limit and was stopped: the rollback is not confirmed.`, 'Check the service now; raise timeout-seconds if it needs longer to become healthy, then re-run the step.');
  }
  if (verifyCode !== 0) {
    throw new RollbackKitError(`The rollback command finished, but the verify command exited with status ${verifyCode}: the rollback is not confirmed.`, 'Its output is above; check the service now, fix the cause and re-run the step.');
  }
  notes.push('The verify command passed (exit 0).');
  log.info(notes[1]!);
  return { status: 'rolled-back', exitCode: code, verified: true, notes };
}

async function runBash(command: string, seconds: number, env: Record<string, string>, cwd: string | undefined, log: Log): Promise<number> {
  const out = lineBuffer((line) => log.info(line));
  const err = lineBuffer((line) => log.info(line));
  try {
    // Loaded here, not with the module: only this provider runs a command.
    const { exec } = await import('@actions/exec');
    const code = await exec('timeout', [`--kill-after=${KILL_AFTER_SECONDS}`, String(seconds), 'bash', '-eo', 'pipefail', '-c', command], {
      cwd,
      env,
      ignoreReturnCode: true,
      // Its output reaches the log through our writer, line by line: what a deploy tool prints
      // (image labels, server messages) must not become a workflow command of this step.
      silent: true,
      listeners: { stdout: out.write, stderr: err.write },
    });
    out.flush();
    err.flush();
    return code;
  } catch (error) {
    throw new RollbackKitError(`Could not start the rollback command: ${(error as Error).message}.`, 'The runner needs bash and coreutils timeout (Linux runners have both).');
  }
}

/**
 * Whole lines out of a child's output chunks; the last line is kept even without a newline
 * (@actions/exec's own line listeners drop it).
 */
function lineBuffer(emit: (line: string) => void): { write: (chunk: Buffer) => void; flush: () => void } {
  // A chunk can end inside a multi-byte character: the decoder keeps it for the next one.
  const decoder = new StringDecoder('utf8');
  let pending = '';
  return {
    write(chunk) {
      const lines = (pending + decoder.write(chunk)).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) emit(line);
    },
    flush() {
      pending += decoder.end();
      if (pending) emit(pending);
      pending = '';
    },
  };
}
