/**
 * A local stand-in for the parts of GitHub's REST API that git-revert uses: repository access and
 * pull requests. Like GitHub it checks the token, answers 422 "Validation Failed" when the head
 * branch is missing from the repository, has no commits the base lacks ("No commits between"), or
 * already has an open pull request, and returns html_url. It lists pull requests newest first, a
 * page of per_page (30 unless asked, at most 100) at a time with a Link header to the next, and
 * filters them by state (open unless asked; closed includes merged, which carry merged_at). The
 * branches are looked up in the real bare repository the test pushes to. A test can hold a request
 * unanswered (`hold`) to stop the run while it is under way.
 */
import { execFileSync } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakePull {
  number: number;
  title: string;
  body: string;
  head: string;
  base: string;
  state: 'open' | 'closed';
  /** When it was merged (then it is closed too); null while open or closed without merging. */
  merged_at: string | null;
  html_url: string;
}

export interface FakeGitHub {
  url: string;
  pulls: FakePull[];
  requests: { method: string; path: string; authorization?: string }[];
  /** Makes pull request creation fail with this status (to test clean-up). */
  failCreate?: number;
  /** Makes pull request creation answer GitHub's secondary rate limit: 403 with Retry-After. */
  rateLimitCreate?: boolean;
  /** Takes every request and never answers it (a GitHub behind a broken proxy); close() drops them. */
  stall?: boolean;
  /** Answers every request 200 with a JSON body that never ends. */
  endlessBody?: boolean;
  /**
   * Holds the next request whose "METHOD /path" matches, unanswered (and not yet recorded or acted
   * on), until `release()`: `reached` settles when it arrives. A test stops the run at that point.
   */
  hold(match: RegExp): { reached: Promise<void>; release(): void };
  close(): Promise<void>;
}

export async function startFakeGitHub(opts: { token: string; owner: string; repo: string; bareRepo: string }): Promise<FakeGitHub> {
  const holds: { match: RegExp; arrived: () => void; released: Promise<void> }[] = [];
  const fake: FakeGitHub = {
    url: '',
    pulls: [],
    requests: [],
    hold(match) {
      let arrived = (): void => undefined;
      let release = (): void => undefined;
      const reached = new Promise<void>((done) => (arrived = done));
      const released = new Promise<void>((done) => (release = done));
      holds.push({ match, arrived, released });
      return { reached, release };
    },
    close: async () => undefined,
  };
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };
  const branchExists = (branch: string) => {
    try {
      execFileSync('git', ['--git-dir', opts.bareRepo, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  /** Commits on head that base lacks: GitHub refuses a pull request with none. */
  const commitsAhead = (base: string, head: string) =>
    Number(execFileSync('git', ['--git-dir', opts.bareRepo, 'rev-list', '--count', `refs/heads/${base}..refs/heads/${head}`], { encoding: 'utf8' }).trim());
  const invalid = (res: ServerResponse, error: Record<string, string>) =>
    json(res, 422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', ...error }], documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request', status: '422' });
  const handle = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    fake.requests.push({ method: req.method ?? '', path: url.pathname, authorization: req.headers.authorization });
    if (fake.stall) return;
    if (fake.endlessBody) {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.write('[');
      const chunk = `${JSON.stringify({ number: 1, html_url: 'x'.repeat(1000) })},`.repeat(16);
      // Written as the client reads: the body ends only when the client hangs up.
      const more = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', more);
      };
      return more();
    }
    const token = /^(?:token|Bearer) (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (token !== opts.token) return json(res, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' });
    const repoPath = `/repos/${opts.owner}/${opts.repo}`;
    if (!url.pathname.startsWith(repoPath)) return json(res, 404, { message: 'Not Found', status: '404' });
    const rest = url.pathname.slice(repoPath.length);
    if (req.method === 'GET' && rest === '') {
      return json(res, 200, { id: 1, name: opts.repo, full_name: `${opts.owner}/${opts.repo}`, default_branch: 'main', permissions: { push: true } });
    }
    if (req.method === 'GET' && rest === '/pulls') {
      const head = url.searchParams.get('head');
      const state = url.searchParams.get('state') ?? 'open';
      const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 30));
      const page = Number(url.searchParams.get('page') ?? 1);
      const list = fake.pulls.filter((p) => (state === 'all' || p.state === state) && (!head || `${opts.owner}:${p.head}` === head)).reverse();
      const shown = list.slice((page - 1) * perPage, page * perPage);
      if (list.length > page * perPage) {
        const next = new URL(url.toString().replace('http://localhost', fake.url));
        next.searchParams.set('page', String(page + 1));
        next.searchParams.set('per_page', String(perPage));
        res.setHeader('link', `<${next.toString()}>; rel="next"`);
      }
      return json(res, 200, shown.map((p) => ({ ...p, head: { ref: p.head }, base: { ref: p.base } })));
    }
    if (req.method === 'POST' && rest === '/pulls') {
      const body = JSON.parse(raw || '{}') as { title?: string; head?: string; base?: string; body?: string };
      if (fake.rateLimitCreate) {
        res.writeHead(403, { 'content-type': 'application/json; charset=utf-8', 'retry-after': '60' });
        return res.end(JSON.stringify({ message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', status: '403' }));
      }
      if (fake.failCreate) return json(res, fake.failCreate, { message: 'Resource not accessible by integration', status: String(fake.failCreate) });
      if (!body.title || !body.head || !body.base) return invalid(res, { code: 'missing_field' });
      if (!branchExists(body.head)) return invalid(res, { field: 'head', code: 'invalid' });
      if (!branchExists(body.base)) return invalid(res, { field: 'base', code: 'invalid' });
      if (fake.pulls.some((p) => p.head === body.head && p.state === 'open')) return invalid(res, { code: 'custom', message: `A pull request already exists for ${opts.owner}:${body.head}.` });
      if (commitsAhead(body.base, body.head) === 0) return invalid(res, { code: 'custom', message: `No commits between ${body.base} and ${body.head}` });
      const number = fake.pulls.length + 1;
      const pull: FakePull = { number, title: body.title, body: body.body ?? '', head: body.head, base: body.base, state: 'open', merged_at: null, html_url: `https://github.com/${opts.owner}/${opts.repo}/pull/${number}` };
      fake.pulls.push(pull);
      return json(res, 201, { ...pull, head: { ref: pull.head }, base: { ref: pull.base } });
    }
    return json(res, 404, { message: 'Not Found', status: '404' });
  };
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const i = holds.findIndex((h) => h.match.test(`${req.method} ${new URL(req.url ?? '/', 'http://localhost').pathname}`));
      if (i < 0) return handle(req, res, raw);
      const [held] = holds.splice(i, 1);
      held!.arrived();
      void held!.released.then(() => handle(req, res, raw));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () =>
    new Promise<void>((done) => {
      server.close(() => done());
      // A stalled or endless answer keeps its connection: drop it.
      server.closeAllConnections();
    });
  return fake;
}
