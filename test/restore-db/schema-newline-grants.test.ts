// A kept schema whose name holds a newline: pg_restore --list writes the newline as a space in its
// comment line, and pg_dump's GRANT for it runs over two lines. The kept-schema check looked its
// grants up by the name as quote_ident writes it, found none, and refused a restore whose privileges
// did not differ, saying grants "would stay, which the snapshot does not have". Now its grants are
// found and read, in both formats; a real difference is still refused. Real roles on the real server.
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { readSnapshotContents } from '../../src/db/restore-plan.js';
import { requireSchemaPrivileges } from '../../src/db/restore-privileges.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { adminQuery, createTestDatabase, type TestDatabase } from '../helpers/pg.js';

const suffix = randomBytes(4).toString('hex');
const SCHEMA_OWNER = `rk_fix_db_nl_owner_${suffix}`;
const RESTORER = `rk_fix_db_nl_restorer_${suffix}`;
const INTRUDER = `rk_fix_db_nl_intruder_${suffix}`;
const ROLES = [SCHEMA_OWNER, RESTORER, INTRUDER];
const SCHEMA = 'two\nlines';

let db: TestDatabase;

async function checkAs(role: string, grants: Record<string, string[]>): Promise<unknown> {
  const session = new pg.Client({ connectionString: Object.assign(new URL(db.url), { username: role }).toString() });
  await session.connect();
  try {
    return await requireSchemaPrivileges(session, [SCHEMA], grants, 15).catch((err: unknown) => err);
  } finally {
    await session.end();
  }
}

beforeAll(async () => {
  for (const role of ROLES) await adminQuery(`CREATE ROLE ${role} LOGIN`);
  db = await createTestDatabase('rk_fix_db_nl');
  await db.query(`CREATE SCHEMA "${SCHEMA}" AUTHORIZATION ${SCHEMA_OWNER};
    SET ROLE ${SCHEMA_OWNER}; GRANT USAGE, CREATE ON SCHEMA "${SCHEMA}" TO ${RESTORER}; RESET ROLE`);
});

afterAll(async () => {
  await db?.drop();
  for (const role of ROLES) await adminQuery(`DROP ROLE IF EXISTS ${role}`);
});

describe.each(['plain', 'custom'] as const)('%s format, a schema whose name holds a newline, restored by a role that does not own it', (format) => {
  it('reads its grants from the snapshot: no difference restores, a grant made since is refused', async () => {
    const outputDir = await mkdtemp(join(tmpdir(), 'rk-fix-db-nl-'));
    const { path } = await takeSnapshot({ ...wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir }), format }, memoryLog());
    const contents = await readSnapshotContents(path, format, format === 'plain' ? undefined : 'pg_restore');
    expect(await checkAs(RESTORER, contents.schemaGrants)).toBeUndefined();

    await db.query(`SET ROLE ${SCHEMA_OWNER}; GRANT CREATE ON SCHEMA "${SCHEMA}" TO ${INTRUDER}; RESET ROLE`);
    try {
      const refused = await checkAs(RESTORER, contents.schemaGrants);
      expect(refused).toBeInstanceOf(RollbackKitError);
      expect((refused as RollbackKitError).message).toContain(`CREATE for ${INTRUDER} (granted by ${SCHEMA_OWNER}) would stay, which the snapshot does not have.`);
      expect((refused as RollbackKitError).message).not.toContain(RESTORER + ' (granted');
    } finally {
      await db.query(`SET ROLE ${SCHEMA_OWNER}; REVOKE CREATE ON SCHEMA "${SCHEMA}" FROM ${INTRUDER}; RESET ROLE`);
    }
  });
});
