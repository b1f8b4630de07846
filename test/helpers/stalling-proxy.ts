/**
 * A TCP proxy in front of a test database that stops forwarding without closing anything, as a NAT
 * box or proxy that drops the flow does. It stalls a connection either after the server's first
 * ReadyForQuery has reached the client (the session is open, its first query never gets an answer),
 * or once the client sends a given text: that text's own bytes still reach the server, so the query
 * runs there and only its answer never comes back. A stalled connection forwards no close either
 * (the client's FIN is not answered, the server's close not passed on): the client sees nothing
 * until the proxy is closed. Every proxy left open is closed after the file.
 */
import { connect, createServer, type Socket } from 'node:net';
import { afterAll } from 'vitest';

export interface StallingProxy {
  /** The database URL through the proxy. */
  url: string;
  /** Connections that have stalled so far. */
  readonly stalls: number;
  /** Whether a connection has stalled. */
  stalled(): boolean;
  /** The local ports of the stalled connections' server sides: pg_stat_activity.client_port of their backends. */
  stalledPorts(): number[];
  close(): void;
}

/**
 * 'ready': after the first ReadyForQuery of each connection; `clientSends`: once the client sends that
 * text (with `after`: on a connection whose client sent that other text before: one program's; with
 * `limit`: on that many connections only, the first to send it once `skip` others have: one of a
 * program's several; with `atReady`: once the server's first ReadyForQuery on that connection has
 * reached the client, rather than at once: a session that opened, then stalled; with
 * `endServer`: the server's side is closed as the connection stalls, so its backend ends at once,
 * as behind a proxy whose upstream went away, while the client still waits on an open socket).
 */
export type StallOn = 'ready' | { clientSends: string; after?: string; skip?: number; limit?: number; atReady?: boolean; endServer?: boolean };

const open: StallingProxy[] = [];
afterAll(() => {
  for (const p of open.splice(0)) p.close();
});

/** How many bytes of `pending` are whole server messages, up to and including the first ReadyForQuery ('Z'), and whether they end with it. */
function throughFirstReady(pending: Buffer): { at: number; ready: boolean } {
  let at = 0;
  while (pending.length - at >= 5) {
    const length = pending.readUInt32BE(at + 1);
    if (pending.length - at < 1 + length) break;
    const type = String.fromCharCode(pending[at]!);
    at += 1 + length;
    if (type === 'Z') return { at, ready: true };
  }
  return { at, ready: false };
}

export async function stallingProxy(db: { url: string }, stallOn: StallOn): Promise<StallingProxy> {
  const target = new URL(db.url);
  const sockets = new Set<Socket>();
  let stalls = 0;
  /** Connections that sent the text and were let go on for good (`skip`). */
  let skipped = 0;
  const ports: number[] = [];
  // Half-open allowed: a client's FIN is not answered by the proxy itself, only by the server's close.
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    let stalled = false;
    let pending = Buffer.alloc(0);
    let armed = typeof stallOn !== 'object' || stallOn.after === undefined;
    /** One of the connections `skip` lets go on: it never stalls. */
    let passed = false;
    /** It stalls once its first ReadyForQuery has reached the client ('ready', or `atReady` once it sent the text). */
    let atReady = stallOn === 'ready';
    const stall = (counted = false) => {
      stalled = true;
      if (!counted) stalls++;
      if (upstream.localPort) ports.push(upstream.localPort);
      if (typeof stallOn === 'object' && stallOn.endServer) upstream.destroy();
    };
    client.on('data', (d: Buffer) => {
      if (stalled) return;
      upstream.write(d);
      if (typeof stallOn !== 'object') return;
      if (armed && !passed && d.includes(stallOn.clientSends) && stalls < (stallOn.limit ?? Infinity)) {
        if (skipped < (stallOn.skip ?? 0)) {
          skipped++;
          passed = true;
        } else if (stallOn.atReady) {
          // Counted now, for `limit`: the stall itself comes with the server's first ReadyForQuery.
          atReady = true;
          passed = true;
          stalls++;
        } else stall();
      }
      else if (stallOn.after !== undefined && d.includes(stallOn.after)) armed = true;
    });
    upstream.on('data', (d: Buffer) => {
      if (stalled) return;
      if (!atReady) return void client.write(d);
      pending = Buffer.concat([pending, d]);
      const { at, ready } = throughFirstReady(pending);
      client.write(pending.subarray(0, at));
      pending = pending.subarray(at);
      if (ready) stall(stallOn !== 'ready');
    });
    for (const s of [client, upstream]) s.on('error', () => undefined);
    client.on('end', () => stalled || upstream.end());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => stalled || client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(db.url);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as { port: number }).port);
  const proxy: StallingProxy = {
    url: url.toString(),
    get stalls() {
      return stalls;
    },
    stalled: () => stalls > 0,
    stalledPorts: () => [...ports],
    close() {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
  open.push(proxy);
  return proxy;
}
