/**
 * A TCP proxy in front of a test database that forwards until the client sends a marker, then
 * forwards nothing either way on that connection and keeps it open, as a proxy or NAT box that
 * stops forwarding does. The marker's own bytes still reach the server: the query runs there, its
 * answer never comes back.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { TestDatabase } from './pg.js';

export interface StallingProxy {
  url: string;
  /** Whether a connection has stalled. */
  stalled(): boolean;
  close(): void;
}

/**
 * Forwards to the database until the client sends `marker`; from then on that connection forwards
 * nothing either way and stays open, as a stalled middlebox does.
 */
export async function stallingProxy(db: TestDatabase, marker: string): Promise<StallingProxy> {
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
