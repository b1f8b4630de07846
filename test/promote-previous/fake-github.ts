/**
 * A local stand-in for the parts of GitHub's REST API that git-revert uses: repository access and
 * pull requests. Like GitHub it checks the token, answers 422 "Validation Failed" when the head
 * branch is missing from the repository or already has an open pull request, and returns html_url.
 * The head branch is looked up in the real bare repository the test pushes to.
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
  close(): Promise<void>;
}

export async function startFakeGitHub(opts: { token: string; owner: string; repo: string; bareRepo: string }): Promise<FakeGitHub> {
  const fake: FakeGitHub = { url: '', pulls: [], requests: [], close: async () => undefined };
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
  const handle = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    fake.requests.push({ method: req.method ?? '', path: url.pathname, authorization: req.headers.authorization });
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
      const list = fake.pulls.filter((p) => (state === 'all' || p.state === state) && (!head || `${opts.owner}:${p.head}` === head));
      return json(res, 200, list.map((p) => ({ ...p, head: { ref: p.head }, base: { ref: p.base } })));
    }
    if (req.method === 'POST' && rest === '/pulls') {
      const body = JSON.parse(raw || '{}') as { title?: string; head?: string; base?: string; body?: string };
      if (fake.rateLimitCreate) {
        res.writeHead(403, { 'content-type': 'application/json; charset=utf-8', 'retry-after': '60' });
        return res.end(JSON.stringify({ message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', status: '403' }));
      }
      if (fake.failCreate) return json(res, fake.failCreate, { message: 'Resource not accessible by integration', status: String(fake.failCreate) });
      if (!body.title || !body.head || !body.base) return json(res, 422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'missing_field' }], status: '422' });
      if (!branchExists(body.head)) return json(res, 422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', field: 'head', code: 'invalid' }], status: '422' });
      if (fake.pulls.some((p) => p.head === body.head && p.state === 'open')) {
        return json(res, 422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${opts.owner}:${body.head}.` }], status: '422' });
      }
      const number = fake.pulls.length + 1;
      const pull: FakePull = { number, title: body.title, body: body.body ?? '', head: body.head, base: body.base, state: 'open', html_url: `https://github.com/${opts.owner}/${opts.repo}/pull/${number}` };
      fake.pulls.push(pull);
      return json(res, 201, { ...pull, head: { ref: pull.head }, base: { ref: pull.base } });
    }
    return json(res, 404, { message: 'Not Found', status: '404' });
  };
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => handle(req, res, raw));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () => new Promise<void>((done) => server.close(() => done()));
  return fake;
}
