/**
 * What a whole rollback already did to a database, in the ledger (migrations/ledger.ts) under the
 * incident's key.
 *
 * The first run writes its plan (the versions to revert) down before reverting anything; every
 * later run for the same incident finishes that plan the way a GitHub re-run of
 * run-down-migrations finishes its own (rerun.ts): it reads from the migration tool's tracking
 * table what is left of the plan, and refuses, running nothing, when a migration was applied above
 * it since. The row's `reverted` is never trusted: a run killed between a migration's commit and
 * the row's update leaves it behind. The whole-rollback lock (an advisory lock of its own: the
 * migration runner takes the migration lock in its own session) is held from before the snapshot to
 * the end of the database change, so a second concurrent run waits, holding no table lock, and
 * then finds the row finished (or, for another incident's run, the plan reverted) before it dumps.
 */
import { within } from '../core/bounded-wait.js';
import { RollbackKitError, type ErrorFacts } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { stopName } from '../core/stop-signals.js';
import { RevertFailed, type Choice } from '../migrations/revert.js';
import { describeTarget, type ConnectionTarget } from '../db/connection.js';
import { isLockTimeout, lockHolders, lockTimeoutError, lockTimeoutMs } from '../db/lock-wait.js';
import { closeAtStop, closeSession, connect, QueryDeadlineExceeded, seconds, type QueryDeadline, type Session } from '../db/session.js';
import { isClosed, ledgerWritableSql, readLedgerRows, supersedeSql, writeLedger, type LedgerRow } from '../migrations/ledger.js';
import { INSUFFICIENT_PRIVILEGE, writableRefusal } from '../migrations/own-tables.js';
import { acquireMigrationLock, holdsLock, releaseMigrationLock, ROLLBACK_KIT_LOCK_KEY } from '../migrations/lock.js';
import { literal } from '../migrations/sql-split.js';

/** One more than the migration lock's key: the two are held at the same time by different sessions. */
export const ROLLBACK_LOCK_KEY = (BigInt(ROLLBACK_KIT_LOCK_KEY) + 1n).toString();

export const DOWN_MIGRATIONS = 'down-migrations';

/**
 * Every query of the lock's session gets its answer within this, or the connection is closed: a
 * network that drops silently must not hold a rollback past its budget. Its queries are small.
 */
const LOCK_SESSION_DEADLINE: QueryDeadline = { statementMs: 30_000, marginMs: 5_000 };

/**
 * A session of its own holding the whole-rollback lock: one whole rollback of a database at a time.
 * Waits up to `timeoutSeconds` for another one to finish (the log names who holds the lock; so does
 * the error when it is not granted in time). Release it with unlockRollback.
 */
export async function lockRollback(target: ConnectionTarget, timeoutSeconds: number, log: Log, signal?: AbortSignal): Promise<Session> {
  const session = await connect(target, { queryDeadline: LOCK_SESSION_DEADLINE, signal });
  try {
    await acquireMigrationLock(session, ROLLBACK_LOCK_KEY, timeoutSeconds, log, 'another rollback of this database is running', { lock: 'the whole-rollback lock', holder: 'Another run' }, signal);
    return session;
  } catch (err) {
    closeSession(session);
    throw err;
  }
}

/**
 * The plan's read of the ledger: before the whole-rollback lock, so nothing else bounds it. A session
 * holding rollback_kit.rollbacks (an ACCESS EXCLUSIVE lock: a VACUUM FULL, an ALTER TABLE left open)
 * would otherwise hold the plan forever, and a connection that stalls would too. Its query waits for
 * a lock no longer than lock-timeout-seconds, runs no longer than LEDGER_READ_DEADLINE, and its answer
 * is waited for no longer than that and a margin.
 */
const LEDGER_READ_DEADLINE: QueryDeadline = { statementMs: 30_000, marginMs: 5_000 };

/**
 * The plan's ledger read. `refused`: a dry run's finding that the real run would be refused, for a
 * ledger this role could not write (the refusal, with the GRANT or ALTER it names); the rows are
 * then those it may read, or none when it may not read them either (`unread`).
 */
interface AtPlan {
  rows: LedgerRow[];
  refused?: string;
  unread?: true;
}

/** Options of the plan's read: `dryRun` makes a ledger this role could not write a finding (AtPlan.refused), not a refusal. */
export interface AtPlanOptions {
  signal?: AbortSignal;
  dryRun?: boolean;
}

async function readLedgerAtPlan(target: ConnectionTarget, incidentKeys: string[], lockTimeoutSeconds: number, log: Log, opts: AtPlanOptions = {}): Promise<AtPlan> {
  const deadline = LEDGER_READ_DEADLINE;
  const session = await connect(target, { queryDeadline: deadline, signal: opts.signal });
  const what = `Reading the rollback ledger (rollback_kit.rollbacks) of ${describeTarget(target)} to plan`;
  // It only reads: a stop ends a wait for the table (up to lock-timeout) at once.
  const release = closeAtStop(session, opts.signal);
  try {
    // The run writes its row later, after it may have rolled the app back: a ledger it could not
    // write then is refused now, with nothing changed (catalogue reads only, no lock on the table).
    try {
      return { rows: await readLedgerBounded(session, incidentKeys, lockTimeoutSeconds, log, what, deadline, ledgerWritableSql()) };
    } catch (err) {
      // A dry run writes nothing: it plans on with what the role may read, and says what the real run would meet.
      if (!opts.dryRun || opts.signal?.aborted || !WRITE_REFUSALS.has(err as object)) throw err;
      const refused = (err as Error).message;
      try {
        return { rows: await readLedgerBounded(session, incidentKeys, lockTimeoutSeconds, log, what, deadline), refused };
      } catch (unreadable) {
        // Only what the role may not read: anything else (a lock held past lock-timeout) is the read's own error.
        if (opts.signal?.aborted || (unreadable as { code?: string }).code !== INSUFFICIENT_PRIVILEGE) throw unreadable;
        return { rows: [], refused, unread: true };
      }
    }
  } catch (err) {
    if (!opts.signal?.aborted) throw err;
    throw new RollbackKitError(`${what} was stopped (${stopName(opts.signal)}): nothing was changed.`, 'Run it again when it can run to its end.', { changed: 'no', stopped: true });
  } finally {
    release();
    closeSession(session);
  }
}

/**
 * The ledger read again under the whole-rollback lock, on the lock's session, before the snapshot
 * (a run beside this one may have finished the work meanwhile). Bounded as the plan's read is: a
 * session that took rollback_kit.rollbacks after the plan read it (ACCESS EXCLUSIVE) ends the run
 * at lock-timeout-seconds, named, rather than at the lock session's deadline as a lost connection
 * (and the lock with it).
 */
async function readLedgerUnderLock(session: Session, target: ConnectionTarget, incidentKeys: string[], lockTimeoutSeconds: number, log: Log): Promise<LedgerRow[]> {
  return readLedgerBounded(session, incidentKeys, lockTimeoutSeconds, log, `Reading the rollback ledger (rollback_kit.rollbacks) of ${describeTarget(target)} under the whole-rollback lock`, LOCK_SESSION_DEADLINE);
}

/** The incident key as an earlier version spelled it (rollback.ts legacyIncidentKey), and whether its closed rows are this incident's. */
export interface LegacyKey {
  key: string;
  closedRows: boolean;
  /**
   * The key as it may be said, when `key` holds a secret (a from URL's user name and password or a
   * secret parameter): each part's ref hidden on its own (rollback.ts legacyIncidentKey), never the
   * joined key, where a ref's end and the next part's `name@` read as one URL's userinfo.
   */
  shown?: string;
}

/**
 * The row at plan under the incident's key or, when none is there, under `legacyKey`: the spelling
 * an earlier version gave the same incident (rollback.ts legacyIncidentKey). A run after an upgrade
 * must finish the plan its predecessor wrote down, not plan afresh and revert more. A closed row
 * there is taken only when `legacy.closedRows`: a spelling every incident on a service shared (a
 * Render or Fly service URL) names earlier incidents' finished rows too, and the incident under way
 * is not done because one of them is. The row comes
 * back under `incidentKey`, as whatIsLeft's move (readLedgerUnderLockOrLegacy) leaves it: the
 * legacy spelling may hold a URL's password, and is never said. `underLegacy`: found only there;
 * `rowKey`: the key the row has until then, for the DELETE a refusal gives (deleteRowSql) and nothing else.
 */
export async function readLedgerAtPlanOrLegacy(
  target: ConnectionTarget,
  incidentKey: string,
  legacy: LegacyKey | undefined,
  lockTimeoutSeconds: number,
  log: Log,
  opts: AtPlanOptions = {},
): Promise<{ row?: LedgerRow; underLegacy: boolean; rowKey: RowKey; refused?: string; unread?: true }> {
  const { rows, refused, unread } = await readLedgerAtPlan(target, keysOf(incidentKey, legacy), lockTimeoutSeconds, log, opts);
  const found = { ...incidentRow(rows, incidentKey, legacy), ...(refused ? { refused } : {}), ...(unread ? { unread } : {}) };
  if (!found.underLegacy || !legacy) return { ...found, rowKey: incidentKey };
  log.info(`Incident ${incidentKey}: its row in rollback_kit.rollbacks was written by an earlier version of rollback-kit, under an earlier spelling of the key; this run takes it up, and renames it to this key under the whole-rollback lock.`);
  return { ...found, rowKey: legacy };
}

/** The keys this incident's row may be under: its own, and its earlier spelling. */
function keysOf(incidentKey: string, legacy: LegacyKey | undefined): string[] {
  return legacy ? [incidentKey, legacy.key] : [incidentKey];
}

/**
 * This incident's row among those read under keysOf: the one under its key or, when none is there,
 * the one under the earlier spelling when it is this incident's to take up (a closed one only with
 * `legacy.closedRows`), as under `incidentKey`. `underLegacy`: found only there.
 */
function incidentRow(rows: LedgerRow[], incidentKey: string, legacy: LegacyKey | undefined): { row?: LedgerRow; underLegacy: boolean } {
  const row = rows.find((r) => r.incidentKey === incidentKey);
  if (row || !legacy) return { row, underLegacy: false };
  const old = rows.find((r) => r.incidentKey === legacy.key);
  if (!old || (isClosed(old) && !legacy.closedRows)) return { underLegacy: false };
  return { row: { ...old, incidentKey }, underLegacy: true };
}

/**
 * As readLedgerUnderLock, and a row found only under `legacyKey` (see readLedgerAtPlanOrLegacy) is
 * renamed to `incidentKey` first, in a bounded transaction of its own on the lock's session: every
 * later write, read, hint (DELETE … WHERE incident_key) and supersede then names the one key, and
 * the legacy spelling (with any secret it held) leaves the table.
 */
export async function readLedgerUnderLockOrLegacy(session: Session, target: ConnectionTarget, incidentKey: string, legacy: LegacyKey | undefined, lockTimeoutSeconds: number, log: Log): Promise<LedgerRow | undefined> {
  const { row, underLegacy } = incidentRow(await readLedgerUnderLock(session, target, keysOf(incidentKey, legacy), lockTimeoutSeconds, log), incidentKey, legacy);
  if (!underLegacy || !legacy) return row;
  const bounds: LedgerBounds = { lockTimeoutSeconds, deadline: LOCK_SESSION_DEADLINE, what: `Renaming this incident's row of the rollback ledger (rollback_kit.rollbacks) of ${describeTarget(target)} from the key's earlier spelling`, log, left: NOTHING_CHANGED };
  try {
    await session.query(`BEGIN; ${localBounds(bounds)}`);
    // Bound parameters: the legacy spelling is never part of a statement's text.
    await session.query('UPDATE rollback_kit.rollbacks SET incident_key = $1, updated_at = now() WHERE incident_key = $2', [incidentKey, legacy.key]);
    await session.query('COMMIT');
  } catch (err) {
    if (err instanceof QueryDeadlineExceeded) throw new LockSessionUnanswered(`${bounds.what} stopped: ${err.message}, and the whole-rollback lock held on it went with it.`, 'Nothing was changed. Check the network path to the database and run again.', { changed: 'no' });
    await session.query('ROLLBACK').catch(() => undefined);
    throw await boundsError(session, bounds, err);
  }
  log.info(`Incident ${incidentKey}: its row in rollback_kit.rollbacks, written under an earlier spelling of the key, now has this key.`);
  return row;
}

/** What a ledger query that stops has left behind, for its error: nothing changed, unless told. */
export interface LedgerLeft {
  state: string;
  facts: ErrorFacts;
}

const NOTHING_CHANGED: LedgerLeft = { state: 'Nothing was changed.', facts: { changed: 'no' } };

/**
 * A ledger write on the whole-rollback lock's session that got no answer: its connection was closed
 * at the session's deadline, and the lock with it. It keeps the code of a lost connection
 * (QueryDeadlineExceeded's ETIMEDOUT), so that callers that read a lost connection as the lock lost
 * (the 'done' write after the revert) still do; its words say what happened instead of
 * "Unexpected error".
 */
export class LockSessionUnanswered extends RollbackKitError {
  readonly code = 'ETIMEDOUT';
}

/**
 * What is left when a 'started' write (nothing changed yet, NOTHING_CHANGED) got no answer: its
 * bytes may have reached the server, so the row may have been written, which is only bookkeeping.
 */
const STARTED_UNANSWERED =
  "Nothing was reverted or restored; this incident's row in rollback_kit.rollbacks may already say started, as for a run that stopped before its first change, and a later run for this incident takes it up from there.";

/**
 * The ledger row written on the whole-rollback lock's session, bounded as its reads are: a session
 * holding rollback_kit.rollbacks (taken during the snapshot, say) ends the write at
 * lock-timeout-seconds, named, instead of at the lock session's deadline as a lost connection. The
 * bounds are SET LOCAL in the write's own query, one implicit transaction: they end with it, and a
 * write that fails leaves no transaction open for the lock's checks that share the session. An
 * answer that never comes ends as a LockSessionUnanswered: the connection, and the lock with it, is
 * then gone, which is what the callers make of a lost connection.
 */
export async function writeLedgerUnderLock(session: Session, target: ConnectionTarget, row: LedgerRow, lockTimeoutSeconds: number, log: Log, left = NOTHING_CHANGED): Promise<void> {
  const bounds: LedgerBounds = { lockTimeoutSeconds, deadline: LOCK_SESSION_DEADLINE, what: `Writing this incident's row of the rollback ledger (rollback_kit.rollbacks) of ${describeTarget(target)}`, log, left };
  try {
    await writeLedger(session, row, { before: localBounds(bounds), log });
  } catch (err) {
    if (err instanceof QueryDeadlineExceeded) {
      const state = left === NOTHING_CHANGED ? STARTED_UNANSWERED : left.state;
      throw new LockSessionUnanswered(
        `${bounds.what} stopped: ${err.message}, and the whole-rollback lock held on it went with it.`,
        `${state} Check the network path to the database (a proxy, NAT or firewall that stops forwarding a connection), then run again.`,
        left.facts,
      );
    }
    throw await boundsError(session, bounds, err);
  }
}

/**
 * After this incident's 'done' write, on the whole-rollback lock's session: the rows of earlier
 * incidents' down-migration plans that runs left 'started' when they stopped, and that this run's
 * revert finished (none of their migrations is among `applied` any more), are marked superseded
 * (migrations/ledger.ts supersedeSql): a new workflow run is a new incident key, and nothing else
 * would ever close them. Returns their keys. Bookkeeping only, bounded as the other ledger queries
 * are: a failure is a warning, and the rows stay as they were.
 */
export async function supersedeUnderLock(session: Session, target: ConnectionTarget, incidentKey: string, applied: string[], lockTimeoutSeconds: number, log: Log): Promise<string[]> {
  const bounds: LedgerBounds = { lockTimeoutSeconds, deadline: LOCK_SESSION_DEADLINE, what: `Closing earlier incidents' unfinished rows of the rollback ledger (rollback_kit.rollbacks) of ${describeTarget(target)}`, log, left: NOTHING_CHANGED };
  try {
    await session.query(`BEGIN; ${localBounds(bounds)}`);
    const { rows } = await session.query<{ incident_key: string }>(supersedeSql(incidentKey, DOWN_MIGRATIONS, { applied, returning: true }));
    await session.query('COMMIT');
    const keys = rows.map((r) => r.incident_key).sort();
    if (keys.length) log.info(`The rollback ledger's rows of ${keys.map((k) => `incident ${k}`).join(', ')} said started, from runs that stopped before finishing; this run reverted what was left of their plans, so they are marked superseded (by incident ${incidentKey}), not in progress.`);
    return keys;
  } catch (err) {
    if (!(err instanceof QueryDeadlineExceeded)) await session.query('ROLLBACK').catch(() => undefined);
    const named = err instanceof QueryDeadlineExceeded ? undefined : await boundsError(session, bounds, err);
    const said = named instanceof RollbackKitError ? named.message : `${bounds.what} stopped: ${err instanceof Error ? err.message : String(err)}.`;
    log.warning(`${said} Those rows still say started; a later run for each finds nothing left of its plan.`);
    return [];
  }
}

/**
 * The ledger rows under `incidentKeys`, read with their waits bounded (LedgerBounds); an answer that
 * never comes ends it too, nothing changed. `check`: a read-only statement sent with the BEGIN (no
 * round trip of its own) whose refusal (own-tables.ts writableRefusal) ends the read before it starts.
 */
async function readLedgerBounded(session: Session, incidentKeys: string[], lockTimeoutSeconds: number, log: Log, what: string, deadline: QueryDeadline, check?: string): Promise<LedgerRow[]> {
  const bounds: LedgerBounds = { lockTimeoutSeconds, deadline, what, log, left: NOTHING_CHANGED };
  try {
    // A read-only transaction of its own: SET LOCAL ends with it, so on the lock's session it bounds
    // these two queries only, never the session's advisory lock or the writes it makes later.
    // The check goes first, with BEGIN (no round trip of its own): the read fails, unexplained, on a
    // schema this role may not use, which the check refuses with the GRANT to run.
    await session.query(`BEGIN READ ONLY; ${localBounds(bounds)}${check ? `;\n${check}` : ''}`);
    const rows = await readLedgerRows(session, incidentKeys);
    await session.query('COMMIT');
    return rows;
  } catch (err) {
    if (err instanceof QueryDeadlineExceeded) throw new RollbackKitError(`${what} stopped: ${err.message}.`, 'Nothing was changed. Check the network path to the database and run again.', { changed: 'no' });
    // Out of the failed transaction first: the holders are asked on the same session.
    await session.query('ROLLBACK').catch(() => undefined);
    const refusal = writableRefusal(err);
    if (check && refusal !== err && refusal instanceof Error) WRITE_REFUSALS.add(refusal);
    throw await boundsError(session, bounds, refusal);
  }
}

/** The check's refusals (readLedgerBounded's `check`), told from the read's own errors: a dry run goes on past them. */
const WRITE_REFUSALS = new WeakSet<object>();

interface LedgerBounds {
  lockTimeoutSeconds: number;
  deadline: QueryDeadline;
  /** What the query does, as its errors begin. */
  what: string;
  log: Log;
  left: LedgerLeft;
}

/** The transaction's bounds on a ledger query's waits. Numbers, inlined: no round trip of their own. */
function localBounds(bounds: LedgerBounds): string {
  return `SET LOCAL lock_timeout = ${lockTimeoutMs(bounds.lockTimeoutSeconds)}; SET LOCAL statement_timeout = ${bounds.deadline.statementMs}`;
}

/** A bound that ended a ledger query, as what it is: a lock wait named (who holds the table, what to do), a runaway query; anything else as it came. */
async function boundsError(session: Session, bounds: LedgerBounds, err: unknown): Promise<unknown> {
  const { lockTimeoutSeconds, deadline, what, log, left } = bounds;
  const code = (err as { code?: string }).code;
  if (isLockTimeout(code)) return lockTimeoutError(what, lockTimeoutSeconds, await lockHolders(session, { relation: 'rollback_kit.rollbacks' }), left.state, log, left.facts);
  if (code === '57014') return new RollbackKitError(`${what} stopped: its query ran longer than ${seconds(deadline.statementMs)} s.`, `${left.state} Check what keeps the server that busy, then run again.`, left.facts);
  return err;
}

/**
 * Before the database changes: the lock's session sat idle through the snapshot, and a session that
 * ended meanwhile (an idle timeout, a pooler, the network) took the lock with it, so another
 * rollback of this database could be under way.
 */
export async function requireRollbackLock(session: Session): Promise<void> {
  if (await holdsLock(session, ROLLBACK_LOCK_KEY)) return;
  throw new RollbackKitError(
    'The whole-rollback lock was lost before the database was changed (its session ended: an idle timeout, a pooler or the network), so another rollback of this database could be under way: nothing was changed.',
    'Check that no other rollback of this database is running (its job, or pg_stat_activity), then re-run.',
    { changed: 'no' },
  );
}

/** While the migrations run: whether the lock is still held, asked on the lock's own session (not the migrations'). */
const LOCK_CHECK_MS = 10_000;

/** The whole-rollback lock, watched while the database changes (watchRollbackLock). */
export interface RollbackLockWatch {
  /** Aborted at a stop (`stop` given to watchRollbackLock) or once the lock is lost: the revert ends between migrations. */
  readonly signal: AbortSignal;
  /** Whether the lock was lost. */
  lost(): boolean;
  /** Stops watching (before the lock is released, which ends its session). */
  dispose(): void;
}

/**
 * Watches the whole-rollback lock's session while the migrations run on their own: requireRollbackLock
 * checked it just before, but a session that ends during the revert (an idle timeout, a pooler, the
 * network, pg_terminate_backend) takes the lock with it, and another rollback of this database could
 * start. The session's end is heard at once (pg's 'end', also when its query deadline closes it); a
 * connection that stalls silently is found by a check every LOCK_CHECK_MS on that session (within its
 * deadline): no round trip on the migrations' session. Either aborts `signal`, so the revert stops
 * before its next migration; the one running ends as a stop leaves it (revert.ts).
 */
export function watchRollbackLock(session: Session, stop: AbortSignal | undefined, checkMs = LOCK_CHECK_MS): RollbackLockWatch {
  const controller = new AbortController();
  let lost = false;
  let disposed = false;
  const onLost = () => {
    if (disposed || lost) return;
    lost = true;
    controller.abort(new Error('the whole-rollback lock was lost'));
  };
  const onStop = () => controller.abort(stop!.reason);
  if (stop?.aborted) onStop();
  else stop?.addEventListener('abort', onStop, { once: true });
  session.on('end', onLost);
  const timer = setInterval(() => {
    void holdsLock(session, ROLLBACK_LOCK_KEY).then((held) => held || onLost());
  }, checkMs).unref();
  return {
    signal: controller.signal,
    lost: () => lost,
    dispose() {
      disposed = true;
      clearInterval(timer);
      session.off('end', onLost);
      stop?.removeEventListener('abort', onStop);
    },
  };
}

/** The lock was lost as the plan's last migration ran: the database change is done, the ledger row could not say so. */
export const LOCK_LOST_AFTER_PLAN =
  'The whole-rollback lock was lost as the last migration of the plan was reverted (its session ended: an idle timeout, a pooler, the network, or someone ended it), so another rollback of this database could be under way. ' +
  "The plan was finished all the same (the tracking table shows it reverted); this incident's row in rollback_kit.rollbacks still says started, and a later run for it finds nothing left to do.";

const LOST_WHILE_REVERTING =
  'The whole-rollback lock was lost while the migrations were reverted (its session ended: an idle timeout, a pooler, the network, or someone ended it), so another rollback of this database could be under way; this run stopped there';
const LOST_HINT = 'Check that no other rollback of this database is running (its job, or pg_stat_activity); then re-run: it reverts what the tracking table shows is left of the plan.';

/**
 * The revert's error once the lock was lost during it: why it stopped, before what it says it did
 * (which migrations were reverted, which are still applied). A RevertFailed stays one, with its partial result.
 */
export function lockLostWhileReverting(err: unknown): RollbackKitError {
  if (err instanceof RevertFailed) return new RevertFailed(new RollbackKitError(`${LOST_WHILE_REVERTING}: ${err.failure.message}`, LOST_HINT), err.partial);
  const said = err instanceof Error ? err.message : String(err);
  return new RollbackKitError(`${LOST_WHILE_REVERTING}: ${said}`, LOST_HINT);
}

/**
 * How long the release waits for the lock session's backend to go: on a path that stalls as the
 * session ends, the server's close never comes back, and the run's end must not wait for it.
 */
const LOCK_CLOSE_MS = 2000;

/**
 * Releases the lock (bounded by the session's deadline), then ends its session, waiting for its
 * backend to go no longer than LOCK_CLOSE_MS (a session lock would die with it anyway).
 */
export async function unlockRollback(session: Session): Promise<void> {
  await releaseMigrationLock(session, ROLLBACK_LOCK_KEY);
  await within(closeSession(session), LOCK_CLOSE_MS, undefined);
}

/** A plan of down migrations: the versions, newest first, and what it keeps above its oldest. */
export interface DownPlan {
  planned: string[];
  kept: string[];
  /** Every version applied when the plan was made (empty for a row an earlier version wrote): what came since is another deploy's. */
  applied: string[];
  /** What an earlier run reverted of it, as its row says (it may be behind, never ahead): one applied again since is refused. */
  reverted?: string[];
  /** The newest migration it keeps, when it reverts only newer ones (for the record). */
  keepVersion?: string;
  /**
   * A plan an earlier run wrote down: the snapshot that run (the incident's first) took before the
   * rollback began, as its row recorded it, or undefined where the row does not say (written by an
   * earlier version, or into a table without the column). Absent from a fresh plan.
   */
  earlierRun?: { snapshot?: RecordedSnapshot };
}

/** Where the incident's first snapshot is kept (record.ts FirstSnapshotRecord without what a run adds). */
export interface RecordedSnapshot {
  path: string;
  sha256?: string;
  artifact?: string;
  /** The workflow run it was uploaded in: a re-run in a later attempt, or a new run under the same incident, is told where to download it. */
  runUrl?: string;
  /** 'yes': not uploaded, in that job's RUNNER_TEMP, which GitHub deleted with the job (record.ts SnapshotRecord.deletedWithJob). */
  deletedWithJob?: string;
}

const SNAPSHOT_FIELDS = ['path', 'sha256', 'artifact', 'runUrl', 'deletedWithJob'] as const;

/** The row's first_snapshot column (migrations/ledger.ts LedgerRow.firstSnapshot): `key=value` elements, so a field added later is read by name. */
export function firstSnapshotColumn(snap: RecordedSnapshot): string[] {
  return SNAPSHOT_FIELDS.flatMap((k) => (snap[k] ? [`${k}=${snap[k]}`] : []));
}

/** The first snapshot a row recorded, or undefined (no column, an empty one, or no path in it). */
export function firstSnapshotOf(row: Pick<LedgerRow, 'firstSnapshot'> | undefined): RecordedSnapshot | undefined {
  const fields = new Map((row?.firstSnapshot ?? []).map((e) => [e.slice(0, Math.max(0, e.indexOf('='))), e.slice(e.indexOf('=') + 1)] as const));
  const path = fields.get('path');
  if (!path) return undefined;
  const snap: RecordedSnapshot = { path };
  for (const k of SNAPSHOT_FIELDS) if (k !== 'path' && fields.get(k)) snap[k] = fields.get(k);
  return snap;
}

/** The plan an earlier run for this incident wrote down and did not finish, which this run finishes. */
export function unfinishedPlan(row: LedgerRow | undefined): DownPlan | undefined {
  if (!row || row.method !== DOWN_MIGRATIONS || isClosed(row) || row.planned.length === 0) return undefined;
  return { planned: row.planned, kept: row.kept ?? [], applied: row.applied ?? [], reverted: row.reverted, keepVersion: row.keepVersion, earlierRun: { snapshot: firstSnapshotOf(row) } };
}

/**
 * A fresh plan as the dry run found it: `plan` the versions it reverts (newest first),
 * `applied` every applied version, newest first (a dry run's stillApplied).
 */
export function freshPlan(plan: string[], applied: string[], keepVersion: string | undefined): DownPlan {
  const oldest = plan.length ? applied.indexOf(plan.at(-1)!) : 0;
  return { planned: plan, kept: applied.slice(0, Math.max(0, oldest)).filter((v) => !plan.includes(v)), applied, keepVersion };
}

/**
 * What to revert: what is left of `plan`, as the tracking table says, refused under anything
 * applied above it since. `rowKey`: the key the incident's row has, for the DELETE its refusal
 * gives (deleteRowSql).
 */
export function finishChoice(incidentKey: string, plan: DownPlan, rowKey: RowKey = incidentKey): Choice {
  return {
    recorded: {
      planned: plan.planned,
      kept: plan.kept,
      appliedAtPlan: plan.applied,
      reverted: plan.reverted,
      origin: {
        who: `The whole rollback for incident ${incidentKey}`,
        hint:
          'Check what the migrations applied since need. To finish the plan, revert them first (run-down-migrations with to-version, or the tool\'s own down) and re-run; ' +
          `to plan afresh from what is applied now, delete the incident's row first (${deleteRowSql(rowKey)}) and re-run.`,
      },
    },
  };
}

/** The key an incident's row has: this version's (said as it is), or the earlier spelling it was found under. */
export type RowKey = string | LegacyKey;

/**
 * The DELETE that clears an incident's row, for a hint, under the key the row has: before the
 * whole-rollback lock renames it (readLedgerUnderLockOrLegacy), a row found under the key's earlier
 * spelling still has that one (readLedgerAtPlanOrLegacy). That spelling may have kept a from URL's
 * userinfo and secret parameters, which are never said: such a key is shown without them
 * (LegacyKey.shown), and the words say to write them back. Any other key is said exactly.
 */
export function deleteRowSql(rowKey: RowKey): string {
  const key = typeof rowKey === 'string' ? rowKey : rowKey.key;
  const shown = typeof rowKey === 'string' ? undefined : rowKey.shown;
  const sql = `DELETE FROM rollback_kit.rollbacks WHERE incident_key = ${literal(shown ?? key)}`;
  return shown === undefined ? sql : `${sql}, with each URL in the key written as in the from you gave, its user name, password and secret parameters included: an earlier version of rollback-kit wrote the row under that spelling, and they are not shown here`;
}

/**
 * The plan's migrations that are reverted, in the order they run: those not among `applied`, read
 * from the tracking table (a run's stillApplied, or what a dry run found left of the plan).
 */
export function revertedOfPlan(planned: string[], applied: { version: string }[]): string[] {
  const still = new Set(applied.map((m) => m.version));
  return planned.filter((v) => !still.has(v));
}
