/**
 * One attempt of an SQL check. A smoke check looks, it never changes production, whatever its text:
 * the session is read-only by default (default_transaction_read_only=on), the query runs in a READ
 * ONLY transaction that is always rolled back, with a statement timeout, and it is sent with the
 * extended query protocol, so PostgreSQL itself refuses a second statement (`COMMIT; DELETE …`).
 * The transaction takes its snapshot before the query, which pins it read-only, and is checked
 * again after the query. A query that tries to write, to leave the transaction or to run several
 * statements is a CheckConfigError: a mistake in the spec, never an observation. A database that
 * cannot be reached is a failure to measure, never the error an `expect-error` check waits for. A
 * database that rejects database-url (password, user, database name) throws DatabaseConfigError.
 */
import type { QueryArrayConfig } from 'pg';
import type { RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { isSensitiveName } from '../core/url-secrets.js';
import type { ConnectionTarget } from '../db/connection.js';
import { closeSession, connect, ConnectionError, seconds, type Session } from '../db/session.js';
import { DEADLINE_FAILURE, deepEqual, show } from './assertions.js';
import { CheckConfigError } from './config-error.js';
import { formatRange, inRange, timeoutSetting, type SqlCheck } from './spec.js';
import { firstKeyword } from './sql-statement.js';

export interface SqlOutcome {
  ok: boolean;
  ms: number;
  failures: string[];
  /** The database could not be reached, so nothing was measured. */
  unreachable?: boolean;
}

/**
 * database-url is wrong: PostgreSQL answered and refused the credentials or the database. The
 * service is up, and a typo in a secret is not an outage, so this is never an observation (never a
 * rollback decision): the step fails with no verdict at all, whatever fail-step says.
 */
export class DatabaseConfigError extends CheckConfigError {
  constructor(cause: RollbackKitError) {
    super(`The SQL checks cannot run because database-url is wrong: ${cause.message}`, cause.hint);
    this.name = 'DatabaseConfigError';
  }
}

const READ_ONLY_HINT =
  'An SQL check is one read-only statement (a SELECT, or SHOW); it may not write, run several statements, or control the transaction or the session. Change the query in the spec.';

/** SQLSTATE classes that say the server could not run the query at all (timeouts, connections, resources). */
const NOT_AN_ANSWER = /^(08|53|57)/;
/**
 * The query tried to write (25006), to end or reshape the transaction (class 25, 2D), or held
 * several statements (42601 with the extended protocol's words): the check is wrong, not the service.
 */
function notReadOnly(error: { code?: string; message: string }): boolean {
  const code = error.code ?? '';
  // A cursor's own words for a write in a WITH (readRows): "DECLARE CURSOR must not contain data-modifying statements in WITH".
  return /^(25|2D)/.test(code) || (code === '42601' && /multiple commands/.test(error.message)) || (code === '0A000' && /data-modifying/.test(error.message));
}

interface TransactionState {
  readOnly: string;
  started: string;
}

/**
 * Room above the statement timeout for an answer to come back, and for the connection to be given
 * up: only a connection that stalls without closing (a proxy or NAT box that stops forwarding)
 * ever uses it, since the server answers every statement within its statement_timeout.
 */
export const ANSWER_MARGIN_MS = 1_000;

export interface SqlProbeOptions {
  /** Bounds the connection, the statement (statement_timeout) and, with the margin, each answer. */
  timeoutMs: number;
  /** timeoutMs was cut to what was left before the overall deadline. */
  cutByDeadline?: boolean;
  /** The overall deadline: the probe is given up and its connection closed when it aborts. */
  deadline?: AbortSignal;
  log: Pick<Log, 'excerpt'>;
}

/**
 * One attempt, with every wait bounded: the connection by the connect timeout, each query's answer
 * by the statement timeout and a margin (a query past it closes the connection), and the whole
 * probe, ROLLBACK included, by the time the connection and the query may take and the overall
 * deadline. A probe given up closes its session without waiting for the server to agree.
 */
export async function probeSql(check: SqlCheck, target: ConnectionTarget, opts: SqlProbeOptions): Promise<SqlOutcome> {
  const started = performance.now();
  const timeoutMs = Math.max(1, Math.round(opts.timeoutMs));
  const budgetMs = 2 * timeoutMs + ANSWER_MARGIN_MS;
  const probe = new Probe();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const givenUp = new Promise<SqlOutcome>((resolve) => {
    const giveUp = (failure: string, unreachable: boolean) => {
      probe.abandon();
      resolve({ ok: false, ms: performance.now() - started, failures: [failure], unreachable });
    };
    timer = setTimeout(
      () => giveUp(`no answer from the database within ${seconds(budgetMs)} s (${timeoutSetting(check)} for the connection and for the query, plus ${seconds(ANSWER_MARGIN_MS)} s), so the connection was closed`, true),
      budgetMs,
    );
    onAbort = () => giveUp(DEADLINE_FAILURE, false);
    if (opts.deadline?.aborted) onAbort();
    else opts.deadline?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([runProbe(check, target, probe, timeoutMs, started, opts), givenUp]);
  } finally {
    clearTimeout(timer);
    if (onAbort) opts.deadline?.removeEventListener('abort', onAbort);
  }
}

/** The probe's session, closed at once when the probe is given up, even if it opens only after that. */
class Probe {
  private session: Session | undefined;
  private abandoned = false;

  adopt(session: Session): boolean {
    this.session = session;
    if (this.abandoned) closeSession(session);
    return !this.abandoned;
  }

  abandon(): void {
    this.abandoned = true;
    // With a query in flight pg destroys the socket; otherwise it sends Terminate and lets go.
    if (this.session) closeSession(this.session);
  }

  get given(): boolean {
    return this.abandoned;
  }
}

async function runProbe(check: SqlCheck, target: ConnectionTarget, probe: Probe, timeoutMs: number, started: number, opts: SqlProbeOptions): Promise<SqlOutcome> {
  let session: Session;
  try {
    session = await open(target, timeoutMs);
  } catch (err) {
    if (err instanceof DatabaseConfigError) throw err;
    // Messages that name host:port/db and no secret: refused, DNS, timeouts, server starting up.
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, ms: performance.now() - started, failures: [message], unreachable: true };
  }
  if (!probe.adopt(session)) return { ok: false, ms: performance.now() - started, failures: [], unreachable: false };
  try {
    return await measure(check, session, timeoutMs, started, opts);
  } finally {
    // Bounded by the query deadline; a connection that is already gone refuses it at once.
    if (!probe.given) await session.query('ROLLBACK').catch(() => undefined);
    closeSession(session);
  }
}

async function measure(check: SqlCheck, session: Session, timeoutMs: number, started: number, opts: SqlProbeOptions): Promise<SqlOutcome> {
  let before: TransactionState;
  try {
    await session.query('BEGIN TRANSACTION READ ONLY');
    await session.query(`SET LOCAL statement_timeout = ${timeoutMs}`);
    // The first query of the transaction: from here on, SET TRANSACTION READ WRITE is refused.
    before = await transactionState(session);
  } catch (err) {
    return brokeAround(err, started);
  }
  if (before.readOnly !== 'on') throw new CheckConfigError(`The SQL check "${check.name}" cannot run: the database did not open a read-only transaction`, READ_ONLY_HINT);
  let read: Read | undefined;
  let error: { code?: string; message: string } | undefined;
  try {
    read = await readRows(session, check.query, timeoutMs);
  } catch (err) {
    // Only the server's own error is an answer; a connection that stalled or broke measured nothing
    // (and is never the error an expect-error check waits for).
    if (!fromServer(err)) return brokeAround(err, started);
    const e = err as { code?: string; message?: string };
    error = { code: e.code, message: e.message ?? String(err) };
  }
  if (error && notReadOnly(error)) {
    // The cursor's refusal names a DECLARE the check never wrote: say what in the check's own text is wrong.
    const why = error.code === '0A000' ? 'its WITH holds a statement that writes (INSERT, UPDATE, DELETE or MERGE)' : error.message;
    throw new CheckConfigError(`The SQL check "${check.name}" is not a read-only query: ${why}${error.code ? ` (SQLSTATE ${error.code})` : ''}; nothing was changed`, READ_ONLY_HINT);
  }
  if (!error) {
    let after: TransactionState;
    try {
      after = await transactionState(session);
    } catch (err) {
      return brokeAround(err, started);
    }
    if (after.readOnly !== 'on' || after.started !== before.started) {
      throw new CheckConfigError(`The SQL check "${check.name}" left its read-only transaction`, READ_ONLY_HINT);
    }
  }
  const ms = performance.now() - started;
  const failures = judge(check, read, error, opts.cutByDeadline ? 'the overall deadline (deadline-seconds)' : `${timeoutMs / 1000} s (${timeoutSetting(check)})`, opts.log);
  return { ok: failures.length === 0, ms, failures };
}

/** What a check judges: its first rows, how many rows the query returned, and the first column's name. */
interface Read {
  rows: unknown[][];
  count: number;
  column: string | undefined;
}

/** Rows kept of a result: the first is all expect-value reads; the rest are counted, never held. */
export const FETCHED_ROWS = 100;
const CURSOR = 'rk_check';
/** Statements a cursor can run; SHOW and EXPLAIN, whose results are small, run as they are. */
const CURSOR_WORDS = new Set(['select', 'with', 'values', 'table']);

/**
 * The check's query, holding at most FETCHED_ROWS of its rows: `SELECT * FROM events` on a large
 * table loaded every row into the runner's memory within the statement timeout, enough to end the
 * step with no verdict. A query that reads runs as a cursor: its first rows fetched, the rest only
 * counted by MOVE ALL, which sends none, under what is left of the statement timeout, so the query as
 * a whole is held to it as before. Sent with the extended protocol: one statement only, refused by
 * the server otherwise (queryMode is not in @types/pg).
 */
async function readRows(session: Session, query: string, timeoutMs: number): Promise<Read> {
  const extended = (text: string) => session.query({ text, rowMode: 'array', queryMode: 'extended' } as QueryArrayConfig);
  if (!CURSOR_WORDS.has(firstKeyword(query) ?? '')) {
    const result = await extended(query);
    const rows = (result.rows ?? []) as unknown[][];
    return { rows, count: rows.length, column: result.fields?.[0]?.name };
  }
  const started = performance.now();
  await extended(`DECLARE ${CURSOR} NO SCROLL CURSOR FOR ${query}`);
  const result = await extended(`FETCH FORWARD ${FETCHED_ROWS} FROM ${CURSOR}`);
  const rows = (result.rows ?? []) as unknown[][];
  let count = rows.length;
  if (count === FETCHED_ROWS) {
    await session.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.round(timeoutMs - (performance.now() - started)))}`);
    count += (await session.query(`MOVE FORWARD ALL IN ${CURSOR}`)).rowCount ?? 0;
  }
  return { rows, count, column: result.fields?.[0]?.name };
}

/** An ErrorResponse PostgreSQL sent (pg's DatabaseError carries its severity), not a local or network error. */
function fromServer(err: unknown): boolean {
  return typeof (err as { severity?: unknown } | null)?.severity === 'string';
}

/** The connection broke around the query (BEGIN failed, or the check after it): nothing was measured. */
function brokeAround(err: unknown, started: number): SqlOutcome {
  const message = err instanceof Error ? err.message : String(err);
  return { ok: false, ms: performance.now() - started, failures: [message], unreachable: true };
}

/** Whether the transaction is read-only, and when it started: a query that committed it would change both. */
async function transactionState(session: Session): Promise<TransactionState> {
  const { rows } = await session.query<TransactionState>("SELECT current_setting('transaction_read_only') AS \"readOnly\", now()::text AS started");
  return rows[0]!;
}

/** A rejected password or an unknown database is a DatabaseConfigError; anything else a failure to reach the database. */
async function open(target: ConnectionTarget, timeoutMs: number): Promise<Session> {
  try {
    return await connect(target, { connectTimeoutMs: timeoutMs, readOnly: true, queryDeadline: { statementMs: timeoutMs, marginMs: ANSWER_MARGIN_MS } });
  } catch (err) {
    throw err instanceof ConnectionError && err.isConfiguration ? new DatabaseConfigError(err) : err;
  }
}

/**
 * A value read from a column named like a secret (`api_token`, `password_hash`, `session_key`) is
 * not written into a failure: the summary, the incident issue and chat messages would carry a live
 * credential the log's redactor never saw. Numbers, booleans and null are shown: a count of sessions
 * is no secret.
 */
function secretValue(column: string | undefined, value: unknown): boolean {
  if (column === undefined || !isSensitiveName(column)) return false;
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return false;
  return !(typeof value === 'string' && /^-?\d+(?:\.\d+)?$/.test(value));
}

function judge(check: SqlCheck, read: Read | undefined, error: { code?: string; message: string } | undefined, limit: string, log: Pick<Log, 'excerpt'>): string[] {
  const { rows, count, column } = read ?? { rows: [], count: 0, column: undefined };
  if (check.expectError !== undefined) {
    if (!error) return [`the query succeeded (${count} rows), expected an error${check.expectError === true ? '' : ` containing ${show(check.expectError, log)}`}`];
    const expected = check.expectError;
    const code = error.code ?? '';
    if (expected !== true && code === expected.toUpperCase()) return [];
    if (NOT_AN_ANSWER.test(code)) return [`the query could not run (${describeError(error, limit)}), so the expected error was not observed`];
    if (expected === true || error.message.toLowerCase().includes(expected.toLowerCase())) return [];
    return [`the query failed with ${show(error.message, log)}${code ? ` (SQLSTATE ${code})` : ''}, expected an error containing ${show(expected, log)}`];
  }
  if (error) return [`the query failed: ${describeError(error, limit)}`];
  const failures: string[] = [];
  if (check.expectRows && !inRange(count, check.expectRows)) failures.push(`${count} rows, expected ${formatRange(check.expectRows)}`);
  if (check.expectValue) {
    if (!count) failures.push(`no rows, expected the value ${show(check.expectValue.value, log)}`);
    else {
      const actual = rows[0]![0];
      const expected = check.expectValue.value;
      if (!sameValue(actual, expected)) {
        const hidden = `(not shown: the column ${show(column, log)} is named like a secret)`;
        failures.push(`the value is ${secretValue(column, actual) ? hidden : show(actual, log)}, expected ${secretValue(column, expected) ? hidden : show(expected, log)}`);
      }
    }
  }
  return failures;
}

function describeError(error: { code?: string; message: string }, limit: string): string {
  if (error.code === '57014') return `cancelled by ${limit}`;
  return `${error.message}${error.code ? ` (SQLSTATE ${error.code})` : ''}`;
}

/** node-postgres returns bigint and numeric as strings: compare numbers by value, the rest exactly. */
function sameValue(actual: unknown, expected: unknown): boolean {
  if (typeof expected === 'number') return actual !== null && actual !== '' && Number(actual) === expected;
  if (typeof expected === 'string') return actual instanceof Date ? actual.toISOString() === expected : actual !== null && typeof actual !== 'object' && String(actual) === expected;
  return deepEqual(actual, expected);
}
