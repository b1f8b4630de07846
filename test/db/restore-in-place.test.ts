// restore-db in place on a real schema, through its bundle: a partitioned table with a primary key,
// views, a materialized view, triggers and foreign keys, damaged after the snapshot, with a table and
// a view a bad deploy added over snapshot tables. Whatever fails, the database stays as it was.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDatabase, holdTableLock, type TestDatabase } from '../helpers/pg.js';
import { startPrivateServer } from '../helpers/password-pg.js';
import { findSecret, runAction, type ActionRun } from '../helpers/run-action.js';
import { addPartitionedPayments, buildShopDatabase, failWhenCreated, fingerprintDatabase, schemaDump } from './fixture.js';
import { tempDir } from '../helpers/temp-dir.js';

const PASSWORD = 'In-pl4ce-s3cret!';

function withPassword(url: string): string {
  const u = new URL(url);
  u.username = 'postgres';
  u.password = encodeURIComponent(PASSWORD);
  return u.toString();
}

interface Shop {
  db: TestDatabase;
  snapshot: string;
  original: Record<string, unknown>;
  originalSchema: string;
}

/** A shop with partitioned payments, snapshotted. */
async function snapshottedShop(prefix: string): Promise<Shop> {
  const db = await createTestDatabase(prefix);
  await buildShopDatabase(db, 600);
  await addPartitionedPayments(db);
  const snap = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': await tempDir('rk-inplace-') });
  expect(snap.errors).toEqual([]);
  return { db, snapshot: snap.outputs.path!, original: await fingerprintDatabase(db), originalSchema: await schemaDump(db) };
}

/** What a bad deploy does: data damaged, an object dropped, and new objects over snapshot tables. */
async function badDeploy(db: TestDatabase): Promise<void> {
  await db.query(`
    DELETE FROM public.payment WHERE id % 3 = 0;
    UPDATE public.payment SET note = 'oops' WHERE id < 100;
    UPDATE public.customers SET email = 'x' || email WHERE id < 10;
    DROP VIEW public.monthly_revenue;
    ALTER TABLE public.service_tickets ADD COLUMN priority int;
    CREATE TABLE public.refunds (id serial PRIMARY KEY, customer_id int NOT NULL REFERENCES public.customers(id), payment_id int, paid_at date,
      FOREIGN KEY (payment_id, paid_at) REFERENCES public.payment (id, paid_at));
    INSERT INTO public.refunds (customer_id, payment_id, paid_at) VALUES (3, 1, '2026-01-02'), (4, 2, '2026-01-03');
    CREATE VIEW public.refund_report AS SELECT r.id, c.email FROM public.refunds r JOIN public.customers c ON c.id = r.customer_id;
    CREATE VIEW public.big_payments AS SELECT * FROM public.payment WHERE amount > 40;
    CREATE MATERIALIZED VIEW public.payment_count AS SELECT count(*) AS n FROM public.big_payments;
    CREATE TABLE inventory.suppliers (id int PRIMARY KEY, name text);
    INSERT INTO inventory.suppliers VALUES (1, 'Acme'), (2, 'Globex');`);
}

function restore(shop: Shop, inputs: Record<string, string> = {}): Promise<ActionRun> {
  return runAction('restore-db', { 'database-url': withPassword(shop.db.url), 'snapshot-path': shop.snapshot, confirm: shop.db.name, ...inputs });
}

async function expectNoSecret(run: ActionRun): Promise<void> {
  expect(await findSecret(run, PASSWORD)).toEqual([]);
}

describe.each(['1', '4'])('jobs: %s', (jobs) => {
  it('restores the snapshot exactly and keeps the table, foreign keys and views added after it', async () => {
    const shop = await snapshottedShop('rk_inplace');
    await badDeploy(shop.db);
    const run = await restore(shop, { jobs });
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.outputs.verified).toBe('true');
    expect(existsSync(run.outputs['pre-restore-snapshot-path']!)).toBe(true);
    if (jobs === '4') expect(run.log).toContain('jobs: 4 is not used: the restore runs in one transaction');
    expect(run.log).toContain('Keeping foreign key refunds_customer_id_fkey of public.refunds');
    expect(run.log).toContain('Keeping view public.big_payments');
    expect(run.summary).toContain('public.refunds');

    // What the bad deploy added is still there and still works, rows and constraints included.
    const db = shop.db;
    expect((await db.query('SELECT count(*)::int AS n FROM public.refund_report')).rows[0]!.n).toBe(2);
    // A table added to a schema the snapshot holds: the schema is kept, not dropped and created again.
    expect((await db.query('SELECT count(*)::int AS n FROM inventory.suppliers')).rows[0]!.n).toBe(2);
    expect((await db.query('SELECT n::int FROM public.payment_count')).rows[0]!.n).toBe(
      (await db.query('SELECT count(*)::int AS n FROM public.payment WHERE amount > 40')).rows[0]!.n,
    );
    const keys = await db.query("SELECT conname FROM pg_constraint WHERE conrelid = 'public.refunds'::regclass AND contype = 'f' AND conparentid = 0 ORDER BY 1");
    expect(keys.rows.map((r) => r.conname)).toEqual(['refunds_customer_id_fkey', 'refunds_payment_id_paid_at_fkey']);
    await expect(db.query('INSERT INTO public.refunds (customer_id) VALUES (999999)')).rejects.toThrow(/violates foreign key constraint/);

    // Without them, the database is the snapshot: catalogue, schema and every row.
    await db.query('DROP MATERIALIZED VIEW public.payment_count; DROP VIEW public.big_payments, public.refund_report; DROP TABLE public.refunds, inventory.suppliers');
    expect(await fingerprintDatabase(db)).toEqual(shop.original);
    expect(await schemaDump(db)).toEqual(shop.originalSchema);
    await expectNoSecret(run);
  });
});

describe('a restore that fails', () => {
  it('halfway (after the partitions were dropped and recreated in part): everything as it was, pre-restore-snapshot-path set', async () => {
    const shop = await snapshottedShop('rk_inplace_fail');
    await badDeploy(shop.db);
    const removeTrigger = await failWhenCreated(shop.db, 'public.payment_2026_02');
    const before = await fingerprintDatabase(shop.db);
    const beforeSchema = await schemaDump(shop.db);
    const preDir = await tempDir('rk-keep-');
    const run = await restore(shop, { 'pre-restore-dir': preDir, jobs: '4' });
    expect(run.code).not.toBe(0);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(/Restore into 127\.0\.0\.1:5432\/rk_inplace_fail_\w+ failed: injected failure: public\.payment_2026_02 created\. The restore ran in one transaction, so the database is as it was before\. The state before is also kept in /);
    expect(run.outputs['pre-restore-snapshot-path']).toMatch(new RegExp(`^${preDir}/rk_inplace_fail_\\w+-pre-restore-\\d{8}T\\d{9}Z\\.dump$`));
    expect(existsSync(run.outputs['pre-restore-snapshot-path']!)).toBe(true);
    expect(existsSync(`${run.outputs['pre-restore-snapshot-path']}.manifest.json`)).toBe(true);
    // The failure's summary says where the way back is, under the heading every failed step writes.
    expect(run.summary).toContain('### restore-db: failed');
    expect(run.summary).toContain(`Pre-restore snapshot (the database as it was before this step): \`${run.outputs['pre-restore-snapshot-path']}\``);
    expect(await fingerprintDatabase(shop.db)).toEqual(before);
    expect(await schemaDump(shop.db)).toEqual(beforeSchema);
    await removeTrigger();
    await expectNoSecret(run);
  });

  it('at the very end, re-creating a kept foreign key that points at rows the snapshot has not: everything as it was', async () => {
    const shop = await snapshottedShop('rk_inplace_fk');
    await badDeploy(shop.db);
    await shop.db.query("INSERT INTO public.customers (email) VALUES ('new@example.com'); INSERT INTO public.refunds (customer_id) SELECT max(id) FROM public.customers");
    const before = await fingerprintDatabase(shop.db);
    const beforeSchema = await schemaDump(shop.db);
    const run = await restore(shop);
    expect(run.code).not.toBe(0);
    expect(run.errors[0]).toMatch(/violates foreign key constraint "refunds_customer_id_fkey".*so the database is as it was before\..*Rows of tables the snapshot does not have point at rows it does not have/);
    expect(existsSync(run.outputs['pre-restore-snapshot-path']!)).toBe(true);
    expect(await fingerprintDatabase(shop.db)).toEqual(before);
    expect(await schemaDump(shop.db)).toEqual(beforeSchema);
  });

  it('refuses, before anything is written, an object added after the snapshot that it could not put back', async () => {
    const shop = await snapshottedShop('rk_inplace_refuse');
    await shop.db.query("CREATE TABLE public.invoices (no int DEFAULT nextval('public.invoice_no'), customer public.customers)");
    const before = await schemaDump(shop.db);
    const run = await restore(shop);
    expect(run.code).not.toBe(0);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toContain('The restore would have to drop objects the snapshot does not have, which restore-db cannot put back:');
    expect(run.errors[0]).toContain('column customer of table public.invoices');
    expect(run.errors[0]).toContain('default value for column no of table public.invoices');
    expect(run.errors[0]).toContain('Nothing was changed.');
    expect(run.outputs['pre-restore-snapshot-path']).toBeUndefined();
    expect(await schemaDump(shop.db)).toEqual(before);
  });
});

describe('partitions the snapshot does not have', () => {
  /** Rows of every relation named, in order: what must come back unchanged. */
  const rowsOf = async (db: TestDatabase, table: string) => (await db.query(`SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) AS h, count(*)::int AS n FROM ${table} t`)).rows[0];

  it('a partition created since (a cron job, pg_partman) is kept with its rows and attached to the restored table', async () => {
    const db = await createTestDatabase('rk_keep_part');
    await db.query(`
      CREATE TABLE kinds (id int PRIMARY KEY);
      INSERT INTO kinds VALUES (1), (2);
      CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY, at date NOT NULL, kind int NOT NULL REFERENCES kinds, payload text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
      CREATE TABLE events_2024_01 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
      INSERT INTO events (at, kind, payload) SELECT '2024-01-01'::date + (i % 30), 1 + i % 2, 'jan' || i FROM generate_series(1, 100) i;`);
    const snap = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': await tempDir('rk-keep-part-') });
    expect(snap.errors).toEqual([]);
    const january = await rowsOf(db, 'events_2024_01');
    await db.query(`
      CREATE TABLE events_2024_02 PARTITION OF events FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
      INSERT INTO events (at, kind, payload) SELECT '2024-02-01'::date + (i % 28), 2, 'feb' || i FROM generate_series(1, 50) i;
      DELETE FROM events WHERE at < '2024-01-10';`);
    const february = await rowsOf(db, 'events_2024_02');

    const run = await runAction('restore-db', { 'database-url': db.url, 'snapshot-path': snap.outputs.path!, confirm: db.name, 'pre-restore-snapshot': 'false' });
    expect(run.errors).toEqual([]);
    expect(run.outputs.verified).toBe('true');
    expect(run.log).toContain('Keeping partition public.events_2024_02 of public.events (not in the snapshot): detached for the restore and attached again after it, with its rows.');
    expect(await rowsOf(db, 'events_2024_01')).toEqual(january);
    expect(await rowsOf(db, 'events_2024_02')).toEqual(february);
    const bound = await db.query("SELECT i.inhparent::regclass::text AS parent, pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE c.oid = 'events_2024_02'::regclass");
    expect(bound.rows).toEqual([{ parent: 'events', bound: "FOR VALUES FROM ('2024-02-01') TO ('2024-03-01')" }]);
    // Attached again, it has the restored table's foreign key once, as a partition's copy.
    const keys = await db.query("SELECT count(*)::int AS n FROM pg_constraint WHERE conrelid = 'events_2024_02'::regclass AND contype = 'f' AND conparentid <> 0");
    expect(keys.rows[0]!.n).toBe(1);
    await expect(db.query("INSERT INTO events (at, kind) VALUES ('2024-02-03', 9)")).rejects.toThrow(/violates foreign key constraint/);
  });

  it('a partition in a schema a filtered snapshot left out is kept with its rows', async () => {
    const db = await createTestDatabase('rk_keep_part_filter');
    await db.query(`
      CREATE SCHEMA app; CREATE SCHEMA archive;
      CREATE TABLE app.events (id bigint, at date NOT NULL, payload text) PARTITION BY RANGE (at);
      CREATE TABLE app.events_2024 PARTITION OF app.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
      CREATE TABLE archive.events_2023 PARTITION OF app.events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
      INSERT INTO app.events SELECT i, '2023-06-01'::date + i, 'x' FROM generate_series(1, 300) i;`);
    const snap = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': await tempDir('rk-keep-part-'), schemas: 'app' });
    expect(snap.errors).toEqual([]);
    const current = await rowsOf(db, 'app.events_2024');
    await db.query("UPDATE app.events SET payload = 'changed'");
    // Outside the filter: not the snapshot's to restore, so it stays exactly as it is now.
    const archived = await rowsOf(db, 'archive.events_2023');
    expect(archived!.n).toBe(213);

    const run = await runAction('restore-db', { 'database-url': db.url, 'snapshot-path': snap.outputs.path!, confirm: db.name, 'pre-restore-snapshot': 'false' });
    expect(run.errors).toEqual([]);
    expect(await rowsOf(db, 'archive.events_2023')).toEqual(archived);
    expect(await rowsOf(db, 'app.events_2024')).toEqual(current);
    expect((await db.query('SELECT count(*)::int AS n FROM app.events')).rows[0]!.n).toBe(300);
  });

  it('a snapshot table whose foreign key points into a kept partition does not stop the detach', async () => {
    const db = await createTestDatabase('rk_keep_part_fk');
    await db.query(`
      CREATE TABLE orders (id int, at date NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
      CREATE TABLE orders_2024_01 PARTITION OF orders FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
      CREATE TABLE order_items (id int PRIMARY KEY, order_id int, order_at date, FOREIGN KEY (order_id, order_at) REFERENCES orders);
      INSERT INTO orders VALUES (1, '2024-01-05'); INSERT INTO order_items VALUES (1, 1, '2024-01-05');`);
    const snap = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': await tempDir('rk-keep-part-') });
    expect(snap.errors).toEqual([]);
    await db.query(`CREATE TABLE orders_2024_02 PARTITION OF orders FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
      INSERT INTO orders VALUES (2, '2024-02-05'); INSERT INTO order_items VALUES (2, 2, '2024-02-05');`);
    const run = await runAction('restore-db', { 'database-url': db.url, 'snapshot-path': snap.outputs.path!, confirm: db.name, 'pre-restore-snapshot': 'false' });
    expect(run.errors).toEqual([]);
    expect((await db.query('SELECT id FROM orders ORDER BY id')).rows).toEqual([{ id: 1 }, { id: 2 }]);
    expect((await db.query('SELECT id FROM order_items ORDER BY id')).rows).toEqual([{ id: 1 }]);
    await expect(db.query("INSERT INTO order_items VALUES (3, 9, '2024-02-05')")).rejects.toThrow(/violates foreign key constraint/);
  });

  it('one that cannot be attached to the restored table fails the restore, and everything is as it was', async () => {
    const db = await createTestDatabase('rk_keep_part_fail');
    await db.query(`
      CREATE TABLE events (id bigint, at date NOT NULL) PARTITION BY RANGE (at);
      CREATE TABLE events_2024_01 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
      INSERT INTO events SELECT i, '2024-01-01'::date + (i % 30) FROM generate_series(1, 100) i;`);
    const snap = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': await tempDir('rk-keep-part-') });
    expect(snap.errors).toEqual([]);
    // The bad deploy added a column; the new partition has it, the restored table will not.
    await db.query(`ALTER TABLE events ADD COLUMN source text;
      CREATE TABLE events_2024_02 PARTITION OF events FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
      INSERT INTO events SELECT i, '2024-02-01'::date + (i % 28), 'web' FROM generate_series(1, 50) i;`);
    const before = await schemaDump(db);
    const rows = await rowsOf(db, 'events');
    const run = await runAction('restore-db', { 'database-url': db.url, 'snapshot-path': snap.outputs.path!, confirm: db.name, 'pre-restore-snapshot': 'false' });
    expect(run.code).not.toBe(0);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(/failed: .*events_2024_02.*source.*The restore ran in one transaction, so the database is as it was before\..*partition/);
    expect(await schemaDump(db)).toEqual(before);
    expect(await rowsOf(db, 'events')).toEqual(rows);
  });
});

describe('a table with columns named begin and atomic', () => {
  it('restores in one transaction with everything kept put back (its COPY is not read as a BEGIN ATOMIC body)', async () => {
    const db = await createTestDatabase('rk_begin_atomic');
    await db.query('CREATE TABLE t (id int, begin int, atomic int); INSERT INTO t VALUES (1, 2, 3)');
    const snap = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': await tempDir('rk-atomic-') });
    expect(snap.errors).toEqual([]);
    await db.query('CREATE VIEW v AS SELECT id FROM t; DELETE FROM t');
    const run = await runAction('restore-db', { 'database-url': db.url, 'snapshot-path': snap.outputs.path!, confirm: db.name, 'pre-restore-snapshot': 'false' });
    expect(run.errors).toEqual([]);
    expect((await db.query('SELECT * FROM v')).rows).toEqual([{ id: 1 }]);
  });
});

describe('a kept operator that uses a function the snapshot re-creates', () => {
  // restore-kept-users.test has every kind through the library; this is the action's own error line.
  it('is refused while the restore is planned, naming it, and warns off CASCADE; nothing changed', async () => {
    const db = await createTestDatabase('rk_kept_type');
    await db.query('CREATE FUNCTION same(a int, b int) RETURNS bool LANGUAGE sql AS $$ SELECT a = b $$; CREATE TABLE t (id int); INSERT INTO t VALUES (1)');
    const snap = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': await tempDir('rk-kept-type-') });
    expect(snap.errors).toEqual([]);
    await db.query('CREATE OPERATOR === (leftarg = int, rightarg = int, function = same); DELETE FROM t');
    const before = await schemaDump(db);
    const run = await runAction('restore-db', { 'database-url': db.url, 'snapshot-path': snap.outputs.path!, confirm: db.name, 'pre-restore-snapshot': 'false' });
    expect(run.code).not.toBe(0);
    expect(run.errors[0]).toMatch(/^Objects the snapshot does not have use what it re-creates, .*: operator public\.===\(integer,integer\) uses function public\.same\(integer,integer\)\. Nothing was changed\..*do not drop with CASCADE/);
    expect(run.log).not.toContain('Restoring ');
    expect(await schemaDump(db)).toEqual(before);
    expect((await db.query('SELECT (SELECT count(*) FROM t)::int AS t, (SELECT 1 === 1) AS op')).rows[0]).toEqual({ t: 0, op: true });
  });
});

describe('lock waits', () => {
  it('restore-db: an idle transaction holding a snapshot table stops the restore at lock-timeout-seconds, naming its pid and query', async () => {
    const shop = await snapshottedShop('rk_inplace_lock');
    await shop.db.query('DELETE FROM public.audit_log');
    const before = await fingerprintDatabase(shop.db);
    const held = await holdTableLock(shop.db, 'public.service_tickets');
    let run: ActionRun;
    try {
      run = await restore(shop, { 'lock-timeout-seconds': '1', 'pre-restore-snapshot': 'false' });
    } finally {
      await held.release();
    }
    expect(run.code).not.toBe(0);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toContain(`stopped: a lock was not granted within lock-timeout-seconds (1 s), held by session pid ${held.pid} (user postgres, idle in transaction for`);
    expect(run.errors[0]).toContain('last query "LOCK TABLE public.service_tickets IN ACCESS SHARE MODE"');
    expect(run.errors[0]).toContain('so the database is as it was before');
    expect(run.errors[0]).toContain(`pg_terminate_backend(${held.pid})`);
    expect(await fingerprintDatabase(shop.db)).toEqual(before);
    await expectNoSecret(run);
  });

  it('restore-db: a lock the snapshot\'s own script waits for (a foreign key into a table outside it) is bounded too', async () => {
    const db = await createTestDatabase('rk_script_lock');
    await db.query(`CREATE TABLE public.users (id int PRIMARY KEY); INSERT INTO public.users SELECT generate_series(1, 10);
      CREATE SCHEMA app; CREATE TABLE app.orders (id int PRIMARY KEY, uid int REFERENCES public.users); INSERT INTO app.orders VALUES (1, 1);`);
    const snap = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': await tempDir('rk-script-lock-'), schemas: 'app' });
    expect(snap.errors).toEqual([]);
    await db.query('DROP TABLE app.orders');
    const before = await schemaDump(db);
    // A writer on users: pg_dump's script adds the foreign key to it, which waits for that writer.
    const held = await holdTableLock(db, 'public.users', 'ROW EXCLUSIVE');
    let run: ActionRun;
    try {
      run = await runAction('restore-db', { 'database-url': db.url, 'snapshot-path': snap.outputs.path!, confirm: db.name, 'pre-restore-snapshot': 'false', 'lock-timeout-seconds': '1' });
    } finally {
      await held.release();
    }
    expect(run.code).not.toBe(0);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toContain(`stopped: a lock was not granted within lock-timeout-seconds (1 s), held by session pid ${held.pid}`);
    expect(run.errors[0]).toContain('so the database is as it was before');
    expect(await schemaDump(db)).toEqual(before);
  });

  it('restore-db: a lock the snapshot\'s data waits for (a check constraint that reads a table outside it) is bounded too', async () => {
    // pg_restore writes the data with its own SET lock_timeout = 0 and psql reads it straight from
    // pg_restore (restore-data.ts): the lock watcher cancels the wait instead.
    const db = await createTestDatabase('rk_data_lock');
    await db.query(`CREATE TABLE public.users (id int PRIMARY KEY); INSERT INTO public.users SELECT generate_series(1, 10);
      CREATE SCHEMA app;
      CREATE FUNCTION app.known(uid int) RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT EXISTS (SELECT 1 FROM public.users WHERE id = uid) $$;
      CREATE TABLE app.orders (id int PRIMARY KEY, uid int CHECK (app.known(uid))); INSERT INTO app.orders VALUES (1, 1), (2, 2);`);
    const snap = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': await tempDir('rk-data-lock-'), schemas: 'app' });
    expect(snap.errors).toEqual([]);
    await db.query('DELETE FROM app.orders WHERE id = 2');
    const state = async () => [await schemaDump(db), (await db.query('SELECT id, uid FROM app.orders ORDER BY id')).rows];
    const before = await state();
    // Only the rows' check reads users: nothing before the data waits for this lock.
    const held = await holdTableLock(db, 'public.users', 'ACCESS EXCLUSIVE');
    let run: ActionRun;
    try {
      run = await runAction('restore-db', { 'database-url': db.url, 'snapshot-path': snap.outputs.path!, confirm: db.name, 'pre-restore-snapshot': 'false', 'lock-timeout-seconds': '1' });
    } finally {
      await held.release();
    }
    expect(run.code).not.toBe(0);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toContain(`stopped: a lock was not granted within lock-timeout-seconds (1 s), held by session pid ${held.pid}`);
    expect(run.errors[0]).toContain('so the database is as it was before');
    expect(await state()).toEqual(before);
  });

  it('snapshot-db: a session holding an exclusive lock stops the dump at lock-timeout-seconds, naming it; nothing is kept', async () => {
    const db = await createTestDatabase('rk_snap_lock');
    await buildShopDatabase(db, 100);
    const dir = await tempDir('rk-inplace-');
    const held = await holdTableLock(db, 'inventory.parts', 'ACCESS EXCLUSIVE');
    let run: ActionRun;
    try {
      run = await runAction('snapshot-db', { 'database-url': withPassword(db.url), 'output-dir': dir, 'lock-timeout-seconds': '1' });
    } finally {
      await held.release();
    }
    expect(run.code).not.toBe(0);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(new RegExp(`^Snapshot of 127\\.0\\.0\\.1:5432/${db.name} stopped: a lock was not granted within lock-timeout-seconds \\(1 s\\), held by session pid ${held.pid} \\(user postgres, idle in transaction for \\d+ s, last query "LOCK TABLE inventory\\.parts IN ACCESS EXCLUSIVE MODE"\\)\\. Nothing was kept\\.`));
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(dir)).toEqual([]);
    await expectNoSecret(run);
  });
});

it('pre-restore-dir that cannot be written: the error names pre-restore-dir, the input restore-db has', async () => {
  const shop = await snapshottedShop('rk_inplace_dir');
  const dir = await tempDir('rk-inplace-');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(dir, 'a-file'), 'x');
  const run = await restore(shop, { 'pre-restore-dir': join(dir, 'a-file', 'keep') });
  expect(run.code).not.toBe(0);
  expect(run.errors).toEqual([expect.stringMatching(/^Cannot create pre-restore-dir .*a-file\/keep: .*a-file is a file, not a folder\. Point pre-restore-dir at a writable folder/)]);
  expect(run.errors[0]).not.toContain('output-dir');
});

it('out of locks: a one-transaction restore of many tables keeps PostgreSQL\'s HINT, says what to raise, and changes nothing', async () => {
  // A server of our own with few lock slots (max_locks_per_transaction × backends): enough for
  // pg_dump, which locks each table once, not for a restore that drops and creates every table,
  // index and sequence in one transaction.
  const server = await startPrivateServer({ settings: { max_locks_per_transaction: '10', max_connections: '20' } });
  try {
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query('CREATE DATABASE many');
    await admin.end();
    const url = server.url.replace(/\/postgres$/, '/many');
    const db = new pg.Client({ connectionString: url });
    db.on('error', () => undefined);
    await db.connect();
    await db.query("DO $$ BEGIN FOR i IN 1..100 LOOP EXECUTE format('CREATE TABLE t%s (id serial PRIMARY KEY, v text)', i); EXECUTE format('INSERT INTO t%s (v) VALUES (''a'')', i); END LOOP; END $$");
    const snap = await runAction('snapshot-db', { 'database-url': url, 'output-dir': await tempDir('rk-inplace-') });
    expect(snap.errors).toEqual([]);
    await db.query('INSERT INTO t1 (v) VALUES (\'after\')');
    const run = await runAction('restore-db', { 'database-url': url, 'snapshot-path': snap.outputs.path, confirm: 'many', 'pre-restore-snapshot': 'false' });
    expect(run.code).not.toBe(0);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(/failed: out of shared memory HINT: You might need to increase max_locks_per_transaction\. The restore ran in one transaction, so the database is as it was before\./);
    expect(run.errors[0]).toContain('raise max_locks_per_transaction (a server setting; it takes a restart)');
    expect((await db.query('SELECT count(*)::int AS n FROM t1')).rows[0]!.n).toBe(2);
    expect((await db.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'")).rows[0]!.n).toBe(100);
    await db.end();
  } finally {
    await server.stop();
  }
});
