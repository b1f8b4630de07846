// A connection that stops forwarding without closing (a proxy or NAT box that drops the flow), under
// the snapshot's own session and under its lock watcher: the snapshot fails once the query's deadline
// has passed, keeping nothing, and the watcher's stop() returns, instead of either waiting forever.
import { readdir } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { cancelQuery, sessionTag, watchBlockers } from '../../src/db/lock-wait.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { createTestDatabase } from '../helpers/pg.js';
import { stallingProxy } from '../helpers/stalling-proxy.js';
import { tempDir } from '../helpers/temp-dir.js';

it('the snapshot session stalls while it locks the tables: the snapshot fails past its deadline, nothing kept', async () => {
  const db = await createTestDatabase('rk_snapshot_stall');
  await db.query('CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders VALUES (1)');
  // The session's LOCK TABLE reaches the server; its answer never comes back.
  const proxy = await stallingProxy(db, { clientSends: 'IN ACCESS SHARE MODE' });
  const outputDir = await tempDir('rk-snapshot-stall-');
  try {
    const attempt = takeSnapshot(
      { ...wholeDatabaseSnapshot(parseConnectionString(proxy.url), { outputDir }), queryDeadline: { statementMs: 2000, marginMs: 500 } },
      memoryLog(),
    );
    await expect(attempt).rejects.toThrow(/^Snapshot of 127\.0\.0\.1:\d+\/rk_snapshot_stall_\w+ stopped: a query of its own session got no answer within 2\.5 s .*so the connection was closed\.$/);
    expect(proxy.stalled()).toBe(true);
  } finally {
    proxy.close();
  }
  expect(await readdir(outputDir)).toEqual([]);
});

it('the snapshot session stalls while it exports rows (a COPY, a stream): the snapshot fails past its deadline, nothing kept', async () => {
  const db = await createTestDatabase('rk_export_stall');
  await db.query("CREATE TABLE orders (id int PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now()); INSERT INTO orders VALUES (1)");
  const proxy = await stallingProxy(db, { clientSends: 'COPY (SELECT' });
  const outputDir = await tempDir('rk-export-stall-');
  try {
    const attempt = takeSnapshot(
      {
        ...wholeDatabaseSnapshot(parseConnectionString(proxy.url), { outputDir }),
        exportSince: new Date('2020-01-01T00:00:00Z'),
        exportTables: ['public.orders'],
        exportColumn: 'created_at',
        queryDeadline: { statementMs: 2000, marginMs: 500 },
      },
      memoryLog(),
    );
    await expect(attempt).rejects.toThrow(/^Snapshot of 127\.0\.0\.1:\d+\/rk_export_stall_\w+ stopped: a query of its own session got no answer within 2\.5 s .*so the connection was closed\.$/);
    expect(proxy.stalled()).toBe(true);
  } finally {
    proxy.close();
  }
  expect(await readdir(outputDir)).toEqual([]);
});

it("the lock watcher's connection stalls while it polls: stop() returns all the same", async () => {
  const db = await createTestDatabase('rk_watch_stall');
  // Only the watcher's poll names pg_blocking_pids(w.pid).
  const proxy = await stallingProxy(db, { clientSends: 'pg_blocking_pids(w.pid)' });
  try {
    const watch = await watchBlockers(parseConnectionString(proxy.url), sessionTag('test'), memoryLog());
    expect(watch.watching).toBe(true);
    while (!proxy.stalled()) await new Promise((r) => setTimeout(r, 20));
    expect(await watch.stop()).toEqual([]);
  } finally {
    proxy.close();
  }
});

it('a cancel (a stop of the snapshot) whose connection stalls ends past its deadline', async () => {
  const db = await createTestDatabase('rk_cancel_stall');
  const proxy = await stallingProxy(db, { clientSends: 'pg_cancel_backend' });
  try {
    await cancelQuery(parseConnectionString(proxy.url), 1, memoryLog(), { queryDeadline: { statementMs: 500, marginMs: 500 } });
    expect(proxy.stalled()).toBe(true);
  } finally {
    proxy.close();
  }
});

/**
 * pg_dump's own connection stalls mid-dump (its COPY sent, no answer forwarded) and the server ends
 * its backend, as when the upstream of a pooler or cloud SQL proxy dies while the proxy keeps the
 * client's socket open and answers its keepalives: pg_dump would wait forever. The watcher sees its
 * backend gone while pg_dump still runs, ends pg_dump, and the snapshot fails saying so.
 */
it("pg_dump's connection stalls and its backend is gone: pg_dump is ended, the snapshot fails saying what stalled, nothing kept, the database untouched", async () => {
  const db = await createTestDatabase('rk_dump_stall');
  await db.query('CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders SELECT generate_series(1, 100)');
  // Only pg_dump's COPY says TO stdout: the snapshot's session and the watcher go on through the proxy.
  const proxy = await stallingProxy(db, { clientSends: 'TO stdout' });
  const outputDir = await tempDir('rk-dump-stall-');
  const log = memoryLog();
  try {
    const attempt = takeSnapshot({ ...wholeDatabaseSnapshot(parseConnectionString(proxy.url), { outputDir }), stallAfterMs: 1500 }, log);
    attempt.catch(() => undefined);
    while (!proxy.stalled()) await new Promise((r) => setTimeout(r, 20));
    // The watcher polls every 200 ms: it has seen pg_dump's backend before the server ends it.
    await new Promise((r) => setTimeout(r, 1000));
    const ended = await db.query<{ ok: boolean }>('SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE client_port = ANY($1::int[])', [proxy.stalledPorts()]);
    expect(ended.rows.map((r) => r.ok)).toEqual([true]);
    // Before: pg_dump waited on its socket for ever (keepalives answered, nothing unacknowledged).
    await expect(attempt).rejects.toThrow(/^Snapshot of 127\.0\.0\.1:\d+\/rk_dump_stall_\w+ stopped: pg_dump's connection stalled\. Its session had been gone from the server for \d+ s \(seen from a separate connection\) while pg_dump still waited on it and wrote nothing more, so pg_dump was ended\. No snapshot was made: what it had written was removed, and the database was only read, never changed\.$/);
  } finally {
    proxy.close();
  }
  expect(await readdir(outputDir)).toEqual([]);
  expect((await db.query<{ n: string }>('SELECT count(*) AS n FROM orders')).rows[0]!.n).toBe('100');
});

it('a snapshot that waits (for a table lock) longer than the stall time is not a stall: it completes', async () => {
  const db = await createTestDatabase('rk_dump_waits');
  await db.query('CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders VALUES (1)');
  const outputDir = await tempDir('rk-dump-waits-');
  // The snapshot's tables are locked before pg_dump starts: the wait is the session's, watched all the while.
  const pg = (await import('pg')).default;
  const holder = new pg.Client({ connectionString: db.url });
  await holder.connect();
  try {
    await holder.query('BEGIN; LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
    const attempt = takeSnapshot({ ...wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir }), stallAfterMs: 500, lockTimeoutSeconds: 3 }, memoryLog());
    attempt.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1500));
    await holder.query('COMMIT');
    const snap = await attempt;
    expect(snap.manifest.tables).toEqual([expect.objectContaining({ rows: 1 })]);
  } finally {
    await holder.end();
  }
});

/**
 * The same with a parallel pg_dump (directory format, jobs 2), for one of its workers: its upstream
 * goes away as it sends its first query (its backend ends at once) while its socket stays open, and
 * the leader and the other worker go on. The other worker dumps every table, then pg_dump waits for
 * the stalled one for ever. That worker's backend lives a few milliseconds, so the watcher (a look
 * every 200 ms) never sees it, nor all three of pg_dump's backends at once: before, a count of them
 * that never fell below the most seen at once was no stall, and pg_dump waited for ever.
 */
it("a parallel pg_dump's worker whose upstream went away at once: pg_dump is ended, the snapshot fails saying so, nothing kept", async () => {
  const db = await createTestDatabase('rk_worker_stall');
  for (const t of ['a', 'b', 'c', 'd']) await db.query(`CREATE TABLE ${t} (id int PRIMARY KEY); INSERT INTO ${t} SELECT generate_series(1, 1000)`);
  // pg_dump's own first query, on each of its connections: the leader's goes on, the first worker's stalls.
  const proxy = await stallingProxy(db, { clientSends: "set_config('search_path'", skip: 1, limit: 1, endServer: true });
  const outputDir = await tempDir('rk-worker-stall-');
  try {
    const attempt = takeSnapshot({ ...wholeDatabaseSnapshot(parseConnectionString(proxy.url), { outputDir }), format: 'directory', jobs: 2, stallAfterMs: 1500 }, memoryLog());
    await expect(attempt).rejects.toThrow(/^Snapshot of 127\.0\.0\.1:\d+\/rk_worker_stall_\w+ stopped: pg_dump's connection stalled\. .*No snapshot was made: what it had written was removed, and the database was only read, never changed\.$/);
    expect(proxy.stalls).toBe(1);
  } finally {
    proxy.close();
  }
  expect(await readdir(outputDir)).toEqual([]);
});

/**
 * pg_dump's connection stalls at its very first query and its backend ends at once: a backend that
 * lived a few milliseconds, before any look of the watcher could see it. Before, a backend never
 * seen started no stall clock, and pg_dump waited on its socket for ever. Now the watcher has looked
 * before pg_dump starts (seeing the snapshot's own session under the same name, and its own under
 * the name it sent), so pg_dump's session is due once its connect timeout has passed: never seen
 * then is gone.
 */
it("pg_dump's backend ends before the watcher's first look at it: pg_dump is ended all the same, the snapshot fails saying so", async () => {
  const db = await createTestDatabase('rk_dump_stall_start');
  await db.query('CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders SELECT generate_series(1, 100)');
  // pg_dump's own first query: only pg_dump sends it.
  const proxy = await stallingProxy(db, { clientSends: "set_config('search_path'", limit: 1, endServer: true });
  const outputDir = await tempDir('rk-dump-stall-start-');
  // A short connect timeout: pg_dump's session is due once it has passed.
  const url = new URL(proxy.url);
  url.searchParams.set('connect_timeout', '1');
  try {
    const attempt = takeSnapshot({ ...wholeDatabaseSnapshot(parseConnectionString(url.toString()), { outputDir }), stallAfterMs: 1500 }, memoryLog());
    await expect(attempt).rejects.toThrow(/^Snapshot of 127\.0\.0\.1:\d+\/rk_dump_stall_start_\w+ stopped: pg_dump's connection stalled\. .*No snapshot was made: what it had written was removed, and the database was only read, never changed\.$/);
    expect(proxy.stalls).toBe(1);
  } finally {
    proxy.close();
  }
  expect(await readdir(outputDir)).toEqual([]);
});
