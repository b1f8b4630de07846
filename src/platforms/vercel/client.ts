/**
 * A small Vercel REST client on Node's fetch: bearer auth, team scope on every request, a timeout
 * on every call, the CLI's retry rules, and error bodies read defensively (`error`, `err`, or plain
 * text). It returns parsed JSON as `unknown`: callers read only the fields they need.
 */
import type { Log } from '../../core/log.js';
import { DEFAULT_RETRY, retryDelay, type Failure, type RetryPolicy } from './retry.js';

export interface VercelClientOptions {
  token: string;
  /** Base URL, `https://api.vercel.com` unless a proxy or a test server stands in. */
  apiUrl: string;
  /** Team id (`team_…`) or slug; empty for a personal account. */
  team?: string;
  log: Log;
  requestTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Injected so tests need not wait for real backoffs. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 20_000;

/** Vercel answered with a non-2xx status (after any retries). */
export class VercelApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    readonly serverMessage: string,
    /** Vercel sets `invalidToken: true` on a 403 caused by the token rather than the scope. */
    readonly invalidToken: boolean,
    readonly request: string,
  ) {
    super(`${request} answered ${status}${code ? ` ${code}` : ''}: ${serverMessage}`);
    this.name = 'VercelApiError';
  }
}

/** Vercel could not be reached, or did not answer within the request timeout. */
export class VercelNetworkError extends Error {
  constructor(
    readonly host: string,
    readonly underlying: unknown,
    readonly timedOut: boolean,
  ) {
    super(timedOut ? `no answer from ${host} in time` : `cannot reach ${host}: ${(underlying as Error)?.message ?? String(underlying)}`);
    this.name = 'VercelNetworkError';
  }
}

export interface VercelResponse {
  status: number;
  data: unknown;
}

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** What of an error body a message quotes: enough to explain, never a dump. */
const MAX_ERROR_TEXT = 300;

/**
 * Error bodies come as `{error:{…}}`, `{err:{…}}` or plain text (5xx from the edge). A body may echo
 * the token (a proxy, a debug page): `log` redacts each text before it is cut, or the cut would
 * leave a prefix of the token that no longer matches it.
 */
export function readErrorBody(text: string, log: Pick<Log, 'excerpt'>): { code?: string; message: string; invalidToken: boolean } {
  const quote = (t: string) => log.excerpt(t.replace(/\s+/g, ' ').trim(), MAX_ERROR_TEXT);
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    const inner = (parsed?.error ?? parsed?.err) as Record<string, unknown> | undefined;
    if (inner && typeof inner === 'object') {
      return {
        code: typeof inner.code === 'string' ? quote(inner.code) : undefined,
        message: quote(typeof inner.message === 'string' ? inner.message : JSON.stringify(inner)),
        invalidToken: inner.invalidToken === true,
      };
    }
    if (typeof parsed?.message === 'string') return { message: quote(parsed.message), invalidToken: false };
  } catch {
    // not JSON: fall through to the text itself
  }
  return { message: quote(text) || '(empty body)', invalidToken: false };
}

export class VercelClient {
  private readonly base: URL;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly wait: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(private readonly opts: VercelClientOptions) {
    opts.log.secret(opts.token);
    this.base = new URL(opts.apiUrl.endsWith('/') ? opts.apiUrl : `${opts.apiUrl}/`);
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.timeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.wait = opts.sleep ?? sleep;
    this.random = opts.random ?? Math.random;
  }

  get host(): string {
    return this.base.host;
  }

  /** The CLI sends `teamId` for `team_…` ids; anything else is a team slug. */
  private scoped(path: string, query: Record<string, string | number | boolean | undefined>): URL {
    const url = new URL(path.replace(/^\//, ''), this.base);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    const team = this.opts.team?.trim();
    if (team) url.searchParams.set(team.startsWith('team_') ? 'teamId' : 'slug', team);
    return url;
  }

  async request(
    method: 'GET' | 'POST',
    path: string,
    opts: { query?: Record<string, string | number | boolean | undefined>; body?: unknown } = {},
  ): Promise<VercelResponse> {
    const url = this.scoped(path, opts.query ?? {});
    const label = `${method} ${url.pathname}`;
    for (let attempt = 0; ; attempt++) {
      let failure: Failure;
      let lastError: VercelApiError | VercelNetworkError;
      try {
        const res = await fetch(url, {
          method,
          headers: {
            Authorization: `Bearer ${this.opts.token}`,
            Accept: 'application/json',
            ...(opts.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
          },
          body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        const text = await res.text();
        if (res.ok) {
          let data: unknown = undefined;
          if (text.trim()) {
            try {
              data = JSON.parse(text);
            } catch {
              data = text;
            }
          }
          return { status: res.status, data };
        }
        const body = readErrorBody(text, this.opts.log);
        lastError = new VercelApiError(res.status, body.code, body.message, body.invalidToken, label);
        failure = { kind: 'status', status: res.status, retryAfter: res.headers.get('retry-after') };
      } catch (err) {
        const timedOut = (err as Error)?.name === 'TimeoutError' || (err as Error)?.name === 'AbortError';
        lastError = new VercelNetworkError(this.base.host, (err as { cause?: unknown })?.cause ?? err, timedOut);
        failure = { kind: 'network' };
      }
      const delay = retryDelay(failure, attempt, this.retry, this.random);
      if (delay === undefined) throw lastError;
      this.opts.log.info(`Vercel: ${lastError.message}; retrying in ${(delay / 1000).toFixed(1)} s (attempt ${attempt + 2}).`);
      await this.wait(delay);
    }
  }

  async get(path: string, query: Record<string, string | number | boolean | undefined> = {}): Promise<unknown> {
    return (await this.request('GET', path, { query })).data;
  }
}
