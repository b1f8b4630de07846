/**
 * restore-db: put a verified snapshot back. Refuses unless `confirm` names the target database,
 * refuses a snapshot that does not verify or is of another database (unless that is meant), and
 * restores in place in one transaction: its own drops (see restore-plan.ts), the snapshot's script,
 * and what it keeps put back, all or nothing, with the snapshot's privileges (restore-privileges.ts).
 * That transaction locks the tables it replaces against writes first, and the pre-restore snapshot
 * of the current state is taken while it holds them, so no committed row falls between the two.
 * It commits only once every table holds the rows the manifest counts, counted in that transaction.
 */
import { createReadStream } from 'node:fs';
import { PassThrough } from 'node:stream';
import { within } from '../core/bounded-wait.js';
import { RollbackKitError, withFacts, type ErrorFacts } from '../core/errors.js';
import type { Log } from '../core/log.js';
import type { MadeHook } from '../core/made.js';
import { runProcess, type ProcessResult } from '../core/process.js';
import { doBlock, qualified, quoteIdent, quoteLiteral } from './catalog.js';
import { corruptSnapshot, fingerprint, onDisk } from './archive.js';
import type { SnapshotManifest } from './manifest.js';
import { describeTarget, libpqEnv, toolConnectMs, toolConninfo, transactionPoolerRefusal, type ConnectionTarget } from './connection.js';
import { DEFAULT_STALL_MS, isLockTimeout, STALL_CAUSE, LockCycleError, lockCycleError, lockHolders, lockTimeoutError, lockTimeoutMs, notWatching, sessionTag, watchBlockers, type Blocker, type BlockerWatch, type CycleWording, type StallWatch } from './lock-wait.js';
import { markerLines, markerNumber } from './marker-lines.js';
import { exactTablePattern } from './patterns.js';
import { findPgTool, majorFromVersionNum, toolErrorLine, warmPgTools, type FindToolOptions, type PgTool } from './pg-tools.js';
import { attachStatements, dropStatements, existingRelations, foreignKeyStatements, leftAsTheyAre, planRestore, readSnapshotContents, refuseExistingWithoutClean, requireRestorePrivileges, WITHOUT_CLEAN_WAY, type RestorePlan, type SnapshotContents } from './restore-plan.js';
import { prepareDataPath, verboseErrors, type DataPath } from './restore-data.js';
import { describeColumn, type DiscardedFromTable } from './restore-discarded.js';
import { giveBackSchemas, requireSchemaOwners, type SchemaOwners } from './restore-owners.js';
import { countTableRows, type TableRowsPreview } from './restore-rows.js';
import { putBackDefaultPrivileges, readOwnDefaultPrivileges, requireSchemaPrivileges, resetSchemaPrivileges, setAsideDefaultPrivileges } from './restore-privileges.js';
import { COMMITTED, filterScript, psqlError, restoreScript } from './restore-script.js';
import { compareSource, describeIdentity, readServerIdentity, snapshotSource, type ServerIdentity } from './server-identity.js';
import { closeAtStop, closeSession, connect, ConnectStopped, QueryDeadlineExceeded, seconds, type QueryDeadline, type Session, withSession } from './session.js';
import { dumpStalled, SnapshotStalledError, takeSnapshot, wholeDatabaseSnapshot, type SnapshotResult } from './snapshot.js';
import { ledgerKeptAcrossRestore } from '../migrations/ledger.js';
import { progressAcrossRestore } from '../migrations/progress.js';
import { checkFingerprint, openSnapshot } from './verify.js';

export interface RestoreRequest {
  target: ConnectionTarget;
  snapshotPath: string;
  confirm: string | undefined;
  /**
   * The snapshot may be of another database, or of one of the same name on another server
   * (production's snapshot into staging): said on purpose, since otherwise such a restore is refused.
   */
  fromAnotherDatabase?: boolean;
  preRestoreSnapshot: boolean;
  /** Asked-for parallel workers: not used, an in-place restore runs in one transaction (a warning says so). */
  jobs: number;
  clean: boolean;
  /** Where the pre-restore snapshot goes, and the input that says so (named in messages). */
  preRestoreDir: string;
  preRestoreDirInput: string;
  /** PostgreSQL's lock_timeout for every lock the restore (and the pre-restore snapshot) waits for. */
  lockTimeoutSeconds: number;
  /**
   * Called as soon as the pre-restore snapshot exists, so it is reported even when the restore then
   * fails. It runs beside the restore, and the restore commits only once it has resolved: what it
   * does to keep the snapshot (an upload) is done before anything is changed, or nothing is.
   */
  onPreRestoreSnapshot?: (snapshot: SnapshotResult) => Promise<void>;
  /**
   * Hears of each folder and file the pre-restore snapshot makes (preRestoreDir, its parents, its
   * .gitignore, the dump: SnapshotRequest.made), so that a stop during it removes them again while
   * they hold nothing else. A pre-restore snapshot that completed is taken off that record, and
   * keeps its folder.
   */
  made?: MadeHook;
  /**
   * Aborted when the step is being stopped (SIGTERM, SIGINT): the restore stops feeding psql and
   * ends its processes, and says whether its transaction committed or rolled back.
   */
  signal?: AbortSignal;
  tools?: FindToolOptions;
  /**
   * How long psql's session may be gone from the server, with psql still running, before its
   * connection is taken to have stalled and psql is ended (lock-wait.ts StallWatch; DEFAULT_STALL_MS
   * unless said: tests give a short one).
   */
  stallAfterMs?: number;
  /**
   * SQL run in the restore's transaction: `first` before the snapshot's script, `last` after
   * everything else (its checks too, and the ledger put back as it was: LEDGER), just before the
   * COMMIT. What the caller must commit with the restore or not at all (the whole rollback's 'done'
   * row: migrations/ledger.ts ledgerDoneWithRestore).
   */
  inTransaction?: {
    first: string[];
    last: string[];
  };
  /** Bounds of the phases that run while the restore holds its table locks (RESTORE_BOUNDS unless said: tests give short ones). */
  bounds?: Partial<RestoreBounds>;
}

/**
 * How long the phases that run while the restore's transaction holds its EXCLUSIVE locks (writers
 * wait behind them, and its session has idle_in_transaction_session_timeout 0) may take: a pg_dump
 * or session that stalls there must not hold the tables for as long as the network likes.
 */
export interface RestoreBounds {
  /** The whole pre-restore snapshot: dump and read back. Two hours, twice the read back's own bound. */
  preRestoreSnapshotMs: number;
  /** The pg_dump of the kept views' definitions (no rows): lock-timeout-seconds and this for the rest. */
  keptViewsDumpMs: number;
}

export const RESTORE_BOUNDS: RestoreBounds = { preRestoreSnapshotMs: 2 * 60 * 60_000, keptViewsDumpMs: 5 * 60_000 };

/** A table the restore left with fewer rows than it held: the rest are in the pre-restore snapshot. */
export interface FewerRows {
  table: string;
  before: number;
  restored: number;
}

export interface RestoreResult {
  target: string;
  snapshotPath: string;
  snapshotTakenAt: string;
  /** The database the snapshot was taken of, and the one restored into (describeIdentity). */
  source: string;
  targetIdentity: string;
  /** The snapshot is of another database, restored into this one on purpose (fromAnotherDatabase). */
  fromAnotherDatabase: boolean;
  preRestoreSnapshotPath?: string;
  /** Tables that hold fewer rows than before the restore (known with a pre-restore snapshot, which holds them). */
  fewerRows: FewerRows[];
  /** Columns, indexes, constraints, triggers, policies and rules added to snapshot tables since it was taken: gone with them. */
  discarded: DiscardedFromTable[];
  /** Always true once a restore returns: its row check ran in the transaction, before the COMMIT. */
  verified: true;
  tablesRestored: number;
  /** Tables the snapshot does not have, left as they are (schema.name). */
  extraTables: string[];
  /** Schemas created since a snapshot of every schema, left as they are. */
  extraSchemas: string[];
  /** Tables the snapshot has no rows for (exclude-table-data): restored empty. */
  restoredEmpty: string[];
  mode: string;
  durationMs: number;
}

/**
 * The fact every error of a restore that did not commit carries (RollbackKitError.changed), each
 * saying so in its own words: a caller decides by this, not by them.
 */
const UNCHANGED: ErrorFacts = { changed: 'no' };

/**
 * rollback-kit's own ledger (rollback_kit.rollbacks) comes out of every restore as it went in, whoever
 * restores (restore-db, the CLI, the whole rollback): a snapshot's older ledger would make a re-run
 * of an incident finished since do its work again (migrations/ledger.ts says why, and what a target
 * without one gets). rollback_kit.down_progress is restored with the snapshot on purpose: it describes
 * the schema the snapshot brings back (migrations/progress.ts).
 */
const LEDGER = ledgerKeptAcrossRestore();
/** Progress the restore keeps while it writes its tracking rows anew, marked stale for good (migrations/progress.ts). */
const PROGRESS = progressAcrossRestore();

export function checkConfirmation(target: ConnectionTarget, confirm: string | undefined): void {
  if (confirm === target.database) return;
  const got = confirm ? `got "${confirm}"` : 'it is empty';
  throw new RollbackKitError(
    `restore-db refuses to overwrite ${describeTarget(target)}: confirm must be the target database's name "${target.database}", ${got}.`,
    `Set confirm: ${target.database} to restore over it. Nothing was changed.`,
    UNCHANGED,
  );
}

/** What a restore would do, planned as the restore plans it, with nothing changed (a dry run). */
export interface RestorePreview {
  target: string;
  snapshotPath: string;
  tablesRestored: number;
  /** What the restore would throw away on the tables it replaces (restore-discarded.ts). */
  discarded: DiscardedFromTable[];
  /** Tables and schemas the snapshot does not have, which the restore would leave as they are. */
  extraTables: string[];
  extraSchemas: string[];
  /** Tables the snapshot has no rows for (exclude-table-data): the restore would empty them. */
  restoredEmpty: string[];
  /** With countRows: each snapshot table's rows now against the snapshot's, in the manifest's order. */
  rows?: TableRowsPreview[];
}

export function restoreSnapshot(req: RestoreRequest, log: Log): Promise<RestoreResult> {
  return restoreOrPreview(req, log, false) as Promise<RestoreResult>;
}

/**
 * A dry run of restoreSnapshot: the same checks of the snapshot (its bytes included) and the same
 * plan, logged as the restore logs it, through the planning session alone; `confirm` is not needed,
 * and nothing is locked or changed. A restore the plan would refuse is refused here too.
 */
export function previewRestore(req: RestoreRequest, log: Log, options: PreviewOptions = {}): Promise<RestorePreview> {
  return restoreOrPreview(req, log, true, options) as Promise<RestorePreview>;
}

export interface PreviewOptions {
  /**
   * Count each snapshot table's rows now (restore-rows.ts), for a dry run that a person reads: the
   * plan alone never reads a table, and the whole rollback's preview, which the app waits for, does not ask.
   */
  countRows?: boolean;
}

async function restoreOrPreview(req: RestoreRequest, log: Log, dryRun: boolean, options: PreviewOptions = {}): Promise<RestoreResult | RestorePreview> {
  const started = Date.now();
  const where = describeTarget(req.target);
  if (!dryRun) checkConfirmation(req.target, req.confirm);
  const pooler = transactionPoolerRefusal(req.target, "the restore's one session");
  if (pooler) throw pooler;
  const snapshot = await openSnapshot(req.snapshotPath);
  const manifest = snapshot.manifest;
  // psql and pg_restore read the files apart from the hash: each file's identity (onDisk), taken
  // before the hash and compared on every check, the last one after every read and before the
  // COMMIT, proves they read the bytes hashed. A change is reported first: it explains a failed read
  // or a wrong sha256 too.
  const identity = await onDisk(snapshot.path);
  const unchanged = async () => {
    if ((await onDisk(snapshot.path)) === identity) return;
    throw new RollbackKitError(
      `Snapshot ${snapshot.path} changed while it was restored: its files were replaced, written or cut short after they were checked, so the restore did not commit and nothing was changed.`,
      'Restore it again from the artifact, once nothing else writes to that path (an artifact download, another snapshot into the same folder).',
    );
  };
  // The snapshot was read back in full when it was taken; the same sha256 now proves these are those
  // bytes, and a restore that started on other bytes never commits. Hashed on Node's main thread, in
  // 1 MB slices between everything else it does: so not while it plans the restore, but once psql
  // runs it (or sooner, when something awaits it); with a pre-restore snapshot, which waits for the
  // hash, from the start.
  // The hash's result is kept, not logged, when it arrives: a matching sha256 alone does not prove
  // pg_restore can read the file (a truncated dump whose manifest was edited to match), so
  // "verified" is said once, after the restore has read it in full.
  let hashing: Promise<void> | undefined;
  let matched: { sha256: string; sizeBytes: number } | undefined;
  const bytesChecked = () => {
    hashing ??= fingerprint(snapshot.path, manifest.fingerprint, req.signal).then((fp) => {
      checkFingerprint(snapshot, fp);
      matched = fp;
    });
    hashing.catch(() => undefined);
    const checked = hashing.then(unchanged, async (err: unknown) => {
      await unchanged();
      throw err;
    });
    checked.catch(() => undefined);
    return checked;
  };
  if (req.preRestoreSnapshot && !dryRun) void bytesChecked();
  warmPgTools(manifest.format === 'plain' ? ['psql'] : ['pg_restore', 'psql'], req.tools);

  // Tables dumped without their rows come back empty: only a pre-restore snapshot keeps those rows.
  const withoutRows = manifest.tables.filter((t) => t.rows === null).map((t) => `${t.schema}.${t.name}`);
  if (withoutRows.length && !req.preRestoreSnapshot) {
    throw new RollbackKitError(
      `The snapshot holds no rows for ${withoutRows.join(', ')} (exclude-table-data), so restoring it empties them, and pre-restore-snapshot is false.`,
      'Set pre-restore-snapshot: true so their rows are kept, or restore a snapshot that has them. Nothing was changed.',
      UNCHANGED,
    );
  }

  // Started while the restore is planned (startRestoreProcesses); whatever fails or refuses before
  // the transaction is opened stops them, and nothing was applied.
  let processes: Promise<RestoreProcesses> | undefined;
  // The lock watcher connects once the planning session has gone: two connections at a time.
  let planningGone!: (gone: Promise<void>) => void;
  const planningClosed = new Promise<void>((resolve) => (planningGone = (gone) => void gone.then(resolve)));
  const startProcesses = (serverMajor: number, pgRestore: PgTool | undefined) => {
    processes = startRestoreProcesses({ req, snapshot: snapshot.path, pgRestore, serverMajor, planningClosed }, log);
    processes.catch(() => undefined);
  };
  /** Whether psql has been sent the COMMIT: until then, ending it rolls the restore back. */
  const progress = { commitWritten: false };
  // A step being stopped ends psql before its COMMIT is sent: the server rolls the transaction back.
  const onAbort = () => {
    if (!progress.commitWritten) void processes?.then((p) => p.stop(), () => undefined);
  };
  req.signal?.addEventListener('abort', onAbort, { once: true });
  const stopIfAborted = () => {
    if (req.signal?.aborted) throw new RollbackKitError('The restore was stopped.', undefined, { stopped: true });
  };
  let preRestoreSnapshotPath: string | undefined;
  /** What the caller does to keep the pre-restore snapshot (onPreRestoreSnapshot): awaited before the COMMIT. */
  let keeping: Promise<void> | undefined;
  try {
    const { serverMajor, pgRestore, contents, plan, extra, notMemberOf, defaults, source, owners, rows } = await withPlanningSession(req, where, log, async (s) => {
      const serverMajor = majorFromVersionNum(Number((await s.query<{ n: string }>("SELECT current_setting('server_version_num') AS n")).rows[0]!.n));
      const pgRestore = manifest.format === 'plain' ? undefined : await findPgTool('pg_restore', Math.max(serverMajor, manifest.pgDump.major), req.tools);
      // Its table of contents is read by pg_restore while this session asks the server the rest.
      const reading = readSnapshotContents(snapshot.path, manifest.format, pgRestore?.path);
      reading.catch(() => undefined);
      // psql connects and the pg_restore reads start while the restore is planned; nothing is sent before it is.
      if (!dryRun) startProcesses(serverMajor, pgRestore);
      const source = checkSource(snapshotSource(manifest), await readServerIdentity(s, req.target), req, snapshot.path, log);
      // Asked while pg_restore still reads the table of contents: neither needs it.
      // Roles whose default privileges this user cannot change (a superuser is a member of every role):
      // membership until PostgreSQL 15, the right to SET ROLE to them from 16.
      // As the script's bytes (pg_dump writes in the database's encoding), read as latin1 as the script is.
      const { rows: others } = await s.query<{ r: Buffer }>(
        "SELECT convert_to(quote_ident(rolname), current_setting('server_encoding')) AS r FROM pg_catalog.pg_roles WHERE NOT pg_has_role(current_user, oid, $1)",
        [serverMajor >= 16 ? 'SET' : 'MEMBER'],
      );
      const notMemberOf = new Set(others.map((o) => o.r.toString('latin1')));
      const defaults = await readOwnDefaultPrivileges(s);
      // A file that changed is reported as changed, even when pg_restore also failed on it.
      const contents = await reading.catch(async (err: unknown) => {
        await bytesChecked();
        throw err;
      });
      // Tables the snapshot does not have are left as they are (and, with their foreign keys, kept by the plan).
      const extra = await leftAsTheyAre(s, contents, manifest);
      // Planned before anything is written: a dependent that cannot be put back refuses the restore here.
      // Without clean nothing is dropped first: a snapshot object that exists would fail its CREATE, so it is refused here.
      const drops = dropsFirst(req, manifest);
      // Read once for either: with clean they are what is dropped, without it what is already there.
      const existing = await existingRelations(s, contents);
      if (!drops) await refuseExistingWithoutClean(s, contents, existing, where);
      const plan: RestorePlan = drops ? await planRestore(s, contents, existing, where) : { dropped: [], keptPartitions: [], droppedForeignKeys: [], keptForeignKeys: [], keptViews: [], discarded: [] };
      // Before anything is locked or kept: a role that may not drop what the plan and the snapshot's script drop would fail only at the first DROP.
      await requireRestorePrivileges(s, plan, drops ? contents.objects : [], contents.schemas);
      // The schemas resetSchemaPrivileges resets: a difference the role could not undo would outlive the restore.
      await requireSchemaPrivileges(s, manifest.filter.schemas, contents.schemaGrants, manifest.pgDump.major);
      // The schemas' owners the script gives back: a role that may not would fail in the middle of the script.
      const owners = await requireSchemaOwners(s, contents.schemaOwners, serverMajor);
      // Last, once the plan stands: a restore it refuses is refused before any table is read.
      const rows = dryRun && options.countRows ? await countTableRows(s, manifest, PLANNING_DEADLINE.statementMs) : undefined;
      return { serverMajor, pgRestore, contents, plan, extra, notMemberOf, defaults, source, owners, rows };
    }, planningGone);
    if (contents.largeObjects && manifest.format === 'plain') {
      throw new RollbackKitError(
        `Snapshot ${snapshot.path} is a plain SQL script with large objects, which the script commits on their own: it cannot be restored in one transaction.`,
        'Restore a custom or directory format snapshot of this database. Nothing was changed.',
        UNCHANGED,
      );
    }
    for (const p of plan.keptPartitions) log.info(`Keeping partition ${p.partition} of ${p.parent} (not in the snapshot): detached for the restore and attached again after it, with its rows.`);
    for (const fk of plan.keptForeignKeys) log.info(`Keeping foreign key ${fk.name} of ${fk.table} (not in the snapshot): dropped for the restore and re-created after it.`);
    for (const v of plan.keptViews) log.info(`Keeping ${v.relkind === 'm' ? 'materialized view' : 'view'} ${v.schema}.${v.name} (not in the snapshot): dropped for the restore and re-created after it.`);
    logDiscarded(plan.discarded, req.preRestoreSnapshot, log);
    if (defaults.entries.length) {
      log.info(`Setting aside the default privileges of ${defaults.role} (ALTER DEFAULT PRIVILEGES: ${defaults.entries.join(', ')}) while the restore creates objects, so they get the snapshot's privileges and no others; put back before the commit.`);
    }
    for (const o of owners.deferred) log.info(`Giving schema ${o.schema} back to ${o.owner} at the end of the restore: user "${req.target.user}" may hand it over but not use ${o.owner}'s privileges (NOINHERIT), which the snapshot's script needs in it first.`);
    if (defaults.unknown.length) log.warning(`Default privileges of ${defaults.role} that restore-db does not know how to set aside (${defaults.unknown.join(', ')}) still apply to what the restore creates.`);
    if (dryRun) {
      // A snapshot whose bytes are not its manifest's would be refused: the dry run says so too.
      await bytesChecked();
      // Its data is read only by the restore: the dry run claims no more than the hash and the table of contents.
      if (matched) log.info(`Snapshot ${snapshot.path}: sha256 ${matched.sha256.slice(0, 12)}…, ${matched.sizeBytes} bytes, as its manifest records, and its table of contents read; its data is read in full only by the restore.`);
      return { target: where, snapshotPath: snapshot.path, tablesRestored: manifest.tables.length, discarded: plan.discarded, extraTables: extra.tables, extraSchemas: extra.schemas, restoredEmpty: withoutRows, ...(rows ? { rows } : {}) };
    }

    // Not worth locking tables, or keeping the current state, for a snapshot that will be refused.
    if (req.preRestoreSnapshot) await bytesChecked();
    stopIfAborted();
    const running = await processes!;
    // From here until the COMMIT no row can be written to a table the restore replaces: a row
    // committed before the lock is in the pre-restore snapshot, one after it waits for the restore.
    await openTransaction(running, plan, req, where, log);
    stopIfAborted();

    let pre: SnapshotResult | undefined;
    if (req.preRestoreSnapshot) {
      log.info(`Keeping the current state of ${where} in a pre-restore snapshot first, while the restore's transaction holds its tables …`);
      const boundMs = req.bounds?.preRestoreSnapshotMs ?? RESTORE_BOUNDS.preRestoreSnapshotMs;
      // Past its bound the snapshot is stopped as a stop would (pg_dump ended, its query cancelled):
      // the restore then rolls back, and its locks go with it.
      const overdue = AbortSignal.timeout(boundMs);
      pre = await takeSnapshot(
        {
          ...wholeDatabaseSnapshot(req.target, {
            outputDir: req.preRestoreDir,
            outputDirInput: req.preRestoreDirInput,
            lockTimeoutSeconds: req.lockTimeoutSeconds,
            label: 'pre-restore',
            tools: req.tools,
          }),
          made: req.made,
          // Its sessions carry a name of their own, so that its pg_dump is watched for a stall as
          // snapshot-db's is; a session that waits for the restore's table locks while the snapshot
          // queues behind it is seen as the cycle it is all the same.
          callerSessions: running.tag,
          stallAfterMs: req.stallAfterMs,
          signal: req.signal ? AbortSignal.any([req.signal, overdue]) : overdue,
        },
        log,
      ).catch((err: unknown) => {
        if (err instanceof SnapshotStalledError) throw preRestoreStalled(where, err.goneMs);
        if (!overdue.aborted || req.signal?.aborted) throw err;
        throw new RollbackKitError(
          `The pre-restore snapshot of ${where} did not finish within ${seconds(boundMs)} s while the restore's transaction held its tables (writers waited behind it), so it was stopped and the restore with it: nothing was changed.`,
          'Check the network path to the database (a dump that stalled) or how long a snapshot of it takes; run again, or restore with pre-restore-snapshot: false if a snapshot of the current state is kept otherwise.',
          UNCHANGED,
        );
      });
      preRestoreSnapshotPath = pre.path;
      keeping = req.onPreRestoreSnapshot?.(pre);
      keeping?.catch(() => undefined);
      stopIfAborted();
    }

    if (withoutRows.length) {
      log.warning(`The snapshot holds no rows for ${withoutRows.join(', ')}: the restore leaves them empty; their rows from before are in ${preRestoreSnapshotPath}.`);
    }

    if (req.jobs > 1) {
      log.warning(`jobs: ${req.jobs} is not used: the restore runs in one transaction, so that a failure changes nothing, and PostgreSQL cannot share one transaction between parallel workers.`);
    }
    const mode = manifest.format === 'plain' ? 'psql, one transaction' : 'pg_restore into psql, one transaction';
    log.info(`Restoring ${snapshot.path} into ${where} (${mode}) …`);
    const leftOut = new Set<string>();
    await applySnapshot(
      { req, snapshot: snapshot.path, manifest, bytesChecked, kept: keeping, progress, pgRestore, plan, serverMajor, preRestoreSnapshotPath, notMemberOf, leftOut, owners, contents },
      running,
      log,
    );
    if (leftOut.size) {
      log.warning(
        `Left out ${leftOut.size} statement(s) of the snapshot that set other roles' default privileges (${[...leftOut].map((t) => log.excerpt(t, 120)).join('; ')}): user "${req.target.user}" is not a member of those roles, so PostgreSQL refuses them. Their default privileges are as they were before the restore.`,
      );
    }
    if (matched) log.info(`Snapshot ${snapshot.path} verified: sha256 ${matched.sha256.slice(0, 12)}…, ${matched.sizeBytes} bytes, as it was when it was read back in full, and read in full by the restore.`);
    log.info(`Restore verified: all ${manifest.tables.length} tables hold the rows the snapshot holds, counted in the restore's transaction before its commit.`);
    if (extra.tables.length) log.warning(`Tables the snapshot does not have were left as they are: ${extra.tables.join(', ')}.`);
    if (extra.schemas.length) log.warning(`Schemas the snapshot does not have were left as they are: ${extra.schemas.join(', ')}.`);
    const fewerRows = (pre ? fewerRowsThanBefore(pre.manifest, manifest) : []).filter((f) => f.table !== LEDGER.table);
    for (const f of fewerRows) log.info(`${f.table} holds ${f.before - f.restored} row(s) fewer than before the restore (${f.before} before, ${f.restored} restored); they are in the pre-restore snapshot ${preRestoreSnapshotPath}.`);

    return {
      target: where,
      snapshotPath: snapshot.path,
      snapshotTakenAt: manifest.createdAt,
      source: describeIdentity(source.snapshot),
      targetIdentity: describeIdentity(source.target),
      fromAnotherDatabase: !source.same,
      preRestoreSnapshotPath,
      fewerRows,
      discarded: plan.discarded,
      verified: true,
      tablesRestored: manifest.tables.length,
      extraTables: extra.tables,
      extraSchemas: extra.schemas,
      restoredEmpty: withoutRows,
      mode,
      durationMs: Date.now() - started,
    };
  } catch (err) {
    const running = await processes?.catch(() => undefined);
    // Once stopped, the watcher has finished what it saw: a cycle it ended is known here.
    await running?.stop();
    await keeping?.catch(() => undefined);
    // Stopped while its first session was still being opened: no transaction was ever begun.
    if (err instanceof ConnectStopped && !running) {
      throw new RollbackKitError(
        `Restore into ${where} was stopped while still connecting to the database, before anything was sent to it: nothing was changed, the database is as it was before.`,
        'Run the step again when it can run to its end.',
        { ...UNCHANGED, stopped: true },
      );
    }
    // Stopped before the COMMIT was sent: whatever it was doing, its transaction did not commit.
    if (req.signal?.aborted && !progress.commitWritten) {
      throw new RollbackKitError(
        `Restore into ${where} was stopped before its transaction committed, so nothing of it was applied: the database is as it was before.`,
        `${preRestoreSnapshotPath ? `The state before is also kept in ${preRestoreSnapshotPath}. ` : ''}Run the step again when it can run to its end.`,
        { ...UNCHANGED, stopped: true },
      );
    }
    // A session and the restore waited for each other (its lock phase, the pre-restore snapshot, the
    // drops): the watcher of either ended the restore's sessions, whatever error that then caused.
    const cycle = err instanceof LockCycleError ? err.blockers : running?.cycle();
    if (cycle && !progress.commitWritten) {
      const undo = preRestoreSnapshotPath ? ` The state before is also kept in ${preRestoreSnapshotPath}.` : '';
      throw lockCycleError(`Restore into ${where}`, cycle, `Its transaction rolled back, so nothing was changed.${undo}`, log, RESTORE_CYCLE, UNCHANGED);
    }
    // Whatever failed before psql was sent the COMMIT (a snapshot that does not verify, a connection,
    // the pre-restore snapshot) left the transaction uncommitted: the restore knows, its maker did not.
    // Not in a preview, which changes nothing ever: there the fact stays with errors that say so.
    throw progress.commitWritten || dryRun ? err : withFacts(err, UNCHANGED);
  } finally {
    req.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Names, before anything is changed, what the restore throws away on the tables it replaces because
 * the snapshot does not have it (restore-discarded.ts), with what creates each object again.
 */
function logDiscarded(discarded: DiscardedFromTable[], preRestoreSnapshot: boolean, log: Log): void {
  if (!discarded.length) return;
  for (const t of discarded) {
    const parts = [...t.columns.map((c) => `column ${describeColumn(c)}`), ...t.objects.map((o) => `${o.kind} ${o.name}: ${log.redact(o.definition)}`)];
    log.warning(`The restore discards from ${t.table} what the snapshot does not have (added since it was taken): ${parts.join('; ')}.`);
  }
  log.warning(
    preRestoreSnapshot
      ? 'Those columns\' values and those objects are kept in the pre-restore snapshot: create them again after the restore if they are still wanted.'
      : 'pre-restore-snapshot is false: those columns\' values are not kept anywhere. Create the objects again after the restore if they are still wanted.',
  );
}

/**
 * The snapshot's source against the target, by the rule run-down-migrations uses (compareSource):
 * another database, or one of the same name on another server, is refused unless the request says
 * on purpose that it may be (fromAnotherDatabase); `confirm` names the target, not the source.
 */
function checkSource(snapshot: ServerIdentity, target: ServerIdentity, req: RestoreRequest, path: string, log: Log): { same: boolean; snapshot: ServerIdentity; target: ServerIdentity } {
  const source = compareSource(snapshot, target);
  if (source.same) {
    if (source.basis === 'host-port-database') log.warning(source.message);
    return { same: true, snapshot, target };
  }
  if (!req.fromAnotherDatabase) {
    const sameName = snapshot.database === target.database && source.basis === 'host-port-database';
    throw new RollbackKitError(
      `restore-db refuses to restore ${path} into ${describeTarget(req.target)}: ${source.message.replace(/^The snapshot/, 'the snapshot')}`,
      'If that is what you mean (a snapshot of production restored into staging, say), set from-another-database: true. ' +
        (sameName ? 'If it is this database under another host name, connect through the host and port the snapshot was taken through. ' : 'Otherwise pass a snapshot of this database. ') +
        'Nothing was changed.',
      UNCHANGED,
    );
  }
  log.warning(`${source.message} It is restored into the target all the same: from-another-database is true.`);
  return { same: false, snapshot, target };
}

/** How many rows `fewer` adds up to: what a restore discarded (rows written since its snapshot, net of those deleted since). */
export function fewerRowsCount(fewer: FewerRows[]): number {
  return fewer.reduce((sum, f) => sum + f.before - f.restored, 0);
}

/** "7 row(s) (public.orders 5, public.payments 2)": fewerRows said in one phrase, each table's share named. */
export function fewerRowsText(fewer: FewerRows[]): string {
  const each = fewer.map((f) => `${f.table} ${f.before - f.restored}`).join(', ');
  return `${fewerRowsCount(fewer)} row(s)${each ? ` (${each})` : ''}`;
}

/** Tables of the snapshot that held more rows before the restore (the pre-restore snapshot's count) than it restored. */
export function fewerRowsThanBefore(before: Pick<SnapshotManifest, 'tables'>, restored: Pick<SnapshotManifest, 'tables'>): FewerRows[] {
  const had = new Map(before.tables.map((t) => [`${t.schema}\0${t.name}`, t.rows]));
  const out: FewerRows[] = [];
  for (const t of restored.tables) {
    const was = had.get(`${t.schema}\0${t.name}`);
    // A table restored without rows (exclude-table-data) is named on its own (restoredEmpty).
    if (typeof was === 'number' && t.rows !== null && was > t.rows) out.push({ table: `${t.schema}.${t.name}`, before: was, restored: t.rows });
  }
  return out;
}

/**
 * The planning session only reads the catalogue (4,000 tables, views and functions plan in under
 * two seconds), yet each of its queries is bounded: by statement_timeout, and the wait for its
 * answer by that and a margin, so that a query that runs away or a connection that stalls ends the
 * run with nothing changed.
 */
const PLANNING_DEADLINE: QueryDeadline = { statementMs: 300_000, marginMs: 10_000 };

/**
 * A session for what the restore reads before it changes anything. A table or system catalogue
 * another session has locked (an ALTER TABLE left open, VACUUM FULL pg_depend) is waited for no
 * longer than any lock of the restore, and the error names that session.
 */
async function withPlanningSession<T>(req: RestoreRequest, where: string, log: Log, fn: (s: Session) => Promise<T>, onClose?: (gone: Promise<void>) => void): Promise<T> {
  let session: Session;
  try {
    session = await connect(req.target, { queryDeadline: PLANNING_DEADLINE, signal: req.signal });
  } catch (err) {
    onClose?.(Promise.resolve());
    throw err;
  }
  // It only reads: a stop ends a wait for a catalogue lock (up to lock-timeout) at once.
  const release = closeAtStop(session, req.signal);
  try {
    await session.query("SELECT set_config('lock_timeout', $1, false), set_config('statement_timeout', $2, false)", [
      String(lockTimeoutMs(req.lockTimeoutSeconds)),
      String(PLANNING_DEADLINE.statementMs),
    ]);
    return await fn(session);
  } catch (err) {
    const code = (err as { code?: string }).code;
    const what = `Planning the restore into ${where}`;
    // Its queries only read the catalogue: what blocks them holds an ACCESS EXCLUSIVE lock (a stuck
    // migration's ALTER TABLE, a LOCK TABLE, a VACUUM FULL of a catalogue), and most often still does.
    if (isLockTimeout(code)) throw lockTimeoutError(what, req.lockTimeoutSeconds, await lockHolders(session, 'reads'), 'Nothing was changed.', log, UNCHANGED);
    if (code === '57014') {
      throw new RollbackKitError(`${what} stopped: a query of its catalogue ran longer than ${seconds(PLANNING_DEADLINE.statementMs)} s, or was cancelled.`, 'Nothing was changed. Run again; if it happens again, report it with the number of tables and functions the database has.', UNCHANGED);
    }
    if (err instanceof QueryDeadlineExceeded) throw new RollbackKitError(`${what} stopped: ${err.message}.`, 'Nothing was changed. Check the network path to the database and run again.', UNCHANGED);
    throw err;
  } finally {
    release();
    // Told when its backend is gone, and no later than PLANNING_CLOSE_MS: a server that does not
    // answer the Terminate does not hold the restore up.
    const gone = closeSession(session);
    onClose?.(within(gone, PLANNING_CLOSE_MS, undefined));
  }
}

/** How long the lock watcher waits for the planning session's backend to go before it connects all the same. */
const PLANNING_CLOSE_MS = 2000;

/** What the epilogue's check raises: psql reports it as the reason the restore did not commit. */
const ROW_CHECK_PREFIX = 'rollback-kit: the restore does not hold the rows the snapshot holds: ';
/** The row check's failure for a table whose rows row-level security hides from the user: its count could not be trusted. */
const ROW_SECURITY_PREFIX = 'rollback-kit: row-level security hides rows of table ';

/**
 * The SQL text expression `expr` with its control characters written as escapes (a newline as `\n`,
 * others as `\x1b`), for a message rollback-kit raises that quotes names: psql prints a message as
 * it is, and its stderr is read line by line (psqlError), so a name holding a newline would end the
 * message there, and one holding "\nCONTEXT:  " could not be told from psql's own fields. One line,
 * it is read whole. Every RAISE rollback-kit writes that quotes a name goes through this. (chr(92), a backslash, whatever standard_conforming_strings the script left.)
 */
function visibleText(expr: string): string {
  const escape = "chr(92) || CASE ascii(c) WHEN 10 THEN 'n' WHEN 13 THEN 'r' WHEN 9 THEN 't' ELSE 'x' || lpad(to_hex(ascii(c)), 2, '0') END";
  return `(SELECT string_agg(CASE WHEN ascii(c) < 32 OR ascii(c) BETWEEN 127 AND 159 THEN ${escape} ELSE c END, '' ORDER BY i) FROM unnest(string_to_array(${expr}, NULL)) WITH ORDINALITY AS u(c, i))`;
}

/**
 * Tables at least this big (128 MB) are counted with the server's parallel workers, smaller ones
 * without: measured on the restore's own transaction, a 260 MB table counted in 75 ms with two
 * workers and 140 ms without, a 40 MB one in 20 ms with and 18 ms without (the workers' start).
 */
const PARALLEL_COUNT_BYTES = 128 * 1024 * 1024;

/**
 * Where the prelude keeps the tables that exist when the restore's transaction begins (as a jsonb
 * object keyed by their OIDs), a setting local to that transaction.
 */
const TABLES_BEFORE_SETTING = 'rollback_kit.tables_before_restore';

/**
 * The prelude's first statement: notes every table that exists as the restore's transaction begins,
 * so the row check can tell the tables the restore created (none of these) from those it found.
 */
export function tablesBeforeStatement(): string {
  return doBlock(
    'rk_tables_before',
    `BEGIN\n  PERFORM set_config(${quoteLiteral(TABLES_BEFORE_SETTING)}, (SELECT coalesce(jsonb_object_agg(oid::text, 1), '{}')::text FROM pg_catalog.pg_class WHERE relkind IN ('r', 'p')), true);\nEND`,
  );
}

/**
 * The epilogue's first statement: in the restore's transaction, before its COMMIT, finds how many
 * rows every table the snapshot holds rows for has, and fails the transaction, naming them, unless
 * each holds the manifest's rows, so rows that never came cannot commit.
 *
 * A table the restore created (not among those tablesBeforeStatement noted) holds exactly the rows
 * this transaction inserted into it less those it deleted: PostgreSQL counts both per table and
 * transaction (pg_stat_get_xact_tuples_inserted/_deleted, TRUNCATE resetting them), so these are read
 * instead of scanning every row again (at 307 MB, 0.13–0.28 s of the restore). Those counts are
 * taken only when they agree with the manifest; otherwise, without track_counts (no counts kept), and
 * for a table found there (not created by this restore), the rows are counted in the table itself,
 * so a table whose counts are off never fails a restore whose rows are right. The counts could agree
 * while the table holds fewer rows only if rows were inserted in a subtransaction that was rolled
 * back (their insert still counts), the table was truncated in a subtransaction still open as the
 * check runs, or rows were deleted while a superuser had turned track_counts off. pg_dump's scripts
 * do none of these and restore-db opens no subtransaction: only the database's own code that the
 * restore sets off (an event trigger, a function a CHECK constraint calls) could.
 *
 * `FROM ONLY` for manifests that counted each table's own rows; older ones counted a table with its
 * inheritance children (so those are always counted in the tables). Partitions are compared per
 * partitioned table (PostgreSQL 12 and later): a hash partition on an enum routes rows by the enum's
 * new OIDs, so rows may land in other partitions than they came from. Dynamic SQL per table keeps one
 * plan per table (a UNION ALL of thousands plans slower than it runs; batches of 50 or 200 counts per
 * statement measured no faster). The counts are kept in arrays, which PL/pgSQL appends to in place: a
 * jsonb rebuilt for every table made the check quadratic (at 1,000 small tables, 0.42 s → 0.15 s).
 * A table counted whose rows row-level security hides from the user (row_security_active) fails the
 * check: its count is only what the policies show, and could match the manifest with other rows there.
 */
export function rowCheckStatement(manifest: SnapshotManifest, serverMajor: number): string {
  const tables = manifest.tables.filter((t) => t.rows !== null);
  if (!tables.length) return '';
  const only = manifest.rowCounts === 'dumped' ? 'ONLY ' : '';
  const values = tables.map((t) => `(${quoteLiteral(t.schema)}, ${quoteLiteral(t.name)}, ${Number(t.rows)}::bigint)`).join(',\n    ');
  const whose = serverMajor >= 12 ? 'coalesce(pg_partition_root(rel), rel)::text' : 'rel::text';
  // Counts of the transaction are trusted only for manifests of each table's own rows.
  const before = only ? `CASE WHEN current_setting('track_counts') = 'on' THEN nullif(current_setting(${quoteLiteral(TABLES_BEFORE_SETTING)}, true), '')::jsonb END` : 'NULL';
  const body = [
    "DECLARE r record; rel regclass; n bigint; keys text[] := '{}'; expected bigint[] := '{}'; restored bigint[] := '{}'; bad text[];",
    "  workers text := current_setting('max_parallel_workers_per_gather');",
    `  found_before jsonb := ${before};`,
    'BEGIN',
    `  FOR r IN SELECT * FROM (VALUES\n    ${values}) AS v(s, t, rows) LOOP`,
    "    rel := format('%I.%I', r.s, r.t)::regclass;",
    '    n := NULL;',
    '    IF found_before IS NOT NULL AND NOT found_before ? rel::oid::text THEN',
    '      n := pg_stat_get_xact_tuples_inserted(rel) - pg_stat_get_xact_tuples_deleted(rel);',
    '    END IF;',
    // Counts that disagree with the manifest are not taken at their word: the table is counted.
    '    IF n IS DISTINCT FROM r.rows THEN',
    // A count the policies cut could match the manifest while the table holds other rows.
    `      IF row_security_active(rel) THEN RAISE EXCEPTION '${ROW_SECURITY_PREFIX}%', ${visibleText('rel::text')}; END IF;`,
    `      PERFORM set_config('max_parallel_workers_per_gather', CASE WHEN pg_relation_size(rel) >= ${PARALLEL_COUNT_BYTES} THEN workers ELSE '0' END, true);`,
    `      EXECUTE format('SELECT count(*) FROM ${only}%s', rel) INTO n;`,
    '    END IF;',
    `    keys := keys || ${whose};`,
    '    expected := expected || r.rows;',
    '    restored := restored || n;',
    '  END LOOP;',
    "  SELECT array_agg(format('%s (%s expected, %s restored)', x.k, x.e, x.got) ORDER BY x.k) INTO bad",
    '    FROM (SELECT u.k, sum(u.e) AS e, sum(u.got) AS got FROM unnest(keys, expected, restored) AS u(k, e, got) GROUP BY u.k) AS x WHERE x.e <> x.got;',
    `  IF bad IS NOT NULL THEN RAISE EXCEPTION '${ROW_CHECK_PREFIX}%', ${visibleText("array_to_string(bad[1:5], ', ') || CASE WHEN cardinality(bad) > 5 THEN format(' and %s more', cardinality(bad) - 5) ELSE '' END")}; END IF;`,
    'END',
  ].join('\n');
  return doBlock('rk_rows', body);
}

interface Apply {
  req: RestoreRequest;
  snapshot: string;
  manifest: SnapshotManifest;
  /**
   * Hashes the snapshot (once, on the first call) and looks at its files again (every call); rejects
   * when its bytes are not those its manifest recorded, or its files changed since before the hash:
   * then nothing may commit.
   */
  bytesChecked: () => Promise<void>;
  /** What keeps the pre-restore snapshot (an upload): nothing commits before it resolved. */
  kept: Promise<void> | undefined;
  /** Set once psql has been sent the COMMIT. */
  progress: { commitWritten: boolean };
  /** Reads a custom or directory archive; undefined for a plain script, which psql reads as it is. */
  pgRestore: PgTool | undefined;
  plan: RestorePlan;
  serverMajor: number;
  preRestoreSnapshotPath: string | undefined;
  /** Roles (quoted, latin1) whose ALTER DEFAULT PRIVILEGES statements are left out of the script. */
  notMemberOf: ReadonlySet<string>;
  /** Receives those statements. */
  leftOut: Set<string>;
  /** The schema owner statements run at the end instead of where the script has them (restore-owners.ts). */
  owners: SchemaOwners;
  /** The snapshot's schema grants, run again on the schemas given back at the end. */
  contents: Pick<SnapshotContents, 'schemaGrants'>;
}

/** What put back kept views and materialized views exactly (definition, owner, grants, comments, data): pg_dump of just them. */
async function keptViewsScript(a: Apply, env: Record<string, string>, log: Log): Promise<string> {
  if (!a.plan.keptViews.length) return '';
  const pgDump = await findPgTool('pg_dump', a.serverMajor, a.req.tools);
  const args = [`--dbname=${toolConninfo(pgDump.major)}`, '--no-password', `--lock-wait-timeout=${lockTimeoutMs(a.req.lockTimeoutSeconds)}`];
  for (const v of a.plan.keptViews) args.push('--table', exactTablePattern(v));
  // While the restore's transaction holds its tables: bounded, and ended by a stop, like psql.
  const boundMs = lockTimeoutMs(a.req.lockTimeoutSeconds) + (a.req.bounds?.keptViewsDumpMs ?? RESTORE_BOUNDS.keptViewsDumpMs);
  // Whole: a view left out of the script would not be put back.
  const dumped = await runProcess(pgDump.path, args, { env, timeoutMs: boundMs, signal: a.req.signal, wholeStdout: true });
  if (dumped.timedOut) {
    throw new RollbackKitError(`Could not save the definitions of the views restore-db keeps: pg_dump did not finish within ${seconds(boundMs)} s (a connection that stalled?), so it was ended.`, 'Nothing was changed. Check the network path to the database and run again.', UNCHANGED);
  }
  if (dumped.code !== 0) {
    throw new RollbackKitError(`Could not save the definitions of the views restore-db keeps: ${log.redact(toolErrorLine(dumped.stderr) || 'pg_dump failed')}.`, 'Nothing was changed.', UNCHANGED);
  }
  // Its own SET lock_timeout = 0 would leave the locks its views wait for unbounded.
  return filterScript(dumped.stdout, { unwrap: false, lockTimeout: lockTimeoutStatement(a.req.lockTimeoutSeconds) });
}

/** How a lock cycle's error names the restore's part in it. */
const RESTORE_CYCLE: CycleWording = { held: "the restore's transaction", waited: 'the restore', letGo: 'The restore' };

/** The lock_timeout every statement of the restore runs under. */
const lockTimeoutStatement = (seconds: number) => `SET lock_timeout = ${lockTimeoutMs(seconds)};`;

/** What the restore's processes need, all known before the plan is made. */
interface ProcessesRequest {
  req: RestoreRequest;
  snapshot: string;
  /** Reads a custom or directory archive; undefined for a plain script, which psql reads as it is. */
  pgRestore: PgTool | undefined;
  serverMajor: number;
  /** Resolves once the planning session's backend is gone: the lock watcher connects after it. */
  planningClosed: Promise<void>;
}

/**
 * The restore's processes, started while the plan is made, none of them able to change anything
 * before restore-db writes psql's script: psql, connected, waiting for its script on `input`; the
 * pg_restore writing the archive's script into `archiveOut`, which nothing reads before the script
 * is made, so it waits on a full pipe; and the one writing the data into the FIFO, which waits for
 * psql to open it (restore-data.ts).
 */
interface RestoreProcesses {
  env: Record<string, string>;
  /** The application_name of the restore's sessions (psql, the kept views' pg_dump); the pre-restore snapshot's carry their own. */
  tag: string;
  watch: BlockerWatch;
  /**
   * The sessions that waited for ours while one of ours waited for them, once the watcher has seen
   * that and ended ours (so that they went ahead); undefined until then.
   */
  cycle(): Blocker[] | undefined;
  /** How long psql's session had been gone from the server when the watcher ended psql (a stalled connection); undefined when it did not. */
  stalled(): number | undefined;
  /** The restore transaction's id (txid_current), once psql has said it: whether it committed can be asked of the server after psql's session is gone. */
  txid(): string | undefined;
  /**
   * Whether psql has printed COMMITTED: its COMMIT went through. Read from its output as it comes,
   * not from what runProcess keeps of it, which ends at 1 MB.
   */
  committed(): boolean;
  data: DataPath | undefined;
  input: PassThrough;
  applied: Promise<ProcessResult>;
  stopPsql: AbortController;
  stopRestore: AbortController;
  archiveOut: PassThrough;
  restoring: Promise<ProcessResult> | undefined;
  loading: Promise<ProcessResult> | undefined;
  /** The errors of the pg_restore with --verbose (the rest of a split archive). */
  verbose: ReturnType<typeof verboseErrors>;
  /**
   * Writes `statements` (the transaction's BEGIN and table locks) to psql and resolves true once
   * psql has run them, false when psql ended first (an error, a lock not granted).
   */
  open(statements: string[]): Promise<boolean>;
  /**
   * Ends every process that is still running (a psql that was given no script ends having run
   * nothing), removes the FIFO and stops the watcher; resolves, with the sessions last seen blocking
   * ours, once every process has exited. Once only: later calls get the same promise.
   */
  stop(): Promise<Blocker[]>;
}

/**
 * Starts psql, the lock watcher and pg_restore's reads: their start-up and connections (50–150 ms)
 * overlap the planning instead of following it. Nothing reaches the server before the script is
 * written to `input`, which only happens once the plan is made; a plan that refuses stops them.
 */
async function startRestoreProcesses(p: ProcessesRequest, log: Log): Promise<RestoreProcesses> {
  const { req } = p;
  const tag = sessionTag('restore');
  const env = { ...libpqEnv(req.target), PGAPPNAME: tag };
  const stopPsql = new AbortController();
  const stopRestore = new AbortController();
  const input = new PassThrough();
  // Ended by stop() while the script may still be piped into it.
  input.on('error', () => undefined);
  const archiveOut = new PassThrough();
  // A session that waits for a table the restore holds while one of ours waits behind it (a DROP
  // behind a reader that now wants to write) would hold every query on that table until
  // lock-timeout: the watcher ends ours at the first sight of it. (The pre-restore snapshot behind an
  // ALTER TABLE is seen by the snapshot's own watcher, which counts psql's sessions as ours.)
  // It connects once the planning session has gone, psql meanwhile: two connections at a time, so
  // that a pooler or role limited to two refuses neither (a watcher refused would watch nothing, and
  // lock_timeout would still bound every wait). No lock is waited for before then.
  let cycle: Blocker[] | undefined;
  // psql's own session, told by its pid (PSQL_PID): the kept views' pg_dump carries its name too,
  // and comes and goes.
  let psqlPid: number | undefined;
  let psqlRunning = true;
  /** When psql's backend is due: its start plus its connect timeout. */
  let psqlDueAt: number | undefined;
  let stalled: number | undefined;
  const stall: StallWatch = {
    // Until psql has said its pid, its session is the only one named so: the kept views' pg_dump
    // runs once the transaction is open, which psql says after its pid. One gone before psql could
    // say it (its upstream gone while the restore was planned) is then a stall too, not a wait for ever.
    backends: (pids) => (psqlPid === undefined ? pids : pids.filter((pid) => pid === psqlPid)),
    running: () => psqlRunning,
    dueAt: () => psqlDueAt,
    writes: true,
    afterMs: req.stallAfterMs ?? DEFAULT_STALL_MS,
    onStall: (goneMs) => {
      stalled = goneMs;
      log.warning(`psql's session has been gone from ${describeTarget(req.target)} for ${Math.round(goneMs / 1000)} s while psql still waits on its connection: ending psql.`);
      stopPsql.abort();
    },
  };
  const watching = p.planningClosed.then(() => (stopped ? notWatching() : watchBlockers(req.target, tag, log, { onCycle: (blockers) => (cycle = blockers), stall, signal: req.signal })));
  // The data goes from pg_restore to psql without passing through Node (restore-data.ts).
  const preparing = p.pgRestore ? prepareDataPath(p.pgRestore.path, p.snapshot) : Promise.resolve(undefined);
  preparing.catch(() => undefined);
  const running: Promise<ProcessResult>[] = [];
  let stopped: Promise<Blocker[]> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      stopRestore.abort();
      input.end();
      stopPsql.abort();
      // Unread, pg_restore's output would keep its stdout open and its exit unreported (runProcess).
      archiveOut.destroy();
      await Promise.all(running.map((r) => r.catch(() => undefined)));
      await (await preparing.catch(() => undefined))?.remove();
      return (await watching).stop();
    })());
  /** Told once psql has printed TRANSACTION_OPEN. */
  let opened: (() => void) | undefined;
  let txid: string | undefined;
  let committed = false;
  // Read a line at a time, none of it kept: it runs on for the whole restore, and the transaction's
  // id never comes before PostgreSQL 10.
  const markers = markerLines((line) => {
    psqlPid ??= Number(markerNumber(line, PSQL_PID)) || undefined;
    txid ??= markerNumber(line, PSQL_TXID);
    if (line === TRANSACTION_OPEN) opened?.();
    if (line === COMMITTED) committed = true;
  });
  try {
    const psql = await findPgTool('psql', Math.max(p.serverMajor, p.pgRestore?.major ?? 0), req.tools);
    psqlDueAt = Date.now() + toolConnectMs(req.target);
    const applied = runProcess(psql.path, ['-X', '--no-password', '-q', '-v', 'ON_ERROR_STOP=1', '-f', '-', '--dbname', toolConninfo(psql.major)], {
      env,
      stdin: input,
      signal: stopPsql.signal,
      // psql cancels the statement it runs (a lock wait, a COPY) and exits, so the server rolls the
      // transaction back and frees its locks now; after SIGTERM the server would go on until the
      // statement ended, holding them. One that has not ended a grace later (its cancel request
      // sent over a network that stalled) is killed (runProcess's KILL_GRACE_MS): its connection
      // then closes, and the server rolls the transaction back as soon as it sees that.
      killSignal: 'SIGINT',
      onStdout: markers.push,
    });
    void applied.finally(() => (psqlRunning = false)).catch(() => undefined);
    running.push(applied);
    const open = (statements: string[]) => {
      const isOpen = new Promise<boolean>((resolve) => {
        opened = () => {
          opened = undefined;
          resolve(true);
        };
        applied.then(() => resolve(false), () => resolve(false));
      });
      // Its session's pid first, for the stall watch: said before anything can wait.
      // And, in the transaction, its id (txid_status: PostgreSQL 10 and later).
      const txidLines = p.serverMajor >= 10 ? `SELECT txid_current() AS rk_txid \\gset\n\\echo '${PSQL_TXID}' :rk_txid\n` : '';
      input.write(`SELECT pg_backend_pid() AS rk_psql_pid \\gset\n\\echo '${PSQL_PID}' :rk_psql_pid\n${statements.join('\n')}\n${txidLines}\\echo '${TRANSACTION_OPEN}'\n`);
      return isOpen;
    };
    log.debug(`Started psql (${psql.path}) for the restore: it runs nothing until restore-db writes its script, once the restore is planned.`);
    const watch = await watching;
    let data = await preparing;
    if (data && !watch.watching) {
      // Its script sets lock_timeout = 0, and only the watcher would bound its lock waits.
      await data.remove();
      data = undefined;
    }
    // A second more than lock_timeout: elsewhere in the script lock_timeout ends a wait first.
    if (data) watch.cancelWaitsAfter(req.lockTimeoutSeconds + 1);

    let restoring: Promise<ProcessResult> | undefined;
    let loading: Promise<ProcessResult> | undefined;
    // --verbose also reports every entry on stderr ("pg_restore: creating TABLE …", a name that may
    // read "error"): its errors are kept apart, whatever the size of the rest.
    const verbose = verboseErrors();
    if (p.pgRestore) {
      const rest = data ? ['--verbose', '--use-list', data.restList] : [];
      restoring = runProcess(p.pgRestore.path, ['--single-transaction', ...(req.clean ? ['--clean', '--if-exists'] : []), ...rest, '--file', '-', p.snapshot], {
        stdout: archiveOut,
        signal: stopRestore.signal,
        onStderr: data ? verbose.add : undefined,
      });
      running.push(restoring);
    }
    if (p.pgRestore && data) {
      // Without --single-transaction: it writes no BEGIN or COMMIT of its own, and psql runs it in the restore's transaction.
      loading = runProcess(p.pgRestore.path, ['--use-list', data.dataList, '--file', data.fifo, p.snapshot], { signal: stopRestore.signal });
      running.push(loading);
      // A data read that failed ends psql at once: it may be waiting for the FIFO, and nothing can commit.
      void loading.then(
        (r) => {
          if (r.code !== 0 && !stopRestore.signal.aborted) stopPsql.abort();
        },
        () => undefined,
      );
    }
    for (const r of running) r.catch(() => undefined);
    return { env, tag, watch, cycle: () => cycle, stalled: () => stalled, txid: () => txid, committed: () => committed, data, input, applied, stopPsql, stopRestore, archiveOut, restoring, loading, verbose, open, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** psql prints this, then its session's pid, before anything else. */
const PSQL_PID = 'rollback-kit: restore session';
/** psql prints this, then the restore transaction's id, once it has begun it. */
const PSQL_TXID = 'rollback-kit: restore transaction';

/** psql prints this once the restore's transaction is open and holds its tables' locks. */
const TRANSACTION_OPEN = 'rollback-kit: restore transaction open';

/** Tables locked per statement: one LOCK names many, a few hundred keep each statement small. */
const LOCK_BATCH = 500;

/**
 * EXCLUSIVE locks on every table the restore drops and creates again (partitions go with their
 * table): no row can be written to them, or locked for update, until the restore's transaction
 * ends, while pg_dump's ACCESS SHARE, and so the pre-restore snapshot, goes on. Views, sequences
 * and materialized views hold no rows a writer adds (a view's writes land in its tables).
 */
function lockStatements(plan: Pick<RestorePlan, 'dropped'>): string[] {
  const tables = plan.dropped.filter((r) => r.relkind === 'r' || r.relkind === 'p').map((r) => qualified(r.schema, r.name));
  const out: string[] = [];
  for (let at = 0; at < tables.length; at += LOCK_BATCH) out.push(`LOCK TABLE ${tables.slice(at, at + LOCK_BATCH).join(', ')} IN EXCLUSIVE MODE;`);
  return out;
}

/**
 * Opens the restore's transaction in psql and locks the tables it replaces (lockStatements), before
 * the pre-restore snapshot is taken: a row committed before the lock is in that snapshot, and a
 * writer after it waits for the restore, so no committed row can fall between the two. Its waits are
 * bounded by lock_timeout, and watched; the session must outlive the snapshot while it waits idle in
 * its transaction, whatever idle_in_transaction_session_timeout the role has. When it fails, psql
 * has ended and nothing was changed.
 */
async function openTransaction(p: RestoreProcesses, plan: RestorePlan, req: RestoreRequest, where: string, log: Log): Promise<void> {
  const locks = lockStatements(plan);
  if (locks.length) log.info(`Locking the ${plan.dropped.filter((r) => r.relkind === 'r' || r.relkind === 'p').length} table(s) the restore replaces against writes (reads go on): writers wait until the restore ends …`);
  const statements = ['BEGIN;', lockTimeoutStatement(req.lockTimeoutSeconds), 'SET idle_in_transaction_session_timeout = 0;', 'SET client_min_messages = warning;', ...locks];
  if (await p.open(statements)) return;
  const applied = await p.applied.catch((err: unknown) => ({ code: null, signal: null, stdout: '', stderr: (err as Error).message, timedOut: false }));
  const blockers = await p.stop();
  const stalled = p.stalled();
  if (stalled !== undefined) throw restoreStalled(where, stalled, false, '');
  const error = psqlError(applied.stderr, log);
  if (isLockTimeout(error) || p.watch.cancelled()) throw lockTimeoutError(`Restore into ${where}`, req.lockTimeoutSeconds, blockers, 'Nothing was changed.', log, UNCHANGED);
  const reason = error || (applied.signal ? `psql ended by ${applied.signal}` : 'psql exited');
  throw new RollbackKitError(`Restore into ${where} failed before it changed anything: ${log.redact(reason).replace(/\.$/, '')}.`, 'Nothing was changed.', UNCHANGED);
}

/**
 * Runs the whole restore through the psql session `processes` started, in one transaction, ending
 * with the row check (rowCheckStatement) and a COMMIT written only once the snapshot's bytes are
 * known to be the manifest's. Throws (nothing changed) when it did not commit. Stops the processes
 * before it returns or throws.
 */
async function applySnapshot(a: Apply, processes: RestoreProcesses, log: Log): Promise<void> {
  const { req } = a;
  const { env, watch, data, stopPsql, restoring, loading, verbose } = processes;
  const where = describeTarget(req.target);
  const lockTimeout = lockTimeoutStatement(req.lockTimeoutSeconds);
  let views: string;
  try {
    views = await keptViewsScript(a, env, log);
  } catch (err) {
    await processes.stop();
    throw err;
  }

  const script = restoreScript({
    // openTransaction began it and set lock_timeout; the snapshot's own SET lock_timeout = 0 is
    // replaced by that one too (lockTimeout below).
    opened: true,
    prelude: [
      tablesBeforeStatement(),
      LEDGER.first,
      ...(req.inTransaction?.first ?? []),
      // Before anything is created: the snapshot's grants and revokes assume pg_dump's baseline (restore-privileges.ts).
      setAsideDefaultPrivileges('before'),
      resetSchemaPrivileges(a.manifest.filter.schemas, a.manifest.pgDump.major),
      ...(dropsFirst(req, a.manifest) ? dropStatements(a.plan) : []),
    ],
    source: a.pgRestore ? processes.archiveOut : createReadStream(a.snapshot),
    unwrap: Boolean(a.pgRestore),
    lockTimeout,
    leaveDefaultPrivilegesOf: a.notMemberOf,
    leaveSchemaOwners: new Set(a.owners.deferred.map((o) => o.statement)),
    onLeftOut: (statement) => a.leftOut.add(Buffer.from(statement, 'latin1').toString('utf8')),
    sourceDone: async () => {
      for (const read of [restoring, loading]) {
        if (!read) continue;
        const r = await read;
        if (r.code === 0) continue;
        // A file that changed is reported as changed, even when pg_restore also failed on it.
        await a.bytesChecked();
        throw corruptSnapshot(a.snapshot, toolErrorLine(read === restoring && data ? verbose.text() : r.stderr) || 'pg_restore could not read it in full');
      }
    },
    // The data's own script sets lock_timeout = 0 at its top: the restore's is set again after it.
    dataAt: data && { before: data.before, statements: [`\\i ${data.fifo}`, lockTimeout] },
    // lock_timeout once more, should a script set it some other way than pg_dump's own line.
    // The snapshot's own default privileges (end of its script) set aside too while kept views are re-created.
    // The rows are checked first, as the snapshot's script left them: before a kept partition is
    // attached, whose rows a count of its partitioned table (older manifests) would include.
    epilogue: [
      lockTimeout,
      rowCheckStatement(a.manifest, a.serverMajor),
      setAsideDefaultPrivileges('restored'),
      ...attachStatements(a.plan),
      views,
      ...foreignKeyStatements(a.plan),
      // Once everything is created in them: the snapshot's owners get their schemas back.
      ...giveBackSchemas(a.owners.deferred, a.contents.schemaGrants, a.manifest.pgDump.major),
      putBackDefaultPrivileges(),
      PROGRESS,
      LEDGER.last,
      ...(req.inTransaction?.last ?? []),
    ],
    // Throws (and so never commits) when the bytes restored are not the snapshot's, or the
    // pre-restore snapshot could not be kept.
    beforeCommit: async () => {
      await a.bytesChecked();
      await a.kept;
      a.progress.commitWritten = true;
    },
  });
  let feedError: unknown;
  script.on('error', (err) => {
    // No COMMIT was written: ending psql now makes the server roll the transaction back.
    feedError = err;
    stopPsql.abort();
  });
  // From here psql runs the restore, and the snapshot's bytes are hashed beside it.
  script.pipe(processes.input);
  void a.bytesChecked();

  let applied: ProcessResult;
  try {
    applied = await processes.applied;
  } finally {
    script.destroy();
  }
  const blockers = await processes.stop();
  // A data read that failed on its own (not ended by us) is why psql failed, whatever psql says:
  // its script stopped part way, in restricted mode or inside COPY data.
  const loaded = loading && (await loading.catch(() => undefined));
  if (loaded && loaded.code !== 0 && loaded.code !== null) {
    // A file that changed is reported as changed, even when pg_restore also failed on it.
    feedError = await a.bytesChecked().then(
      () => corruptSnapshot(a.snapshot, toolErrorLine(loaded.stderr) || 'pg_restore could not read it in full'),
      (err: unknown) => err,
    );
  }

  if (applied.code === 0 && !feedError && processes.committed()) return;
  const state = 'The restore ran in one transaction, so the database is as it was before.';
  const undo = a.preRestoreSnapshotPath ? ` The state before is also kept in ${a.preRestoreSnapshotPath}.` : '';
  const stalled = processes.stalled();
  if (stalled !== undefined) {
    // Its session is gone, and with it the transaction: the server's record of it says how it ended.
    const status = a.progress.commitWritten ? await transactionStatus(req.target, processes.txid(), log) : 'aborted';
    if (status === 'committed') {
      log.warning(`psql's connection stalled after the COMMIT (its session gone from the server for ${Math.round(stalled / 1000)} s), so psql was ended; the server records the restore's transaction as committed: the restore is done.`);
      return;
    }
    throw restoreStalled(where, stalled, status === 'aborted' ? false : a.progress.commitWritten, undo);
  }
  // psql stopped by restore-db (stop(): SIGINT) reports the cancel it sent; the reason is ours (feedError).
  // psql says "Cancel request sent" when it sends it, and nothing more when no statement was running.
  const stderr = stopPsql.signal.aborted ? applied.stderr.replace(/^Cancel request sent\n?/gm, '') : applied.stderr;
  const ownCancel = stopPsql.signal.aborted && !watch.cancelled() && (/canceling statement due to user request/.test(stderr) || !stderr.trim());
  const error = ownCancel ? '' : psqlError(stderr, log);
  // A COMMIT that failed says so (ERROR); one psql was ended during may have committed.
  if (a.progress.commitWritten && !/^(ERROR|FATAL):/m.test(applied.stderr.replace(/^psql:[^:]*:\d+:\s*/gm, ''))) {
    throw new RollbackKitError(
      `Restore into ${where} may or may not have committed: psql ${applied.signal ? `was ended by ${applied.signal}` : 'ended'} after it was sent the COMMIT, without saying whether it committed.`,
      `Check the database before anything else: if its tables hold the rows the snapshot's manifest counts, the restore committed.${undo}`,
      { changed: 'unknown' },
    );
  }
  if (error.startsWith(ROW_CHECK_PREFIX)) {
    throw new RollbackKitError(
      `Restore into ${where} was rolled back: the tables did not hold the rows the snapshot holds before the commit: ${log.redact(error.slice(ROW_CHECK_PREFIX.length)).replace(/\.$/, '')}.`,
      `${state}${undo} The snapshot and its manifest disagree: take or pick another snapshot, and report this if it repeats.`,
      UNCHANGED,
    );
  }
  if (error.startsWith(ROW_SECURITY_PREFIX)) {
    const who = quoteIdent(req.target.user);
    throw new RollbackKitError(
      `Restore into ${where} was rolled back: row-level security hides rows of table ${log.redact(error.slice(ROW_SECURITY_PREFIX.length)).replace(/\.$/, '')} from user ${who}, so whether it holds the snapshot's rows could not be checked.`,
      `${state}${undo} Let user ${who} bypass row-level security (ALTER ROLE ${who} BYPASSRLS;), or restore as a superuser, then run again.`,
      UNCHANGED,
    );
  }
  if (isLockTimeout(error) || watch.cancelled()) throw lockTimeoutError(`Restore into ${where}`, req.lockTimeoutSeconds, blockers, `${state}${undo}`, log, UNCHANGED);
  if (feedError instanceof RollbackKitError && (!error || loaded?.code)) throw new RollbackKitError(log.redact(feedError.message), `${feedError.hint ? `${feedError.hint} ` : ''}${state}${undo}`, UNCHANGED);
  const reason = error || (feedError instanceof Error ? feedError.message : '') || (applied.signal ? `psql ended by ${applied.signal}` : 'psql exited before the restore committed');
  throw new RollbackKitError(`Restore into ${where} failed: ${log.redact(reason).replace(/\.$/, '')}.`, `${state}${undo}${advice(reason, a.plan, req.target.user, dropsFirst(req, a.manifest))}`, UNCHANGED);
}

/**
 * How the restore's transaction `txid` ended, asked on a connection of its own once psql's session is
 * gone: 'committed', 'aborted', or undefined when that cannot be told (no txid, an older server, no answer).
 */
async function transactionStatus(target: ConnectionTarget, txid: string | undefined, log: Log): Promise<'committed' | 'aborted' | undefined> {
  if (txid === undefined) return undefined;
  try {
    const status = await withSession(target, async (s) => (await s.query<{ status: string | null }>('SELECT txid_status($1::bigint) AS status', [txid])).rows[0]!.status, {
      queryDeadline: { statementMs: 10_000, marginMs: 5_000 },
    });
    return status === 'committed' || status === 'aborted' ? status : undefined;
  } catch (err) {
    log.debug(`Could not ask whether the restore's transaction committed: ${(err as Error).message}`);
    return undefined;
  }
}

/**
 * psql's connection stalled (lock-wait.ts StallWatch): its session had been gone from the server for
 * `goneMs` while psql still waited on it, so psql was ended. A session that has gone has no
 * transaction left: before its COMMIT was sent, nothing of the restore was applied; after, the
 * COMMIT may have reached the server before the connection stalled.
 */
function restoreStalled(where: string, goneMs: number, commitWritten: boolean, undo: string): RollbackKitError {
  const what = `psql's connection stalled: its session had been gone from the server for ${Math.round(goneMs / 1000)} s (seen from a separate connection) while psql still waited on it, so psql was ended`;
  if (commitWritten) {
    return new RollbackKitError(
      `Restore into ${where} may or may not have committed: ${what}, after it was sent the COMMIT.`,
      `Check the database before anything else: if its tables hold the rows the snapshot's manifest counts, the restore committed.${undo} ${STALL_CAUSE} before running again.`,
      { changed: 'unknown' },
    );
  }
  return new RollbackKitError(
    `Restore into ${where} stopped: ${what}. Its transaction ended with its session, before any COMMIT was sent, so nothing of the restore was applied: the database is as it was before.`,
    `${STALL_CAUSE} and run again.${undo}`,
    UNCHANGED,
  );
}

/**
 * The pre-restore snapshot's pg_dump stalled (lock-wait.ts StallWatch) and was ended: the restore
 * stops there, before its script is sent, and its transaction (locks only) rolls back with psql.
 */
function preRestoreStalled(where: string, goneMs: number): RollbackKitError {
  return new RollbackKitError(
    `Restore into ${where} stopped before it changed anything, in its pre-restore snapshot: ${dumpStalled(goneMs)}, and what it had written was removed. Nothing of the restore was applied: the database was not changed.`,
    `${STALL_CAUSE} and run again.`,
    UNCHANGED,
  );
}

/**
 * Whether the restore drops the snapshot's objects that exist before it creates them: with clean, and
 * always for a plain script, which carries its own DROP … IF EXISTS (a DROP INDEX names no table, so
 * it would take another table's index of that name): planned and checked as clean is.
 */
function dropsFirst(req: Pick<RestoreRequest, 'clean'>, manifest: Pick<SnapshotManifest, 'format'>): boolean {
  return req.clean || manifest.format === 'plain';
}

/** What to change, for the failures whose cause is known. */
function advice(reason: string, plan: RestorePlan, user: string, clean: boolean): string {
  // Without clean the snapshot's script creates into what is there (refuseExistingWithoutClean names what it can see first).
  if (!clean && /already exists/.test(reason)) {
    return ` clean is false, so the restore does not drop the snapshot's objects before its script creates them, and one of them is already there. ${WITHOUT_CLEAN_WAY}`;
  }
  if (/violates foreign key constraint/.test(reason) && plan.keptForeignKeys.length) {
    return ' Rows of tables the snapshot does not have point at rows it does not have, so their foreign keys cannot be re-created: delete those rows (or the foreign key), then run again.';
  }
  if (/cannot drop .+ because other objects depend on it/.test(reason)) {
    return ' Objects the snapshot does not have (the DETAIL names them) use a type, function, operator or other object the snapshot re-creates, so it cannot be replaced under them. Drop those objects (or undo their migration with run-down-migrations) and run again; do not drop with CASCADE, which takes their columns and rows with it.';
  }
  if (plan.keptPartitions.length && /partition|not found in parent/i.test(reason)) {
    return ` A partition the snapshot does not have (${plan.keptPartitions.map((p) => p.partition).join(', ')}) could not be attached to the restored table. Detach it yourself (ALTER TABLE <table> DETACH PARTITION <partition>): it then stays as a table of its own with its rows, and the restore leaves it as it is. Then run again.`;
  }
  // What the restore drops and creates again, and the schemas it creates, are checked while it is
  // planned (requireRestorePrivileges); what else its script changes (a schema's comment, say) is not.
  if (/must be owner of|permission denied for/.test(reason)) {
    return ` User "${user}" may not drop or create an object of the snapshot: the restore drops what the snapshot holds and creates it again, which PostgreSQL lets only its owner (a member of the owning role, or a superuser) do. Restore as the role that owns them (the one the migrations run as), or GRANT that role TO "${user}", then run again.`;
  }
  // A transaction that touches every table needs a lock for each.
  if (!/max_locks_per_transaction|out of shared memory/i.test(reason)) return '';
  return ' A one-transaction restore holds a lock on every table, index and sequence it drops or creates: raise max_locks_per_transaction (a server setting; it takes a restart) so that max_locks_per_transaction × max_connections covers them, then run again.';
}
