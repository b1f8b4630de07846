/** snapshot-db's and restore-db's requests from their inputs, for the actions and the CLI alike. */
import type { Inputs } from '../core/action.js';
import { RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { parseTime } from '../core/parse.js';
import { FORMATS, type SnapshotFormat } from './archive.js';
import { parseConnectionString } from './connection.js';
import { DEFAULT_LOCK_TIMEOUT_SECONDS } from './lock-wait.js';
import type { RestoreRequest } from './restore.js';
import type { SnapshotRequest } from './snapshot.js';

/** `databaseUrl`: the database-url input (the CLI falls back to DATABASE_URL); `defaultDir` where snapshots go when output-dir is empty. */
export function readSnapshotRequest(inputs: Inputs, databaseUrl: string | undefined, ctx: { defaultDir: string; searchPath: string }, log: Log): SnapshotRequest {
  if (!databaseUrl) throw new RollbackKitError('Input required and not supplied: database-url.');
  const target = parseConnectionString(databaseUrl, log);
  const format = (inputs.string('format') ?? 'custom') as SnapshotFormat;
  if (!FORMATS.includes(format)) throw new RollbackKitError(`Input format must be one of ${FORMATS.join(', ')}, got "${format}".`);
  return {
    target,
    format,
    jobs: inputs.integer('jobs', { default: 1, min: 1, max: 64 })!,
    outputDir: inputs.string('output-dir') ?? ctx.defaultDir,
    label: inputs.string('label'),
    filter: { schemas: inputs.list('schemas'), excludeSchemas: inputs.list('exclude-schemas') },
    excludeTableData: inputs.list('exclude-table-data'),
    exportSince: parseTime(inputs.string('export-since'), 'export-since'),
    exportTables: inputs.list('export-tables'),
    exportColumn: inputs.string('export-column') ?? 'created_at',
    pgDumpPath: inputs.string('pg-dump-path'),
    lockTimeoutSeconds: inputs.number('lock-timeout-seconds', { default: DEFAULT_LOCK_TIMEOUT_SECONDS, min: 0, max: 3600 })!,
    tools: { searchPath: ctx.searchPath, pathInput: 'pg-dump-path' },
  };
}

export function readRestoreRequest(inputs: Inputs, databaseUrl: string | undefined, ctx: { defaultDir: string; searchPath: string }, log: Log): RestoreRequest {
  if (!databaseUrl) throw new RollbackKitError('Input required and not supplied: database-url.');
  return {
    target: parseConnectionString(databaseUrl, log),
    snapshotPath: inputs.required('snapshot-path'),
    confirm: inputs.string('confirm'),
    fromAnotherDatabase: inputs.boolean('from-another-database', false),
    preRestoreSnapshot: inputs.boolean('pre-restore-snapshot', true),
    jobs: inputs.integer('jobs', { default: 1, min: 1, max: 64 })!,
    clean: inputs.boolean('clean', true),
    preRestoreDir: inputs.string('pre-restore-dir') ?? ctx.defaultDir,
    preRestoreDirInput: 'pre-restore-dir',
    lockTimeoutSeconds: inputs.number('lock-timeout-seconds', { default: DEFAULT_LOCK_TIMEOUT_SECONDS, min: 0, max: 3600 })!,
    tools: { searchPath: ctx.searchPath },
  };
}
