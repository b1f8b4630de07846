/**
 * run-down-migrations as a library call: find the folder and its format, decide what to revert,
 * check the way back (a verified snapshot), then lock, plan against the tracking table and run.
 */
import { relative } from 'node:path';
import type { QueryResult } from 'pg';
import { within } from '../core/bounded-wait.js';
import { errorLine, RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { describeTarget, transactionPoolerRefusal, type ConnectionTarget } from '../db/connection.js';
import type { FindToolOptions } from '../db/pg-tools.js';
import { cancelQuery } from '../db/lock-wait.js';
import { closeSession, connect, standardConformingStrings, type QueryDeadline, type Session } from '../db/session.js';
import type { VerifiedSnapshot } from '../db/verify.js';
import { acquireMigrationLock, releaseMigrationLock, ROLLBACK_KIT_LOCK_KEY, tryLockSql } from './lock.js';
import { firstCodeLine, planReverts, type Plan, type RecordedSelector, type Selector } from './planner.js';
import { PLAIN_TRACKING_DDL } from './formats/plain.js';
import { readProgress } from './progress.js';
import { finishWith, howToFinish, RecordedPlan, withHowToFinish, type Unrecorded, type WorkflowRun } from './rerun.js';
import { pickFormat, resolveMigrationsDir } from './registry.js';
import { PROGRESS_TABLE } from './run-failure.js';
import { MigrationFailed, runPlan, type RevertedMigration, type StoppedIn } from './runner.js';
import { literal } from './sql-split.js';
import { LEDGER_TABLE } from './ledger.js';
import type { FormatName, MigrationFile, MigrationFormat, ToolSettings, Tracking } from './types.js';
import { requireCoverage, requireWayBack, SnapshotLacksRows, warnIfOlderThanReverted, type WayBack } from './way-back.js';

/**
 * What to revert. `recorded`: what is left of a plan made earlier (the whole rollback's, kept in its
 * ledger row), read from the tracking table and refused under a migration applied since.
 */
export type Choice = { steps: number } | { toVersion: string } | { sinceRef: string } | { recorded: Omit<RecordedSelector, 'kind'> };

export interface RevertOptions {
  target: ConnectionTarget;
  /** Where relative paths start (the workspace). */
  root: string;
  migrationsDir?: string;
  /** How messages name migrationsDir: the input (the default), or the plan file's key that gave it. */
  migrationsDirName?: string;
  format: FormatName | 'auto';
  /** The tool's own tracking-table option (dbmate --migrations-table, …), schema-qualified or not. */
  migrationsTable?: string;
  choice: Choice;
  dryRun: boolean;
  /**
   * What a dry run is for, when not for its own sake, so its log does not say "Dry run" in a real
   * run: `real-run`, the plan a real run reads before it reverts ("Plan: will revert"); `check`,
   * a look at what is applied that reverts nothing whatever the run is (a refusal's check, a drill's readiness).
   */
  preview?: 'real-run' | 'check';
  snapshotPath?: string;
  requireSnapshot: boolean;
  lockTimeoutSeconds: number;
  statementTimeoutSeconds: number;
  /** Where to look for pg_restore when verifying the snapshot (the entry point's PATH). */
  tools?: FindToolOptions;
  /** The workflow step this runs in: a re-run of it finishes the `steps` plan its first attempt recorded (rerun.ts). */
  run?: WorkflowRun;
  /** Aborted when the step is being stopped: the run stops between migrations and statements (runPlan). */
  signal?: AbortSignal;
}

export interface PlanEntry {
  version: string;
  id: string;
  file: string;
  transactional: boolean;
  statements: number;
}

export interface RevertResult {
  /** `failed` only on the partial result a RevertFailed carries: the step failed, whatever ran before. */
  status: 'reverted' | 'nothing-to-do' | 'dry-run' | 'failed';
  format: FormatName;
  /** host:port/db; never a secret. */
  target: string;
  /** The verified snapshot this run could go back to; undefined for dry runs and require-snapshot: false. */
  snapshot?: WayBack;
  dir: string;
  plan: PlanEntry[];
  reverted: RevertedMigration[];
  /** Still applied after the run, newest first. */
  stillApplied: { version: string; name: string }[];
  /** On a failure's partial result: the migration the run stopped in (still applied), and how far it got. */
  stoppedIn?: StoppedIn;
  /** The newest migration the plan keeps, when it reverts only newer ones: the `to-version` that finishes it. */
  keepVersion?: string;
  durationMs: number;
}

/** A failure after some migrations were reverted: carries what was done, for the outputs and summary. */
export class RevertFailed extends RollbackKitError {
  constructor(
    /** The failure itself, without what was reverted before it: for a caller that says more of why (a lost lock). */
    readonly failure: RollbackKitError,
    readonly partial: RevertResult,
  ) {
    // A stop stays a stop (the callers report it as one); what changed is the partial result's to say.
    super(partial.reverted.length ? `${failure.message} Reverted before the failure: ${partial.reverted.map((r) => r.file).join(', ')}.` : failure.message, failure.hint, failure.stopped ? { stopped: true } : {});
  }
}

const APPLICATION_NAME = 'rollback-kit run-down-migrations';

/**
 * How long reading the folder waits for the connection's startup to be on its way (connect's
 * onAsked): a few milliseconds on any network that answers, so a server that does not answer at
 * all delays the folder's own errors (and the snapshot's verification) by no more than this.
 */
const ASK_WAIT_MS = 100;

/**
 * How long after a stop a down statement may still wait for a lock, or a transactional migration
 * still run: well inside a stopped step's 5 s grace (core/action.ts).
 */
const STOP_CANCEL_MS = 2000;

function planEntries(plan: Plan): PlanEntry[] {
  return plan.toRevert.map((m) => ({ version: m.file.version, id: m.file.id, file: m.file.downFile ?? m.file.name, transactional: m.transactional, statements: m.statements.length }));
}

/** The line before a dry run's plan: a real run's own plan is no dry run, and a check reverts nothing. */
function planWords(preview: RevertOptions['preview'], count: number, where: string): string {
  if (preview === 'real-run') return `Plan: will revert ${count} migration(s) on ${where}, in this order:`;
  if (preview === 'check') return `Checked, nothing reverted here: ${count} selected migration(s) are applied on ${where}, in the order a revert would run them:`;
  return `Dry run: would revert ${count} migration(s) on ${where}, in this order:`;
}

function printPlan(plan: Plan, log: Log): void {
  for (const [n, m] of plan.toRevert.entries()) {
    log.info(`${n + 1}. ${m.file.downFile ?? m.file.name} (version ${m.file.version}, ${m.statements.length} statement(s)${m.transactional ? '' : ', non-transactional'})`);
    for (const s of m.statements.slice(0, 3)) log.info(`     ${log.excerpt(firstCodeLine(s.text), 120)}`);
    if (m.statements.length > 3) log.info(`     … ${m.statements.length - 3} more`);
  }
}

async function requireVerifiedSnapshot(opts: RevertOptions, log: Log): Promise<VerifiedSnapshot | undefined> {
  if (!opts.requireSnapshot) {
    log.warning('require-snapshot is false: reverting without a verified snapshot to go back to.');
    return undefined;
  }
  if (!opts.snapshotPath) {
    throw new RollbackKitError(
      'run-down-migrations refuses to change the database without a verified snapshot: snapshot-path is empty.',
      'Take one with the snapshot-db action first and pass its path output as snapshot-path (or set require-snapshot: false to go without).',
    );
  }
  // Loaded here, not with the bundle: the archive reader and the child processes it brings (zlib,
  // child_process, readline) are start-up a dry run or require-snapshot: false never uses.
  const { verifySnapshot } = await import('../db/verify.js');
  return verifySnapshot(opts.snapshotPath, log, { ...opts.tools });
}

/** The search_path the tool's own session has, set as the tool's connection sets it: for the whole session. */
async function applySearchPath(session: Session, searchPath: string | undefined): Promise<void> {
  if (searchPath === undefined) return;
  try {
    await session.query("SELECT set_config('search_path', $1, false)", [searchPath]);
  } catch (err) {
    throw new RollbackKitError(`The search_path in database-url ("${searchPath}") is not one PostgreSQL accepts: ${(err as Error).message}.`, 'Give it as the tool reads it: comma-separated schema names.');
  }
}

/** The run's own session settings: numbers we computed and a constant, nothing from outside. */
function runSettings(opts: RevertOptions): string[] {
  // A rollback must not queue production behind its locks for long, nor run unbounded.
  // 0 would mean "wait forever" to PostgreSQL; here it means "do not wait".
  const settings = [`SET lock_timeout = ${Math.max(1, Math.round(opts.lockTimeoutSeconds * 1000))}`, `SET statement_timeout = ${Math.round(opts.statementTimeoutSeconds * 1000)}`];
  if (!opts.target.params.application_name) settings.push(`SET application_name = '${APPLICATION_NAME}'`);
  return settings;
}

/** Room above statement_timeout for an answer to come back over a slow network. */
const ANSWER_MARGIN_MS = 5_000;

/**
 * The client-side bound on a query's answer, for a connection that stalls without closing (the
 * server answers every statement within statement_timeout, so past that and the margin the answer
 * is not coming). None when statement-timeout-seconds is 0: statements may then run for ever.
 */
function queryDeadline(opts: RevertOptions): QueryDeadline | undefined {
  const statementMs = Math.round(opts.statementTimeoutSeconds * 1000);
  return statementMs > 0 ? { statementMs, marginMs: ANSWER_MARGIN_MS } : undefined;
}

/** What the run learns in the round trip that takes the migration lock. */
interface LockAndTables {
  /** Whether the lock asked for was granted; true when none was asked for (a dry run takes none). */
  locked: boolean;
  /** Whether the tracking table exists: without it, nothing was ever applied there with the tool. */
  trackingTable: boolean;
  /** Whether rollback_kit.down_progress exists, where earlier runs would have left their progress. */
  progressTable: boolean;
  /** Whether the ledger (rollback_kit.rollbacks) exists, where an earlier run of this step would have recorded its plan (rerun.ts). */
  ledgerTable: boolean;
  /** The session's server process, whose lock wait a stop may end from another connection. */
  pid: number;
}

/**
 * `first` (the run's settings), the lock's first try (`key`; none for a dry run) and which of the
 * tables the run reads exist, as one query: one round trip where each took its own. PostgreSQL
 * runs them in order, so the tables are looked up once the lock is granted.
 */
async function lockAndFindTables(session: Session, tracking: Tracking, first: string[], key: string | undefined): Promise<LockAndTables> {
  // Our tables looked up in the catalogue: to_regclass fails on a schema this role may not use (another
  // role made rollback_kit). The ledger is for the record only: one it may not use is read as none, and
  // its write then warns (rerun.ts record). Progress is not: one there is read, and its refusal named.
  const tables = `SELECT to_regclass(${literal(tracking.relation)}) IS NOT NULL AS tracking, ${ownTable(PROGRESS_TABLE)} AS progress, ${ownTable(LEDGER_TABLE, "AND has_schema_privilege(n.oid, 'USAGE')")} AS ledger, pg_backend_pid() AS pid`;
  const statements = [...first, ...(key ? [tryLockSql(key)] : []), tables];
  const answer: QueryResult | QueryResult[] = await session.query(statements.join(';\n'));
  // One result per statement; a query of one statement gets just that one.
  const results = Array.isArray(answer) ? answer : [answer];
  const found = results.at(-1)!.rows[0] as { tracking: boolean; progress: boolean; ledger: boolean; pid: number };
  return { locked: key ? results.at(-2)!.rows[0]?.locked === true : true, trackingTable: found.tracking, progressTable: found.progress, ledgerTable: found.ledger, pid: found.pid };
}

/** Whether rollback_kit's `name` (schema.table) is in the catalogue, and `and`; no lookup by name that fails on a schema this role may not use. */
function ownTable(name: string, and = ''): string {
  const [schema, table] = name.split('.') as [string, string];
  return `EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ${literal(schema)} AND c.relname = ${literal(table)} ${and})`;
}

async function readAppliedIds(session: Session, format: MigrationFormat, tracking: Tracking, files: MigrationFile[], target: string, state: LockAndTables): Promise<string[]> {
  if (!state.trackingTable) {
    throw new RollbackKitError(
      `The ${format.name} tracking table ${tracking.table} does not exist in ${target}: nothing was ever applied there with ${format.name}.`,
      format.name === 'plain'
        ? `Check database-url. The plain format reads the table your deploy fills: ${PLAIN_TRACKING_DDL.replace(/\s+/g, ' ')}`
        : `Check database-url (its search_path and other parameters, as the tool reads them), migrations-dir, format, and migrations-table if the tool is told another table.`,
    );
  }
  const ids = tracking.appliedIds((await session.query(tracking.appliedSql)).rows, files);
  const dirty = await tracking.dirtyVersion?.(session);
  if (dirty === undefined) return ids;
  // A dirty version we can resume is one of ours: a non-transactional step that stopped midway.
  const progress = await readProgress(session, tracking.table, state.progressTable);
  const resumable = files.find((f, i) => progress.has(f.id) && (i > 0 ? files[i - 1]!.id : '-1') === dirty);
  if (!resumable) {
    throw new RollbackKitError(
      `${tracking.table} is dirty at version ${dirty}: a migration stopped midway, so the schema may be half changed.`,
      `Check the schema by hand and finish or undo that migration, then run \`migrate force <version>\` (golang-migrate refuses to run until then too), and re-run.`,
    );
  }
  return [...ids, resumable.id];
}

/** The folder, its format and files, and the way back, made sure of before anything changes. */
interface Prepared {
  dir: string;
  format: MigrationFormat;
  files: MigrationFile[];
  settings: ToolSettings;
  added?: Set<string>;
  verified?: VerifiedSnapshot;
}

async function prepare(opts: RevertOptions, log: Log, asked: Promise<unknown>): Promise<Prepared> {
  const dir = resolveMigrationsDir(opts.root, opts.migrationsDir, opts.format, opts.migrationsDirName);
  // Reading the folder holds the event loop: the connection's startup goes out first, so that the
  // server starts the session (a new backend, its authentication) while the files are read.
  await asked;
  const format = await pickFormat(dir, opts.format);
  const files = await format.load(dir);
  if (files.length === 0) {
    throw new RollbackKitError(`The migrations folder ${dir} holds no ${format.name} migrations.`, 'Check migrations-dir and format.');
  }
  log.info(`Migrations: ${files.length} ${format.name} migration(s) in ${dir}.`);
  for (const warning of format.layoutWarnings?.(dir, files) ?? []) log.warning(warning);
  const settings = format.settings({ params: opts.target.params, migrationsTable: opts.migrationsTable });
  // git runs only for since-ref: loaded then, as the snapshot's verification is.
  const added = 'sinceRef' in opts.choice ? await (await import('./git-added.js')).filesAddedSince(dir, opts.choice.sinceRef) : undefined;
  const verified = opts.dryRun ? undefined : await requireVerifiedSnapshot(opts, log);
  return { dir, format, files, settings, added, verified };
}

export async function revertMigrations(opts: RevertOptions, log: Log): Promise<RevertResult> {
  const started = Date.now();
  const where = describeTarget(opts.target);
  const pooler = transactionPoolerRefusal(opts.target, 'the migration lock and the session timeouts');
  if (pooler) throw pooler;
  // Opened while the folder is read and the snapshot verified: the server's start of a backend
  // overlaps that work. Nothing is sent on it before they are done.
  let askedNow!: () => void;
  const asked = new Promise<void>((resolve) => (askedNow = resolve));
  const opening = connect(opts.target, { queryDeadline: queryDeadline(opts), signal: opts.signal, onAsked: () => askedNow() });
  // Its failure is thrown where it is awaited, after any of the folder's: never unhandled meanwhile.
  opening.catch(() => undefined);
  let prepared: Prepared;
  let session: Session;
  try {
    // A server that does not answer the connection at all must not hold the folder's errors back.
    prepared = await prepare(opts, log, within(asked, ASK_WAIT_MS, undefined));
    session = await opening;
  } catch (err) {
    // A session that opens after all is closed at once.
    void opening.then(closeSession, () => undefined);
    throw err;
  }
  const { dir, format, files, settings, added, verified } = prepared;
  const result: RevertResult = { status: 'reverted', format: format.name, target: where, dir, plan: [], reverted: [], stillApplied: [], durationMs: 0 };
  let lockKey: string | undefined;
  let applied: MigrationFile[] = [];
  const steps = 'steps' in opts.choice ? opts.choice.steps : undefined;
  let recorded: RecordedPlan | undefined;
  let unrecorded: Unrecorded | undefined;
  try {
    if (verified) result.snapshot = await requireWayBack(session, opts.target, verified, log);
    // The search_path first and apart, so a bad one gets its own message; the tracking table may depend on it.
    await applySearchPath(session, settings.searchPath);
    const table = await settings.trackingTable(session);
    const tracking = format.tracking(table);
    log.info(`Tracking table ${tracking.table}${settings.searchPath === undefined ? '' : `, search_path ${settings.searchPath}`}.`);
    const key = opts.dryRun ? undefined : ((await tracking.lockKey(session)) ?? ROLLBACK_KIT_LOCK_KEY);
    let state = await lockAndFindTables(session, tracking, runSettings(opts), key);
    if (!state.locked) {
      await acquireMigrationLock(session, key!, opts.lockTimeoutSeconds, log, `${format.name}, ${tracking.table}`, undefined, opts.signal);
      // The tables again, as they are once the lock is ours.
      state = await lockAndFindTables(session, tracking, [], undefined);
    }
    lockKey = key;
    const appliedIds = await readAppliedIds(session, format, tracking, files, where, state);
    const asked: Selector =
      'steps' in opts.choice
        ? { kind: 'steps', steps: opts.choice.steps }
        : 'toVersion' in opts.choice
          ? { kind: 'to-version', version: opts.choice.toVersion }
          : 'recorded' in opts.choice
            ? { kind: 'recorded', ...opts.choice.recorded }
            : { kind: 'since-ref', ref: opts.choice.sinceRef, added: added! };
    recorded = opts.run && asked.kind === 'steps' ? await RecordedPlan.read(session, opts.run, tracking.table, state.ledgerTable) : undefined;
    const selector = recorded?.selector(asked, log) ?? asked;
    const ownDown = format.ownDownCommand && ((count: number) => format.ownDownCommand!(count, relative(opts.root, dir) || '.', table));
    // The value each migration starts from: the runner's RESET ALL brings the session back to it.
    const plan = planReverts(format, files, appliedIds, selector, { table: tracking.table, ownDown, log, standardConformingStrings: await standardConformingStrings(session) });
    applied = plan.applied;
    result.plan = planEntries(plan);
    result.keepVersion = plan.keep?.version;
    if (plan.toRevert.length === 0) {
      log.info(`Nothing to do: none of the selected migrations is applied on ${where}.`);
      result.status = 'nothing-to-do';
      if (!opts.dryRun) await recorded?.update(session, [], true, log);
    } else if (opts.dryRun) {
      log.info(planWords(opts.preview, plan.toRevert.length, where));
      printPlan(plan, log);
      result.status = 'dry-run';
    } else {
      if (result.snapshot) {
        // Under the migration lock, before the plan is recorded or anything reverted: a snapshot that
        // predates tables holding rows now is refused here, with nothing changed.
        // What an earlier attempt of this step reverted (its plan, less what is still applied): its down SQL ran after the snapshot too.
        const earlier = recorded?.earlier?.planned.filter((v) => !plan.applied.some((m) => m.version === v)) ?? [];
        await requireCoverage(session, verified!, result.snapshot, log, earlier);
        await warnIfOlderThanReverted(session, tracking, plan.toRevert.map((m) => m.file), result.snapshot, log);
      }
      // Written before the first statement: a re-run must find the plan even if this run dies.
      await recorded?.record(session, plan, log);
      // Nothing recorded a `steps` plan: the same steps again would count from what is still applied.
      if (steps !== undefined && !recorded?.recorded) unrecorded = { keep: plan.keep?.version, planned: plan.toRevert.length };
      log.info(`Reverting ${plan.toRevert.length} migration(s) on ${where}, newest first.`);
      // A stop while a migration runs: one that ends soon commits (or fails) as it would anyway. One
      // still going STOP_CANCEL_MS later is cancelled, rather than running on past the step's grace
      // time, after which its state would read "not known":
      // - a transactional migration, whatever its statement does (waits for a lock, sleeps, updates):
      //   its down SQL and its bookkeeping roll back together, so it fails as cancelled and is still
      //   applied, exactly as the error says (run-failure.ts). A cancel that lands after its COMMIT
      //   finds the next query (the plan's row, the lock's release: both best effort) or nothing.
      // - a non-transactional one only while its statement waits for a lock, as it does before it
      //   changes anything. Once running it is left to finish: each statement runs on its own, and
      //   those that make a migration non-transactional (CREATE/DROP INDEX CONCURRENTLY, a procedure
      //   that commits) commit part of their work as they go, which a cancel would leave behind
      //   unrecorded (progress.ts records a statement only once it completed): a re-run would run it
      //   again over that half. The run stops before its next statement with its progress recorded.
      //   A CONCURRENTLY index statement's lock waits come after its first commit too: CREATE INDEX
      //   CONCURRENTLY and REINDEX CONCURRENTLY have committed their invalid index by the time they
      //   wait for older transactions to end, DROP INDEX CONCURRENTLY has marked its index invalid.
      //   Those waits are cancelled all the same, rather than let run to the end of the grace: they
      //   last as long as the oldest transaction in the database, which is no one's to bound, and
      //   past the grace the step would end saying the state is not known while the statement may
      //   still finish on the server, unrecorded. Cancelled, its state is known: the runner reads
      //   the invalid index it left and the error names it with the DROP INDEX CONCURRENTLY that
      //   clears it (invalid-indexes.ts), within the grace. The cost is that the build starts over.
      // The migration in flight is the first of the plan not reverted yet; the backend's pid came with
      // the lock's round trip: the session is busy with the migration by then.
      const pid = state.pid;
      let ending: NodeJS.Timeout | undefined;
      const cancelOnStop = () => {
        ending = setTimeout(() => {
          const inFlight = plan.toRevert[result.reverted.length];
          void cancelQuery(opts.target, pid, log, { onlyLockWait: !inFlight?.transactional });
        }, STOP_CANCEL_MS).unref();
      };
      opts.signal?.addEventListener('abort', cancelOnStop, { once: true });
      await runPlan(plan.toRevert, {
        session,
        tracking,
        applied,
        log,
        target: where,
        // Each migration starts from these: the search_path as applySearchPath set it, which accepted it.
        sessionSettings: [...runSettings(opts), ...(settings.searchPath === undefined ? [] : [`SELECT set_config('search_path', ${literal(settings.searchPath)}, false)`])],
        progressTable: state.progressTable,
        onReverted: (r) => result.reverted.push(r),
        signal: opts.signal,
        unrecorded,
      }).finally(() => {
        opts.signal?.removeEventListener('abort', cancelOnStop);
        clearTimeout(ending);
      });
      await recorded?.update(session, result.reverted.map((r) => r.version), true, log);
      const reverted = new Set(plan.toRevert.map((m) => m.file.id));
      const still = plan.applied.filter((f) => !reverted.has(f.id));
      log.info(`Reverted ${plan.toRevert.length} migration(s); ${still.length} still applied${still.length ? `, the newest ${still.at(-1)!.name}` : ''}.`);
    }
  } catch (err) {
    // Once there is a plan, migrations may have committed: every failure from here on carries what
    // was done, whatever threw it.
    if (result.plan.length > 0) {
      // Never "reverted" for a run that failed: a later `if: always()` step reads this status.
      result.status = 'failed';
      if (err instanceof MigrationFailed) result.stoppedIn = err.stoppedIn;
      const cause = err instanceof RollbackKitError ? err : unexpected(err, log, finishWith(unrecorded, result.reverted.length, result.stoppedIn?.unsure === true));
      if (!opts.dryRun) await recorded?.update(session, result.reverted.map((r) => r.version), false, log);
      // `steps` again would count from what is left: say what finishes this plan.
      // A migration whose commit may have landed counts as one that went.
      const partway = steps !== undefined && (result.reverted.length > 0 || result.stoppedIn?.unsure === true || recorded?.earlier !== undefined);
      // A re-run has the same inputs: with a snapshot that lacks rows it is refused again, so it finishes nothing.
      const rerunFinishes = recorded?.recorded === true && !(err instanceof SnapshotLacksRows);
      const how = partway ? howToFinish(steps, result.keepVersion, result.plan.length - result.reverted.length, rerunFinishes) : undefined;
      throw new RevertFailed(how ? withHowToFinish(cause, how) : cause, finish(result, applied, started));
    }
    throw err;
  } finally {
    if (lockKey) await releaseMigrationLock(session, lockKey);
    closeSession(session);
  }
  return finish(result, applied, started);
}

/**
 * An error that is not one of ours (a bug, or a failure nothing above turned into a message) after
 * planning: the run may have changed the database, so it is said where the state is read. Its stack
 * stays in the debug log, as the entry point keeps it for errors it does not know.
 */
function unexpected(err: unknown, log: Log, again: string | undefined): RollbackKitError {
  if (err instanceof Error && err.stack) log.debug(err.stack);
  return new RollbackKitError(
    errorLine(err),
    `The migrations reverted before it are listed here; the tracking table and rollback_kit.down_progress say where the database is now, and ${again ? `a new run with ${again}` : 'a re-run'} continues from there.`,
  );
}

function finish(result: RevertResult, applied: MigrationFile[], started: number): RevertResult {
  const gone = new Set(result.reverted.map((r) => r.id));
  result.stillApplied = applied
    .filter((f) => !gone.has(f.id))
    .reverse()
    .map((f) => ({ version: f.version, name: f.name }));
  result.durationMs = Date.now() - started;
  return result;
}
