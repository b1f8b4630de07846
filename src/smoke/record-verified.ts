/**
 * After a smoke test passes, records the deployed commit as verified (the rollback-kit/verified
 * commit status), so a later promote-previous with target last-verified can return to it. Only a
 * pass is recorded: a failure leaves the commit without the status, and last-verified passes it by.
 */
import { RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { CommitStatuses, isFullSha, type GitHubAccess } from '../github/commit-status.js';
import { StepDeadline } from '../platforms/http/deadline.js';
import type { Verdict } from './verdict.js';

export interface RecordVerifiedRequest {
  sha: string;
  github: Partial<GitHubAccess> & { apiUrl: string };
  /** Link shown next to the status: the run that measured. */
  runUrl?: string;
}

/**
 * The request from verified-sha, github-token and the runner's GITHUB_* variables, checked at once
 * (the action and `rollback-kit smoke` alike); undefined when no verified-sha was given.
 */
export function verifiedRequest(sha: string | undefined, token: string | undefined, env: Record<string, string | undefined>): (RecordVerifiedRequest & { github: GitHubAccess }) | undefined {
  if (!sha) return undefined;
  const request: RecordVerifiedRequest = {
    sha,
    github: { token, repository: env.GITHUB_REPOSITORY || undefined, apiUrl: env.GITHUB_API_URL || 'https://api.github.com' },
    runUrl: env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}` : undefined,
  };
  checkRecordVerified(request);
  return request;
}

/** Checks the request before any check runs, so a typo never costs a whole smoke run. */
export function checkRecordVerified(request: RecordVerifiedRequest): asserts request is RecordVerifiedRequest & { github: GitHubAccess } {
  if (!isFullSha(request.sha)) {
    throw new RollbackKitError(`Input verified-sha must be a full 40-character commit SHA; got "${request.sha.slice(0, 80)}".`, 'Pass the deployed commit, e.g. verified-sha: ${{ github.event.deployment.sha }}.');
  }
  if (!request.github.token) {
    throw new RollbackKitError('Input github-token is required with verified-sha: the rollback-kit/verified status is set through the GitHub API.', 'Pass github-token: ${{ secrets.GITHUB_TOKEN }} and grant the job permissions: statuses: write.');
  }
  if (!request.github.repository) {
    throw new RollbackKitError('verified-sha needs the repository of the commit, and GITHUB_REPOSITORY is not set.', 'Run the step in GitHub Actions, which sets GITHUB_REPOSITORY.');
  }
}

/**
 * Sets the status when the verdict passed; returns whether it did. A failure to record is a
 * warning, not a failed step: the checks passed and production stays as it is, but the warning
 * says that later last-verified rollbacks will not see this deployment. The call, its retries and
 * its waits get deadline-seconds of their own, as each run of the checks does.
 */
export async function recordVerified(request: RecordVerifiedRequest, verdict: Verdict, checks: number, deadlineSeconds: number, log: Log): Promise<boolean> {
  if (!verdict.passed) {
    log.info(`Not recording commit ${request.sha.slice(0, 12)} as verified: the smoke test did not pass (decision ${verdict.decision}).`);
    return false;
  }
  checkRecordVerified(request);
  try {
    const statuses = new CommitStatuses(request.github, log, { deadline: new StepDeadline(Date.now, deadlineSeconds, 'deadline-seconds') });
    await statuses.record(request.sha, { state: 'success', description: `${checks} smoke check${checks === 1 ? '' : 's'} passed after the deploy (rollback-kit)`, targetUrl: request.runUrl });
    log.info(`Recorded commit ${request.sha.slice(0, 12)} as verified (commit status rollback-kit/verified: success).`);
    return true;
  } catch (err) {
    const message = err instanceof RollbackKitError ? err.line : String((err as Error)?.message ?? err);
    log.warning(`The checks passed, but commit ${request.sha.slice(0, 12)} could not be recorded as verified, so target last-verified will pass this deployment by: ${message}`);
    return false;
  }
}
