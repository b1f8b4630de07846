/**
 * promote-previous: put the last good deployment back into production. Reads the inputs, hands
 * them to the provider (Vercel, git revert, or the user's command), writes outputs and a summary.
 */
import { input, runAction, setOutputs } from '../core/action.js';
import type { Log } from '../core/log.js';
import { refuseNotLive } from '../platforms/not-live.js';
import { promotePrevious } from '../platforms/promote.js';
import { readPromoteRequest } from '../platforms/promote-inputs.js';
import { startedByDeploymentEvent } from '../pipeline/automatic.js';
import { promoteSummary } from '../report/promote-previous-summary.js';
import { writeSummary } from '../report/write-summary.js';

// Every failure says status=failed, as run-down-migrations and the root action do: a later
// `if: always()` step branching on status must see the failure, not an empty value no test matches.
await runAction('promote-previous', promote, () => {
  setOutputs({ status: 'failed' });
  return undefined;
});

async function promote(log: Log, signal: AbortSignal): Promise<void> {
  const started = Date.now();
  const request = readPromoteRequest(input, {
    env: process.env,
    workspace: process.env.GITHUB_WORKSPACE || undefined,
    repository: process.env.GITHUB_REPOSITORY,
    githubApiUrl: process.env.GITHUB_API_URL,
    baseBranch: process.env.GITHUB_REF_NAME || undefined,
  }, log);
  // An event (auto-rollback), not a person: the rollback-cascade guard applies (vercel/rollback.ts).
  const outcome = await promotePrevious({ ...request, automatic: startedByDeploymentEvent(process.env.GITHUB_EVENT_NAME), signal }, log);
  // No output may name a target that does not serve yet.
  refuseNotLive(outcome, request);
  const durationMs = Date.now() - started;
  setOutputs({
    status: outcome.status,
    'from-deployment-id': outcome.from.id,
    'from-url': outcome.from.url,
    'from-commit-sha': outcome.from.commitSha,
    'to-deployment-id': outcome.to.id,
    'to-url': outcome.to.url,
    'to-commit-sha': outcome.to.commitSha,
    'auto-assign-disabled': outcome.autoAssignDisabled,
    frozen: outcome.frozen.frozen,
    unfreeze: outcome.frozen.frozen ? outcome.frozen.undo : '',
    'duration-ms': durationMs,
  });
  await writeSummary(promoteSummary(outcome, request.provider, durationMs, log), log);
}
