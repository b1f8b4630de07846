// restore-db brings every object back with exactly the snapshot's privileges, through its bundle:
// the default privileges (ALTER DEFAULT PRIVILEGES) of the role restoring do not reach what the
// restore creates, grants made on a kept schema since the snapshot go, and pg_default_acl ends as it
// was. Supabase's setup (new tables granted to anon) is the case that matters: a table whose grant
// to anon was revoked must not come back readable by anon.
import { describe, expect, it } from 'vitest';
import { adminQuery, createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';
import { tempDir } from '../helpers/temp-dir.js';

type Acls = Record<string, string[] | null>;

/**
 * Every ACL of the schemas named, keyed by object: relations, columns, functions, types, schemas.
 * A NULL ACL means the built-in default, so both read as that, items sorted: what is granted, not
 * how the array came to be written.
 */
async function acls(db: TestDatabase, schemas: string[]): Promise<Acls> {
  const { rows } = await db.query<{ k: string; acl: string[] | null }>(
    `WITH x(k, acl, def) AS (
       SELECT 'relation ' || c.oid::regclass::text, c.relacl, acldefault((CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END)::"char", c.relowner)
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
       UNION ALL
       SELECT 'column ' || a.attrelid::regclass::text || '.' || a.attname, a.attacl, NULL
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY($1) AND cardinality(a.attacl) > 0
       UNION ALL
       SELECT 'function ' || p.oid::regprocedure::text, p.proacl, acldefault('f', p.proowner)
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = ANY($1)
       UNION ALL
       SELECT 'type ' || t.oid::regtype::text, t.typacl, acldefault('T', t.typowner)
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = ANY($1) AND t.typtype IN ('e', 'd')
       UNION ALL
       SELECT 'schema ' || n.nspname, n.nspacl, acldefault('n', n.nspowner) FROM pg_namespace n WHERE n.nspname = ANY($1)
     )
     SELECT k, (SELECT array_agg(i::text ORDER BY i::text) FROM unnest(coalesce(acl, def)) i) AS acl FROM x ORDER BY k`,
    [schemas],
  );
  return Object.fromEntries(rows.map((r) => [r.k, r.acl]));
}

/** pg_default_acl as it is, every role's entries, exactly as stored. */
async function defaultAcls(db: TestDatabase): Promise<string[]> {
  const { rows } = await db.query<{ e: string }>(
    "SELECT defaclrole::regrole::text || ' ' || defaclnamespace::regnamespace::text || ' ' || defaclobjtype::text || ' ' || defaclacl::text AS e FROM pg_default_acl ORDER BY 1",
  );
  return rows.map((r) => r.e);
}

const asUser = (db: TestDatabase, user: string) => Object.assign(new URL(db.url), { username: user }).toString();

async function snapshot(db: TestDatabase, inputs: Record<string, string> = {}): Promise<string> {
  const snap = await runAction('snapshot-db', { 'output-dir': await tempDir('rk-privs-'), 'database-url': db.url, ...inputs });
  expect(snap.errors).toEqual([]);
  return snap.outputs.path!;
}

/** Drops the database first: the roles have privileges in it until then. */
async function dropRoles(db: TestDatabase, roles: string[]): Promise<void> {
  await db.drop();
  for (const r of roles) await adminQuery(`DROP ROLE IF EXISTS ${r}`);
}

describe('restore-db and privileges', () => {
  it('objects come back with the snapshot\'s ACLs, not the restoring role\'s default privileges; kept schemas lose grants made since; pg_default_acl as it was', async () => {
    const db = await createTestDatabase('rk_privs');
    const sfx = db.name.slice(-10);
    const [anon, auth] = [`rk_anon_${sfx}`, `rk_auth_${sfx}`];
    try {
      await db.query(`
        CREATE ROLE ${anon}; CREATE ROLE ${auth};
        -- Supabase's setup: what is created in public is granted to anon. Schema entries add to the built-in default ...
        ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO ${anon};
        ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO ${anon};
        ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO ${anon};
        -- ... global ones replace it.
        ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
        ALTER DEFAULT PRIVILEGES GRANT USAGE ON TYPES TO ${auth};
        ALTER DEFAULT PRIVILEGES GRANT USAGE ON SCHEMAS TO ${anon};
        -- Another role's: what it creates is not what the restore creates.
        ALTER DEFAULT PRIVILEGES FOR ROLE ${auth} IN SCHEMA public GRANT SELECT ON TABLES TO ${anon};
        CREATE SCHEMA app;
        ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO ${auth} WITH GRANT OPTION;
        GRANT USAGE ON SCHEMA public TO ${anon};

        CREATE TABLE public.api_keys (id serial PRIMARY KEY, key text);
        INSERT INTO public.api_keys (key) VALUES ('sk_live_x'), ('sk_live_y');
        REVOKE ALL ON public.api_keys FROM ${anon};
        REVOKE ALL ON SEQUENCE public.api_keys_id_seq FROM ${anon};
        CREATE TABLE public.profiles (id int PRIMARY KEY, name text, secret text);
        INSERT INTO public.profiles VALUES (1, 'ada', 's1'), (2, 'bob', 's2');
        REVOKE ALL ON public.profiles FROM ${anon};
        GRANT SELECT (id, name), UPDATE (name) ON public.profiles TO ${anon};
        CREATE TABLE public.notes (id int, body text);
        GRANT SELECT ON public.notes TO ${auth} WITH GRANT OPTION;
        CREATE VIEW public.profile_names AS SELECT id, name FROM public.profiles;
        REVOKE ALL ON public.profile_names FROM ${anon};
        CREATE MATERIALIZED VIEW public.note_count AS SELECT count(*) AS n FROM public.notes;
        REVOKE ALL ON public.note_count FROM ${anon};
        CREATE FUNCTION public.rotate_key(int) RETURNS void LANGUAGE sql AS 'UPDATE public.api_keys SET key = key WHERE id = $1';
        REVOKE ALL ON FUNCTION public.rotate_key(int) FROM ${anon};
        CREATE FUNCTION app.ping() RETURNS int LANGUAGE sql AS 'SELECT 1';
        CREATE TYPE public.mood AS ENUM ('ok', 'bad');
        REVOKE USAGE ON TYPE public.mood FROM ${auth};
        CREATE TABLE app.items (id int, mood public.mood);
        REVOKE ALL ON app.items FROM ${auth};`);
      const snapshotted = await acls(db, ['public', 'app']);
      // What the restore must not widen, as the catalogue holds it.
      expect(snapshotted['relation api_keys']).toEqual(['postgres=arwdDxt/postgres']);
      expect(snapshotted['function app.ping()']).toEqual(['postgres=X/postgres']);
      const path = await snapshot(db);

      // The bad deploy: grants on the schemas the restore keeps, a view over a snapshot table (kept:
      // re-created after the restore) and a default privilege of its own.
      await db.query(`
        GRANT USAGE, CREATE ON SCHEMA app TO ${auth};
        GRANT CREATE ON SCHEMA public TO ${anon};
        GRANT SELECT ON public.api_keys TO ${anon};
        DELETE FROM public.api_keys;
        CREATE VIEW public.key_ids AS SELECT id FROM public.api_keys;
        REVOKE ALL ON public.key_ids FROM ${anon};
        GRANT SELECT ON public.key_ids TO ${auth};
        ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT INSERT ON TABLES TO ${anon};`);
      const keptView = (await acls(db, ['public']))['relation key_ids'];
      expect(keptView).toEqual(['postgres=arwdDxt/postgres', `${auth}=r/postgres`]);
      const defaults = await defaultAcls(db);

      const run = await runAction('restore-db', { 'database-url': db.url, 'snapshot-path': path, confirm: db.name, 'pre-restore-snapshot': 'false' });
      expect(run.errors).toEqual([]);
      expect(run.outputs.verified).toBe('true');
      expect(run.log).toContain('Setting aside the default privileges of postgres (ALTER DEFAULT PRIVILEGES: FUNCTIONS (all schemas), SCHEMAS (all schemas), TYPES (all schemas), TABLES in app, FUNCTIONS in public, SEQUENCES in public, TABLES in public)');
      expect(run.log).toContain('Keeping view public.key_ids');

      expect(await acls(db, ['public', 'app'])).toEqual({ ...snapshotted, 'relation key_ids': keptView });
      expect(await defaultAcls(db)).toEqual(defaults);
      expect((await db.query('SELECT count(*)::int AS n FROM public.api_keys')).rows[0]!.n).toBe(2);
    } finally {
      await dropRoles(db, [anon, auth]);
    }
  });

  it('a restore by the role that owns the database, not a superuser, does the same (plain format)', async () => {
    const db = await createTestDatabase('rk_privs_owner');
    const sfx = db.name.slice(-10);
    const [owner, reader] = [`rk_owner_${sfx}`, `rk_reader_${sfx}`];
    try {
      await adminQuery(`CREATE ROLE ${owner} LOGIN NOSUPERUSER; CREATE ROLE ${reader}; ALTER DATABASE "${db.name}" OWNER TO ${owner}`);
      const asOwner: TestDatabase = { ...db, url: asUser(db, owner) };
      const pg = await import('pg');
      const client = new pg.default.Client({ connectionString: asOwner.url });
      await client.connect();
      try {
        await client.query(`
          ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO ${reader};
          ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
          CREATE SCHEMA app;
          GRANT USAGE ON SCHEMA app TO ${reader};
          CREATE TABLE public.accounts (id int PRIMARY KEY, balance int);
          INSERT INTO public.accounts VALUES (1, 10), (2, 20);
          REVOKE SELECT ON public.accounts FROM ${reader};
          CREATE TABLE public.ledger (id int, account int);
          CREATE FUNCTION app.total() RETURNS bigint LANGUAGE sql AS 'SELECT sum(balance) FROM public.accounts';
          GRANT EXECUTE ON FUNCTION app.total() TO ${reader};`);
        const snapshotted = await acls(db, ['public', 'app']);
        expect(snapshotted['relation accounts']).toEqual([`${owner}=arwdDxt/${owner}`]);
        const path = await snapshot(asOwner, { format: 'plain' });

        await client.query(`GRANT CREATE ON SCHEMA app TO ${reader}; UPDATE public.accounts SET balance = 0`);
        const defaults = await defaultAcls(db);
        const run = await runAction('restore-db', { 'database-url': asOwner.url, 'snapshot-path': path, confirm: db.name, 'pre-restore-snapshot': 'false' });
        expect(run.errors).toEqual([]);
        expect(run.outputs.verified).toBe('true');
        expect(await acls(db, ['public', 'app'])).toEqual(snapshotted);
        expect(await defaultAcls(db)).toEqual(defaults);
        expect((await client.query('SELECT sum(balance)::int AS s FROM public.accounts')).rows[0].s).toBe(30);
      } finally {
        await client.end();
      }
    } finally {
      await dropRoles(db, [owner, reader]);
    }
  });

  it('another role\'s default privileges, which the restoring owner may not change (Supabase\'s supabase_admin), are left as they are', async () => {
    const db = await createTestDatabase('rk_privs_other');
    const sfx = db.name.slice(-10);
    const [owner, admin] = [`rk_owner_${sfx}`, `"rk Admin ${sfx}"`];
    try {
      await adminQuery(`CREATE ROLE ${owner} LOGIN NOSUPERUSER; CREATE ROLE ${admin}; ALTER DATABASE "${db.name}" OWNER TO ${owner}`);
      await db.query(`ALTER SCHEMA public OWNER TO ${owner}; ALTER DEFAULT PRIVILEGES FOR ROLE ${admin} IN SCHEMA public GRANT SELECT ON TABLES TO PUBLIC`);
      const asOwner: TestDatabase = { ...db, url: asUser(db, owner) };
      const pg = await import('pg');
      const client = new pg.default.Client({ connectionString: asOwner.url });
      await client.connect();
      try {
        await client.query('CREATE TABLE public.accounts (id int PRIMARY KEY, balance int); INSERT INTO public.accounts VALUES (1, 10), (2, 20)');
        const path = await snapshot(asOwner);
        await client.query('UPDATE public.accounts SET balance = 0');
        const defaults = await defaultAcls(db);
        const run = await runAction('restore-db', { 'database-url': asOwner.url, 'snapshot-path': path, confirm: db.name, 'pre-restore-snapshot': 'false' });
        expect(run.errors).toEqual([]);
        expect(run.outputs.verified).toBe('true');
        expect(run.log).toContain(`Left out 1 statement(s) of the snapshot that set other roles' default privileges (ALTER DEFAULT PRIVILEGES FOR ROLE ${admin} IN SCHEMA public GRANT SELECT ON TABLES`);
        expect(await defaultAcls(db)).toEqual(defaults);
        expect((await client.query('SELECT sum(balance)::int AS s FROM public.accounts')).rows[0].s).toBe(30);
      } finally {
        await client.end();
      }
    } finally {
      await dropRoles(db, [owner, admin]);
    }
  });

  it('the same in a LATIN1 database, for a role whose name is not ASCII', async () => {
    const db = await createTestDatabase('rk_privs_latin1', 'LATIN1');
    const sfx = db.name.slice(-10);
    const [owner, admin] = [`rk_owner_${sfx}`, `"rk Ädmin ${sfx}"`];
    try {
      await adminQuery(`CREATE ROLE ${owner} LOGIN NOSUPERUSER; ALTER DATABASE "${db.name}" OWNER TO ${owner}`);
      // Created from the LATIN1 database, its name is stored (cluster-wide) in LATIN1 bytes, as pg_dump there writes it.
      await db.query(`CREATE ROLE ${admin}; ALTER SCHEMA public OWNER TO ${owner}; ALTER DEFAULT PRIVILEGES FOR ROLE ${admin} IN SCHEMA public GRANT SELECT ON TABLES TO PUBLIC`);
      const asOwner: TestDatabase = { ...db, url: asUser(db, owner) };
      const pg = await import('pg');
      const client = new pg.default.Client({ connectionString: asOwner.url });
      await client.connect();
      try {
        await client.query('CREATE TABLE public.accounts (id int PRIMARY KEY, balance int); INSERT INTO public.accounts VALUES (1, 10)');
        const path = await snapshot(asOwner);
        await client.query('UPDATE public.accounts SET balance = 0');
        const defaults = await defaultAcls(db);
        const run = await runAction('restore-db', { 'database-url': asOwner.url, 'snapshot-path': path, confirm: db.name, 'pre-restore-snapshot': 'false' });
        expect(run.errors).toEqual([]);
        expect(run.log).toContain('Left out 1 statement(s) of the snapshot that set other roles\' default privileges');
        expect(await defaultAcls(db)).toEqual(defaults);
        expect((await client.query('SELECT sum(balance)::int AS s FROM public.accounts')).rows[0].s).toBe(10);
      } finally {
        await client.end();
      }
    } finally {
      await db.query(`DROP OWNED BY ${admin}; DROP ROLE ${admin}`).catch(() => undefined);
      await dropRoles(db, [owner]);
    }
  });

  it('default privileges changed since the snapshot: the snapshot\'s own are applied over them, as pg_restore would', async () => {
    const db = await createTestDatabase('rk_privs_changed');
    const anon = `rk_anon_${db.name.slice(-10)}`;
    try {
      await db.query(`CREATE ROLE ${anon};
        ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO ${anon};
        ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
        CREATE TABLE public.t (id int); REVOKE ALL ON public.t FROM ${anon};
        CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS 'SELECT 1';`);
      const snapshotted = await acls(db, ['public']);
      const path = await snapshot(db);
      await db.query(`
        ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT ON TABLES FROM ${anon};
        ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT INSERT ON TABLES TO ${anon};
        ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO PUBLIC;`);
      expect(await defaultAcls(db)).toEqual([`postgres public r {${anon}=a/postgres}`]);
      const run = await runAction('restore-db', { 'database-url': db.url, 'snapshot-path': path, confirm: db.name, 'pre-restore-snapshot': 'false' });
      expect(run.errors).toEqual([]);
      expect(await acls(db, ['public'])).toEqual(snapshotted);
      // The snapshot's GRANT SELECT … TO anon and REVOKE EXECUTE … FROM PUBLIC, over what there was.
      expect(await defaultAcls(db)).toEqual(['postgres - f {postgres=X/postgres}', `postgres public r {${anon}=ar/postgres}`]);
    } finally {
      await dropRoles(db, [anon]);
    }
  });

  it('leaves schemas a filtered snapshot does not hold as they are', async () => {
    const db = await createTestDatabase('rk_privs_filter');
    const reader = `rk_reader_${db.name.slice(-10)}`;
    try {
      await db.query(`CREATE ROLE ${reader}; CREATE SCHEMA app; CREATE SCHEMA other; CREATE TABLE app.t (id int); INSERT INTO app.t VALUES (1)`);
      const path = await snapshot(db, { schemas: 'app' });
      await db.query(`GRANT USAGE ON SCHEMA app, other, public TO ${reader}`);
      const before = await acls(db, ['other', 'public']);
      expect(before['schema other']).toContain(`${reader}=U/postgres`);
      const run = await runAction('restore-db', { 'database-url': db.url, 'snapshot-path': path, confirm: db.name, 'pre-restore-snapshot': 'false' });
      expect(run.errors).toEqual([]);
      expect((await acls(db, ['app']))['schema app']).toEqual(['postgres=UC/postgres']);
      expect(await acls(db, ['other', 'public'])).toEqual(before);
    } finally {
      await dropRoles(db, [reader]);
    }
  });
});
