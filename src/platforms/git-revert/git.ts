/**
 * Runs git in the checkout with a bounded wait; failures carry git's own words, redacted. The run's
 * stop (change-guard.ts) ends every git command where it is, a push too: nothing waits on git after
 * the stop. A push is counted as sent once it starts (the guard then says "sent, not confirmed": a
 * push ended mid-way may have updated the remote branch); after the stop none starts.
 */
import { RollbackKitError } from '../../core/errors.js';
import type { Log } from '../../core/log.js';
import { runProcess, type ProcessResult } from '../../core/process.js';
import type { ChangeGuard } from '../change-guard.js';

/** The last lines git wrote, where it says why it failed. */
export const gitSaid = (r: ProcessResult): string => (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ');

export interface Git {
  /** Runs git; throws a RollbackKitError (with `what` as the description) unless it exits 0. */
  run(args: string[], what: string): Promise<string>;
  /** Runs git and returns the result whatever the exit code. */
  try(args: string[]): Promise<ProcessResult>;
  /** Runs a git command that changes the remote (a push): as `run`, counted as sent (`sent`) once it starts. */
  change(args: string[], what: string, sent: string): Promise<string>;
  /**
   * Puts the checkout back after a failure (a local command: checkout, branch -D), the stop or not:
   * a stopped run leaves the checkout as it found it. Bounded by the timeout only.
   */
  cleanUp(args: string[]): Promise<ProcessResult>;
}

/** A CI checkout often has no identity configured; reverts need one to commit. */
const BOT_IDENTITY = {
  GIT_AUTHOR_NAME: 'github-actions[bot]',
  GIT_AUTHOR_EMAIL: '41898283+github-actions[bot]@users.noreply.github.com',
  GIT_COMMITTER_NAME: 'github-actions[bot]',
  GIT_COMMITTER_EMAIL: '41898283+github-actions[bot]@users.noreply.github.com',
};

export async function openGit(cwd: string, log: Log, timeoutMs = 120_000, stop?: ChangeGuard): Promise<Git> {
  const env: Record<string, string> = { GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
  const spawn = async (args: string[], signal: AbortSignal | undefined): Promise<ProcessResult> => {
    log.debug(`git ${args.join(' ')}`);
    try {
      // Whole: what git lists (commits, files) is read as data, not shown as a log.
      return await runProcess('git', args, { cwd, env, timeoutMs, signal, wholeStdout: true });
    } catch (err) {
      throw new RollbackKitError(`Could not run git: ${(err as Error).message}.`, 'Install git on the runner.');
    }
  };
  /** Ended at the stop: what it was doing is then the guard's to say (StoppedHere), whatever git made of it. */
  const exec = async (args: string[]): Promise<ProcessResult> => {
    stop?.check(`git ${args[0]}`);
    const r = await spawn(args, stop?.signal);
    stop?.check(`git ${args[0]}`);
    return r;
  };
  const checked = (args: string[], what: string, r: ProcessResult): string => {
    if (r.code === 0) return r.stdout.trim();
    const said = gitSaid(r);
    throw new RollbackKitError(`${what} failed: git ${args[0]} ${r.timedOut ? 'timed out' : `exited with ${r.code}`}: ${log.redact(said)}`);
  };
  const git: Git = {
    try: (args) => exec(args),
    run: async (args, what) => checked(args, what, await exec(args)),
    async change(args, what, sent) {
      stop?.beforeChange(sent);
      const r = await spawn(args, stop?.signal);
      stop?.check(sent);
      return checked(args, what, r);
    },
    cleanUp: (args) => spawn(args, undefined),
  };
  const inside = await git.try(['rev-parse', '--is-inside-work-tree']);
  if (inside.code !== 0 || inside.stdout.trim() !== 'true') {
    throw new RollbackKitError(`The workspace ${cwd} is not a git checkout.`, 'Run actions/checkout with fetch-depth: 0 before this step.');
  }
  const email = await git.try(['config', 'user.email']);
  if (email.code !== 0 || !email.stdout.trim()) Object.assign(env, BOT_IDENTITY);
  return git;
}

/** Whether commit `a` is in the history of `b` (or is `b`). */
export const isAncestor = async (git: Git, a: string, b: string): Promise<boolean> => (await git.try(['merge-base', '--is-ancestor', a, b])).code === 0;
