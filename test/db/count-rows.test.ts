// Row counts for the manifest and restore-db's check, batched a few hundred tables per query:
// every table keeps its own count, in its own place, whatever the batch it fell in.
import { describe, expect, it } from 'vitest';
import { COUNT_BATCH, countRows } from '../../src/db/catalog.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { withSession } from '../../src/db/session.js';
import { createTestDatabase } from '../helpers/pg.js';

describe('countRows', () => {
  it('counts more tables than one batch holds, each in its place, with excluded data as null', async () => {
    const db = await createTestDatabase('rk_counts');
    const n = COUNT_BATCH + 7;
    const names = Array.from({ length: n }, (_, i) => (i === 3 ? 'Odd "name"' : `t${i}`));
    const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
    await db.query(
      `CREATE SCHEMA "Other"; ` +
        names.map((name, i) => `CREATE TABLE "Other".${quote(name)} (x int); INSERT INTO "Other".${quote(name)} SELECT generate_series(1, ${i % 13});`).join('\n'),
    );
    const tables = names.map((name) => ({ schema: 'Other', name }));
    const excluded = [tables[5]!, tables[COUNT_BATCH + 1]!];
    const counts = await withSession(parseConnectionString(db.url), (s) => countRows(s, tables, excluded));
    expect(counts).toEqual(tables.map((t, i) => ({ ...t, rows: excluded.includes(t) ? null : i % 13 })));
  });

  it('counts nothing when every table is excluded, and an empty list', async () => {
    const db = await createTestDatabase('rk_counts');
    await db.query('CREATE TABLE a (x int)');
    const t = { schema: 'public', name: 'a' };
    await withSession(parseConnectionString(db.url), async (s) => {
      expect(await countRows(s, [t], [t])).toEqual([{ ...t, rows: null }]);
      expect(await countRows(s, [])).toEqual([]);
    });
  });

  it('stops counting a table at atMost, and counts a smaller one whole', async () => {
    const db = await createTestDatabase('rk_fix_cover_counts');
    await db.query('CREATE TABLE big (x int); INSERT INTO big SELECT generate_series(1, 30); CREATE TABLE small (x int); INSERT INTO small VALUES (1), (2)');
    const tables = [{ schema: 'public', name: 'big' }, { schema: 'public', name: 'small' }];
    const counts = await withSession(parseConnectionString(db.url), (s) => countRows(s, tables, [], 11));
    expect(counts.map((c) => c.rows)).toEqual([11, 2]);
  });
});
