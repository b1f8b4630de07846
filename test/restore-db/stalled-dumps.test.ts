// The pg_dumps restore-db runs while its transaction holds the tables' EXCLUSIVE locks (the
// pre-restore snapshot, the kept views' definitions) are bounded: one that stalls is ended past its
// bound, the restore rolls back and its locks go with it, instead of writers waiting forever.
// A pg_dump that never finishes stands in for one whose connection stalled.
import { symlinkSync } from 'node:fs';
import { chmod, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { findPgTool } from '../../src/db/pg-tools.js';
import { restoreSnapshot } from '../../src/db/restore.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { restoreRequest } from './request.js';

let db: TestDatabase;
let snapshot: string;
let tools: { searchPath: string; versionedRoot: string };

beforeAll(async () => {
  db = await createTestDatabase('rk_restore_stalled_dump');
  await db.query('CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders SELECT generate_series(1, 10)');
  snapshot = (await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: await mkdtemp(join(tmpdir(), 'rk-stalled-dump-')) }), memoryLog())).path;
  await db.query('DELETE FROM orders WHERE id > 5');
  // The real psql and pg_restore; a pg_dump that answers --version and then never finishes.
  const dir = await mkdtemp(join(tmpdir(), 'rk-stalled-dump-tools-'));
  for (const name of ['psql', 'pg_restore'] as const) symlinkSync((await findPgTool(name, 0, { searchPath: process.env.PATH })).path, join(dir, name));
  const real = (await findPgTool('pg_dump', 0, { searchPath: process.env.PATH })).path;
  await writeFile(join(dir, 'pg_dump'), `#!/bin/sh\n[ "$1" = --version ] && exec "${real}" --version\nexec sleep 600\n`);
  await chmod(join(dir, 'pg_dump'), 0o755);
  tools = { searchPath: dir, versionedRoot: join(dir, 'none') };
});

/** Nothing was changed, and the restore's locks are gone: a writer gets in at once. */
async function unchangedAndUnlocked(): Promise<void> {
  expect((await db.query('SELECT count(*)::int AS n FROM orders')).rows[0]!.n).toBe(5);
  await db.query("SET lock_timeout = '5s'; INSERT INTO orders VALUES (100); DELETE FROM orders WHERE id = 100");
}

it('a pre-restore snapshot that does not finish within its bound stops the restore: nothing changed, the locks released', async () => {
  const preRestoreDir = await mkdtemp(join(tmpdir(), 'rk-stalled-dump-pre-'));
  const attempt = restoreSnapshot(await restoreRequest(db.url, snapshot, { tools, preRestoreDir, bounds: { preRestoreSnapshotMs: 3000 } }), memoryLog());
  const err = await attempt.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(RollbackKitError);
  expect((err as Error).message).toMatch(/^The pre-restore snapshot of 127\.0\.0\.1:\d+\/rk_restore_stalled_dump_\w+ did not finish within 3 s while the restore's transaction held its tables .*nothing was changed\.$/);
  expect((err as RollbackKitError).changed).toBe('no');
  expect(await readdir(preRestoreDir)).toEqual([]);
  await unchangedAndUnlocked();
});

it("the kept views' pg_dump that does not finish within its bound stops the restore: nothing changed, the locks released", async () => {
  await db.query('CREATE VIEW recent AS SELECT id FROM orders');
  try {
    const attempt = restoreSnapshot(await restoreRequest(db.url, snapshot, { tools, preRestoreSnapshot: false, lockTimeoutSeconds: 1, bounds: { keptViewsDumpMs: 500 } }), memoryLog());
    const err = await attempt.then(() => undefined, (e: unknown) => e);
    expect((err as Error).message).toBe("Could not save the definitions of the views restore-db keeps: pg_dump did not finish within 1.5 s (a connection that stalled?), so it was ended.");
    expect((err as RollbackKitError).changed).toBe('no');
    await unchangedAndUnlocked();
  } finally {
    await db.query('DROP VIEW recent');
  }
});
