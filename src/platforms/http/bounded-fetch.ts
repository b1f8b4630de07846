/**
 * A fetch with the bounds HttpClient puts on every platform call, for a library that makes its own
 * requests (Octokit, for git-revert's pull requests): each call, its answer's body included, ends
 * within `timeoutMs`, and a body is read only up to `maxBytes`. Without it, a GitHub (or a proxy in
 * front of it) that takes the request and never answers holds the step for undici's 300 s header
 * timeout and then some, and an endless answer fills the runner's memory.
 */
import { readCapped } from '../../core/read-body.js';
import { isBlockedPortError } from '../../core/blocked-port.js';
import { blockedPortError, BodyTooLarge, DEFAULT_REQUEST_TIMEOUT_MS, MAX_API_BODY_BYTES } from './client.js';

export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface FetchBounds {
  timeoutMs?: number;
  maxBytes?: number;
}

/** The call got no (whole) answer within its time: `seconds` for the message. */
export class NoAnswerInTime extends Error {
  constructor(readonly seconds: number) {
    super(`no answer within ${seconds} s`);
    this.name = 'NoAnswerInTime';
  }
}

const requestUrl = (input: string | URL | Request): URL => new URL(String(input instanceof Request ? input.url : input));

/** Statuses whose Response must be built without a body. */
const NULL_BODY = new Set([101, 204, 205, 304]);

export function boundedFetch(inner: Fetch = fetch, bounds: FetchBounds = {}): Fetch {
  const timeoutMs = bounds.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const maxBytes = bounds.maxBytes ?? MAX_API_BODY_BYTES;
  return async (input, init = {}) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    try {
      // The whole body is read here, under the same signal: the time bound covers it too, and the
      // caller gets a Response it can read at once.
      const res = await inner(input, { ...init, signal });
      const { text, cut } = await readCapped(res, maxBytes);
      // An error body is only quoted: what was read of it is enough (as in HttpClient).
      if (cut && res.ok) throw new BodyTooLarge(`The answer to ${init.method ?? 'GET'} ${requestUrl(input).pathname} was larger than ${maxBytes} bytes, so it was not read further.`, 'Check that the API URL points at the API itself, not a proxy or a page.');
      const out = new Response(NULL_BODY.has(res.status) ? null : text, { status: res.status, statusText: res.statusText, headers: res.headers });
      // Octokit names the answer's URL in its errors.
      Object.defineProperty(out, 'url', { value: res.url });
      return out;
    } catch (err) {
      if (timeout.aborted && !init.signal?.aborted) throw new NoAnswerInTime(Math.ceil(timeoutMs / 1000));
      // Refused by fetch itself for the URL's port: named as HttpClient names it (Octokit passes it on as the cause).
      if (isBlockedPortError(err)) throw blockedPortError('GitHub', `${init.method ?? 'GET'} ${requestUrl(input).pathname}`, requestUrl(input), 'GITHUB_API_URL');
      throw err;
    }
  };
}
