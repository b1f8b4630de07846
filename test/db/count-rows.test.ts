// Row counts for the manifest and restore-db's check, batched a few hundred tables per query:
// every table keeps its own count, in its own place, whatever the batch it fell in.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { COUNT_BATCH, countRows, RowSecurityHidesRows } from '../../src/db/catalog.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { withSession } from '../../src/db/session.js';
import { adminQuery, createTestDatabase } from '../helpers/pg.js';

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

describe('countRows under row-level security', () => {
  it('never returns a count the policies cut: refuses it, naming the table and what lets the user see every row', async () => {
    const db = await createTestDatabase('rk_coverage_rls_counts');
    const role = `rk_coverage_rls_${randomBytes(4).toString('hex')}`;
    await adminQuery(`CREATE ROLE ${role} LOGIN`);
    try {
      // Rows no policy shows to the role (RLS on, none for it), and a table without RLS beside it.
      await db.query(`CREATE TABLE hidden (x int); INSERT INTO hidden SELECT generate_series(1, 5); ALTER TABLE hidden ENABLE ROW LEVEL SECURITY;
        CREATE TABLE open (x int); INSERT INTO open VALUES (1), (2);
        GRANT SELECT ON hidden, open TO ${role}`);
      const tables = [{ schema: 'public', name: 'open' }, { schema: 'public', name: 'hidden' }];
      const target = { ...parseConnectionString(db.url), user: role };
      for (const atMost of [undefined, 3]) {
        const err = await withSession(target, (s) => countRows(s, tables, [], atMost)).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(RowSecurityHidesRows);
        expect((err as RowSecurityHidesRows).message).toBe(`Row-level security hides rows of table public.hidden from user ${role}, so its rows cannot be counted.`);
        expect((err as RowSecurityHidesRows).hint).toBe(`To count them, let user ${role} bypass row-level security (ALTER ROLE ${role} BYPASSRLS;), or connect as its owner postgres; then run again.`);
      }
      // Its owner, not forced: every row. Forced: refused as well.
      expect((await withSession(parseConnectionString(db.url), (s) => countRows(s, tables))).map((c) => c.rows)).toEqual([2, 5]);
      await db.query(`ALTER TABLE hidden OWNER TO ${role}`);
      expect((await withSession(target, (s) => countRows(s, tables))).map((c) => c.rows)).toEqual([2, 5]);
      await db.query('ALTER TABLE hidden FORCE ROW LEVEL SECURITY');
      const forced = await withSession(target, (s) => countRows(s, tables)).catch((e: unknown) => e);
      expect((forced as RowSecurityHidesRows).hint).toBe(`To count them, let user ${role} bypass row-level security (ALTER ROLE ${role} BYPASSRLS;); then run again.`);
      // With row_security off (snapshot-db's session, as pg_dump's) the server refuses the count itself.
      const off = await withSession(target, async (s) => {
        await s.query('SET row_security = off');
        return countRows(s, tables);
      }).catch((e: unknown) => e);
      expect((off as Error).message).toMatch(/row-level security policy for table "hidden"/);
      await adminQuery(`ALTER ROLE ${role} BYPASSRLS`);
      expect((await withSession(target, (s) => countRows(s, tables))).map((c) => c.rows)).toEqual([2, 5]);
    } finally {
      await db.drop();
      await adminQuery(`DROP ROLE IF EXISTS ${role}`);
    }
  });
});
