// `rollback-kit restore --dry-run` from its source: it plans the restore as the restore would, names
// what it would throw away, asks nothing, and changes nothing.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { runMain } from '../cli/run-main.js';
import { createTestDatabase } from '../helpers/pg.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('rollback-kit restore --dry-run', () => {
  it('names the columns and objects the restore would discard, and changes nothing', async () => {
    const db = await createTestDatabase('rk_restore_dry');
    await db.query('CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders SELECT generate_series(1, 30)');
    const cwd = await mkdtemp(join(tmpdir(), 'rk-restore-dry-'));
    const snapshot = (await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: cwd }), memoryLog())).path;
    await db.query("ALTER TABLE orders ADD COLUMN note text; UPDATE orders SET note = 'kept?' WHERE id <= 3; CREATE INDEX orders_note ON orders (note)");

    const run = await runMain(['restore', '--snapshot-path', snapshot, '--dry-run'], { cwd, env: { DATABASE_URL: db.url } });
    expect(run.code).toBe(0);
    const out = run.stdout + run.stderr;
    expect(out).toContain('The restore discards from public.orders what the snapshot does not have (added since it was taken): column note (text, 3 non-null value(s)); index orders_note: CREATE INDEX orders_note ON public.orders USING btree (note);');
    expect(out).toContain(`Dry run: would restore ${snapshot} over`);
    expect((await db.query('SELECT count(note)::int AS n FROM orders')).rows[0]).toEqual({ n: 3 });
  });
});
