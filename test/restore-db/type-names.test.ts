// PostgreSQL gives a table, view, materialized view or foreign table a row type of its own name, and
// refuses one (and a sequence) whose name a type of its schema has: `type "customers" already
// exists`. A type or domain created since the snapshot with the name of one of its tables (a table
// renamed since, and an enum under the old name) failed the restore only inside its transaction,
// after the work; so did a table the restore keeps with the name of one of the snapshot's types.
// Both are named while the restore is planned, with the rename that frees the name, with and
// without clean, for archives and plain scripts, and nothing is changed. An array type PostgreSQL
// made for another type (`_customers`) is no obstacle: it renames that out of the way.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { runMain } from '../cli/run-main.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { tempDir } from '../helpers/temp-dir.js';

afterEach(() => {
  vi.restoreAllMocks();
});

/** The snapshot's objects: two tables with rows, a sequence, an enum and a range (with its multirange span_multirange). */
const SCHEMA = `CREATE TYPE status AS ENUM ('open', 'closed'); CREATE TYPE span AS RANGE (subtype = int);
  CREATE TABLE customers (id int); INSERT INTO customers SELECT generate_series(1, 3);
  CREATE TABLE events (id int); INSERT INTO events SELECT generate_series(1, 2);
  CREATE SEQUENCE invoice_numbers`;

/** What the database holds, to compare before and after a refusal: every relation and type of public with its kind, and the tables' rows. */
async function state(db: TestDatabase) {
  const { rows } = await db.query<{ objects: string[] }>(
    `SELECT array_agg(o ORDER BY o) AS objects FROM (
       SELECT 'class ' || relname || ' ' || relkind::text AS o FROM pg_class WHERE relnamespace = 'public'::regnamespace
       UNION ALL SELECT 'type ' || typname || ' ' || typtype::text FROM pg_type WHERE typnamespace = 'public'::regnamespace) x`,
  );
  const counts: Record<string, number> = {};
  const { rows: tables } = await db.query<{ name: string }>("SELECT relname AS name FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' ORDER BY 1");
  for (const { name } of tables) counts[name] = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM public."${name}"`)).rows[0]!.n;
  return { objects: rows[0]!.objects, counts };
}

/** A database with SCHEMA and its snapshot; `since` then runs on it; restored in place (a dry run, then for real). */
async function inPlace(since: string, opts: { format?: 'custom' | 'plain'; flags?: string[] } = {}) {
  const db = await createTestDatabase('rk_type_names');
  await db.query(SCHEMA);
  const cwd = await tempDir('rk-type-names-');
  const snapshot = (await takeSnapshot({ ...wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: cwd }), format: opts.format ?? 'custom' }, memoryLog())).path;
  await db.query(since);
  const before = await state(db);
  const restore = async () => {
    const runs = [];
    for (const args of [['--dry-run'], ['--yes']]) {
      const run = await runMain(['restore', '--snapshot-path', snapshot, '--confirm', db.name, ...(opts.flags ?? []), ...args], { cwd, env: { DATABASE_URL: db.url } });
      runs.push({ code: run.code, out: run.stdout + run.stderr });
    }
    return runs;
  };
  return { db, before, runs: await restore(), restore };
}

const EXPLAINED =
  "A table, view, materialized view or foreign table has a row type of its own name, so it shares the names of its schema with the schema's types (enums, domains, ranges and their multiranges …), and PostgreSQL refuses a sequence a type's name too";
const UNCHANGED = 'Nothing was changed: the check ran before anything was locked.';

describe('rollback-kit restore: names the snapshot needs among types', () => {
  it('an enum with the name of a snapshot table (renamed since) is named with its rename; an array type’s name is no obstacle', async () => {
    const { db, before, runs, restore } = await inPlace("ALTER TABLE customers RENAME TO clients; CREATE TYPE customers AS ENUM ('new'); CREATE TYPE _events AS ENUM ('x')");
    for (const { code, out } of runs) {
      expect(code, out).toBe(1);
      expect(out).toContain(
        `Restore into 127.0.0.1:5432/${db.name} cannot create what the snapshot holds under names objects it does not have already take: enum type public.customers has the name of the snapshot's table public.customers. ${EXPLAINED}: the snapshot's script would fail on the name.`,
      );
      expect(out).toContain(`Rename what has the name (ALTER TYPE public.customers RENAME TO <new name>) and run again, or restore into an empty database. ${UNCHANGED}`);
      expect(out).not.toContain('_events');
      expect(out).not.toContain('The restore ran in one transaction');
    }
    expect(await state(db)).toEqual(before);

    // Renamed as the refusal says, it restores: the existing `_events` (and the snapshot table's array type) gave way.
    await db.query('ALTER TYPE customers RENAME TO customer_kind');
    for (const { code, out } of await restore()) expect(code, out).toBe(0);
    expect((await db.query('SELECT (SELECT count(*) FROM customers)::int AS customers, (SELECT count(*) FROM events)::int AS events')).rows[0]).toEqual({ customers: 3, events: 2 });
  });

  it('a multirange and a domain with snapshot tables’ names, a table with the name of a snapshot type', async () => {
    const { db, before, runs } = await inPlace(
      'DROP TABLE events; CREATE TYPE event_span AS RANGE (subtype = int, multirange_type_name = events); ' +
        'ALTER TABLE customers RENAME TO clients; CREATE DOMAIN customers AS int; DROP TYPE status; CREATE TABLE status (id int)',
    );
    for (const { code, out } of runs) {
      expect(code, out).toBe(1);
      expect(out).toContain(
        "already take: domain public.customers has the name of the snapshot's table public.customers, multirange type public.events of range type public.event_span has the name of the snapshot's table public.events, " +
          "table public.status has the name of the snapshot's type public.status.",
      );
      expect(out).toContain('Rename what has the name (ALTER DOMAIN public.customers RENAME TO <new name>)');
    }
    expect(await state(db)).toEqual(before);
  });

  it('a type the snapshot’s own script drops along with one of its objects is no obstacle: a multirange renamed to a table’s name goes with its range', async () => {
    const { db, runs } = await inPlace('DROP TABLE events; ALTER TYPE span_multirange RENAME TO events');
    for (const { code, out } of runs) expect(code, out).toBe(0);
    expect((await db.query("SELECT (SELECT count(*) FROM events)::int AS events, to_regtype('public.span_multirange') IS NOT NULL AS multirange")).rows[0]).toEqual({ events: 2, multirange: true });
  });

  it('a plain snapshot, with --no-clean too (its script drops its own objects whatever the flag says)', async () => {
    const { db, before, runs } = await inPlace("ALTER TABLE customers RENAME TO clients; CREATE TYPE customers AS (a int, b text); DROP SEQUENCE invoice_numbers; CREATE TYPE invoice_numbers AS ENUM ('x')", {
      format: 'plain',
      flags: ['--no-clean'],
    });
    for (const { code, out } of runs) {
      expect(code, out).toBe(1);
      // A composite type is a relation too: named as one (with the index sentence), beside the enum a sequence cannot be named as.
      expect(out).toContain(
        "already take: composite type public.customers has the name of the snapshot's table public.customers, enum type public.invoice_numbers has the name of the snapshot's sequence public.invoice_numbers.",
      );
      expect(out).toContain('Rename what has the name (ALTER TYPE public.customers RENAME TO <new name>)');
    }
    expect(await state(db)).toEqual(before);
  });
});

describe('rollback-kit restore --no-clean: names the snapshot needs among types', () => {
  it('a type, a domain and a multirange with snapshot relations’ names, a table with a snapshot type’s, in an empty database', async () => {
    const source = await createTestDatabase('rk_type_names_source');
    await source.query(SCHEMA);
    const cwd = await tempDir('rk-type-names-no-clean-');
    const snapshot = (await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(source.url), { outputDir: cwd }), memoryLog())).path;
    const db = await createTestDatabase('rk_type_names_into');
    await db.query("CREATE TYPE customers AS ENUM ('a'); CREATE DOMAIN invoice_numbers AS int; CREATE TYPE period AS RANGE (subtype = int, multirange_type_name = events); CREATE TABLE status (id int); CREATE TYPE _customers AS ENUM ('b')");
    const before = await state(db);
    for (const args of [['--dry-run'], ['--yes']]) {
      const run = await runMain(['restore', '--snapshot-path', snapshot, '--no-clean', '--from-another-database', ...args], { cwd, env: { DATABASE_URL: db.url } });
      const out = run.stdout + run.stderr;
      expect(run.code, out).toBe(1);
      expect(out).toContain(
        `Restore into 127.0.0.1:5432/${db.name} cannot create what the snapshot holds under names objects it does not have already take: ` +
          "enum type public.customers has the name of the snapshot's table public.customers, multirange type public.events of range type public.period has the name of the snapshot's table public.events, " +
          "domain public.invoice_numbers has the name of the snapshot's sequence public.invoice_numbers, table public.status has the name of the snapshot's type public.status. " +
          `${EXPLAINED}, so the CREATE would fail.`,
      );
      // Not named as the snapshot's own type already there: clean: true would not help.
      expect(out).not.toContain('that is already there');
      expect(out).toContain(`Rename what has the name (ALTER TYPE public.customers RENAME TO <new name>) and run again, or restore into an empty database. ${UNCHANGED}`);
      expect(out).not.toContain('_customers');
    }
    expect(await state(db)).toEqual(before);
  });
});
