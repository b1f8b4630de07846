// restore-db against a live writer: an app committing a row every few milliseconds while the restore
// takes its pre-restore snapshot and restores. Every row the writer committed must be somewhere
// afterwards: in the pre-restore snapshot (committed before the restore's transaction locked the
// table) or in the restored database (committed after the restore, once its lock was released).
// Before the fix, rows committed after the pre-restore dump and before the restore's lock were in
// neither, and the step still said "verified".
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import pg from 'pg';
import { expect, it } from 'vitest';
import type { RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { restoreSnapshot } from '../../src/db/restore.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { tempDir } from '../helpers/temp-dir.js';

/** An app's writer: commits one row after another (autocommit) until stopped; `committed` holds each id whose INSERT returned. */
function startWriter(db: TestDatabase, firstId: number) {
  const committed: number[] = [];
  const failed: string[] = [];
  let running = true;
  const client = new pg.Client({ connectionString: db.url, application_name: 'test-writer' });
  const done = (async () => {
    await client.connect();
    for (let id = firstId; running; id++) {
      try {
        await client.query('INSERT INTO public.orders (id, note) VALUES ($1, $2)', [id, 'written during the restore']);
        committed.push(id);
      } catch (err) {
        failed.push((err as Error).message);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await client.end();
  })();
  return {
    committed,
    failed,
    async stop() {
      running = false;
      await done;
    },
  };
}

/** The ids of public.orders in a custom-format snapshot, read by pg_restore. */
function idsInSnapshot(path: string): Set<number> {
  const script = execFileSync('pg_restore', ['--data-only', '--table=orders', '--file=-', path], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const lines = script.split('\n');
  const at = lines.findIndex((l) => l.startsWith('COPY public.orders '));
  const ids = new Set<number>();
  for (const line of lines.slice(at + 1)) {
    if (line === '\\.') break;
    ids.add(Number(line.split('\t')[0]));
  }
  return ids;
}

it('no row a writer commits during the restore is lost: each is in the pre-restore snapshot or the restored database', async () => {
  const db = await createTestDatabase('rk_restore_writers');
  await db.query(`CREATE TABLE public.orders (id int NOT NULL, note text);
    INSERT INTO public.orders SELECT g, repeat('x', 200) FROM generate_series(1, 20000) g;
    CREATE TABLE public.customers (id int PRIMARY KEY); INSERT INTO public.customers SELECT generate_series(1, 100);`);
  const log = memoryLog();
  const target = parseConnectionString(db.url, log);
  const snapshot = await takeSnapshot(wholeDatabaseSnapshot(target, { outputDir: await tempDir('rk-writers-'), label: 'before-deploy' }), log);
  // The bad deploy's rows, which the restore discards (and the pre-restore snapshot keeps).
  await db.query("INSERT INTO public.orders SELECT g, 'after the snapshot' FROM generate_series(20001, 20500) g");

  const writer = startWriter(db, 100_000);
  // A second writer's row, committed the moment the pre-restore snapshot exists: where the old code
  // had no lock yet, so it committed and was lost; now it waits behind the restore's lock (and
  // gives up after its own lock_timeout, not committed).
  const probe = { committed: false, error: '' };
  const pre = await restoreSnapshot(
    {
      target,
      snapshotPath: snapshot.path,
      confirm: db.name,
      preRestoreSnapshot: true,
      jobs: 1,
      clean: true,
      preRestoreDir: await tempDir('rk-writers-pre-'),
      preRestoreDirInput: 'pre-restore-dir',
      lockTimeoutSeconds: 30,
      onPreRestoreSnapshot: async () => {
        const c = new pg.Client({ connectionString: db.url });
        await c.connect();
        try {
          await c.query("SET lock_timeout = '300ms'");
          await c.query("INSERT INTO public.orders (id, note) VALUES (99999, 'right after the pre-restore snapshot')");
          probe.committed = true;
        } catch (err) {
          probe.error = (err as Error).message;
        } finally {
          await c.end();
        }
      },
    },
    log,
  );
  // A few more rows after the restore committed.
  const after = writer.committed.length;
  while (writer.committed.length < after + 3) await new Promise((r) => setTimeout(r, 5));
  await writer.stop();

  expect(pre.verified).toBe(true);
  expect(writer.failed).toEqual([]);
  const committed = [...writer.committed, ...(probe.committed ? [99999] : [])];
  expect(committed.length).toBeGreaterThan(3);
  const kept = idsInSnapshot(pre.preRestoreSnapshotPath!);
  const restored = new Set((await db.query<{ id: number }>('SELECT id FROM public.orders')).rows.map((r) => r.id));
  const lost = committed.filter((id) => !kept.has(id) && !restored.has(id));
  expect(lost).toEqual([]);
  // The restore held the table against writes from before the pre-restore snapshot to its commit.
  expect(probe).toEqual({ committed: false, error: 'canceling statement due to lock timeout' });
  // What the restore discarded is named, and where it is.
  expect(pre.fewerRows).toEqual([{ table: 'public.orders', before: kept.size, restored: 20000 }]);
  expect(log.lines.join('\n')).toContain(`public.orders holds ${kept.size - 20000} row(s) fewer than before the restore`);
});

it('a writer that holds its transaction open stops the restore at lock-timeout-seconds, before the pre-restore snapshot, naming it; nothing changed', async () => {
  const db = await createTestDatabase('rk_restore_writers_held');
  await db.query('CREATE TABLE public.orders (id int NOT NULL, note text); INSERT INTO public.orders SELECT g, g::text FROM generate_series(1, 100) g');
  const log = memoryLog();
  const target = parseConnectionString(db.url, log);
  const snapshot = await takeSnapshot(wholeDatabaseSnapshot(target, { outputDir: await tempDir('rk-writers-'), label: 'before-deploy' }), log);
  await db.query('DELETE FROM public.orders WHERE id > 50');
  // A writer mid-transaction: its row lock mode (ROW EXCLUSIVE) conflicts with the restore's EXCLUSIVE.
  const writer = new pg.Client({ connectionString: db.url });
  await writer.connect();
  const pid = (await writer.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  await writer.query("BEGIN; INSERT INTO public.orders VALUES (1000, 'uncommitted')");
  const preRestoreDir = await tempDir('rk-writers-pre-');
  try {
    const err = await restoreSnapshot(
      { target, snapshotPath: snapshot.path, confirm: db.name, preRestoreSnapshot: true, jobs: 1, clean: true, preRestoreDir, preRestoreDirInput: 'pre-restore-dir', lockTimeoutSeconds: 1 },
      log,
    ).then(() => undefined, (e: RollbackKitError) => e);
    expect(err?.line).toMatch(new RegExp(`^Restore into 127\\.0\\.0\\.1:5432/rk_restore_writers_held_[0-9a-f]+ stopped: a lock was not granted within lock-timeout-seconds \\(1 s\\), held by session pid ${pid} \\(user postgres, idle in transaction.*\\)\\. Nothing was changed\\.`));
  } finally {
    await writer.query('ROLLBACK');
    await writer.end();
  }
  expect(readdirSync(preRestoreDir)).toEqual([]);
  expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM public.orders')).rows[0]!.n).toBe(50);
});
