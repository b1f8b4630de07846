// What a restore throws away on the tables it replaces, because the snapshot does not have it:
// columns added since (with their values counted) and indexes, constraints, triggers, policies and
// rules added since, each named with what creates it again, in the plan log (before anything
// changes) and the summary. What the snapshot does have is never named, however it is written.
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { previewRestore, restoreSnapshot, type RestoreResult } from '../../src/db/restore.js';
import { parseCreateTable } from '../../src/db/restore-discarded.js';
import type { SnapshotFormat } from '../../src/db/archive.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { restoreSummary } from '../../src/report/restore-db-summary.js';
import { adminQuery, createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { restoreRequest } from './request.js';

describe('parseCreateTable reads a pg_dump CREATE TABLE', () => {
  it('its own columns and inline constraints, quoted names, commas in strings and parentheses', () => {
    const shape = parseCreateTable(
      [
        'CREATE TABLE public."Odd ""name""" (',
        '    id integer NOT NULL,',
        `    "we,ird ""col" text DEFAULT 'a,b)'::text,`,
        "    e text DEFAULT E'x\\',y'::text,",
        '    n numeric(10,2),',
        '    CONSTRAINT "c,1" CHECK ((length("we,ird ""col") < 10))',
        ')',
        'PARTITION BY RANGE (id);',
      ].join('\n'),
    );
    expect(shape).toEqual({ schema: 'public', name: 'Odd "name"', columns: ['id', 'we,ird "col', 'e', 'n'], constraints: ['c,1'] });
  });

  it('a typed table has its type\'s columns: none are listed', () => {
    expect(parseCreateTable('CREATE TABLE public.typed OF public.ty (\n    CONSTRAINT tc CHECK ((a > 0))\n);')).toEqual({ schema: 'public', name: 'typed', columns: null, constraints: ['tc'] });
  });

  it('an unlogged table, a table with no columns, and what it does not read', () => {
    expect(parseCreateTable('CREATE UNLOGGED TABLE s.u (\n    z integer NOT NULL\n);')?.columns).toEqual(['z']);
    expect(parseCreateTable('CREATE TABLE public.kid (\n)\nINHERITS (public.par);')?.columns).toEqual([]);
    expect(parseCreateTable('CREATE TABLE public.cut (\n    id integer')).toBeUndefined();
    expect(parseCreateTable('CREATE VIEW public.v AS SELECT 1;')).toBeUndefined();
  });
});

/** A database whose snapshot tables have every kind of object, some with awkward names; snapshotted. */
async function snapshotted(format: SnapshotFormat = 'custom'): Promise<{ db: TestDatabase; snapshot: string }> {
  const db = await createTestDatabase('rk_discarded');
  await db.query(`
    CREATE TYPE ty AS (a int, b text);
    CREATE TABLE typed OF ty (CONSTRAINT tc CHECK (a > 0));
    CREATE TABLE customers (id int PRIMARY KEY, email text UNIQUE, "Odd, ""name""" text CHECK (length("Odd, ""name""") < 50));
    CREATE INDEX customers_email_lower ON customers (lower(email));
    CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers(id), paid date NOT NULL DEFAULT '2026-01-01', amount numeric);
    INSERT INTO customers SELECT g, 'c' || g || '@x', NULL FROM generate_series(1, 20) g;
    INSERT INTO orders SELECT g, 1 + g % 20, '2026-01-01', g FROM generate_series(1, 100) g;
    CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
    CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch();
    ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
    CREATE POLICY orders_all ON orders USING (true);
    CREATE RULE customers_keep AS ON DELETE TO customers WHERE OLD.id = 0 DO INSTEAD NOTHING;
    CREATE TABLE payment (id int, paid date, PRIMARY KEY (id, paid)) PARTITION BY RANGE (paid);
    CREATE TABLE payment_2026_01 PARTITION OF payment FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
    CREATE INDEX payment_paid ON payment (paid);
    CREATE TABLE par (x int); CREATE TABLE kid (y int) INHERITS (par);`);
  const snap = await takeSnapshot({ ...wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: await mkdtemp(join(tmpdir(), 'rk-discarded-')) }), format }, memoryLog());
  return { db, snapshot: snap.path };
}

async function restore(db: TestDatabase, snapshot: string, preRestoreSnapshot = true): Promise<{ result: RestoreResult; lines: string[] }> {
  const log = memoryLog();
  const result = await restoreSnapshot(await restoreRequest(db.url, snapshot, { preRestoreSnapshot }), log);
  return { result, lines: log.lines };
}

describe('a restore over tables that gained columns and objects since the snapshot', () => {
  it.each(['custom', 'plain'] as const)('names each one, with its values counted and how to create it again, before it changes anything and in the summary (%s snapshot)', async (format) => {
    const { db, snapshot } = await snapshotted(format);
    await db.query(`
      ALTER TABLE orders ADD COLUMN note text, ADD COLUMN "Tax, ""rate""" numeric(5,2);
      UPDATE orders SET note = 'n' || id WHERE id <= 40;
      CREATE INDEX orders_note ON orders (note);
      ALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0);
      CREATE TABLE regions (id int PRIMARY KEY); INSERT INTO regions VALUES (1);
      ALTER TABLE customers ADD COLUMN region_id int DEFAULT 1 REFERENCES regions(id);
      CREATE TRIGGER orders_audit AFTER INSERT ON orders FOR EACH ROW EXECUTE FUNCTION touch();
      CREATE POLICY orders_mine ON orders FOR SELECT TO postgres USING (customer_id = 1);
      CREATE RULE orders_no_delete AS ON DELETE TO orders DO INSTEAD NOTHING;
      CREATE INDEX payment_id ON payment (id);
      ALTER TABLE payment ADD COLUMN via text;
      ALTER TABLE par ADD COLUMN z int;`);
    const { result, lines } = await restore(db, snapshot);

    const planned = lines.findIndex((l) => l.startsWith('Locking the '));
    const warnings = lines.filter((l) => l.startsWith('warning: The restore discards from '));
    // Named while planning: before the restore's transaction locked anything.
    expect(warnings.length).toBeGreaterThan(0);
    for (const w of warnings) expect(lines.indexOf(w)).toBeLessThan(planned);
    const of = (table: string) => warnings.find((w) => w.startsWith(`warning: The restore discards from ${table} `)) ?? '';
    expect(of('public.orders')).toContain('column note (text, 40 non-null value(s)); column Tax, "rate" (numeric(5,2), 0 non-null value(s))');
    expect(of('public.orders')).toContain('index orders_note: CREATE INDEX orders_note ON public.orders USING btree (note);');
    expect(of('public.orders')).toContain('constraint orders_amount_positive: ALTER TABLE public.orders ADD CONSTRAINT orders_amount_positive CHECK ((amount > (0)::numeric));');
    expect(of('public.orders')).toContain('trigger orders_audit: CREATE TRIGGER orders_audit AFTER INSERT ON public.orders FOR EACH ROW EXECUTE FUNCTION public.touch();');
    expect(of('public.orders')).toContain('policy orders_mine: CREATE POLICY orders_mine ON public.orders AS PERMISSIVE FOR SELECT TO postgres USING ((customer_id = 1));');
    expect(of('public.orders')).toContain('rule orders_no_delete: CREATE RULE orders_no_delete AS\n    ON DELETE TO public.orders DO INSTEAD NOTHING;');
    expect(of('public.customers')).toContain('column region_id (integer, 20 non-null value(s)); constraint customers_region_id_fkey: ALTER TABLE public.customers ADD CONSTRAINT customers_region_id_fkey FOREIGN KEY (region_id) REFERENCES public.regions(id);');
    // A partitioned table's new index and column are named once, on it, not on each partition.
    expect(of('public.payment')).toBe('warning: The restore discards from public.payment what the snapshot does not have (added since it was taken): column via (text, 0 non-null value(s)); index payment_id: CREATE INDEX payment_id ON ONLY public.payment USING btree (id);.');
    expect(of('public.par')).toContain('column z (integer, 0 non-null value(s))');
    // What the snapshot has is never named: its primary keys, unique and check constraints, indexes,
    // trigger, policy, rule, partitions, an inheritance child's inherited column, a typed table.
    expect(warnings.map((w) => /^warning: The restore discards from (\S+) /.exec(w)![1]).sort()).toEqual(['public.customers', 'public.orders', 'public.par', 'public.payment']);
    for (const w of warnings) expect(w).not.toMatch(/orders_pkey|orders_touch|orders_all|customers_keep|customers_email|Odd|payment_pkey|payment_paid|payment_2026_01|kid|typed/);
    expect(lines).toContain('warning: Those columns\' values and those objects are kept in the pre-restore snapshot: create them again after the restore if they are still wanted.');

    expect(result.discarded.map((t) => t.table)).toEqual(['public.customers', 'public.orders', 'public.par', 'public.payment']);
    const summary = restoreSummary(result);
    expect(summary).toContain('### Columns and objects the restore discarded (added to snapshot tables since the snapshot)');
    expect(summary).toContain('- `public.orders`: column `note (text, 40 non-null value(s))`');
    expect(summary).toContain('- `public.orders`: index `orders_note`: `CREATE INDEX orders_note ON public.orders USING btree (note);`');
    expect(summary).toContain(`Their values and definitions are in the pre-restore snapshot \`${result.preRestoreSnapshotPath}\``);
    // And they are gone: the restore put the snapshot's tables back as they were.
    expect((await db.query("SELECT count(*)::int AS n FROM pg_attribute WHERE attrelid = 'public.orders'::regclass AND attname = 'note'")).rows[0]).toEqual({ n: 0 });
  });

  it('a dry run names the same, changing nothing and needing no confirm', async () => {
    const { db, snapshot } = await snapshotted();
    await db.query("ALTER TABLE orders ADD COLUMN note text; UPDATE orders SET note = 'x' WHERE id <= 7; CREATE INDEX orders_note ON orders (note)");
    const log = memoryLog();
    const preview = await previewRestore(await restoreRequest(db.url, snapshot, { confirm: undefined }), log);
    expect(preview.discarded).toEqual([
      {
        table: 'public.orders',
        columns: [{ name: 'note', type: 'text', nonNull: 7 }],
        objects: [{ kind: 'index', name: 'orders_note', definition: 'CREATE INDEX orders_note ON public.orders USING btree (note);' }],
      },
    ]);
    expect(log.lines).toContain(
      'warning: The restore discards from public.orders what the snapshot does not have (added since it was taken): column note (text, 7 non-null value(s)); index orders_note: CREATE INDEX orders_note ON public.orders USING btree (note);.',
    );
    expect(log.lines.filter((l) => /^(Locking|Restoring|Keeping the current state)/.test(l))).toEqual([]);
    expect(preview.tablesRestored).toBeGreaterThan(0);
    // Nothing changed: the column and its values are still there.
    expect((await db.query('SELECT count(note)::int AS n FROM orders')).rows[0]).toEqual({ n: 7 });
  });

  it('says nothing when the tables have only what the snapshot has', async () => {
    const { db, snapshot } = await snapshotted();
    await db.query('DELETE FROM orders WHERE id > 50');
    const { result, lines } = await restore(db, snapshot, false);
    expect(result.discarded).toEqual([]);
    expect(lines.filter((l) => /discards/.test(l))).toEqual([]);
    expect(restoreSummary(result)).not.toContain('discarded (added');
  });
});

describe('values of a discarded column row-level security hides from the user', () => {
  it('are "not counted", never a count of only what the policies show', async () => {
    const db = await createTestDatabase('rk_coverage_rls_discarded');
    const role = `rk_coverage_rls_${randomBytes(4).toString('hex')}`;
    await adminQuery(`CREATE ROLE ${role} LOGIN`);
    try {
      await db.query(`CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders SELECT generate_series(1, 10); ALTER TABLE orders OWNER TO ${role}; GRANT CREATE ON SCHEMA public TO ${role}`);
      const snap = await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: await mkdtemp(join(tmpdir(), 'rk-discarded-')) }), memoryLog());
      // Its owner sees through its policies too (FORCE), and no policy shows it any row.
      await db.query("ALTER TABLE orders ADD COLUMN note text; UPDATE orders SET note = 'x' WHERE id <= 7; ALTER TABLE orders ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY");
      const u = new URL(db.url);
      u.username = role;
      const preview = await previewRestore(await restoreRequest(u.toString(), snap.path, { confirm: undefined }), memoryLog());
      expect(preview.discarded[0]?.columns).toEqual([{ name: 'note', type: 'text', nonNull: null }]);
    } finally {
      await db.drop();
      await adminQuery(`DROP ROLE IF EXISTS ${role}`);
    }
  });
});
