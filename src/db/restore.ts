/**
 * restore-db: put a verified snapshot back. Refuses unless `confirm` names the target database,
 * refuses a snapshot that does not verify, keeps the current state in a pre-restore snapshot, and
 * restores in place in one transaction: its own drops (see restore-plan.ts), the snapshot's script,
 * and what it keeps put back, all or nothing. Then it compares every table's row count with the
 * manifest.
 */
import { createReadStream } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { runProcess, type ProcessResult } from '../core/process.js';
import { countRows, listTables } from './catalog.js';
import { describeTarget, isTransactionPooler, libpqEnv, type ConnectionTarget } from './connection.js';
import { isLockTimeout, lockTimeoutError, lockTimeoutMs, sessionTag, watchBlockers } from './lock-wait.js';
import { exactTablePattern } from './patterns.js';
import { findPgTool, majorFromVersionNum, toolErrorLine, type FindToolOptions, type PgTool } from './pg-tools.js';
import { dropStatements, foreignKeyStatements, planRestore, readSnapshotContents, type RestorePlan } from './restore-plan.js';
import { COMMITTED, psqlError, restoreScript } from './restore-script.js';
import { compareSource, readServerIdentity, snapshotSource } from './server-identity.js';
import { withSession } from './session.js';
import { takeSnapshot, wholeDatabaseSnapshot, type SnapshotResult } from './snapshot.js';
import { verifySnapshot } from './verify.js';

export interface RestoreRequest {
  target: ConnectionTarget;
  snapshotPath: string;
  confirm: string | undefined;
  preRestoreSnapshot: boolean;
  /** Asked-for parallel workers: not used, an in-place restore runs in one transaction (a warning says so). */
  jobs: number;
  clean: boolean;
  /** Where the pre-restore snapshot goes, and the input that says so (named in messages). */
  preRestoreDir: string;
  preRestoreDirInput: string;
  /** PostgreSQL's lock_timeout for every lock the restore (and the pre-restore snapshot) waits for. */
  lockTimeoutSeconds: number;
  /** Called as soon as the pre-restore snapshot exists, so it is reported even when the restore then fails. */
  onPreRestoreSnapshot?: (snapshot: SnapshotResult) => Promise<void>;
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
  const pgRestore = manifest.format === 'plain' ? undefined : await findPgTool('pg_restore', Math.max(serverMajor, manifest.pgDump.major), req.tools);

  // Planned before anything is written: a dependent that cannot be put back refuses the restore here.
  const contents = await readSnapshotContents(snapshot.path, manifest.format, pgRestore?.path);
  if (contents.largeObjects && manifest.format === 'plain') {
    throw new RollbackKitError(
      `Snapshot ${snapshot.path} is a plain SQL script with large objects, which the script commits on their own: it cannot be restored in one transaction.`,
      'Restore a custom or directory format snapshot of this database. Nothing was changed.',
    );
  }
  const plan: RestorePlan = req.clean ? await withSession(req.target, (s) => planRestore(s, contents, where)) : { dropped: [], keptForeignKeys: [], keptViews: [] };
  for (const fk of plan.keptForeignKeys) log.info(`Keeping foreign key ${fk.name} of ${fk.table} (not in the snapshot): dropped for the restore and re-created after it.`);
  for (const v of plan.keptViews) log.info(`Keeping ${v.relkind === 'm' ? 'materialized view' : 'view'} ${v.schema}.${v.name} (not in the snapshot): dropped for the restore and re-created after it.`);

  let preRestoreSnapshotPath: string | undefined;
  if (req.preRestoreSnapshot) {
    log.info(`Keeping the current state of ${where} in a pre-restore snapshot first …`);
    const pre = await takeSnapshot(
      wholeDatabaseSnapshot(req.target, {
        outputDir: req.preRestoreDir,
        outputDirInput: req.preRestoreDirInput,
        lockTimeoutSeconds: req.lockTimeoutSeconds,
        label: 'pre-restore',
        tools: req.tools,
      }),
      log,
    );
    preRestoreSnapshotPath = pre.path;
    await req.onPreRestoreSnapshot?.(pre);
  }

  if (withoutRows.length) {
    log.warning(`The snapshot holds no rows for ${withoutRows.join(', ')}: the restore leaves them empty; their rows from before are in ${preRestoreSnapshotPath}.`);
  }

  if (req.jobs > 1) {
    log.warning(`jobs: ${req.jobs} is not used: the restore runs in one transaction, so that a failure changes nothing, and PostgreSQL cannot share one transaction between parallel workers.`);
  }
  const mode = manifest.format === 'plain' ? 'psql, one transaction' : 'pg_restore into psql, one transaction';
  log.info(`Restoring ${snapshot.path} into ${where} (${mode}) …`);
  await applySnapshot({ req, snapshot: snapshot.path, pgRestore, plan, serverMajor, preRestoreSnapshotPath }, log);

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

interface Apply {
  req: RestoreRequest;
  snapshot: string;
  /** Reads a custom or directory archive; undefined for a plain script, which psql reads as it is. */
  pgRestore: PgTool | undefined;
  plan: RestorePlan;
  serverMajor: number;
  preRestoreSnapshotPath: string | undefined;
}

/** What put back kept views and materialized views exactly (definition, owner, grants, comments, data): pg_dump of just them. */
async function keptViewsScript(a: Apply, env: Record<string, string>, log: Log): Promise<string> {
  if (!a.plan.keptViews.length) return '';
  const pgDump = await findPgTool('pg_dump', a.serverMajor, a.req.tools);
  const args = ['--no-password', `--lock-wait-timeout=${lockTimeoutMs(a.req.lockTimeoutSeconds)}`];
  for (const v of a.plan.keptViews) args.push('--table', exactTablePattern(v));
  const dumped = await runProcess(pgDump.path, args, { env });
  if (dumped.code !== 0) {
    throw new RollbackKitError(`Could not save the definitions of the views restore-db keeps: ${log.redact(toolErrorLine(dumped.stderr) || 'pg_dump failed')}.`, 'Nothing was changed.');
  }
  return dumped.stdout;
}

/** Runs the whole restore through one psql session, in one transaction; throws (nothing changed) when it did not commit. */
async function applySnapshot(a: Apply, log: Log): Promise<void> {
  const { req } = a;
  const where = describeTarget(req.target);
  const tag = sessionTag('restore');
  const env = { ...libpqEnv(req.target), PGAPPNAME: tag };
  const lockTimeout = `SET lock_timeout = ${lockTimeoutMs(req.lockTimeoutSeconds)};`;
  const views = await keptViewsScript(a, env, log);
  const psql = await findPgTool('psql', Math.max(a.serverMajor, a.pgRestore?.major ?? 0), req.tools);

  const stopRestore = new AbortController();
  const stopPsql = new AbortController();
  const archiveOut = new PassThrough();
  let restoring: Promise<ProcessResult> | undefined;
  if (a.pgRestore) {
    restoring = runProcess(a.pgRestore.path, ['--single-transaction', ...(req.clean ? ['--clean', '--if-exists'] : []), '--file', '-', a.snapshot], { stdout: archiveOut, signal: stopRestore.signal });
    restoring.catch(() => undefined);
  }
  const script = Readable.from(
    restoreScript({
      prelude: [
        // The snapshot's script turns lock_timeout off again: every lock that may wait is taken here, first.
        lockTimeout,
        'SET client_min_messages = warning;',
        ...(req.clean ? dropStatements(a.plan) : []),
      ],
      source: a.pgRestore ? archiveOut : createReadStream(a.snapshot),
      unwrap: Boolean(a.pgRestore),
      sourceDone: async () => {
        if (!restoring) return;
        const r = await restoring;
        if (r.code !== 0) throw new RollbackKitError(`pg_restore could not read ${a.snapshot}: ${toolErrorLine(r.stderr) || 'no message'}.`);
      },
      epilogue: [views, lockTimeout, ...foreignKeyStatements(a.plan)],
    }),
  );
  let feedError: unknown;
  script.on('error', (err) => {
    // No COMMIT was written: ending psql now makes the server roll the transaction back.
    feedError = err;
    stopPsql.abort();
  });

  const watch = await watchBlockers(req.target, tag, log);
  let applied: ProcessResult;
  try {
    applied = await runProcess(psql.path, ['-X', '--no-password', '-q', '-v', 'ON_ERROR_STOP=1', '-f', '-'], { env, stdin: script, signal: stopPsql.signal });
  } finally {
    stopRestore.abort();
    script.destroy();
  }
  const blockers = await watch.stop();
  if (restoring) await restoring.catch(() => undefined);

  if (applied.code === 0 && !feedError && applied.stdout.includes(COMMITTED)) return;
  const state = 'The restore ran in one transaction, so the database is as it was before.';
  const undo = a.preRestoreSnapshotPath ? ` The state before is also kept in ${a.preRestoreSnapshotPath}.` : '';
  const error = psqlError(applied.stderr, log);
  if (isLockTimeout(error)) throw lockTimeoutError(`Restore into ${where}`, req.lockTimeoutSeconds, blockers, `${state}${undo}`, log);
  if (feedError instanceof RollbackKitError && !error) throw new RollbackKitError(log.redact(feedError.message), `${state}${undo}`);
  const reason = error || (feedError instanceof Error ? feedError.message : '') || (applied.signal ? `psql ended by ${applied.signal}` : 'psql exited before the restore committed');
  throw new RollbackKitError(`Restore into ${where} failed: ${log.redact(reason).replace(/\.$/, '')}.`, `${state}${undo}${advice(reason, a.plan)}`);
}

/** What to change, for the failures whose cause is known. */
function advice(reason: string, plan: RestorePlan): string {
  if (/violates foreign key constraint/.test(reason) && plan.keptForeignKeys.length) {
    return ' Rows of tables the snapshot does not have point at rows it does not have, so their foreign keys cannot be re-created: delete those rows (or the foreign key), then run again.';
  }
  // A transaction that touches every table needs a lock for each.
  if (!/max_locks_per_transaction|out of shared memory/i.test(reason)) return '';
  return ' A one-transaction restore holds a lock on every table, index and sequence it drops or creates: raise max_locks_per_transaction (a server setting; it takes a restart) so that max_locks_per_transaction × max_connections covers them, then run again.';
}
