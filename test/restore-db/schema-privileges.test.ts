// A kept schema's privileges are reset to the snapshot's only where PostgreSQL lets the restoring
// role: as the schema's owner. A role that owns the tables but not `public` used to restore
// "successfully" while a grant made on public since the snapshot stayed (PostgreSQL only warned,
// and the warning went nowhere): the database was not the snapshot's. Now such a restore is refused
// while planned, naming the schema and the grant that would stay, with nothing changed; with no
// difference it restores. Real roles on the real server, plain and custom.
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { previewRestore, restoreSnapshot } from '../../src/db/restore.js';
import { readSnapshotContents } from '../../src/db/restore-plan.js';
import { replayGrants } from '../../src/db/restore-privileges.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import type { SnapshotFormat } from '../../src/db/archive.js';
import { adminQuery, createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { restoreRequest } from './request.js';

const suffix = randomBytes(4).toString('hex');
/** Owns public. */
const SCHEMA_OWNER = `rk_restore_acl_schema_${suffix}`;
/** Owns the tables, may create in public (granted by its owner, in the snapshot too), does not own it. */
const RESTORER = `rk_restore_acl_tables_${suffix}`;
const INTRUDER = `rk_restore_acl_intruder_${suffix}`;
const ROLES = [SCHEMA_OWNER, RESTORER, INTRUDER];

let db: TestDatabase;
const as = (role: string) => Object.assign(new URL(db.url), { username: role }).toString();
const aclOf = async () => (await db.query<{ acl: string }>("SELECT nspacl::text AS acl FROM pg_namespace WHERE nspname = 'public'")).rows[0]!.acl;
const rowsOf = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM items')).rows[0]!.n;

async function snapshotOf(format: SnapshotFormat): Promise<string> {
  const outputDir = await mkdtemp(join(tmpdir(), 'rk-restore-acl-'));
  return (await takeSnapshot({ ...wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir }), format }, memoryLog())).path;
}

beforeAll(async () => {
  for (const role of ROLES) await adminQuery(`CREATE ROLE ${role} LOGIN`);
  db = await createTestDatabase('rk_restore_acl');
  await db.query(`ALTER SCHEMA public OWNER TO ${SCHEMA_OWNER};
    SET ROLE ${SCHEMA_OWNER}; GRANT USAGE, CREATE ON SCHEMA public TO ${RESTORER}; RESET ROLE;
    SET ROLE ${RESTORER}; CREATE TABLE items (id int PRIMARY KEY); INSERT INTO items SELECT generate_series(1, 10); RESET ROLE`);
});

afterAll(async () => {
  await db?.drop();
  for (const role of ROLES) await adminQuery(`DROP ROLE IF EXISTS ${role}`);
});

describe.each(['plain', 'custom'] as const)('%s format, restored by the tables\' owner, who does not own public', (format) => {
  it('a grant made on public since the snapshot is refused up front, the database unchanged; with none it restores', async () => {
    const snapshot = await snapshotOf(format);
    const atSnapshot = await aclOf();
    await db.query(`SET ROLE ${SCHEMA_OWNER}; GRANT CREATE ON SCHEMA public TO ${INTRUDER}; RESET ROLE; INSERT INTO items VALUES (11)`);
    const changed = await aclOf();
    expect(changed).toContain(`${INTRUDER}=C/${SCHEMA_OWNER}`);

    const log = memoryLog();
    const refused = await restoreSnapshot(await restoreRequest(as(RESTORER), snapshot), log).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(RollbackKitError);
    const { message, hint } = refused as RollbackKitError;
    expect(message).toBe(
      `User ${RESTORER} cannot restore the privileges of schema public to the snapshot's: the restore keeps the schema and resets its privileges, which PostgreSQL lets only its owner (or a member of the owning role, or a superuser) do, and for public it is owned by ${SCHEMA_OWNER}, and CREATE for ${INTRUDER} (granted by ${SCHEMA_OWNER}) would stay, which the snapshot does not have.`,
    );
    expect(hint).toContain(`GRANT ${SCHEMA_OWNER} TO ${RESTORER}; ALTER SCHEMA public OWNER TO ${RESTORER};`);
    expect(hint).toContain(`REVOKE CREATE ON SCHEMA public FROM ${INTRUDER} CASCADE;`);
    expect(hint).toContain('Nothing was changed');
    // Refused before anything was locked or kept: no pre-restore snapshot was started.
    expect(log.lines.join('\n')).not.toMatch(/pre-restore snapshot/);
    // The preview plans as the restore does: refused too.
    await expect(previewRestore(await restoreRequest(as(RESTORER), snapshot, { confirm: undefined }), memoryLog())).rejects.toThrow(message);
    expect(await aclOf()).toBe(changed);
    expect(await rowsOf()).toBe(11);

    // The owner takes the grant back: no difference, and the restore goes through, as the same role.
    await db.query(`SET ROLE ${SCHEMA_OWNER}; REVOKE CREATE ON SCHEMA public FROM ${INTRUDER}; RESET ROLE`);
    const restoredLog = memoryLog();
    const result = await restoreSnapshot(await restoreRequest(as(RESTORER), snapshot), restoredLog);
    expect(result.tablesRestored).toBe(1);
    expect(restoredLog.lines.filter((l) => l.startsWith('warning:'))).toEqual([]);
    expect(await rowsOf()).toBe(10);
    expect(await aclOf()).toBe(atSnapshot);
  });
});

// The grants the check replays are read from the snapshot by the name its table of contents gives
// the schema, quoted as quote_ident quotes it: read by the bare name, a schema such as this one
// would be taken for one without grants, and its own refused as grants made since.
it.each(['plain', 'custom'] as const)('the snapshot\'s grants on a schema are read by its quoted name (%s)', async (format) => {
  const other = await createTestDatabase('rk_restore_acl_read');
  try {
    await other.query(`CREATE SCHEMA "Kept S"; GRANT USAGE ON SCHEMA "Kept S" TO ${INTRUDER}; REVOKE USAGE ON SCHEMA public FROM PUBLIC`);
    const outputDir = await mkdtemp(join(tmpdir(), 'rk-restore-acl-read-'));
    const path = (await takeSnapshot({ ...wholeDatabaseSnapshot(parseConnectionString(other.url), { outputDir }), format }, memoryLog())).path;
    const contents = await readSnapshotContents(path, format, format === 'plain' ? undefined : 'pg_restore');
    expect(contents.schemaGrants).toEqual({ '"Kept S"': [`GRANT USAGE ON SCHEMA "Kept S" TO ${INTRUDER};`], public: ['REVOKE USAGE ON SCHEMA public FROM PUBLIC;'] });
  } finally {
    // Before afterAll drops the role it grants to.
    await other.drop();
  }
});

describe('replayGrants', () => {
  const base = [
    { grantor: 'o', grantee: 'o', privilege: 'USAGE', grantable: false },
    { grantor: 'o', grantee: 'o', privilege: 'CREATE', grantable: false },
    { grantor: 'o', grantee: 'PUBLIC', privilege: 'USAGE', grantable: false },
  ];

  it('replays pg_dump\'s statements on the baseline, each grant by the grantor the script sets', () => {
    const acl = replayGrants(
      base,
      [
        'REVOKE USAGE ON SCHEMA public FROM PUBLIC;',
        'GRANT ALL ON SCHEMA public TO "App Role" WITH GRANT OPTION;',
        'SET SESSION AUTHORIZATION "App Role";',
        'GRANT CREATE ON SCHEMA public TO r;',
        'RESET SESSION AUTHORIZATION;',
        'GRANT USAGE ON SCHEMA public TO r;',
      ],
      'o',
    );
    expect(acl).toEqual([
      ...base.slice(0, 2),
      { grantor: 'o', grantee: '"App Role"', privilege: 'USAGE', grantable: true },
      { grantor: 'o', grantee: '"App Role"', privilege: 'CREATE', grantable: true },
      { grantor: '"App Role"', grantee: 'r', privilege: 'CREATE', grantable: false },
      { grantor: 'o', grantee: 'r', privilege: 'USAGE', grantable: false },
    ]);
  });

  it('tells a statement it does not read', () => {
    expect(replayGrants(base, ['GRANT USAGE ON SCHEMA public TO r GRANTED BY o;'], 'o')).toBeUndefined();
  });
});
