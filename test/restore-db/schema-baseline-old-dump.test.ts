// A snapshot written by pg_dump 14 or older holds no GRANT for a `public` left as PostgreSQL 14 and
// older create it ({owner=UC, =UC}): those pg_dumps write its privileges relative to that, where
// pg_dump 15 writes them relative to {owner=UC, =U}. The kept-schema check used to read every
// snapshot as pg_dump 15's, so for such a snapshot it wanted CREATE gone from PUBLIC, and refused
// every restore by a role that does not own public, saying PUBLIC's CREATE "would stay, which the
// snapshot does not have". Now the baseline is the snapshot's pg_dump's, for the check and the reset
// alike. Only pg_dump 15 is at hand, so the schema's grants are given as pg_dump 14's list has them
// (none for public); the database is real.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { requireSchemaPrivileges, resetSchemaPrivileges } from '../../src/db/restore-privileges.js';
import { adminQuery, createTestDatabase, type TestDatabase } from '../helpers/pg.js';

const suffix = randomBytes(4).toString('hex');
const SCHEMA_OWNER = `rk_fix_db_owner_${suffix}`;
const RESTORER = `rk_fix_db_restorer_${suffix}`;
const INTRUDER = `rk_fix_db_intruder_${suffix}`;
const ROLES = [SCHEMA_OWNER, RESTORER, INTRUDER];

let db: TestDatabase;
const aclOf = async () => (await db.query<{ acl: string[] }>("SELECT (SELECT array_agg(i::text ORDER BY i::text) FROM unnest(nspacl) i) AS acl FROM pg_namespace WHERE nspname = 'public'")).rows[0]!.acl;
/** public as PostgreSQL 14 creates it, owned by SCHEMA_OWNER. */
const OLD_PUBLIC = [`${SCHEMA_OWNER}=UC/${SCHEMA_OWNER}`, `=UC/${SCHEMA_OWNER}`].sort();

async function checkAs(role: string, dumpMajor: number, grants: Record<string, string[]> = {}): Promise<unknown> {
  const session = new pg.Client({ connectionString: Object.assign(new URL(db.url), { username: role }).toString() });
  await session.connect();
  try {
    return await requireSchemaPrivileges(session, ['public'], grants, dumpMajor).catch((err: unknown) => err);
  } finally {
    await session.end();
  }
}

beforeAll(async () => {
  for (const role of ROLES) await adminQuery(`CREATE ROLE ${role} LOGIN`);
  db = await createTestDatabase('rk_fix_db_old_dump');
  await db.query(`ALTER SCHEMA public OWNER TO ${SCHEMA_OWNER};
    SET ROLE ${SCHEMA_OWNER}; REVOKE ALL ON SCHEMA public FROM PUBLIC; GRANT ALL ON SCHEMA public TO PUBLIC; RESET ROLE`);
  expect(await aclOf()).toEqual(OLD_PUBLIC);
});

afterAll(async () => {
  await db?.drop();
  for (const role of ROLES) await adminQuery(`DROP ROLE IF EXISTS ${role}`);
});

describe('a snapshot by pg_dump 14, public as PostgreSQL 14 makes it, restored by a role that does not own it', () => {
  it('is not refused: the snapshot has no grant for public because public is at its baseline', async () => {
    expect(await checkAs(RESTORER, 14)).toBeUndefined();
    // The same database read as pg_dump 15's would be (no GRANT CREATE … TO PUBLIC) is a difference.
    expect(await checkAs(RESTORER, 15)).toBeInstanceOf(RollbackKitError);
  });

  it('a grant made since the snapshot is still refused, naming only that one', async () => {
    await db.query(`SET ROLE ${SCHEMA_OWNER}; GRANT CREATE ON SCHEMA public TO ${INTRUDER}; RESET ROLE`);
    try {
      const refused = await checkAs(RESTORER, 14);
      expect(refused).toBeInstanceOf(RollbackKitError);
      expect((refused as RollbackKitError).message).toContain(`and CREATE for ${INTRUDER} (granted by ${SCHEMA_OWNER}) would stay, which the snapshot does not have.`);
      expect((refused as RollbackKitError).message).not.toContain('PUBLIC');
    } finally {
      await db.query(`SET ROLE ${SCHEMA_OWNER}; REVOKE CREATE ON SCHEMA public FROM ${INTRUDER}; RESET ROLE`);
    }
  });

  it('the reset, as the owner, goes to the same baseline: PUBLIC keeps CREATE, a later grant goes', async () => {
    await db.query(`SET ROLE ${SCHEMA_OWNER}; GRANT CREATE ON SCHEMA public TO ${INTRUDER}; ${resetSchemaPrivileges(['public'], 14)}; RESET ROLE`);
    expect(await aclOf()).toEqual(OLD_PUBLIC);
    expect(await checkAs(SCHEMA_OWNER, 14)).toBeUndefined();
  });
});
