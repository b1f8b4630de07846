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

/** Response headers as fetch gives them. */
export interface HeaderSource {
  get(name: string): string | null;
}

/**
 * Whether an answer is a rate limit. GitHub documents two shapes besides 429: a 403 with
 * `x-ratelimit-remaining: 0` (the primary limit is used up) or with `Retry-After` (a secondary
 * limit), and secondary limits that say so only in their message. Such a 403 is a wait, not a
 * missing permission. The HTTP client and the incident issue share this one rule.
 */
export function isRateLimit(status: number, headers: HeaderSource, message = ''): boolean {
  if (status === 429) return true;
  return status === 403 && (headers.get('retry-after') !== null || headers.get('x-ratelimit-remaining') === '0' || /rate limit/i.test(message));
}

/**
 * How long a rate limit asks to wait: `Retry-After`, else until a used-up window resets
 * (`x-ratelimit-reset`, epoch seconds), else undefined (the caller's default: GitHub asks for at
 * least a minute, Vercel's CLI retries at once).
 */
export function rateLimitWait(headers: HeaderSource, now: number = Date.now()): number | undefined {
  const retryAfter = headers.get('retry-after');
  if (retryAfter !== null) return parseRetryAfter(retryAfter, now);
  const reset = Number(headers.get('x-ratelimit-reset'));
  if (headers.get('x-ratelimit-remaining') === '0' && Number.isFinite(reset) && reset > 0) return Math.max(0, reset * 1000 - now);
  return undefined;
}

/** A failed attempt: a status (with the wait a rate limit asked for, when it is one) or no answer. */
export type Failure = { kind: 'status'; status: number; retryAfter: string | null; rateLimitWaitMs?: number } | { kind: 'network' };

const waitsAsTold = (failure: Failure): boolean => failure.kind === 'status' && (failure.rateLimitWaitMs !== undefined || failure.status === 429 || failure.status === 503);

/** The wait the server asked for (a rate limit's, or Retry-After of a 503, 0 when absent), or undefined for other failures. */
export function askedWait(failure: Failure, now: number = Date.now()): number | undefined {
  if (failure.kind !== 'status' || !waitsAsTold(failure)) return undefined;
  return failure.rateLimitWaitMs ?? parseRetryAfter(failure.retryAfter, now);
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
    return Math.min(askedWait(failure)! + jitter, maxWaitMs);
  }
  if (failure.kind === 'network' || failure.status >= 500) {
    if (attempt >= policy.serverErrorRetries) return undefined;
    return Math.min(policy.baseDelayMs * 2 ** attempt + jitter, maxWaitMs);
  }
  return undefined;
}
