// A whole-database pg_dump lists `public` in its table of contents whenever its owner is not the
// default, but writes `-- *not* creating schema, since initdb creates it` and no CREATE SCHEMA. Such
// a snapshot used to be refused for CREATE on the database, which only CREATE SCHEMA IF NOT EXISTS
// needs, for any role that does not own the database, and so was the whole rollback's preview. A
// snapshot that does create the schema (pg_dump -n public) still is refused for it, in the preview
// as in the restore. Real roles on the real server, plain and custom.
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { previewRestore, restoreSnapshot } from '../../src/db/restore.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import type { SnapshotFormat } from '../../src/db/archive.js';
import { adminQuery, createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { restoreRequest } from './request.js';

/** Owns the tables and the public schema, but not the database: no CREATE on it. */
const OWNER = `rk_fix_restore_owner_${randomBytes(4).toString('hex')}`;

let db: TestDatabase;
const as = () => Object.assign(new URL(db.url), { username: OWNER }).toString();

async function snapshotOf(format: SnapshotFormat, schemas: string[] = []): Promise<string> {
  const outputDir = await mkdtemp(join(tmpdir(), 'rk-fix-restore-'));
  return (await takeSnapshot({ ...wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir }), format, filter: { schemas, excludeSchemas: [] } }, memoryLog())).path;
}

beforeAll(async () => {
  db = await createTestDatabase('rk_fix_restore_public');
  await adminQuery(`CREATE ROLE ${OWNER} LOGIN`);
  await db.query(`ALTER SCHEMA public OWNER TO ${OWNER};
    SET ROLE ${OWNER};
    CREATE TABLE items (id int PRIMARY KEY); INSERT INTO items SELECT generate_series(1, 10);
    RESET ROLE`);
  expect((await db.query("SELECT has_database_privilege($1, current_database(), 'CREATE') AS creates", [OWNER])).rows[0]).toEqual({ creates: false });
});

afterAll(async () => {
  await db?.drop();
  await adminQuery(`DROP ROLE IF EXISTS ${OWNER}`);
});

describe.each(['plain', 'custom'] as const)('%s format', (format) => {
  it('a whole-database snapshot, with public owned by another role than the default, is planned for the tables\' owner', async () => {
    const snapshot = await snapshotOf(format);
    // The preview plans as the restore does, up to its script: not refused for CREATE on the database.
    const result = await previewRestore(await restoreRequest(as(), snapshot, { confirm: undefined }), memoryLog());
    expect(result.tablesRestored).toBe(1);
  });

  // pg_dump writes no GRANT for public when its ACL is {owner=UC/owner,=U/owner}: its baseline for
  // public is that, with the schema's real owner, not pg_init_privs' pg_database_owner. Reset to the
  // latter, public's owner lost USAGE and CREATE on it: the owner's restore failed at CREATE TABLE,
  // and a superuser's left the application unable to use its own schema.
  it.each([['the schema\'s owner', as], ['a superuser', () => db.url]])('restored as %s, public keeps the ACL it had and its owner can create in it', async (_who, url) => {
    const aclOf = async () => (await db.query("SELECT nspacl::text AS acl FROM pg_namespace WHERE nspname = 'public'")).rows[0];
    const before = await aclOf();
    expect(before).toEqual({ acl: `{${OWNER}=UC/${OWNER},=U/${OWNER}}` });
    const snapshot = await snapshotOf(format);
    const result = await restoreSnapshot(await restoreRequest(url(), snapshot), memoryLog());
    expect(result.tablesRestored).toBe(1);
    expect(await aclOf()).toEqual(before);
    await db.query(`SET ROLE ${OWNER}; CREATE TABLE public.after_restore (id int); DROP TABLE public.after_restore; RESET ROLE`);
  });

  it('a snapshot of schema public alone, which does create it, is still refused for CREATE on the database', async () => {
    const snapshot = await snapshotOf(format, ['public']);
    await expect(previewRestore(await restoreRequest(as(), snapshot, { confirm: undefined }), memoryLog())).rejects.toThrow(
      `it lacks CREATE on database ${db.name}, which the restore's CREATE SCHEMA IF NOT EXISTS of public takes even where the schema is there.`,
    );
  });
});
