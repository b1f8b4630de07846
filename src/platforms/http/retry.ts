/**
 * When a failed platform API request is worth repeating, and how long to wait first. The rules follow
 * the Vercel CLI (and agree with flyctl and the Railway CLI: 5xx yes, 4xx never): 429 and 503 wait for `Retry-After` plus jitter (limits use one-minute buckets, so many
 * clients waking at once would collide again), other 5xx and network errors back off a few times,
 * every other 4xx is final.
 */

export interface RetryPolicy {
  /** Extra attempts after a 429 or 503. */
  rateLimitRetries: number;
  /** Extra attempts after another 5xx or a network error. */
  serverErrorRetries: number;
  /** First backoff for 5xx / network errors; doubles each time. */
  baseDelayMs: number;
  /** Upper bound of the random extra wait added to every retry. */
  jitterMs: number;
  /**
   * The longest single wait when the client has no step deadline (a Retry-After longer than this is
   * cut to it). With a deadline, the time left is the bound instead (client.ts).
   */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  rateLimitRetries: 5,
  serverErrorRetries: 3,
  baseDelayMs: 500,
  jitterMs: 1000,
  maxDelayMs: 60_000,
};

/** `Retry-After` is seconds or an HTTP date; missing or unreadable counts as 0, as in the CLI. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number {
  if (!value) return 0;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? 0 : Math.max(0, at - now);
}

export type Failure = { kind: 'status'; status: number; retryAfter: string | null } | { kind: 'network' };

const waitsAsTold = (failure: Failure): boolean => failure.kind === 'status' && (failure.status === 429 || failure.status === 503);

/** The wait the server asked for (Retry-After of a 429 or 503, 0 when absent), or undefined for other failures. */
export function askedWait(failure: Failure, now: number = Date.now()): number | undefined {
  return failure.kind === 'status' && waitsAsTold(failure) ? parseRetryAfter(failure.retryAfter, now) : undefined;
}

/**
 * The wait before attempt number `attempt + 1` (attempt counts from 0), or undefined when the
 * failure is final. `maxWaitMs` bounds the wait (the policy's maxDelayMs unless the client knows
 * the time left before the step's deadline).
 */
export function retryDelay(failure: Failure, attempt: number, policy: RetryPolicy, random: () => number = Math.random, maxWaitMs: number = policy.maxDelayMs): number | undefined {
  const jitter = Math.floor(random() * policy.jitterMs);
  if (failure.kind === 'status' && waitsAsTold(failure)) {
    if (attempt >= policy.rateLimitRetries) return undefined;
    return Math.min(parseRetryAfter(failure.retryAfter) + jitter, maxWaitMs);
  }
  if (failure.kind === 'network' || failure.status >= 500) {
    if (attempt >= policy.serverErrorRetries) return undefined;
    return Math.min(policy.baseDelayMs * 2 ** attempt + jitter, maxWaitMs);
  }
  return undefined;
}
