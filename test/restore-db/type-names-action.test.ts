// restore-db through the bundle as GitHub runs it: a type with the name of a snapshot table (the
// table renamed since, an enum created under its old name) is refused while the restore is planned,
// with clean and without, in one ::error:: line naming both and the ALTER TYPE … RENAME that frees
// the name, before the pre-restore snapshot and before anything changes; not as PostgreSQL's
// `type "customers" already exists` from inside the restore's transaction.
import { describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Every relation and type of public with its kind, and the rows of customers' renamed table: what a refusal must leave as it was. */
async function state(db: TestDatabase) {
  const { rows } = await db.query<{ objects: string[]; clients: number }>(
    `SELECT (SELECT array_agg(o ORDER BY o) FROM (
               SELECT 'class ' || relname || ' ' || relkind::text AS o FROM pg_class WHERE relnamespace = 'public'::regnamespace
               UNION ALL SELECT 'type ' || typname || ' ' || typtype::text FROM pg_type WHERE typnamespace = 'public'::regnamespace) x) AS objects,
            (SELECT count(*) FROM public.clients)::int AS clients`,
  );
  return rows[0]!;
}

describe('restore-db: a type with a snapshot table’s name', () => {
  it('is refused while planned, with clean and without, naming both and the rename', async () => {
    const db = await createTestDatabase('rk_type_names_action');
    await db.query('CREATE TABLE customers (id int PRIMARY KEY); INSERT INTO customers SELECT generate_series(1, 3)');
    const dir = await tempDir('rk-type-names-action-');
    const snap = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': dir });
    expect(snap.code, snap.stdout + snap.stderr).toBe(0);
    // Renamed since (its primary key's index too), and an enum under the old name.
    await db.query("ALTER TABLE customers RENAME TO clients; ALTER INDEX customers_pkey RENAME TO clients_pkey; CREATE TYPE customers AS ENUM ('retail', 'wholesale')");
    const before = await state(db);

    for (const clean of ['true', 'false']) {
      const restore = await runAction('restore-db', { 'database-url': db.url, 'snapshot-path': snap.outputs.path!, confirm: db.name, clean, 'pre-restore-dir': dir });
      expect(restore.code, restore.stdout).not.toBe(0);
      expect(restore.errors).toHaveLength(1);
      const error = restore.errors[0]!;
      expect(error).toContain(
        `Restore into 127.0.0.1:5432/${db.name} cannot create what the snapshot holds under names objects it does not have already take: enum type public.customers has the name of the snapshot's table public.customers. ` +
          "A table, view, materialized view or foreign table has a row type of its own name, so it shares the names of its schema with the schema's types",
      );
      expect(error).toContain('Rename what has the name (ALTER TYPE public.customers RENAME TO <new name>) and run again, or restore into an empty database. Nothing was changed');
      expect(error).not.toContain('already exists');
      expect(restore.summary).toContain('enum type public.customers has the name of the snapshot');
      expect(restore.outputs['pre-restore-snapshot-path'] ?? '').toBe('');
      expect(await state(db)).toEqual(before);
    }
  });
});
