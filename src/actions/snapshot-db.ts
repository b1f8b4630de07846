import { join } from 'node:path';
import { input, runAction, setOutputs } from '../core/action.js';
import { RollbackKitError } from '../core/errors.js';
import { parseTime } from '../core/parse.js';
import { FORMATS, type SnapshotFormat } from '../db/archive.js';
import { parseConnectionString } from '../db/connection.js';
import { DEFAULT_LOCK_TIMEOUT_SECONDS } from '../db/lock-wait.js';
import { takeSnapshot, type SnapshotResult } from '../db/snapshot.js';
import { requireArtifactRuntime, uploadSnapshotArtifact } from '../github/artifact.js';
import { snapshotSummary } from '../report/snapshot-db-summary.js';
import { writeSummary } from '../report/write-summary.js';

/** The verified snapshot once it exists: an upload that then fails still says where it is. */
let snapshot: SnapshotResult | undefined;

await runAction('snapshot-db', async (log) => {
  const target = parseConnectionString(input.required('database-url'), log);
  const format = (input.string('format') ?? 'custom') as SnapshotFormat;
  if (!FORMATS.includes(format)) throw new RollbackKitError(`Input format must be one of ${FORMATS.join(', ')}, got "${format}".`);
  const upload = input.boolean('upload-artifact', false);
  const retentionDays = input.integer('retention-days', { min: 1, max: 90 });
  if (upload) requireArtifactRuntime(Boolean(process.env.ACTIONS_RUNTIME_TOKEN));
  const result = (snapshot = await takeSnapshot(
    {
      target,
      format,
      jobs: input.integer('jobs', { default: 1, min: 1, max: 64 })!,
      outputDir: input.string('output-dir') ?? join(process.env.RUNNER_TEMP || process.cwd(), 'rollback-kit', 'snapshots'),
      label: input.string('label'),
      filter: { schemas: input.list('schemas'), excludeSchemas: input.list('exclude-schemas') },
      excludeTableData: input.list('exclude-table-data'),
      exportSince: parseTime(input.string('export-since'), 'export-since'),
      exportTables: input.list('export-tables'),
      exportColumn: input.string('export-column') ?? 'created_at',
      pgDumpPath: input.string('pg-dump-path'),
      lockTimeoutSeconds: input.number('lock-timeout-seconds', { default: DEFAULT_LOCK_TIMEOUT_SECONDS, min: 0, max: 3600 })!,
      tools: { searchPath: process.env.PATH ?? '', pathInput: 'pg-dump-path' },
    },
    log,
  ));
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
  await writeSummary(snapshotSummary(result, artifact), log);
}, () => (snapshot ? snapshotSummary(snapshot) : undefined));
