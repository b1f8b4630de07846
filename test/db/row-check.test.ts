// restore-db's row check (rowCheckStatement), run in a transaction of its own against real tables:
// partitions are compared per partitioned table (a hash partition on an enum may route rows to other
// partitions than they came from), and a failure names the tables in order, five at most.
import { describe, expect, it } from 'vitest';
import type { SnapshotManifest } from '../../src/db/manifest.js';
import { rowCheckStatement } from '../../src/db/restore.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

const manifestOf = (tables: { schema: string; name: string; rows: number | null }[]) => ({ rowCounts: 'dumped', tables }) as unknown as SnapshotManifest;

/** The check's error, or undefined when it passes; in a transaction rolled back either way. */
async function check(db: TestDatabase, manifest: SnapshotManifest): Promise<string | undefined> {
  return db.query(`BEGIN; ${rowCheckStatement(manifest, 15)}; ROLLBACK`).then(
    () => undefined,
    (err: Error) => err.message,
  );
}

describe('the row check', () => {
  let db: TestDatabase;

  it('compares partitions per partitioned table, and tables on their own', async () => {
    db = await createTestDatabase('rk_rowcheck');
    await db.query(`
      CREATE TABLE hp (id int) PARTITION BY HASH (id);
      CREATE TABLE hp0 PARTITION OF hp FOR VALUES WITH (MODULUS 3, REMAINDER 0);
      CREATE TABLE hp1 PARTITION OF hp FOR VALUES WITH (MODULUS 3, REMAINDER 1);
      CREATE TABLE hp2 PARTITION OF hp FOR VALUES WITH (MODULUS 3, REMAINDER 2);
      INSERT INTO hp SELECT generate_series(1, 30);
      CREATE TABLE "Odd ""one""" (x int); INSERT INTO "Odd ""one""" SELECT generate_series(1, 4);
      CREATE TABLE skipped (x int); INSERT INTO skipped VALUES (1);`);
    const { rows } = await db.query<{ name: string; n: string }>("SELECT tableoid::regclass::text AS name, count(*) AS n FROM hp GROUP BY 1 ORDER BY 1");
    const actual = Object.fromEntries(rows.map((r) => [r.name, Number(r.n)]));
    expect(actual.hp0! + actual.hp1! + actual.hp2!).toBe(30);
    // The partitions' rows moved between them, their sum is the same: it passes.
    const moved = manifestOf([
      { schema: 'public', name: 'hp0', rows: actual.hp0! + 2 },
      { schema: 'public', name: 'hp1', rows: actual.hp1! - 2 },
      { schema: 'public', name: 'hp2', rows: actual.hp2! },
      { schema: 'public', name: 'Odd "one"', rows: 4 },
      // Dumped without its rows: not counted.
      { schema: 'public', name: 'skipped', rows: null },
    ]);
    expect(await check(db, moved)).toBeUndefined();

    const lost = manifestOf([
      { schema: 'public', name: 'hp0', rows: actual.hp0! + 1 },
      { schema: 'public', name: 'hp1', rows: actual.hp1! },
      { schema: 'public', name: 'hp2', rows: actual.hp2! },
      { schema: 'public', name: 'Odd "one"', rows: 3 },
      { schema: 'public', name: 'skipped', rows: null },
    ]);
    expect(await check(db, lost)).toBe('rollback-kit: the restore does not hold the rows the snapshot holds: "Odd ""one""" (3 expected, 4 restored), hp (31 expected, 30 restored)');
  });

  it('names five tables in order, and how many more', async () => {
    const tables = Array.from({ length: 8 }, (_, i) => ({ schema: 'public', name: `t${8 - i}`, rows: 1 }));
    await db.query(tables.map((t) => `CREATE TABLE ${t.name} (x int); INSERT INTO ${t.name} VALUES (1), (2);`).join('\n'));
    expect(await check(db, manifestOf(tables))).toBe(
      'rollback-kit: the restore does not hold the rows the snapshot holds: t1 (1 expected, 2 restored), t2 (1 expected, 2 restored), t3 (1 expected, 2 restored), t4 (1 expected, 2 restored), t5 (1 expected, 2 restored) and 3 more',
    );
    expect(await check(db, manifestOf(tables.map((t) => ({ ...t, rows: 2 }))))).toBeUndefined();
  });
});
