// A table change that arrives while snapshot-db holds its table locks and before pg_dump has its own:
// the ALTER TABLE waits for the snapshot's lock, pg_dump queues behind the ALTER, and every query
// on the table queues behind both. Through the library on real PostgreSQL, with a pg_dump that waits
// for the test's go-ahead so the ALTER arrives in that window.
import { existsSync } from 'node:fs';
import { chmod, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { findPgTool } from '../../src/db/pg-tools.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { createTestDatabase, holdTableLock, waitForLockWaiter, type TestDatabase } from '../helpers/pg.js';
import { tempDir } from '../helpers/temp-dir.js';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('rk_cycle');
  await db.query('CREATE TABLE public.orders (id int PRIMARY KEY); INSERT INTO public.orders SELECT generate_series(1, 100)');
});

/** Polls `check` until it holds, a bounded number of times. */
async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (await check()) return;
    await sleep(20);
  }
  throw new Error(`${what} did not happen`);
}

/** A pg_dump that answers --version at once and, for a dump, says it started and waits for `go`. */
async function waitingPgDump(dir: string): Promise<string> {
  const real = (await findPgTool('pg_dump', 0, { searchPath: process.env.PATH })).path;
  const path = join(dir, 'pg_dump');
  await writeFile(
    path,
    `#!/bin/sh
case "$1" in --version) exec "${real}" "$@";; esac
touch "${dir}/started"
i=0
while [ ! -e "${dir}/go" ] && [ $i -lt 6000 ]; do sleep 0.05; i=$((i+1)); done
exec "${real}" "$@"
`,
  );
  await chmod(path, 0o755);
  return path;
}

describe('an ALTER TABLE between the snapshot\'s locks and pg_dump\'s', () => {
  it('is let through at once: the snapshot stops, names the session, and keeps nothing', async () => {
    const tools = await tempDir('rk-cycle-tool-');
    const outputDir = await tempDir('rk-cycle-');
    const log = memoryLog();
    // A lock timeout far longer than the test would wait: only seeing the cycle ends it early.
    const attempt = takeSnapshot({ ...wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir, lockTimeoutSeconds: 90 }), pgDumpPath: await waitingPgDump(tools) }, log).then(
      () => undefined,
      (e: unknown) => e,
    );
    await until('pg_dump starting', () => existsSync(join(tools, 'started')));

    const migration = new pg.Client({ connectionString: db.url });
    await migration.connect();
    const pid = (await migration.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const altered = migration.query('ALTER TABLE public.orders ADD COLUMN note text');
    try {
      await waitForLockWaiter({ pid }, { unless: attempt });
      await writeFile(join(tools, 'go'), '');

      const err = await attempt;
      expect(err).toBeInstanceOf(RollbackKitError);
      const line = (err as RollbackKitError).line;
      expect(line).toMatch(new RegExp(`^Snapshot of 127\\.0\\.0\\.1:5432/${db.name} stopped: session pid ${pid} \\(user postgres, active for \\d+ s, last query "ALTER TABLE public\\.orders ADD COLUMN note text"\\) asked for a table this snapshot had locked, and the snapshot \\(pg_dump\\) then had to wait behind it`));
      expect(line).toContain('The snapshot let go at once, so that session went ahead. Nothing was kept. Run again once it has finished');
      // The ALTER went ahead, and the table is free.
      await altered;
      expect((await db.query('SELECT count(*)::int AS n, count(note)::int AS notes FROM public.orders')).rows[0]).toEqual({ n: 100, notes: 0 });
      expect(await readdir(outputDir)).toEqual([]);
    } finally {
      await altered.catch(() => undefined);
      await migration.end();
    }
  });
});

describe('a session that only holds a lock, waiting for nothing of ours', () => {
  it('is waited for up to lock-timeout-seconds and named, as before: no cycle', async () => {
    const held = await holdTableLock(db, 'public.orders', 'ACCESS EXCLUSIVE');
    try {
      const outputDir = await tempDir('rk-cycle-');
      const err = await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir, lockTimeoutSeconds: 1 }), memoryLog()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RollbackKitError);
      expect((err as RollbackKitError).line).toMatch(new RegExp(`stopped: a lock was not granted within lock-timeout-seconds \\(1 s\\), held by session pid ${held.pid} \\(user postgres, idle in transaction`));
    } finally {
      await held.release();
    }
  });
});
