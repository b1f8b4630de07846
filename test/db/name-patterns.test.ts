// Schema and table filters follow pg_dump's own name rules, and the manifest describes exactly what
// the archive holds, whatever case, quoting or wildcard the user wrote.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';
import { tempDir } from '../helpers/temp-dir.js';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('rk_names');
  await db.query(`
    CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 100);
    CREATE TABLE "My Table" (x int); INSERT INTO "My Table" VALUES (1), (2);
    CREATE SCHEMA "Billing"; CREATE TABLE "Billing".inv (n int); INSERT INTO "Billing".inv VALUES (1), (2), (3);
    CREATE SCHEMA audit; CREATE TABLE audit.log (m text); INSERT INTO audit.log VALUES ('a');`);
});

/** TABLE and TABLE DATA entries of an archive, as `schema.table`. */
function archiveContents(path: string): { tables: string[]; data: string[] } {
  const list = spawnSync('pg_restore', ['--list', path], { encoding: 'utf8' }).stdout;
  // Lines read `<id>; <catalog> <oid> TABLE DATA <schema> <name> <owner>`; names may hold spaces.
  const entries = (kind: string) =>
    [...list.matchAll(new RegExp(`^\\d+; \\d+ \\d+ ${kind} (\\S+) (.+) \\S+$`, 'gm'))].map((m) => `${m[1]}.${m[2]}`).sort();
  return { tables: entries('TABLE(?! DATA)'), data: entries('TABLE DATA') };
}

describe.each([
  [{ 'exclude-table-data': 'T' }, ['public.t']],
  [{ 'exclude-table-data': 'public.*' }, ['public.My Table', 'public.t']],
  [{ 'exclude-table-data': 'public."My Table"' }, ['public.My Table']],
  [{ 'exclude-table-data': 'My Table' }, []],
  [{ 'exclude-table-data': '"Billing".inv' }, ['Billing.inv']],
  [{ 'exclude-table-data': 'Billing.inv' }, []],
  [{ schemas: 'PUBLIC' }, []],
  [{ schemas: '"Billing"' }, []],
  [{ 'exclude-schemas': 'Billing' }, []],
  [{ 'exclude-schemas': '"Billing", aud*' }, []],
])('%j', (inputs, expectedWithoutRows) => {
  it('the manifest lists exactly the tables and rows the archive holds', async () => {
    const run = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': await tempDir('rk-names-'), ...inputs });
    expect(run.errors).toEqual([]);
    const manifest = JSON.parse(readFileSync(run.outputs['manifest-path']!, 'utf8'));
    const names = (ts: { schema: string; name: string }[]) => ts.map((t) => `${t.schema}.${t.name}`).sort();
    const archive = archiveContents(run.outputs.path!);
    expect(names(manifest.tables)).toEqual(archive.tables);
    const withoutRows = names(manifest.tables.filter((t: { rows: number | null }) => t.rows === null));
    expect(withoutRows).toEqual(expectedWithoutRows);
    expect(names(manifest.tables.filter((t: { rows: number | null }) => t.rows !== null))).toEqual(archive.data);
  });
});

it.each([
  ['Billing', /schemas: "Billing" matches no schema; there are .*Billing.* Unquoted names are folded to lower case, as pg_dump does, and the name is Billing: write "Billing" in double quotes/],
  ['billing', /schemas: "billing" matches no schema; there are .*Billing.* Unquoted names are folded to lower case, as pg_dump does, and the name is Billing: write "Billing" in double quotes/],
  ['"billing"', /schemas: ""billing"" matches no schema; .* Quoted names match exactly and the name is Billing: write "Billing" to match it/],
])('says how to match a mixed-case schema that %s misses', async (pattern, message) => {
  const run = await runAction('snapshot-db', { 'database-url': db.url, schemas: pattern, 'output-dir': await tempDir('rk-names-') });
  expect(run.code).not.toBe(0);
  expect(run.errors).toEqual([expect.stringMatching(message)]);
});

it('restore-db will not empty tables a snapshot has no rows for unless their rows are kept first', async () => {
  const dir = await tempDir('rk-names-');
  const snap = await runAction('snapshot-db', { 'database-url': db.url, 'exclude-table-data': 'audit.log', 'output-dir': dir });
  const refused = await runAction('restore-db', { 'database-url': db.url, 'snapshot-path': snap.outputs.path, confirm: db.name, 'pre-restore-snapshot': 'false' });
  expect(refused.code).not.toBe(0);
  expect(refused.errors).toEqual([expect.stringMatching(/holds no rows for audit\.log .* pre-restore-snapshot is false.*Nothing was changed/)]);
  expect((await db.query('SELECT count(*)::int AS n FROM audit.log')).rows[0]!.n).toBe(1);

  const restored = await runAction('restore-db', { 'database-url': db.url, 'snapshot-path': snap.outputs.path, confirm: db.name });
  expect(restored.code).toBe(0);
  expect(restored.log).toMatch(/holds no rows for audit\.log: the restore leaves them empty; their rows from before are in .*pre-restore/);
  expect(restored.summary).toContain('Restored without rows');
  const pre = archiveContents(restored.outputs['pre-restore-snapshot-path']!);
  expect(pre.data).toContain('audit.log');
});
