// What restore-db keeps that the snapshot does not have, through its bundle with real pg_dump and
// pg_restore: an object that uses a type, function or extension the snapshot re-creates is refused
// while the restore is planned (before the pre-restore snapshot, nothing changed), and tables the
// snapshot does not have are named, those in a schema created after an unfiltered snapshot too.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { runAction, type ActionRun } from '../helpers/run-action.js';
import { schemaDump } from './fixture.js';
import { tempDir } from '../helpers/temp-dir.js';

async function snapshotOf(db: TestDatabase, inputs: Record<string, string> = {}): Promise<string> {
  const snap = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': await tempDir('rk-restoreplan-'), ...inputs });
  expect(snap.errors).toEqual([]);
  return snap.outputs.path!;
}

/** A restore that takes its pre-restore snapshot (the default), into a folder of its own. */
async function restore(db: TestDatabase, snapshot: string): Promise<ActionRun & { preRestoreDir: string }> {
  const preRestoreDir = await tempDir('rk-restoreplan-pre-');
  const run = await runAction('restore-db', { 'database-url': db.url, 'snapshot-path': snapshot, confirm: db.name, 'pre-restore-dir': preRestoreDir });
  return { ...run, preRestoreDir };
}

/**
 * Sets up a database, snapshots it, adds what the bad deploy adds, and restores: the restore must be
 * refused while it is planned, naming what it names, with nothing changed and no pre-restore
 * snapshot taken.
 */
async function expectRefused(setup: string, added: string, names: string[]): Promise<string> {
  const db = await createTestDatabase('rk_restoreplan_refuse');
  await db.query(setup);
  const snapshot = await snapshotOf(db);
  await db.query(added);
  const before = await schemaDump(db);
  const run = await restore(db, snapshot);
  expect(run.code).not.toBe(0);
  expect(run.errors).toHaveLength(1);
  const error = run.errors[0]!;
  expect(error).toContain('Objects the snapshot does not have use what it re-creates, so the restore could not drop that and create it again under them:');
  for (const name of names) expect(error).toContain(name);
  expect(error).toContain('Nothing was changed.');
  expect(error).toContain('do not drop with CASCADE');
  // Refused while planning: no pre-restore snapshot was taken, and the restore never started.
  expect(run.outputs['pre-restore-snapshot-path']).toBeUndefined();
  expect(readdirSync(run.preRestoreDir)).toEqual([]);
  expect(run.log).not.toContain('Restoring ');
  expect(await schemaDump(db)).toEqual(before);
  return error;
}

describe('a kept object that uses what the snapshot re-creates is refused before anything is changed', () => {
  it('a kept table with a column of an enum type the snapshot has', async () => {
    const error = await expectRefused(
      "CREATE TYPE mood AS ENUM ('ok', 'sad'); CREATE TABLE t (id int, m mood); INSERT INTO t VALUES (1, 'ok')",
      "CREATE TABLE extra (id int, m mood, ms mood[]); INSERT INTO extra VALUES (1, 'sad', '{ok}'); DELETE FROM t",
      ['column m of table public.extra uses type public.mood', 'column ms of table public.extra uses type public.mood[], which goes with type public.mood'],
    );
    expect(error).toContain('for a column of its type: ALTER TABLE public.extra ALTER COLUMN "m" TYPE text, or drop the column');
  });

  it('a kept view that calls a function the snapshot has', async () => {
    await expectRefused(
      'CREATE FUNCTION with_tax(p numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$ SELECT p * 1.2 $$; CREATE TABLE prices (p numeric); INSERT INTO prices VALUES (10)',
      'CREATE TABLE quotes (q numeric); CREATE VIEW quote_totals AS SELECT public.with_tax(q) AS total FROM quotes',
      ['view public.quote_totals uses function public.with_tax(numeric)'],
    );
  });

  it('a kept table that uses a type of an extension the snapshot has (citext)', async () => {
    await expectRefused(
      'CREATE EXTENSION citext; CREATE TABLE users (email citext PRIMARY KEY)',
      "CREATE TABLE invites (email public.citext); INSERT INTO invites VALUES ('A@example.com')",
      ['column email of table public.invites uses type public.citext, which goes with extension citext'],
    );
  });

  it('a kept function whose signature uses a type the snapshot has', async () => {
    await expectRefused(
      "CREATE TYPE mood AS ENUM ('ok', 'sad'); CREATE TABLE t (id int, m mood)",
      "CREATE FUNCTION describe_mood(m mood) RETURNS text LANGUAGE sql AS $$ SELECT m::text $$",
      ['function public.describe_mood(public.mood) uses type public.mood'],
    );
  });

  it('a kept partition (one a cron job created since) with a column of an enum type the snapshot has', async () => {
    // Detached for the restore, it still uses the type the snapshot's script drops.
    await expectRefused(
      "CREATE TYPE kind AS ENUM ('a', 'b'); CREATE TABLE events (at date NOT NULL, k kind) PARTITION BY RANGE (at); CREATE TABLE events_2026_01 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2026-02-01')",
      "CREATE TABLE events_2026_02 PARTITION OF events FOR VALUES FROM ('2026-02-01') TO ('2026-03-01'); INSERT INTO events VALUES ('2026-02-03', 'b')",
      ['column k of table public.events_2026_02 uses type public.kind'],
    );
  });

  it('names every one of them at once, with the tables the restore could not put back', async () => {
    await expectRefused(
      "CREATE SEQUENCE invoice_no; CREATE TYPE mood AS ENUM ('ok'); CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$; CREATE TABLE t (id int, m mood)",
      "CREATE TABLE kept (no int DEFAULT nextval('public.invoice_no'), m mood); CREATE TRIGGER kept_touch BEFORE UPDATE ON kept FOR EACH ROW EXECUTE FUNCTION touch()",
      [
        'The restore would have to drop objects the snapshot does not have, which restore-db cannot put back: default value for column no of table public.kept.',
        'column m of table public.kept uses type public.mood',
        'trigger kept_touch on table public.kept uses function public.touch()',
      ],
    );
  });

  it('what goes anyway is not refused: a kept view over a snapshot table calling a snapshot function, and the snapshot\'s own objects using its types', async () => {
    const db = await createTestDatabase('rk_restoreplan_ok');
    await db.query(`
      CREATE EXTENSION citext;
      CREATE TYPE mood AS ENUM ('ok', 'sad');
      CREATE FUNCTION label(m mood) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT upper(m::text) $$;
      CREATE TABLE t (id int, m mood, e citext DEFAULT 'x', CHECK (label(m) <> ''));
      CREATE VIEW t_labels AS SELECT id, label(m) FROM t;
      INSERT INTO t VALUES (1, 'ok'), (2, 'sad');`);
    const snapshot = await snapshotOf(db);
    await db.query("CREATE VIEW sad_labels AS SELECT label(m) AS l FROM t WHERE m = 'sad'; DELETE FROM t WHERE id = 1");
    const run = await restore(db, snapshot);
    expect(run.errors).toEqual([]);
    expect(run.outputs.verified).toBe('true');
    expect(run.log).toContain('Keeping view public.sad_labels (not in the snapshot): dropped for the restore and re-created after it.');
    expect((await db.query('SELECT l FROM sad_labels')).rows).toEqual([{ l: 'SAD' }]);
    expect((await db.query('SELECT count(*)::int AS n FROM t')).rows[0]!.n).toBe(2);
  });
});

describe('tables the snapshot does not have are named', () => {
  it('those in a schema created after an unfiltered snapshot, and a new partitioned table', async () => {
    const db = await createTestDatabase('rk_restoreplan_extra');
    await db.query('CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders VALUES (1), (2)');
    const snapshot = await snapshotOf(db);
    await db.query(`
      CREATE SCHEMA reports;
      CREATE TABLE reports.daily (day date PRIMARY KEY, n int); INSERT INTO reports.daily VALUES ('2026-01-01', 3);
      CREATE TABLE public.events (at date NOT NULL) PARTITION BY RANGE (at);
      CREATE TABLE public.events_2026 PARTITION OF public.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
      DELETE FROM orders;`);
    const run = await restore(db, snapshot);
    expect(run.errors).toEqual([]);
    expect(run.outputs.verified).toBe('true');
    expect(run.log).toContain('Tables the snapshot does not have were left as they are: public.events, public.events_2026, reports.daily.');
    expect(run.log).toContain('Schemas the snapshot does not have were left as they are: reports.');
    expect(run.summary).toContain('### Tables the snapshot does not have (left as they are)\n\n- `public.events`\n- `public.events_2026`\n- `reports.daily`');
    expect(run.summary).toContain('### Schemas the snapshot does not have (left as they are)\n\n- `reports`');
    // Left as they were, rows and all.
    expect((await db.query('SELECT n FROM reports.daily')).rows).toEqual([{ n: 3 }]);
    expect((await db.query('SELECT count(*)::int AS n FROM orders')).rows[0]!.n).toBe(2);
  });

  it('a filtered snapshot names only those in its own schemas: the schemas it left out are not its to name', async () => {
    const db = await createTestDatabase('rk_restoreplan_filtered');
    await db.query('CREATE SCHEMA app; CREATE SCHEMA auth; CREATE TABLE app.orders (id int); CREATE TABLE auth.users (id int)');
    const snapshot = await snapshotOf(db, { schemas: 'app' });
    await db.query('CREATE TABLE app.refunds (id int); CREATE SCHEMA billing; CREATE TABLE billing.invoices (id int)');
    const run = await restore(db, snapshot);
    expect(run.errors).toEqual([]);
    expect(run.log).toContain('Tables the snapshot does not have were left as they are: app.refunds.');
    expect(run.log).not.toContain('Schemas the snapshot does not have');
    expect(run.summary).not.toContain('auth.users');
    expect(run.summary).not.toContain('billing');
  });

  it('a manifest from before rollback-kit recorded whether a snapshot is filtered is read as filtered to the schemas it lists', async () => {
    // Snapshots kept from before the upgrade are what a rollback restores: one taken with `schemas: app`
    // must not name auth.users, which was there all along, outside its filter.
    const db = await createTestDatabase('rk_restoreplan_legacy');
    await db.query('CREATE SCHEMA app; CREATE SCHEMA auth; CREATE TABLE app.orders (id int); CREATE TABLE auth.users (id int)');
    const snapshot = await snapshotOf(db, { schemas: 'app' });
    const manifestPath = `${snapshot}.manifest.json`;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    expect(manifest.filter.everySchema).toBe(false);
    delete manifest.filter.everySchema;
    writeFileSync(manifestPath, JSON.stringify(manifest));
    await db.query('CREATE TABLE app.refunds (id int)');
    const run = await restore(db, snapshot);
    expect(run.errors).toEqual([]);
    expect(run.log).toContain('Tables the snapshot does not have were left as they are: app.refunds.');
    expect(run.log).not.toContain('auth.users');
    expect(run.log).not.toContain('Schemas the snapshot does not have');
  });

  it('a name with a line break is the snapshot\'s own, though the archive\'s table of contents writes it with a space', async () => {
    const db = await createTestDatabase('rk_restoreplan_newline');
    await db.query(`
      CREATE TYPE mood AS ENUM ('ok', 'sad');
      CREATE FUNCTION "f
x"(m mood) RETURNS int LANGUAGE sql AS 'SELECT 1';
      CREATE TABLE "line
break" (id int); INSERT INTO "line
break" VALUES (1);`);
    const snapshot = await snapshotOf(db);
    const run = await restore(db, snapshot);
    expect(run.errors).toEqual([]);
    expect(run.outputs.verified).toBe('true');
    expect(run.log).not.toContain('Objects the snapshot does not have');
    expect(run.log).not.toContain('Tables the snapshot does not have');
  });
});
