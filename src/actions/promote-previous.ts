/**
 * promote-previous: put the last good deployment back into production. Reads the inputs, hands
 * them to the provider (Vercel, git revert, or the user's command), writes outputs and a summary.
 */
import * as core from '@actions/core';
import { input, runAction, setOutputs } from '../core/action.js';
import { errorLine, RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { registerUrlSecrets } from '../core/url-secrets.js';
import { secretInput } from '../core/secret-input.js';
import { defaultApiUrl, FLY_MACHINES_API_URL, frozenNotes, METHODS, promotePrevious, PROVIDERS, type PromoteCommon, type PromoteOutcome, type PromoteRequest, type Provider } from '../platforms/promote.js';
import type { DeploymentInfo } from '../platforms/vercel/rollback.js';
import { table, text } from '../report/markdown.js';

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

/** The job summary: what serves production now and why; every cell passes through the redactor. */
async function summarize(outcome: PromoteOutcome, provider: Provider, durationMs: number, log: Log): Promise<void> {
  const r = (value: string | undefined) => text(log.redact(value ?? ''));
  const row = (d: DeploymentInfo) => [r(d.id), r(d.url), r(d.commitSha)];
  const parts = [
    `### promote-previous: ${outcome.status}`,
    table(['', 'deployment', 'url', 'commit'], [['from', ...row(outcome.from)], ['to', ...row(outcome.to)]]),
    [...outcome.notes.map(r), ...frozenNotes(outcome).map(r), `provider ${provider}, ${(durationMs / 1000).toFixed(1)} s`].map((note) => `- ${note}`).join('\n'),
  ];
  const details = outcome.details;
  if (details?.rows.length) parts.push(table(details.header, details.rows.map((cells) => cells.map(r))));
  await core.summary.addRaw(`${parts.join('\n\n')}\n`).write();
}

/** A failed step still leaves a summary, so the incident record shows what stopped the rollback. */
async function summarizeFailure(err: unknown, log: Log): Promise<void> {
  try {
    await core.summary.addRaw(`### promote-previous: failed\n\n${text(log.redact(errorLine(err)))}\n`).write();
  } catch {
    // No summary file (outside Actions): the error line says it all.
  }
}

await runAction(async (log) => {
  try {
    await promote(log);
  } catch (err) {
    await summarizeFailure(err, log);
    throw err;
  }
});

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
  await summarize(outcome, request.provider, durationMs, log);
}
