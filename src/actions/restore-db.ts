import { join } from 'node:path';
import { input, runAction, setOutputs } from '../core/action.js';
import { RollbackKitError } from '../core/errors.js';
import { parseConnectionString } from '../db/connection.js';
import { DEFAULT_LOCK_TIMEOUT_SECONDS } from '../db/lock-wait.js';
import { restoreSnapshot } from '../db/restore.js';
import { requireArtifactRuntime, uploadSnapshotArtifact } from '../github/artifact.js';
import { preRestoreSnapshotDetails, restoreSummary } from '../report/restore-db-summary.js';
import { writeSummary } from '../report/write-summary.js';

/** The pre-restore snapshot once it exists, and whether the summary already names it. */
let preRestorePath: string | undefined;
let summarized = false;

await runAction('restore-db', async (log) => {
  const target = parseConnectionString(input.required('database-url'), log);
  const upload = input.boolean('upload-artifact', false);
  const retentionDays = input.integer('retention-days', { min: 1, max: 90 });
  const preRestoreSnapshot = input.boolean('pre-restore-snapshot', true);
  if (upload && !preRestoreSnapshot) throw new RollbackKitError('upload-artifact uploads the pre-restore snapshot, and pre-restore-snapshot is false.', 'Set pre-restore-snapshot: true, or upload-artifact: false. Nothing was changed.');
  if (upload) requireArtifactRuntime(Boolean(process.env.ACTIONS_RUNTIME_TOKEN));
  const result = await restoreSnapshot(
    {
      target,
      snapshotPath: input.required('snapshot-path'),
      confirm: input.string('confirm'),
      preRestoreSnapshot,
      jobs: input.integer('jobs', { default: 1, min: 1, max: 64 })!,
      clean: input.boolean('clean', true),
      preRestoreDir: input.string('pre-restore-dir') ?? join(process.env.RUNNER_TEMP || process.cwd(), 'rollback-kit', 'snapshots'),
      preRestoreDirInput: 'pre-restore-dir',
      lockTimeoutSeconds: input.number('lock-timeout-seconds', { default: DEFAULT_LOCK_TIMEOUT_SECONDS, min: 0, max: 3600 })!,
      // Reported the moment it exists: a restore that fails after this still says where the way back is.
      onPreRestoreSnapshot: async (pre) => {
        preRestorePath = pre.path;
        setOutputs({ 'pre-restore-snapshot-path': pre.path });
        if (!upload) return;
        const artifact = await uploadSnapshotArtifact([pre.path, pre.manifestPath], retentionDays);
        log.info(`Uploaded the pre-restore snapshot as artifact ${artifact.name}${retentionDays ? `, kept ${retentionDays} days` : ''}.`);
      },
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
  await writeSummary(restoreSummary(result), log);
  summarized = true;
  if (!result.verified) {
    throw new RollbackKitError(
      `Restore finished but ${result.differences.length} table(s) differ from the snapshot's row counts: ${result.differences.map((d) => d.table).join(', ')}.`,
      'See the job summary; something wrote to the database during the restore, or the snapshot was filtered.',
    );
  }
  // A restore that fails after its pre-restore snapshot still says where the way back is.
}, () => (preRestorePath && !summarized ? preRestoreSnapshotDetails(preRestorePath) : undefined));
