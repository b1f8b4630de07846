/**
 * The Vercel REST client: the shared platform HTTP client with bearer auth, the team scope on every
 * request, and Vercel's error bodies (`error`/`err` objects that may flag `invalidToken`).
 */
import type { Log } from '../../core/log.js';
import { HttpApiError, HttpClient, HttpNetworkError, readErrorBody as readAnyErrorBody, type HttpClientTuning, type HttpResponse, type Method, type Query } from '../http/client.js';

export { sleep, DEFAULT_REQUEST_TIMEOUT_MS } from '../http/client.js';

export interface VercelClientOptions extends HttpClientTuning {
  token: string;
  /** Base URL, `https://api.vercel.com` unless a proxy or a test server stands in. */
  apiUrl: string;
  /** Team id (`team_…`) or slug; empty for a personal account. */
  team?: string;
}

/** Vercel answered with a non-2xx status (after any retries). */
export class VercelApiError extends HttpApiError {
  constructor(
    status: number,
    code: string | undefined,
    serverMessage: string,
    /** Vercel sets `invalidToken: true` on a 403 caused by the token rather than the scope. */
    readonly invalidToken: boolean,
    request: string,
  ) {
    super('Vercel', status, code, serverMessage, request);
    this.name = 'VercelApiError';
  }
}

/** Vercel could not be reached, or did not answer within the request timeout. */
export const VercelNetworkError = HttpNetworkError;
export type VercelNetworkError = HttpNetworkError;
export type VercelResponse = HttpResponse;

export function readErrorBody(text: string, log: Pick<Log, 'excerpt'>): { code?: string; message: string; invalidToken: boolean } {
  const body = readAnyErrorBody(text, log);
  return { code: body.code, message: body.message, invalidToken: body.inner?.invalidToken === true };
}

export class VercelClient {
  private readonly http: HttpClient;

  constructor(opts: VercelClientOptions) {
    const { token, apiUrl, team: teamInput, ...tuning } = opts;
    opts.log.secret(token);
    const team = teamInput?.trim();
    this.http = new HttpClient({
      ...tuning,
      service: 'Vercel',
      baseUrl: apiUrl,
      headers: { Authorization: `Bearer ${token}` },
      apiError: (status, text, request) => {
        const body = readErrorBody(text, opts.log);
        return new VercelApiError(status, body.code, body.message, body.invalidToken, request);
      },
      // The CLI sends `teamId` for `team_…` ids; anything else is a team slug.
      scope: () => (team ? { [team.startsWith('team_') ? 'teamId' : 'slug']: team } : {}),
    });
  }

  get host(): string {
    return this.http.host;
  }

  request(method: Extract<Method, 'GET' | 'POST'>, path: string, opts: { query?: Query; body?: unknown } = {}): Promise<VercelResponse> {
    return this.http.request(method, path, opts);
  }

  get(path: string, query: Query = {}): Promise<unknown> {
    return this.http.get(path, query);
  }
}
