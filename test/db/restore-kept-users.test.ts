// restore-db's library entry (restoreSnapshot) with real pg_dump, pg_restore and psql: an object the
// snapshot does not have that uses something the snapshot's own script drops and creates again
// (a function, type, operator, operator class, server …) is refused while the restore is planned,
// whatever kind of object it is; one whose use PostgreSQL does not record (a PL/pgSQL body) is kept
// and works against the restored objects; and the snapshot's own objects of those kinds are never
// taken for kept ones.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { restoreSnapshot, type RestoreResult } from '../../src/db/restore.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { createTestDatabase, holdTableLock, type TestDatabase } from '../helpers/pg.js';
import { schemaDump } from './fixture.js';
import { tempDir } from '../helpers/temp-dir.js';

interface Restored {
  db: TestDatabase;
  /** What the restore threw, or undefined when it committed. */
  error: unknown;
  result: RestoreResult | undefined;
  log: string;
  /** Where the pre-restore snapshot would go: empty unless the restore got past its planning. */
  preRestoreDir: string;
  /** The schema after the bad deploy, just before the restore. */
  before: string;
}

interface RestoreOptions {
  lockTimeoutSeconds?: number;
  /** Runs just before the restore; what it returns, just after. */
  around?: (db: TestDatabase) => Promise<() => Promise<void>>;
}

/** A database set up with `setup`, snapshotted, changed by `added` (the bad deploy), then restored from that snapshot. */
async function restoreAfter(setup: string, added: string, opts: RestoreOptions = {}): Promise<Restored> {
  const db = await createTestDatabase('rk_keptusers');
  await db.query(setup);
  const log = memoryLog();
  const target = parseConnectionString(db.url, log);
  const snapshot = await takeSnapshot(wholeDatabaseSnapshot(target, { outputDir: await tempDir('rk-keptusers-'), label: 'before-deploy' }), log);
  await db.query(added);
  const before = await schemaDump(db);
  const preRestoreDir = await tempDir('rk-keptusers-pre-');
  let error: unknown;
  let result: RestoreResult | undefined;
  const after = await opts.around?.(db);
  try {
    result = await restoreSnapshot(
      { target, snapshotPath: snapshot.path, confirm: db.name, preRestoreSnapshot: true, jobs: 1, clean: true, preRestoreDir, preRestoreDirInput: 'pre-restore-dir', lockTimeoutSeconds: opts.lockTimeoutSeconds ?? 30 },
      log,
    );
  } catch (err) {
    error = err;
  } finally {
    await after?.();
  }
  return { db, error, result, log: log.lines.join('\n'), preRestoreDir, before };
}

/**
 * The restore was refused while it was planned, naming each of `names` (what the kept object is and
 * what it uses): no pre-restore snapshot taken, the restore never started, the database unchanged.
 */
async function expectRefused(r: Restored, names: string[]): Promise<void> {
  expect(r.error).toBeInstanceOf(RollbackKitError);
  const line = (r.error as RollbackKitError).line;
  expect(line).toContain('Objects the snapshot does not have use what it re-creates, so the restore could not drop that and create it again under them:');
  for (const name of names) expect(line).toContain(name);
  expect(line).toContain('Nothing was changed.');
  expect(line).toContain('do not drop with CASCADE');
  expect(readdirSync(r.preRestoreDir)).toEqual([]);
  expect(r.log).not.toContain('Restoring ');
  expect(await schemaDump(r.db)).toEqual(r.before);
}

function expectRestored(r: Restored): void {
  expect(r.error).toBeUndefined();
  expect(r.result?.verified).toBe(true);
}

const WITH_TAX = 'CREATE FUNCTION with_tax(p numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$ SELECT p * 1.2 $$; CREATE TABLE prices (p numeric); INSERT INTO prices VALUES (10);';

describe('kept objects of every kind that use what the snapshot re-creates are refused while planning', () => {
  it('a kept operator whose function the snapshot has', async () => {
    const r = await restoreAfter(
      'CREATE FUNCTION same_parity(int, int) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1 % 2 = $2 % 2 $$; CREATE TABLE t (id int)',
      'CREATE OPERATOR === (LEFTARG = int, RIGHTARG = int, FUNCTION = same_parity)',
    );
    await expectRefused(r, ['operator public.===(integer,integer) uses function public.same_parity(integer,integer)']);
  });

  it('a kept cast whose function the snapshot has', async () => {
    const r = await restoreAfter(
      "CREATE TYPE mood AS ENUM ('ok', 'sad'); CREATE FUNCTION mood_of(text) RETURNS mood LANGUAGE sql IMMUTABLE AS $$ SELECT lower($1)::mood $$",
      'CREATE CAST (text AS mood) WITH FUNCTION mood_of(text)',
    );
    await expectRefused(r, ['cast from text to public.mood uses function public.mood_of(text)']);
  });

  it('a kept event trigger whose function the snapshot has', async () => {
    const r = await restoreAfter(
      'CREATE FUNCTION audit_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$',
      'CREATE EVENT TRIGGER audit_ddl ON ddl_command_end EXECUTE FUNCTION audit_ddl()',
    );
    await expectRefused(r, ['event trigger audit_ddl uses function public.audit_ddl()']);
  });

  it('a kept view that uses an operator the snapshot has', async () => {
    const r = await restoreAfter(
      'CREATE FUNCTION same_parity(int, int) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1 % 2 = $2 % 2 $$; CREATE OPERATOR === (LEFTARG = int, RIGHTARG = int, FUNCTION = same_parity)',
      'CREATE TABLE pairs (a int, b int); CREATE VIEW even_pairs AS SELECT a, b FROM pairs WHERE a === b',
    );
    await expectRefused(r, ['view public.even_pairs uses operator public.===(integer,integer)']);
  });

  it('a kept index that uses an operator class the snapshot has, and a kept operator class that uses its function', async () => {
    const r = await restoreAfter(
      `CREATE FUNCTION abs_cmp(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT btint4cmp(abs($1), abs($2)) $$;
       CREATE FUNCTION abs_hash(int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT hashint4(abs($1)) $$;
       CREATE OPERATOR CLASS abs_ops FOR TYPE int USING btree AS FUNCTION 1 abs_cmp(int, int)`,
      `CREATE TABLE readings (v int); CREATE INDEX readings_abs ON readings (v abs_ops);
       CREATE OPERATOR CLASS abs_hash_ops FOR TYPE int USING hash AS OPERATOR 1 =, FUNCTION 1 abs_hash(int)`,
    );
    await expectRefused(r, [
      'index public.readings_abs uses operator class public.abs_ops for access method btree;',
      'operator family public.abs_hash_ops for access method hash uses function public.abs_hash(integer)',
    ]);
    expect((r.error as Error).message).not.toContain('which goes with');
  });

  it('a kept function marked DEPENDS ON EXTENSION of an extension the snapshot has, which its DROP would take along without a word', async () => {
    const r = await restoreAfter(
      'CREATE EXTENSION citext; CREATE TABLE users (email citext)',
      'CREATE FUNCTION normalize_email(e text) RETURNS text LANGUAGE sql AS $$ SELECT lower(e) $$; ALTER FUNCTION normalize_email(text) DEPENDS ON EXTENSION citext',
    );
    await expectRefused(r, ['function public.normalize_email(text) uses extension citext']);
  });

  it('a kept user mapping for a server the snapshot has', async () => {
    const r = await restoreAfter('CREATE FOREIGN DATA WRAPPER files; CREATE SERVER archive FOREIGN DATA WRAPPER files', 'CREATE USER MAPPING FOR postgres SERVER archive');
    await expectRefused(r, ['user mapping for postgres on server archive uses server archive']);
  });
});

describe('a kept object that calls a function the snapshot re-creates', () => {
  it('is refused when PostgreSQL records the call: views, triggers, defaults, checks, index expressions, policies, domains, SQL-standard bodies', async () => {
    const r = await restoreAfter(
      `${WITH_TAX} CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.at := now(); RETURN NEW; END $$`,
      `CREATE TABLE quotes (id int, q numeric DEFAULT with_tax(1) CHECK (with_tax(q) > 0), at timestamptz);
       CREATE INDEX quotes_gross ON quotes (with_tax(q));
       CREATE TRIGGER quotes_stamp BEFORE INSERT ON quotes FOR EACH ROW EXECUTE FUNCTION stamp();
       ALTER TABLE quotes ENABLE ROW LEVEL SECURITY;
       CREATE POLICY quotes_small ON quotes USING (with_tax(q) < 100);
       CREATE VIEW quote_totals AS SELECT with_tax(q) AS total FROM quotes;
       CREATE MATERIALIZED VIEW quote_max AS SELECT max(with_tax(q)) AS m FROM quotes;
       CREATE DOMAIN taxed AS numeric CHECK (with_tax(VALUE) >= 0);
       CREATE FUNCTION gross(p numeric) RETURNS numeric LANGUAGE sql IMMUTABLE BEGIN ATOMIC SELECT with_tax(p); END;
       INSERT INTO quotes (id, q) VALUES (1, 5)`,
    );
    await expectRefused(r, [
      'default value for column q of table public.quotes uses function public.with_tax(numeric)',
      'constraint quotes_q_check on table public.quotes uses function public.with_tax(numeric)',
      'index public.quotes_gross uses function public.with_tax(numeric)',
      'trigger quotes_stamp on table public.quotes uses function public.stamp()',
      'policy quotes_small on table public.quotes uses function public.with_tax(numeric)',
      'view public.quote_totals uses function public.with_tax(numeric)',
      'materialized view public.quote_max uses function public.with_tax(numeric)',
      'constraint taxed_check on domain public.taxed uses function public.with_tax(numeric)',
      'function public.gross(numeric) uses function public.with_tax(numeric)',
    ]);
  });

  it('is kept, and calls the restored function, when only a PL/pgSQL or SQL body names it (PostgreSQL records no dependency)', async () => {
    const r = await restoreAfter(
      WITH_TAX,
      `CREATE TABLE quotes (q numeric, gross numeric);
       CREATE FUNCTION fill_gross() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.gross := public.with_tax(NEW.q); RETURN NEW; END $$;
       CREATE TRIGGER quotes_gross BEFORE INSERT ON quotes FOR EACH ROW EXECUTE FUNCTION fill_gross();
       CREATE FUNCTION net_to_gross(p numeric) RETURNS numeric LANGUAGE sql AS $$ SELECT public.with_tax(p) $$;
       CREATE VIEW quote_view AS SELECT q, net_to_gross(q) AS g FROM quotes;
       INSERT INTO quotes (q) VALUES (10)`,
    );
    expectRestored(r);
    await r.db.query('INSERT INTO quotes (q) VALUES (20)');
    expect((await r.db.query('SELECT q::int, gross::int, g::int FROM quotes JOIN quote_view USING (q) ORDER BY q')).rows).toEqual([
      { q: 10, gross: 12, g: 12 },
      { q: 20, gross: 24, g: 24 },
    ]);
  });
});

describe("the snapshot's own objects are not taken for kept ones", () => {
  it('operators, operator classes, casts, event triggers, servers, text search, access methods, languages and transforms the snapshot has, and their uses in it', async () => {
    const r = await restoreAfter(
      `CREATE EXTENSION citext;
       CREATE FUNCTION lower_email(e text) RETURNS text LANGUAGE sql AS $$ SELECT lower(e) $$;
       ALTER FUNCTION lower_email(text) DEPENDS ON EXTENSION citext;
       CREATE TYPE mood AS ENUM ('ok', 'sad');
       CREATE TYPE reading AS (m mood, v int);
       CREATE PROCEDURE bump(INOUT m mood) LANGUAGE plpgsql AS $$ BEGIN m := 'sad'; END $$;
       CREATE FUNCTION mood_of(text) RETURNS mood LANGUAGE sql IMMUTABLE AS $$ SELECT lower($1)::mood $$;
       CREATE CAST (text AS mood) WITH FUNCTION mood_of(text);
       CREATE FUNCTION same_parity(int, int) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1 % 2 = $2 % 2 $$;
       CREATE OPERATOR === (LEFTARG = int, RIGHTARG = int, FUNCTION = same_parity);
       CREATE FUNCTION abs_cmp(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT btint4cmp(abs($1), abs($2)) $$;
       CREATE OPERATOR CLASS abs_ops FOR TYPE int USING btree AS FUNCTION 1 abs_cmp(int, int);
       CREATE FUNCTION noop_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
       CREATE EVENT TRIGGER noop_ddl ON ddl_command_end EXECUTE FUNCTION noop_ddl();
       CREATE FOREIGN DATA WRAPPER files; CREATE SERVER archive FOREIGN DATA WRAPPER files; CREATE USER MAPPING FOR postgres SERVER archive;
       CREATE TEXT SEARCH TEMPLATE simple_tmpl (LEXIZE = dsimple_lexize, INIT = dsimple_init);
       CREATE TEXT SEARCH DICTIONARY simple_dict (TEMPLATE = simple_tmpl);
       CREATE TEXT SEARCH PARSER plain_parser (START = prsd_start, GETTOKEN = prsd_nexttoken, END = prsd_end, LEXTYPES = prsd_lextype);
       CREATE TEXT SEARCH CONFIGURATION plain_cfg (PARSER = plain_parser); ALTER TEXT SEARCH CONFIGURATION plain_cfg ADD MAPPING FOR word WITH simple_dict;
       CREATE CONVERSION latin_conv FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;
       CREATE ACCESS METHOD heap_copy TYPE TABLE HANDLER heap_tableam_handler;
       -- Functions never called: a language and a transform need only their signatures.
       CREATE FUNCTION noop_handler() RETURNS language_handler LANGUAGE internal AS 'fmgr_sql_validator';
       CREATE LANGUAGE noop_lang HANDLER noop_handler;
       CREATE FUNCTION mood_from_sql(internal) RETURNS internal LANGUAGE internal IMMUTABLE AS 'prsd_lextype';
       CREATE FUNCTION mood_to_sql(internal) RETURNS mood LANGUAGE internal IMMUTABLE AS 'int4recv';
       CREATE TRANSFORM FOR mood LANGUAGE noop_lang (FROM SQL WITH FUNCTION mood_from_sql(internal), TO SQL WITH FUNCTION mood_to_sql(internal));
       CREATE TABLE readings (v int, r reading, m mood) USING heap_copy;
       CREATE INDEX readings_abs ON readings (v abs_ops);
       CREATE VIEW even_readings AS SELECT v, 'OK'::text::mood AS m, to_tsvector('plain_cfg'::regconfig, 'a b') AS words FROM readings WHERE v === 2;
       INSERT INTO readings VALUES (2, ROW('ok', 1), 'ok'), (-3, NULL, 'sad')`,
      'DELETE FROM readings',
    );
    expectRestored(r);
    expect((await r.db.query('SELECT count(*)::int AS n FROM even_readings')).rows).toEqual([{ n: 1 }]);
  });

  it('a kept operator with the name of one the snapshot has, but other argument types, and a view that uses it', async () => {
    const r = await restoreAfter(
      'CREATE FUNCTION same_parity(int, int) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1 % 2 = $2 % 2 $$; CREATE OPERATOR === (LEFTARG = int, RIGHTARG = int, FUNCTION = same_parity)',
      `CREATE FUNCTION same_length(text, text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT length($1) = length($2) $$;
       CREATE OPERATOR === (LEFTARG = text, RIGHTARG = text, FUNCTION = same_length);
       CREATE TABLE words (a text, b text); INSERT INTO words VALUES ('ab', 'cd'), ('a', 'bc');
       CREATE VIEW same_words AS SELECT a FROM words WHERE a === b`,
    );
    expectRestored(r);
    expect((await r.db.query('SELECT a FROM same_words')).rows).toEqual([{ a: 'ab' }]);
  });
});

describe('kept views over the snapshot\'s tables', () => {
  it('are dropped before the views they select from and re-created after them, views and materialized views alike', async () => {
    const r = await restoreAfter(
      'CREATE TABLE orders (id int, total numeric); INSERT INTO orders VALUES (1, 10), (2, 20)',
      // Each sorts before the view it selects from, and selects from the table too.
      `CREATE VIEW z_big AS SELECT id FROM orders WHERE total > 15;
       CREATE MATERIALIZED VIEW y_big_totals AS SELECT o.id, o.total FROM orders o JOIN z_big USING (id);
       CREATE VIEW x_report AS SELECT o.id, t.total FROM orders o JOIN y_big_totals t USING (id);
       DELETE FROM orders`,
    );
    expectRestored(r);
    for (const view of ['x_report', 'y_big_totals', 'z_big']) expect(r.log).toContain(`public.${view} (not in the snapshot): dropped for the restore and re-created after it.`);
    expect((await r.db.query('SELECT id, total::int FROM x_report')).rows).toEqual([{ id: 2, total: 20 }]);
  });
});

describe('planning waits for the catalogue no longer than for any lock of the restore', () => {
  it('a system catalogue another session holds locked ends the run at lock-timeout-seconds, with nothing changed', async () => {
    // VACUUM FULL pg_depend holds this lock; the catalogue queries that plan the restore wait for it.
    const r = await restoreAfter(WITH_TAX, 'DELETE FROM prices', { lockTimeoutSeconds: 1, around: (db) => holdTableLock(db, 'pg_catalog.pg_depend', 'ACCESS EXCLUSIVE') });
    expect(r.error).toBeInstanceOf(RollbackKitError);
    expect((r.error as RollbackKitError).line).toMatch(/^Planning the restore into 127\.0\.0\.1:5432\/rk_keptusers_\w+ stopped: a lock was not granted within lock-timeout-seconds \(1 s\), .* Nothing was changed\./);
    expect(readdirSync(r.preRestoreDir)).toEqual([]);
    expect(await schemaDump(r.db)).toEqual(r.before);
  });
});

describe('the refusal says how to change each kind of object', () => {
  it('a renamed table whose id default takes from the sequence the snapshot re-creates: drop the default, not change the type', async () => {
    const r = await restoreAfter("CREATE TABLE clients (id serial PRIMARY KEY, name text); INSERT INTO clients (name) VALUES ('a')", 'ALTER TABLE clients RENAME TO customers');
    expect(r.error).toBeInstanceOf(RollbackKitError);
    const e = r.error as RollbackKitError;
    // Renamed, the table keeps its primary key's index clients_pkey: the name the snapshot's clients_pkey needs.
    expect(e.message).toBe(
      'The restore would have to drop objects the snapshot does not have, which restore-db cannot put back: default value for column id of table public.customers. ' +
        "Nor can it create what the snapshot holds under names objects it does not have already take: index public.clients_pkey of table public.customers has the name of the snapshot's constraint clients_pkey on table public.clients. " +
        "An index shares the names of its schema with its tables, views, sequences and other indexes, and a primary key, unique or exclusion constraint is named as its index: the snapshot's script would fail on the name, or, where an index has it, drop that index first without a word (its DROP INDEX IF EXISTS names no table). Nothing was changed.",
    );
    expect(e.hint).toContain('for a column default: ALTER TABLE public.customers ALTER COLUMN "id" DROP DEFAULT, and after the restore give it one of its own');
    expect(e.hint).toContain('For the names taken, rename what has the name (ALTER INDEX public.clients_pkey RENAME TO <new name>) and run again, or restore into an empty database.');
    expect(e.hint).not.toContain('TYPE text');
    expect(await schemaDump(r.db)).toEqual(r.before);
  });

  it('several kinds at once: one change for each, naming its first object', async () => {
    const r = await restoreAfter(
      `${WITH_TAX} CREATE TYPE mood AS ENUM ('ok')`,
      "CREATE TABLE quotes (q numeric CHECK (public.with_tax(q) > 0), m mood); CREATE INDEX quotes_tax ON quotes (public.with_tax(q)); CREATE POLICY quotes_taxed ON quotes USING (public.with_tax(q) > 1)",
    );
    const hint = (r.error as RollbackKitError).hint!;
    for (const fix of [
      'for a column of its type: ALTER TABLE public.quotes ALTER COLUMN "m" TYPE text, or drop the column',
      'for a constraint: ALTER TABLE public.quotes DROP CONSTRAINT quotes_q_check',
      'for an index: DROP INDEX public.quotes_tax, and create it again after the restore',
      'for a policy: DROP POLICY quotes_taxed ON public.quotes',
    ]) {
      expect(hint).toContain(fix);
    }
    expect(hint).not.toContain('DROP DEFAULT');
  });
});
