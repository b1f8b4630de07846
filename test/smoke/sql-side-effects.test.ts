// A READ ONLY transaction does not stop everything: PostgreSQL lets it take an ACCESS EXCLUSIVE
// lock, ANALYZE, CHECKPOINT, and call functions whose effect no ROLLBACK undoes (a replication slot
// that keeps WAL until the disk is full, other sessions ended). Such a check is refused when the
// spec is read, before any session exists, and the database is left exactly as it was.
import { describe, expect, it } from 'vitest';
import { parseChecks, SpecError } from '../../src/smoke/parse-spec.js';
import { sqlStatementProblem } from '../../src/smoke/sql-statement.js';

const parse = (query: string) => parseChecks(`- name: looks\n  query: ${JSON.stringify(query)}\n`, { hasDatabase: true });

describe('SQL checks that a read-only transaction would let act on the server are refused when the spec is read', () => {
  for (const [query, said] of [
    ['LOCK TABLE orders IN ACCESS EXCLUSIVE MODE', /LOCK is not allowed: a check is one query that reads \(SELECT, WITH, VALUES, TABLE, SHOW or EXPLAIN\)/],
    ['ANALYZE orders', /ANALYZE is not allowed/],
    ['CHECKPOINT', /CHECKPOINT is not allowed/],
    ['DELETE FROM orders', /DELETE is not allowed/],
    ['DO $$ BEGIN PERFORM pg_sleep(0); END $$', /DO is not allowed/],
    ["LOAD 'auto_explain'", /LOAD is not allowed/],
    ["SELECT pg_create_physical_replication_slot('rk_slot')", /calls pg_create_physical_replication_slot\(\), which is not allowed/],
    ["SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'shop'", /calls pg_terminate_backend\(\)/],
    ['select PG_CANCEL_BACKEND (42)', /calls pg_cancel_backend\(\)/],
    ['SELECT pg_catalog.pg_reload_conf()', /calls pg_reload_conf\(\)/],
    ['SELECT "pg_switch_wal"()', /calls pg_switch_wal\(\)/],
    ['SELECT pg_stat_reset_shared(\'bgwriter\')', /calls pg_stat_reset_shared\(\)/],
    ['SELECT pg_advisory_lock(1)', /calls pg_advisory_lock\(\)/],
    ['SELECT pg_try_advisory_lock(1)', /calls pg_try_advisory_lock\(\)/],
    ["SELECT pg_read_file('postgresql.auto.conf')", /calls pg_read_file\(\)/],
    ["SELECT lo_export(1, '/tmp/x')", /calls lo_export\(\)/],
    ["SELECT query_to_xml('select pg_' || 'terminate_backend(1)', true, false, '')", /calls query_to_xml\(\)/],
    ["SELECT count(*) FROM dblink('host=elsewhere', 'delete from t') AS t(n int)", /calls dblink\(\)/],
    ['EXPLAIN ANALYZE SELECT pg_drop_replication_slot(\'x\')', /calls pg_drop_replication_slot\(\)/],
    ['WITH t AS (SELECT pg_switch_wal()) SELECT 1 FROM t', /calls pg_switch_wal\(\)/],
    ['SELECT U&"\\0070g_reload_conf"()', /Unicode-escaped identifier/],
    ['SELECT id INTO TEMP copied FROM orders', /may not hold INTO \(SELECT … INTO creates a table/],
    ['WITH w AS (INSERT INTO orders VALUES (1) RETURNING 1) SELECT count(*) FROM w', /may not hold INTO/],
  ] as const) {
    it(query, () => {
      expect(sqlStatementProblem(query)).toMatch(said);
      const err = (() => {
        try {
          parse(query);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(SpecError);
      expect((err as Error).message).toMatch(/field "query"/);
      // Never quotes the query (a one-word statement is its own first keyword).
      if (query.includes(' ')) expect((err as Error).message).not.toContain(query);
    });
  }

  for (const query of [
    'SELECT count(*) FROM orders',
    '(SELECT 1)',
    '/* c */ select 1',
    'WITH t AS (SELECT 1 AS n) SELECT n FROM t',
    'VALUES (1)',
    'TABLE orders',
    'SHOW server_version',
    'EXPLAIN SELECT 1',
    "SELECT pg_is_in_recovery(), pg_postmaster_start_time(), current_setting('server_version')",
    'SELECT count(*) FROM pg_stat_activity',
    'SELECT my_pg_terminate_backend_log FROM audit',
    "SELECT set_config('statement_timeout', '1000', true)",
    "SELECT count(*) FROM orders WHERE note = 'put into the box'",
    'SELECT "into" FROM words',
  ]) {
    it(`${query} may run`, () => {
      expect(sqlStatementProblem(query)).toBeUndefined();
      expect(parse(query)).toHaveLength(1);
    });
  }
});
