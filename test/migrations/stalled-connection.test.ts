// A connection that stops answering without closing (a proxy or NAT box that drops the flow) must
// not hang the step: past statement-timeout-seconds and a margin it fails, saying the migration in
// flight may or may not have committed and that the re-run reads the tracking table.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';
import { existingTables, trackingState, workspace, writeMigrations, applyMigrations, type Step } from './fixtures.js';

interface StallingProxy {
  url: string;
  /** Whether a connection has stalled. */
  stalled(): boolean;
  close(): void;
}

/**
 * Forwards to the database until the client sends `marker`; from then on that connection forwards
 * nothing either way and stays open, as a stalled middlebox does.
 */
async function stallingProxy(db: TestDatabase, marker: string): Promise<StallingProxy> {
  const target = new URL(db.url);
  const sockets: Socket[] = [];
  let stalled = false;
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.push(client, upstream);
    let dead = false;
    client.on('data', (d: Buffer) => {
      if (dead) return;
      upstream.write(d);
      if (d.includes(marker)) dead = stalled = true;
    });
    upstream.on('data', (d: Buffer) => {
      if (!dead) client.write(d);
    });
    for (const s of [client, upstream]) s.on('error', () => undefined);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const url = new URL(db.url);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    stalled: () => stalled,
    close() {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

describe('run-down-migrations on a stalled connection', () => {
  it('gives up a margin after statement-timeout-seconds, saying the migration may or may not have committed', async () => {
    const db = await createTestDatabase('rk_down_stall');
    const ws = await workspace();
    const steps: Step[] = [1, 2, 3].map((i) => ({ version: `00${i}`, name: `t${i}`, up: `CREATE TABLE t${i} (id int);`, down: `DROP TABLE t${i};` }));
    const dir = await writeMigrations(ws, 'plain', steps);
    await applyMigrations(db, 'plain', dir, steps);
    // The second migration's query reaches the server, which commits; its answer never comes back.
    const proxy = await stallingProxy(db, 'DROP TABLE t2');
    try {
      const started = Date.now();
      const run = await runAction(
        'run-down-migrations',
        { 'database-url': proxy.url, 'require-snapshot': 'false', 'to-version': '001', 'statement-timeout-seconds': '1' },
        { cwd: ws, timeoutMs: 40_000 },
      );
      const took = Date.now() - started;
      expect(proxy.stalled()).toBe(true);
      expect(run.code).toBe(1);
      expect(took).toBeLessThan(30_000);
      expect(run.log).toContain('[2/2] reverting 002_t2.down.sql');
      const error = run.errors[0]!;
      expect(error).toContain('Lost the connection to 127.0.0.1');
      expect(error).toContain('while reverting 002_t2.down.sql');
      expect(error).toContain('no answer');
      expect(error).toContain('may or may not have committed');
      expect(error).toContain('the re-run reads rollback_kit.schema_migrations');
      expect(JSON.parse(run.outputs.reverted!)).toEqual(['003']);
    } finally {
      proxy.close();
    }
    // The server did commit: the re-run, straight to the database, finds nothing left to do.
    expect(await existingTables(db)).toEqual(['t1']);
    expect(await trackingState(db, 'plain')).toEqual(['001']);
    const rerun = await runAction('run-down-migrations', { 'database-url': db.url, 'require-snapshot': 'false', 'to-version': '001' }, { cwd: ws });
    expect(rerun.errors).toEqual([]);
    expect(rerun.outputs.status).toBe('nothing-to-do');
  }, 60_000);
});
