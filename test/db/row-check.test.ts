// restore-db's row check (rowCheckStatement), run in a transaction of its own against real tables:
// partitions are compared per partitioned table (a hash partition on an enum may route rows to other
// partitions than they came from), and a failure names the tables in order, five at most.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { SnapshotManifest } from '../../src/db/manifest.js';
import { memoryLog } from '../../src/core/log.js';
import { rowCheckStatement, tablesBeforeStatement } from '../../src/db/restore.js';
import { psqlError } from '../../src/db/restore-script.js';
import { adminQuery, createTestDatabase, type TestDatabase } from '../helpers/pg.js';

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

  // psql prints the message as it is and psqlError reads its stderr line by line: a newline in a
  // name ended the message there ("sch"), and "\nCONTEXT:  " in one passed for psql's own field.
  it('writes the control characters of names as escapes, so the message is one line', async () => {
    await db.query(`
      CREATE SCHEMA "sch${'\n'}::add-mask::x"; CREATE TABLE "sch${'\n'}::add-mask::x".t (x int);
      CREATE TABLE "a${'\n'}CONTEXT:  b${'\t'}c${'\x1b'}" (x int); INSERT INTO "a${'\n'}CONTEXT:  b${'\t'}c${'\x1b'}" VALUES (1);`);
    const error = await check(
      db,
      manifestOf([
        { schema: 'sch\n::add-mask::x', name: 't', rows: 7 },
        { schema: 'public', name: 'a\nCONTEXT:  b\tc\x1b', rows: 8 },
      ]),
    );
    expect(error).toBe(
      'rollback-kit: the restore does not hold the rows the snapshot holds: "a\\nCONTEXT:  b\\tc\\x1b" (8 expected, 1 restored), "sch\\n::add-mask::x".t (7 expected, 0 restored)',
    );
    expect(psqlError(`psql:<stdin>:40: ERROR:  ${error}\nCONTEXT:  PL/pgSQL function inline_code_block line 24 at RAISE\n`, memoryLog())).toBe(error);
  });

  describe('on the tables the restore created, from the counts of its transaction', () => {
    /**
     * Runs `setup` and the check in one transaction begun as a restore's is (tablesBeforeStatement
     * first), rolled back either way. `scans`: how often each table was scanned in it, which the
     * count(*) of a table found there does and the transaction's counts do not.
     */
    async function checkInRestore(manifest: SnapshotManifest, setup: string, tables: string[]): Promise<{ error?: string; scans: Record<string, number> }> {
      const scans = `SELECT ${tables.map((t) => `pg_stat_get_xact_numscans('${t}'::regclass) AS "${t}"`).join(', ') || '1'}`;
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        await client.query(`BEGIN; ${tablesBeforeStatement()} ${setup}`);
        const before = (await client.query<Record<string, string>>(scans)).rows[0]!;
        const error = await client.query(rowCheckStatement(manifest, 15)).then(
          () => undefined,
          (err: Error) => err.message,
        );
        if (error) return { error, scans: {} };
        const after = (await client.query<Record<string, string>>(scans)).rows[0]!;
        return { scans: Object.fromEntries(tables.map((t) => [t, Number(after[t]) - Number(before[t])])) };
      } finally {
        await client.query('ROLLBACK');
        await client.end();
      }
    }

    const created = `
      CREATE TABLE fresh (x int); INSERT INTO fresh SELECT generate_series(1, 10); DELETE FROM fresh WHERE x > 7;
      CREATE TABLE emptied (x int); INSERT INTO emptied SELECT generate_series(1, 5); TRUNCATE emptied; INSERT INTO emptied VALUES (1), (2);
      CREATE TABLE np (id int) PARTITION BY RANGE (id);
      CREATE TABLE np_low PARTITION OF np FOR VALUES FROM (0) TO (100);
      CREATE TABLE np_high PARTITION OF np FOR VALUES FROM (100) TO (1000);
      COPY np FROM PROGRAM 'printf "1\\n2\\n150\\n"';`;

    it('reads them instead of scanning, and fails on a wrong one as the count does', async () => {
      await db.query('CREATE TABLE found (x int); INSERT INTO found VALUES (1), (2), (3)');
      const tables = (fresh: number) =>
        manifestOf([
          { schema: 'public', name: 'fresh', rows: fresh },
          { schema: 'public', name: 'emptied', rows: 2 },
          { schema: 'public', name: 'np_low', rows: 2 },
          { schema: 'public', name: 'np_high', rows: 1 },
          { schema: 'public', name: 'found', rows: 3 },
        ]);
      const right = await checkInRestore(tables(7), created, ['fresh', 'emptied', 'np_low', 'np_high', 'found']);
      expect(right).toEqual({ scans: { fresh: 0, emptied: 0, np_low: 0, np_high: 0, found: 1 } });
      const wrong = await checkInRestore(tables(8), created, []);
      expect(wrong.error).toBe('rollback-kit: the restore does not hold the rows the snapshot holds: fresh (8 expected, 7 restored)');
      // A table found there whose rows changed in the transaction is counted in the table.
      const changed = await checkInRestore(tables(7), `${created} DELETE FROM found WHERE x = 1;`, []);
      expect(changed.error).toBe('rollback-kit: the restore does not hold the rows the snapshot holds: found (3 expected, 2 restored)');
    });

    it('counts in the tables where the counts disagree (track_counts off while rows came), and for a manifest that counted inheritance children', async () => {
      const manifest = manifestOf([{ schema: 'public', name: 'fresh', rows: 7 }]);
      // The transaction's counts stay at zero while track_counts is off: taken at their word, they would fail the check.
      expect(await checkInRestore(manifest, `SET LOCAL track_counts = off; ${created} SET LOCAL track_counts = on;`, ['fresh'])).toEqual({ scans: { fresh: 1 } });
      const older = { ...manifest, rowCounts: undefined } as unknown as SnapshotManifest;
      expect(await checkInRestore(older, created, ['fresh'])).toEqual({ scans: { fresh: 1 } });
    });

    // The transaction's counts of a table that was there before it are only what it changed: taken
    // at their word, they would pass a table that still holds its old rows besides the snapshot's.
    it('never takes the counts of a table that was there before the transaction', async () => {
      await db.query('CREATE TABLE was_there (x int); INSERT INTO was_there SELECT generate_series(1, 4)');
      const manifest = manifestOf([{ schema: 'public', name: 'was_there', rows: 3 }]);
      expect((await checkInRestore(manifest, 'INSERT INTO was_there VALUES (5), (6), (7);', [])).error).toBe(
        'rollback-kit: the restore does not hold the rows the snapshot holds: was_there (3 expected, 7 restored)',
      );
      // Emptied and loaded again in the transaction, it holds them: counted in the table, it passes.
      expect(await checkInRestore(manifest, 'TRUNCATE was_there; INSERT INTO was_there VALUES (5), (6), (7);', ['was_there'])).toEqual({ scans: { was_there: 1 } });
    });

    it('never takes them while track_counts is off as it runs: rows deleted since it was turned off were not counted', async () => {
      const manifest = manifestOf([{ schema: 'public', name: 'fresh', rows: 7 }]);
      expect((await checkInRestore(manifest, `${created} SET LOCAL track_counts = off; DELETE FROM fresh WHERE x <= 2;`, [])).error).toBe(
        'rollback-kit: the restore does not hold the rows the snapshot holds: fresh (7 expected, 5 restored)',
      );
    });

    it('reads the rows of the table a name holds last, when the script dropped and created it again twice', async () => {
      const twice = `
        CREATE TABLE again (x int); INSERT INTO again SELECT generate_series(1, 5); DROP TABLE again;
        CREATE TABLE again (x int); INSERT INTO again SELECT generate_series(1, 4); DROP TABLE again;
        CREATE TABLE again (x int); INSERT INTO again SELECT generate_series(1, 3);`;
      const manifest = (rows: number) => manifestOf([{ schema: 'public', name: 'again', rows }]);
      expect(await checkInRestore(manifest(3), twice, ['again'])).toEqual({ scans: { again: 0 } });
      for (const rows of [5, 4]) {
        expect((await checkInRestore(manifest(rows), twice, [])).error).toBe(`rollback-kit: the restore does not hold the rows the snapshot holds: again (${rows} expected, 3 restored)`);
      }
    });

    // What keeps a table's rows while it writes them anew (a rewrite writes a new heap under another
    // OID) or moves them between partitions (a delete from one, an insert into the other) leaves the
    // counts right: they are read, and a wrong manifest still fails.
    it('reads them after a rewrite, CLUSTER, COPY FREEZE, an unlogged table made logged, and rows an UPDATE moved between partitions', async () => {
      const moved = `
        CREATE TABLE rewritten (x int); INSERT INTO rewritten SELECT generate_series(1, 6);
        ALTER TABLE rewritten ALTER COLUMN x TYPE bigint, ADD COLUMN r float8 DEFAULT random();
        CREATE TABLE clustered (x int PRIMARY KEY); INSERT INTO clustered SELECT generate_series(1, 6); CLUSTER clustered USING clustered_pkey;
        CREATE TABLE frozen (x int); COPY frozen FROM PROGRAM 'seq 1 6' WITH (FREEZE);
        CREATE UNLOGGED TABLE unlogged (x int); COPY unlogged FROM PROGRAM 'seq 1 6'; ALTER TABLE unlogged SET LOGGED;
        CREATE TABLE rp (id int) PARTITION BY RANGE (id);
        CREATE TABLE rp_low PARTITION OF rp FOR VALUES FROM (0) TO (10);
        CREATE TABLE rp_high PARTITION OF rp FOR VALUES FROM (10) TO (20);
        INSERT INTO rp SELECT generate_series(0, 9); UPDATE rp SET id = id + 10 WHERE id < 4;`;
      const names = ['rewritten', 'clustered', 'frozen', 'unlogged'];
      const manifest = (rows: number) =>
        manifestOf([
          ...names.map((name) => ({ schema: 'public', name, rows })),
          { schema: 'public', name: 'rp_low', rows: 6 },
          { schema: 'public', name: 'rp_high', rows: 4 },
        ]);
      const tables = [...names, 'rp_low', 'rp_high'];
      expect(await checkInRestore(manifest(6), moved, tables)).toEqual({ scans: Object.fromEntries(tables.map((t) => [t, 0])) });
      expect((await checkInRestore(manifest(7), moved, [])).error).toBe(
        'rollback-kit: the restore does not hold the rows the snapshot holds: clustered (7 expected, 6 restored), frozen (7 expected, 6 restored), rewritten (7 expected, 6 restored), unlogged (7 expected, 6 restored)',
      );
    });
  });
});

describe('the row check under row-level security', () => {
  it('fails on a table whose rows the policies hide from the user, instead of comparing what they show', async () => {
    const db = await createTestDatabase('rk_coverage_rls_rowcheck');
    const role = `rk_coverage_rls_${randomBytes(4).toString('hex')}`;
    await adminQuery(`CREATE ROLE ${role}`);
    try {
      // RLS on and no policy for the role: it sees none of the five rows.
      await db.query(`CREATE TABLE guarded (x int); INSERT INTO guarded SELECT generate_series(1, 5); ALTER TABLE guarded ENABLE ROW LEVEL SECURITY; GRANT SELECT ON guarded TO ${role}`);
      const as = (rows: number) =>
        db.query(`BEGIN; SET LOCAL ROLE ${role}; SET LOCAL row_security = on; ${rowCheckStatement(manifestOf([{ schema: 'public', name: 'guarded', rows }]), 15)}; ROLLBACK`).then(
          () => undefined,
          (err: Error) => err.message,
        );
      // A manifest of no rows matched the nothing it saw, with five rows there; now neither passes.
      expect(await as(0)).toBe('rollback-kit: row-level security hides rows of table guarded');
      expect(await as(5)).toBe('rollback-kit: row-level security hides rows of table guarded');
      // A role it does not apply to (the owner here) is compared as before.
      expect(await check(db, manifestOf([{ schema: 'public', name: 'guarded', rows: 5 }]))).toBeUndefined();
    } finally {
      await db.drop();
      await adminQuery(`DROP ROLE IF EXISTS ${role}`);
    }
  });

  // Its message quoted the name raw: psqlError read what follows a newline in it as a field of psql's own.
  it('writes the control characters of the hidden table\'s name as escapes, so the message is one line', async () => {
    const db = await createTestDatabase('rk_fix_db_rls_name');
    const role = `rk_fix_db_rls_${randomBytes(4).toString('hex')}`;
    const table = 'a\nDETAIL:  x\x1b';
    await adminQuery(`CREATE ROLE ${role}`);
    try {
      await db.query(`CREATE TABLE "${table}" (x int); ALTER TABLE "${table}" ENABLE ROW LEVEL SECURITY; GRANT SELECT ON "${table}" TO ${role}`);
      const error = await db
        .query(`BEGIN; SET LOCAL ROLE ${role}; SET LOCAL row_security = on; ${rowCheckStatement(manifestOf([{ schema: 'public', name: table, rows: 0 }]), 15)}; ROLLBACK`)
        .then(() => undefined, (err: Error) => err.message);
      expect(error).toBe('rollback-kit: row-level security hides rows of table "a\\nDETAIL:  x\\x1b"');
      expect(psqlError(`psql:<stdin>:40: ERROR:  ${error}\nCONTEXT:  PL/pgSQL function inline_code_block line 12 at RAISE\n`, memoryLog())).toBe(error);
    } finally {
      await db.drop();
      await adminQuery(`DROP ROLE IF EXISTS ${role}`);
    }
  });
});
