/**
 * What a git-revert component needs from its job, checked at plan, before anything changes: it
 * pushes a branch, so the checkout must hold credentials that may write to the repository. A
 * `git push --dry-run` authenticates and is refused exactly as the real push would be, and pushes
 * nothing; without it the revert would be made, then refused at the push, halfway through the app
 * phase. (The history it needs is checked by the plan's dry run; the pull request permission can
 * only be found out by opening one, and its refusal names it.)
 */
import { RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import type { ProcessResult } from '../core/process.js';
import { ChangeGuard, StoppedHere } from '../platforms/change-guard.js';
import { gitSaid, openGit } from '../platforms/git-revert/git.js';

/** Everything the job must grant, in one place for the refusal and the docs. */
export const GIT_REVERT_NEEDS =
  'A git-revert component needs, in the job that runs the rollback: permissions contents: write and pull-requests: write, actions/checkout with fetch-depth: 0 and persist-credentials: true, and "Allow GitHub Actions to create and approve pull requests" in the repository settings. The shipped rollback.yml grants none of this (see "git-revert components" in the README).';

/** A ref no run creates: the dry run only asks whether a new branch could be pushed. */
const PROBE_REF = 'refs/heads/rollback-kit/push-check';

/**
 * `signal`: the run's stop. The dry run waits on the remote (up to timeoutSeconds), so it ends at the
 * stop, as the provider's own git commands do, and the error says nothing was changed.
 */
export async function checkCanPush(workspace: string, component: string, timeoutSeconds: number, log: Log, signal?: AbortSignal): Promise<void> {
  const stop = new ChangeGuard(signal, `${component} (git-revert)`, 'the repository');
  let r: ProcessResult;
  try {
    const git = await openGit(workspace, log, timeoutSeconds * 1000, stop);
    r = await git.try(['push', '--dry-run', '--quiet', 'origin', `HEAD:${PROBE_REF}`]);
  } catch (err) {
    throw err instanceof StoppedHere ? stop.error() : err;
  }
  if (r.code === 0) return;
  const said = log.redact(gitSaid(r)) || `git push exited with ${r.code}`;
  throw new RollbackKitError(`${component} (git-revert) could not push its revert branch from this checkout${r.timedOut ? ` within ${timeoutSeconds} s` : ''}: ${said}. Nothing was changed.`, GIT_REVERT_NEEDS);
}
