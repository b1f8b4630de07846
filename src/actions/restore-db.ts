import { join } from 'node:path';
import { input, runAction, setOutputs } from '../core/action.js';
import { RollbackKitError } from '../core/errors.js';
import { readRestoreRequest } from '../db/db-inputs.js';
import { restoreSnapshot } from '../db/restore.js';
import { requireArtifactRuntime, uploadSnapshotArtifact } from '../github/artifact.js';
import { preRestoreSnapshotDetails, restoreSummary } from '../report/restore-db-summary.js';
import { writeSummary } from '../report/write-summary.js';

/** The pre-restore snapshot once it exists, and whether the summary already names it. */
let preRestorePath: string | undefined;
let summarized = false;

await runAction('restore-db', async (log) => {
  const request = readRestoreRequest(input, input.required('database-url'), { defaultDir: join(process.env.RUNNER_TEMP || process.cwd(), 'rollback-kit', 'snapshots'), searchPath: process.env.PATH ?? '' }, log);
  const upload = input.boolean('upload-artifact', false);
  const retentionDays = input.integer('retention-days', { min: 1, max: 90 });
  if (upload && !request.preRestoreSnapshot) throw new RollbackKitError('upload-artifact uploads the pre-restore snapshot, and pre-restore-snapshot is false.', 'Set pre-restore-snapshot: true, or upload-artifact: false. Nothing was changed.');
  if (upload) requireArtifactRuntime(Boolean(process.env.ACTIONS_RUNTIME_TOKEN));
  const result = await restoreSnapshot(
    {
      ...request,
      // Reported the moment it exists: a restore that fails after this still says where the way back is.
      onPreRestoreSnapshot: async (pre) => {
        preRestorePath = pre.path;
        setOutputs({ 'pre-restore-snapshot-path': pre.path });
        if (!upload) return;
        const artifact = await uploadSnapshotArtifact([pre.path, pre.manifestPath], retentionDays);
        log.info(`Uploaded the pre-restore snapshot as artifact ${artifact.name}${retentionDays ? `, kept ${retentionDays} days` : ''}.`);
      },
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
  // A restore that fails after its pre-restore snapshot still says where the way back is.
}, () => (preRestorePath && !summarized ? preRestoreSnapshotDetails(preRestorePath) : undefined));
