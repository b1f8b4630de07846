import * as core from '@actions/core';
import { join } from 'node:path';
import { input, runAction, setOutputs } from '../core/action.js';
import { RollbackKitError } from '../core/errors.js';
import { parseConnectionString } from '../db/connection.js';
import { restoreSnapshot } from '../db/restore.js';
import { restoreSummary } from '../report/db-summary.js';

await runAction(async (log) => {
  const target = parseConnectionString(input.required('database-url'), log);
  const result = await restoreSnapshot(
    {
      target,
      snapshotPath: input.required('snapshot-path'),
      confirm: input.string('confirm'),
      preRestoreSnapshot: input.boolean('pre-restore-snapshot', true),
      jobs: input.integer('jobs', { default: 1, min: 1, max: 64 })!,
      clean: input.boolean('clean', true),
      outputDir: join(process.env.RUNNER_TEMP || process.cwd(), 'rollback-kit', 'snapshots'),
      tools: { searchPath: process.env.PATH ?? '' },
    },
    log,
  );
  setOutputs({
    'pre-restore-snapshot-path': result.preRestoreSnapshotPath ?? '',
    verified: result.verified,
    'tables-restored': result.tablesRestored,
    'duration-ms': result.durationMs,
  });
  await core.summary.addRaw(restoreSummary(result)).write();
  if (!result.verified) {
    throw new RollbackKitError(
      `Restore finished but ${result.differences.length} table(s) differ from the snapshot's row counts: ${result.differences.map((d) => d.table).join(', ')}.`,
      'See the job summary; something wrote to the database during the restore, or the snapshot was filtered.',
    );
  }
});
