// One catalogue read of the tables serves the snapshot (ordinary tables, with their size) and the
// restore (what it leaves as it is: partitioned and foreign tables too); extension members are
// left out of both, as pg_dump leaves them out.
import { expect, it } from 'vitest';
import { listTables } from '../../src/db/catalog.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { withSession } from '../../src/db/session.js';
import { createTestDatabase } from '../helpers/pg.js';

it('lists ordinary tables by default, and the kinds asked for, in schema and name order', async () => {
  const db = await createTestDatabase('rk_list_tables');
  await db.query(`
    CREATE SCHEMA b;
    CREATE TABLE b.plain (x int); INSERT INTO b.plain SELECT generate_series(1, 1000);
    CREATE TABLE public.parted (x int) PARTITION BY RANGE (x);
    CREATE TABLE public.parted_1 PARTITION OF public.parted FOR VALUES FROM (0) TO (10);
    CREATE FOREIGN DATA WRAPPER rk_list_tables_fdw;
    CREATE SERVER rk_list_tables_server FOREIGN DATA WRAPPER rk_list_tables_fdw;
    CREATE FOREIGN TABLE public.remote (x int) SERVER rk_list_tables_server;
    CREATE VIEW public.v AS SELECT 1 AS x;
  `);
  await withSession(parseConnectionString(db.url), async (s) => {
    const ordinary = await listTables(s, ['public', 'b']);
    expect(ordinary.map((t) => `${t.schema}.${t.name}`)).toEqual(['b.plain', 'public.parted_1']);
    expect(ordinary[0]!.bytes).toBeGreaterThan(0);
    const all = await listTables(s, ['public', 'b'], ['r', 'p', 'f']);
    expect(all.map((t) => `${t.schema}.${t.name}`)).toEqual(['b.plain', 'public.parted', 'public.parted_1', 'public.remote']);
    expect(all.find((t) => t.name === 'parted')!.bytes).toBe(0);
    expect(await listTables(s, ['b'], ['p', 'f'])).toEqual([]);
  });
});
