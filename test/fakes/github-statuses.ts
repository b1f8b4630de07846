/**
 * A local stand-in for GitHub's commit status REST API, as rollback-kit/verified uses it. Like
 * GitHub it: checks the token (401 "Bad credentials"); answers 404 "Not Found" for a repository it
 * does not know and 404 "No commit found for SHA" when reading a commit it does not have, 422 when
 * creating a status on one; refuses a state outside error/failure/pending/success (422
 * "Validation Failed"); answers 403 "Resource not accessible by integration" to a token without
 * statuses: write; keeps at most 1000 statuses per SHA and context (422 after that). The combined
 * status (`GET /repos/{o}/{r}/commits/{ref}/status`) holds the latest status of each context,
 * paginated with `per_page` (default 30, at most 100) and `page`, `total_count` counting contexts,
 * and a Link header; `GET …/commits/{ref}/statuses` lists every status newest first, paginated the
 * same way. A ref is a full SHA or an unambiguous prefix of at least 7 characters. It can answer
 * the next requests with a rate limit in each shape GitHub documents: 429 with Retry-After; 403
 * "API rate limit exceeded" with `x-ratelimit-remaining: 0` and `x-ratelimit-reset` (the hourly
 * limit used up); 403 "You have exceeded a secondary rate limit" with or without Retry-After.
 * It can also stall: take the next requests and never answer them, as a GitHub behind a broken
 * network path or proxy looks to the runner. Every request is recorded. A repository renamed from
 * `renamedFrom` answers its old name as GitHub does: 301 "Moved Permanently" for a GET, 307 for any
 * other method, to the same path under `/repositories/{id}`, which it also serves.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeStatus {
  id: number;
  state: string;
  context: string;
  description: string | null;
  target_url: string | null;
  created_at: string;
}

export interface StatusesRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body?: unknown;
  status: number;
  /** When it arrived (ms). */
  at: number;
}

export interface GitHubStatusesFake {
  url: string;
  requests: StatusesRequest[];
  /** Every status ever created, per full SHA, oldest first. */
  statuses: Map<string, FakeStatus[]>;
  /** Makes a commit known to the repository. */
  addCommit(sha: string): void;
  /** Adds a status as if someone had created it (no request). */
  addStatus(sha: string, status: { state: string; context: string; description?: string; target_url?: string }): FakeStatus;
  /** The latest status of `context` on `sha`. */
  latest(sha: string, context: string): FakeStatus | undefined;
  /** The next `times` requests answer 429 with this Retry-After (seconds). */
  rateLimit(times: number, retryAfterSeconds: number): void;
  /**
   * The next `times` requests answer 403 rate limits: `primary` (the hourly limit used up, resetting
   * in `seconds`) or `secondary` (Retry-After `seconds`, or none when undefined).
   */
  rateLimit403(times: number, kind: 'primary' | 'secondary', seconds?: number): void;
  /** The next `times` requests get no answer at all (status 0 in `requests`); close() drops them. */
  stall(times: number): void;
  close(): Promise<void>;
}

const STATES = ['error', 'failure', 'pending', 'success'];
const MAX_PER_CONTEXT = 1000;
const DOCS = 'https://docs.github.com/rest/commits/statuses';

export async function startGitHubStatuses(opts: { owner: string; repo: string; token: string; readOnlyToken?: string; renamedFrom?: string; repositoryId?: number }): Promise<GitHubStatusesFake> {
  const repositoryId = opts.repositoryId ?? 1296269;
  const commits = new Set<string>();
  const statuses = new Map<string, FakeStatus[]>();
  const requests: StatusesRequest[] = [];
  let nextId = 1;
  let limited = 0;
  let limited403: { times: number; kind: 'primary' | 'secondary'; seconds?: number } = { times: 0, kind: 'primary' };
  let retryAfter = 0;
  let stalled = 0;
  let base = '';

  const add = (sha: string, s: { state: string; context: string; description?: string; target_url?: string }): FakeStatus => {
    const status: FakeStatus = { id: nextId++, state: s.state, context: s.context, description: s.description ?? null, target_url: s.target_url ?? null, created_at: new Date(Date.now() + nextId).toISOString() };
    const list = statuses.get(sha) ?? [];
    list.push(status);
    statuses.set(sha, list);
    return status;
  };
  const latestPerContext = (sha: string): FakeStatus[] => {
    const seen = new Map<string, FakeStatus>();
    for (const s of [...(statuses.get(sha) ?? [])].reverse()) if (!seen.has(s.context)) seen.set(s.context, s);
    return [...seen.values()];
  };
  const resolveRef = (ref: string): string | undefined => {
    const lower = ref.toLowerCase();
    if (commits.has(lower)) return lower;
    if (!/^[0-9a-f]{7,39}$/.test(lower)) return undefined;
    const matches = [...commits].filter((c) => c.startsWith(lower));
    return matches.length === 1 ? matches[0] : undefined;
  };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = raw;
    }
    const record: StatusesRequest = { method: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body, status: 0, at: Date.now() };
    requests.push(record);
    const send = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(value));
    };
    if (stalled > 0) {
      stalled--;
      return;
    }
    if (limited403.times > 0) {
      limited403.times--;
      if (limited403.kind === 'primary') {
        const reset = Math.ceil(Date.now() / 1000) + (limited403.seconds ?? 3600);
        return send(
          403,
          { message: 'API rate limit exceeded for installation ID 4242. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000:0000:0000.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api', status: '403' },
          { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-used': '5000', 'x-ratelimit-reset': String(reset), 'x-ratelimit-resource': 'core' },
        );
      }
      return send(
        403,
        { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits', status: '403' },
        limited403.seconds === undefined ? {} : { 'retry-after': String(limited403.seconds) },
      );
    }
    if (limited > 0) {
      limited--;
      return send(429, { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url: DOCS, status: '429' }, { 'retry-after': String(retryAfter) });
    }
    const token = /^(?:token|Bearer) (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (token !== opts.token && (!opts.readOnlyToken || token !== opts.readOnlyToken)) return send(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' });
    const moved = opts.renamedFrom && new RegExp(`^/repos/${opts.renamedFrom.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(/.*)$`, 'i').exec(url.pathname);
    if (moved) {
      const location = `${base}/repositories/${repositoryId}${moved[1]}${url.search}`;
      return send(req.method === 'GET' ? 301 : 307, { message: 'Moved Permanently', url: location, documentation_url: 'https://docs.github.com/v3/#http-redirects' }, { location });
    }
    const byId = new RegExp(`^/repositories/${repositoryId}(/.*)$`).exec(url.pathname);
    if (byId) url.pathname = `/repos/${opts.owner}/${opts.repo}${byId[1]}`;
    const m = /^\/repos\/([^/]+)\/([^/]+)\/(commits\/([^/]+)\/(status|statuses)|statuses\/([^/]+))$/.exec(url.pathname);
    if (!m || m[1]!.toLowerCase() !== opts.owner.toLowerCase() || m[2]!.toLowerCase() !== opts.repo.toLowerCase()) {
      return send(404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
    }
    const fullName = `${opts.owner}/${opts.repo}`;

    if (req.method === 'POST' && m[6]) {
      if (token === opts.readOnlyToken) return send(403, { message: 'Resource not accessible by integration', documentation_url: DOCS, status: '403' });
      const sha = decodeURIComponent(m[6]).toLowerCase();
      if (!commits.has(sha)) return send(422, { message: `No commit found for SHA: ${decodeURIComponent(m[6])}`, documentation_url: DOCS, status: '422' });
      const b = (body ?? {}) as Record<string, unknown>;
      if (typeof b.state !== 'string' || !STATES.includes(b.state)) {
        return send(422, { message: 'Validation Failed', errors: [{ resource: 'Status', field: 'state', code: 'custom', message: 'state is not included in the list' }], documentation_url: DOCS, status: '422' });
      }
      if (typeof b.description === 'string' && b.description.length > 140) {
        return send(422, { message: 'Validation Failed', errors: [{ resource: 'Status', field: 'description', code: 'custom', message: 'description is too long (maximum is 140 characters)' }], documentation_url: DOCS, status: '422' });
      }
      const context = typeof b.context === 'string' && b.context ? b.context : 'default';
      if ((statuses.get(sha) ?? []).filter((s) => s.context === context).length >= MAX_PER_CONTEXT) {
        return send(422, { message: 'Validation Failed', errors: [{ resource: 'Status', code: 'custom', message: 'This SHA and context has reached the maximum number of statuses.' }], documentation_url: DOCS, status: '422' });
      }
      const s = add(sha, { state: b.state, context, description: typeof b.description === 'string' ? b.description : undefined, target_url: typeof b.target_url === 'string' ? b.target_url : undefined });
      return send(201, { ...s, url: `${base}/repos/${fullName}/statuses/${sha}`, updated_at: s.created_at, creator: { login: 'github-actions[bot]' } });
    }
    if (req.method !== 'GET' || !m[4]) return send(404, { message: 'Not Found', documentation_url: DOCS, status: '404' });

    const ref = decodeURIComponent(m[4]);
    const sha = resolveRef(ref);
    if (!sha) return send(404, { message: `No commit found for SHA: ${ref}`, documentation_url: DOCS, status: '404' });
    const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 30) || 30));
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
    const all = m[5] === 'status' ? latestPerContext(sha) : [...(statuses.get(sha) ?? [])].reverse();
    const last = Math.max(1, Math.ceil(all.length / perPage));
    const pageUrl = (p: number) => {
      const u = new URL(`${base}${url.pathname}`);
      u.searchParams.set('per_page', String(perPage));
      u.searchParams.set('page', String(p));
      return u.toString();
    };
    const links: string[] = [];
    if (page > 1) links.push(`<${pageUrl(page - 1)}>; rel="prev"`, `<${pageUrl(1)}>; rel="first"`);
    if (page < last) links.push(`<${pageUrl(page + 1)}>; rel="next"`, `<${pageUrl(last)}>; rel="last"`);
    const slice = all.slice((page - 1) * perPage, page * perPage).map((s) => ({ ...s, url: `${base}/repos/${fullName}/statuses/${sha}`, updated_at: s.created_at }));
    const headers: Record<string, string> = links.length ? { link: links.join(', ') } : {};
    if (m[5] === 'statuses') return send(200, slice, headers);
    const latest = latestPerContext(sha);
    const state = latest.some((s) => s.state === 'error' || s.state === 'failure') ? 'failure' : latest.length && latest.every((s) => s.state === 'success') ? 'success' : 'pending';
    return send(200, { state, statuses: slice, sha, total_count: latest.length, repository: { full_name: fullName }, commit_url: `${base}/repos/${fullName}/commits/${sha}`, url: `${base}/repos/${fullName}/commits/${sha}/status` }, headers);
  };

  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => handle(req, res, raw));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    requests,
    statuses,
    addCommit: (sha) => void commits.add(sha.toLowerCase()),
    addStatus: (sha, s) => add(sha.toLowerCase(), s),
    latest: (sha, context) => [...(statuses.get(sha.toLowerCase()) ?? [])].reverse().find((s) => s.context === context),
    rateLimit: (times, seconds) => {
      limited = times;
      retryAfter = seconds;
    },
    rateLimit403: (times, kind, seconds) => {
      limited403 = { times, kind, seconds };
    },
    stall: (times) => {
      stalled = times;
    },
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
