// A lock held by another session while restore-db plans (its catalogue reads, before anything is
// locked or changed): a stuck migration's ALTER TABLE left open, a LOCK TABLE, a VACUUM FULL of a
// catalogue. The error names that session, as the lock phase's does, with how to end it; it used to
// say only that "another session" held it, "not seen in pg_stat_activity in time".
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { errorFacts, RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { restoreSnapshot } from '../../src/db/restore.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { restoreRequest } from './request.js';

let db: TestDatabase;
let snapshot: string;

beforeAll(async () => {
  db = await createTestDatabase('rk_restore_plan_lock');
  await db.query(`CREATE TABLE "Mixed Case" (id int PRIMARY KEY); INSERT INTO "Mixed Case" VALUES (1), (2);
    CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders SELECT generate_series(1, 10);
    CREATE VIEW big_orders AS SELECT * FROM orders WHERE id > 5`);
  snapshot = (await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: await mkdtemp(join(tmpdir(), 'rk-plan-lock-')) }), memoryLog())).path;
  // What the restore would undo: if it ever committed, these rows would be back.
  await db.query('DELETE FROM orders WHERE id > 4');
});

describe('a session holding a lock the restore\'s planning waits for', () => {
  it.each([
    ['a migration\'s ALTER TABLE left open', 'alter table "Mixed Case" add column stuck int', 'alter table \\"Mixed Case\\" add column stuck int'],
    ['LOCK TABLE … IN ACCESS EXCLUSIVE MODE', 'lock table orders in access exclusive mode', 'lock table orders in access exclusive mode'],
    ['a catalogue held (as VACUUM FULL pg_depend holds it)', 'lock table pg_catalog.pg_depend in access exclusive mode', 'lock table pg_catalog\\.pg_depend in access exclusive mode'],
  ])('%s: is named (pid, user, state, last query) with how to end it; nothing changed', async (_what, sql, query) => {
    const holder = new pg.Client({ connectionString: db.url });
    holder.on('error', () => undefined);
    await holder.connect();
    const pid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    await holder.query('BEGIN');
    await holder.query(sql);
    const preRestoreDir = await mkdtemp(join(tmpdir(), 'rk-plan-lock-pre-'));
    try {
      const err = await restoreSnapshot(await restoreRequest(db.url, snapshot, { lockTimeoutSeconds: 2, preRestoreDir }), memoryLog()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RollbackKitError);
      const line = (err as RollbackKitError).line;
      expect(line).toMatch(
        new RegExp(
          `^Planning the restore into 127\\.0\\.0\\.1:5432/${db.name} stopped: a lock was not granted within lock-timeout-seconds \\(2 s\\), held by session pid ${pid} \\(user postgres, idle in transaction for \\d+ s, last query "${query}"\\)\\. Nothing was changed\\. Once that session has finished or been ended \\(SELECT pg_terminate_backend\\(${pid}\\) ends it\\), run again`,
        ),
      );
      expect(line).not.toContain('not seen in pg_stat_activity');
      expect(errorFacts(err)).toEqual({ changed: 'no' });
      expect(await readdir(preRestoreDir)).toEqual([]);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    expect((await db.query('SELECT count(*)::int AS n FROM orders')).rows[0]).toEqual({ n: 4 });
    expect((await db.query("SELECT count(*)::int AS n FROM information_schema.columns WHERE column_name = 'stuck'")).rows[0]).toEqual({ n: 0 });
  });
});
