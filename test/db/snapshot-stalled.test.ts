// A connection that stops forwarding without closing (a proxy or NAT box that drops the flow), under
// the snapshot's own session and under its lock watcher: the snapshot fails once the query's deadline
// has passed, keeping nothing, and the watcher's stop() returns, instead of either waiting forever.
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { cancelQuery, sessionTag, watchBlockers } from '../../src/db/lock-wait.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { createTestDatabase } from '../helpers/pg.js';
import { stallingProxy } from '../helpers/stalling-proxy.js';

it('the snapshot session stalls while it locks the tables: the snapshot fails past its deadline, nothing kept', async () => {
  const db = await createTestDatabase('rk_snapshot_stall');
  await db.query('CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders VALUES (1)');
  // The session's LOCK TABLE reaches the server; its answer never comes back.
  const proxy = await stallingProxy(db, { clientSends: 'IN ACCESS SHARE MODE' });
  const outputDir = await mkdtemp(join(tmpdir(), 'rk-snapshot-stall-'));
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
  const outputDir = await mkdtemp(join(tmpdir(), 'rk-export-stall-'));
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
