/** The pull request side of git-revert, on @actions/github (which honours GITHUB_API_URL's value passed in). */
import { RollbackKitError } from '../../core/errors.js';
import type { ChangeGuard } from '../change-guard.js';
import { boundedFetch, NoAnswerInTime, type FetchBounds, type Fetch } from '../http/bounded-fetch.js';
import { isRateLimit } from '../http/retry.js';

type Octokit = ReturnType<typeof import('@actions/github').getOctokit>;

export interface PullRequest {
  number: number;
  url: string;
}

/** A pull request as a re-run finds it: still open, merged, or closed without merging. */
export interface FoundPullRequest extends PullRequest {
  state: 'open' | 'merged' | 'closed';
}

export interface Repo {
  owner: string;
  repo: string;
}

export function parseRepository(full: string): Repo {
  const m = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(full.trim());
  if (!m) throw new RollbackKitError(`GITHUB_REPOSITORY must look like owner/name; got "${full}".`, 'Run the step in GitHub Actions, or set GITHUB_REPOSITORY.');
  return { owner: m[1]!, repo: m[2]! };
}

const status = (err: unknown): number | undefined => (typeof (err as { status?: unknown })?.status === 'number' ? (err as { status: number }).status : undefined);

/** Octokit's error keeps the answer's headers: a 403 may be a rate limit rather than a refusal. */
function rateLimited(err: unknown, code: number | undefined): boolean {
  const headers = (err as { response?: { headers?: Record<string, unknown> } })?.response?.headers ?? {};
  const get = (name: string) => (headers[name] === undefined ? null : String(headers[name]));
  return code !== undefined && isRateLimit(code, { get }, (err as Error)?.message ?? '');
}

function apiError(err: unknown, doing: string, repo: Repo): RollbackKitError {
  const name = `${repo.owner}/${repo.repo}`;
  // Octokit wraps what its fetch threw (bounded-fetch.ts) in a RequestError "500": the cause says what happened.
  const cause = (err as { cause?: unknown })?.cause ?? err;
  if (cause instanceof RollbackKitError) return cause;
  if (cause instanceof NoAnswerInTime) {
    return new RollbackKitError(`GitHub did not answer while ${doing} in ${name}: ${cause.message}.`, 'Check GITHUB_API_URL and the runner network, then re-run the step; it is safe to repeat.');
  }
  const code = status(err);
  if (rateLimited(err, code)) return new RollbackKitError(`GitHub rate-limited the requests (${code}) while ${doing} in ${name}.`, 'Wait for the limit to reset (a minute for a secondary limit, up to an hour for the hourly one), then re-run the step; it is safe to repeat.');
  if (code === 401) return new RollbackKitError(`GitHub rejected the github-token (401) while ${doing} in ${name}.`, 'Pass secrets.GITHUB_TOKEN or a token that is still valid.');
  if (code === 403) return new RollbackKitError(`GitHub refused (403) ${doing} in ${name}: the token lacks permission.`, 'Grant the job permissions contents: write and pull-requests: write.');
  if (code === 404) return new RollbackKitError(`GitHub repository ${name} was not found (404) while ${doing}.`, 'Check that the token can see the repository.');
  const message = (err as Error)?.message ?? String(err);
  return new RollbackKitError(`GitHub failed while ${doing} in ${name}${code ? ` (${code})` : ''}: ${message}`, 'Re-run the step; it is safe to repeat.');
}

export interface PullRequests {
  /** Fails fast, before anything is pushed, when the token cannot see the repository. */
  checkAccess(): Promise<void>;
  /** The newest pull request from the branch, whatever its state. */
  latest(branch: string): Promise<FoundPullRequest | undefined>;
  /** Opens the pull request, or returns the one already open for the branch. */
  open(opts: { branch: string; base: string; title: string; body: string }): Promise<PullRequest>;
}

/**
 * `bounds`: each call (its answer's body included) ends within timeoutMs (20 s unless given) and
 * reads at most maxBytes, as every other API call of the project does (http/client.ts).
 * `stop`: the run's stop (change-guard.ts) ends every call where it is, as the other providers'
 * reads end; opening the pull request is not started after it, and once started counts as sent (the
 * guard then says "sent, not confirmed": a request ended mid-way may have opened it).
 */
export function pullRequests(token: string, apiUrl: string, repo: Repo, bounds: FetchBounds = {}, stop?: ChangeGuard): PullRequests {
  // Loaded on first use: @actions/github (octokit, undici) is most of a bundle's start-up, and
  // only this provider's pull request needs it.
  let client: Promise<Octokit> | undefined;
  const octokit = (): Promise<Octokit> =>
    (client ??= Promise.all([import('@actions/github'), import('@actions/github/lib/utils')]).then(([{ getOctokit }, { defaults }]) => {
      // Octokit takes `request` whole: its defaults (the proxy-aware fetch and agent) are kept, their fetch bounded.
      const request = defaults.request as { fetch?: Fetch } | undefined;
      return getOctokit(token, { baseUrl: apiUrl.replace(/\/$/, ''), request: { ...request, fetch: boundedFetch(request?.fetch, bounds) } });
    }));
  // Octokit hands `request.signal` to its fetch (boundedFetch adds its time bound to it).
  const ending = stop?.signal ? { request: { signal: stop.signal } } : {};
  /** Before a call, and after one failed: the stop's error (StoppedHere) rather than what the cut request made of it. */
  const stopped = (what: string) => stop?.check(what);
  const api: PullRequests = {
    async checkAccess() {
      const what = `GET repository ${repo.owner}/${repo.repo}`;
      stopped(what);
      try {
        await (await octokit()).rest.repos.get({ ...repo, ...ending });
      } catch (err) {
        stopped(what);
        throw apiError(err, 'checking access to the repository', repo);
      }
    },
    async latest(branch) {
      const what = `GET pull requests of ${branch}`;
      stopped(what);
      try {
        // Newest first: the first page of one is all that is needed.
        const { data } = await (await octokit()).rest.pulls.list({ ...repo, state: 'all', head: `${repo.owner}:${branch}`, sort: 'created', direction: 'desc', per_page: 1, ...ending });
        const pr = data[0];
        return pr ? { number: pr.number, url: pr.html_url, state: pr.state === 'open' ? 'open' : pr.merged_at ? 'merged' : 'closed' } : undefined;
      } catch (err) {
        stopped(what);
        throw apiError(err, 'looking for the pull request of the branch', repo);
      }
    },
    async open({ branch, base, title, body }) {
      const what = `POST pull request from ${branch} to GitHub`;
      // Loaded first: only the request itself counts as sent.
      const client = await octokit();
      stop?.beforeChange(what);
      try {
        const { data } = await client.rest.pulls.create({ ...repo, head: branch, base, title, body, ...ending });
        return { number: data.number, url: data.html_url };
      } catch (err) {
        stopped(what);
        // 422 "A pull request already exists for owner:branch": a re-run, not a failure.
        if (status(err) === 422) {
          const existing = await api.latest(branch);
          if (existing?.state === 'open') return { number: existing.number, url: existing.url };
        }
        throw apiError(err, 'opening the pull request', repo);
      }
    },
  };
  return api;
}
