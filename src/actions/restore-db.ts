import { join } from 'node:path';
import { input, madeThisStep, runAction, setOutputs } from '../core/action.js';
import { RollbackKitError } from '../core/errors.js';
import { readRestoreRequest } from '../db/db-inputs.js';
import { restoreSnapshot } from '../db/restore.js';
import { readUploadChoice, requireArtifactRuntime, uploadSnapshotArtifact } from '../github/artifact.js';
import { keptSnapshot, preRestoreSnapshotDetails, restoreSummary, type KeptSnapshot } from '../report/restore-db-summary.js';
import { writeSummary } from '../report/write-summary.js';

/** The pre-restore snapshot once it exists, how it is kept, and whether the summary already names it. */
let preRestore: KeptSnapshot | undefined;
let summarized = false;

await runAction('restore-db', async (log, signal) => {
  const runnerTemp = process.env.RUNNER_TEMP;
  const request = readRestoreRequest(input, input.required('database-url'), { defaultDir: join(runnerTemp || process.cwd(), 'rollback-kit', 'snapshots'), searchPath: process.env.PATH ?? '' }, log);
  const onGitHub = Boolean(process.env.ACTIONS_RUNTIME_TOKEN);
  const upload = readUploadChoice(input.string('upload-artifact'), onGitHub);
  const retentionDays = input.integer('retention-days', { min: 1, max: 90 });
  if (upload === 'asked' && !request.preRestoreSnapshot) throw new RollbackKitError('upload-artifact uploads the pre-restore snapshot, and pre-restore-snapshot is false.', 'Set pre-restore-snapshot: true, or upload-artifact: false. Nothing was changed.');
  if (upload === 'asked') requireArtifactRuntime(onGitHub, 'restore');
  const result = await restoreSnapshot(
    {
      ...request,
      signal,
      // A stop during the pre-restore snapshot takes away the folder it made for it while that holds nothing else.
      made: (path, withContents) => madeThisStep.add(path, withContents),
      // Reported the moment it exists: a restore that fails after this still says where the way back
      // is. Uploaded beside the restore, which commits only once the upload is done.
      onPreRestoreSnapshot: async (pre) => {
        preRestore = keptSnapshot(pre.path, runnerTemp);
        setOutputs({ 'pre-restore-snapshot-path': pre.path });
        if (upload === 'no') {
          if (preRestore.deletedWithJob) log.warning(preRestore.deletedWithJob);
          return;
        }
        const artifact = await uploadSnapshotArtifact([pre.path, pre.manifestPath], retentionDays).catch((err: unknown) => {
          if (upload === 'asked' || !(err instanceof RollbackKitError)) throw err;
          throw new RollbackKitError(err.message, 'Run the step again, or set upload-artifact: false to restore without keeping it past the job (a warning then says where it is).');
        });
        preRestore = { ...preRestore, artifact: artifact.name, retentionDays };
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
  await writeSummary(restoreSummary(result, preRestore, log), log);
  summarized = true;
}, () => {
  // A failed step verified nothing: verified=false, so a step that tests it sees the failure (an
  // empty value matches neither true nor false). The pre-restore snapshot's path stays as reported.
  setOutputs({ verified: false });
  // A restore that fails after its pre-restore snapshot still says where the way back is.
  return preRestore && !summarized ? preRestoreSnapshotDetails(preRestore) : undefined;
});
