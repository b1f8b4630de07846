// Schema and table patterns with many `*` against long names: pg_dump's wildcards as a regular
// expression backtrack exponentially ("a*a*a*…b" against "aaaa…"), and snapshot-db hung. They are
// matched by a wildcard matcher now, so a snapshot with such a pattern finishes with the same answer.
import { readFileSync } from 'node:fs';
import { beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';
import { tempDir } from '../helpers/temp-dir.js';

const LONG = 'a'.repeat(60);
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('rk_globs');
  await db.query(`CREATE SCHEMA ${LONG}; CREATE TABLE ${LONG}.${LONG} (x int); INSERT INTO ${LONG}.${LONG} VALUES (1);
    CREATE TABLE public.${LONG} (y int); INSERT INTO public.${LONG} VALUES (2);`);
});

/** Matches nothing, after trying every way to place 25 `*` in a 60-character name. */
const NEVER = `${'a*'.repeat(25)}b`;
/** Matches the long name (and only names of a's). */
const ALL_AS = `${'a*'.repeat(25)}a`;

async function snapshot(inputs: Record<string, string>) {
  const run = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': await tempDir('rk-globs-'), ...inputs });
  expect(run.errors).toEqual([]);
  expect(run.code).toBe(0);
  const manifest = JSON.parse(readFileSync(run.outputs['manifest-path']!, 'utf8')) as { tables: { schema: string; name: string; rows: number | null }[] };
  return manifest.tables.map((t) => `${t.schema === LONG ? 'LONG' : t.schema}.${t.name === LONG ? 'LONG' : t.name}:${t.rows ?? 'no rows'}`).sort();
}

it('exclude-schemas with many wildcards: a pattern that matches nothing finishes', async () => {
  expect(await snapshot({ 'exclude-schemas': NEVER })).toEqual(['LONG.LONG:1', 'public.LONG:1']);
});

it('exclude-schemas with many wildcards: a pattern that matches excludes', async () => {
  expect(await snapshot({ 'exclude-schemas': ALL_AS })).toEqual(['public.LONG:1']);
});

it('exclude-table-data with many wildcards in the schema and the table part', async () => {
  expect(await snapshot({ 'exclude-table-data': `${NEVER}.${NEVER}, ${ALL_AS}.${ALL_AS}` })).toEqual(['LONG.LONG:no rows', 'public.LONG:1']);
  expect(await snapshot({ 'exclude-table-data': `${'*'.repeat(40)}a, ${NEVER}` })).toEqual(['LONG.LONG:1', 'public.LONG:no rows']);
});
