/**
 * promote-previous as a library call: one request keyed by provider in, one outcome out. The
 * promote-previous action and the whole rollback both go through here, so a component rolled back
 * by the root action behaves exactly as the single action would. Secrets arrive as values; the
 * caller decides where they came from (inputs, environment variables).
 */
import { errorLine, RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { displayUrl, registerUrlSecrets } from '../core/url-secrets.js';
import { componentUrls } from './component-urls.js';
import { OUTCOME_VARIABLE, runRollbackCommand } from './command/run.js';
import { FLY_API_URL, FLY_MACHINES_API_URL } from './fly/api.js';
import { promoteOnFly } from './fly/rollback.js';
import { revertWithPullRequest } from './git-revert/revert.js';
import { NETLIFY_API_URL } from './netlify/api.js';
import { promoteOnNetlify } from './netlify/rollback.js';
import type { Frozen, LoggedPlan, ProviderOutcome } from './outcome.js';
import { RAILWAY_API_URL } from './railway/client.js';
import { promoteOnRailway } from './railway/rollback.js';
import { RENDER_API_URL } from './render/api.js';
import { promoteOnRender } from './render/rollback.js';
import { promoteOnVercel, type DeploymentInfo } from './vercel/rollback.js';
import type { VerifiedLookup } from './vercel/target.js';
import { CommitStatuses } from '../github/commit-status.js';
import type { StepDeadline } from './http/deadline.js';
import { ChangeGuard, StoppedHere } from './change-guard.js';

export const PROVIDERS = ['vercel', 'fly', 'railway', 'render', 'netlify', 'git-revert', 'command'] as const;
export type Provider = (typeof PROVIDERS)[number];
export const METHODS = ['rollback', 'promote'] as const;
export const DEFAULT_VERCEL_API_URL = 'https://api.vercel.com';

/** Each platform's own API base: what `api-url` means when it is not set. */
export const DEFAULT_API_URLS = {
  vercel: DEFAULT_VERCEL_API_URL,
  fly: FLY_API_URL,
  railway: RAILWAY_API_URL,
  render: RENDER_API_URL,
  netlify: NETLIFY_API_URL,
} as const;
export { FLY_MACHINES_API_URL };

/** The default of `api-url` for a provider; undefined for those that take no API base. */
export function defaultApiUrl(provider: Provider): string | undefined {
  return provider in DEFAULT_API_URLS ? DEFAULT_API_URLS[provider as keyof typeof DEFAULT_API_URLS] : undefined;
}

/** What every provider takes: promote-previous's inputs of the same names. */
export interface PromoteCommon {
  /** "previous", or a deployment id, URL or commit SHA (what each provider understands). */
  target: string;
  /** The bad deployment: when production no longer serves it, nothing is done (already-current). */
  from?: string;
  reason?: string;
  timeoutSeconds: number;
  /**
   * What sets timeoutSeconds, for messages: timeout-seconds unless the caller bounds it otherwise
   * (the rollback's plan phase bounds its look-ups by its budget: rollback.ts planRequest).
   */
  timeoutInput?: string;
  dryRun: boolean;
  /**
   * Started by a deployment event, not a person: never roll back from a deployment a rollback put
   * there (every provider that can tell: all but command).
   */
  automatic?: boolean;
  /**
   * Aborted when the run is being stopped (SIGINT, SIGTERM): from then on no request that changes
   * production is sent, and no wait goes on; the error says whether production was touched
   * (change-guard.ts). A rollback command already running is ended, with everything it started.
   */
  signal?: AbortSignal;
  /** The stop as the providers see it: set by promotePrevious from `signal`. */
  stop?: ChangeGuard;
  /** The plan the caller already logged (ProviderRunOptions.planLogged): not logged a second time. */
  planLogged?: LoggedPlan;
  /** The plan's environment (ProviderRunOptions.environmentName): a drill's sentences say staging, not production. */
  environmentName?: string;
}

export interface VercelPromoteRequest extends PromoteCommon {
  provider: 'vercel';
  token: string | undefined;
  project: string | undefined;
  team?: string;
  apiUrl: string;
  method: (typeof METHODS)[number];
  /** Where the rollback-kit/verified commit statuses live, for target last-verified. */
  github?: { token?: string; repository?: string; apiUrl: string };
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

export interface FlyPromoteRequest extends PromoteCommon {
  provider: 'fly';
  token: string | undefined;
  app: string | undefined;
  /** Base of the GraphQL API that lists releases. */
  apiUrl: string;
  machinesApiUrl: string;
  /** Registry base for the image check; undefined means the image's own host. */
  registryUrl?: string;
}

export interface RailwayPromoteRequest extends PromoteCommon {
  provider: 'railway';
  token: string | undefined;
  project: string | undefined;
  environment: string | undefined;
  service: string | undefined;
  /** The GraphQL endpoint itself. */
  apiUrl: string;
  pollIntervalMs?: number;
}

export interface RenderPromoteRequest extends PromoteCommon {
  provider: 'render';
  token: string | undefined;
  service: string | undefined;
  apiUrl: string;
  pollIntervalMs?: number;
}

export interface NetlifyPromoteRequest extends PromoteCommon {
  provider: 'netlify';
  token: string | undefined;
  site: string | undefined;
  apiUrl: string;
  pollIntervalMs?: number;
}

export interface CommandPromoteRequest extends PromoteCommon {
  provider: 'command';
  command: string | undefined;
  /** Runs after the command; its failure fails the rollback. */
  verifyCommand?: string;
  cwd?: string;
  /** The environment the command inherits; INPUT_* variables are dropped by the runner module. */
  baseEnv: Record<string, string | undefined>;
}

export type PromoteRequest =
  | VercelPromoteRequest
  | FlyPromoteRequest
  | RailwayPromoteRequest
  | RenderPromoteRequest
  | NetlifyPromoteRequest
  | GitRevertPromoteRequest
  | CommandPromoteRequest;

export interface PromoteOutcome {
  status: 'rolled-back' | 'promoted' | 'already-current' | 'dry-run';
  from: DeploymentInfo;
  to: DeploymentInfo;
  autoAssignDisabled: boolean;
  /** What this leaves frozen so the bad release cannot come back, and how to undo it. */
  frozen: Frozen;
  notes: string[];
  /** Newer deployments passed over, with the reason for each (Vercel). */
  skipped: { id: string; reason: string }[];
  /** The platform accepted the change but production does not serve the target yet (Vercel's rolling release, 202). */
  queued?: boolean;
  /** A second summary table: the deployments passed over, or the commits reverted. */
  details?: { header: [string, string]; rows: [string, string][] };
  /**
   * What production ran when the rollback now live was made, as the platform records it, so that a
   * re-run names the same incident as the run that made it: git-revert, the HEAD its merged commits
   * name; Vercel, the last alias request's fromDeploymentId; Fly, the image noted on the machines;
   * Render, the deploy the live rollback deploy replaced; Netlify, the deploy published last before
   * the one restored; Railway, the deployment the live copy replaced. Undefined when it cannot tell
   * (command): there `from` keeps the incident's name.
   */
  rolledBackFrom?: string;
  /** Already current, with work a real run would still do (ProviderOutcome.unfinished). */
  unfinished?: string;
  /** An automatic run left production alone because a rollback put its deployment there (the rollback-cascade guard). */
  putThereByRollback?: boolean;
  /**
   * `from` matched what serves through an address that follows production (Vercel: a production
   * domain or alias), not one deployment's id or own URL: known only once the platform was asked,
   * and, like a service URL (from-ref.ts namesServiceNotDeploy), no name for an incident.
   */
  fromFollowsProduction?: boolean;
}

/** Outcomes that changed what production serves (a queued one, accepted but not live, too: see notLiveYet). */
export function changedProduction(status: string | undefined): boolean {
  return status === 'rolled-back' || status === 'promoted';
}

/**
 * A change the platform accepted but did not make live (Vercel queues a promotion behind a rolling
 * release, 202): production still serves the release rolled back from, so nothing that needs the
 * good release live (a database rollback, a verification of the way back) may follow it.
 */
export function notLiveYet(outcome: PromoteOutcome, component: string): RollbackKitError | undefined {
  if (!outcome.queued) return undefined;
  return new RollbackKitError(
    `${outcome.notes[0] ?? `The promotion of ${outcome.to.id} was queued and is not live yet.`} The rollback of ${component} is not done until production serves ${outcome.to.id}.`,
    'Finish (or abort) the rolling release in Vercel (project Settings → Rolling Releases), then re-run: the database is changed only once production serves the deployment rolled back to.',
  );
}

/**
 * The checks that need no network, so a whole rollback can refuse a bad request before anything
 * runs. `where` names the place the value came from ("Input vercel-token", "components.web.project").
 */
export function checkPromoteRequest(request: PromoteRequest, where: (field: string) => string = (f) => `Input ${f}`): void {
  if (request.provider !== 'vercel' && isLastVerified(request.target)) {
    throw new RollbackKitError(`${where('target')} last-verified works with provider vercel only; provider is ${request.provider}.`, 'Use target: previous, or name the release to return to.');
  }
  switch (request.provider) {
    case 'vercel': {
      if (isLastVerified(request.target)) {
        if (!request.github?.token) throw new RollbackKitError(`${where('github-token')} is required with target last-verified: the rollback-kit/verified commit statuses are read from GitHub.`, 'Pass github-token: ${{ secrets.GITHUB_TOKEN }} and grant the job permissions: statuses: read.');
        if (!request.github.repository) throw new RollbackKitError('target last-verified needs the repository whose commits carry rollback-kit/verified, and GITHUB_REPOSITORY is not set.', 'Run the step in GitHub Actions, which sets GITHUB_REPOSITORY.');
        checkApiUrl(request.github.apiUrl, 'GITHUB_API_URL', 'https://api.github.com');
      }
      checkPlatform(request, where, 'Pass a Vercel access token from a secret: vercel-token: ${{ secrets.VERCEL_TOKEN }}.', [['project', request.project, 'Set project to the Vercel project name or its prj_… id.']]);
      return;
    }
    case 'fly':
      checkPlatform(request, where, 'Pass a Fly deploy token from a secret: fly-token: ${{ secrets.FLY_API_TOKEN }} (fly tokens create deploy), or set FLY_API_TOKEN.', [['app', request.app, 'Set app to the Fly app name (as in fly.toml).']]);
      checkApiUrl(request.machinesApiUrl, where('machines-api-url'), FLY_MACHINES_API_URL);
      if (request.registryUrl) checkApiUrl(request.registryUrl, where('registry-url'), 'https://registry.fly.io');
      return;
    case 'railway':
      checkPlatform(
        request,
        where,
        'Pass a Railway project token (or account token) from a secret: railway-token: ${{ secrets.RAILWAY_TOKEN }}, or set RAILWAY_TOKEN.',
        (['project', 'environment', 'service'] as const).map((field) => [field, request[field], `Set ${field} to the ${field} id (from the Railway dashboard URL or \`railway status --json\`).`]),
      );
      return;
    case 'render':
      checkPlatform(request, where, 'Pass a Render API key from a secret: render-token: ${{ secrets.RENDER_API_KEY }}, or set RENDER_API_KEY.', [['service', request.service, 'Set service to the Render service id (srv-…), shown in the dashboard URL.']]);
      return;
    case 'netlify':
      checkPlatform(request, where, 'Pass a Netlify personal access token from a secret: netlify-token: ${{ secrets.NETLIFY_AUTH_TOKEN }}, or set NETLIFY_AUTH_TOKEN.', [['site', request.site, 'Set site to the site id (Site configuration → Site details) or its name.netlify.app domain.']]);
      return;
    case 'git-revert':
      requireToken(request.githubToken, where('github-token'), 'git-revert', 'Pass github-token: ${{ secrets.GITHUB_TOKEN }} and grant contents: write and pull-requests: write.');
      return;
    case 'command':
      requireField(request.command, where('command'), 'command', 'Set command to the shell command that rolls back, e.g. docker compose up -d app@"$ROLLBACK_TARGET".');
      return;
  }
}

function isLastVerified(target: string | undefined): boolean {
  return target?.trim().toLowerCase() === 'last-verified';
}

/**
 * What every platform provider needs, in this order: its token (input `<provider>-token`), the
 * fields that name what to roll back, and an API base URL (DEFAULT_API_URLS when not set).
 */
function checkPlatform(
  request: VercelPromoteRequest | FlyPromoteRequest | RailwayPromoteRequest | RenderPromoteRequest | NetlifyPromoteRequest,
  where: (field: string) => string,
  tokenHint: string,
  fields: [field: string, value: string | undefined, hint: string][],
): void {
  requireToken(request.token, where(`${request.provider}-token`), request.provider, tokenHint);
  for (const [field, value, hint] of fields) requireField(value, where(field), request.provider, hint);
  checkApiUrl(request.apiUrl, where('api-url'), DEFAULT_API_URLS[request.provider]);
}

function requireToken(token: string | undefined, what: string, provider: Provider, hint: string): void {
  if (!token) throw new RollbackKitError(`${what} is required when provider is ${provider}.`, hint);
}

function requireField(value: string | undefined, what: string, provider: Provider, hint: string): void {
  if (!value?.trim()) throw new RollbackKitError(`${what} is required when provider is ${provider}.`, hint);
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

/** What is frozen and how to undo it, for summaries and records, unless a note already says so. */
export function frozenNotes(outcome: Pick<PromoteOutcome, 'frozen' | 'notes'>): string[] {
  const { frozen, what, undo } = outcome.frozen;
  const lines = outcome.notes.includes(what) ? [] : [`${frozen ? 'Frozen' : 'Nothing frozen'}: ${what}`];
  if (frozen && undo) lines.push(`To undo: ${undo}`);
  return lines;
}

/** What git-revert and command leave as it was: they change no platform setting. */
const NOTHING_FROZEN: Record<'git-revert' | 'command', Frozen> = {
  'git-revert': { frozen: false, what: 'git-revert freezes nothing: merging the revert pull request deploys the good code, and any other merge to the branch deploys as usual.' },
  command: { frozen: false, what: 'The command provider freezes nothing itself: if your pipeline can ship the bad release again, hold it until the fix is ready.' },
};

/** Vercel's freeze is its own doing: an instant rollback switches off automatic domain assignment. */
function vercelFrozen(project: string, autoAssignDisabled: boolean): Frozen {
  if (!autoAssignDisabled) return { frozen: false, what: `Vercel assigns the production domains of ${project} automatically: the next production deployment goes live.` };
  return {
    frozen: true,
    what: `Vercel has switched off automatic production domain assignment for ${project}: new deployments build but do not go live.`,
    undo: 'When the fix is deployed, promote it: promote-previous with method: promote and target: <its deployment id> (or `vercel promote <url>`), which turns automatic assignment back on.',
  };
}

/** The summary's second table for the releases passed over: the first 50, each with why. */
const passedOver = (skipped: PromoteOutcome['skipped']): PromoteOutcome['details'] => ({ header: ['passed over', 'why'], rows: skipped.slice(0, 50).map((s): [string, string] => [s.id, s.reason]) });

const fromProvider = (o: ProviderOutcome): PromoteOutcome => ({
  status: o.status,
  from: o.from,
  to: o.to,
  autoAssignDisabled: false,
  frozen: o.frozen,
  notes: o.notes,
  skipped: o.skipped,
  details: passedOver(o.skipped),
  rolledBackFrom: o.rolledBackFrom,
  ...(o.unfinished ? { unfinished: o.unfinished } : {}),
  ...(o.putThereByRollback ? { putThereByRollback: true } : {}),
});

/** Puts the last good deployment back (or, with dryRun, only says which one it would be). */
export async function promotePrevious(request: PromoteRequest, log: Log): Promise<PromoteOutcome> {
  for (const url of componentUrls(request)) registerUrlSecrets(url, log);
  checkPromoteRequest(request);
  const stop = new ChangeGuard(request.signal, ...whereToCheck(request));
  const common: PromoteCommon = { target: request.target, from: request.from, reason: request.reason, timeoutSeconds: request.timeoutSeconds, timeoutInput: request.timeoutInput, dryRun: request.dryRun, automatic: request.automatic, stop, planLogged: request.planLogged, environmentName: request.environmentName };
  try {
    return await promoteWith(request, common, log);
  } catch (err) {
    // Stopped: what production is in is the guard's to say (nothing sent: not touched; a change
    // sent: not confirmed), whatever the provider made of the interruption.
    if (!stop.interrupted && !(stop.stopped && stop.sent.length)) throw err;
    const said = stop.error();
    if (err instanceof StoppedHere || !stop.sent.length) throw said;
    throw new RollbackKitError(`${said.message} It ended with: ${log.redact(errorLine(err))}`, said.hint, { changed: 'unknown', stopped: true });
  }
}

/** What a re-run does after a rollback command was stopped: run it again, from the start. */
const COMMAND_RERUN = `Re-running the same rollback runs the command again from the start (a command component cannot be asked what it serves, so nothing recognises what this run changed): the command must be safe to run twice (deploy a named version), and can write status=already-current to $${OUTCOME_VARIABLE} when the target already runs.`;

/** Whose production a stop leaves, where a person checks what it serves, and what a re-run does when the provider cannot recognise its own rollback. */
function whereToCheck(request: PromoteRequest): [subject: string, where: string, rerun?: string] {
  switch (request.provider) {
    case 'vercel':
      return [`Vercel project ${request.project}`, `the Vercel dashboard (project ${request.project} → Deployments: which one is Current)`];
    case 'fly':
      return [`Fly app ${request.app}`, `Fly (fly machines list -a ${request.app}: the image each machine runs)`];
    case 'railway':
      return [`Railway service ${request.service}`, `the Railway dashboard (service ${request.service} → Deployments: which one is Active)`];
    case 'render':
      return [`Render service ${request.service}`, `the Render dashboard (service ${request.service} → Events: the last deploy live)`];
    case 'netlify':
      return [`Netlify site ${request.site}`, `the Netlify dashboard (site ${request.site} → Deploys: which one is Published)`];
    case 'git-revert':
      // Production changes only once a revert pull request is merged: what a stop can leave is a pushed branch, or an open pull request.
      return [`repository ${request.repository}`, `${request.repository} (a rollback/… branch pushed, a revert pull request opened: production changes only once that pull request is merged)`];
    case 'command':
      // It cannot be asked what it serves: nothing recognises a rollback it made.
      return ['the rollback command', 'what the rollback command changes (its output above says how far it got)', COMMAND_RERUN];
  }
}

async function promoteWith(request: PromoteRequest, common: PromoteCommon, log: Log): Promise<PromoteOutcome> {
  switch (request.provider) {
    case 'vercel': {
      const result = await promoteOnVercel(
        { ...common, token: request.token!, project: request.project!, team: request.team, apiUrl: request.apiUrl, method: request.method, pollIntervalMs: request.pollIntervalMs, verified: verifiedLookup(request, log, common.stop) },
        log,
      );
      const skipped = result.skipped.map((s) => ({ id: s.deployment.id, reason: s.reason }));
      return {
        status: result.status,
        from: result.from,
        to: result.to,
        autoAssignDisabled: result.autoAssignDisabled,
        frozen: vercelFrozen(request.project!, result.autoAssignDisabled),
        notes: result.notes,
        skipped,
        queued: result.queued,
        details: passedOver(skipped),
        rolledBackFrom: result.rolledBackFrom,
        putThereByRollback: result.putThereByRollback,
        ...(result.fromFollowsProduction ? { fromFollowsProduction: true } : {}),
      };
    }
    case 'fly':
      return fromProvider(
        await promoteOnFly({ ...common, token: request.token!, app: request.app!, apiUrl: request.apiUrl, machinesApiUrl: request.machinesApiUrl, registryUrl: request.registryUrl }, log),
      );
    case 'railway':
      return fromProvider(
        await promoteOnRailway(
          { ...common, token: request.token!, project: request.project!, environment: request.environment!, service: request.service!, apiUrl: request.apiUrl, pollIntervalMs: request.pollIntervalMs },
          log,
        ),
      );
    case 'render':
      return fromProvider(await promoteOnRender({ ...common, token: request.token!, service: request.service!, apiUrl: request.apiUrl, pollIntervalMs: request.pollIntervalMs }, log));
    case 'netlify':
      return fromProvider(await promoteOnNetlify({ ...common, token: request.token!, site: request.site!, apiUrl: request.apiUrl, pollIntervalMs: request.pollIntervalMs }, log));
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
        frozen: NOTHING_FROZEN['git-revert'],
        notes: result.notes,
        skipped: [],
        details: { header: ['reverted commit', 'subject'], rows: result.reverted.map((c): [string, string] => [c.sha, c.subject]) },
        rolledBackFrom: result.rolledBackFrom,
        ...(result.putThereByRollback ? { putThereByRollback: true } : {}),
      };
    }
    case 'command': {
      const result = await runRollbackCommand({ ...common, command: request.command ?? '', verifyCommand: request.verifyCommand, cwd: request.cwd, baseEnv: request.baseEnv }, log);
      // `to` only when known: "previous" names no release, and "Rolled back to previous" says nothing.
      return { status: result.status, from: { id: common.from }, to: result.to ? { id: result.to } : {}, autoAssignDisabled: false, frozen: NOTHING_FROZEN.command, notes: result.notes, skipped: [] };
    }
  }
}

/** Reads rollback-kit/verified from GitHub, for target last-verified only (checked above: token and repository are set). */
function verifiedLookup(request: VercelPromoteRequest, log: Log, stop: ChangeGuard | undefined): ((deadline: StepDeadline) => VerifiedLookup) | undefined {
  const gh = request.github;
  if (!isLastVerified(request.target) || !gh?.token || !gh.repository) return undefined;
  const { apiUrl, repository, token } = gh;
  // The look-ups belong to the search for the target: its deadline bounds their retries too.
  return (deadline) => {
    // Reads only: the stop ends them as it ends Vercel's.
    const statuses = new CommitStatuses({ apiUrl, repository, token }, log, { deadline, stop });
    return (sha) => statuses.verified(sha);
  };
}
