// Row counts: the snapshot's manifest counts each table's own rows, what its COPY in the archive
// holds, and restore-db commits only when every table holds exactly that, counted in its own
// transaction before the commit. snapshot-db and restore-db run through their bundles on tables
// whose names and values are awkward, against count(*).
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('through the bundles, against count(*)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('rk_copyrows');
    await db.query(`
      CREATE SCHEMA "we.ird";
      CREATE TABLE "we.ird"."ta""ble" (x text);
      INSERT INTO "we.ird"."ta""ble" SELECT 'line one' || chr(10) || '\\.' || chr(10) || g FROM generate_series(1, 37) g;
      CREATE TABLE public.no_columns ();
      INSERT INTO public.no_columns SELECT FROM generate_series(1, 5);
      CREATE TABLE public.empty (id int);
      CREATE TABLE public.parent (id int);
      CREATE TABLE public.child () INHERITS (public.parent);
      INSERT INTO public.parent SELECT generate_series(1, 3);
      INSERT INTO public.child SELECT generate_series(1, 11);
      CREATE TABLE public.big (id int PRIMARY KEY, v text);
      INSERT INTO public.big SELECT g, repeat('v', g % 50) FROM generate_series(1, 20000) g;`);
  });

  it.each(['custom', 'directory', 'plain'] as const)('%s: the manifest counts what each table holds, and the restore commits those rows', async (format) => {
    const dir = await tempDir('rk-copyrows-');
    const snap = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': dir, format });
    expect(snap.code, snap.stdout + snap.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(snap.outputs['manifest-path']!, 'utf8'));
    expect(manifest.rowCounts).toBe('dumped');
    const rows = Object.fromEntries(manifest.tables.map((t: { schema: string; name: string; rows: number }) => [`${t.schema}|${t.name}`, t.rows]));
    // A parent's own rows: pg_dump copies each table of an inheritance tree on its own.
    expect(rows).toEqual({ 'we.ird|ta"ble': 37, 'public|no_columns': 5, 'public|empty': 0, 'public|parent': 3, 'public|child': 11, 'public|big': 20000 });
    const only = async (table: string) => Number((await db.query(`SELECT count(*) AS n FROM ONLY ${table}`)).rows[0]!.n);
    expect(await only('"we.ird"."ta""ble"')).toBe(37);
    expect(await only('public.parent')).toBe(3);

    await db.query('DELETE FROM public.big WHERE id > 10; INSERT INTO public.empty VALUES (1)');
    const restore = await runAction('restore-db', { 'database-url': db.url, 'snapshot-path': snap.outputs.path!, confirm: db.name, 'pre-restore-snapshot': 'false' });
    expect(restore.code, restore.stdout + restore.stderr).toBe(0);
    expect(restore.outputs.verified).toBe('true');
    expect(await only('public.big')).toBe(20000);
    expect(await only('public.empty')).toBe(0);
  });

  it('rolls back, naming the table, when a table does not hold the rows the manifest counts', async () => {
    const dir = await tempDir('rk-copyrows-');
    const snap = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': dir });
    expect(snap.code, snap.stdout + snap.stderr).toBe(0);
    // The archive is untouched (its sha256 still matches); only the manifest's count is wrong.
    const path = snap.outputs['manifest-path']!;
    const manifest = JSON.parse(readFileSync(path, 'utf8'));
    manifest.tables.find((t: { name: string }) => t.name === 'big').rows = 19999;
    await writeFile(path, JSON.stringify(manifest));
    await db.query('DELETE FROM public.big WHERE id > 10');

    const restore = await runAction('restore-db', { 'database-url': db.url, 'snapshot-path': snap.outputs.path!, confirm: db.name, 'pre-restore-snapshot': 'false' });
    expect(restore.code).not.toBe(0);
    expect(restore.errors[0]).toMatch(/was rolled back: the tables did not hold the rows the snapshot holds before the commit: public\.big \(19999 expected, 20000 restored\)/);
    expect(restore.errors[0]).toContain('the database is as it was before');
    expect(Number((await db.query('SELECT count(*) AS n FROM public.big')).rows[0]!.n)).toBe(10);
  });

  it('with a manifest from before rowCounts, counts a parent with its inheritance children, as it did', async () => {
    const dir = await tempDir('rk-copyrows-');
    const snap = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': dir });
    expect(snap.code, snap.stdout + snap.stderr).toBe(0);
    const path = snap.outputs['manifest-path']!;
    const manifest = JSON.parse(readFileSync(path, 'utf8'));
    delete manifest.rowCounts;
    manifest.tables.find((t: { name: string }) => t.name === 'parent').rows = 14;
    await writeFile(path, JSON.stringify(manifest));
    await db.query('INSERT INTO public.empty VALUES (7)');

    const restore = await runAction('restore-db', { 'database-url': db.url, 'snapshot-path': snap.outputs.path!, confirm: db.name, 'pre-restore-snapshot': 'false' });
    expect(restore.code, restore.stdout + restore.stderr).toBe(0);
    expect(restore.outputs.verified).toBe('true');
    expect(Number((await db.query('SELECT count(*) AS n FROM public.empty')).rows[0]!.n)).toBe(0);
  });
});

// Without clean every table the snapshot holds is one the restore's transaction creates, so the
// check reads that transaction's own counts of them (rowCheckStatement) rather than the tables.
describe('restored without clean, over tables dropped since the snapshot', () => {
  it('commits the rows it wrote, and rolls back a manifest that counts others, per partitioned table', async () => {
    const db = await createTestDatabase('rk_noclean');
    await db.query(`
      CREATE TABLE solo (id int); INSERT INTO solo SELECT generate_series(1, 12);
      CREATE TABLE pr (id int) PARTITION BY RANGE (id);
      CREATE TABLE pr_low PARTITION OF pr FOR VALUES FROM (0) TO (100);
      CREATE TABLE pr_high PARTITION OF pr FOR VALUES FROM (100) TO (1000);
      INSERT INTO pr SELECT generate_series(1, 150);`);
    const dir = await tempDir('rk-noclean-');
    const snap = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': dir });
    expect(snap.code, snap.stdout + snap.stderr).toBe(0);
    const path = snap.outputs['manifest-path']!;
    const right = readFileSync(path, 'utf8');
    const wrong = JSON.parse(right);
    wrong.tables.find((t: { name: string }) => t.name === 'pr_high').rows = 52;
    await writeFile(path, JSON.stringify(wrong));
    await db.query('DROP TABLE solo, pr');
    const inputs = { 'database-url': db.url, 'snapshot-path': snap.outputs.path!, confirm: db.name, 'pre-restore-snapshot': 'false', clean: 'false' };

    const refused = await runAction('restore-db', inputs);
    expect(refused.code).not.toBe(0);
    expect(refused.errors[0]).toMatch(/was rolled back: the tables did not hold the rows the snapshot holds before the commit: public\.pr \(151 expected, 150 restored\)\./);
    expect((await db.query("SELECT to_regclass('public.solo') AS t")).rows[0]!.t).toBeNull();

    await writeFile(path, right);
    const restore = await runAction('restore-db', inputs);
    expect(restore.code, restore.stdout + restore.stderr).toBe(0);
    expect(restore.outputs.verified).toBe('true');
    const { rows } = await db.query<{ t: string; n: string }>('SELECT tableoid::regclass::text AS t, count(*) AS n FROM (SELECT tableoid FROM solo UNION ALL SELECT tableoid FROM pr) x GROUP BY 1 ORDER BY 1');
    expect(rows.map((r) => [r.t, Number(r.n)])).toEqual([
      ['pr_high', 51],
      ['pr_low', 99],
      ['solo', 12],
    ]);
  });
});

describe('what pg_dump writes that only looks like something else', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('rk_lookalike');
    await db.query(`
      -- pg_dump loads these partitions through their root (hash on an enum): COPY public.hp, and the
      -- enum's new OIDs may route a row to the other partition.
      CREATE TYPE color AS ENUM ('red', 'green', 'blue');
      CREATE TABLE hp (c color, id int) PARTITION BY HASH (c);
      CREATE TABLE hp0 PARTITION OF hp FOR VALUES WITH (MODULUS 2, REMAINDER 0);
      CREATE TABLE hp1 PARTITION OF hp FOR VALUES WITH (MODULUS 2, REMAINDER 1);
      INSERT INTO hp SELECT (ARRAY['red', 'green', 'blue'])[1 + g % 3]::color, g FROM generate_series(1, 30) g;
      -- A table name with a newline: its COPY statement spans two lines.
      CREATE TABLE "new
line" (id int);
      INSERT INTO "new
line" VALUES (1), (2), (3);
      CREATE TABLE a (id int);
      -- A function body and a comment that look like COPY data to a reader of lines.
      CREATE FUNCTION loader() RETURNS text LANGUAGE sql AS $f$ SELECT 'x
COPY public.a FROM stdin;
42
\\.
'::text $f$;
      COMMENT ON TABLE a IS 'y
COPY public.a FROM stdin;
\\.
';`);
  });

  it.each(['custom', 'plain'] as const)('%s: restores them exactly, and the rows check passes', async (format) => {
    const fingerprint = async () =>
      (await db.query(`SELECT md5(loader()) AS f, md5(obj_description('public.a'::regclass)) AS c, (SELECT count(*) FROM hp) AS h, (SELECT count(*) FROM "new
line") AS nl`)).rows[0];
    const before = await fingerprint();
    const dir = await tempDir('rk-lookalike-');
    const snap = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': dir, format });
    expect(snap.code, snap.stdout + snap.stderr).toBe(0);
    await db.query('DELETE FROM hp; INSERT INTO a VALUES (1)');
    const restore = await runAction('restore-db', { 'database-url': db.url, 'snapshot-path': snap.outputs.path!, confirm: db.name, 'pre-restore-snapshot': 'false' });
    expect(restore.code, restore.stdout + restore.stderr).toBe(0);
    expect(await fingerprint()).toEqual(before);
    expect(Number((await db.query('SELECT count(*) AS n FROM a')).rows[0]!.n)).toBe(0);
  });
});

describe('what looks like a statement restore-db acts on, inside a body, a string or a comment', () => {
  // restore-db drops the script's BEGIN and last COMMIT, keeps schemas (no DROP SCHEMA, CREATE SCHEMA
  // IF NOT EXISTS) and passes COPY data on: where a statement starts, never inside the user's code.
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('rk_bodies');
    await db.query(`
      CREATE SCHEMA tmp;
      CREATE TABLE a (id int);
      INSERT INTO a VALUES (1), (2);
      CREATE FUNCTION cleanup() RETURNS void LANGUAGE plpgsql AS $f$
BEGIN
DROP SCHEMA IF EXISTS tmp;
CREATE SCHEMA tmp2;
-- COPY public.a FROM stdin;
/*
COPY public.a FROM stdin;
*/
END $f$;
      CREATE PROCEDURE step() LANGUAGE plpgsql AS $$
BEGIN
INSERT INTO a VALUES (3);
COMMIT;
END $$;
      COMMENT ON TABLE a IS 'before
DROP SCHEMA IF EXISTS x;
CREATE SCHEMA y;
BEGIN;
COMMIT;
';
      -- A schema whose name holds a newline, and that holds a table the snapshot will not have.
      CREATE SCHEMA "sch
ema";
      CREATE TABLE "sch
ema".kept (id int);
      INSERT INTO "sch
ema".kept VALUES (1);`);
  });

  const definitions = async () =>
    (
      await db.query(`SELECT pg_get_functiondef('cleanup'::regproc) AS f, pg_get_functiondef('step'::regproc) AS p, obj_description('a'::regclass, 'pg_class') AS c,
        (SELECT array_agg(nspname ORDER BY nspname) FROM pg_namespace WHERE nspname !~ '^(pg_|information_schema)') AS s`)
    ).rows[0]!;

  it.each(['custom', 'plain'] as const)('%s: restores bodies and comments byte for byte, and keeps the schema', async (format) => {
    const before = await definitions();
    expect(before.f).toContain('\nDROP SCHEMA IF EXISTS tmp;\nCREATE SCHEMA tmp2;\n');
    const dir = await tempDir('rk-bodies-');
    const snap = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': dir, format });
    expect(snap.code, snap.stdout + snap.stderr).toBe(0);
    await db.query(`DELETE FROM a; CREATE TABLE "sch
ema".added (id int); INSERT INTO "sch
ema".added VALUES (7)`);
    const restore = await runAction('restore-db', { 'database-url': db.url, 'snapshot-path': snap.outputs.path!, confirm: db.name, 'pre-restore-snapshot': 'false' });
    expect(restore.code, restore.stdout + restore.stderr).toBe(0);
    expect(restore.outputs.verified).toBe('true');
    expect(await definitions()).toEqual(before);
    expect(Number((await db.query('SELECT count(*) AS n FROM a')).rows[0]!.n)).toBe(2);
    // What the bad deploy added to a schema the snapshot holds is still there: the schema was kept.
    expect(Number((await db.query('SELECT count(*) AS n FROM "sch\nema".added')).rows[0]!.n)).toBe(1);
    await db.query('DROP TABLE "sch\nema".added');
  });
});

describe('a database whose dumps are not UTF-8', () => {
  it.each(['custom', 'plain'] as const)('%s: restores its text byte for byte', async (format) => {
    const db = await createTestDatabase('rk_latin1', 'LATIN1');
    await db.query(`CREATE TABLE t (v text); INSERT INTO t VALUES ('déjà vu');
      COMMENT ON TABLE t IS 'naïve'; CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$ SELECT 'brûlée'::text $$;`);
    const fingerprint = async () => (await db.query(`SELECT obj_description('t'::regclass, 'pg_class') AS c, f() AS f, (SELECT string_agg(v, ',') FROM t) AS v`)).rows[0];
    const before = await fingerprint();
    expect(before).toEqual({ c: 'naïve', f: 'brûlée', v: 'déjà vu' });
    const dir = await tempDir('rk-latin1-');
    const snap = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': dir, format });
    expect(snap.code, snap.stdout + snap.stderr).toBe(0);
    await db.query('DELETE FROM t');
    const restore = await runAction('restore-db', { 'database-url': db.url, 'snapshot-path': snap.outputs.path!, confirm: db.name, 'pre-restore-snapshot': 'false' });
    expect(restore.code, restore.stdout + restore.stderr).toBe(0);
    expect(await fingerprint()).toEqual(before);
  });
});

describe('a table truncated the moment pg_dump ends', () => {
  it('cannot change the manifest: the tables stay locked until the last count', async () => {
    const db = await createTestDatabase('rk_truncate');
    await db.query(`CREATE TABLE big (id int PRIMARY KEY, v text); INSERT INTO big SELECT g, repeat('v', 100) FROM generate_series(1, 20000) g;`);
    const dir = await tempDir('rk-truncate-');
    // pg_dump, then a TRUNCATE that gives up after a second if it cannot have its lock.
    const wrapper = join(dir, 'pg_dump');
    await writeFile(
      wrapper,
      `#!/bin/sh\n/usr/lib/postgresql/15/bin/pg_dump "$@" || exit $?\n[ "$1" = --version ] && exit 0\npsql -X -q "${db.url}" -c "SET lock_timeout = '1s'" -c "TRUNCATE big" >/dev/null 2>&1\nexit 0\n`,
      { mode: 0o755 },
    );
    const snap = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': dir, 'pg-dump-path': wrapper });
    expect(snap.code, snap.stdout + snap.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(snap.outputs['manifest-path']!, 'utf8'));
    expect(manifest.tables).toEqual([{ schema: 'public', name: 'big', rows: 20000, oid: expect.any(Number) }]);
    expect(Number((await db.query('SELECT count(*) AS n FROM big')).rows[0]!.n)).toBe(20000);
  });
});

describe('a table row-level security would filter for the owner (FORCE)', () => {
  it('fails the snapshot in the server\'s words, keeping nothing', async () => {
    const db = await createTestDatabase('rk_force_rls');
    const role = `rk_rls_${db.name.slice(-8)}`;
    await db.query(`CREATE ROLE ${role} LOGIN; CREATE TABLE f (id int, owner text); INSERT INTO f VALUES (1, 'a'); ALTER TABLE f OWNER TO ${role};
      ALTER TABLE f ENABLE ROW LEVEL SECURITY; ALTER TABLE f FORCE ROW LEVEL SECURITY; CREATE POLICY p ON f USING (owner = current_user)`);
    try {
      const dir = await tempDir('rk-rls-');
      const url = Object.assign(new URL(db.url), { username: role, password: '' }).toString();
      const snap = await runAction('snapshot-db', { 'database-url': url, 'output-dir': dir });
      expect(snap.code).not.toBe(0);
      expect(snap.errors[0]).toMatch(/failed: query would be affected by row-level security policy for table "f" \(HINT: .*NO FORCE ROW LEVEL SECURITY/);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      await db.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
    }
  });
});

describe('text that looks like the headers pg_dump writes before each object', () => {
  // restore-db drops what the snapshot's headers name: a row or a function body must never name a table.
  const FORGED = '-- Name: ledger; Type: TABLE; Schema: billing; Owner: postgres';
  it.each(['plain', 'custom'] as const)('%s: in a row and a function body, never decides what the restore drops', async (format) => {
    const db = await createTestDatabase('rk_forged_toc');
    await db.query(`
      CREATE SCHEMA app; CREATE SCHEMA billing;
      CREATE TABLE billing.ledger (id int PRIMARY KEY, amount numeric);
      INSERT INTO billing.ledger SELECT g, g * 10 FROM generate_series(1, 1000) g;
      CREATE TABLE app.comments (body text, author int);
      INSERT INTO app.comments VALUES ('${FORGED}', 2);
      CREATE FUNCTION app.f() RETURNS text LANGUAGE sql AS $f$ SELECT '
${FORGED}
'::text $f$;`);
    const dir = await tempDir('rk-forged-');
    const snap = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': dir, format, schemas: 'app' });
    expect(snap.code, snap.stdout + snap.stderr).toBe(0);
    await db.query('DELETE FROM app.comments');
    const restore = await runAction('restore-db', { 'database-url': db.url, 'snapshot-path': snap.outputs.path!, confirm: db.name, 'pre-restore-snapshot': 'false' });
    expect(restore.code, restore.stdout + restore.stderr).toBe(0);
    expect((await db.query('SELECT count(*)::int AS n FROM billing.ledger')).rows[0]!.n).toBe(1000);
    expect((await db.query('SELECT body FROM app.comments')).rows).toEqual([{ body: FORGED }]);
  });
});
