// The snapshot's script (pg_restore --clean) drops and creates again every function, procedure,
// type, domain … the snapshot holds, as restore-db drops its relations: a role that may drop the
// tables (a member of their owner) but not those objects, owned by another role, used to be let
// through the up-front check, lock the tables, take the pre-restore snapshot, and fail only inside
// the script with "must be owner of function …". Now it is refused while planned, naming each
// object, its owner and the GRANT that lets it through. Real roles on the real server.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { errorFacts, RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { previewRestore, restoreSnapshot } from '../../src/db/restore.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { adminQuery, createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { restoreRequest } from './request.js';

const suffix = randomBytes(4).toString('hex');
/** Owns the tables; the restoring role is a member of it. */
const OWNER = `rk_restore_owners_tables_${suffix}`;
/** Owns the functions, types and the materialized view: the restoring role is not a member. */
const ADMIN = `rk_restore_owners_admin_${suffix}`;
const RESTORER = `rk_restore_owners_member_${suffix}`;

let db: TestDatabase;
let snapshot: string;

const as = (role: string) => Object.assign(new URL(db.url), { username: role }).toString();

/** The objects as they are now: each one's oid (a drop and create gives it another) and owner, a function's definition. */
async function objects(): Promise<unknown[]> {
  const { rows } = await db.query(
    `SELECT pg_describe_object(classid, objid, 0) AS what, pg_get_userbyid(owner) AS owner, def FROM (
       SELECT 'pg_proc'::regclass AS classid, p.oid AS objid, p.proowner AS owner, md5(pg_get_functiondef(p.oid)) AS def FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
       UNION ALL SELECT 'pg_type'::regclass, t.oid, t.typowner, t.oid::text FROM pg_type t WHERE t.typnamespace = 'public'::regnamespace AND (t.typtype IN ('e', 'd') OR t.typname = 'money_pair')
       UNION ALL SELECT 'pg_class'::regclass, c.oid, c.relowner, c.oid::text FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'm')
     ) o ORDER BY 1`,
  );
  return rows;
}

beforeAll(async () => {
  db = await createTestDatabase('rk_restore_owners');
  for (const role of [OWNER, ADMIN, RESTORER]) await adminQuery(`CREATE ROLE ${role} LOGIN`);
  await adminQuery(`GRANT ${OWNER} TO ${RESTORER}`);
  await db.query(`GRANT CREATE, USAGE ON SCHEMA public TO ${OWNER}, ${ADMIN}, ${RESTORER};
    SET ROLE ${OWNER};
    CREATE TABLE orders (id int PRIMARY KEY, amount numeric); INSERT INTO orders SELECT g, g FROM generate_series(1, 10) g;
    SET ROLE ${ADMIN};
    CREATE FUNCTION tax(numeric) RETURNS numeric LANGUAGE sql AS 'SELECT $1 * 0.2';
    CREATE PROCEDURE tidy() LANGUAGE sql AS 'SELECT 1';
    CREATE TYPE mood AS ENUM ('ok', 'bad');
    CREATE TYPE money_pair AS (low numeric, high numeric);
    CREATE DOMAIN positive AS int CHECK (VALUE > 0);
    RESET ROLE;
    GRANT SELECT ON orders TO ${ADMIN};
    SET ROLE ${ADMIN};
    CREATE MATERIALIZED VIEW order_totals AS SELECT sum(amount) AS total FROM orders;
    RESET ROLE`);
  snapshot = (await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: await mkdtemp(join(tmpdir(), 'rk-restore-owners-')) }), memoryLog())).path;
});

afterAll(async () => {
  await db?.drop();
  for (const role of [RESTORER, ADMIN, OWNER]) await adminQuery(`DROP ROLE IF EXISTS ${role}`);
});

it('a member of the tables\' owner is refused up front for the functions, procedure, types and materialized view it may not drop, naming each and the GRANT', async () => {
  await db.query('DELETE FROM orders WHERE id > 4');
  const before = await objects();
  const preRestoreDir = await mkdtemp(join(tmpdir(), 'rk-restore-owners-pre-'));
  const log = memoryLog();
  const err = await restoreSnapshot(await restoreRequest(as(RESTORER), snapshot, { preRestoreDir, lockTimeoutSeconds: 5 }), log).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RollbackKitError);
  const line = (err as RollbackKitError).line;
  expect(line).toContain(`User ${RESTORER} cannot restore this snapshot`);
  // The relations first, in the snapshot's order; the other objects by name.
  // (pg_describe_object names a procedure a function on the servers this runs on.)
  expect(line).toMatch(
    new RegExp(`it lacks the privileges of ${ADMIN}, which owns materialized view public\\.order_totals, function public\\.tax\\(numeric\\), (function|procedure) public\\.tidy\\(\\), type public\\.money_pair, type public\\.mood, type public\\.positive\\.`),
  );
  expect(line).toContain(`or grant it: GRANT ${ADMIN} TO ${RESTORER}; Nothing was changed: the check ran before anything was locked.`);
  // The tables' owner is the restoring role's already: not named.
  expect(line).not.toContain(`privileges of ${OWNER}`);
  expect(errorFacts(err)).toEqual({ changed: 'no' });
  expect(log.lines.join('\n')).not.toContain('Locking the');
  expect(await readdir(preRestoreDir)).toEqual([]);
  expect((await db.query('SELECT count(*)::int AS n FROM orders')).rows[0]).toEqual({ n: 4 });
  expect(await objects()).toEqual(before);
  // The dry run plans as the restore does: refused the same way.
  await expect(previewRestore(await restoreRequest(as(RESTORER), snapshot, { confirm: undefined }), memoryLog())).rejects.toThrow(`which owns materialized view public.order_totals, function public.tax(numeric)`);

  // Given what it says, the same role restores.
  await adminQuery(`GRANT ${ADMIN} TO ${RESTORER}`);
  try {
    const result = await restoreSnapshot(await restoreRequest(as(RESTORER), snapshot, { lockTimeoutSeconds: 5 }), memoryLog());
    expect(result.verified).toBe(true);
    expect((await db.query('SELECT count(*)::int AS n FROM orders')).rows[0]).toEqual({ n: 10 });
    expect((await db.query("SELECT pg_get_userbyid(proowner) AS owner FROM pg_proc WHERE proname = 'tax'")).rows[0]).toEqual({ owner: ADMIN });
  } finally {
    await adminQuery(`REVOKE ${ADMIN} FROM ${RESTORER}`);
  }
});

it('a snapshot with a schema of its own, restored by a member of its owner without CREATE on the database, is refused up front with the GRANT', async () => {
  const other = await createTestDatabase('rk_restore_owners_schema');
  try {
    await other.query(`CREATE SCHEMA app AUTHORIZATION ${OWNER};
      SET ROLE ${OWNER};
      CREATE TABLE app.items (id int PRIMARY KEY); INSERT INTO app.items SELECT generate_series(1, 10);
      RESET ROLE`);
    const otherSnapshot = (await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(other.url), { outputDir: await mkdtemp(join(tmpdir(), 'rk-restore-owners-')) }), memoryLog())).path;
    await other.query('DELETE FROM app.items WHERE id > 4');
    const url = Object.assign(new URL(other.url), { username: RESTORER }).toString();
    const preRestoreDir = await mkdtemp(join(tmpdir(), 'rk-restore-owners-pre-'));
    const log = memoryLog();
    // It used to get through the locks and the pre-restore snapshot, and fail at CREATE SCHEMA IF NOT EXISTS app: "permission denied for database".
    const err = await restoreSnapshot(await restoreRequest(url, otherSnapshot, { preRestoreDir, lockTimeoutSeconds: 5 }), log).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RollbackKitError);
    expect((err as RollbackKitError).line).toContain(`it lacks CREATE on database ${other.name}, which the restore's CREATE SCHEMA IF NOT EXISTS of app takes even where the schema is there.`);
    expect((err as RollbackKitError).line).toContain(`or grant it: GRANT CREATE ON DATABASE ${other.name} TO ${RESTORER}; Nothing was changed`);
    expect(errorFacts(err)).toEqual({ changed: 'no' });
    expect(log.lines.join('\n')).not.toContain('Locking the');
    expect(await readdir(preRestoreDir)).toEqual([]);
    expect((await other.query('SELECT count(*)::int AS n FROM app.items')).rows[0]).toEqual({ n: 4 });

    await adminQuery(`GRANT CREATE ON DATABASE "${other.name}" TO ${RESTORER}`);
    expect((await restoreSnapshot(await restoreRequest(url, otherSnapshot, { lockTimeoutSeconds: 5 }), memoryLog())).verified).toBe(true);
    expect((await other.query('SELECT count(*)::int AS n FROM app.items')).rows[0]).toEqual({ n: 10 });
  } finally {
    await other.drop();
  }
});

it('a cast between its own type and a built-in one is named with the type\'s owner, not the built-in superuser, and the GRANT for it', async () => {
  const other = await createTestDatabase('rk_fix_restore_cast');
  try {
    await other.query(`GRANT CREATE, USAGE ON SCHEMA public TO ${OWNER}, ${ADMIN};
      SET ROLE ${OWNER};
      CREATE TABLE items (id int PRIMARY KEY); INSERT INTO items SELECT generate_series(1, 10);
      SET ROLE ${ADMIN};
      CREATE TYPE level AS ENUM ('low', 'high');
      CREATE CAST (level AS text) WITH INOUT;
      RESET ROLE`);
    const otherSnapshot = (await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(other.url), { outputDir: await mkdtemp(join(tmpdir(), 'rk-restore-owners-')) }), memoryLog())).path;
    const url = Object.assign(new URL(other.url), { username: RESTORER }).toString();
    const err = await previewRestore(await restoreRequest(url, otherSnapshot, { confirm: undefined }), memoryLog()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RollbackKitError);
    const line = (err as RollbackKitError).line;
    // text's owner, the bootstrap superuser, used to be named for the cast, with no GRANT to give.
    expect(line).toMatch(new RegExp(`it lacks the privileges of ${ADMIN}, which owns cast from public\\.level to text, type public\\.level\\.`));
    expect(line).toContain(`GRANT ${ADMIN} TO ${RESTORER};`);
  } finally {
    await other.drop();
  }
});
