// A role that may read and update the tables but does not own them: the restore drops what the
// snapshot holds and creates it again, which only the owner (a member of the owning role, a
// superuser) may do. It used to lock the tables, take the pre-restore snapshot, then fail with a bare
// "must be owner of view big_orders" (or, without UPDATE, "permission denied for table Mixed Case");
// now it is refused while planned, before anything is locked or kept, naming what it lacks and the
// GRANT that gives it. A member of the owning role restores.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorFacts, RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { previewRestore, restoreSnapshot } from '../../src/db/restore.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { adminQuery, createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { restoreRequest } from './request.js';

const suffix = randomBytes(4).toString('hex');
const OWNER = `rk_priv_owner_${suffix}`;
const READER = `rk_priv_updater_${suffix}`;
const SELECTOR = `rk_priv_reader_${suffix}`;
const MEMBER = `rk_priv_member_${suffix}`;

let db: TestDatabase;
let snapshot: string;
/** Databases to drop before the roles they grant to. */
const databases: TestDatabase[] = [];

function as(role: string): string {
  const u = new URL(db.url);
  u.username = role;
  return u.toString();
}

beforeAll(async () => {
  db = await createTestDatabase('rk_restore_roles');
  databases.push(db);
  for (const role of [OWNER, READER, SELECTOR, MEMBER]) await adminQuery(`CREATE ROLE ${role} LOGIN`);
  await adminQuery(`GRANT ${OWNER} TO ${MEMBER}`);
  await db.query(`GRANT CREATE, USAGE ON SCHEMA public TO ${OWNER}, ${MEMBER};
    SET ROLE ${OWNER};
    CREATE TABLE "Mixed Case" (id int PRIMARY KEY); INSERT INTO "Mixed Case" VALUES (1), (2);
    CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders SELECT generate_series(1, 10);
    CREATE VIEW big_orders AS SELECT * FROM orders WHERE id > 5;
    GRANT SELECT, UPDATE ON ALL TABLES IN SCHEMA public TO ${READER};
    GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${SELECTOR};
    RESET ROLE`);
  snapshot = (await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: await mkdtemp(join(tmpdir(), 'rk-restore-roles-')) }), memoryLog())).path;
});

afterAll(async () => {
  for (const d of databases) await d.drop();
  for (const role of [MEMBER, SELECTOR, READER, OWNER]) await adminQuery(`DROP ROLE IF EXISTS ${role}`);
});

describe('a role that does not own what the restore drops', () => {
  it.each([
    ['SELECT and UPDATE', READER],
    ['SELECT only', SELECTOR],
  ])('(%s) is refused before anything is locked or kept, with what it lacks and what to grant', async (_what, role) => {
    await db.query('DELETE FROM orders WHERE id > 4');
    const preRestoreDir = await mkdtemp(join(tmpdir(), 'rk-restore-roles-pre-'));
    const log = memoryLog();
    const err = await restoreSnapshot(await restoreRequest(as(role), snapshot, { preRestoreDir, lockTimeoutSeconds: 5 }), log).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RollbackKitError);
    expect((err as RollbackKitError).line).toBe(
      `User ${role} cannot restore this snapshot: the restore drops what the snapshot holds and creates it again, which PostgreSQL lets only the objects' owner (or a member of the owning role, or a superuser) do, and it lacks the privileges of ${OWNER}, which owns table public."Mixed Case", table public.orders, view public.big_orders; CREATE on schema public. ` +
        `Restore as the role that owns them (the one the migrations run as), or grant it: GRANT ${OWNER} TO ${role}; GRANT CREATE ON SCHEMA public TO ${role}; Nothing was changed: the check ran before anything was locked.`
    );
    expect(errorFacts(err)).toEqual({ changed: 'no' });
    expect(log.lines.join('\n')).not.toContain('Locking the');
    expect(await readdir(preRestoreDir)).toEqual([]);
    expect((await db.query('SELECT count(*)::int AS n FROM orders')).rows[0]).toEqual({ n: 4 });
    // The dry run plans as the restore does: refused the same way.
    await expect(previewRestore(await restoreRequest(as(role), snapshot, { confirm: undefined }), memoryLog())).rejects.toThrow(`User ${role} cannot restore this snapshot`);
  });

  it('a member of the owning role restores', async () => {
    await db.query('DELETE FROM orders WHERE id > 4');
    const result = await restoreSnapshot(await restoreRequest(as(MEMBER), snapshot, { lockTimeoutSeconds: 5 }), memoryLog());
    expect(result.verified).toBe(true);
    expect((await db.query('SELECT count(*)::int AS n FROM orders')).rows[0]).toEqual({ n: 10 });
    expect((await db.query("SELECT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relname = 'orders'")).rows[0]).toEqual({ owner: OWNER });
  });
});

it('an object other than a relation it may not drop (a function, owned by a superuser): refused while planned, naming it and its owner, nothing changed', async () => {
  const other = await createTestDatabase('rk_restore_roles_fn');
  databases.push(other);
  await other.query(`GRANT CREATE, USAGE ON SCHEMA public TO ${OWNER}, ${MEMBER};
    CREATE FUNCTION public.tax(numeric) RETURNS numeric LANGUAGE sql AS 'SELECT $1 * 0.2';
    SET ROLE ${OWNER};
    CREATE TABLE prices (id int PRIMARY KEY, amount numeric); INSERT INTO prices SELECT g, g FROM generate_series(1, 10) g;
    RESET ROLE`);
  const otherSnapshot = (await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(other.url), { outputDir: await mkdtemp(join(tmpdir(), 'rk-restore-roles-')) }), memoryLog())).path;
  await other.query('DELETE FROM prices WHERE id > 4');
  const u = new URL(other.url);
  u.username = MEMBER;
  const preRestoreDir = await mkdtemp(join(tmpdir(), 'rk-restore-roles-pre-'));
  const log = memoryLog();
  const err = await restoreSnapshot(await restoreRequest(u.toString(), otherSnapshot, { preRestoreDir, lockTimeoutSeconds: 5 }), log).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RollbackKitError);
  // It used to lock the tables, keep the pre-restore snapshot and fail in the script: "must be owner of function tax".
  // A superuser owns it: no GRANT to suggest, restore as the owner.
  expect((err as RollbackKitError).line).toBe(
    `User ${MEMBER} cannot restore this snapshot: the restore drops what the snapshot holds and creates it again, which PostgreSQL lets only the objects' owner (or a member of the owning role, or a superuser) do, and it lacks the privileges of postgres, which owns function public.tax(numeric). ` +
      'Restore as the role that owns them (the one the migrations run as). Nothing was changed: the check ran before anything was locked.',
  );
  expect(errorFacts(err)).toEqual({ changed: 'no' });
  expect(log.lines.join('\n')).not.toContain('Locking the');
  expect(await readdir(preRestoreDir)).toEqual([]);
  expect((await other.query('SELECT count(*)::int AS n FROM prices')).rows[0]).toEqual({ n: 4 });
});
