/**
 * restore-db: put a verified snapshot back. Refuses unless `confirm` names the target database,
 * refuses a snapshot that does not verify, keeps the current state in a pre-restore snapshot, restores
 * in one transaction where it can (a failure leaves the database as it was), and then compares every
 * table's row count with the manifest.
 */
import { RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { runProcess } from '../core/process.js';
import { countRows, listTables } from './catalog.js';
import { describeTarget, isTransactionPooler, libpqEnv, type ConnectionTarget } from './connection.js';
import { findPgTool, majorFromVersionNum, toolErrorLine, type FindToolOptions } from './pg-tools.js';
import { compareSource, readServerIdentity, snapshotSource } from './server-identity.js';
import { withSession } from './session.js';
import { takeSnapshot } from './snapshot.js';
import { verifySnapshot } from './verify.js';

export interface RestoreRequest {
  target: ConnectionTarget;
  snapshotPath: string;
  confirm: string | undefined;
  preRestoreSnapshot: boolean;
  /** Parallel pg_restore workers; more than one gives up the single transaction. */
  jobs: number;
  clean: boolean;
  /** Where the pre-restore snapshot goes. */
  outputDir: string;
  tools?: FindToolOptions;
}

export interface TableDifference {
  table: string;
  expected: number | null;
  /** null when the table is missing after the restore. */
  actual: number | null;
}

export interface RestoreResult {
  target: string;
  snapshotPath: string;
  snapshotTakenAt: string;
  preRestoreSnapshotPath?: string;
  verified: boolean;
  tablesRestored: number;
  differences: TableDifference[];
  extraTables: string[];
  /** Tables the snapshot has no rows for (exclude-table-data): restored empty. */
  restoredEmpty: string[];
  mode: string;
  durationMs: number;
}

export function checkConfirmation(target: ConnectionTarget, confirm: string | undefined): void {
  if (confirm === target.database) return;
  const got = confirm ? `got "${confirm}"` : 'it is empty';
  throw new RollbackKitError(
    `restore-db refuses to overwrite ${describeTarget(target)}: confirm must be the target database's name "${target.database}", ${got}.`,
    `Set confirm: ${target.database} to restore over it. Nothing was changed.`,
  );
}

export async function restoreSnapshot(req: RestoreRequest, log: Log): Promise<RestoreResult> {
  const started = Date.now();
  const where = describeTarget(req.target);
  checkConfirmation(req.target, req.confirm);
  if (isTransactionPooler(req.target)) {
    throw new RollbackKitError(`${where} is a transaction-mode pooler: a restore needs one server session.`, 'Use the session pooler or direct connection (on Supabase: port 5432).');
  }
  const snapshot = await verifySnapshot(req.snapshotPath, log, req.tools);
  const manifest = snapshot.manifest;
  const source = await withSession(req.target, async (s) => compareSource(snapshotSource(manifest), await readServerIdentity(s, req.target)));
  if (!source.same) log.warning(`${source.message} It is being restored into the target all the same: confirm names the target, not the source.`);

  // Tables dumped without their rows come back empty: only a pre-restore snapshot keeps those rows.
  const withoutRows = manifest.tables.filter((t) => t.rows === null).map((t) => `${t.schema}.${t.name}`);
  if (withoutRows.length && !req.preRestoreSnapshot) {
    throw new RollbackKitError(
      `The snapshot holds no rows for ${withoutRows.join(', ')} (exclude-table-data), so restoring it empties them, and pre-restore-snapshot is false.`,
      'Set pre-restore-snapshot: true so their rows are kept, or restore a snapshot that has them. Nothing was changed.',
    );
  }

  const serverMajor = await withSession(req.target, async (s) => majorFromVersionNum(Number((await s.query<{ n: string }>("SELECT current_setting('server_version_num') AS n")).rows[0]!.n)));

  let preRestoreSnapshotPath: string | undefined;
  if (req.preRestoreSnapshot) {
    log.info(`Keeping the current state of ${where} in a pre-restore snapshot first …`);
    const pre = await takeSnapshot(
      {
        target: req.target,
        format: 'custom',
        jobs: 1,
        outputDir: req.outputDir,
        label: 'pre-restore',
        filter: { schemas: [], excludeSchemas: [] },
        excludeTableData: [],
        exportTables: [],
        exportColumn: 'created_at',
        tools: req.tools,
      },
      log,
    );
    preRestoreSnapshotPath = pre.path;
  }

  if (withoutRows.length) {
    log.warning(`The snapshot holds no rows for ${withoutRows.join(', ')}: the restore leaves them empty; their rows from before are in ${preRestoreSnapshotPath}.`);
  }

  const single = req.jobs <= 1;
  const mode = manifest.format === 'plain' ? 'psql, one transaction' : single ? 'pg_restore, one transaction' : `pg_restore, ${req.jobs} parallel jobs`;
  log.info(`Restoring ${snapshot.path} into ${where} (${mode}) …`);
  const env = libpqEnv(req.target);
  const result =
    manifest.format === 'plain'
      ? await runProcess((await findPgTool('psql', 0, req.tools)).path, ['-X', '--no-password', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '-f', snapshot.path], { env })
      : await runProcess(
          (await findPgTool('pg_restore', Math.max(serverMajor, manifest.pgDump.major), req.tools)).path,
          [
            '--no-password',
            '--exit-on-error',
            ...(req.clean ? ['--clean', '--if-exists'] : []),
            ...(single ? ['--single-transaction'] : ['--jobs', String(req.jobs)]),
            '--dbname',
            req.target.database,
            snapshot.path,
          ],
          { env },
        );
  if (result.code !== 0) {
    const state = single
      ? 'The restore ran in one transaction, so the database is as it was before.'
      : 'Parallel restore is not one transaction: the database may be partly restored.';
    const undo = preRestoreSnapshotPath ? ` The state before is in ${preRestoreSnapshotPath}.` : '';
    throw new RollbackKitError(`Restore into ${where} failed: ${log.redact(toolErrorLine(result.stderr) || 'no message')}.`, `${state}${undo}`);
  }

  const { differences, extraTables } = await withSession(req.target, async (s) => {
    const expected = manifest.tables;
    const present = await listTables(s, manifest.filter.schemas);
    const key = (t: { schema: string; name: string }) => `${t.schema}.${t.name}`;
    const presentKeys = new Set(present.map(key));
    const expectedKeys = new Set(expected.map(key));
    const counted = await countRows(s, expected.filter((t) => t.rows !== null && presentKeys.has(key(t))));
    const actual = new Map(counted.map((t) => [key(t), t.rows]));
    const diffs: TableDifference[] = [];
    for (const t of expected) {
      if (!presentKeys.has(key(t))) diffs.push({ table: key(t), expected: t.rows, actual: null });
      else if (t.rows !== null && actual.get(key(t)) !== t.rows) diffs.push({ table: key(t), expected: t.rows, actual: actual.get(key(t)) ?? null });
    }
    return { differences: diffs, extraTables: present.map(key).filter((k) => !expectedKeys.has(k)) };
  });
  const verified = differences.length === 0;
  if (verified) log.info(`Restore verified: all ${manifest.tables.length} tables have the row counts of the snapshot.`);
  if (extraTables.length) log.warning(`Tables the snapshot does not have were left as they are: ${extraTables.join(', ')}.`);

  return {
    target: where,
    snapshotPath: snapshot.path,
    snapshotTakenAt: manifest.createdAt,
    preRestoreSnapshotPath,
    verified,
    tablesRestored: manifest.tables.length,
    differences,
    extraTables,
    restoredEmpty: withoutRows,
    mode,
    durationMs: Date.now() - started,
  };
}
