/**
 * What every promote-previous provider returns: the same shape as Vercel's result (status, from,
 * to, the releases passed over with the reason, plain notes for the summary) plus what was frozen
 * so the next push cannot re-ship the bad release, and how to undo that.
 */

import type { RetryPolicy } from './http/retry.js';

/** What every provider's request shares, besides its own ids and token. */
export interface ProviderRunOptions {
  /** "previous", or a release the platform can name (see each provider). */
  target: string;
  /** The release believed bad: when it no longer serves, nothing is done. */
  from?: string;
  timeoutSeconds: number;
  dryRun: boolean;
  /** How often to poll for completion; each provider has its own default. */
  pollIntervalMs?: number;
  retry?: Partial<RetryPolicy>;
  requestTimeoutMs?: number;
  /** Injected so tests need not wait for real pauses and deadlines. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
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
