// The SQL readers through a real bundle: a down migration that fails prints its statement (the
// ::error:: line, the log, the summary), and a key written in it by a CTE's SELECT or by SQL
// Server's UPDATE TOP (n) / WITH (hints) is hidden in every file the run produced.
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/pg.js';
import { findLeaks } from '../helpers/leak-scan.js';
import { runAction } from '../helpers/run-action.js';
import { applyMigrations, tables, workspace, writeMigrations } from '../migrations/fixtures.js';

describe('run-down-migrations: a failing down statement that writes a key', () => {
  it.each([
    ['a CTE of a SELECT', 'Qm7vX2pL9tR4wK8c', (k: string) => `WITH s AS (SELECT 'ci' AS n, '${k}' AS k) UPDATE api_keys SET key = s.k FROM s WHERE s.n = api_keys.name;`],
    ['UPDATE TOP (n)', 'Zt3nB8qW1xH6yL5d', (k: string) => `UPDATE TOP (10) api_keys SET key = '${k}' WHERE name = 'ci';`],
    ['table hints', 'Pr4sJ9mC2vN7kQ1e', (k: string) => `UPDATE api_keys WITH (ROWLOCK) SET key = '${k}';`],
  ])('%s: the key is in no file the run produced, the statement is', async (_what, key, statement) => {
    const db = await createTestDatabase('rk_sql_bundle');
    const ws = await workspace();
    const steps = tables(2);
    steps[1]!.down = `${statement(key)}\nDROP TABLE t2;`;
    const dir = await writeMigrations(ws, 'dbmate', steps);
    await applyMigrations(db, 'dbmate', dir, steps);

    const run = await runAction('run-down-migrations', { 'database-url': db.url, 'require-snapshot': 'false', steps: '1' }, { cwd: ws });
    expect(run.code).not.toBe(0);
    expect(run.outputs.status).toBe('failed');
    // The path exists: the statement is printed, its key hidden.
    // The path exists: the statement is printed, its key hidden, and PostgreSQL's message after it shown.
    const error = run.errors.join('\n');
    expect(error).toContain(`statement "${statement('***').replace(/;$/, '').slice(0, 60)}`);
    expect(error).toContain('Its transaction was rolled back');
    expect(await findLeaks(run, [key])).toEqual([]);
  });
});
