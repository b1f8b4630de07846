// actions/smoke-test/README.md says which writes in an SQL check the spec check refuses before
// anything runs and which only PostgreSQL refuses (a read-only transaction, a cursor). It said every
// write reached PostgreSQL, while INSERT, UPDATE, DELETE and MERGE never get past the spec check.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { sqlStatementProblem } from '../../src/smoke/sql-statement.js';
import { ROOT } from '../helpers/run-action.js';

const readme = readFileSync(join(ROOT, 'actions/smoke-test/README.md'), 'utf8').replace(/\s+/g, ' ');

it('the writes the README says the spec check refuses, it refuses', () => {
  expect(readme).toContain('a statement that starts with `INSERT`, `UPDATE`, `DELETE` or `MERGE` is not a query that reads, and any `INTO`');
  for (const q of ['INSERT INTO t VALUES (1)', 'UPDATE t SET a = 1', 'DELETE FROM t', 'MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE', 'WITH x AS (INSERT INTO t VALUES (1) RETURNING *) SELECT 1', 'EXPLAIN ANALYZE INSERT INTO t VALUES (1)']) {
    expect(sqlStatementProblem(q), q).toBeDefined();
  }
});

it('the writes the README says reach PostgreSQL, reach it', () => {
  expect(readme).toContain('refused by PostgreSQL instead: `nextval()`, `SELECT … FOR UPDATE`, and an `UPDATE` or `DELETE` inside a `WITH` or `EXPLAIN ANALYZE`');
  for (const q of ["SELECT nextval('s')", 'SELECT * FROM t FOR UPDATE', 'WITH x AS (DELETE FROM t RETURNING *) SELECT 1', 'WITH x AS (UPDATE t SET a = 1 RETURNING *) SELECT 1', 'EXPLAIN ANALYZE DELETE FROM t', 'EXPLAIN ANALYZE UPDATE t SET a = 1']) {
    expect(sqlStatementProblem(q), q).toBeUndefined();
  }
});
