// A table or schema pattern that matches nothing lists what there is (bounded: the first 20 and how
// many more) and says what to write. `--export-tables nosuch` once said only "matches no table.",
// and `--exclude-table-data` / `--exclude-schemas` warned without a list, while a wrong `--schemas`
// listed the schemas. From the command's source, on real PostgreSQL.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { runMain } from './run-main.js';

let db: TestDatabase;
let cwd: string;
const names = Array.from({ length: 25 }, (_, i) => `t${String(i + 1).padStart(2, '0')}`);
const listed = `there are ${names.slice(0, 20).map((n) => `public.${n}`).join(', ')} and 5 more`;

beforeAll(async () => {
  db = await createTestDatabase('rk_unmatched_names');
  await db.query(names.map((n) => `CREATE TABLE ${n} (id int, created_at timestamptz)`).join('; '));
  cwd = await mkdtemp(join(tmpdir(), 'rk-unmatched-names-'));
});

afterAll(async () => {
  await db?.drop();
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

it('--export-tables naming no table lists the tables there are and says what to write', async () => {
  const run = await runMain(['snapshot', '--export-since', '2026-01-01T00:00:00Z', '--export-tables', 'nosuch'], { cwd, env: { DATABASE_URL: db.url } });
  expect(run.code).toBe(1);
  const said = run.stderr.replace(/\s+/g, ' ');
  expect(said).toContain(`--export-tables names nosuch, which matches no table; ${listed}.`);
  expect(said).toContain('Name tables as table (on the search path, usually public) or schema.table');
});

it('--exclude-table-data and --exclude-schemas that match nothing say what there is', async () => {
  const run = await runMain(['snapshot', '--exclude-table-data', 'nosuch', '--exclude-schemas', 'old'], { cwd, env: { DATABASE_URL: db.url } });
  expect(run.code).toBe(0);
  const said = (run.stdout + run.stderr).replace(/\s+/g, ' ');
  expect(said).toContain(`"nosuch" matches no table, so all its rows are dumped; ${listed}.`);
  expect(said).toContain('"old" matches no schema, so it leaves nothing out; there are public.');
});
