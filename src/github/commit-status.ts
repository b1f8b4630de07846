/**
 * The `rollback-kit/verified` commit status: the record that a deployment passed its smoke checks
 * after it went live. smoke-test sets it on a pass (verified-sha); promote-previous's
 * `target: last-verified` reads it to pick the newest deployment that actually passed. GitHub's
 * combined status holds the latest status of each context, so a later failure overrides a pass.
 */
import { RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { HttpApiError, type HttpClient } from '../platforms/http/client.js';
import { githubClient } from './client.js';
import { calling, platformError, UnexpectedShape, type PlatformErrorContext } from '../platforms/http/errors.js';
import { obj, str } from '../platforms/http/read.js';
import type { StepDeadline } from '../platforms/http/deadline.js';
import type { ChangeGuard } from '../platforms/change-guard.js';
import { PageGuard } from '../platforms/listing.js';
import { parseRepository, type Repo } from '../platforms/git-revert/pulls.js';

export const VERIFIED_CONTEXT = 'rollback-kit/verified';
/** GitHub refuses a status description longer than this. */
const DESCRIPTION_MAX = 140;
/** Statuses per page of the combined status (GitHub's maximum) and pages read at most. */
const PER_PAGE = 100;
const MAX_PAGES = 10;

export interface GitHubAccess {
  apiUrl: string;
  /** owner/name, from GITHUB_REPOSITORY. */
  repository: string;
  token: string;
}

export interface VerifiedState {
  /** The latest rollback-kit/verified status is success. */
  verified: boolean;
  /** Its state (success, failure, error, pending), or undefined when the commit has none. */
  state?: string;
  description?: string;
}

/** A full commit SHA (SHA-1, or SHA-256 for repositories that use it). */
export function isFullSha(value: string): boolean {
  return /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i.test(value);
}

export class CommitStatuses {
  private readonly client: HttpClient;
  private readonly repo: Repo;

  constructor(access: GitHubAccess, log: Log, opts: { requestTimeoutMs?: number; sleep?: (ms: number) => Promise<void>; deadline?: StepDeadline; stop?: ChangeGuard } = {}) {
    log.secret(access.token);
    this.repo = parseRepository(access.repository);
    this.client = githubClient(access.apiUrl, access.token, log, { requestTimeoutMs: opts.requestTimeoutMs ?? 10_000, sleep: opts.sleep, deadline: opts.deadline, stop: opts.stop });
  }

  private get name(): string {
    return `${this.repo.owner}/${this.repo.repo}`;
  }

  private context(doing: string, sha: string): PlatformErrorContext {
    return {
      doing: `${doing} of commit ${sha.slice(0, 12)} in ${this.name}`,
      tokenInput: 'github-token',
      // Its address is the runner's GITHUB_API_URL: no step that sets these statuses has an api-url input.
      api: { name: 'the GitHub API', urlSetting: 'GITHUB_API_URL (the runner sets it to the API of the GitHub it runs for)' },
      notFound: `Repository ${this.name} or commit ${sha.slice(0, 12)}`,
      notFoundHint: 'Check that the commit was pushed to this repository and that github-token can read it (secrets.GITHUB_TOKEN of this repository).',
    };
  }

  /** The latest rollback-kit/verified status of `sha`, reading the combined status page by page. */
  async verified(sha: string): Promise<VerifiedState> {
    const path = `repos/${encodeURIComponent(this.repo.owner)}/${encodeURIComponent(this.repo.repo)}/commits/${encodeURIComponent(sha)}/status`;
    return calling(this.context('reading the commit statuses', sha), async () => {
      const guard = new PageGuard(`the commit statuses of ${sha.slice(0, 12)} in ${this.name}`);
      for (let page = 1; page <= MAX_PAGES; page++) {
        const body = obj(await this.client.get(path, { per_page: PER_PAGE, page }));
        const statuses = body?.statuses;
        if (!body || !Array.isArray(statuses)) throw new UnexpectedShape('a combined commit status');
        for (const s of statuses) {
          const status = obj(s);
          if (str(status?.context) !== VERIFIED_CONTEXT) continue;
          const state = str(status?.state);
          return { verified: state === 'success', state, description: str(status?.description) };
        }
        const total = typeof body.total_count === 'number' ? body.total_count : 0;
        if (statuses.length < PER_PAGE || page * PER_PAGE >= total) break;
        // Page numbers always advance, so a server that ignores them shows as the same page again.
        guard.check(JSON.stringify(statuses.map((s) => obj(s)?.id ?? [str(obj(s)?.context), str(obj(s)?.updated_at)])), 'page');
      }
      return { verified: false };
    });
  }

  /** Sets rollback-kit/verified on `sha`: success after a pass. */
  async record(sha: string, opts: { state: 'success' | 'failure'; description: string; targetUrl?: string }): Promise<void> {
    const path = `repos/${encodeURIComponent(this.repo.owner)}/${encodeURIComponent(this.repo.repo)}/statuses/${encodeURIComponent(sha)}`;
    const description = opts.description.length > DESCRIPTION_MAX ? `${opts.description.slice(0, DESCRIPTION_MAX - 1)}…` : opts.description;
    const ctx = this.context('setting the rollback-kit/verified status', sha);
    try {
      await this.client.request('POST', path, { body: { state: opts.state, context: VERIFIED_CONTEXT, description, ...(opts.targetUrl ? { target_url: opts.targetUrl } : {}) } });
    } catch (err) {
      // GitHub answers 422 "No commit found for SHA" for a commit it does not have.
      if (err instanceof HttpApiError && err.status === 422) {
        throw new RollbackKitError(`GitHub refused the rollback-kit/verified status on commit ${sha.slice(0, 12)} in ${this.name} (422): ${err.serverMessage}.`, 'verified-sha must be the full SHA of a commit pushed to this repository (the deployed commit).');
      }
      if (err instanceof HttpApiError && err.status === 403 && !err.rateLimited) {
        throw new RollbackKitError(`GitHub refused (403) to set the rollback-kit/verified status on commit ${sha.slice(0, 12)} in ${this.name}: ${err.serverMessage}.`, 'Grant the job permissions: statuses: write.');
      }
      throw platformError(err, ctx);
    }
  }
}
