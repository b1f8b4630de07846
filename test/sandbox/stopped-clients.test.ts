// The sandbox's own PostgreSQL clients take its stop (Ctrl-C): before, each went on until its query
// or its connect timeout ended. The shop app's sessions are closed at the stop, so a checkout query
// waiting for a lock on orders no longer holds the cleanup's close of the app (it waited for every
// query in flight, for as long as the lock was held); the look for a server ends at the stop, not
// at its connect timeout. (The creation of the sandbox database: interrupt.test.ts.)
import { createServer, type Socket } from 'node:net';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, SandboxStopped } from '../../src/sandbox/cleanup.js';
import { sandboxPostgres } from '../../src/sandbox/postgres.js';
import { startShop } from '../../src/sandbox/shop.js';
import { startFakeVercel } from '../../src/sandbox/vercel-api.js';
import { createTestDatabase, lockWaiters } from '../helpers/pg.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('the sandbox stopped while its own PostgreSQL clients wait', () => {
  it('a checkout query waiting for a lock on orders: the stop closes the app\'s sessions, and the app closes', async () => {
    const db = await createTestDatabase('rk_sandbox_shop');
    await db.query('CREATE TABLE orders (id serial PRIMARY KEY)');
    const vercel = await startFakeVercel();
    cleanups.push(() => vercel.close());
    vercel.addTeam('team_t', 't');
    const project = vercel.addProject({ name: 'shop', owner: 'team_t' });
    const stop = new AbortController();
    const shop = await startShop(vercel, project, db.url, { brokenV2: true, signal: stop.signal });
    let closed = false;
    cleanups.push(async () => void (closed || (await shop.close())));
    shop.release(vercel.addDeployment(project, { production: true }).uid, 'v1');

    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    cleanups.push(() => holder.end());
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
    const checkout = fetch(`${shop.url}/api/checkout`).then(
      (r) => r.status,
      () => 'closed',
    );
    while (!(await lockWaiters({ database: db.name, applicationName: 'rollback-kit-sandbox-shop' })).length) await new Promise((r) => setTimeout(r, 20));

    stop.abort(new Error('stopped by SIGINT'));
    // The lock is still held: before, both waited for it.
    await shop.close();
    closed = true;
    expect(await checkout).not.toBe(200);
    await holder.query('ROLLBACK');
  });

  it('a server that takes the connection and never answers: the look for it ends at the stop, as stopped', async () => {
    const sockets = new Set<Socket>();
    let reached = (): void => undefined;
    const connected = new Promise<void>((r) => (reached = r));
    const silent = createServer((s) => {
      sockets.add(s);
      reached();
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    cleanups.push(async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    });
    const port = (silent.address() as { port: number }).port;
    const cleanup = new Cleanup();
    const looking = sandboxPostgres({ databaseUrl: `postgres://postgres@127.0.0.1:${port}/postgres`, searchPath: '' }, cleanup);
    await connected;
    cleanup.stop();
    // Before, it waited out its 3 s connect timeout and then said the server does not answer.
    await expect(looking).rejects.toBeInstanceOf(SandboxStopped);
    expect(await cleanup.run()).toEqual([]);
  });
});
