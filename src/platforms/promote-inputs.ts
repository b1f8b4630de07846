/**
 * promote-previous's request from its inputs, for the action and `rollback-kit promote` alike.
 * Every secret input is registered first, whichever provider reads it: a command's output or an
 * error from another provider can then never show one.
 */
import type { Inputs } from '../core/action.js';
import { RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { secretInput } from '../core/secret-input.js';
import { registerUrlSecrets } from '../core/url-secrets.js';
import { COMPONENT_URL_INPUTS } from './component-urls.js';
import { defaultApiUrl, FLY_MACHINES_API_URL, METHODS, PROVIDERS, type PromoteCommon, type PromoteRequest } from './promote.js';

export function choice<T extends string>(inputs: Inputs, name: string, allowed: readonly T[], fallback: T): T {
  const value = (inputs.string(name) ?? fallback).toLowerCase();
  if (!(allowed as readonly string[]).includes(value)) {
    throw new RollbackKitError(`Input ${name} must be one of ${allowed.join(', ')}; got "${value}".`);
  }
  return value as T;
}

/** Where the request runs: the checkout, the repository, the environment a command inherits. */
export interface PromoteContext {
  env: Record<string, string | undefined>;
  workspace?: string;
  repository?: string;
  githubApiUrl?: string;
  baseBranch?: string;
  /**
   * The action reads VERCEL_TOKEN and GITHUB_TOKEN only from its inputs (a job's GITHUB_TOKEN is
   * not meant to roll back by accident); the command line reads every token's variable.
   */
  everyTokenFromEnv?: boolean;
}

export function readPromoteRequest(inputs: Inputs, ctx: PromoteContext, log: Log): PromoteRequest {
  const vercelToken = ctx.everyTokenFromEnv ? secretInput('vercel-token', ctx.env, log, inputs) : inputs.secret('vercel-token', log);
  const githubToken = ctx.everyTokenFromEnv ? secretInput('github-token', ctx.env, log, inputs) : inputs.secret('github-token', log);
  const flyToken = secretInput('fly-token', ctx.env, log, inputs);
  const railwayToken = secretInput('railway-token', ctx.env, log, inputs);
  const renderToken = secretInput('render-token', ctx.env, log, inputs);
  const netlifyToken = secretInput('netlify-token', ctx.env, log, inputs);
  // target and from may be deployment URLs; the API bases may carry a user name and password.
  for (const name of Object.values(COMPONENT_URL_INPUTS)) registerUrlSecrets(inputs.string(name), log);
  const provider = choice(inputs, 'provider', PROVIDERS, 'vercel');
  // Each platform has its own API base: Vercel's must never become another provider's default.
  const apiUrl = inputs.string('api-url') ?? defaultApiUrl(provider) ?? '';
  const common: PromoteCommon = {
    target: inputs.string('target', { default: 'previous' })!,
    from: inputs.string('from'),
    reason: inputs.string('reason'),
    timeoutSeconds: inputs.integer('timeout-seconds', { default: 180, min: 1, max: 3600 })!,
    dryRun: inputs.boolean('dry-run', false),
  };
  switch (provider) {
    case 'vercel':
      return {
        ...common,
        provider,
        token: vercelToken,
        project: inputs.string('project'),
        team: inputs.string('team'),
        apiUrl,
        method: choice(inputs, 'method', METHODS, 'rollback'),
        // target last-verified reads the rollback-kit/verified commit statuses there.
        github: { token: githubToken, repository: ctx.repository, apiUrl: ctx.githubApiUrl || 'https://api.github.com' },
      };
    case 'fly':
      return {
        ...common,
        provider,
        token: flyToken,
        app: inputs.string('app'),
        apiUrl,
        machinesApiUrl: inputs.string('machines-api-url', { default: FLY_MACHINES_API_URL })!,
        registryUrl: inputs.string('registry-url'),
      };
    case 'railway':
      return { ...common, provider, token: railwayToken, project: inputs.string('project'), environment: inputs.string('environment'), service: inputs.string('service'), apiUrl };
    case 'render':
      return { ...common, provider, token: renderToken, service: inputs.string('service'), apiUrl };
    case 'netlify':
      return { ...common, provider, token: netlifyToken, site: inputs.string('site'), apiUrl };
    case 'git-revert':
      return {
        ...common,
        provider,
        githubToken,
        repoDir: ctx.workspace || process.cwd(),
        repository: ctx.repository ?? '',
        apiUrl: ctx.githubApiUrl || 'https://api.github.com',
        baseBranch: ctx.baseBranch,
      };
    case 'command':
      return { ...common, provider, command: inputs.string('command'), verifyCommand: inputs.string('verify-command'), cwd: ctx.workspace, baseEnv: ctx.env };
  }
}
