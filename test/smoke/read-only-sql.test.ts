// An SQL smoke check can never change data, whatever its text. A check that tries (several
// statements, transaction or session control, a write) is a mistake in the spec, not an
// observation: the step fails with no verdict, even with fail-step false, and every row is kept.
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConnectionString, type ConnectionTarget } from '../../src/db/connection.js';
import { CheckConfigError } from '../../src/smoke/config-error.js';
import { probeSql } from '../../src/smoke/sql-probe.js';
import type { SqlCheck } from '../../src/smoke/spec.js';
import { memoryLog } from '../../src/core/log.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { startStrictPooler } from '../helpers/strict-pooler.js';
import { runAction, type ActionRun } from '../helpers/run-action.js';

let db: TestDatabase;
let target: ConnectionTarget;
beforeAll(async () => {
  db = await createTestDatabase('rk_smoke_ro');
  target = parseConnectionString(db.url);
  await db.query('CREATE TABLE orders (id serial PRIMARY KEY, total int NOT NULL)');
});
beforeEach(async () => {
  await db.query("TRUNCATE orders RESTART IDENTITY; INSERT INTO orders (total) SELECT g FROM generate_series(1, 5) g; SELECT setval('orders_id_seq', 5)");
});

async function state(): Promise<{ rows: number; next: string; readOnlyDefault: string }> {
  const { rows } = await db.query<{ rows: number; next: string; d: string }>(
    "SELECT (SELECT count(*)::int FROM orders) AS rows, (SELECT last_value::text FROM orders_id_seq) AS next, current_setting('default_transaction_read_only') AS d",
  );
  return { rows: rows[0]!.rows, next: rows[0]!.next, readOnlyDefault: rows[0]!.d };
}
const UNCHANGED = { rows: 5, next: '5', readOnlyDefault: 'off' };

async function runQuery(query: string): Promise<ActionRun> {
  return runAction('smoke-test', {
    'database-url': db.url,
    checks: `- name: orders readable\n  critical: true\n  query: ${JSON.stringify(query)}\n`,
    attempts: 1,
    'timeout-seconds': 5,
    'fail-step': false,
  });
}

function expectNoVerdict(run: ActionRun, message: RegExp): void {
  expect(run.code).toBe(1);
  expect(run.outputs).toEqual({});
  expect(run.errors).toHaveLength(1);
  expect(run.errors[0]).toMatch(message);
  expect(run.log).not.toMatch(/decision rollback/);
}

describe('SQL checks: several statements are a spec error, and nothing runs', () => {
  const queries = [
    'COMMIT; DELETE FROM orders; SELECT 1',
    'ROLLBACK; DELETE FROM orders; SELECT 1',
    'END; DELETE FROM orders; SELECT 1',
    'SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE; DELETE FROM orders',
    'SET default_transaction_read_only = off; DELETE FROM orders',
    'select count(*) from orders; delete from orders',
    "SELECT 1 /* ; */; -- ;\nDELETE FROM orders",
  ];
  for (const query of queries) {
    it(query, async () => {
      const run = await runQuery(query);
      expectNoVerdict(run, /^The smoke check spec \(checks input\) has 1 problem, so nothing was run: line 3, check "orders readable", field "query": must be exactly one SQL statement, and this has \d+/);
      expect(await state()).toEqual(UNCHANGED);
    });
  }
});

describe('SQL checks: transaction and session control are a spec error', () => {
  for (const [query, word] of [
    ['COMMIT', 'COMMIT'],
    ['end', 'END'],
    ['ROLLBACK', 'ROLLBACK'],
    ['begin read write', 'BEGIN'],
    ['SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE', 'SET'],
    ['/* hi */ set default_transaction_read_only = off', 'SET'],
    ['RESET ALL', 'RESET'],
    ["COPY orders TO PROGRAM 'true'", 'COPY'],
  ]) {
    it(query!, async () => {
      const run = await runQuery(query!);
      expectNoVerdict(run, new RegExp(`field "query": ${word} is not allowed: a check runs one statement inside a read-only transaction`));
      expect(await state()).toEqual(UNCHANGED);
    });
  }
});

describe('SQL checks: a statement that is not a query is a spec error, and nothing runs', () => {
  for (const [query, word] of [
    ['DELETE FROM orders', 'DELETE'],
    ['DO $$ BEGIN DELETE FROM orders; END $$', 'DO'],
    ['CREATE TABLE smuggled (id int)', 'CREATE'],
  ]) {
    it(query!, async () => {
      const run = await runQuery(query!);
      expectNoVerdict(run, new RegExp(`field "query": ${word} is not allowed: a check is one query that reads`));
      expect(await state()).toEqual(UNCHANGED);
      expect((await db.query("SELECT to_regclass('smuggled') AS t")).rows[0]!.t).toBeNull();
    });
  }
});

describe('SQL checks: a statement that tries to write is a configuration error, not an outage', () => {
  for (const query of [
    'WITH gone AS (DELETE FROM orders RETURNING id) SELECT count(*) FROM gone',
    "SELECT nextval('orders_id_seq')",
    'SELECT id FROM orders FOR UPDATE',
    'EXPLAIN ANALYZE DELETE FROM orders',
    "SELECT set_config('transaction_read_only', 'off', false)",
  ]) {
    it(query, async () => {
      const run = await runQuery(query);
      expectNoVerdict(run, /^The SQL check "orders readable" is not a read-only query: .* \(SQLSTATE (25\w{3}|0A000)\); nothing was changed\. This is a configuration error, not an outage: nothing was decided/);
      expect(run.summary).toContain('is not a read-only query');
      expect(await state()).toEqual(UNCHANGED);
      expect((await db.query("SELECT to_regclass('smuggled') AS t")).rows[0]!.t).toBeNull();
    });
  }

  it('a read-only query still passes, and the database keeps its own default', async () => {
    const run = await runQuery("SELECT count(*) FROM orders WHERE total > 0");
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ passed: 'true', decision: 'none' });
    expect(await state()).toEqual(UNCHANGED);
  });
});

describe('SQL probe: the server refuses what validation would have refused', () => {
  const check = (query: string): SqlCheck => ({ kind: 'sql', name: 'raw', critical: true, query });

  it('several statements in one query: PostgreSQL refuses them (extended protocol)', async () => {
    const err = await probeSql(check('COMMIT; DELETE FROM orders; SELECT 1'), target, { timeoutMs: 5000, log: memoryLog() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckConfigError);
    expect((err as Error).message).toMatch(/cannot insert multiple commands into a prepared statement \(SQLSTATE 42601\)/);
    expect(await state()).toEqual(UNCHANGED);
  });

  it('a COMMIT alone ends the read-only transaction: seen after the query', async () => {
    const err = await probeSql(check('COMMIT'), target, { timeoutMs: 5000, log: memoryLog() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckConfigError);
    expect((err as Error).message).toMatch(/^The SQL check "raw" left its read-only transaction\./);
  });

  it('SET TRANSACTION READ WRITE comes too late: the transaction has its snapshot', async () => {
    const err = await probeSql(check('SET TRANSACTION READ WRITE'), target, { timeoutMs: 5000, log: memoryLog() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckConfigError);
    expect((err as Error).message).toMatch(/transaction read-write mode must be set before any query \(SQLSTATE 25001\)/);
  });

  it('the session itself is read-only, even when the URL asks otherwise', async () => {
    // Percent-encoded as libpq reads it (it does not decode `+`).
    const url = `${db.url}${db.url.includes('?') ? '&' : '?'}options=${encodeURIComponent('-c default_transaction_read_only=off')}`;
    const sessionDefault = { ...check('SHOW default_transaction_read_only'), expectValue: { value: 'on' } };
    const outcome = await probeSql(sessionDefault, parseConnectionString(url), { timeoutMs: 5000, log: memoryLog() });
    expect(outcome).toMatchObject({ ok: true, failures: [] });
  });

  it('behind a pooler that refuses startup options, the READ ONLY transaction still holds', async () => {
    const pooler = await startStrictPooler();
    try {
      const behind = { ...target, host: '127.0.0.1', port: pooler.port };
      const ok = await probeSql({ ...check('SELECT count(*) FROM orders'), expectValue: { value: 5 } }, behind, { timeoutMs: 5000, log: memoryLog() });
      expect(ok).toMatchObject({ ok: true, failures: [] });
      expect(pooler.refused).toBe(1);
      const err = await probeSql(check('DELETE FROM orders'), behind, { timeoutMs: 5000, log: memoryLog() }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CheckConfigError);
      expect((err as Error).message).toMatch(/cannot execute DELETE in a read-only transaction \(SQLSTATE 25006\)/);
      expect(await state()).toEqual(UNCHANGED);
    } finally {
      await pooler.stop();
    }
  });
});
