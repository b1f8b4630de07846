/**
 * promote-previous: put the last good deployment back into production. Reads the inputs, hands
 * them to the provider (Vercel, git revert, or the user's command), writes outputs and a summary.
 */
import * as core from '@actions/core';
import { input, runAction, setOutputs } from '../core/action.js';
import { RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { promoteOnVercel, type DeploymentInfo } from '../platforms/vercel/rollback.js';

const PROVIDERS = ['vercel', 'git-revert', 'command'] as const;
type Provider = (typeof PROVIDERS)[number];

interface Outcome {
  status: 'rolled-back' | 'promoted' | 'already-current' | 'dry-run';
  from: DeploymentInfo;
  to: DeploymentInfo;
  autoAssignDisabled?: boolean;
  notes: string[];
  /** Extra rows for the summary table. */
  details?: [string, string][];
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

async function vercel(log: Log, common: { target: string; from?: string; reason?: string; timeoutSeconds: number; dryRun: boolean }): Promise<Outcome> {
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
  const details: [string, string][] = result.skipped.slice(0, 20).map((s) => [`skipped ${s.deployment.id}`, s.reason]);
  return { ...result, details };
}

async function summarize(outcome: Outcome, provider: Provider, durationMs: number): Promise<void> {
  const row = (d: DeploymentInfo) => [d.id ?? '', d.url ?? '', d.commitSha ?? ''];
  const summary = core.summary
    .addHeading(`promote-previous: ${outcome.status}`, 3)
    .addTable([
      [
        { data: '', header: true },
        { data: 'deployment', header: true },
        { data: 'url', header: true },
        { data: 'commit', header: true },
      ],
      ['from', ...row(outcome.from)],
      ['to', ...row(outcome.to)],
    ])
    .addList([...outcome.notes, `provider ${provider}, ${(durationMs / 1000).toFixed(1)} s`]);
  if (outcome.details?.length) summary.addTable([[{ data: 'passed over', header: true }, { data: 'why', header: true }], ...outcome.details]);
  await summary.write();
}

await runAction(async (log) => {
  const started = Date.now();
  const provider = choice('provider', PROVIDERS, 'vercel');
  const common = {
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
    default:
      throw new RollbackKitError(`Provider ${provider} is not available in this build.`);
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
  await summarize(outcome, provider, durationMs);
});
