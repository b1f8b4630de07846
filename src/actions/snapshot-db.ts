import { join } from 'node:path';
import { input, madeThisStep, runAction, setOutputs } from '../core/action.js';
import { readSnapshotRequest } from '../db/db-inputs.js';
import { takeSnapshot, type SnapshotResult } from '../db/snapshot.js';
import { requireArtifactRuntime, uploadSnapshotArtifact } from '../github/artifact.js';
import { deletedWithJobWarning } from '../report/runner-temp.js';
import { snapshotSummary } from '../report/snapshot-db-summary.js';
import { writeSummary } from '../report/write-summary.js';

const SNAPSHOT_WORDS = { what: 'snapshot', of: 'the database as this snapshot took it', toKeep: 'set upload-artifact: true, or output-dir to a lasting place' };

/** The verified snapshot once it exists: an upload that then fails still says where it is. */
let snapshot: SnapshotResult | undefined;

await runAction('snapshot-db', async (log, signal) => {
  const request = readSnapshotRequest(input, input.required('database-url'), { defaultDir: join(process.env.RUNNER_TEMP || process.cwd(), 'rollback-kit', 'snapshots'), searchPath: process.env.PATH ?? '' }, log);
  const upload = input.boolean('upload-artifact', false);
  const retentionDays = input.integer('retention-days', { min: 1, max: 90 });
  if (upload) requireArtifactRuntime(Boolean(process.env.ACTIONS_RUNTIME_TOKEN), 'snapshot');
  const result = (snapshot = await takeSnapshot({ ...request, signal, made: (path, withContents) => madeThisStep.add(path, withContents) }, log));
  setOutputs({
    path: result.path,
    format: result.format,
    'size-bytes': result.sizeBytes,
    sha256: result.sha256,
    'manifest-path': result.manifestPath,
    'server-version': result.serverVersion,
    'duration-ms': result.durationMs,
    'exports-dir': result.exportsDir ?? '',
  });
  let artifact: { name: string; retentionDays?: number } | undefined;
  if (upload) {
    const paths = [result.path, result.manifestPath, ...(result.exportsDir ? [result.exportsDir] : [])];
    artifact = { name: (await uploadSnapshotArtifact(paths, retentionDays)).name, retentionDays };
    log.info(`Uploaded artifact ${artifact.name}${retentionDays ? `, kept ${retentionDays} days` : ''}.`);
  }
  // The default output-dir is in RUNNER_TEMP: not uploaded, the snapshot goes with the job, said as restore-db says it.
  const deletedWithJob = artifact ? undefined : deletedWithJobWarning(result.path, process.env.RUNNER_TEMP || undefined, SNAPSHOT_WORDS);
  if (deletedWithJob) log.warning(deletedWithJob);
  await writeSummary(snapshotSummary(result, artifact, deletedWithJob), log);
}, () => (snapshot ? snapshotSummary(snapshot) : undefined));
