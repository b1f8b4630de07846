/**
 * Runs a plan: each migration's down SQL and its bookkeeping in one transaction, or, for a
 * non-transactional migration, statement by statement with each completed statement recorded so a
 * re-run resumes. Stops at the first failure with the file, statement, line and PostgreSQL's message.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { standardConformingStrings, withQueryDeadline, type Session } from '../db/session.js';
import { beforeConcurrentIndex, concurrentIndexStatement, leftByConcurrentIndex, type Before, type LeftIndexes } from './invalid-indexes.js';
import { firstCodeLine, type PlannedMigration, type PlannedStatement } from './planner.js';
import { clearProgressSql, progressStillHolds, readProgress, recordStatement, startProgressSql, statementHash, statementsAlreadyRun, type Progress } from './progress.js';
import { finishWith, runAgain, type Unrecorded } from './rerun.js';
import { describeError, failure, isConnectionLoss, markedUntilDone, MigrationFailed, PROGRESS_TABLE, StatementFailed, type PgError } from './run-failure.js';
import { readsAlike, sessionSetting, setsStatementTimeout } from './sql-split.js';
import type { MigrationFile, Tracking } from './types.js';

export { MigrationFailed, type StoppedIn } from './run-failure.js';

export interface RevertedMigration {
  version: string;
  id: string;
  file: string;
  transactional: boolean;
  statements: number;
  durationMs: number;
}

/**
 * The session would read the statement otherwise than the planner split it: its
 * standard_conforming_strings is not the one the statement was read with, and a backslash in one of
 * the statement's '…' strings makes a difference.
 */
function readOtherwise(s: PlannedStatement, conforming: boolean): boolean {
  return s.standardConformingStrings !== conforming && !readsAlike(s);
}

const onOff = (on: boolean) => (on ? 'on' : 'off');

/** Why a statement is not sent (readOtherwise): nothing of it ran. */
function readOtherwiseError(s: PlannedStatement, conforming: boolean): Error {
  return new Error(
    `not sent: standard_conforming_strings is ${onOff(conforming)} in the session here, but the down SQL was read with it ${onOff(s.standardConformingStrings)} at this statement ` +
      `(its value at the start, or as a SET or RESET of it before the statement left it), and a backslash in one of the statement's '…' strings means something else under each. ` +
      `Change it in the down SQL only with SET or RESET standard_conforming_strings, not with set_config() or in a function, or write those strings as E'…'`,
  );
}

/** A non-transactional migration stopped before statement `index` (the step being stopped): those before it ran and are recorded. */
class StoppedBefore extends Error {
  constructor(readonly index: number) {
    super(`stopped before statement ${index + 1}`);
  }
}

/**
 * Runs the statements at `indices` one query each; `after` follows each one that completed. Once
 * `signal` is aborted, the next statement is not started (StoppedBefore): the one running ends
 * first, and its record with it.
 */
async function exec(session: Session, statements: PlannedStatement[], indices: number[], after?: (s: PlannedStatement) => Promise<void>, signal?: AbortSignal): Promise<void> {
  for (const i of indices) {
    if (signal?.aborted) throw new StoppedBefore(i);
    const s = statements[i]!;
    // A CONCURRENTLY index statement commits an invalid index before its work is done: what it
    // leaves when it fails is looked for (invalid-indexes.ts). Only such a statement pays for it.
    const concurrent = concurrentIndexStatement(s);
    let before: Before | undefined;
    try {
      const conforming = await standardConformingStrings(session);
      if (readOtherwise(s, conforming)) throw readOtherwiseError(s, conforming);
      if (concurrent) before = await beforeConcurrentIndex(session, concurrent);
      await session.query(s.text);
    } catch (err) {
      const failed = new StatementFailed(s, i, err);
      if (concurrent) failed.leftIndexes = isConnectionLoss(err) ? lostWith(before) : await leftByConcurrentIndex(session, concurrent, before, err);
      throw failed;
    }
    if (!after) continue;
    try {
      await after(s);
    } catch (err) {
      // The statement completed: only the record of it failed.
      throw new StatementFailed(s, i, err, 'record');
    }
  }
}

/** The connection went while a CONCURRENTLY index statement was sent: what it left cannot be read here. */
function lostWith(before: Before | undefined): LeftIndexes | undefined {
  return before ? { drop: [], finishing: [], unchecked: 'the connection went' } : undefined;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, k) => from + k);
}

async function bookkeeping(session: Session, sql: string[], index: number): Promise<void> {
  try {
    for (const text of sql) await session.query(text);
  } catch (err) {
    throw new StatementFailed(undefined, index, err);
  }
}

/** What is left of a migration after an earlier run that stopped in it. */
interface Remaining {
  /** The first statement to run: those before it ran in an earlier run. */
  from: number;
  /** Session-level settings among those that ran (indices), to run again first: the rest depends on them. */
  replay: number[];
  /** The migration has a progress row, to delete in the transaction that marks it reverted. */
  hasProgress: boolean;
}

const FRESH: Remaining = { from: 0, replay: [], hasProgress: false };

/**
 * What the migration's progress row (if any) leaves to run. Progress recorded against other
 * tracking rows than those there now (a restore, a re-apply since) is discarded: what it lists as
 * done may have been undone. One round trip, only for a migration that has a progress row.
 */
async function remaining(session: Session, tracking: Tracking, m: PlannedMigration, saved: Progress | undefined, log: Log): Promise<Remaining> {
  if (!saved) return FRESH;
  let holds: boolean;
  try {
    holds = await progressStillHolds(session, saved, tracking.rowVersionSql(m.file));
  } catch (err) {
    throw new StatementFailed(undefined, -1, err, 'prepare');
  }
  if (!holds) {
    const why =
      saved.rows === null
        ? 'it does not say which tracking rows it belongs to (an earlier rollback-kit version wrote it)'
        : `${tracking.table} has recorded the migration anew since (a restore, or the migration applied again), so what it lists as done may be undone`;
    log.info(`  discarding the progress an earlier run recorded for ${m.file.name} (${saved.done.length} statement(s) done): ${why}; starting at statement 1`);
    return { ...FRESH, hasProgress: true };
  }
  const from = statementsAlreadyRun(saved, m.statements.map((s) => statementHash(s.text)), m.file.name);
  if (from > 0) log.info(`  resuming ${m.file.name} at statement ${from + 1} of ${m.statements.length}: the first ${from} ran in an earlier run`);
  const replay = range(0, from).filter((i) => sessionSetting(m.statements[i]!));
  // A new session has none of the settings the statements that ran made: the rest would run without them.
  if (replay.length > 0) log.info(`  running again the session setting(s) among the statements that ran: ${replay.map((i) => log.excerpt(firstCodeLine(m.statements[i]!.text), 100)).join('; ')}`);
  return { from, replay, hasProgress: true };
}

/**
 * Back to the run's own settings before each migration, so that no down file's session-level SET
 * (a timeout, search_path, SET ROLE) reaches the migrations after it. RESET ALL leaves the role and
 * the session authorization alone, hence their own RESETs. Sent inside the migration's first query.
 */
function resetSql(settings: string[]): string[] {
  return ['RESET SESSION AUTHORIZATION', 'RESET ROLE', 'RESET ALL', ...settings];
}

/**
 * The client-side deadline allows for this many statements in a query; none for a migration that
 * sets statement_timeout itself (SET LOCAL statement_timeout for a long statement) or resets it to
 * the server's (RESET ALL, DISCARD ALL), which the deadline would cut short.
 */
function allowance(m: PlannedMigration, statements: number): number | undefined {
  return m.statements.some(setsStatementTimeout) ? undefined : statements;
}

/** How the runner reaches the database: the session, the tool's bookkeeping, the run's settings. */
interface Context {
  session: Session;
  tracking: Tracking;
  /** Resets the session to the run's own settings (resetSql). */
  reset: string[];
}

interface Part {
  offset: number;
  /** The down statement, or undefined for bookkeeping and transaction control. */
  statement?: PlannedStatement;
  index: number;
}

interface Query {
  text: string;
  parts: Part[];
  /** Down statements and bookkeeping in it: what its deadline allows for. */
  statements: number;
}

/**
 * The whole migration as one query: the run's settings, BEGIN, bookkeeping, down statements (after
 * an earlier run: those it did not run, behind the session settings of those it did),
 * bookkeeping, COMMIT. One round trip instead of one per statement; PostgreSQL still runs the
 * statements one after the other and skips the rest after an error, leaving the transaction to
 * roll back. Unless standard_conforming_strings changes: PostgreSQL reads a whole query with the
 * value the session has when it arrives (`conforming`), so a down statement read with another
 * (after a SET of it, or after the RESET ALL when the migration before left another) starts the
 * next query, sent once the statements before it have set it. Our own SQL reads alike either way.
 */
function migrationQueries(m: PlannedMigration, reset: string[], start: string[], end: string[], rest: Remaining, conforming: boolean): Query[] {
  const queries: Query[] = [];
  let query: Query = { text: '', parts: [], statements: 0 };
  const add = (sql: string, statement: PlannedStatement | undefined, index: number, counts: boolean) => {
    if (statement && query.parts.length && readOtherwise(statement, conforming)) {
      queries.push(query);
      query = { text: '', parts: [], statements: 0 };
      conforming = statement.standardConformingStrings;
    }
    query.parts.push({ offset: query.text.length, statement, index });
    // The newline keeps the semicolon out of a trailing "--" comment.
    query.text += `${sql}\n;\n`;
    if (counts) query.statements++;
  };
  for (const sql of reset) add(sql, undefined, -1, false);
  add('BEGIN', undefined, rest.from, false);
  for (const sql of start) add(sql, undefined, rest.from, true);
  for (const i of [...rest.replay, ...range(rest.from, m.statements.length)]) add(m.statements[i]!.text, m.statements[i], i, true);
  for (const sql of end) add(sql, undefined, m.statements.length, true);
  add('COMMIT', undefined, m.statements.length, false);
  queries.push(query);
  return queries;
}

/** SQLSTATE of a statement cancelled (pg_cancel_backend, statement_timeout). */
const QUERY_CANCELED = '57014';

/** The part an error position (1-based, in its query) falls in. */
function partAt(parts: Part[], position: number): Part | undefined {
  let found: Part | undefined;
  for (const p of parts) if (p.offset <= position - 1) found = p;
  return found;
}

/**
 * PostgreSQL gives no position for many errors (a missing table, a constraint): run the migration
 * again statement by statement in a transaction that is always rolled back, to name the statement.
 */
async function diagnose(ctx: Context, m: PlannedMigration, start: string[], end: string[], rest: Remaining, original: unknown): Promise<StatementFailed> {
  const { session } = ctx;
  const code = (original as PgError).code;
  try {
    // The failed transaction took the reset with it: the same settings as the query that failed.
    await session.query([...ctx.reset, 'BEGIN'].join(';\n'));
    await bookkeeping(session, start, rest.from);
    await exec(session, m.statements, [...rest.replay, ...range(rest.from, m.statements.length)]);
    await bookkeeping(session, end, m.statements.length);
  } catch (err) {
    if (err instanceof StatementFailed && (err.error as PgError).code === code) return new StatementFailed(err.statement, err.index, original);
  } finally {
    await session.query('ROLLBACK').catch(() => undefined);
  }
  return new StatementFailed(undefined, -1, original);
}

/**
 * `retrying`: a lock timeout or deadlock of this attempt will be tried again, so it is not run a
 * second time to name its statement (diagnose would wait for the same lock as long again): only the
 * last attempt's failure is named.
 */
async function revertInTransaction(ctx: Context, m: PlannedMigration, previous: MigrationFile | undefined, rest: Remaining, retrying = false): Promise<void> {
  const { session, tracking } = ctx;
  const start = tracking.startSql?.(m.file, previous) ?? [];
  // After an earlier run, its progress goes in the same transaction: the statements it lists ran, and the rest with them.
  const end = [...tracking.revertSql(m.file, previous), ...(rest.hasProgress ? [clearProgressSql(tracking.table, m.file.id)] : [])];
  for (const { text, parts, statements } of migrationQueries(m, ctx.reset, start, end, rest, await standardConformingStrings(session))) {
    // A query after the first is sent once the SET before it ran: it must have set what the statements were read with.
    const conforming = await standardConformingStrings(session);
    const otherwise = parts.find((p) => p.statement && readOtherwise(p.statement, conforming));
    if (otherwise) {
      await session.query('ROLLBACK').catch(() => undefined);
      throw new StatementFailed(otherwise.statement, otherwise.index, readOtherwiseError(otherwise.statement!, conforming));
    }
    try {
      await withQueryDeadline(session, allowance(m, statements), () => session.query(text));
    } catch (err) {
      if (isConnectionLoss(err)) throw new StatementFailed(undefined, -1, err);
      await session.query('ROLLBACK').catch(() => undefined);
      const position = Number((err as PgError).position);
      const part = Number.isInteger(position) && position > 0 ? partAt(parts, position) : undefined;
      // A cancelled statement (a stop ending its lock wait, statement_timeout) is not run again to be
      // named: that would wait, or run, as long once more.
      const code = (err as PgError).code;
      if (!part) throw code === QUERY_CANCELED || (retrying && RETRYABLE.has(code ?? '')) ? new StatementFailed(undefined, -1, err) : await diagnose(ctx, m, start, end, rest, err);
      const e = err as PgError;
      // The position is in the query: make it the statement's own.
      const statementError: PgError = part.statement ? { code: e.code, message: e.message, detail: e.detail, hint: e.hint, position: String(position - part.offset) } : e;
      throw new StatementFailed(part.statement, part.index, statementError);
    }
  }
}

/** Runs bookkeeping statements as one query in a transaction of their own; a failure is StatementFailed at `index`. */
async function inTransaction(ctx: Context, m: PlannedMigration, sql: string[], statements: number, index: number): Promise<void> {
  const { session } = ctx;
  try {
    await withQueryDeadline(session, allowance(m, statements), () => session.query(sql.join('\n;\n')));
  } catch (err) {
    if (!isConnectionLoss(err)) await session.query('ROLLBACK').catch(() => undefined);
    throw new StatementFailed(undefined, index, err);
  }
}

async function revertStatementByStatement(ctx: Context, m: PlannedMigration, previous: MigrationFile | undefined, rest: Remaining, signal?: AbortSignal): Promise<void> {
  const { session, tracking } = ctx;
  const id = m.file.id;
  // golang-migrate: (previous, dirty) is committed before the first statement, in one transaction
  // as the tool does. The progress row is made this state's in the same one, and the session set
  // back to the run's settings just before: one round trip.
  const start = tracking.startSql?.(m.file, previous) ?? [];
  const progress = startProgressSql(tracking.table, id, tracking.rowVersionSql(m.file), rest.from > 0);
  await inTransaction(ctx, m, [...ctx.reset, 'BEGIN', ...start, ...progress, 'COMMIT'], start.length + 1, rest.from);
  await exec(session, m.statements, rest.replay);
  // A stop before a statement throws StoppedBefore: runPlan says it (stoppedBetweenStatements).
  await exec(session, m.statements, range(rest.from, m.statements.length), (s) => recordStatement(session, tracking.table, id, statementHash(s.text)), signal);
  const end = tracking.revertSql(m.file, previous);
  await inTransaction(ctx, m, ['BEGIN', ...end, clearProgressSql(tracking.table, id), 'COMMIT'], end.length + 1, m.statements.length);
}

/** A non-transactional migration stopped before statement `index`: those before it committed and are recorded, a re-run starts there. */
function stoppedBetweenStatements(m: PlannedMigration, index: number, tracking: Tracking, again: string | undefined): MigrationFailed {
  const n = m.statements.length;
  const state =
    `It runs statement by statement (non-transactional): ${index} of ${n} statement(s) ran and are recorded in ${PROGRESS_TABLE}; ${tracking.table} ${markedUntilDone(tracking)}. ` +
    `A re-run starts at statement ${index + 1}.`;
  const file = m.file.downFile ?? m.file.name;
  return new MigrationFailed(
    `Stopped in ${m.file.name} before its statement ${index + 1} of ${n}. ${state}`,
    `${runAgain('Run it again', again)} to finish the plan: it goes on from this migration.`,
    {
    version: m.file.version,
    id: m.file.id,
    file,
    transactional: false,
    statements: n,
    ran: index,
    resumeAt: index + 1,
    unsure: false,
    state,
  },
    { stopped: true },
  );
}

/**
 * The run stopped between migrations (the step being stopped): each migration before `next`
 * committed with its bookkeeping, and `next` and those after it never started.
 */
function stoppedBetweenMigrations(plan: PlannedMigration[], next: number, tracking: Tracking, again: string | undefined): RollbackKitError {
  const left = plan.slice(next).map((m) => m.file.name);
  const done = next === 0 ? 'no migration was reverted' : `the ${next} migration(s) before it were reverted and committed`;
  return new RollbackKitError(
    `Stopped before reverting ${plan[next]!.file.name}: ${done}; ${left.join(', ')} ${left.length === 1 ? 'was' : 'were'} not started and ${left.length === 1 ? 'is' : 'are'} still applied in ${tracking.table}.`,
    `${runAgain('Run it again', again)} to finish the plan: it reads the tracking table and reverts what is still applied of it.`,
    { stopped: true },
  );
}

/**
 * A lock not granted within lock_timeout, or a deadlock with production traffic, rolls the whole
 * migration back and leaves nothing behind, so it is safe to try again after a pause. Short lock
 * waits retried beat one long wait that queues every production query behind the rollback.
 */
const RETRYABLE = new Set(['55P03', '40P01']);
export const RETRY_DELAYS_MS = [500, 1000, 2000];

/**
 * A stop (`signal`) ends the retries: the attempt that failed rolled back, so its error (nothing of
 * this migration applied) is what the stopped run reports, rather than trying on past the step's
 * grace time, after which its state would read "not known".
 */
async function revertWithRetries(ctx: Context, m: PlannedMigration, previous: MigrationFile | undefined, rest: Remaining, log: Log, signal?: AbortSignal): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await revertInTransaction(ctx, m, previous, rest, attempt < RETRY_DELAYS_MS.length && !signal?.aborted);
      return;
    } catch (err) {
      const code = err instanceof StatementFailed ? (err.error as PgError).code : undefined;
      const delay = RETRY_DELAYS_MS[attempt];
      const gaveUp = () => {
        if (err instanceof StatementFailed) err.attempts = attempt + 1;
        return err;
      };
      if (!code || !RETRYABLE.has(code) || delay === undefined || signal?.aborted) throw gaveUp();
      log.info(`  ${code === '40P01' ? 'deadlock with another session' : 'a table lock was not granted within lock-timeout-seconds'}; nothing was changed; trying again in ${delay} ms (attempt ${attempt + 2} of ${RETRY_DELAYS_MS.length + 1})`);
      await sleep(delay, undefined, { signal }).catch(() => undefined);
      if (signal?.aborted) throw gaveUp();
    }
  }
}

export interface RunPlanOptions {
  session: Session;
  tracking: Tracking;
  /** Applied before the run, oldest first; updated as migrations are reverted. */
  applied: MigrationFile[];
  log: Log;
  /** host:port/db for messages. */
  target: string;
  /**
   * The run's own session settings (timeouts, application_name, search_path), as statements with
   * literals inlined: set again before each migration, after resetting whatever the one before set.
   */
  sessionSettings: string[];
  /** Whether rollback_kit.down_progress exists (asked with the lock): without it, no earlier run left progress. */
  progressTable: boolean;
  /** Receives each migration as it is reverted, so a later failure still reports what was done. */
  onReverted(r: RevertedMigration): void;
  /** A `steps` plan nothing recorded: its failures' hints say the selector a new run finishes it with (rerun.ts). */
  unrecorded?: Unrecorded;
  /**
   * Aborted when the step is being stopped: the run stops between migrations (the one in flight
   * commits or rolls back and says which; revert.ts cancels a transactional one still running
   * shortly after, which then rolls back) and, in a non-transactional one,
   * between statements, with its progress recorded; a re-run finishes the plan.
   */
  signal?: AbortSignal;
}

/** What earlier runs recorded, read before anything runs: a failure here changed nothing. */
async function earlierProgress(session: Session, table: string, target: string, exists: boolean): Promise<Map<string, Progress>> {
  try {
    return await readProgress(session, table, exists);
  } catch (err) {
    const lost = isConnectionLoss(err);
    throw new RollbackKitError(
      `${lost ? `Lost the connection to ${target} while reading` : 'Could not read'} the progress of earlier runs from ${PROGRESS_TABLE}: ${describeError(err)}. Nothing was changed.`,
      lost ? 'Check the database is up and reachable, then re-run.' : `Fix what blocks that read (PostgreSQL's message above), then re-run.`,
    );
  }
}

export async function runPlan(plan: PlannedMigration[], opts: RunPlanOptions): Promise<void> {
  const { session, tracking, log } = opts;
  const ctx: Context = { session, tracking, reset: resetSql(opts.sessionSettings) };
  const progress = await earlierProgress(session, tracking.table, opts.target, opts.progressTable);
  const applied = [...opts.applied];
  for (const [n, m] of plan.entries()) {
    // What a new run needs once the n before this one went, or this one may have.
    const again = (unsure: boolean) => finishWith(opts.unrecorded, n, unsure);
    if (opts.signal?.aborted) throw stoppedBetweenMigrations(plan, n, tracking, again(false));
    const at = applied.findIndex((f) => f.id === m.file.id);
    const previous = at > 0 ? applied[at - 1] : undefined;
    log.info(`[${n + 1}/${plan.length}] reverting ${m.file.name}${m.transactional ? '' : ' (non-transactional: statement by statement)'}`);
    const started = Date.now();
    let rest = FRESH;
    try {
      // Each query of the migration, one statement by default, within the client-side deadline.
      await withQueryDeadline(session, allowance(m, 1), async () => {
        rest = await remaining(session, tracking, m, progress.get(m.file.id), log);
        if (m.transactional) await revertWithRetries(ctx, m, previous, rest, log, opts.signal);
        else await revertStatementByStatement(ctx, m, previous, rest, opts.signal);
      });
    } catch (err) {
      if (err instanceof StatementFailed) throw failure(m, err, rest.from, progress.get(m.file.id), tracking, opts.target, log, opts.signal, again);
      if (err instanceof StoppedBefore) throw stoppedBetweenStatements(m, err.index, tracking, again(false));
      throw err;
    }
    const durationMs = Date.now() - started;
    applied.splice(at, 1);
    log.info(`  reverted ${m.file.name} in ${durationMs} ms`);
    opts.onReverted({ version: m.file.version, id: m.file.id, file: m.file.downFile ?? m.file.name, transactional: m.transactional, statements: m.statements.length, durationMs });
  }
}
