// REINDEX INDEX CONCURRENTLY is how an invalid index (a CREATE INDEX CONCURRENTLY that failed) is
// built again. When it fails too, it leaves its own invalid copy (<name>_ccnew); the index it names
// was invalid before it ran, so it is not something the statement left, and dropping it, as the
// error told, made the re-run fail on an index that no longer exists. Real PostgreSQL.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConnectionString } from '../../src/db/connection.js';
import { closeSession, connect, type Session } from '../../src/db/session.js';
import { beforeConcurrentIndex, concurrentIndexStatement, leftByConcurrentIndex } from '../../src/migrations/invalid-indexes.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

let db: TestDatabase;
let session: Session;
beforeAll(async () => {
  db = await createTestDatabase('rk_reindex_invalid');
  await db.query('CREATE TABLE t (id int); INSERT INTO t VALUES (1), (1), (2)');
  // A unique build over a duplicate: it fails, and leaves t_id_key invalid.
  await expect(db.query('CREATE UNIQUE INDEX CONCURRENTLY t_id_key ON t (id)')).rejects.toThrow(/could not create unique index/);
  session = await connect(parseConnectionString(db.url));
});
afterAll(async () => {
  if (session) closeSession(session);
});

it('a failed REINDEX CONCURRENTLY of an index invalid before it names only the copy it left', async () => {
  const sql = 'REINDEX INDEX CONCURRENTLY t_id_key';
  const st = concurrentIndexStatement({ text: sql, standardConformingStrings: true })!;
  const before = await beforeConcurrentIndex(session, st);
  const failure = await session.query(sql).then(() => undefined, (err: unknown) => err);
  expect(String(failure)).toMatch(/could not create unique index/);
  const left = await leftByConcurrentIndex(session, st, before, failure);
  expect(left?.drop).toEqual(['public.t_id_key_ccnew']);
  expect(left?.finishing).toEqual([]);
});
