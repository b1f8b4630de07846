/**
 * restore-db: put a verified snapshot back. Refuses unless `confirm` names the target database,
 * refuses a snapshot that does not verify, keeps the current state in a pre-restore snapshot, and
 * restores in place in one transaction: its own drops (see restore-plan.ts), the snapshot's script,
 * and what it keeps put back, all or nothing. It commits only once the server has received, table by
 * table, the rows the manifest counts.
 */
import { createReadStream } from 'node:fs';
import { PassThrough } from 'node:stream';
import { RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { runProcess, type ProcessResult } from '../core/process.js';
import { listTables } from './catalog.js';
import { tableKey } from './copy-target.js';
import { corruptSnapshot, fingerprint } from './archive.js';
import type { SnapshotManifest } from './manifest.js';
import type { TableName } from './patterns.js';
import { describeTarget, isTransactionPooler, libpqEnv, type ConnectionTarget } from './connection.js';
import { isLockTimeout, lockTimeoutError, lockTimeoutMs, sessionTag, watchBlockers } from './lock-wait.js';
import { exactTablePattern } from './patterns.js';
import { findPgTool, majorFromVersionNum, toolErrorLine, warmPgTools, type FindToolOptions, type PgTool } from './pg-tools.js';
import { dropStatements, foreignKeyStatements, planRestore, readSnapshotContents, type RestorePlan } from './restore-plan.js';
import { COMMITTED, psqlError, READY_MARK, restoreScript, ROWS_MARK } from './restore-script.js';
import { compareSource, readServerIdentity, snapshotSource } from './server-identity.js';
import { withSession } from './session.js';
import { takeSnapshot, wholeDatabaseSnapshot, type SnapshotResult } from './snapshot.js';
import { checkFingerprint, openSnapshot } from './verify.js';

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
  /** null when the server received no rows for it at all. */
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
  const snapshot = await openSnapshot(req.snapshotPath);
  const manifest = snapshot.manifest;
  // The snapshot was read back in full when it was taken; the same sha256 now proves these are those
  // bytes. It is hashed while the rest runs, and a restore that started on other bytes never commits.
  const fingerprinting = fingerprint(snapshot.path);
  fingerprinting.catch(() => undefined);
  const bytesChecked = fingerprinting.then((fp) => {
    checkFingerprint(snapshot, fp);
    log.info(`Snapshot ${snapshot.path} verified: sha256 ${fp.sha256.slice(0, 12)}…, ${fp.sizeBytes} bytes, as it was when it was read back in full.`);
  });
  bytesChecked.catch(() => undefined);
  warmPgTools(manifest.format === 'plain' ? ['psql'] : ['pg_restore', 'psql'], req.tools);

  // Tables dumped without their rows come back empty: only a pre-restore snapshot keeps those rows.
  const withoutRows = manifest.tables.filter((t) => t.rows === null).map((t) => `${t.schema}.${t.name}`);
  if (withoutRows.length && !req.preRestoreSnapshot) {
    throw new RollbackKitError(
      `The snapshot holds no rows for ${withoutRows.join(', ')} (exclude-table-data), so restoring it empties them, and pre-restore-snapshot is false.`,
      'Set pre-restore-snapshot: true so their rows are kept, or restore a snapshot that has them. Nothing was changed.',
    );
  }

  const key = (t: { schema: string; name: string }) => `${t.schema}.${t.name}`;
  const { serverMajor, pgRestore, contents, plan, extraTables } = await withSession(req.target, async (s) => {
    const serverMajor = majorFromVersionNum(Number((await s.query<{ n: string }>("SELECT current_setting('server_version_num') AS n")).rows[0]!.n));
    const pgRestore = manifest.format === 'plain' ? undefined : await findPgTool('pg_restore', Math.max(serverMajor, manifest.pgDump.major), req.tools);
    // Its table of contents is read by pg_restore while this session asks the server the rest.
    const reading = readSnapshotContents(snapshot.path, manifest.format, pgRestore?.path);
    reading.catch(() => undefined);
    const source = compareSource(snapshotSource(manifest), await readServerIdentity(s, req.target));
    if (!source.same) log.warning(`${source.message} It is being restored into the target all the same: confirm names the target, not the source.`);
    const expected = new Set(manifest.tables.map(key));
    // Tables the snapshot does not have are left as they are (and, with their foreign keys, kept by the plan).
    const extraTables = (await listTables(s, manifest.filter.schemas)).map(key).filter((k) => !expected.has(k));
    // A file that changed is reported as changed, even when pg_restore also failed on it.
    const contents = await reading.catch(async (err: unknown) => {
      await bytesChecked;
      throw err;
    });
    // Planned before anything is written: a dependent that cannot be put back refuses the restore here.
    const plan: RestorePlan = req.clean ? await planRestore(s, contents, where) : { dropped: [], keptForeignKeys: [], keptViews: [] };
    return { serverMajor, pgRestore, contents, plan, extraTables };
  });
  if (contents.largeObjects && manifest.format === 'plain') {
    throw new RollbackKitError(
      `Snapshot ${snapshot.path} is a plain SQL script with large objects, which the script commits on their own: it cannot be restored in one transaction.`,
      'Restore a custom or directory format snapshot of this database. Nothing was changed.',
    );
  }
  for (const fk of plan.keptForeignKeys) log.info(`Keeping foreign key ${fk.name} of ${fk.table} (not in the snapshot): dropped for the restore and re-created after it.`);
  for (const v of plan.keptViews) log.info(`Keeping ${v.relkind === 'm' ? 'materialized view' : 'view'} ${v.schema}.${v.name} (not in the snapshot): dropped for the restore and re-created after it.`);

  let preRestoreSnapshotPath: string | undefined;
  if (req.preRestoreSnapshot) {
    // Not worth keeping the current state for a snapshot that will be refused.
    await bytesChecked;
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
  const differences = await applySnapshot({ req, snapshot: snapshot.path, manifest, bytesChecked, pgRestore, plan, serverMajor, preRestoreSnapshotPath }, log);
  const verified = differences.length === 0;
  if (verified) log.info(`Restore verified: all ${manifest.tables.length} tables received the rows the snapshot holds, as the server counted them before the commit.`);
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

/**
 * Each table whose rows the server did not receive as the manifest counts them. Rows come from
 * psql's `ROWS_MARK <n> <rows>` lines (the COPY's own row count, in the restore's transaction).
 */
export function rowDifferences(manifest: SnapshotManifest, copies: (TableName | undefined)[], reported: Map<number, number>): TableDifference[] {
  const loaded = new Map<string, number>();
  copies.forEach((t, i) => {
    if (!t || !reported.has(i)) return;
    loaded.set(tableKey(t), (loaded.get(tableKey(t)) ?? 0) + reported.get(i)!);
  });
  const diffs: TableDifference[] = [];
  for (const t of manifest.tables) {
    if (t.rows === null) continue;
    const actual = loaded.get(tableKey(t)) ?? null;
    // An empty table may have no COPY at all: it holds what the snapshot holds, nothing.
    if (actual === null && t.rows === 0) continue;
    if (actual !== t.rows) diffs.push({ table: `${t.schema}.${t.name}`, expected: t.rows, actual });
  }
  return diffs;
}

interface Apply {
  req: RestoreRequest;
  snapshot: string;
  manifest: SnapshotManifest;
  /** Rejects when the snapshot's bytes are not those its manifest recorded: then nothing may commit. */
  bytesChecked: Promise<void>;
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

/** `\warn` reports psql's counts while the transaction is open: psql 13 has it. */
const MIN_PSQL_MAJOR = 13;

/** psql's stderr, line by line: the rows of each COPY as psql reports them, and when it reached the end. */
function progressReader() {
  const reported = new Map<number, number>();
  let rest = '';
  let reachedEnd: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (reachedEnd = resolve));
  const rows = new RegExp(`^${ROWS_MARK} (\\d+) (\\d+)$`);
  const state = { reachedEnd: false };
  return {
    reported,
    ready,
    state,
    onStderr(chunk: string) {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        const m = rows.exec(line);
        if (m) reported.set(Number(m[1]), Number(m[2]));
        else if (line === READY_MARK) {
          state.reachedEnd = true;
          reachedEnd();
        }
      }
    },
  };
}

/**
 * Runs the whole restore through one psql session, in one transaction. With a manifest that counted
 * each table's own rows, as its COPY holds them, it commits only when every table received exactly those rows, and
 * otherwise rolls back, naming them; with an older manifest it commits and returns the differences.
 * Throws (nothing changed) when it did not commit.
 */
async function applySnapshot(a: Apply, log: Log): Promise<TableDifference[]> {
  const { req } = a;
  const where = describeTarget(req.target);
  const tag = sessionTag('restore');
  const env = { ...libpqEnv(req.target), PGAPPNAME: tag };
  const lockTimeout = `SET lock_timeout = ${lockTimeoutMs(req.lockTimeoutSeconds)};`;
  const views = await keptViewsScript(a, env, log);
  const psql = await findPgTool('psql', Math.max(a.serverMajor, a.pgRestore?.major ?? 0, MIN_PSQL_MAJOR), req.tools);

  const stopRestore = new AbortController();
  const stopPsql = new AbortController();
  const archiveOut = new PassThrough();
  let restoring: Promise<ProcessResult> | undefined;
  if (a.pgRestore) {
    restoring = runProcess(a.pgRestore.path, ['--single-transaction', ...(req.clean ? ['--clean', '--if-exists'] : []), '--file', '-', a.snapshot], { stdout: archiveOut, signal: stopRestore.signal });
    restoring.catch(() => undefined);
  }
  const progress = progressReader();
  const copies: (TableName | undefined)[] = [];
  let psqlEnded: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => (psqlEnded = resolve));
  let refused: TableDifference[] = [];
  const gate = a.manifest.rowCounts === 'dumped';
  const script = restoreScript({
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
      if (r.code === 0) return;
      // A file that changed is reported as changed, even when pg_restore also failed on it.
      await a.bytesChecked;
      throw corruptSnapshot(a.snapshot, toolErrorLine(r.stderr) || 'pg_restore could not read it in full');
    },
    epilogue: [views, lockTimeout, ...foreignKeyStatements(a.plan)],
    copies,
    decide: async () => {
      // psql stops on an error before it gets here: then there is nothing to decide.
      await Promise.race([progress.ready, ended]);
      if (!progress.state.reachedEnd) return false;
      // Throws (and so never commits) when the bytes restored are not the snapshot's.
      await a.bytesChecked;
      if (!gate) return true;
      refused = rowDifferences(a.manifest, copies, progress.reported);
      return refused.length === 0;
    },
  });
  let feedError: unknown;
  script.on('error', (err) => {
    // No COMMIT was written: ending psql now makes the server roll the transaction back.
    feedError = err;
    stopPsql.abort();
  });

  // The watcher connects while psql starts: a lock the restore waits for is waited for far longer
  // than a connection takes, and lock_timeout bounds that wait whether or not it is watched.
  const watching = watchBlockers(req.target, tag, log);
  let applied: ProcessResult;
  try {
    applied = await runProcess(psql.path, ['-X', '--no-password', '-q', '-v', 'ON_ERROR_STOP=1', '-f', '-'], { env, stdin: script, signal: stopPsql.signal, onStderr: progress.onStderr });
  } finally {
    psqlEnded();
    stopRestore.abort();
    script.destroy();
  }
  const blockers = await (await watching).stop();
  if (restoring) await restoring.catch(() => undefined);

  const state = 'The restore ran in one transaction, so the database is as it was before.';
  const undo = a.preRestoreSnapshotPath ? ` The state before is also kept in ${a.preRestoreSnapshotPath}.` : '';
  if (refused.length) {
    throw new RollbackKitError(
      `Restore into ${where} was rolled back: the server did not receive the rows the snapshot holds for ${describeDifferences(refused)}.`,
      `${state}${undo} Take or pick another snapshot; report this if it repeats.`,
    );
  }
  if (applied.code === 0 && !feedError && applied.stdout.includes(COMMITTED)) return rowDifferences(a.manifest, copies, progress.reported);
  const error = psqlError(applied.stderr, log);
  if (isLockTimeout(error)) throw lockTimeoutError(`Restore into ${where}`, req.lockTimeoutSeconds, blockers, `${state}${undo}`, log);
  if (feedError instanceof RollbackKitError && !error) throw new RollbackKitError(log.redact(feedError.message), `${state}${undo}`);
  const reason = error || (feedError instanceof Error ? feedError.message : '') || (applied.signal ? `psql ended by ${applied.signal}` : 'psql exited before the restore committed');
  throw new RollbackKitError(`Restore into ${where} failed: ${log.redact(reason).replace(/\.$/, '')}.`, `${state}${undo}${advice(reason, a.plan)}`);
}

/** A committed restore whose tables did not all receive the manifest's rows (only with manifests from before rowCounts). */
export function differencesError(result: Pick<RestoreResult, 'differences'>): RollbackKitError {
  return new RollbackKitError(
    `Restore committed, but ${result.differences.length} table(s) received other row counts than the snapshot's manifest says: ${result.differences.map((d) => d.table).join(', ')}.`,
    'The manifest was written by an older rollback-kit, which counted a table together with its inheritance children, or was edited: check those tables by hand (the job summary has the numbers). Newer manifests are checked before the commit.',
  );
}

/** `public.orders (287000 expected, 286999 received)`, for the first few. */
export function describeDifferences(diffs: TableDifference[]): string {
  const shown = diffs.slice(0, 5).map((d) => `${d.table} (${d.expected} expected, ${d.actual ?? 'none'} received)`);
  return `${shown.join(', ')}${diffs.length > shown.length ? ` and ${diffs.length - shown.length} more` : ''}`;
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
