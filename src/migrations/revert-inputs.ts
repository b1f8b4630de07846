/** run-down-migrations' options from its inputs, for the action and `rollback-kit down` alike. */
import type { Inputs } from '../core/action.js';
import { RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { parseConnectionString } from '../db/connection.js';
import type { FindToolOptions } from '../db/pg-tools.js';
import { parseFormatName } from './registry.js';
import type { WorkflowRun } from './rerun.js';
import type { Choice, RevertOptions } from './revert.js';

/** statement-timeout-seconds' default and range, for the action and the whole rollback's plan alike. */
export const STATEMENT_TIMEOUT_SECONDS = { default: 300, min: 1, max: 86_400 } as const;

export function readChoice(inputs: Inputs): Choice {
  const steps = inputs.integer('steps', { min: 1 });
  const toVersion = inputs.string('to-version');
  const sinceRef = inputs.string('since-ref');
  const given = [steps !== undefined && 'steps', toVersion && 'to-version', sinceRef && 'since-ref'].filter(Boolean);
  if (given.length !== 1) {
    throw new RollbackKitError(
      given.length === 0 ? 'Nothing says which migrations to revert.' : `Inputs ${given.join(' and ')} conflict: they select migrations in different ways.`,
      'Give exactly one of steps (how many of the newest), to-version (the last migration to keep) or since-ref (the last good commit).',
    );
  }
  if (steps !== undefined) return { steps };
  return toVersion ? { toVersion } : { sinceRef: sinceRef! };
}

/**
 * The workflow step from the runner's variables (`env`: the entry point's environment), so a
 * GitHub re-run of it is known as one; undefined outside GitHub Actions.
 */
export function workflowRun(env: Record<string, string | undefined>): WorkflowRun | undefined {
  if (env.GITHUB_ACTIONS !== 'true' || !env.GITHUB_RUN_ID) return undefined;
  const attempt = Number(env.GITHUB_RUN_ATTEMPT);
  return { id: env.GITHUB_RUN_ID, attempt: Number.isInteger(attempt) && attempt > 0 ? attempt : 1, job: env.GITHUB_JOB ?? '', step: env.GITHUB_ACTION ?? '' };
}

/** `databaseUrl`: the database-url input, or the CLI's DATABASE_URL. */
export function readRevertOptions(inputs: Inputs, databaseUrl: string | undefined, ctx: { workspace: string; tools: FindToolOptions; run?: WorkflowRun }, log: Log): RevertOptions {
  if (!databaseUrl) throw new RollbackKitError('Input required and not supplied: database-url.');
  const target = parseConnectionString(databaseUrl, log);
  return {
    target,
    root: ctx.workspace,
    migrationsDir: inputs.string('migrations-dir'),
    format: parseFormatName(inputs.string('format')),
    migrationsTable: inputs.string('migrations-table'),
    choice: readChoice(inputs),
    dryRun: inputs.boolean('dry-run', false),
    snapshotPath: inputs.string('snapshot-path'),
    requireSnapshot: inputs.boolean('require-snapshot', true),
    lockTimeoutSeconds: inputs.number('lock-timeout-seconds', { default: 10, min: 0, max: 3600 })!,
    statementTimeoutSeconds: inputs.number('statement-timeout-seconds', STATEMENT_TIMEOUT_SECONDS)!,
    tools: ctx.tools,
    run: ctx.run,
  };
}
