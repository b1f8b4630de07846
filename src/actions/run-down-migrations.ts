import { input, runAction, setOutputs } from '../core/action.js';
import { RollbackKitError } from '../core/errors.js';
import { parseConnectionString } from '../db/connection.js';
import { parseFormatName } from '../migrations/registry.js';
import { RevertFailed, revertMigrations, type Choice, type RevertResult } from '../migrations/revert.js';
import { NOTHING_REVERTED, partialRevertDetails, revertSummary } from '../report/run-down-migrations-summary.js';
import { writeSummary } from '../report/write-summary.js';

function readChoice(): Choice {
  const steps = input.integer('steps', { min: 1 });
  const toVersion = input.string('to-version');
  const sinceRef = input.string('since-ref');
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

function outputs(result: RevertResult): void {
  setOutputs({
    status: result.status,
    reverted: JSON.stringify(result.reverted.map((r) => r.version)),
    count: result.reverted.length,
    plan: JSON.stringify(result.plan),
    'duration-ms': result.durationMs,
  });
}

/**
 * Every failure says status=failed (a later `if: always()` step must never read "reverted" here),
 * with what was reverted before it; the summary shows those, or that nothing was changed.
 */
function failed(err: unknown): string | undefined {
  if (err instanceof RevertFailed) {
    outputs(err.partial);
    return partialRevertDetails(err.partial);
  }
  setOutputs({ status: 'failed', reverted: '[]', count: 0 });
  // Stopped before planning (snapshot, lock, inputs): nothing was changed; say so where people look.
  return err instanceof RollbackKitError ? NOTHING_REVERTED : undefined;
}

await runAction('run-down-migrations', async (log) => {
  const target = parseConnectionString(input.required('database-url'), log);
  const options = {
    target,
    root: process.env.GITHUB_WORKSPACE || process.cwd(),
    migrationsDir: input.string('migrations-dir'),
    format: parseFormatName(input.string('format')),
    migrationsTable: input.string('migrations-table'),
    choice: readChoice(),
    dryRun: input.boolean('dry-run', false),
    snapshotPath: input.string('snapshot-path'),
    requireSnapshot: input.boolean('require-snapshot', true),
    lockTimeoutSeconds: input.number('lock-timeout-seconds', { default: 10, min: 0, max: 3600 })!,
    statementTimeoutSeconds: input.number('statement-timeout-seconds', { default: 300, min: 1, max: 86_400 })!,
    tools: { searchPath: process.env.PATH ?? '' },
  };
  const result = await revertMigrations(options, log);
  outputs(result);
  await writeSummary(revertSummary(result), log);
}, failed);
