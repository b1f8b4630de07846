// A restore without clean (--no-clean, clean: false) creates the snapshot's indexes and
// constraints under their own names, and PostgreSQL shares an index's name with every table, view,
// sequence and index of its schema (a primary key, unique or exclusion constraint is named as its
// index). A name taken by an object the snapshot does not have is named, with how to free it, while
// the restore is planned, as the snapshot's objects that already exist are: before anything is
// locked or changed, not as a failed transaction after the work. Check and foreign-key constraint
// names clash only on their own table, so the same names on other tables restore.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { runMain } from '../cli/run-main.js';
import { createTestDatabase } from '../helpers/pg.js';

let cwd: string;
let snapshot: string;

beforeAll(async () => {
  const source = await createTestDatabase('rk_no_clean_names');
  await source.query(`
    CREATE TABLE customers (id int CONSTRAINT customers_pkey PRIMARY KEY, email text CONSTRAINT customers_email_key UNIQUE);
    CREATE INDEX customers_idx ON customers (email);
    CREATE INDEX "Email Lookup" ON customers (lower(email));
    CREATE TABLE orders (id int, customer_id int CONSTRAINT orders_customer_fkey REFERENCES customers, total int CONSTRAINT orders_total_check CHECK (total > 0));
    CREATE TABLE archive (id int);
    INSERT INTO customers VALUES (1, 'a@example.com'), (2, 'b@example.com')`);
  cwd = await mkdtemp(join(tmpdir(), 'rk-no-clean-names-'));
  snapshot = (await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(source.url), { outputDir: cwd }), memoryLog())).path;
});
afterAll(() => rm(cwd, { recursive: true, force: true }));

const RENAME = 'and run again, or restore into an empty database. Nothing was changed: the check ran before anything was locked.';
const SHARED = 'An index shares the names of its schema with its tables, views, sequences and other indexes, and a primary key, unique or exclusion constraint is named as its index, so the CREATE would fail.';

/** A database holding `setup`, restored into with --no-clean (a dry run, then for real): what each printed, and whether the snapshot's table was created. */
async function restoreInto(setup: string) {
  const db = await createTestDatabase('rk_no_clean_names_into');
  await db.query(setup);
  const runs = [];
  for (const args of [['--dry-run'], ['--yes']]) {
    const run = await runMain(['restore', '--snapshot-path', snapshot, '--no-clean', '--from-another-database', ...args], { cwd, env: { DATABASE_URL: db.url } });
    runs.push({ code: run.code, out: run.stdout + run.stderr });
  }
  const { rows } = await db.query<{ created: boolean }>("SELECT to_regclass('public.customers') IS NOT NULL AS created");
  return { db, runs, created: rows[0]!.created };
}

describe('rollback-kit restore --no-clean: names taken by objects the snapshot does not have', () => {
  it('an index of another table with a snapshot index’s name, quoted where it needs it', async () => {
    const { db, runs, created } = await restoreInto('CREATE TABLE audit (id int, email text); CREATE INDEX customers_idx ON audit (email); CREATE INDEX "Email Lookup" ON audit (id)');
    for (const { code, out } of runs) {
      expect(code, out).toBe(1);
      expect(out).toContain(
        `Restore into 127.0.0.1:5432/${db.name} cannot create what the snapshot holds under names objects it does not have already take: ` +
          `index public."Email Lookup" of table public.audit has the name of the snapshot's index public."Email Lookup", index public.customers_idx of table public.audit has the name of the snapshot's index public.customers_idx. ${SHARED}`,
      );
      expect(out).toContain(`Rename what has the name (ALTER INDEX public."Email Lookup" RENAME TO <new name>) ${RENAME}`);
      expect(out).not.toContain('Dry run: would restore');
      expect(out).not.toContain('The restore ran in one transaction');
    }
    expect(created).toBe(false);
  });

  it('a primary key’s or unique constraint’s name taken by a table, or by another table’s constraint', async () => {
    const { db, runs, created } = await restoreInto('CREATE TABLE customers_pkey (id int); CREATE TABLE audit (email text CONSTRAINT customers_email_key UNIQUE)');
    for (const { code, out } of runs) {
      expect(code, out).toBe(1);
      expect(out).toContain(
        `Restore into 127.0.0.1:5432/${db.name} cannot create what the snapshot holds under names objects it does not have already take: ` +
          "index public.customers_email_key of table public.audit has the name of the snapshot's constraint customers_email_key on table public.customers, " +
          "table public.customers_pkey has the name of the snapshot's constraint customers_pkey on table public.customers.",
      );
      expect(out).toContain('Rename what has the name (ALTER INDEX public.customers_email_key RENAME TO <new name>)');
    }
    expect(created).toBe(false);
  });

  it('a snapshot table’s name taken by an index, a snapshot index’s by a sequence', async () => {
    const { runs, created } = await restoreInto('CREATE TABLE audit (id int); CREATE INDEX archive ON audit (id); CREATE SEQUENCE customers_idx');
    for (const { code, out } of runs) {
      expect(code, out).toBe(1);
      expect(out).toContain(
        "already take: sequence public.customers_idx has the name of the snapshot's index public.customers_idx, index public.archive of table public.audit has the name of the snapshot's table public.archive.",
      );
      expect(out).toContain('Rename what has the name (ALTER SEQUENCE public.customers_idx RENAME TO <new name>)');
    }
    expect(created).toBe(false);
  });

  it('with snapshot objects that exist too, both are named, each with its way on', async () => {
    const { db, runs } = await restoreInto('CREATE TABLE archive (id int); CREATE TABLE audit (id int); CREATE INDEX customers_idx ON audit (id)');
    for (const { code, out } of runs) {
      expect(code, out).toBe(1);
      expect(out).toContain(
        `Restore into 127.0.0.1:5432/${db.name} cannot create what the snapshot holds that is already there: table public.archive. --no-clean is given, so the restore does not drop the snapshot's objects first, and its CREATE of each of these would fail. ` +
          "Nor can it create what the snapshot holds under names objects it does not have already take: index public.customers_idx of table public.audit has the name of the snapshot's index public.customers_idx.",
      );
      expect(out).toContain('or restore into an empty database. For the names taken, rename what has the name (ALTER INDEX public.customers_idx RENAME TO <new name>) and run again');
    }
    expect((await db.query('SELECT count(*)::int AS n FROM archive')).rows[0]).toEqual({ n: 0 });
  });

  it('check and foreign-key constraint names on other tables do not clash: it restores', async () => {
    const { runs, created, db } = await restoreInto(
      'CREATE TABLE people (id int PRIMARY KEY); CREATE TABLE audit (id int CONSTRAINT orders_total_check CHECK (id > 0), person int CONSTRAINT orders_customer_fkey REFERENCES people)',
    );
    for (const { code, out } of runs) expect(code, out).toBe(0);
    expect(created).toBe(true);
    expect((await db.query('SELECT count(*)::int AS n FROM customers')).rows[0]).toEqual({ n: 2 });
  });
});
