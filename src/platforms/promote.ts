/**
 * promote-previous as a library call: one request keyed by provider in, one outcome out. The
 * promote-previous action and the whole rollback both go through here, so a component rolled back
 * by the root action behaves exactly as the single action would. Secrets arrive as values; the
 * caller decides where they came from (inputs, environment variables).
 */
import { RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { displayUrl, registerUrlSecrets } from '../core/url-secrets.js';
import { runRollbackCommand } from './command/run.js';
import { revertWithPullRequest } from './git-revert/revert.js';
import { promoteOnVercel, type DeploymentInfo } from './vercel/rollback.js';

export const PROVIDERS = ['vercel', 'git-revert', 'command'] as const;
export type Provider = (typeof PROVIDERS)[number];
export const METHODS = ['rollback', 'promote'] as const;
export const DEFAULT_VERCEL_API_URL = 'https://api.vercel.com';

/** What every provider takes: promote-previous's inputs of the same names. */
export interface PromoteCommon {
  /** "previous", or a deployment id, URL or commit SHA (what each provider understands). */
  target: string;
  /** The bad deployment: when production no longer serves it, nothing is done (already-current). */
  from?: string;
  reason?: string;
  timeoutSeconds: number;
  dryRun: boolean;
}

export interface VercelPromoteRequest extends PromoteCommon {
  provider: 'vercel';
  token: string | undefined;
  project: string | undefined;
  team?: string;
  apiUrl: string;
  method: (typeof METHODS)[number];
  /** Tests and the CLI poll faster than the default. */
  pollIntervalMs?: number;
}

export interface GitRevertPromoteRequest extends PromoteCommon {
  provider: 'git-revert';
  githubToken: string | undefined;
  repoDir: string;
  repository: string;
  apiUrl: string;
  baseBranch?: string;
}

export interface CommandPromoteRequest extends PromoteCommon {
  provider: 'command';
  command: string | undefined;
  cwd?: string;
  /** The environment the command inherits; INPUT_* variables are dropped by the runner module. */
  baseEnv: Record<string, string | undefined>;
}

export type PromoteRequest = VercelPromoteRequest | GitRevertPromoteRequest | CommandPromoteRequest;

export interface PromoteOutcome {
  status: 'rolled-back' | 'promoted' | 'already-current' | 'dry-run';
  from: DeploymentInfo;
  to: DeploymentInfo;
  autoAssignDisabled: boolean;
  notes: string[];
  /** Newer deployments passed over, with the reason for each (Vercel). */
  skipped: { id: string; reason: string }[];
  /** A second summary table: the deployments passed over, or the commits reverted. */
  details?: { header: [string, string]; rows: [string, string][] };
}

/**
 * The checks that need no network, so a whole rollback can refuse a bad request before anything
 * runs. `where` names the place the value came from ("Input vercel-token", "components.web.project").
 */
export function checkPromoteRequest(request: PromoteRequest, where: (field: string) => string = (f) => `Input ${f}`): void {
  switch (request.provider) {
    case 'vercel': {
      if (!request.token) throw new RollbackKitError(`${where('vercel-token')} is required when provider is vercel.`, 'Pass a Vercel access token from a secret: vercel-token: ${{ secrets.VERCEL_TOKEN }}.');
      if (!request.project) throw new RollbackKitError(`${where('project')} is required when provider is vercel.`, 'Set project to the Vercel project name or its prj_… id.');
      checkApiUrl(request.apiUrl, where('api-url'), DEFAULT_VERCEL_API_URL);
      return;
    }
    case 'git-revert':
      if (!request.githubToken) throw new RollbackKitError(`${where('github-token')} is required when provider is git-revert.`, 'Pass github-token: ${{ secrets.GITHUB_TOKEN }} and grant contents: write and pull-requests: write.');
      return;
    case 'command':
      if (!request.command?.trim()) throw new RollbackKitError(`${where('command')} is required when provider is command.`, 'Set command to the shell command that rolls back, e.g. docker compose up -d app@"$ROLLBACK_TARGET".');
      return;
  }
}

export function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

export function checkHttpUrl(raw: string, what: string, example: string): void {
  if (!isHttpUrl(raw)) throw new RollbackKitError(`${what} must be an http(s) URL such as ${example}; got "${displayUrl(raw)}".`);
}

/** An API base URL: http(s), and no user name and password, since the token travels in Authorization. */
export function checkApiUrl(raw: string, what: string, example: string): void {
  checkHttpUrl(raw, what, example);
  const url = new URL(raw);
  if (url.username || url.password) {
    throw new RollbackKitError(
      `${what} holds a user name and password (${displayUrl(raw)}), but requests to the API authenticate with the token in the Authorization header, so they cannot be sent.`,
      `Remove the user name and password from ${what.replace(/^Input /, '')}; a proxy in front of the API must accept the token itself.`,
    );
  }
}

/** Puts the last good deployment back (or, with dryRun, only says which one it would be). */
export async function promotePrevious(request: PromoteRequest, log: Log): Promise<PromoteOutcome> {
  for (const url of [request.target, request.from, 'apiUrl' in request ? request.apiUrl : undefined]) registerUrlSecrets(url, log);
  checkPromoteRequest(request);
  const common: PromoteCommon = { target: request.target, from: request.from, reason: request.reason, timeoutSeconds: request.timeoutSeconds, dryRun: request.dryRun };
  switch (request.provider) {
    case 'vercel': {
      const result = await promoteOnVercel(
        { ...common, token: request.token!, project: request.project!, team: request.team, apiUrl: request.apiUrl, method: request.method, pollIntervalMs: request.pollIntervalMs },
        log,
      );
      const skipped = result.skipped.map((s) => ({ id: s.deployment.id, reason: s.reason }));
      return {
        status: result.status,
        from: result.from,
        to: result.to,
        autoAssignDisabled: result.autoAssignDisabled,
        notes: result.notes,
        skipped,
        details: { header: ['passed over', 'why'], rows: skipped.slice(0, 50).map((s): [string, string] => [s.id, s.reason]) },
      };
    }
    case 'git-revert': {
      const result = await revertWithPullRequest(
        { ...common, githubToken: request.githubToken!, repoDir: request.repoDir, repository: request.repository, apiUrl: request.apiUrl, baseBranch: request.baseBranch },
        log,
      );
      return {
        status: result.status,
        from: { commitSha: result.fromSha },
        to: { commitSha: result.toSha, url: result.pullRequestUrl },
        autoAssignDisabled: false,
        notes: result.notes,
        skipped: [],
        details: { header: ['reverted commit', 'subject'], rows: result.reverted.map((c): [string, string] => [c.sha, c.subject]) },
      };
    }
    case 'command': {
      const result = await runRollbackCommand({ ...common, command: request.command ?? '', cwd: request.cwd, baseEnv: request.baseEnv }, log);
      return { status: result.status, from: { id: common.from }, to: { id: common.target }, autoAssignDisabled: false, notes: result.notes, skipped: [] };
    }
  }
}
