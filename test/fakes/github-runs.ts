/**
 * A local stand-in for GitHub's "list workflow runs for a repository" (`GET /repos/{o}/{r}/actions/runs`),
 * as rollback-drill.yml's gate reads it. Like GitHub it: checks the token (401 "Bad credentials");
 * filters by `status`; gives each run `path` (the workflow file, `@ref` for a dynamic one) and
 * `referenced_workflows` (the reusable workflows it calls, as owner/repo/path@ref); lists runs in
 * GitHub's order (newest first) with `per_page` 30 unless given and at most 100, `page` from 1,
 * `total_count` and a Link header (prev, next, last, first, each where it applies) unless every run
 * fits on one page.
 *
 * A filtered list is cut at 1,000 runs: GitHub's documentation says the endpoint "will return up to
 * 1,000 results for each search" with `status` (or actor, branch, check_suite_id, created, event,
 * head_sha). The stand-in answers as GitHub does at its unfiltered cap (40,000): `total_count` says
 * no more than the cap, the Link header's last page is the cap's, and a page past it is refused
 * with 422 "pagination is limited for this resource". So a client cannot tell 1,000 runs from more
 * by the answer: exactly what a gate that must not miss a rollback has to allow for.
 *
 * Rate-limited as GitHub documents it for GITHUB_TOKEN: every authorized answer carries
 * x-ratelimit-limit (1,000 an hour), -remaining, -used, -reset and -resource, each request counts,
 * and once none is left the answer is 403 (or 429) with x-ratelimit-remaining 0; a secondary limit is
 * a 403 (or 429) that says so, with retry-after when GitHub gives one. Tests change the fields below
 * as time passes (`onRequest` is called as each request arrives, before it is answered).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRun {
  id: number;
  status: string;
  path: string;
  referenced_workflows?: { path: string; sha: string; ref?: string }[];
}

/** The most runs GitHub lists for a filtered search. */
export const FILTERED_LIST_CAP = 1000;

const FILTERS = ['actor', 'branch', 'check_suite_id', 'created', 'event', 'head_sha', 'status'];

export interface GitHubRunsFake {
  url: string;
  /** The repository's runs, newest first. */
  runs: FakeRun[];
  /** `METHOD /path?query` of each request, in order. */
  requests: string[];
  /** The next this many requests answer 502. */
  failing: number;
  /** The repository's GITHUB_TOKEN budget for the hour. */
  rate: { limit: number; remaining: number };
  /** The next answers refused by a secondary limit: status, and retry-after when there is one. */
  secondary: { status: 403 | 429; retryAfter?: number }[];
  /** The status of the answer once the primary limit is used up. */
  exceededStatus: 403 | 429;
  /** Called on each request (its number from 1, and its URL), to change the runs as time passes. */
  onRequest: (n: number, url: URL) => void;
  /** How long each answer takes. */
  delayMs: number;
  /** Back to no runs, no requests, a full budget. */
  reset(): void;
  close(): Promise<void>;
}

export async function startGitHubRuns(opts: { repo: string; token: string }): Promise<GitHubRunsFake> {
  const fake: GitHubRunsFake = {
    url: '',
    runs: [],
    requests: [],
    failing: 0,
    rate: { limit: 1000, remaining: 1000 },
    secondary: [],
    exceededStatus: 403,
    onRequest: () => {},
    delayMs: 0,
    reset() {
      Object.assign(fake, { runs: [], requests: [], failing: 0, rate: { limit: 1000, remaining: 1000 }, secondary: [], exceededStatus: 403, onRequest: () => {}, delayMs: 0 });
    },
    // The server below is made once fake exists, for its handler reads fake's fields.
    close: () => new Promise((r) => server.close(() => r())),
  };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    fake.requests.push(`${req.method} ${url.pathname}${url.search}`);
    fake.onRequest(fake.requests.length, url);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      const answer = () => res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
      if (fake.delayMs > 0) setTimeout(answer, fake.delayMs);
      else answer();
    };
    if (fake.failing > 0) {
      fake.failing--;
      return send(502, { message: 'Server Error' });
    }
    if (req.headers.authorization !== `Bearer ${opts.token}`) return send(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' });
    const rate = fake.rate;
    const limits = () => ({
      'x-ratelimit-limit': String(rate.limit),
      'x-ratelimit-remaining': String(rate.remaining),
      'x-ratelimit-used': String(rate.limit - rate.remaining),
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      'x-ratelimit-resource': 'core',
    });
    if (rate.remaining === 0) return send(fake.exceededStatus, { message: 'API rate limit exceeded for installation.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api' }, limits());
    rate.remaining--;
    const refused = fake.secondary.shift();
    if (refused) {
      const retry: Record<string, string> = refused.retryAfter === undefined ? {} : { 'retry-after': String(refused.retryAfter) };
      return send(refused.status, { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' }, { ...limits(), ...retry });
    }
    if (req.method !== 'GET' || url.pathname !== `/repos/${opts.repo}/actions/runs`) return send(404, { message: 'Not Found' }, limits());
    const status = url.searchParams.get('status');
    const all = fake.runs.filter((r) => !status || r.status === status).map((r) => ({ ...r, name: 'x', event: 'workflow_dispatch', conclusion: null, referenced_workflows: r.referenced_workflows ?? [] }));
    const filtered = FILTERS.some((f) => url.searchParams.has(f));
    const list = filtered ? all.slice(0, FILTERED_LIST_CAP) : all;
    const perPage = Math.min(Number(url.searchParams.get('per_page')) || 30, 100);
    const page = Math.max(Number(url.searchParams.get('page')) || 1, 1);
    if (filtered && (page - 1) * perPage >= FILTERED_LIST_CAP) {
      return send(422, { message: 'In order to keep the API fast for everyone, pagination is limited for this resource.', documentation_url: 'https://docs.github.com/v3/#pagination', status: '422' }, limits());
    }
    const last = Math.max(Math.ceil(list.length / perPage), 1);
    const link = (n: number, rel: string) => {
      const to = new URL(`${fake.url}${url.pathname}${url.search}`);
      to.searchParams.set('page', String(n));
      return `<${to.href}>; rel="${rel}"`;
    };
    const links = [page > 1 && link(page - 1, 'prev'), page < last && link(page + 1, 'next'), page < last && link(last, 'last'), page > 1 && link(1, 'first')].filter((l) => l !== false);
    send(200, { total_count: list.length, workflow_runs: list.slice((page - 1) * perPage, page * perPage) }, { ...limits(), ...(links.length > 0 ? { link: links.join(', ') } : {}) });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
