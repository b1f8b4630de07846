// restore-db with clean: false, through the bundle as GitHub runs it: a snapshot whose tables are
// still there is refused while the restore is planned, naming them, with the way on (clean: true,
// or an empty database) in the ::error:: line and the summary; nothing is changed and no
// pre-restore snapshot is taken. Into an empty database it restores. A name of the snapshot's taken
// by an object it does not have (an index of another table) is refused as early, with how to free it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';

describe('restore-db clean: false', () => {
  it('refuses where the snapshot’s objects exist, saying what to do; restores into an empty database', async () => {
    const db = await createTestDatabase('rk_no_clean_action');
    await db.query('CREATE TABLE customers (id int PRIMARY KEY); INSERT INTO customers SELECT generate_series(1, 3)');
    const dir = await mkdtemp(join(tmpdir(), 'rk-no-clean-action-'));
    try {
      const snap = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': dir });
      expect(snap.code, snap.stdout + snap.stderr).toBe(0);
      await db.query('CREATE TABLE audit (id int); INSERT INTO audit SELECT generate_series(1, 7)');

      const restore = await runAction('restore-db', { 'database-url': db.url, 'snapshot-path': snap.outputs.path!, confirm: db.name, clean: 'false' });
      expect(restore.code).not.toBe(0);
      expect(restore.errors).toHaveLength(1);
      const error = restore.errors[0]!;
      expect(error).toContain(`Restore into 127.0.0.1:5432/${db.name} cannot create what the snapshot holds that is already there: table public.customers. clean is false, so the restore does not drop the snapshot's objects first`);
      expect(error).toContain('Set clean: true to replace them');
      expect(error).toContain('or restore into an empty database.');
      expect(restore.summary).toContain('cannot create what the snapshot holds that is already there');
      expect(restore.outputs['pre-restore-snapshot-path'] ?? '').toBe('');
      expect((await db.query('SELECT (SELECT count(*) FROM audit)::int AS audit, (SELECT count(*) FROM customers)::int AS customers')).rows[0]).toEqual({ audit: 7, customers: 3 });

      const empty = await createTestDatabase('rk_no_clean_action_empty');
      const into = await runAction('restore-db', { 'database-url': empty.url, 'snapshot-path': snap.outputs.path!, confirm: empty.name, clean: 'false', 'from-another-database': 'true' });
      expect(into.code, into.stdout).toBe(0);
      expect((await empty.query('SELECT count(*)::int AS n FROM customers')).rows[0]).toEqual({ n: 3 });

      // The primary key's name taken by another table's index: named while planned, with the rename that frees it.
      const taken = await createTestDatabase('rk_no_clean_action_taken');
      await taken.query('CREATE TABLE audit (id int); CREATE INDEX customers_pkey ON audit (id)');
      const clash = await runAction('restore-db', { 'database-url': taken.url, 'snapshot-path': snap.outputs.path!, confirm: taken.name, clean: 'false', 'from-another-database': 'true' });
      expect(clash.code).not.toBe(0);
      expect(clash.errors).toHaveLength(1);
      expect(clash.errors[0]).toContain(
        `Restore into 127.0.0.1:5432/${taken.name} cannot create what the snapshot holds under names objects it does not have already take: index public.customers_pkey of table public.audit has the name of the snapshot's constraint customers_pkey on table public.customers.`,
      );
      expect(clash.errors[0]).toContain('Rename what has the name (ALTER INDEX public.customers_pkey RENAME TO <new name>) and run again, or restore into an empty database. Nothing was changed');
      expect(clash.outputs['pre-restore-snapshot-path'] ?? '').toBe('');
      expect((await taken.query("SELECT to_regclass('public.customers') IS NULL AS gone")).rows[0]).toEqual({ gone: true });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
