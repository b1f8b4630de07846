// How many connections a restore holds at once: a role limited to two (as a pooler with a low limit
// would be) restores without a pre-restore snapshot, with its lock watcher connected. Through the
// library on real PostgreSQL; a superuser has no connection limit, so the restore runs as an owner
// role of its own.
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { restoreSnapshot } from '../../src/db/restore.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { adminQuery, createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { restoreRequest } from './request.js';

const role = `rk_restorer_${randomBytes(4).toString('hex')}`;
let db: TestDatabase;
let url: string;

beforeAll(async () => {
  await adminQuery(`CREATE ROLE ${role} LOGIN CONNECTION LIMIT 2`);
  db = await createTestDatabase('rk_restore_conns');
  await db.query(`ALTER DATABASE "${db.name}" OWNER TO ${role}; ALTER SCHEMA public OWNER TO ${role}`);
  const u = new URL(db.url);
  u.username = role;
  url = u.toString();
});

afterAll(async () => {
  await db?.drop();
  await adminQuery(`DROP ROLE IF EXISTS ${role}`);
});

describe('a role that may hold two connections', () => {
  it('restores without a pre-restore snapshot, its lock watcher connected', async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('CREATE TABLE public.orders (id int PRIMARY KEY, note text); INSERT INTO public.orders SELECT g, NULL FROM generate_series(1, 50) g');
    } finally {
      await client.end();
    }
    // Taken as the superuser: a snapshot holds three connections of its own (not this test's subject).
    const snapshot = (await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: await mkdtemp(join(tmpdir(), 'rk-restore-conns-')) }), memoryLog())).path;
    await db.query('DELETE FROM public.orders WHERE id > 20');

    const log = memoryLog();
    const result = await restoreSnapshot(await restoreRequest(url, snapshot, { preRestoreSnapshot: false }), log);
    expect(result.verified).toBe(true);
    // The watcher got its connection: it names whoever blocks the restore.
    expect(log.lines.filter((l) => l.includes('Not watching for blocking sessions'))).toEqual([]);
    expect((await db.query('SELECT count(*)::int AS n FROM public.orders')).rows[0]).toEqual({ n: 50 });
  });
});
