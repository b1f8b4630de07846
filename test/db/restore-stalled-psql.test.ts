// restore-db's psql whose connection stalls mid-restore with its server session gone (a pooler or
// cloud SQL proxy whose upstream died keeps the socket open and answers keepalives): psql would wait
// for ever. The lock watcher sees psql's session gone while psql still runs, ends psql, and the
// restore fails saying what stalled and that the database is as it was.
import { readdir } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { restoreSnapshot } from '../../src/db/restore.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { createTestDatabase } from '../helpers/pg.js';
import { stallingProxy } from '../helpers/stalling-proxy.js';
import { restoreRequest } from '../restore-db/request.js';
import { tempDir } from '../helpers/temp-dir.js';

it("psql's connection stalls mid-restore and its session is gone: psql is ended, the restore fails saying so, the database as it was", async () => {
  const db = await createTestDatabase('rk_psql_stall');
  await db.query('CREATE TABLE public.t (id int PRIMARY KEY, note text); INSERT INTO public.t SELECT g, g::text FROM generate_series(1, 500) g');
  const snap = await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: await tempDir('rk-psql-stall-') }), memoryLog());
  await db.query('DELETE FROM public.t WHERE id > 400');
  // Only psql's COPY of the restored rows says FROM stdin: the watcher and the pre-restore snapshot go on.
  const proxy = await stallingProxy(db, { clientSends: 'FROM stdin' });
  try {
    const attempt = restoreSnapshot(await restoreRequest(proxy.url, snap.path, { stallAfterMs: 1500 }), memoryLog());
    attempt.catch(() => undefined);
    while (!proxy.stalled()) await new Promise((r) => setTimeout(r, 20));
    const ended = await db.query<{ ok: boolean }>('SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE client_port = ANY($1::int[])', [proxy.stalledPorts()]);
    expect(ended.rows.map((r) => r.ok)).toEqual([true]);
    // Before: psql waited on its socket for ever, and the step with it.
    await expect(attempt).rejects.toThrow(
      /^Restore into 127\.0\.0\.1:\d+\/rk_psql_stall_\w+ stopped: psql's connection stalled: its session had been gone from the server for \d+ s \(seen from a separate connection\) while psql still waited on it, so psql was ended\. Its transaction ended with its session, before any COMMIT was sent, so nothing of the restore was applied: the database is as it was before\.$/,
    );
    const err = (await attempt.catch((e: unknown) => e)) as { hint?: string; facts?: unknown };
    expect(err.hint).toMatch(/^Something between this runner and the server kept the connection open .* and run again\. The state before is also kept in .+-pre-restore-\d{8}T\d{9}Z\.dump\.$/);
  } finally {
    proxy.close();
  }
  expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM public.t')).rows[0]!.n).toBe(400);
});

/**
 * psql's connection stalls as soon as its session is open, and its backend ends at once: gone before
 * psql could say its pid, and before the watcher (which connects once the restore is planned) first
 * looked. Before, a backend never seen started no stall clock and psql's own was told only by that
 * pid, so psql waited for the answer to its first query for ever and the restore with it.
 */
it("psql's session is gone before the watcher's first look, before psql could say its pid: psql is ended, the restore fails saying so, nothing changed", async () => {
  const db = await createTestDatabase('rk_psql_stall_start');
  await db.query('CREATE TABLE public.t (id int PRIMARY KEY, note text); INSERT INTO public.t SELECT g, g::text FROM generate_series(1, 500) g');
  const snap = await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: await tempDir('rk-psql-stall-') }), memoryLog());
  await db.query('DELETE FROM public.t WHERE id > 400');
  // psql connects first of the restore's sessions named rollback-kit-restore-… (its startup says so).
  const proxy = await stallingProxy(db, { clientSends: 'rollback-kit-restore-', limit: 1, atReady: true, endServer: true });
  // A short connect timeout: psql's session is due once it has passed.
  const url = new URL(proxy.url);
  url.searchParams.set('connect_timeout', '1');
  try {
    await expect(restoreSnapshot(await restoreRequest(url.toString(), snap.path, { stallAfterMs: 1500 }), memoryLog())).rejects.toThrow(
      /^Restore into 127\.0\.0\.1:\d+\/rk_psql_stall_start_\w+ stopped: psql's connection stalled: its session had been gone from the server for \d+ s \(seen from a separate connection\) while psql still waited on it, so psql was ended\. .*nothing of the restore was applied: the database is as it was before\.$/,
    );
    expect(proxy.stalls).toBe(1);
  } finally {
    proxy.close();
  }
  expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM public.t')).rows[0]!.n).toBe(400);
});

it("psql's connection stalls once its COMMIT has reached the server: the server's record of the transaction says it committed, and the restore is done", async () => {
  const db = await createTestDatabase('rk_psql_stall_commit');
  await db.query('CREATE TABLE public.t (id int PRIMARY KEY, note text); INSERT INTO public.t SELECT g, g::text FROM generate_series(1, 500) g');
  const snap = await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: await tempDir('rk-psql-stall-') }), memoryLog());
  await db.query('DELETE FROM public.t WHERE id > 400');
  // psql's connection (the one that asked its pid) stalls as its COMMIT goes to the server: the
  // COMMIT runs there, and its answer never comes back.
  const proxy = await stallingProxy(db, { clientSends: 'COMMIT', after: 'rk_psql_pid' });
  const log = memoryLog();
  try {
    const attempt = restoreSnapshot(await restoreRequest(proxy.url, snap.path, { stallAfterMs: 1500 }), log);
    attempt.catch(() => undefined);
    while (!proxy.stalled()) await new Promise((r) => setTimeout(r, 20));
    await db.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE client_port = ANY($1::int[])', [proxy.stalledPorts()]);
    // Before: psql waited for the COMMIT's answer for ever.
    await attempt;
  } finally {
    proxy.close();
  }
  expect(log.lines.join('\n')).toMatch(/psql's connection stalled after the COMMIT .* the server records the restore's transaction as committed: the restore is done\./);
  expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM public.t')).rows[0]!.n).toBe(500);
});

/**
 * The pre-restore snapshot's pg_dump, whose upstream goes away at its first COPY while its socket
 * stays open: before, it ran under the restore's session name, which the stall watch could not tell
 * from psql's, so pg_dump waited for ever (or for the two hours that bound the pre-restore
 * snapshot) while the restore's transaction held its tables. Now its sessions carry a name of their
 * own and it is watched as snapshot-db's is: the restore stops before its script is sent.
 */
it("the pre-restore snapshot's pg_dump stalls with its session gone: the restore stops before changing anything, saying so, and keeps no partial snapshot", async () => {
  const db = await createTestDatabase('rk_pre_stall');
  await db.query('CREATE TABLE public.t (id int PRIMARY KEY, note text); INSERT INTO public.t SELECT g, g::text FROM generate_series(1, 500) g');
  // Enough of a catalogue that pg_dump reads it for longer than the watcher takes to connect and look
  // once: a backend never seen starts no stall clock, and on a loaded machine a tiny database's
  // pg_dump could reach its first COPY (where the proxy stalls it) before that first look.
  await db.query("DO $$ BEGIN FOR i IN 1..300 LOOP EXECUTE format('CREATE TABLE public.pad_%s (id int PRIMARY KEY, note text)', i); END LOOP; END $$");
  const snap = await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: await tempDir('rk-pre-stall-') }), memoryLog());
  await db.query('DELETE FROM public.t WHERE id > 400');
  // Only pg_dump's COPY says TO stdout: psql, the planning session and the watchers go on.
  const proxy = await stallingProxy(db, { clientSends: 'TO stdout', endServer: true });
  const preRestoreDir = await tempDir('rk-pre-stall-dir-');
  const log = memoryLog();
  let err: unknown;
  try {
    err = await restoreSnapshot(await restoreRequest(proxy.url, snap.path, { preRestoreDir, stallAfterMs: 1500 }), log).then(
      () => undefined,
      (e: unknown) => e,
    );
  } finally {
    proxy.close();
  }
  expect(proxy.stalls).toBe(1);
  expect(err).toBeInstanceOf(RollbackKitError);
  expect((err as RollbackKitError).message).toMatch(
    /^Restore into 127\.0\.0\.1:\d+\/rk_pre_stall_\w+ stopped before it changed anything, in its pre-restore snapshot: pg_dump's connection stalled\. Its session had been gone from the server for \d+ s \(seen from a separate connection\) while pg_dump still waited on it and wrote nothing more, so pg_dump was ended, and what it had written was removed\. Nothing of the restore was applied: the database was not changed\.$/,
  );
  expect((err as RollbackKitError).hint).toMatch(/^Something between this runner and the server kept the connection open .* and run again\.$/);
  expect((err as RollbackKitError).changed).toBe('no');
  // Stopped before the restore's script was sent, and nothing of the snapshot left behind.
  expect(log.lines.join('\n')).not.toMatch(/Restoring .* into /);
  expect(await readdir(preRestoreDir)).toEqual([]);
  expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM public.t')).rows[0]!.n).toBe(400);
});

/**
 * The same, with the pre-restore snapshot's pg_dump stalled at its very first query, its backend
 * ended at once: too soon for any look of the watcher to see it. Before, a backend never seen
 * started no stall clock, and pg_dump waited for the two hours that bound the pre-restore snapshot
 * while the restore's transaction held its tables.
 */
it("the pre-restore snapshot's pg_dump's session ends before any look could see it: the restore stops all the same, before changing anything", async () => {
  const db = await createTestDatabase('rk_pre_stall_start');
  await db.query('CREATE TABLE public.t (id int PRIMARY KEY, note text); INSERT INTO public.t SELECT g, g::text FROM generate_series(1, 500) g');
  const snap = await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: await tempDir('rk-pre-stall-') }), memoryLog());
  await db.query('DELETE FROM public.t WHERE id > 400');
  // The planning session sets its search_path first; pg_dump's own first query is the next to.
  const proxy = await stallingProxy(db, { clientSends: "set_config('search_path'", skip: 1, limit: 1, endServer: true });
  // A short connect timeout: pg_dump's session is due once it has passed.
  const url = new URL(proxy.url);
  url.searchParams.set('connect_timeout', '1');
  const preRestoreDir = await tempDir('rk-pre-stall-dir-');
  try {
    await expect(restoreSnapshot(await restoreRequest(url.toString(), snap.path, { preRestoreDir, stallAfterMs: 1500 }), memoryLog())).rejects.toThrow(
      /^Restore into 127\.0\.0\.1:\d+\/rk_pre_stall_start_\w+ stopped before it changed anything, in its pre-restore snapshot: pg_dump's connection stalled\. .*Nothing of the restore was applied: the database was not changed\.$/,
    );
    expect(proxy.stalls).toBe(1);
  } finally {
    proxy.close();
  }
  expect(await readdir(preRestoreDir)).toEqual([]);
  expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM public.t')).rows[0]!.n).toBe(400);
});
