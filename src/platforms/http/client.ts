/**
 * A small JSON-over-HTTP client for platform APIs on Node's fetch: fixed auth headers, a timeout on
 * every call, the shared retry rules (429/503 after Retry-After, other 5xx and network errors with
 * backoff, other 4xx never), no redirect followed (a GitHub client: only on the API's own origin),
 * every body read up to a cap (MAX_API_BODY_BYTES), and error bodies read defensively. It returns parsed JSON as
 * `unknown`: callers read only the fields they need. The caller registers its token with the log
 * before building the headers, so no retry line can print it.
 */
import { blockedPortText, blockedPortWay, isBlockedPortError } from '../../core/blocked-port.js';
import { RollbackKitError } from '../../core/errors.js';
import type { Log } from '../../core/log.js';
import { readCapped } from '../../core/read-body.js';
import type { ChangeGuard } from '../change-guard.js';
import type { StepDeadline } from './deadline.js';
import { askedWait, DEFAULT_RETRY, isRateLimit, rateLimitWait, retryDelay, type Failure, type RetryPolicy } from './retry.js';

export type Query = Record<string, string | number | boolean | undefined>;
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';

export interface HttpClientOptions {
  /** The platform's name for log lines and errors: "Vercel", "Railway", … */
  service: string;
  baseUrl: string;
  /** Sent with every request (authorization). */
  headers: Record<string, string>;
  log: Log;
  requestTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Injected so tests need not wait for real backoffs. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Builds the error for a non-2xx answer; platforms with richer error bodies subclass HttpApiError. */
  apiError?: (status: number, text: string, request: string) => HttpApiError;
  /** Query parameters added to every request (Vercel's team scope). */
  scope?: () => Query;
  /**
   * The step's deadline: no retry waits past it, and a Retry-After beyond it fails the request at
   * once. Without it, waits are bounded by the retry policy alone.
   */
  deadline?: StepDeadline;
  /**
   * `refuse` (the default): a platform API call follows no redirect. `same-origin`: a redirect to
   * the API's own origin is followed (GitHub's REST API answers a renamed repository's path with
   * 301, or 307 for a write, to /repositories/<id>/…), so the token still goes nowhere else.
   */
  redirects?: 'refuse' | 'same-origin';
  /** A rate limit asking for a longer wait than this fails the request at once (WaitTooLong) instead of being waited for. */
  longestWaitMs?: number;
  /**
   * The run's stop (change-guard.ts): after it, no change is sent (nor retried), reads and backoffs
   * end at once, and a change already sent is let finish.
   */
  stop?: ChangeGuard;
}

/** What a platform's own client passes on to HttpClient as it is: the log, the request timeout, retries and the clock. */
export type HttpClientTuning = Pick<HttpClientOptions, 'log' | 'requestTimeoutMs' | 'retry' | 'sleep' | 'random' | 'deadline' | 'stop'>;

export const DEFAULT_REQUEST_TIMEOUT_MS = 20_000;

/**
 * The most of one answer read: a page of deployments is tens of KB, but a page of 100 GitHub issues
 * may carry bodies of up to 65,536 characters each (up to ~26 MB) and a Fly app's machine list grows
 * with its machines; past 32 MB it is a proxy or a misconfigured api-url, not the platform, and
 * reading on would only fill memory.
 */
export const MAX_API_BODY_BYTES = 32 * 1024 * 1024;

/** The platform answered with a non-2xx status (after any retries). */
export class HttpApiError extends Error {
  constructor(
    readonly service: string,
    readonly status: number,
    readonly code: string | undefined,
    readonly serverMessage: string,
    readonly request: string,
  ) {
    super(`${request} answered ${status}${code ? ` ${code}` : ''}: ${serverMessage}`);
    this.name = 'HttpApiError';
  }

  /** The answer was a rate limit (retry.ts isRateLimit), whatever its status: a wait, not a refusal. */
  rateLimited = false;
}

/** A 403 rate limit without a stated wait: GitHub asks for at least a minute. */
const UNSTATED_403_WAIT_MS = 60_000;

/** A request cut short by the step's deadline: a listing that read pages before it has its own, fuller, message. */
export class OutOfTime extends RollbackKitError {}

/**
 * The server asked for a wait the caller will not make: longer than longestWaitMs, or than what is
 * left of the step's deadline. `last` is the answer that asked for it.
 */
export class WaitTooLong extends RollbackKitError {
  constructor(
    message: string,
    hint: string,
    readonly last: HttpApiError | HttpNetworkError,
    readonly askedMs: number,
    readonly because: 'deadline' | 'longest-wait',
  ) {
    super(message, hint);
  }
}

/** Redirects followed on the API's own origin before the answer counts as a refusal. */
const MAX_REDIRECTS = 5;

/** An answer larger than MAX_API_BODY_BYTES: read no further, and not retried (the same address would send it again). */
export class BodyTooLarge extends RollbackKitError {}

/** The API URL's port is one Node's fetch refuses to use: nothing was sent, and it is not retried. */
export class BlockedPort extends RollbackKitError {}

/** `label` (GET /v9/projects/shop) to `service` could not be sent: `url`'s port is one fetch refuses (core/blocked-port.ts); `setting` holds the URL. */
export function blockedPortError(service: string, label: string, url: URL, setting: string): BlockedPort {
  return new BlockedPort(`${service}: ${label} could not be sent: ${blockedPortText(url)}. Nothing went out, and trying again cannot help, so it was not retried.`, blockedPortWay(setting));
}

/** The platform could not be reached, or did not answer within the request timeout. */
export class HttpNetworkError extends Error {
  constructor(
    readonly host: string,
    readonly underlying: unknown,
    readonly timedOut: boolean,
  ) {
    super(timedOut ? `no answer from ${host} in time` : `cannot reach ${host}: ${(underlying as Error)?.message ?? String(underlying)}`);
    this.name = 'HttpNetworkError';
  }
}

export interface HttpResponse {
  status: number;
  data: unknown;
  /** The answer's headers (a Link header's next page). */
  headers?: Headers;
}

/** What of an error body a message quotes: enough to explain, never a dump. */
const MAX_ERROR_TEXT = 300;

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

export interface ErrorBody {
  code?: string;
  message: string;
  /** The object the message came from, for platform-specific flags. */
  inner?: Record<string, unknown>;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : typeof v === 'number' ? String(v) : undefined);

/**
 * Error bodies differ by platform and even by endpoint: `{error:{code,message}}` and `{err:{…}}`
 * (Vercel), `{error:"…"}` (Fly Machines), `{code,message}` (Netlify), `{id,message}` (Render),
 * `{errors:[{message}]}` (GraphQL), or plain text / HTML from a proxy.
 */
export function readErrorBody(text: string, log: Pick<Log, 'excerpt'>): ErrorBody {
  // Redact, then cut: a cut first would leave a prefix of an echoed token that no longer matches it.
  const quote = (t: string, max = MAX_ERROR_TEXT) => log.excerpt(t.replace(/\s+/g, ' ').trim(), max);
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    const inner = (parsed?.error ?? parsed?.err) as unknown;
    const code = (v: unknown) => (str(v) === undefined ? undefined : quote(str(v)!, 100));
    if (inner && typeof inner === 'object' && !Array.isArray(inner)) {
      const o = inner as Record<string, unknown>;
      return { code: code(o.code), message: quote(str(o.message) ?? JSON.stringify(o)), inner: o };
    }
    if (typeof inner === 'string') return { code: code(parsed.code), message: quote(inner) };
    if (Array.isArray(parsed?.errors) && parsed.errors.length) {
      const messages = parsed.errors.map((e: unknown) => str((e as Record<string, unknown>)?.message) ?? JSON.stringify(e));
      return { message: quote(messages.join('; '), 500) };
    }
    if (typeof parsed?.message === 'string') return { code: code(parsed.code), message: quote(parsed.message) };
  } catch {
    // not JSON: fall through to the text itself
  }
  return { message: quote(text) || '(empty body)' };
}

export class HttpClient {
  readonly service: string;
  private readonly base: URL;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly wait: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(private readonly opts: HttpClientOptions) {
    this.service = opts.service;
    this.base = new URL(opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`);
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.timeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.wait = opts.stop ? opts.stop.sleep(opts.sleep ?? sleep) : (opts.sleep ?? sleep);
    this.random = opts.random ?? Math.random;
  }

  get host(): string {
    return this.base.host;
  }

  /** Replaces every registered secret in text that came from the platform. */
  redact(text: string): string {
    return this.opts.log.redact(text);
  }

  /**
   * Paths are relative to the base URL (its own path kept), so a proxy prefix survives; an empty
   * path is the base URL exactly as given (a GraphQL endpoint).
   */
  url(path: string, query: Query = {}): URL {
    const url = path ? new URL(path.replace(/^\//, ''), this.base) : new URL(this.opts.baseUrl);
    for (const [k, v] of Object.entries({ ...query, ...this.opts.scope?.() })) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  /**
   * `path` is relative to the base URL, or a whole URL on the API's own origin (a Link header's next
   * page): the headers, with the token, are never sent anywhere else.
   *
   * `cut`: once aborted, the request ends where it is (its answer, a retry's wait) and throws the
   * abort's reason: a stopped run's report (report/incident.ts) is not awaited past its bound.
   * `noRetryAfter`: once aborted, a failed attempt is not retried (its failure is thrown), and a
   * retry's wait ends with it: after a stop, one attempt.
   */
  async request(
    method: Method,
    path: string | URL,
    opts: { query?: Query; body?: unknown; headers?: Record<string, string>; reads?: boolean; cut?: AbortSignal; noRetryAfter?: AbortSignal } = {},
  ): Promise<HttpResponse> {
    const url = typeof path === 'string' ? this.url(path, opts.query) : path;
    if (url.origin !== this.base.origin) throw new RollbackKitError(`${this.service}: a request to ${url.origin} was refused, as it is not the API's own ${this.base.origin}.`, 'This is a bug in rollback-kit: please report it.');
    const label = `${method} ${url.pathname}`;
    // A write (a POST that is not a GraphQL query: `reads`) may change production: after the stop it
    // is not sent, nor sent again; once sent, its answer is awaited (the platform has it already).
    const changes = !opts.reads && method !== 'GET' && method !== 'HEAD';
    const stop = this.opts.stop;
    const bound = opts.cut;
    for (let attempt = 0; ; attempt++) {
      if (bound?.aborted) throw bound.reason;
      if (changes && attempt === 0) stop?.beforeChange(`${label} to ${this.service}`);
      else stop?.check(label);
      let failure: Failure;
      let lastError: HttpApiError | HttpNetworkError;
      // The answer is not awaited past the step's deadline. A request made once it has passed (a
      // wait's last look) is the caller's choice, and gets the request timeout.
      const before = this.opts.deadline?.left();
      const cut = before !== undefined && before > 0 && before < this.timeoutMs;
      try {
        const timeout = AbortSignal.timeout(cut ? Math.ceil(before) : this.timeoutMs);
        const ends = changes || !stop ? timeout : stop.readSignal(timeout);
        const res = await this.send(method, url, label, opts, bound ? AbortSignal.any([ends, bound]) : ends);
        const { text: raw, cut: overCap } = await readCapped(res, MAX_API_BODY_BYTES);
        // An error body is only quoted (its first few hundred characters): what was read is enough.
        if (overCap && res.ok) throw this.tooLarge(label);
        if (res.ok) {
          let data: unknown = undefined;
          if (raw.trim()) {
            try {
              data = JSON.parse(raw);
            } catch {
              data = raw;
            }
          }
          return { status: res.status, data, headers: res.headers };
        }
        // Some APIs echo what they were sent; an error message must never carry the token on.
        const text = this.redact(raw);
        const apiError = this.opts.apiError ? this.opts.apiError(res.status, text, label) : defaultApiError(this.service, res.status, text, label, this.opts.log);
        apiError.rateLimited = isRateLimit(res.status, res.headers, apiError.serverMessage);
        lastError = apiError;
        failure = {
          kind: 'status',
          status: res.status,
          retryAfter: res.headers.get('retry-after'),
          rateLimitWaitMs: apiError.rateLimited ? (rateLimitWait(res.headers) ?? (res.status === 403 ? UNSTATED_403_WAIT_MS : 0)) : undefined,
        };
      } catch (err) {
        if (bound?.aborted) throw bound.reason;
        if (err instanceof RollbackKitError) throw err;
        // A read ended by the stop: nothing more is asked of the platform.
        if (!changes) stop?.check(label);
        const timedOut = (err as Error)?.name === 'TimeoutError' || (err as Error)?.name === 'AbortError';
        if (timedOut && cut) throw this.outOfTime(label);
        // Refused by fetch itself for the URL's port: nothing was sent, and no retry could send it.
        if (isBlockedPortError(err)) throw this.blockedPort(label, url);
        lastError = new HttpNetworkError(this.base.host, (err as { cause?: unknown })?.cause ?? err, timedOut);
        failure = { kind: 'network' };
      }
      const left = this.opts.deadline?.left();
      const asked = askedWait(failure);
      const secs = (ms: number) => `${Math.ceil(ms / 1000)} s`;
      if (this.opts.longestWaitMs !== undefined && asked !== undefined && asked > this.opts.longestWaitMs && attempt < this.retry.rateLimitRetries) {
        throw new WaitTooLong(
          `${this.service} asked to wait ${secs(asked)} before ${label} again (${lastError.message}), longer than the ${secs(this.opts.longestWaitMs)} this step waits.`,
          'Re-run the step once the limit has reset.',
          lastError,
          asked,
          'longest-wait',
        );
      }
      if (left !== undefined && asked !== undefined && asked > left && attempt < this.retry.rateLimitRetries) {
        throw new WaitTooLong(
          `${this.service} asked to wait ${secs(asked)} (${failure.kind === 'status' && failure.retryAfter === null ? 'until its rate limit resets' : 'Retry-After'}) before ${label} again (${lastError.message}), but only ${secs(left)} of ${this.opts.deadline!.input} (${this.opts.deadline!.seconds} s) are left.`,
          `Wait ${secs(asked)}, then re-run the step (it is safe to repeat), or raise ${this.opts.deadline!.input}.`,
          lastError,
          asked,
          'deadline',
        );
      }
      const once = opts.noRetryAfter;
      const delay = (left === undefined || left > 0) && !once?.aborted ? retryDelay(failure, attempt, this.retry, this.random, left) : undefined;
      if (delay === undefined) throw lastError;
      // Progress, which a terminal shows without --verbose: a platform that does not answer would
      // otherwise hold a phase silent for every attempt's request timeout.
      const attempts = 1 + (asked !== undefined ? this.retry.rateLimitRetries : this.retry.serverErrorRetries);
      const what = lastError instanceof HttpNetworkError && lastError.timedOut ? `${this.service} has not answered ${label} in ${+(this.timeoutMs / 1000).toFixed(1)} s` : `${this.service}: ${lastError.message}`;
      this.opts.log.progress(`${what}; retrying in ${(delay / 1000).toFixed(1)} s (attempt ${attempt + 2} of ${attempts}).`);
      const ends = [bound, once].filter((s): s is AbortSignal => !!s);
      await (ends.length ? untilAborted(this.wait(delay), ends.length > 1 ? AbortSignal.any(ends) : ends[0]!) : this.wait(delay));
      if (once?.aborted) throw lastError;
    }
  }

  /**
   * One answer to `method url`, after any redirects this client follows (redirects: same-origin):
   * to the API's own origin only, at most MAX_REDIRECTS, and a write only by 307/308, which keep
   * its method and body (a 301/302/303 would turn it into a GET that reads instead of writing).
   */
  private async send(method: Method, url: URL, label: string, opts: { body?: unknown; headers?: Record<string, string> }, signal: AbortSignal): Promise<Response> {
    let current = url;
    for (let hop = 0; ; hop++) {
      const res = await fetch(current, {
        method,
        headers: {
          // A client's own headers may ask for a media type of its own (GitHub's application/vnd.github+json).
          Accept: 'application/json',
          ...this.opts.headers,
          ...(opts.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
          ...opts.headers,
        },
        body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
        // fetch drops Authorization on a redirect to another origin, but not a token in another
        // header (Railway's Project-Access-Token): fetch follows no redirect, this client decides.
        redirect: 'manual',
        signal,
      });
      if (res.status < 300 || res.status >= 400) return res;
      await res.body?.cancel().catch(() => undefined);
      const next = this.opts.redirects === 'same-origin' && hop < MAX_REDIRECTS ? this.followable(res, current, method) : undefined;
      if (!next) throw this.redirected(res, current, label);
      current = next;
    }
  }

  private followable(res: Response, from: URL, method: Method): URL | undefined {
    const keepsMethod = res.status === 307 || res.status === 308;
    if (!keepsMethod && !((res.status === 301 || res.status === 302 || res.status === 303) && (method === 'GET' || method === 'HEAD'))) return undefined;
    try {
      const to = new URL(res.headers.get('location') ?? '', from);
      return res.headers.get('location') && to.origin === this.base.origin ? to : undefined;
    } catch {
      return undefined;
    }
  }

  /** No answer to `label` before the step's deadline. */
  private outOfTime(label: string): RollbackKitError {
    const { input, seconds } = this.opts.deadline!;
    return new OutOfTime(
      `${this.service} did not answer ${label} (${this.host}) before the step's deadline: ${input} (${seconds} s) ran out.`,
      `Check that ${this.host} is reachable and answering, then re-run the step (it is safe to repeat), or raise ${input}.`,
    );
  }

  /** The API URL's port is one fetch never connects to (core/blocked-port.ts): said at once, not retried. */
  private blockedPort(label: string, url: URL): RollbackKitError {
    return blockedPortError(this.service, label, url, 'the API URL (api-url, machines-api-url, registry-url or GITHUB_API_URL)');
  }

  /** Names the host and the path, never the query string (Vercel's teamId, a registry's scope) nor a header. */
  private tooLarge(label: string): RollbackKitError {
    return new BodyTooLarge(
      `${this.service} (${this.host}) answered ${label} with a body larger than ${MAX_API_BODY_BYTES / 1024 / 1024} MB, which was read no further: no platform API answers this much, so something between the runner and the API (a proxy, a wrong API URL) is answering instead.`,
      `Check that the API URL (api-url, machines-api-url, registry-url or GITHUB_API_URL) points at the platform's API and that no proxy rewrites its answers, then re-run the step.`,
    );
  }

  private redirected(res: Response, from: URL, label: string): RollbackKitError {
    let where = 'an address it did not give';
    try {
      const to = new URL(res.headers.get('location') ?? '', from);
      where = to.origin === from.origin ? `${to.pathname} on the same host` : to.origin;
    } catch {
      // an unreadable Location: named as missing
    }
    const rule = this.opts.redirects === 'same-origin' ? 'API requests follow a redirect only on the API\'s own host (a write only by 307 or 308), and at most 5' : 'API requests never follow a redirect';
    return new RollbackKitError(
      `${this.service} answered ${label} with a redirect (${res.status}) to ${this.redact(where)}. ${rule}, so the token goes nowhere but the API URL given.`,
      `Check the API URL (api-url, machines-api-url, registry-url or GITHUB_API_URL): set it to the address the API answers on itself, if you trust that address.`,
    );
  }

  async get(path: string, query: Query = {}): Promise<unknown> {
    return (await this.request('GET', path, { query })).data;
  }
}

/** `work`, or as soon as `signal` is aborted, whichever comes first (the caller then looks at the signal). */
async function untilAborted(work: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  let onAbort = (): void => undefined;
  const aborted = new Promise<void>((resolve) => {
    onAbort = resolve;
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([work, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function defaultApiError(service: string, status: number, text: string, request: string, log: Log): HttpApiError {
  const body = readErrorBody(text, log);
  return new HttpApiError(service, status, body.code, body.message, request);
}
