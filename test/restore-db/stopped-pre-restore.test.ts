// restore-db stopped while it takes its pre-restore snapshot: the folder it made for that snapshot
// (pre-restore-dir, with its parents and .gitignore) was left behind in the snapshot directory,
// where a later run or a user could take what is in it for a snapshot. It is now recorded as made
// by this step (core/made.ts, as snapshot-db records its output folder) and removed after a stop,
// with the half-written dump, unless the pre-restore snapshot completed: that one is the way back,
// and is kept. The real action, spawned from its source and stopped by signals, on the real server.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { manifestPathFor } from '../../src/db/manifest.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { createTestDatabase, holdTableLock, waitForLockWaiter, type TestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';

let db: TestDatabase;
let snapshot: string;
let ws: string;

/** What the database holds: its rows and the table made since the snapshot. */
async function state(): Promise<unknown> {
  return (await db.query('SELECT (SELECT count(*)::int FROM public.t) AS t, (SELECT count(*)::int FROM public.late) AS late')).rows[0];
}

beforeAll(async () => {
  db = await createTestDatabase('rk_stopped_pre');
  ws = await mkdtemp(join(tmpdir(), 'rk-stopped-pre-'));
  await db.query('CREATE TABLE public.t (id int PRIMARY KEY, note text); INSERT INTO public.t SELECT g, g::text FROM generate_series(1, 500) g');
  snapshot = (await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: join(ws, 'taken') }), memoryLog())).path;
  // Since the snapshot: rows gone, and a table and a sequence it does not have (the restore leaves
  // them as they are and does not lock them; the pre-restore snapshot dumps them).
  await db.query('DELETE FROM public.t WHERE id > 400; CREATE TABLE public.late (id int); INSERT INTO public.late VALUES (1); CREATE SEQUENCE public.late_seq');
});

afterAll(async () => {
  await db?.drop();
  if (ws) await rm(ws, { recursive: true, force: true });
});

/**
 * A DROP of the sequence the snapshot does not have, left open: only pg_dump waits for it (reading
 * the sequence's value, in the middle of the pre-restore dump), not the restore's planning or locks.
 */
async function holdSequence(): Promise<{ release: () => Promise<void> }> {
  const client = new pg.Client({ connectionString: db.url });
  client.on('error', () => undefined);
  await client.connect();
  await client.query('BEGIN; DROP SEQUENCE public.late_seq');
  return {
    release: async () => {
      await client.query('ROLLBACK');
      await client.end();
    },
  };
}

/** Runs restore-db with its pre-restore snapshot into `preDir`, `hold` held, and sends `signals` once a session named `waiter` waits behind it. */
async function stoppedRestore(preDir: string, hold: () => Promise<{ release: () => Promise<void> }>, waiter: string, signals: NodeJS.Signals[]) {
  const held = await hold();
  try {
    return await runAction(
      'restore-db',
      { 'database-url': db.url, 'snapshot-path': snapshot, confirm: db.name, 'pre-restore-dir': preDir, 'lock-timeout-seconds': '60', 'upload-artifact': 'false' },
      {
        source: true,
        whileRunning: async (child) => {
          await waitForLockWaiter({ database: db.name, applicationName: waiter });
          for (const s of signals) child.kill(s);
        },
      },
    );
  } finally {
    await held.release();
  }
}

it.each([
  ['SIGTERM', ['SIGTERM']],
  // The runner's cancel: SIGINT, then SIGTERM. The second ends the wait for the work at once: the
  // step exits without the snapshot's own removal of its half-written dump, which the record takes.
  ['SIGINT then SIGTERM', ['SIGINT', 'SIGTERM']],
] as const)('stopped by %s during the pre-restore snapshot: the folder it made is gone, the database unchanged', async (_how, signals) => {
  const before = await state();
  const root = await mkdtemp(join(ws, 'run-'));
  const preDir = join(root, 'snapshots', 'pre');
  // pg_dump of the pre-restore snapshot waits for the sequence, its file half-written.
  const run = await stoppedRestore(preDir, holdSequence, 'rollback-kit-snapshot-%', [...signals]);
  expect(run.code, `${run.stdout}${run.stderr}`).toBe(1);
  expect(run.errors).toHaveLength(1);
  expect(run.errors[0]).toMatch(/^restore-db was stopped by SIG(INT|TERM)/);
  expect(run.outputs['pre-restore-snapshot-path'] ?? '').toBe('');
  // Neither the folder nor its parents it made, nor anything a later run could take for a snapshot.
  expect(await readdir(root)).toEqual([]);
  expect(await state()).toEqual(before);
});

it('stopped after its pre-restore snapshot completed: that snapshot and its folder are kept, the database unchanged', async () => {
  const before = await state();
  const root = await mkdtemp(join(ws, 'run-'));
  const preDir = join(root, 'snapshots', 'pre');
  // An idle transaction that has read t: the restore's DROP waits for it, after the pre-restore snapshot.
  const run = await stoppedRestore(preDir, () => holdTableLock(db, 'public.t'), 'rollback-kit-restore-%', ['SIGTERM']);
  expect(run.code, `${run.stdout}${run.stderr}`).toBe(1);
  expect(run.errors[0]).toMatch(/^restore-db was stopped by SIGTERM: .* The state before is also kept in /);
  const pre = run.outputs['pre-restore-snapshot-path']!;
  expect(pre.startsWith(`${preDir}/`)).toBe(true);
  expect(existsSync(pre) && existsSync(manifestPathFor(pre))).toBe(true);
  expect((await readdir(preDir)).sort()).toEqual(['.gitignore', basename(pre), basename(manifestPathFor(pre))].sort());
  expect(await state()).toEqual(before);
});
