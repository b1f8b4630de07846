/**
 * A TCP proxy in front of the test database that stops forwarding without closing anything, as a
 * NAT box or proxy that drops the flow does: after the server's first ReadyForQuery has reached the
 * client (the session is open, its first query never gets an answer), or when the client sends a
 * given text (a later query's answer never comes).
 */
import { connect, createServer, type Socket } from 'node:net';
import { afterAll } from 'vitest';

export interface StallingProxy {
  /** The database URL through the proxy. */
  url: string;
  /** Connections that have stalled so far. */
  stalls: number;
  close(): void;
}

const open: StallingProxy[] = [];
afterAll(() => {
  for (const p of open.splice(0)) p.close();
});

/** `stallOn`: 'ready' (after the first ReadyForQuery) or a text the client sends. */
export async function stallingProxy(databaseUrl: string, stallOn: 'ready' | { clientSends: string }): Promise<StallingProxy> {
  const target = new URL(databaseUrl);
  const sockets = new Set<Socket>();
  const proxy: StallingProxy = { url: '', stalls: 0, close: () => undefined };
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    let stalled = false;
    let pending = Buffer.alloc(0);
    const stall = () => {
      stalled = true;
      proxy.stalls++;
    };
    client.on('data', (d: Buffer) => {
      if (stalled) return;
      if (typeof stallOn === 'object' && d.includes(stallOn.clientSends)) return stall();
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      if (stalled) return;
      if (stallOn !== 'ready') return void client.write(d);
      // Whole messages only, up to and including the first ReadyForQuery ('Z').
      pending = Buffer.concat([pending, d]);
      let at = 0;
      while (pending.length - at >= 5) {
        const length = pending.readUInt32BE(at + 1);
        if (pending.length - at < 1 + length) break;
        const type = String.fromCharCode(pending[at]!);
        at += 1 + length;
        if (type === 'Z') {
          client.write(pending.subarray(0, at));
          return stall();
        }
      }
      client.write(pending.subarray(0, at));
      pending = pending.subarray(at);
    });
    for (const s of [client, upstream]) s.on('error', () => undefined);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as { port: number }).port);
  proxy.url = url.toString();
  proxy.close = () => {
    server.close();
    for (const s of sockets) s.destroy();
  };
  open.push(proxy);
  return proxy;
}
