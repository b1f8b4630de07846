/**
 * promote-previous on its own (the action, `rollback-kit promote`): a change the platform accepted
 * but did not make live (a promotion Vercel queued behind a rolling release) fails the step, as it
 * fails a component of the whole rollback, so nothing after it treats the target as serving.
 */
import { RollbackKitError } from '../core/errors.js';
import { notLiveYet, type PromoteOutcome, type PromoteRequest } from './promote.js';

export function refuseNotLive(outcome: PromoteOutcome, request: PromoteRequest): void {
  const notLive = notLiveYet(outcome, request.provider === 'vercel' ? `project ${request.project}` : request.provider);
  if (!notLive) return;
  throw new RollbackKitError(
    notLive.message,
    `Finish (or abort) the rolling release in Vercel (project Settings → Rolling Releases). Once production serves ${outcome.to.id}, running the step again reports already-current.`,
  );
}
