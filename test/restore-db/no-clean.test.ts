// A restore without clean (--no-clean, clean: false) drops nothing of the snapshot's first, so it can
// only create into a database that lacks every object of the snapshot. Its dry run finds the objects
// that are there, and refuses as the restore does, before anything is locked; the restore's failure
// on one it could not see says what to do; into an empty database it restores.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { runMain } from '../cli/run-main.js';
import { createTestDatabase } from '../helpers/pg.js';
import { tempDir } from '../helpers/temp-dir.js';

afterEach(() => {
  vi.restoreAllMocks();
});

/** A database and its snapshot: customers, its index and a function, and `more` (SQL) in the snapshot too. */
async function snapshotted(more = '') {
  const db = await createTestDatabase('rk_no_clean');
  await db.query("CREATE TABLE customers (id int PRIMARY KEY); INSERT INTO customers SELECT generate_series(1, 3); CREATE INDEX customers_idx ON customers (id); CREATE FUNCTION tax(numeric) RETURNS numeric LANGUAGE sql AS 'SELECT $1 * 0.2'");
  if (more) await db.query(more);
  const cwd = await tempDir('rk-no-clean-');
  const snapshot = (await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: cwd }), memoryLog())).path;
  await db.query('CREATE TABLE audit (id int); INSERT INTO audit SELECT generate_series(1, 7)');
  return { db, cwd, snapshot };
}

const WAY = 'Leave out --no-clean to replace them (the restore drops the snapshot’s objects and creates them again from it, in its one transaction; what the snapshot does not have is kept either way), or restore into an empty database.'.replace(/’/g, "'");

describe('rollback-kit restore --no-clean', () => {
  it('--dry-run names the snapshot objects that exist and refuses, as the restore itself does', async () => {
    const { db, cwd, snapshot } = await snapshotted();
    for (const args of [['--dry-run'], ['--yes']]) {
      const run = await runMain(['restore', '--snapshot-path', snapshot, '--no-clean', ...args], { cwd, env: { DATABASE_URL: db.url } });
      const out = run.stdout + run.stderr;
      expect(run.code, args[0]).toBe(1);
      expect(out).toContain(`Restore into 127.0.0.1:5432/${db.name} cannot create what the snapshot holds that is already there: table public.customers, function public.tax(numeric). --no-clean is given, so the restore does not drop the snapshot's objects first`);
      expect(out).toContain(WAY);
      expect(out).not.toContain('Dry run: would restore');
    }
    expect((await db.query('SELECT (SELECT count(*) FROM audit)::int AS audit, (SELECT count(*) FROM customers)::int AS customers')).rows[0]).toEqual({ audit: 7, customers: 3 });
  });

  it('a restore that fails on an object the plan could not see says what to do', async () => {
    const { db, cwd, snapshot } = await snapshotted('CREATE PUBLICATION rk_no_clean_pub');
    // The snapshot's tables and function are gone, but its publication is there (a kind the plan does
    // not look for: a type with its table's name, which it once could not see either, is named while
    // planned, test/restore-db/type-names.test.ts).
    await db.query('DROP TABLE customers; DROP FUNCTION tax(numeric)');
    const run = await runMain(['restore', '--snapshot-path', snapshot, '--no-clean', '--yes'], { cwd, env: { DATABASE_URL: db.url } });
    const out = run.stdout + run.stderr;
    expect(run.code).toBe(1);
    expect(out).toContain('failed: publication "rk_no_clean_pub" already exists. The restore ran in one transaction, so the database is as it was before.');
    expect(out).toContain("--no-clean is given, so the restore does not drop the snapshot's objects before its script creates them, and one of them is already there.");
    expect(out).toContain(WAY);
    expect((await db.query("SELECT to_regclass('public.customers') IS NULL AS gone, (SELECT count(*) FROM audit)::int AS audit")).rows[0]).toEqual({ gone: true, audit: 7 });
  });

  it('into an empty database it restores, and --dry-run says it would', async () => {
    const { cwd, snapshot } = await snapshotted();
    const empty = await createTestDatabase('rk_no_clean_empty');
    for (const args of [['--dry-run'], ['--yes']]) {
      const run = await runMain(['restore', '--snapshot-path', snapshot, '--no-clean', '--from-another-database', ...args], { cwd, env: { DATABASE_URL: empty.url } });
      expect(run.code, run.stdout + run.stderr).toBe(0);
    }
    expect((await empty.query('SELECT count(*)::int AS n FROM customers')).rows[0]).toEqual({ n: 3 });
  });
});
