/**
 * Runs a plan: each migration's down SQL and its bookkeeping in one transaction, or, for a
 * non-transactional migration, statement by statement with each completed statement recorded so a
 * re-run resumes. Stops at the first failure with the file, statement, line and PostgreSQL's message.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import type { Session } from '../db/session.js';
import { firstLine, type PlannedMigration, type PlannedStatement } from './planner.js';
import { clearProgress, readProgress, recordStatement, startProgress, statementHash, statementsAlreadyRun, type Progress } from './progress.js';
import { lineAt } from './sql-split.js';
import type { MigrationFile, Tracking } from './types.js';

export interface RevertedMigration {
  version: string;
  id: string;
  file: string;
  transactional: boolean;
  statements: number;
  durationMs: number;
}

interface PgError {
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

class StatementFailed extends Error {
  /** How many times the migration was tried (lock timeouts and deadlocks are retried). */
  attempts = 1;

  constructor(
    readonly statement: PlannedStatement | undefined,
    readonly index: number,
    readonly error: unknown,
  ) {
    super((error as Error)?.message ?? String(error));
  }
}

function where(m: PlannedMigration, f: StatementFailed, err: PgError, table: string): string {
  const file = m.file.downFile ?? m.file.name;
  const s = f.statement;
  if (!s) return f.index < 0 ? file : `${file} (bookkeeping in ${table})`;
  const pos = Number(err.position);
  const line = Number.isInteger(pos) && pos > 0 ? s.textLine + lineAt(s.text, pos - 1) - 1 : s.line;
  return `${file} line ${line}, statement "${firstLine(s.text)}"`;
}

function failure(m: PlannedMigration, f: StatementFailed, skipped: number, tracking: Tracking, target: string): RollbackKitError {
  const err = f.error as PgError;
  const pgMessage = `${err.message ?? String(f.error)}${err.code && !/^E[A-Z]/.test(err.code) ? ` [${err.code}]` : ''}${err.detail ? ` (${err.detail})` : ''}`;
  const at = where(m, f, err, tracking.table);
  const lost = isConnectionLoss(f.error);
  const head = lost ? `Lost the connection to ${target} while reverting ${m.file.name} at ${at}: ${pgMessage}.` : `Reverting ${m.file.name} failed at ${at}: ${pgMessage}.`;
  let state: string;
  if (m.transactional && lost) {
    // A COMMIT in flight when the connection died may or may not have landed; either way the down
    // SQL and its bookkeeping landed together or not at all.
    state = `Its down SQL and its bookkeeping in ${tracking.table} commit together, so the database is consistent either way; the re-run reads ${tracking.table} and continues.`;
  } else if (m.transactional) {
    state = `Its transaction was rolled back: ${m.file.name} is still applied and unchanged in the schema and in ${tracking.table}.`;
  } else {
    const ran = Math.max(skipped, f.index);
    const marked = tracking.startSql ? 'is marked dirty until all have run' : 'still lists it as applied until all have run';
    state = `It runs statement by statement (non-transactional): ${ran} of ${m.statements.length} statement(s) ran and are recorded in rollback_kit.down_progress; ${tracking.table} ${marked}.`;
  }
  let hint = 'Fix the down SQL (or what blocks it) and re-run: the run continues from this migration.';
  const tried = f.attempts > 1 ? ` (tried ${f.attempts} times)` : '';
  if (err.code === '55P03') hint = `A table lock was not granted within lock-timeout-seconds${tried}: a long transaction or query holds it (see pg_stat_activity). Re-run when it is gone, or raise lock-timeout-seconds.`;
  else if (err.code === '40P01') hint = `It deadlocked with another session${tried}. Re-run when traffic on those tables is lower.`;
  else if (err.code === '57014') hint = 'The statement ran longer than statement-timeout-seconds. Raise it if the statement is expected to take that long, then re-run.';
  else if (lost) hint = 'Check the database is up and reachable, then re-run: the run continues from this migration.';
  return new RollbackKitError(`${head} ${state}`, hint);
}

async function exec(session: Session, statements: PlannedStatement[], from: number, after?: (s: PlannedStatement) => Promise<void>): Promise<void> {
  for (let i = from; i < statements.length; i++) {
    const s = statements[i]!;
    try {
      await session.query(s.text);
    } catch (err) {
      throw new StatementFailed(s, i, err);
    }
    if (after) await after(s);
  }
}

async function bookkeeping(session: Session, sql: string[], index: number): Promise<void> {
  try {
    for (const text of sql) await session.query(text);
  } catch (err) {
    throw new StatementFailed(undefined, index, err);
  }
}

interface Part {
  offset: number;
  /** The down statement, or undefined for bookkeeping and transaction control. */
  statement?: PlannedStatement;
  index: number;
}

/**
 * The whole migration as one query: BEGIN, bookkeeping, down statements, bookkeeping, COMMIT. One
 * round trip instead of one per statement; PostgreSQL still runs the statements one after the
 * other and skips the rest after an error, leaving the transaction to roll back.
 */
function oneQuery(m: PlannedMigration, start: string[], end: string[]): { text: string; parts: Part[] } {
  const parts: Part[] = [];
  let text = '';
  const add = (sql: string, statement: PlannedStatement | undefined, index: number) => {
    parts.push({ offset: text.length, statement, index });
    // The newline keeps the semicolon out of a trailing "--" comment.
    text += `${sql}\n;\n`;
  };
  add('BEGIN', undefined, 0);
  for (const sql of start) add(sql, undefined, 0);
  m.statements.forEach((s, i) => add(s.text, s, i));
  for (const sql of [...end, 'COMMIT']) add(sql, undefined, m.statements.length);
  return { text, parts };
}

/** The part an error position (1-based, in the whole query) falls in. */
function partAt(parts: Part[], position: number): Part | undefined {
  let found: Part | undefined;
  for (const p of parts) if (p.offset <= position - 1) found = p;
  return found;
}

/**
 * PostgreSQL gives no position for many errors (a missing table, a constraint): run the migration
 * again statement by statement in a transaction that is always rolled back, to name the statement.
 */
async function diagnose(session: Session, m: PlannedMigration, start: string[], end: string[], original: unknown): Promise<StatementFailed> {
  const code = (original as PgError).code;
  try {
    await session.query('BEGIN');
    await bookkeeping(session, start, 0);
    await exec(session, m.statements, 0);
    await bookkeeping(session, end, m.statements.length);
  } catch (err) {
    if (err instanceof StatementFailed && (err.error as PgError).code === code) return new StatementFailed(err.statement, err.index, original);
  } finally {
    await session.query('ROLLBACK').catch(() => undefined);
  }
  return new StatementFailed(undefined, -1, original);
}

async function revertInTransaction(session: Session, tracking: Tracking, m: PlannedMigration, previous: MigrationFile | undefined): Promise<void> {
  const start = tracking.startSql?.(m.file, previous) ?? [];
  const end = tracking.revertSql(m.file, previous);
  const { text, parts } = oneQuery(m, start, end);
  try {
    await session.query(text);
  } catch (err) {
    if (isConnectionLoss(err)) throw new StatementFailed(undefined, -1, err);
    await session.query('ROLLBACK').catch(() => undefined);
    const position = Number((err as PgError).position);
    const part = Number.isInteger(position) && position > 0 ? partAt(parts, position) : undefined;
    if (!part) throw await diagnose(session, m, start, end, err);
    const e = err as PgError;
    // The position is in the whole query: make it the statement's own.
    const statementError: PgError = part.statement ? { code: e.code, message: e.message, detail: e.detail, hint: e.hint, position: String(position - part.offset) } : e;
    throw new StatementFailed(part.statement, part.index, statementError);
  }
}

async function revertStatementByStatement(session: Session, tracking: Tracking, m: PlannedMigration, previous: MigrationFile | undefined, skip: number, log: Log): Promise<void> {
  const id = m.file.id;
  try {
    await startProgress(session, tracking.table, id);
  } catch (err) {
    throw new StatementFailed(undefined, skip, err);
  }
  // golang-migrate: (previous, dirty) is committed before the first statement, in one transaction as the tool does.
  const start = tracking.startSql?.(m.file, previous) ?? [];
  if (start.length > 0) {
    try {
      await bookkeeping(session, ['BEGIN', ...start, 'COMMIT'], skip);
    } catch (err) {
      await session.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }
  if (skip > 0) log.info(`  resuming ${m.file.name} at statement ${skip + 1} of ${m.statements.length}: the first ${skip} ran in an earlier run`);
  await exec(session, m.statements, skip, (s) => recordStatement(session, tracking.table, id, statementHash(s.text)));
  await session.query('BEGIN');
  try {
    await bookkeeping(session, tracking.revertSql(m.file, previous), m.statements.length);
    await clearProgress(session, tracking.table, id);
    await session.query('COMMIT');
  } catch (err) {
    await session.query('ROLLBACK').catch(() => undefined);
    throw err instanceof StatementFailed ? err : new StatementFailed(undefined, m.statements.length, err);
  }
}

/**
 * A lock not granted within lock_timeout, or a deadlock with production traffic, rolls the whole
 * migration back and leaves nothing behind, so it is safe to try again after a pause. Short lock
 * waits retried beat one long wait that queues every production query behind the rollback.
 */
const RETRYABLE = new Set(['55P03', '40P01']);
export const RETRY_DELAYS_MS = [500, 1000, 2000];

async function revertWithRetries(session: Session, tracking: Tracking, m: PlannedMigration, previous: MigrationFile | undefined, log: Log): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await revertInTransaction(session, tracking, m, previous);
      return;
    } catch (err) {
      const code = err instanceof StatementFailed ? (err.error as PgError).code : undefined;
      const delay = RETRY_DELAYS_MS[attempt];
      if (!code || !RETRYABLE.has(code) || delay === undefined) {
        if (err instanceof StatementFailed) err.attempts = attempt + 1;
        throw err;
      }
      log.info(`  ${code === '40P01' ? 'deadlock with another session' : 'a table lock was not granted within lock-timeout-seconds'}; nothing was changed; trying again in ${delay} ms (attempt ${attempt + 2} of ${RETRY_DELAYS_MS.length + 1})`);
      await sleep(delay);
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
  /** Receives each migration as it is reverted, so a later failure still reports what was done. */
  onReverted(r: RevertedMigration): void;
}

export async function runPlan(plan: PlannedMigration[], opts: RunPlanOptions): Promise<void> {
  const { session, tracking, log } = opts;
  const progress: Map<string, Progress> = await readProgress(session, tracking.table);
  const applied = [...opts.applied];
  for (const [n, m] of plan.entries()) {
    const at = applied.findIndex((f) => f.id === m.file.id);
    const previous = at > 0 ? applied[at - 1] : undefined;
    const skip = m.transactional ? 0 : statementsAlreadyRun(progress.get(m.file.id), m.statements.map((s) => statementHash(s.text)), m.file.name);
    log.info(`[${n + 1}/${plan.length}] reverting ${m.file.name}${m.transactional ? '' : ' (non-transactional: statement by statement)'}`);
    const started = performance.now();
    try {
      if (m.transactional) await revertWithRetries(session, tracking, m, previous, log);
      else await revertStatementByStatement(session, tracking, m, previous, skip, log);
    } catch (err) {
      if (err instanceof StatementFailed) throw failure(m, err, skip, tracking, opts.target);
      throw err;
    }
    const durationMs = Math.round(performance.now() - started);
    applied.splice(at, 1);
    log.info(`  reverted ${m.file.name} in ${durationMs} ms`);
    opts.onReverted({ version: m.file.version, id: m.file.id, file: m.file.downFile ?? m.file.name, transactional: m.transactional, statements: m.statements.length, durationMs });
  }
}
