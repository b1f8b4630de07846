// `rollback-kit snapshot --export-since … --export-tables …` keeps the new rows as CSV beside the
// snapshot; the person (and the script) must be told where, or the rows are as good as lost.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { runMain } from './run-main.js';
import { tempDir } from '../helpers/temp-dir.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('rk_cli_exports');
  await db.query(`CREATE TABLE orders (id int PRIMARY KEY, created_at timestamptz NOT NULL);
    INSERT INTO orders VALUES (1, '2025-01-01T00:00:00Z'), (2, '2025-06-01T00:00:00Z'), (3, '2025-06-02T00:00:00Z')`);
});

const SINCE = ['--export-since', '2025-05-01T00:00:00Z', '--export-tables', 'orders'];

describe('where the CSV exports went', () => {
  it('the text names the folder, the rows and the tables', async () => {
    const out = await tempDir('rk-cli-exports-');
    const run = await runMain(['snapshot', '--output-dir', out, ...SINCE], { cwd: out, env: { DATABASE_URL: db.url } });
    expect(run.code, run.stderr).toBe(0);
    const line = /^CSV exports in (\S+): 2 row\(s\) of 1 table\(s\) with created_at after 2025-05-01T00:00:00\.000Z$/m.exec(run.stdout);
    expect(line, run.stdout).not.toBeNull();
    const dir = line![1]!;
    expect(dir.startsWith(out)).toBe(true);
    expect(readFileSync(join(dir, 'public.orders.csv'), 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('--json has exportsDir and each exported table', async () => {
    const out = await tempDir('rk-cli-exports-');
    const run = await runMain(['snapshot', '--output-dir', out, '--json', ...SINCE], { cwd: out, env: { DATABASE_URL: db.url } });
    expect(run.code, run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout) as { path: string; exportsDir: string; exports: { table: string; file: string; rows: number }[] };
    expect(doc.exportsDir).toBe(`${doc.path}.exports`);
    expect(existsSync(join(doc.exportsDir, 'public.orders.csv'))).toBe(true);
    expect(doc.exports).toEqual([{ table: 'public.orders', file: 'public.orders.csv', rows: 2 }]);
  });

  it('without exports: no line, and exportsDir is null', async () => {
    const out = await tempDir('rk-cli-exports-');
    const run = await runMain(['snapshot', '--output-dir', out, '--json'], { cwd: out, env: { DATABASE_URL: db.url } });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ exportsDir: null, exports: [] });
  });
});
