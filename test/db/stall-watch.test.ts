// The lock watcher's stall watch (lock-wait.ts StallWatch) on its own: a program's backend that is
// there, however long it runs or waits, is no stall; one gone while the program runs is; and a
// watcher that cannot see (its own connection stalled) concludes nothing.
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { sessionTag, watchBlockers, type StallWatch } from '../../src/db/lock-wait.js';
import { createTestDatabase } from '../helpers/pg.js';
import { stallingProxy } from '../helpers/stalling-proxy.js';

/** A session named `tag` standing for the program's backend, and its pid. */
async function programSession(url: string, tag: string): Promise<{ client: pg.Client; pid: number }> {
  const client = new pg.Client({ connectionString: url, application_name: tag });
  client.on('error', () => undefined);
  await client.connect();
  const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  return { client, pid };
}

function stallWatch(afterMs: number): StallWatch & { seen: number[] } {
  const seen: number[] = [];
  return { seen, backends: (pids) => pids, running: () => true, afterMs, onStall: (ms) => seen.push(ms) };
}

it('a backend that stays, busy or waiting, is no stall however long; once it is gone while the program runs, it is', async () => {
  const db = await createTestDatabase('rk_stall_watch');
  const tag = sessionTag('test');
  const program = await programSession(db.url, tag);
  const stall = stallWatch(500);
  const watch = await watchBlockers(parseConnectionString(db.url), tag, memoryLog(), { stall });
  try {
    // A long statement (a long COPY, a lock wait): four times the stall time.
    await program.client.query('SELECT pg_sleep(2)');
    expect(stall.seen).toEqual([]);
    await db.query('SELECT pg_terminate_backend($1)', [program.pid]);
    for (let i = 0; i < 100 && !stall.seen.length; i++) await sleep(50);
    expect(stall.seen).toHaveLength(1);
    expect(stall.seen[0]).toBeGreaterThanOrEqual(500);
  } finally {
    await watch.stop();
    await program.client.end().catch(() => undefined);
  }
});

it('a watcher whose own connection stalls concludes nothing: its failed polls are no sight of the backend gone', async () => {
  const db = await createTestDatabase('rk_stall_blind');
  const tag = sessionTag('test');
  const program = await programSession(db.url, tag);
  // Every connection of the watcher stalls at its first look for the program's backend.
  const proxy = await stallingProxy(db, { clientSends: 'pg_postmaster_start_time' });
  const stall = stallWatch(300);
  const watch = await watchBlockers(parseConnectionString(proxy.url), tag, memoryLog(), { stall, queryDeadline: { statementMs: 300, marginMs: 200 } });
  try {
    while (proxy.stalls < 2) await sleep(20);
    // Blind for several stall times, and opening its connection again: still no conclusion.
    await sleep(1500);
    expect(stall.seen).toEqual([]);
  } finally {
    await watch.stop();
    proxy.close();
    await program.client.end().catch(() => undefined);
  }
});

it('a program of several backends (a parallel pg_dump): alone on its first is no stall; once more are seen, one never seen is gone', async () => {
  const db = await createTestDatabase('rk_stall_all');
  const tag = sessionTag('test');
  const leader = await programSession(db.url, tag);
  const stall = { ...stallWatch(500), backendsInAll: 3 };
  const watch = await watchBlockers(parseConnectionString(db.url), tag, memoryLog(), { stall });
  let worker: Awaited<ReturnType<typeof programSession>> | undefined;
  try {
    // The leader alone (pg_dump reading the catalogue) for four times the stall time.
    await sleep(2000);
    expect(stall.seen).toEqual([]);
    // One worker opens; the other never shows (its backend ended before a look could see it).
    worker = await programSession(db.url, tag);
    for (let i = 0; i < 100 && !stall.seen.length; i++) await sleep(50);
    expect(stall.seen).toHaveLength(1);
  } finally {
    await watch.stop();
    await leader.client.end().catch(() => undefined);
    await worker?.client.end().catch(() => undefined);
  }
});

it('a parallel pg_dump at its end: once all were seen, its leader alone (syncing its files) is no stall; the leader gone then is', async () => {
  const db = await createTestDatabase('rk_stall_end');
  const tag = sessionTag('test');
  const leader = await programSession(db.url, tag);
  const stall = { ...stallWatch(500), backendsInAll: 3 };
  const watch = await watchBlockers(parseConnectionString(db.url), tag, memoryLog(), { stall });
  const workers: Awaited<ReturnType<typeof programSession>>[] = [];
  try {
    // The leader reads the catalogue alone, then both workers open and are seen.
    await sleep(300);
    workers.push(await programSession(db.url, tag), await programSession(db.url, tag));
    await sleep(600);
    // The workers disconnect; the leader, still connected, syncs the files for four times the stall time.
    for (const w of workers) await w.client.end();
    await sleep(2000);
    expect(stall.seen).toEqual([]);
    // Its own session gone while it still runs: that is a stall.
    await db.query('SELECT pg_terminate_backend($1)', [leader.pid]);
    for (let i = 0; i < 100 && !stall.seen.length; i++) await sleep(50);
    expect(stall.seen).toHaveLength(1);
  } finally {
    await watch.stop();
    await leader.client.end().catch(() => undefined);
    for (const w of workers) await w.client.end().catch(() => undefined);
  }
});

it('a parallel pg_dump whose leader is gone after all were seen, one worker left: that is a stall', async () => {
  const db = await createTestDatabase('rk_stall_lead');
  const tag = sessionTag('test');
  const leader = await programSession(db.url, tag);
  const stall = { ...stallWatch(500), backendsInAll: 3 };
  const watch = await watchBlockers(parseConnectionString(db.url), tag, memoryLog(), { stall });
  const workers: Awaited<ReturnType<typeof programSession>>[] = [];
  try {
    await sleep(300);
    workers.push(await programSession(db.url, tag), await programSession(db.url, tag));
    await sleep(600);
    await workers[0]!.client.end();
    await db.query('SELECT pg_terminate_backend($1)', [leader.pid]);
    for (let i = 0; i < 100 && !stall.seen.length; i++) await sleep(50);
    expect(stall.seen).toHaveLength(1);
  } finally {
    await watch.stop();
    await leader.client.end().catch(() => undefined);
    for (const w of workers) await w.client.end().catch(() => undefined);
  }
});

it("a parallel pg_dump all of whose backends the first look sees at once: a worker left alone is a stall, not the leader's last step", async () => {
  const db = await createTestDatabase('rk_stall_worker_alone');
  const tag = sessionTag('test');
  // The leader first, then its workers: all there before the watcher's first look.
  const leader = await programSession(db.url, tag);
  const workers = [await programSession(db.url, tag), await programSession(db.url, tag)];
  const stall = { ...stallWatch(500), backendsInAll: 3 };
  const watch = await watchBlockers(parseConnectionString(db.url), tag, memoryLog(), { stall });
  try {
    // The leader's session gone and one worker done: the other worker alone.
    await db.query('SELECT pg_terminate_backend($1)', [leader.pid]);
    await workers[0]!.client.end();
    for (let i = 0; i < 100 && !stall.seen.length; i++) await sleep(50);
    // Before: every backend the first look saw was taken for the leader, so this one alone was its last step.
    expect(stall.seen).toHaveLength(1);
  } finally {
    await watch.stop();
    await leader.client.end().catch(() => undefined);
    for (const w of workers) await w.client.end().catch(() => undefined);
  }
});
