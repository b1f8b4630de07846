/**
 * What a failure inside one migration of a plan means: where it came (a statement, the
 * bookkeeping, the record of a completed statement, the check of an earlier run's progress), what
 * of the migration committed, and what the on-call user does next, in words and as the partial
 * result the step reports.
 */
import { RollbackKitError, type ErrorFacts } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { stopSignalName } from '../core/stop-signals.js';
import { dropSql, FIND_INVALID_SQL, IndexInTheWay, type LeftIndexes } from './invalid-indexes.js';
import { firstCodeLine, type PlannedMigration, type PlannedStatement } from './planner.js';
import { statementHash, type Progress } from './progress.js';
import { runAgain } from './rerun.js';
import { lineAt, literal } from './sql-split.js';
import type { Tracking } from './types.js';

export interface PgError {
  code?: string;
  message?: string;
  position?: string;
  detail?: string;
  hint?: string;
}

/** The connection went away (terminated, network): PostgreSQL has rolled back whatever transaction was open. */
export function isConnectionLoss(err: unknown): boolean {
  const e = err as PgError;
  if (e?.code && /^(57P0[1-3]|08\d{3}|ECONNRESET|EPIPE|ETIMEDOUT)$/.test(e.code)) return true;
  return !e?.code && /connection (terminated|ended)|not queryable|Client has encountered a connection error/i.test(e?.message ?? '');
}

/**
 * Where in a migration a failure came: a statement or bookkeeping (`run`), the write recording a
 * non-transactional statement that completed as done (`record`), or the check of an earlier run's
 * progress, before anything of the migration ran (`prepare`).
 */
export type Stage = 'run' | 'record' | 'prepare';

export class StatementFailed extends Error {
  /** How many times the migration was tried (lock timeouts and deadlocks are retried). */
  attempts = 1;
  /** A CONCURRENTLY index statement's: the invalid indexes it left, or that were in its way (invalid-indexes.ts). */
  leftIndexes?: LeftIndexes;

  constructor(
    readonly statement: PlannedStatement | undefined,
    readonly index: number,
    readonly error: unknown,
    readonly stage: Stage = 'run',
  ) {
    super((error as Error)?.message ?? String(error));
  }
}

/** The migration a run stopped in, and how much of it is done: what a failure's partial result carries. */
export interface StoppedIn {
  version: string;
  id: string;
  file: string;
  transactional: boolean;
  statements: number;
  /**
   * Statements known to have run and committed: a non-transactional migration's, in this run or
   * an earlier one; for a transactional one, those an earlier run did before it became transactional.
   */
  ran: number;
  /** The statement (1-based) a re-run starts at: those before it are recorded as done. One past the last: only the bookkeeping is left. */
  resumeAt: number;
  /** More may have committed than `ran` says (or, for a transactional one, the whole migration): the connection went mid-query. */
  unsure: boolean;
  /** The state in words, as the error gives it: what committed, and how a re-run goes on. */
  state: string;
}

/** A failure inside one migration of the plan, with how far that migration got. */
export class MigrationFailed extends RollbackKitError {
  constructor(
    message: string,
    hint: string,
    readonly stoppedIn: StoppedIn,
    facts: ErrorFacts = {},
  ) {
    super(message, hint, facts);
  }
}

/** PostgreSQL's message with its code and detail, or the driver's. */
export function describeError(error: unknown): string {
  const err = error as PgError;
  return `${err?.message ?? String(error)}${err?.code && !/^E[A-Z]/.test(err.code) ? ` [${err.code}]` : ''}${err?.detail ? ` (${err.detail})` : ''}`;
}

/** The statement named by its first line, redacted before it is cut (log.excerpt): no secret's prefix survives the cut. */
function where(m: PlannedMigration, f: StatementFailed, err: PgError, table: string, log: Pick<Log, 'excerpt'>): string {
  const file = m.file.downFile ?? m.file.name;
  const s = f.statement;
  if (!s) return f.index < 0 ? file : `${file} (bookkeeping in ${table})`;
  const pos = Number(err.position);
  const line = Number.isInteger(pos) && pos > 0 ? s.textLine + lineAt(s.text, pos - 1) - 1 : s.line;
  return statementAt(m, s, log, line);
}

function statementAt(m: PlannedMigration, s: PlannedStatement, log: Pick<Log, 'excerpt'>, line = s.line): string {
  return `${m.file.downFile ?? m.file.name} line ${line}, statement "${log.excerpt(firstCodeLine(s.text), 100)}"`;
}

function statementsUpTo(n: number): string {
  return n === 1 ? 'statement 1' : `statements 1 to ${n}`;
}

export const PROGRESS_TABLE = 'rollback_kit.down_progress';

/**
 * What one failure says, before the hints every kind shares. Its hint and `then` take `again`: the
 * selector a new run needs to finish the plan (rerun.ts finishWith), or undefined where a re-run does.
 */
interface Account {
  head: string;
  state: string;
  hint: (again: string | undefined) => string;
  /** Said after whichever hint: what the re-run will do that the user may need to prepare for. */
  then?: (again: string | undefined) => string;
  ran: number;
  resumeAt: number;
  unsure: boolean;
}

interface Facts {
  m: PlannedMigration;
  f: StatementFailed;
  /** The statements an earlier run did, which this one did not run again. */
  skipped: number;
  /** The progress that earlier run recorded. */
  saved: Progress | undefined;
  tracking: Tracking;
  target: string;
  log: Log;
  lost: boolean;
  pgMessage: string;
  /** What the tracking table says of a non-transactional migration until it is done. */
  marked: string;
}

const reachable = (again: string | undefined) => `Check the database is up and reachable, then ${runAgain('re-run', again)}: the run continues from this migration.`;

/** The check of an earlier run's progress failed: a read, so nothing of the migration changed. */
function beforeFirstStatement({ m, saved, tracking, target, lost, pgMessage }: Facts): Account {
  const check = `checking the progress an earlier run recorded for it against ${tracking.table}`;
  const ran = saved?.done.length ?? 0;
  return {
    head: lost
      ? `Lost the connection to ${target} while reverting ${m.file.name}, before its first statement (${check}): ${pgMessage}.`
      : `Reverting ${m.file.name} failed before its first statement, ${check}: ${pgMessage}.`,
    state: `Nothing of it ran in this run: ${tracking.table} and ${PROGRESS_TABLE} are as the earlier run left them (${ran} of ${m.statements.length} statement(s) recorded as done), and the re-run checks that record again and goes on from it.`,
    hint: (again) => (lost ? reachable(again) : `Fix what blocks that read (PostgreSQL's message above) and ${runAgain('re-run', again)}: the run continues from this migration.`),
    ran,
    resumeAt: ran + 1,
    unsure: false,
  };
}

/** A non-transactional statement completed and committed, and the write recording it as done failed. */
function recordFailed({ m, f, tracking, target, log, lost, pgMessage, marked }: Facts): Account {
  const i = f.index;
  const n = m.statements.length;
  const record = `UPDATE ${PROGRESS_TABLE} SET done = done || ${literal(statementHash(f.statement!.text))}::text WHERE tracking = ${literal(tracking.table)} AND migration = ${literal(m.file.id)} AND cardinality(done) = ${i}`;
  return {
    head: `${lost ? `Lost the connection to ${target} while reverting` : 'Reverting'} ${m.file.name}: statement ${i + 1} of ${n} ran (${statementAt(m, f.statement!, log)}), but recording it as done in ${PROGRESS_TABLE} failed: ${pgMessage}.`,
    state:
      `It runs statement by statement (non-transactional): ${statementsUpTo(i + 1)} of ${n} ran and cannot be rolled back, but ${PROGRESS_TABLE} records ${i} of them` +
      `${lost ? ` (${i + 1}, if the write landed before the connection went)` : ''}; ${tracking.table} ${marked}. ` +
      `The re-run starts at statement ${i + 1} and runs it again${lost ? ` (at statement ${i + 2}, if the write landed)` : ''}.`,
    hint: (again) => (lost ? reachable(again) : `Fix what stopped the write (PostgreSQL's message above), then ${runAgain('re-run', again)}: the run continues from this migration.`),
    // The guarded UPDATE does nothing where the write did land.
    then: (again) => ` Running statement ${i + 1} again is harmless when it is written to be repeated (IF EXISTS); if it is not, record it as done before the ${again ? 'new run' : 're-run'}: ${record};`,
    ran: i + 1,
    resumeAt: i + 1,
    unsure: lost,
  };
}

/** A statement, or the bookkeeping around the statements, failed. */
function statementFailed({ m, f, skipped, tracking, target, log, lost, pgMessage, marked }: Facts): Account {
  const at = where(m, f, f.error as PgError, tracking.table, log);
  const head = lost ? `Lost the connection to ${target} while reverting ${m.file.name} at ${at}: ${pgMessage}.` : `Reverting ${m.file.name} failed at ${at}: ${pgMessage}.`;
  // A re-run (Re-run jobs) checks out the commit the run started from: a fixed file reaches only a new run.
  const hint = (again: string | undefined) =>
    lost
      ? reachable(again)
      : `If the down SQL is wrong, fix it in ${m.file.name}, push the fix and ${runAgain('start a new run', again)}: Re-run jobs checks out the same commit and would run the same SQL again. If something else blocks it (PostgreSQL's message above), fix that and ${runAgain('re-run', again)}: the run continues from this migration.`;
  if (m.transactional) {
    let state: string;
    if (lost) {
      // A COMMIT in flight when the connection died may or may not have landed; either way the down
      // SQL and its bookkeeping landed together or not at all.
      state = `It may or may not have committed: its down SQL and its bookkeeping in ${tracking.table} commit together, so the database is consistent either way; the re-run reads ${tracking.table} and continues.`;
    } else if (skipped > 0) {
      state = `Its transaction was rolled back: ${m.file.name} is still applied in ${tracking.table}, and only its first ${skipped} statement(s), which ran in an earlier run, are done (recorded in ${PROGRESS_TABLE}).`;
    } else {
      state = `Its transaction was rolled back: ${m.file.name} is still applied and unchanged in the schema and in ${tracking.table}.`;
    }
    return { head, state, hint, ran: skipped, resumeAt: skipped + 1, unsure: lost };
  }
  const ran = Math.max(skipped, f.index);
  let state = `It runs statement by statement (non-transactional): ${ran} of ${m.statements.length} statement(s) ran and are recorded in ${PROGRESS_TABLE}; ${tracking.table} ${marked}.`;
  if (lost) {
    const uncertain = f.statement ? `statement ${f.index + 1} may or may not have completed` : 'its bookkeeping may or may not have committed';
    state += ` With the connection gone, ${uncertain}; the re-run reads ${tracking.table} and ${PROGRESS_TABLE} and continues.`;
  }
  return { head, state, hint, ran, resumeAt: ran + 1, unsure: lost };
}

/** What the tracking table says of a non-transactional migration until all its statements have run. */
export function markedUntilDone(tracking: Tracking): string {
  return tracking.startSql ? 'is marked dirty until all have run' : 'still lists it as applied until all have run';
}

/**
 * The migration's state and what to do, for a failure at `f`. `skipped`: the statements an earlier
 * run did, which this one did not run again; `saved`: the progress that run recorded; `stop`: the
 * run's stop signal; `finish`: the selector a new run finishes the plan with, given whether this
 * migration may have committed (rerun.ts finishWith), undefined where running it again does.
 */
export function failure(
  m: PlannedMigration,
  f: StatementFailed,
  skipped: number,
  saved: Progress | undefined,
  tracking: Tracking,
  target: string,
  log: Log,
  stop?: AbortSignal,
  finish: (unsure: boolean) => string | undefined = () => undefined,
): MigrationFailed {
  const code = (f.error as PgError).code;
  // Cancelled after the run's own stop (revert.ts cancels what still runs): a stop, not a fault to fix.
  const ours = stop?.aborted === true && code === '57014' && f.stage === 'run' && !/statement timeout/.test(describeError(f.error));
  const facts: Facts = {
    m,
    f,
    skipped,
    saved,
    tracking,
    target,
    log,
    lost: isConnectionLoss(f.error),
    pgMessage: describeError(f.error),
    marked: markedUntilDone(tracking),
  };
  const account = f.stage === 'prepare' ? beforeFirstStatement(facts) : f.stage === 'record' ? recordFailed(facts) : statementFailed(facts);
  const again = finish(account.unsure);
  let hint = account.hint(again);
  const tried = f.attempts > 1 ? ` (tried ${f.attempts} times)` : '';
  if (ours) hint = `The stop cancelled it, not a fault: ${runAgain('run it again', again)} when it can run to its end; it continues from this migration.`;
  else if (code === '55P03') hint = `A table lock was not granted within lock-timeout-seconds${tried}: a long transaction or query holds it (see pg_stat_activity). ${runAgain('Re-run', again)} when it is gone, or raise lock-timeout-seconds.`;
  else if (code === '40P01') hint = `It deadlocked with another session${tried}. ${runAgain('Re-run', again)} when traffic on those tables is lower.`;
  // 57014 after the run's own stop is `ours` above; otherwise another session cancelled it: no timeout to raise either.
  else if (code === '57014' && f.stage === 'run' && /statement timeout/.test(describeError(f.error))) {
    hint = `The statement ran longer than statement-timeout-seconds. Raise it if the statement is expected to take that long, then ${runAgain('re-run', again)}.`;
  } else if (code === '57014' && f.stage === 'run') hint = `The statement was cancelled by another session (pg_cancel_backend): a stop of this step says so itself. ${runAgain('Run it again', again)} when it can run to its end.`;
  const left = f.leftIndexes && leftIndexesAccount(f, f.leftIndexes, again);
  if (left) hint = left.hint(hint);
  const { ran, resumeAt, unsure } = account;
  const state = `${account.state}${left?.state ?? ''}`;
  const stoppedIn: StoppedIn = { version: m.file.version, id: m.file.id, file: m.file.downFile ?? m.file.name, transactional: m.transactional, statements: m.statements.length, ran, resumeAt, unsure, state };
  const by = stopSignalName(stop);
  const head = ours ? `Stopped${by ? ` (${by})` : ''} while reverting ${m.file.name}${f.statement ? `, at ${where(m, f, f.error as PgError, tracking.table, log)}` : ''}: the stop cancelled it.` : account.head;
  return new MigrationFailed(`${head} ${state}`, `${hint}${account.then?.(again) ?? ''}`, stoppedIn, ours ? { stopped: true } : {});
}

const list = (names: string[]) => `${names.length === 1 ? 'index' : 'indexes'} ${names.join(', ')}`;

/**
 * What the invalid indexes a CONCURRENTLY index statement left (or found in its way) mean: said in
 * the state, and the exact statements that clear them put before the hint, since the re-run would
 * fail on them or, with IF NOT EXISTS, keep them invalid. Dropping them is left to the user: why, in
 * invalid-indexes.ts.
 */
function leftIndexesAccount(f: StatementFailed, left: LeftIndexes, again: string | undefined): { state: string; hint: (hint: string) => string } {
  const k = f.index + 1;
  let state = '';
  if (left.drop.length && f.error instanceof IndexInTheWay) {
    state += ` Statement ${k} did not run: the invalid ${list(left.drop)} must go first.`;
  } else if (left.drop.length) {
    state +=
      ` Statement ${k} left the invalid ${list(left.drop)} behind, recorded nowhere: PostgreSQL commits a CONCURRENTLY index before its work is done; queries do not use it, but writes to its table still update it.` +
      ' A re-run would fail on it ("already exists") or, with IF NOT EXISTS, keep it invalid.';
  }
  if (left.finishing.length) state += ` Statement ${k} left the ${list(left.finishing)} invalid and half dropped (queries no longer use it): the re-run runs statement ${k} again, which finishes the drop.`;
  if (left.unchecked) {
    state +=
      ` Statement ${k} builds or drops an index CONCURRENTLY, which can leave an invalid index behind when it ends early, and that could not be checked (${left.unchecked}): ${FIND_INVALID_SQL} lists them.` +
      ` Drop one it left (not one it was dropping) with DROP INDEX CONCURRENTLY IF EXISTS <name>; before the re-run.`;
  }
  if (!left.drop.length) return { state, hint: (hint) => hint };
  const drops = left.drop.map(dropSql).join(' ');
  return {
    state,
    hint: (hint) =>
      f.error instanceof IndexInTheWay
        ? `Drop it (once no session is building it: pg_stat_progress_create_index): ${drops} Then ${runAgain('re-run', again)}: the run continues from this migration.`
        : `First drop what statement ${k} left: ${drops} Then: ${hint}`,
  };
}
