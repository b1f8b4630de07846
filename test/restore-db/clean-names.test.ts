// A restore with clean (the default) drops the snapshot's relations that exist, their indexes with
// them, and runs the snapshot's script, whose `DROP INDEX IF EXISTS public.customers_idx` names no
// table: an index of that name on a table the snapshot does not have went with it, without a word,
// and a table with the name of the snapshot's primary key failed the transaction after the work.
// Both are named while the restore is planned, with how to free the name, and nothing is changed.
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

/** A database and its snapshot: customers with its primary key and an index; `since` then runs on it. */
async function snapshotted(since: string, opts: { format?: 'custom' | 'plain'; flags?: string[] } = {}) {
  const db = await createTestDatabase('rk_clean_names');
  await db.query('CREATE TABLE customers (id int CONSTRAINT customers_pkey PRIMARY KEY); INSERT INTO customers SELECT generate_series(1, 3); CREATE INDEX customers_idx ON customers (id)');
  const cwd = await tempDir('rk-clean-names-');
  const snapshot = (await takeSnapshot({ ...wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: cwd }), format: opts.format ?? 'custom' }, memoryLog())).path;
  await db.query(since);
  const runs = [];
  for (const args of [['--dry-run'], ['--yes']]) {
    const run = await runMain(['restore', '--snapshot-path', snapshot, '--confirm', db.name, ...(opts.flags ?? []), ...args], { cwd, env: { DATABASE_URL: db.url } });
    runs.push({ code: run.code, out: run.stdout + run.stderr });
  }
  return { db, runs };
}

describe('rollback-kit restore: names taken by objects the snapshot does not have', () => {
  it('another table’s index with a snapshot index’s name is named, and kept', async () => {
    const { db, runs } = await snapshotted('DROP INDEX customers_idx; CREATE TABLE audit (id int); CREATE INDEX customers_idx ON audit (id); INSERT INTO customers VALUES (4)');
    for (const { code, out } of runs) {
      expect(code, out).toBe(1);
      expect(out).toContain(
        `Restore into 127.0.0.1:5432/${db.name} cannot create what the snapshot holds under names objects it does not have already take: index public.customers_idx of table public.audit has the name of the snapshot's index public.customers_idx. ` +
          "An index shares the names of its schema with its tables, views, sequences and other indexes, and a primary key, unique or exclusion constraint is named as its index: the snapshot's script would fail on the name, or, where an index has it, drop that index first without a word (its DROP INDEX IF EXISTS names no table).",
      );
      expect(out).toContain('Rename what has the name (ALTER INDEX public.customers_idx RENAME TO <new name>) and run again, or restore into an empty database. Nothing was changed: the check ran before anything was locked.');
    }
    const { rows } = await db.query("SELECT indrelid::regclass::text AS t, (SELECT count(*) FROM customers)::int AS customers FROM pg_index WHERE indexrelid = 'public.customers_idx'::regclass");
    expect(rows[0]).toEqual({ t: 'audit', customers: 4 });
  });

  it('a plain snapshot with --no-clean is checked as with clean: its script drops its own objects whatever the flag says', async () => {
    // The plain script's DROP INDEX IF EXISTS ran all the same, and --no-clean turned the check off:
    // audit lost its unique index while the restore said it was left as it is.
    const { db, runs } = await snapshotted('DROP INDEX customers_idx; CREATE TABLE audit (id int); CREATE UNIQUE INDEX customers_idx ON audit (id)', { format: 'plain', flags: ['--no-clean'] });
    for (const { code, out } of runs) {
      expect(code, out).toBe(1);
      expect(out).toContain("index public.customers_idx of table public.audit has the name of the snapshot's index public.customers_idx.");
    }
    const { rows } = await db.query("SELECT indrelid::regclass::text AS t, indisunique AS u FROM pg_index WHERE indexrelid = 'public.customers_idx'::regclass");
    expect(rows[0]).toEqual({ t: 'audit', u: true });
  });

  it('a table with the name of the snapshot’s primary key is named before anything runs', async () => {
    const { runs } = await snapshotted('ALTER TABLE customers DROP CONSTRAINT customers_pkey; CREATE TABLE customers_pkey (id int)');
    for (const { code, out } of runs) {
      expect(code, out).toBe(1);
      expect(out).toContain("already take: table public.customers_pkey has the name of the snapshot's constraint customers_pkey on table public.customers.");
      expect(out).toContain('Rename what has the name (ALTER TABLE public.customers_pkey RENAME TO <new name>)');
      expect(out).not.toContain('The restore ran in one transaction');
    }
  });
});
