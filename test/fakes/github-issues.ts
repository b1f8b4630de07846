/**
 * A local stand-in for GitHub's issues REST API, as the incident issue uses it. Like GitHub it:
 * checks the token (401 "Bad credentials"), answers 404 for a repository it does not know and
 * 410 when issues are disabled; lists open issues newest first, `labels` meaning "has all of
 * these", `per_page` up to 100, with a Link header whose next page goes through
 * `/repositories/{id}/issues` (as GitHub's does); lists pull requests among issues (with a
 * `pull_request` key); lists an issue's comments oldest first, paged the same way; gets and updates
 * one issue (PATCH changes only the fields sent); refuses a body over 65,536 characters (422); and
 * can answer with a
 * secondary rate limit (403 + Retry-After), a 5xx, a 403 for a token without issues: write, or
 * not at all (a hang past the client's timeout).
 * Every issue and comment has its author as GitHub returns it (`user.login`, `user.type`,
 * `author_association`, `performed_via_github_app`), and `GET /user` answers as GitHub does for the
 * token: the user of a personal access token, or 403 "Resource not accessible by integration" for
 * an installation token such as the workflow's GITHUB_TOKEN, whose comments are by
 * github-actions[bot] via the GitHub Actions app.
 * A repository renamed from `renamedFrom` answers its old name as GitHub does: 301 "Moved
 * Permanently" for a GET, 307 for any other method, to the same path under `/repositories/{id}`.
 * Every request is recorded with its parsed JSON body. A test can hold a request unanswered (`hold`)
 * to stop the run while it is under way.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Who wrote an issue or a comment; `app` is the GitHub App it was made through (an installation token's). */
export interface FakeAuthor {
  login: string;
  type: 'User' | 'Bot';
  /** OWNER, MEMBER, COLLABORATOR, CONTRIBUTOR, NONE, … */
  association: string;
  app?: { id: number; slug: string; name: string };
}

/** The workflow's GITHUB_TOKEN: an installation token of the GitHub Actions app. */
export const GITHUB_ACTIONS_BOT: FakeAuthor = { login: 'github-actions[bot]', type: 'Bot', association: 'NONE', app: { id: 15368, slug: 'github-actions', name: 'GitHub Actions' } };

export interface FakeComment {
  id: number;
  body: string;
  html_url: string;
  /** The token's identity when left out (a comment the code under test would have written). */
  author?: FakeAuthor;
  /** Now when left out. */
  created_at?: string;
}

export interface FakeIssue {
  number: number;
  title: string;
  body: string;
  labels: string[];
  state: 'open' | 'closed';
  html_url: string;
  created_at: string;
  comments: FakeComment[];
  /** A pull request: GitHub lists these among issues. */
  pullRequest?: boolean;
  /** The token's identity when left out. */
  author?: FakeAuthor;
}

export interface GitHubIssuesRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body?: unknown;
}

export interface GitHubIssuesFake {
  /** What GITHUB_API_URL would be. */
  url: string;
  issues: FakeIssue[];
  requests: GitHubIssuesRequest[];
  /** 410 "Issues are disabled for this repo" on every issues call. */
  issuesDisabled: boolean;
  /** The token may read but not write issues: POSTs answer 403 "Resource not accessible by integration". */
  readOnly: boolean;
  /** The next `times` requests answer a secondary rate limit (403, Retry-After in seconds, or none). */
  rateLimit(times: number, retryAfterSeconds?: number): void;
  /** The next `times` requests answer this 5xx. */
  serverError(times: number, status?: number): void;
  /** The next `times` requests are never answered. */
  hang(times: number): void;
  /**
   * Holds the next request whose "METHOD /path" matches, unanswered (and not yet recorded or acted
   * on), until `release()`: `reached` settles when it arrives. A test stops the run at that point.
   */
  hold(match: RegExp): { reached: Promise<void>; release(): void };
  /** Pagination links point at this origin instead of the API's (a client must not follow them with its token). */
  linkOrigin?: string;
  /** Adds an existing issue (or pull request); returns it. */
  addIssue(issue: Partial<FakeIssue> & { title: string }): FakeIssue;
  /** Issue creations and comments seen, for assertions. */
  created(): FakeIssue[];
  close(): Promise<void>;
}

export interface GitHubIssuesOptions {
  token: string;
  /** owner/name */
  repository: string;
  /** The numeric id GitHub's pagination links use. */
  repositoryId?: number;
  /** Whose token it is: github-actions[bot] (GITHUB_TOKEN) unless told, or a person's personal access token. */
  identity?: FakeAuthor;
  /** owner/name the repository had before a rename or transfer. */
  renamedFrom?: string;
}

const DOCS = 'https://docs.github.com/rest';

export async function startGitHubIssues(opts: GitHubIssuesOptions): Promise<GitHubIssuesFake> {
  const repositoryId = opts.repositoryId ?? 1296269;
  const identity = opts.identity ?? GITHUB_ACTIONS_BOT;
  const [owner, repo] = opts.repository.split('/') as [string, string];
  let base = '';
  let nextNumber = 1;
  let nextCommentId = 1_000_000;
  let rateLimited = 0;
  let rateLimitRetryAfter: number | undefined;
  let failing = 0;
  let failStatus = 502;
  let hanging = 0;
  const created: FakeIssue[] = [];
  const holds: { match: RegExp; arrived: () => void; released: Promise<void> }[] = [];

  const fake: GitHubIssuesFake = {
    url: '',
    issues: [],
    requests: [],
    issuesDisabled: false,
    readOnly: false,
    rateLimit(times, retryAfterSeconds) {
      rateLimited = times;
      rateLimitRetryAfter = retryAfterSeconds;
    },
    serverError(times, status = 502) {
      failing = times;
      failStatus = status;
    },
    hang(times) {
      hanging = times;
    },
    addIssue(partial) {
      const number = nextNumber++;
      const issue: FakeIssue = {
        body: '',
        labels: [],
        state: 'open',
        comments: [],
        created_at: new Date(Date.now() - 1000 * (1000 - number)).toISOString(),
        ...partial,
        number,
        html_url: `https://github.com/${owner}/${repo}/${partial.pullRequest ? 'pull' : 'issues'}/${number}`,
      };
      fake.issues.push(issue);
      return issue;
    },
    hold(match) {
      let arrived = (): void => undefined;
      let release = (): void => undefined;
      const reached = new Promise<void>((done) => (arrived = done));
      const released = new Promise<void>((done) => (release = done));
      holds.push({ match, arrived, released });
      return { reached, release };
    },
    created: () => created,
    close: async () => undefined,
  };

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'x-github-api-version-selected': '2022-11-28',
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4999',
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      ...headers,
    });
    res.end(JSON.stringify(body));
  };
  const error = (res: ServerResponse, status: number, message: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    send(res, status, { message, documentation_url: DOCS, ...extra, status: String(status) }, headers);

  const userJson = (a: FakeAuthor) => ({
    login: a.login,
    id: [...a.login].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 100_000_000, 7),
    node_id: `U_${a.login}`,
    avatar_url: `https://avatars.githubusercontent.com/u/1?v=4`,
    url: `${base}/users/${encodeURIComponent(a.login)}`,
    html_url: a.type === 'Bot' ? `https://github.com/apps/${a.login.replace(/\[bot\]$/, '')}` : `https://github.com/${a.login}`,
    type: a.type,
    site_admin: false,
  });
  const appJson = (a: FakeAuthor) =>
    a.app ? { id: a.app.id, slug: a.app.slug, node_id: `A_${a.app.id}`, owner: { login: 'github', type: 'Organization' }, name: a.app.name, description: '', external_url: 'https://help.github.com/en/actions', html_url: `https://github.com/apps/${a.app.slug}` } : null;
  const commentJson = (issue: FakeIssue, c: FakeComment) => {
    const author = c.author ?? identity;
    const at = c.created_at ?? new Date().toISOString();
    return {
      id: c.id,
      node_id: `IC_${c.id}`,
      url: `${base}/repos/${owner}/${repo}/issues/comments/${c.id}`,
      html_url: c.html_url,
      body: c.body,
      user: userJson(author),
      created_at: at,
      updated_at: at,
      issue_url: `${base}/repos/${owner}/${repo}/issues/${issue.number}`,
      author_association: author.association,
      performed_via_github_app: appJson(author),
    };
  };

  const issueJson = (i: FakeIssue) => ({
    url: `${base}/repos/${owner}/${repo}/issues/${i.number}`,
    html_url: i.html_url,
    id: 100_000 + i.number,
    number: i.number,
    title: i.title,
    body: i.body,
    state: i.state,
    labels: i.labels.map((name, k) => ({ id: k + 1, name, color: 'ededed', default: false })),
    comments: i.comments.length,
    created_at: i.created_at,
    user: userJson(i.author ?? identity),
    author_association: (i.author ?? identity).association,
    performed_via_github_app: appJson(i.author ?? identity),
    ...(i.pullRequest ? { pull_request: { url: `${base}/repos/${owner}/${repo}/pulls/${i.number}`, html_url: i.html_url } } : {}),
  });

  const list = (res: ServerResponse, url: URL) => {
    const q = url.searchParams;
    const state = q.get('state') ?? 'open';
    const wanted = (q.get('labels') ?? '').split(',').map((l) => l.trim().toLowerCase()).filter(Boolean);
    const perPage = Math.min(100, Math.max(1, Number(q.get('per_page') ?? 30) || 30));
    const page = Math.max(1, Number(q.get('page') ?? 1) || 1);
    const all = fake.issues
      .filter((i) => state === 'all' || i.state === state)
      .filter((i) => wanted.every((w) => i.labels.some((l) => l.toLowerCase() === w)))
      .sort((a, b) => b.number - a.number);
    const last = Math.max(1, Math.ceil(all.length / perPage));
    const pageUrl = (n: number) => {
      const u = new URL(`${fake.linkOrigin ?? base}/repositories/${repositoryId}/issues`);
      for (const [k, v] of q) if (k !== 'page') u.searchParams.set(k, v);
      u.searchParams.set('page', String(n));
      return u.href;
    };
    const links: string[] = [];
    if (page > 1) links.push(`<${pageUrl(page - 1)}>; rel="prev"`);
    if (page < last) links.push(`<${pageUrl(page + 1)}>; rel="next"`, `<${pageUrl(last)}>; rel="last"`);
    if (page > 1) links.push(`<${pageUrl(1)}>; rel="first"`);
    send(res, 200, all.slice((page - 1) * perPage, page * perPage).map(issueJson), links.length ? { link: links.join(', ') } : {});
  };

  // Comments of an issue, oldest first, `per_page` up to 100, pages linked as GitHub links them.
  const listComments = (res: ServerResponse, url: URL, issue: FakeIssue) => {
    const q = url.searchParams;
    const perPage = Math.min(100, Math.max(1, Number(q.get('per_page') ?? 30) || 30));
    const page = Math.max(1, Number(q.get('page') ?? 1) || 1);
    const last = Math.max(1, Math.ceil(issue.comments.length / perPage));
    const pageUrl = (n: number) => {
      const u = new URL(`${fake.linkOrigin ?? base}/repositories/${repositoryId}/issues/${issue.number}/comments`);
      for (const [k, v] of q) if (k !== 'page') u.searchParams.set(k, v);
      u.searchParams.set('page', String(n));
      return u.href;
    };
    const links: string[] = [];
    if (page < last) links.push(`<${pageUrl(page + 1)}>; rel="next"`, `<${pageUrl(last)}>; rel="last"`);
    if (page > 1) links.push(`<${pageUrl(page - 1)}>; rel="prev"`, `<${pageUrl(1)}>; rel="first"`);
    const rows = issue.comments.slice((page - 1) * perPage, page * perPage).map((c) => commentJson(issue, c));
    send(res, 200, rows, links.length ? { link: links.join(', ') } : {});
  };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const url = new URL(req.url ?? '/', base);
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = raw;
    }
    fake.requests.push({ method: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body });

    if (hanging > 0) {
      hanging--;
      return; // never answers
    }
    if (rateLimited > 0) {
      rateLimited--;
      const headers: Record<string, string> = rateLimitRetryAfter !== undefined ? { 'retry-after': String(rateLimitRetryAfter) } : {};
      return error(res, 403, 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', {}, headers);
    }
    if (failing > 0) {
      failing--;
      res.writeHead(failStatus, { 'content-type': 'text/html' });
      return res.end('<html><body><h1>Unicorn!</h1></body></html>');
    }
    const token = /^(?:token|Bearer) (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (token !== opts.token) return error(res, 401, 'Bad credentials');

    if (req.method === 'GET' && url.pathname === '/user') {
      // An installation token (GITHUB_TOKEN, a GitHub App's) has no user to show.
      if (identity.app) return error(res, 403, 'Resource not accessible by integration', { documentation_url: 'https://docs.github.com/rest/users/users#get-the-authenticated-user' });
      return send(res, 200, { ...userJson(identity), name: null, created_at: '2020-01-01T00:00:00Z' });
    }

    const byName = new RegExp(`^/repos/([^/]+)/([^/]+)(/.*)?$`).exec(url.pathname);
    if (byName && opts.renamedFrom && `${decodeURIComponent(byName[1]!)}/${decodeURIComponent(byName[2]!)}`.toLowerCase() === opts.renamedFrom.toLowerCase()) {
      const location = `${base}/repositories/${repositoryId}${byName[3] ?? ''}${url.search}`;
      return error(res, req.method === 'GET' ? 301 : 307, 'Moved Permanently', { url: location, documentation_url: 'https://docs.github.com/v3/#http-redirects' }, { location });
    }
    const byId = /^\/repositories\/(\d+)(\/.*)?$/.exec(url.pathname);
    const known = byName ? `${decodeURIComponent(byName[1]!)}/${decodeURIComponent(byName[2]!)}`.toLowerCase() === opts.repository.toLowerCase() : byId ? Number(byId[1]) === repositoryId : false;
    if (!known) return error(res, 404, 'Not Found');
    const rest = (byName ? byName[3] : byId![2]) ?? '';
    if (rest.startsWith('/issues') && fake.issuesDisabled) return error(res, 410, 'Issues are disabled for this repo', { documentation_url: 'https://docs.github.com/v3/issues/' });

    if (req.method === 'GET' && rest === '/issues') return list(res, url);
    if (req.method === 'POST' && rest === '/issues') {
      if (fake.readOnly) return error(res, 403, 'Resource not accessible by integration');
      const b = (body ?? {}) as { title?: unknown; body?: unknown; labels?: unknown };
      if (typeof b.title !== 'string' || !b.title.trim()) return error(res, 422, 'Validation Failed', { errors: [{ resource: 'Issue', code: 'missing_field', field: 'title' }] });
      if (typeof b.body === 'string' && b.body.length > 65_536) {
        return error(res, 422, 'Validation Failed', { errors: [{ resource: 'Issue', code: 'custom', field: 'body', message: 'body is too long (maximum is 65536 characters)' }] });
      }
      const labels = Array.isArray(b.labels) ? b.labels.map(String) : [];
      const issue = fake.addIssue({ title: b.title, body: typeof b.body === 'string' ? b.body : '', labels, created_at: new Date().toISOString() });
      created.push(issue);
      return send(res, 201, issueJson(issue), { location: `${base}/repos/${owner}/${repo}/issues/${issue.number}` });
    }
    // Update an issue (PATCH /repos/{owner}/{repo}/issues/{number}): only the fields sent change; 200 with the issue.
    const one = /^\/issues\/(\d+)$/.exec(rest);
    if (req.method === 'PATCH' && one) {
      if (fake.readOnly) return error(res, 403, 'Resource not accessible by integration');
      const issue = fake.issues.find((i) => i.number === Number(one[1]));
      if (!issue) return error(res, 404, 'Not Found');
      const b = (body ?? {}) as { title?: unknown; body?: unknown; state?: unknown; labels?: unknown };
      if (typeof b.body === 'string' && b.body.length > 65_536) {
        return error(res, 422, 'Validation Failed', { errors: [{ resource: 'Issue', code: 'custom', field: 'body', message: 'body is too long (maximum is 65536 characters)' }] });
      }
      if (typeof b.title === 'string') issue.title = b.title;
      if (typeof b.body === 'string' || b.body === null) issue.body = b.body ?? '';
      if (b.state === 'open' || b.state === 'closed') issue.state = b.state;
      if (Array.isArray(b.labels)) issue.labels = b.labels.map(String);
      return send(res, 200, issueJson(issue));
    }
    if (req.method === 'GET' && one) {
      const issue = fake.issues.find((i) => i.number === Number(one[1]));
      return issue ? send(res, 200, issueJson(issue)) : error(res, 404, 'Not Found');
    }
    const comments = /^\/issues\/(\d+)\/comments$/.exec(rest);
    if (req.method === 'GET' && comments) {
      const issue = fake.issues.find((i) => i.number === Number(comments[1]));
      if (!issue) return error(res, 404, 'Not Found');
      return listComments(res, url, issue);
    }
    if (req.method === 'POST' && comments) {
      if (fake.readOnly) return error(res, 403, 'Resource not accessible by integration');
      const issue = fake.issues.find((i) => i.number === Number(comments[1]));
      if (!issue) return error(res, 404, 'Not Found');
      const text = (body as { body?: unknown } | undefined)?.body;
      if (typeof text !== 'string' || !text) return error(res, 422, 'Validation Failed', { errors: [{ resource: 'IssueComment', code: 'missing_field', field: 'body' }] });
      const id = nextCommentId++;
      const comment: FakeComment = { id, body: text, html_url: `${issue.html_url}#issuecomment-${id}`, author: identity, created_at: new Date().toISOString() };
      issue.comments.push(comment);
      return send(res, 201, commentJson(issue, comment));
    }
    return error(res, 404, 'Not Found');
  };

  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const i = holds.findIndex((h) => h.match.test(`${req.method} ${new URL(req.url ?? '/', base).pathname}`));
      if (i < 0) return handle(req, res, raw);
      const [held] = holds.splice(i, 1);
      held!.arrived();
      void held!.released.then(() => handle(req, res, raw));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.url = base;
  fake.close = () =>
    new Promise<void>((done) => {
      server.closeAllConnections();
      server.close(() => done());
    });
  return fake;
}
