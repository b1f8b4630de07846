// A session that asks for a table while restore-db's transaction holds it, and that restore-db's
// pre-restore snapshot then queues behind: each waits for the other, and every query on that table
// waits behind both. Through the library on real PostgreSQL, with a pg_dump that holds the
// pre-restore snapshot back (at its --version probe, before it locks its tables) until the test's
// ALTER TABLE is waiting.
import { existsSync, symlinkSync } from 'node:fs';
import { chmod, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { findPgTool } from '../../src/db/pg-tools.js';
import { restoreSnapshot, type RestoreRequest } from '../../src/db/restore.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { createTestDatabase, waitForLockWaiter, type TestDatabase } from '../helpers/pg.js';
import { restoreRequest } from './request.js';

let db: TestDatabase;
let snapshot: string;

beforeAll(async () => {
  db = await createTestDatabase('rk_restore_cycle');
  await db.query('CREATE TABLE public.orders (id int PRIMARY KEY); INSERT INTO public.orders SELECT generate_series(1, 100)');
  snapshot = (await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: await mkdtemp(join(tmpdir(), 'rk-restore-cycle-')) }), memoryLog())).path;
  // What the restore would undo: if it ever committed, these rows would be back.
  await db.query('DELETE FROM public.orders WHERE id > 60');
});

/** Polls `check` until it holds, a bounded number of times. */
async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (await check()) return;
    await sleep(20);
  }
  throw new Error(`${what} did not happen`);
}

/**
 * Tools for the restore: the real psql and pg_restore, and a pg_dump whose --version probe (the
 * pre-restore snapshot's first step, before it locks anything) says it started and waits for `go`.
 */
async function toolsWithWaitingPgDump(dir: string): Promise<RestoreRequest['tools']> {
  for (const name of ['psql', 'pg_restore'] as const) symlinkSync((await findPgTool(name, 0, { searchPath: process.env.PATH })).path, join(dir, name));
  const real = (await findPgTool('pg_dump', 0, { searchPath: process.env.PATH })).path;
  await writeFile(
    join(dir, 'pg_dump'),
    `#!/bin/sh
case "$1" in --version)
  touch "${dir}/started"
  i=0
  while [ ! -e "${dir}/go" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done;;
esac
exec "${real}" "$@"
`,
  );
  await chmod(join(dir, 'pg_dump'), 0o755);
  return { searchPath: dir, versionedRoot: join(dir, 'none') };
}

describe('an ALTER TABLE that waits for the restore\'s locks while the pre-restore snapshot waits for it', () => {
  it('is let through at once: the restore stops, names the session, and changes nothing', async () => {
    const tools = await mkdtemp(join(tmpdir(), 'rk-restore-cycle-tool-'));
    const preRestoreDir = await mkdtemp(join(tmpdir(), 'rk-restore-cycle-pre-'));
    const log = memoryLog();
    const request = await restoreRequest(db.url, snapshot, {
      preRestoreDir,
      // Far longer than the test waits: only seeing the cycle ends it early.
      lockTimeoutSeconds: 90,
      tools: await toolsWithWaitingPgDump(tools),
    });
    const attempt = restoreSnapshot(request, log).then(
      () => undefined,
      (e: unknown) => e,
    );
    await until('the pre-restore snapshot starting', () => existsSync(join(tools, 'started')));

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
      expect(line).toMatch(
        new RegExp(
          `^Restore into 127\\.0\\.0\\.1:5432/${db.name} stopped: session pid ${pid} \\(user postgres, active for \\d+ s, last query "ALTER TABLE public\\.orders ADD COLUMN note text"\\) asked for a table the restore's transaction had locked, and the restore then had to wait behind it`,
        ),
      );
      expect(line).toContain('The restore let go at once, so that session went ahead. Its transaction rolled back, so nothing was changed. Run again once it has finished');
      // The ALTER went ahead; the table is as it was, and no pre-restore snapshot was kept.
      await altered;
      expect((await db.query('SELECT count(*)::int AS n, max(id) AS top, count(note)::int AS notes FROM public.orders')).rows[0]).toEqual({ n: 60, top: 60, notes: 0 });
      expect(await readdir(preRestoreDir)).toEqual([]);
    } finally {
      await altered.catch(() => undefined);
      await migration.end();
    }
  });
});
