/**
 * One attempt of an SQL check. The query runs in a READ ONLY transaction that is always rolled
 * back, with a statement timeout: a smoke check looks, it never changes production. A database that
 * cannot be reached is a failure to measure, never the error an `expect-error` check waits for.
 */
import { deepEqual, show } from './assertions.js';
import { formatRange, inRange, type SqlCheck } from './spec.js';
import type { ConnectionTarget } from '../db/connection.js';
import { withSession } from '../db/session.js';

export interface SqlOutcome {
  ok: boolean;
  ms: number;
  failures: string[];
  /** The database could not be reached, so nothing was measured. */
  unreachable?: boolean;
}

/** SQLSTATE classes that say the server could not run the query at all (timeouts, connections, resources). */
const NOT_AN_ANSWER = /^(08|53|57)/;

export async function probeSql(check: SqlCheck, target: ConnectionTarget, opts: { timeoutMs: number; cutByDeadline?: boolean }): Promise<SqlOutcome> {
  const started = performance.now();
  const timeoutMs = Math.max(1, Math.round(opts.timeoutMs));
  try {
    return await withSession(
      target,
      async (session) => {
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
        const failures = judge(check, rows, error, opts.cutByDeadline ? 'the overall deadline (deadline-seconds)' : `${timeoutMs / 1000} s (timeout-seconds)`);
        return { ok: failures.length === 0, ms, failures };
      },
      { connectTimeoutMs: timeoutMs },
    );
  } catch (err) {
    // withSession turns connection failures into messages that name host:port/db and no secret.
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, ms: performance.now() - started, failures: [message], unreachable: true };
  }
}

function judge(check: SqlCheck, rows: unknown[][] | undefined, error: { code?: string; message: string } | undefined, limit: string): string[] {
  if (check.expectError !== undefined) {
    if (!error) return [`the query succeeded (${rows?.length ?? 0} rows), expected an error${check.expectError === true ? '' : ` containing ${show(check.expectError)}`}`];
    const expected = check.expectError;
    const code = error.code ?? '';
    if (expected !== true && code === expected.toUpperCase()) return [];
    if (NOT_AN_ANSWER.test(code)) return [`the query could not run (${describeError(error, limit)}), so the expected error was not observed`];
    if (expected === true || error.message.toLowerCase().includes(expected.toLowerCase())) return [];
    return [`the query failed with ${show(error.message)}${code ? ` (SQLSTATE ${code})` : ''}, expected an error containing ${show(expected)}`];
  }
  if (error) return [`the query failed: ${describeError(error, limit)}`];
  const failures: string[] = [];
  const count = rows?.length ?? 0;
  if (check.expectRows && !inRange(count, check.expectRows)) failures.push(`${count} rows, expected ${formatRange(check.expectRows)}`);
  if (check.expectValue) {
    if (!count) failures.push(`no rows, expected the value ${show(check.expectValue.value)}`);
    else {
      const actual = rows![0]![0];
      if (!sameValue(actual, check.expectValue.value)) failures.push(`the value is ${show(actual)}, expected ${show(check.expectValue.value)}`);
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
