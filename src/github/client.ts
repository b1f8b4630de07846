/**
 * The one way this project talks to GitHub's REST API (commit statuses, the incident and drill
 * issues): the shared HTTP client with GitHub's headers, following redirects on the API's own origin
 * only, as GitHub asks of its clients (a renamed or transferred repository answers 301, or 307 for a
 * write, with /repositories/<id>/…). The token is registered with the log before any request.
 */
import type { Log } from '../core/log.js';
import { HttpClient, type HttpClientOptions } from '../platforms/http/client.js';

export type GitHubClientTuning = Pick<HttpClientOptions, 'requestTimeoutMs' | 'retry' | 'sleep' | 'random' | 'deadline' | 'longestWaitMs' | 'apiError' | 'stop'>;

export function githubClient(apiUrl: string, token: string, log: Log, tuning: GitHubClientTuning = {}): HttpClient {
  log.secret(token);
  return new HttpClient({
    service: 'GitHub',
    baseUrl: apiUrl,
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/vnd.github+json', 'X-GitHub-Api-Version': '2022-11-28', 'User-Agent': 'rollback-kit' },
    log,
    redirects: 'same-origin',
    ...tuning,
  });
}
