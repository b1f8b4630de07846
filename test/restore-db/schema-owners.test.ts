// The snapshot's script gives each schema back to its owner (ALTER SCHEMA … OWNER TO), which
// PostgreSQL lets only a superuser, or a role that acts as the schema's owner and is a member of the
// new one, do. A role that was not got through the locks and the pre-restore snapshot and failed in
// the middle of the script. Now it is refused first, naming the schema, the owner and the GRANT;
// once granted, the restore gives the owner back. A member without its owner's privileges
// (NOINHERIT) hands the schema back at the end, through SET ROLE. Real roles on the real server.
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
/** Owns schema app in the snapshot. */
const OWNER = `rk_schema_owners_owner_${suffix}`;
/** Restores: owns the tables, may create schemas in the database, is no member of OWNER. */
const RESTORER = `rk_schema_owners_restorer_${suffix}`;
/** Restores too, a member of OWNER without its privileges. */
const NOINHERIT = `rk_schema_owners_noinherit_${suffix}`;

const databases: TestDatabase[] = [];
const as = (db: TestDatabase, role: string) => Object.assign(new URL(db.url), { username: role }).toString();

/** A database whose schema app is OWNER's, with a table of `restorer`'s that it may create there, and its snapshot. */
async function database(restorer: string): Promise<{ db: TestDatabase; snapshot: string }> {
  const db = await createTestDatabase('rk_schema_owners');
  databases.push(db);
  await db.query(`GRANT CREATE ON DATABASE "${db.name}" TO ${restorer};
    CREATE SCHEMA app AUTHORIZATION ${OWNER};
    COMMENT ON SCHEMA app IS 'the app';
    SET ROLE ${OWNER}; GRANT USAGE, CREATE ON SCHEMA app TO ${restorer}; RESET ROLE;
    SET ROLE ${restorer};
    CREATE TABLE app.items (id int PRIMARY KEY); INSERT INTO app.items SELECT generate_series(1, 10);
    RESET ROLE`);
  const snapshot = (await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: await mkdtemp(join(tmpdir(), 'rk-schema-owners-')) }), memoryLog())).path;
  // Since the snapshot: rows gone, and the schema handed to the role that restores (a migration did).
  await db.query(`DELETE FROM app.items WHERE id > 4; ALTER SCHEMA app OWNER TO ${restorer}`);
  return { db, snapshot };
}

/** The schema's owner, ACL and comment, and the table's rows. */
async function state(db: TestDatabase): Promise<unknown> {
  const { rows } = await db.query(
    "SELECT pg_get_userbyid(nspowner) AS owner, nspacl::text AS acl, obj_description(oid, 'pg_namespace') AS comment, (SELECT count(*)::int FROM app.items) AS rows FROM pg_namespace WHERE nspname = 'app'",
  );
  return rows[0];
}

beforeAll(async () => {
  await adminQuery(`CREATE ROLE ${OWNER}`);
  await adminQuery(`CREATE ROLE ${RESTORER} LOGIN`);
  await adminQuery(`CREATE ROLE ${NOINHERIT} LOGIN NOINHERIT`);
});

afterAll(async () => {
  for (const db of databases) await db.drop();
  for (const role of [NOINHERIT, RESTORER, OWNER]) await adminQuery(`DROP ROLE IF EXISTS ${role}`);
});

it('a role that is no member of the schema\'s owner is refused before anything changes, naming the schema, the owner and the GRANT; granted, the restore gives the owner back', async () => {
  const { db, snapshot } = await database(RESTORER);
  const before = await state(db);
  expect(before).toMatchObject({ owner: RESTORER, rows: 4 });
  const preRestoreDir = await mkdtemp(join(tmpdir(), 'rk-schema-owners-pre-'));
  const log = memoryLog();
  const err = await restoreSnapshot(await restoreRequest(as(db, RESTORER), snapshot, { preRestoreDir, lockTimeoutSeconds: 5 }), log).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RollbackKitError);
  const line = (err as RollbackKitError).line;
  expect(line).toContain(`User ${RESTORER} cannot give the snapshot's schemas back to their owners`);
  expect(line).toContain(`schema app is owned by ${OWNER} in the snapshot, and only a member of ${OWNER} may make it a schema's owner.`);
  expect(line).toContain(`run: GRANT ${OWNER} TO ${RESTORER}; Then run again. Nothing was changed: the check ran before anything was locked.`);
  expect(errorFacts(err)).toEqual({ changed: 'no' });
  // Refused while planned: nothing locked, no pre-restore snapshot, nothing changed.
  expect(log.lines.join('\n')).not.toContain('Locking the');
  expect(await readdir(preRestoreDir)).toEqual([]);
  expect(await state(db)).toEqual(before);
  // The dry run plans as the restore does: refused the same way.
  await expect(previewRestore(await restoreRequest(as(db, RESTORER), snapshot, { confirm: undefined }), memoryLog())).rejects.toThrow(`schema app is owned by ${OWNER} in the snapshot, and only a member of ${OWNER}`);

  await adminQuery(`GRANT ${OWNER} TO ${RESTORER}`);
  try {
    const result = await restoreSnapshot(await restoreRequest(as(db, RESTORER), snapshot, { lockTimeoutSeconds: 5 }), memoryLog());
    expect(result.verified).toBe(true);
    expect(await state(db)).toEqual({ owner: OWNER, acl: `{${OWNER}=UC/${OWNER},${RESTORER}=UC/${OWNER}}`, comment: 'the app', rows: 10 });
  } finally {
    await adminQuery(`REVOKE ${OWNER} FROM ${RESTORER}`);
  }
});

it('a member of the owner without its privileges (NOINHERIT) gives the schema back at the end, with the snapshot\'s privileges', async () => {
  const { db, snapshot } = await database(NOINHERIT);
  await adminQuery(`GRANT ${OWNER} TO ${NOINHERIT}`);
  const log = memoryLog();
  const result = await restoreSnapshot(await restoreRequest(as(db, NOINHERIT), snapshot, { lockTimeoutSeconds: 5 }), log);
  expect(result.verified).toBe(true);
  expect(log.lines.join('\n')).toContain(`Giving schema app back to ${OWNER} at the end of the restore`);
  expect(await state(db)).toEqual({ owner: OWNER, acl: `{${OWNER}=UC/${OWNER},${NOINHERIT}=UC/${OWNER}}`, comment: 'the app', rows: 10 });
});

// From PostgreSQL 15 public's owner is pg_database_owner, whose only member is the database's
// owner: it takes no GRANT, so a role that is not that owner is told to become it, or restore as it.
it('a snapshot that gives public back to pg_database_owner: refused for a role that does not own the database, with what to run; the owner restores it', async () => {
  const db = await createTestDatabase('rk_schema_owners_public');
  databases.push(db);
  await db.query(`GRANT CREATE ON DATABASE "${db.name}" TO ${RESTORER}; GRANT CREATE ON SCHEMA public TO ${RESTORER};
    SET ROLE ${RESTORER}; CREATE TABLE public.items (id int PRIMARY KEY); INSERT INTO public.items SELECT generate_series(1, 10); RESET ROLE`);
  // A snapshot of public alone creates it, and gives it to its owner (ALTER SCHEMA public OWNER TO pg_database_owner).
  const outputDir = await mkdtemp(join(tmpdir(), 'rk-schema-owners-'));
  const snapshot = (await takeSnapshot({ ...wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir }), filter: { schemas: ['public'], excludeSchemas: [] } }, memoryLog())).path;
  await db.query(`DELETE FROM public.items WHERE id > 4; ALTER SCHEMA public OWNER TO ${RESTORER}`);
  const ownerOfPublic = async () => (await db.query("SELECT pg_get_userbyid(nspowner) AS owner, (SELECT count(*)::int FROM public.items) AS rows FROM pg_namespace WHERE nspname = 'public'")).rows[0];
  const preRestoreDir = await mkdtemp(join(tmpdir(), 'rk-schema-owners-pre-'));
  const err = await restoreSnapshot(await restoreRequest(as(db, RESTORER), snapshot, { preRestoreDir, lockTimeoutSeconds: 5 }), memoryLog()).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RollbackKitError);
  const line = (err as RollbackKitError).line;
  expect(line).toContain(`schema public is owned by pg_database_owner in the snapshot, whose only member is the database's owner, which ${RESTORER} is not.`);
  expect(line).toContain(`run: ALTER DATABASE ${db.name} OWNER TO ${RESTORER}; Then run again. Nothing was changed`);
  expect(line).not.toContain('GRANT pg_database_owner');
  expect(await readdir(preRestoreDir)).toEqual([]);
  expect(await ownerOfPublic()).toEqual({ owner: RESTORER, rows: 4 });

  await db.query(`ALTER DATABASE "${db.name}" OWNER TO ${RESTORER}`);
  expect((await restoreSnapshot(await restoreRequest(as(db, RESTORER), snapshot, { lockTimeoutSeconds: 5 }), memoryLog())).verified).toBe(true);
  expect(await ownerOfPublic()).toEqual({ owner: 'pg_database_owner', rows: 10 });
});
