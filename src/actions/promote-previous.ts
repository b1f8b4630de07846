/**
 * promote-previous: put the last good deployment back into production. Reads the inputs, hands
 * them to the provider (Vercel, git revert, or the user's command), writes outputs and a summary.
 */
import { input, runAction, setOutputs } from '../core/action.js';
import { RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { registerUrlSecrets } from '../core/url-secrets.js';
import { secretInput } from '../core/secret-input.js';
import { defaultApiUrl, FLY_MACHINES_API_URL, METHODS, promotePrevious, PROVIDERS, type PromoteCommon, type PromoteRequest } from '../platforms/promote.js';
import { promoteSummary } from '../report/promote-previous-summary.js';
import { writeSummary } from '../report/write-summary.js';

function choice<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
  const value = (input.string(name) ?? fallback).toLowerCase();
  if (!(allowed as readonly string[]).includes(value)) {
    throw new RollbackKitError(`Input ${name} must be one of ${allowed.join(', ')}; got "${value}".`);
  }
  return value as T;
}

function readRequest(log: Log): PromoteRequest {
  // Mask every secret input first, whichever provider reads it: a command's output or an error
  // from another provider can then never show one.
  const vercelToken = input.secret('vercel-token', log);
  const githubToken = input.secret('github-token', log);
  const flyToken = secretInput('fly-token', process.env, log);
  const railwayToken = secretInput('railway-token', process.env, log);
  const renderToken = secretInput('render-token', process.env, log);
  const netlifyToken = secretInput('netlify-token', process.env, log);
  // target and from may be deployment URLs; the API bases may carry a user name and password.
  for (const name of ['target', 'from', 'api-url', 'machines-api-url', 'registry-url']) registerUrlSecrets(input.string(name), log);
  const provider = choice('provider', PROVIDERS, 'vercel');
  // Each platform has its own API base: Vercel's must never become another provider's default.
  const apiUrl = input.string('api-url') ?? defaultApiUrl(provider) ?? '';
  const common: PromoteCommon = {
    target: input.string('target', { default: 'previous' })!,
    from: input.string('from'),
    reason: input.string('reason'),
    timeoutSeconds: input.integer('timeout-seconds', { default: 180, min: 1, max: 3600 })!,
    dryRun: input.boolean('dry-run', false),
  };
  switch (provider) {
    case 'vercel':
      return {
        ...common,
        provider,
        token: vercelToken,
        project: input.string('project'),
        team: input.string('team'),
        apiUrl,
        method: choice('method', METHODS, 'rollback'),
        github: { token: githubToken, repository: process.env.GITHUB_REPOSITORY || undefined, apiUrl: process.env.GITHUB_API_URL || 'https://api.github.com' },
      };
    case 'fly':
      return {
        ...common,
        provider,
        token: flyToken,
        app: input.string('app'),
        apiUrl,
        machinesApiUrl: input.string('machines-api-url', { default: FLY_MACHINES_API_URL })!,
        registryUrl: input.string('registry-url'),
      };
    case 'railway':
      return { ...common, provider, token: railwayToken, project: input.string('project'), environment: input.string('environment'), service: input.string('service'), apiUrl };
    case 'render':
      return { ...common, provider, token: renderToken, service: input.string('service'), apiUrl };
    case 'netlify':
      return { ...common, provider, token: netlifyToken, site: input.string('site'), apiUrl };
    case 'git-revert':
      return {
        ...common,
        provider,
        githubToken,
        repoDir: process.env.GITHUB_WORKSPACE || process.cwd(),
        repository: process.env.GITHUB_REPOSITORY ?? '',
        apiUrl: process.env.GITHUB_API_URL || 'https://api.github.com',
        baseBranch: process.env.GITHUB_REF_NAME || undefined,
      };
    case 'command':
      return { ...common, provider, command: input.string('command'), verifyCommand: input.string('verify-command'), cwd: process.env.GITHUB_WORKSPACE || undefined, baseEnv: process.env };
  }
}

await runAction('promote-previous', promote);

async function promote(log: Log): Promise<void> {
  const started = Date.now();
  const request = readRequest(log);
  const outcome = await promotePrevious(request, log);
  const durationMs = Date.now() - started;
  setOutputs({
    status: outcome.status,
    'from-deployment-id': outcome.from.id,
    'from-url': outcome.from.url,
    'from-commit-sha': outcome.from.commitSha,
    'to-deployment-id': outcome.to.id,
    'to-url': outcome.to.url,
    'to-commit-sha': outcome.to.commitSha,
    'auto-assign-disabled': outcome.autoAssignDisabled,
    frozen: outcome.frozen.frozen,
    unfreeze: outcome.frozen.frozen ? outcome.frozen.undo : '',
    'duration-ms': durationMs,
  });
  await writeSummary(promoteSummary(outcome, request.provider, durationMs, log), log);
}
