// The tests' one way to wait for a session to be waiting on a lock (test/helpers/pg.ts): it finds
// the waiter by database, application_name, pid or query, and every wait ends, found or not.
import pg from 'pg';
import { expect, it } from 'vitest';
import { createTestDatabase, holdTableLock, lockWaiters, waitForLockWaiter } from '../helpers/pg.js';

it('finds the session waiting for a table lock, by each filter, and only that one', async () => {
  const db = await createTestDatabase('rk_lock_waiter');
  await db.query('CREATE TABLE t (id int)');
  const blocker = await holdTableLock(db, 't', 'ACCESS EXCLUSIVE');
  const waiter = new pg.Client({ connectionString: db.url, application_name: 'rk-lock-waiter-test' });
  await waiter.connect();
  try {
    const pid = (await waiter.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    expect(await lockWaiters({ database: db.name })).toEqual([]);
    const reading = waiter.query('SELECT count(*) FROM t');
    const found = await waitForLockWaiter({ database: db.name, applicationName: 'rk-lock-waiter-%', query: '%count(*) FROM t%' });
    expect(found).toEqual({ pid, query: 'SELECT count(*) FROM t' });
    expect(await waitForLockWaiter({ pid })).toEqual(found);
    expect(await lockWaiters({ database: db.name, applicationName: 'someone-else' })).toEqual([]);
    await blocker.release();
    await reading;
  } finally {
    await waiter.end();
  }
});

it('is bounded: with no waiter it fails after its timeout, naming what it looked for', async () => {
  const db = await createTestDatabase('rk_lock_waiter');
  const started = Date.now();
  await expect(waitForLockWaiter({ database: db.name }, { timeoutMs: 300 })).rejects.toThrow(`No session {"database":"${db.name}"} waited for a lock within 0.3 s.`);
  expect(Date.now() - started).toBeLessThan(5000);
});

it('stops when the work it waits on ends first: its failure is the outcome, its success resolves undefined', async () => {
  const db = await createTestDatabase('rk_lock_waiter');
  await expect(waitForLockWaiter({ database: db.name }, { unless: Promise.reject(new Error('the run failed before it waited')) })).rejects.toThrow('the run failed before it waited');
  await expect(waitForLockWaiter({ database: db.name }, { unless: Promise.resolve('done') })).resolves.toBeUndefined();
});
