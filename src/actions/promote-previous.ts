/**
 * promote-previous: put the last good deployment back into production. Reads the inputs, hands
 * them to the provider (Vercel, git revert, or the user's command), writes outputs and a summary.
 */
import * as core from '@actions/core';
import { input, runAction, setOutputs } from '../core/action.js';
import { errorLine, RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { runRollbackCommand } from '../platforms/command/run.js';
import { revertWithPullRequest } from '../platforms/git-revert/revert.js';
import { promoteOnVercel, type DeploymentInfo } from '../platforms/vercel/rollback.js';
import { table, text } from '../report/markdown.js';

const PROVIDERS = ['vercel', 'git-revert', 'command'] as const;
type Provider = (typeof PROVIDERS)[number];

interface Outcome {
  status: 'rolled-back' | 'promoted' | 'already-current' | 'dry-run';
  from: DeploymentInfo;
  to: DeploymentInfo;
  autoAssignDisabled?: boolean;
  notes: string[];
  /** A second summary table: the deployments passed over, or the commits reverted. */
  details?: { header: [string, string]; rows: [string, string][] };
}

function choice<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
  const value = (input.string(name) ?? fallback).toLowerCase();
  if (!(allowed as readonly string[]).includes(value)) {
    throw new RollbackKitError(`Input ${name} must be one of ${allowed.join(', ')}; got "${value}".`);
  }
  return value as T;
}

function apiUrl(): string {
  const raw = input.string('api-url', { default: 'https://api.vercel.com' })!;
  try {
    const url = new URL(raw);
    if (url.protocol === 'https:' || url.protocol === 'http:') return raw;
  } catch {
    // reported below
  }
  throw new RollbackKitError(`Input api-url must be an http(s) URL such as https://api.vercel.com; got "${raw}".`);
}

async function vercel(log: Log, common: Common): Promise<Outcome> {
  const token = input.secret('vercel-token', log);
  if (!token) throw new RollbackKitError('Input vercel-token is required when provider is vercel.', 'Pass a Vercel access token from a secret: vercel-token: ${{ secrets.VERCEL_TOKEN }}.');
  const project = input.string('project');
  if (!project) throw new RollbackKitError('Input project is required when provider is vercel.', 'Set project to the Vercel project name or its prj_… id.');
  const result = await promoteOnVercel(
    {
      token,
      project,
      team: input.string('team'),
      apiUrl: apiUrl(),
      method: choice('method', ['rollback', 'promote'] as const, 'rollback'),
      ...common,
    },
    log,
  );
  const rows = result.skipped.slice(0, 50).map((s): [string, string] => [s.deployment.id, s.reason]);
  return { ...result, details: { header: ['passed over', 'why'], rows } };
}

type Common = { target: string; from?: string; reason?: string; timeoutSeconds: number; dryRun: boolean };

async function gitRevert(log: Log, common: Common): Promise<Outcome> {
  const githubToken = input.secret('github-token', log);
  if (!githubToken) throw new RollbackKitError('Input github-token is required when provider is git-revert.', 'Pass github-token: ${{ secrets.GITHUB_TOKEN }} and grant contents: write and pull-requests: write.');
  const result = await revertWithPullRequest(
    {
      ...common,
      githubToken,
      repoDir: process.env.GITHUB_WORKSPACE || process.cwd(),
      repository: process.env.GITHUB_REPOSITORY ?? '',
      apiUrl: process.env.GITHUB_API_URL || 'https://api.github.com',
      baseBranch: process.env.GITHUB_REF_NAME || undefined,
    },
    log,
  );
  return {
    status: result.status,
    from: { commitSha: result.fromSha },
    to: { commitSha: result.toSha, url: result.pullRequestUrl },
    notes: result.notes,
    details: { header: ['reverted commit', 'subject'], rows: result.reverted.map((c): [string, string] => [c.sha, c.subject]) },
  };
}

async function command(log: Log, common: Common): Promise<Outcome> {
  const result = await runRollbackCommand({ ...common, command: input.string('command') ?? '', cwd: process.env.GITHUB_WORKSPACE || undefined, baseEnv: process.env }, log);
  return { status: result.status, from: { id: common.from }, to: { id: common.target }, notes: result.notes };
}

/** The job summary: what serves production now and why; every cell passes through the redactor. */
async function summarize(outcome: Outcome, provider: Provider, durationMs: number, log: Log): Promise<void> {
  const r = (value: string | undefined) => text(log.redact(value ?? ''));
  const row = (d: DeploymentInfo) => [r(d.id), r(d.url), r(d.commitSha)];
  const parts = [
    `### promote-previous: ${outcome.status}`,
    table(['', 'deployment', 'url', 'commit'], [['from', ...row(outcome.from)], ['to', ...row(outcome.to)]]),
    [...outcome.notes.map(r), `provider ${provider}, ${(durationMs / 1000).toFixed(1)} s`].map((note) => `- ${note}`).join('\n'),
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
  // Mask every secret input first, whichever provider reads it: a command's output or an error
  // from another provider can then never show one.
  input.secret('vercel-token', log);
  input.secret('github-token', log);
  const provider = choice('provider', PROVIDERS, 'vercel');
  const common: Common = {
    target: input.string('target', { default: 'previous' })!,
    from: input.string('from'),
    reason: input.string('reason'),
    timeoutSeconds: input.integer('timeout-seconds', { default: 180, min: 1, max: 3600 })!,
    dryRun: input.boolean('dry-run', false),
  };
  let outcome: Outcome;
  switch (provider) {
    case 'vercel':
      outcome = await vercel(log, common);
      break;
    case 'git-revert':
      outcome = await gitRevert(log, common);
      break;
    case 'command':
      outcome = await command(log, common);
      break;
  }
  const durationMs = Date.now() - started;
  setOutputs({
    status: outcome.status,
    'from-deployment-id': outcome.from.id,
    'from-url': outcome.from.url,
    'from-commit-sha': outcome.from.commitSha,
    'to-deployment-id': outcome.to.id,
    'to-url': outcome.to.url,
    'to-commit-sha': outcome.to.commitSha,
    'auto-assign-disabled': outcome.autoAssignDisabled ?? false,
    'duration-ms': durationMs,
  });
  await summarize(outcome, provider, durationMs, log);
}
