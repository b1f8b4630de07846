/**
 * One attempt of an SQL check. The query runs in a READ ONLY transaction that is always rolled
 * back, with a statement timeout: a smoke check looks, it never changes production. A database that
 * cannot be reached is a failure to measure, never the error an `expect-error` check waits for. A
 * database that rejects database-url (password, user, database name) throws DatabaseConfigError.
 */
import { RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import type { ConnectionTarget } from '../db/connection.js';
import { connect, ConnectionError, type Session } from '../db/session.js';
import { deepEqual, show } from './assertions.js';
import { formatRange, inRange, type SqlCheck } from './spec.js';

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
export class DatabaseConfigError extends RollbackKitError {
  constructor(cause: RollbackKitError) {
    super(
      `The SQL checks cannot run because database-url is wrong: ${cause.message.replace(/\.$/, '')}. This is a configuration error, not an outage: nothing was decided (no verdict, no decision output).`,
      cause.hint,
    );
    this.name = 'DatabaseConfigError';
  }
}

/** SQLSTATE classes that say the server could not run the query at all (timeouts, connections, resources). */
const NOT_AN_ANSWER = /^(08|53|57)/;

export async function probeSql(check: SqlCheck, target: ConnectionTarget, opts: { timeoutMs: number; cutByDeadline?: boolean; log: Pick<Log, 'excerpt'> }): Promise<SqlOutcome> {
  const started = performance.now();
  const timeoutMs = Math.max(1, Math.round(opts.timeoutMs));
  let session: Session;
  try {
    session = await open(target, timeoutMs);
  } catch (err) {
    if (err instanceof DatabaseConfigError) throw err;
    // Messages that name host:port/db and no secret: refused, DNS, timeouts, server starting up.
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, ms: performance.now() - started, failures: [message], unreachable: true };
  }
  try {
    await session.query('BEGIN TRANSACTION READ ONLY');
    await session.query(`SET LOCAL statement_timeout = ${timeoutMs}`);
    let rows: unknown[][] | undefined;
    let error: { code?: string; message: string } | undefined;
    try {
      const result = await session.query({ text: check.query, rowMode: 'array' });
      const last = Array.isArray(result) ? result[result.length - 1] : result;
      rows = (last?.rows ?? []) as unknown[][];
    } catch (err) {
      const e = err as { code?: string; message?: string };
      error = { code: e.code, message: e.message ?? String(err) };
    } finally {
      await session.query('ROLLBACK').catch(() => undefined);
    }
    const ms = performance.now() - started;
    const failures = judge(check, rows, error, opts.cutByDeadline ? 'the overall deadline (deadline-seconds)' : `${timeoutMs / 1000} s (timeout-seconds)`, opts.log);
    return { ok: failures.length === 0, ms, failures };
  } catch (err) {
    // The connection broke around the query (BEGIN failed): nothing was measured.
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, ms: performance.now() - started, failures: [message], unreachable: true };
  } finally {
    await session.end().catch(() => undefined);
  }
}

/** A rejected password or an unknown database is a DatabaseConfigError; anything else a failure to reach the database. */
async function open(target: ConnectionTarget, timeoutMs: number): Promise<Session> {
  try {
    return await connect(target, { connectTimeoutMs: timeoutMs });
  } catch (err) {
    throw err instanceof ConnectionError && err.isConfiguration ? new DatabaseConfigError(err) : err;
  }
}

function judge(check: SqlCheck, rows: unknown[][] | undefined, error: { code?: string; message: string } | undefined, limit: string, log: Pick<Log, 'excerpt'>): string[] {
  if (check.expectError !== undefined) {
    if (!error) return [`the query succeeded (${rows?.length ?? 0} rows), expected an error${check.expectError === true ? '' : ` containing ${show(check.expectError, log)}`}`];
    const expected = check.expectError;
    const code = error.code ?? '';
    if (expected !== true && code === expected.toUpperCase()) return [];
    if (NOT_AN_ANSWER.test(code)) return [`the query could not run (${describeError(error, limit)}), so the expected error was not observed`];
    if (expected === true || error.message.toLowerCase().includes(expected.toLowerCase())) return [];
    return [`the query failed with ${show(error.message, log)}${code ? ` (SQLSTATE ${code})` : ''}, expected an error containing ${show(expected, log)}`];
  }
  if (error) return [`the query failed: ${describeError(error, limit)}`];
  const failures: string[] = [];
  const count = rows?.length ?? 0;
  if (check.expectRows && !inRange(count, check.expectRows)) failures.push(`${count} rows, expected ${formatRange(check.expectRows)}`);
  if (check.expectValue) {
    if (!count) failures.push(`no rows, expected the value ${show(check.expectValue.value, log)}`);
    else {
      const actual = rows![0]![0];
      if (!sameValue(actual, check.expectValue.value)) failures.push(`the value is ${show(actual, log)}, expected ${show(check.expectValue.value, log)}`);
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
