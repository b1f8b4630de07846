// SQL checks on real PostgreSQL: row counts, values, expected errors (seed 000 step 3.5: the new
// release's tables must be gone), and the rule that an unreachable database never passes.
import { beforeAll, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString, type ConnectionTarget } from '../../src/db/connection.js';
import { parseChecks } from '../../src/smoke/parse-spec.js';
import { runChecks, type CheckResult, type SmokeOptions } from '../../src/smoke/run-checks.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { refusedUrl } from './servers.js';

let db: TestDatabase;
let target: ConnectionTarget;
beforeAll(async () => {
  db = await createTestDatabase('rk_smoke');
  target = parseConnectionString(db.url);
  await db.query(`
    CREATE TABLE service_tickets (id serial PRIMARY KEY, title text NOT NULL);
    CREATE TABLE customers (id serial PRIMARY KEY, name text);
    INSERT INTO service_tickets (title) VALUES ('a'), ('b'), ('c');
  `);
});

const options = (database: ConnectionTarget): SmokeOptions => ({
  attempts: 1,
  intervalSeconds: 0.01,
  backoff: 'fixed',
  timeoutSeconds: 5,
  samples: 1,
  maxErrorRate: 5,
  maxP95Ms: 3000,
  deadlineSeconds: 60,
  database,
});

async function one(yaml: string, opts: Partial<SmokeOptions> = {}): Promise<CheckResult> {
  const checks = parseChecks(yaml, { hasDatabase: true });
  const [r] = await runChecks(checks, { ...options(target), ...opts }, memoryLog());
  return r!;
}

describe('SQL checks', () => {
  it('expect-rows: a count or a range', async () => {
    expect((await one('- {name: t, query: select * from service_tickets, expect-rows: 3}')).passed).toBe(true);
    expect((await one('- {name: t, query: select * from service_tickets, expect-rows: "1.."}')).passed).toBe(true);
    expect((await one('- {name: t, query: select * from customers, expect-rows: "1.."}')).reason).toBe('0 rows, expected 1..');
    expect((await one('- {name: t, query: select * from service_tickets, expect-rows: "..2"}')).reason).toBe('3 rows, expected ..2');
  });

  it('expect-value: the first column of the first row, numbers compared by value', async () => {
    expect((await one('- {name: t, query: select count(*) from service_tickets, expect-value: 3}')).passed).toBe(true);
    expect((await one("- {name: t, query: select title from service_tickets order by id limit 1, expect-value: a}")).passed).toBe(true);
    expect((await one('- {name: t, query: select count(*) > 0 from service_tickets, expect-value: true}')).passed).toBe(true);
    expect((await one('- {name: t, query: select count(*) from customers, expect-value: 3}')).reason).toBe('the value is "0", expected 3');
    expect((await one('- {name: t, query: select 1 where false, expect-value: 1}')).reason).toBe('no rows, expected the value 1');
  });

  it('expect-error: a table that must be gone after the rollback', async () => {
    const gone = await one('- {name: phase 2 tables removed, query: select count(*) from task_templates, expect-error: does not exist}');
    expect(gone).toMatchObject({ passed: true, failures: [] });
    expect((await one('- {name: g, query: select count(*) from task_templates, expect-error: 42P01}')).passed).toBe(true);
    expect((await one('- {name: g, query: select count(*) from task_templates, expect-error: true}')).passed).toBe(true);

    const still = await one('- {name: g, query: select count(*) from service_tickets, expect-error: does not exist}');
    expect(still).toMatchObject({ passed: false, reason: 'the query succeeded (1 rows), expected an error containing "does not exist"' });

    const other = await one('- {name: g, query: select 1/0, expect-error: does not exist}');
    expect(other.reason).toBe('the query failed with "division by zero" (SQLSTATE 22012), expected an error containing "does not exist"');
  });

  it('an unreachable database fails expect-error checks: no answer is not the expected error', async () => {
    const refused = parseConnectionString(`${(await refusedUrl()).replace('http:', 'postgres:')}/nothing`);
    const r = await one('- {name: g, query: select 1 from task_templates, expect-error: true}', { database: refused });
    expect(r).toMatchObject({ passed: false, unreachable: true });
    expect(r.reason).toMatch(/^Cannot reach PostgreSQL at 127\.0\.0\.1:\d+\/nothing: connection refused/);
  });

  it('a statement timeout is a failure, for expect-error checks too, naming the setting that gave it', async () => {
    // The check's own timeout-seconds: raising the input would change nothing.
    const r = await one('- {name: slow, query: select pg_sleep(2), timeout-seconds: 0.2}');
    expect(r.reason).toBe('the query failed: cancelled by 0.2 s (the check\'s "timeout-seconds")');
    const e = await one('- {name: slow, query: select pg_sleep(2), expect-error: true, timeout-seconds: 0.2}');
    expect(e.passed).toBe(false);
    expect(e.reason).toMatch(/could not run \(cancelled by 0\.2 s \(the check's "timeout-seconds"\)\), so the expected error was not observed/);
    // The step's input.
    const i = await one('- {name: slow, query: select pg_sleep(2)}', { timeoutSeconds: 0.2 });
    expect(i.reason).toBe('the query failed: cancelled by 0.2 s (timeout-seconds)');
  });

  it('a query cannot outlive the overall deadline', async () => {
    const r = await one('- {name: slow, query: select pg_sleep(30)}', { timeoutSeconds: 60, deadlineSeconds: 0.3 });
    // The server's cancel or our own end of the probe, whichever is first: both say the deadline.
    expect(r).toMatchObject({ passed: false, attempts: 1, reason: expect.stringMatching(/^(the query failed: cancelled by|cut short by) the overall deadline \(deadline-seconds\)$/) });
  });

  it('runs read-only and changes nothing: a write is a configuration error, not a failed check', async () => {
    await expect(one("- {name: w, query: \"select nextval('customers_id_seq')\"}")).rejects.toThrow(/^The SQL check "w" is not a read-only query: cannot execute nextval\(\) in a read-only transaction \(SQLSTATE 25006\)/);
    await expect(one("- {name: w, query: \"with w as (update customers set name = 'x' returning 1) select count(*) from w\"}")).rejects.toThrow(/^The SQL check "w" is not a read-only query: its WITH holds a statement that writes \(INSERT, UPDATE, DELETE or MERGE\) \(SQLSTATE 0A000\)/);
    expect((await db.query('select count(*)::int as n from customers')).rows[0]!.n).toBe(0);
  });

  it('a failing query makes a plain check fail with the server message', async () => {
    const r = await one('- {name: t, query: select * from task_templates}');
    expect(r).toMatchObject({ passed: false, unreachable: false, reason: 'the query failed: relation "task_templates" does not exist (SQLSTATE 42P01)' });
  });
});
