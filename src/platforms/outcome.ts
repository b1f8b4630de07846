/**
 * What every promote-previous provider returns: the same shape as Vercel's result (status, from,
 * to, the releases passed over with the reason, plain notes for the summary) plus what was frozen
 * so the next push cannot re-ship the bad release, and how to undo that.
 */

import type { ChangeGuard } from './change-guard.js';
import type { RetryPolicy } from './http/retry.js';

/** What every provider's request shares, besides its own ids and token. */
export interface ProviderRunOptions {
  /** "previous", or a release the platform can name (see each provider). */
  target: string;
  /** The release believed bad: when it no longer serves, nothing is done. */
  from?: string;
  /**
   * Started by a deployment event, not a person (auto-rollback): a release a rollback put into
   * production is never rolled back from, whatever from and target say (notPutBackAgain).
   */
  automatic?: boolean;
  timeoutSeconds: number;
  /** What sets timeoutSeconds, named in messages: timeout-seconds when not given (PromoteCommon.timeoutInput). */
  timeoutInput?: string;
  dryRun: boolean;
  /** How often to poll for completion; each provider has its own default. */
  pollIntervalMs?: number;
  retry?: Partial<RetryPolicy>;
  requestTimeoutMs?: number;
  /** Injected so tests need not wait for real pauses and deadlines. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** The run's stop: no change sent after it, no wait past it (change-guard.ts). */
  stop?: ChangeGuard;
  /**
   * The plan this run already logged for the component, by its release ids: the whole rollback
   * logs it when it plans (a dry run), then carries it out in its app phase. The provider logs its
   * plan block again only when what it resolves now differs.
   */
  planLogged?: LoggedPlan;
  /**
   * The environment the platform's production serves, as the plan names it (staging in a drill):
   * what the provider's sentences call it. Unset: production.
   */
  environmentName?: string;
}

/** A plan as its log block named it: what served, and what it put back. */
export interface LoggedPlan {
  from?: string;
  to?: string;
}

/**
 * A provider's plan block (what serves, what goes back, what it passes over), logged before anything
 * changes: not again when the caller already logged the same plan (ProviderRunOptions.planLogged).
 */
export function logPlan(log: { info(message: string): void }, lines: string[], plan: LoggedPlan, logged: LoggedPlan | undefined): void {
  if (logged && logged.from === plan.from && logged.to === plan.to) return;
  for (const line of lines) log.info(line);
}

export type PromoteStatus = 'rolled-back' | 'promoted' | 'already-current' | 'dry-run';

export interface ReleaseInfo {
  /** Deployment, deploy or release id as the platform names it. */
  id?: string;
  url?: string;
  commitSha?: string;
  /** Container image (Fly). */
  image?: string;
  /** Release version (Fly). */
  version?: number;
}

export interface SkippedRelease {
  id: string;
  reason: string;
}

export interface Frozen {
  /** Whether this run changed a setting so that new pushes do not go live. */
  frozen: boolean;
  /** What is (or is not) frozen, in one sentence. */
  what: string;
  /** How to undo the freeze once a fix is ready; absent when nothing was frozen. */
  undo?: string;
}

export interface ProviderOutcome {
  status: PromoteStatus;
  from: ReleaseInfo;
  to: ReleaseInfo;
  skipped: SkippedRelease[];
  notes: string[];
  frozen: Frozen;
  /**
   * On a re-run that finds a rollback already made: the release production was rolled back from,
   * as the platform itself records it, so the re-run names the same incident (pipeline incidentKey).
   */
  rolledBackFrom?: string;
  /**
   * Already current, but a real run would still finish what an earlier one left undone (Netlify: lock
   * the published deploy, when that earlier run restored it but could not lock it): what it would do.
   * Set by dry runs only; a real run does it.
   */
  unfinished?: string;
  /** An automatic run found production put there by a rollback, and left it (notPutBackAgain). */
  putThereByRollback?: boolean;
}

/** Passed-over releases as one sentence for error messages: the first few, then a count. */
export function describeSkipped(skipped: SkippedRelease[], max = 5): string {
  if (!skipped.length) return '';
  const shown = skipped.slice(0, max).map((s) => `${s.id} (${s.reason})`).join('; ');
  return ` Passed over: ${shown}${skipped.length > max ? `; and ${skipped.length - max} more` : ''}.`;
}

/** Bounded polling: the wait before the next poll, never past the deadline. */
export function nextPoll(intervalMs: number, deadline: number, now: number): number {
  return Math.max(0, Math.min(intervalMs, deadline - now));
}

/** How the note of the rollback-cascade guard begins: the workflows and the pipeline recognise it by this. */
export const NOT_ROLLED_BACK_AGAIN = 'Not rolled back again: this deployment was put there by a rollback';

/**
 * How the note of the guard goes on when this run's `from` did not name the deployment in
 * production (none given, or one that proves nothing: a production URL, a commit it records none
 * of): the event may be one an earlier run of this same incident already handled (a re-delivery,
 * a re-run), not a failure of what that rollback put back. The workflows look for these words.
 */
export const PERHAPS_A_REPEAT = 'This run cannot tell which rollback that was';

export interface NotPutBackAgainOptions {
  /**
   * Whether a person's run with from naming `current` goes further back on this platform (Vercel,
   * Netlify); elsewhere "previous" from a rollback's copy would find the release rolled back from
   * again, so only a target does.
   */
  fromGoesFurther?: boolean;
  /**
   * Whether this run's from named `current` itself: then the event is about the release a rollback
   * put back, which fails its checks too. Otherwise it may repeat the event of the bad release that
   * an earlier run of this same incident rolled back from, and the note says both.
   */
  fromNamesIt: boolean;
}

/**
 * The note of an automatic run that found production put there by a rollback and left it: an
 * outage that outlasts a rollback is most likely not the deploy's, and walking production back
 * release by release would not fix it. `how` says what the platform recorded; `status` where the
 * platform reports its own outages.
 */
export function notPutBackAgain(current: string, how: string, status: string, opts: NotPutBackAgainOptions): string {
  const further = opts.fromGoesFurther ?? true ? `with from naming ${current}, or name the deployment in target` : 'naming the release to go back to in target';
  const check = `check the database, third-party services (payments, auth, email) and ${status} first`;
  const person = `A person decides whether to go further back: run the rollback by hand ${further}.`;
  if (opts.fromNamesIt) return `${NOT_ROLLED_BACK_AGAIN} (${current}: ${how}); the outage is likely not the deploy's — ${check}. ${person}`;
  return `${NOT_ROLLED_BACK_AGAIN} (${current}: ${how}). ${PERHAPS_A_REPEAT}, as its from does not name ${current}: either an earlier run of this same incident put it there and this run only repeats that one (a re-run, or a re-delivered event: what that run did is on its incident issue), or another rollback did and ${current} failed its checks too, so the outage is likely not the deploy's — ${check}. ${person}`;
}
