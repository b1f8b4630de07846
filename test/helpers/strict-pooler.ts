/**
 * A stand-in for pgbouncer's handling of startup parameters: a TCP proxy in front of the test
 * server that refuses a startup message carrying a parameter it does not know (`options`), with the
 * error pgbouncer sends (FATAL 08P01 "unsupported startup parameter: options"), and passes every
 * other connection through unchanged.
 */
import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { ADMIN_URL } from './pg-env.js';

export interface StrictPooler {
  port: number;
  /** Startup messages refused so far. */
  refused: number;
  stop(): Promise<void>;
}

function errorResponse(code: string, message: string): Buffer {
  const fields = Buffer.concat([
    ...[['S', 'FATAL'], ['V', 'FATAL'], ['C', code], ['M', message]].map(([k, v]) => Buffer.from(`${k}${v}\0`)),
    Buffer.from('\0'),
  ]);
  const head = Buffer.alloc(5);
  head.write('E', 0);
  head.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([head, fields]);
}

/** Parameter names of a StartupMessage (length, protocol 3.0, then name\0value\0 pairs). */
function startupParameters(message: Buffer): string[] {
  const parts = message.subarray(8).toString('utf8').split('\0');
  return parts.filter((_, i) => i % 2 === 0 && parts[i]);
}

export async function startStrictPooler(): Promise<StrictPooler> {
  const upstream = new URL(ADMIN_URL);
  const sockets = new Set<Socket>();
  const pooler: StrictPooler = { port: 0, refused: 0, stop: async () => undefined };
  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.once('data', (first) => {
      const length = first.readInt32BE(0);
      if (first.length >= length && startupParameters(first.subarray(0, length)).includes('options')) {
        pooler.refused++;
        client.end(errorResponse('08P01', 'unsupported startup parameter: options'));
        return;
      }
      const server = connect(Number(upstream.port || 5432), upstream.hostname);
      sockets.add(server);
      server.on('close', () => sockets.delete(server));
      server.on('error', () => client.destroy());
      client.on('error', () => server.destroy());
      server.write(first);
      client.pipe(server);
      server.pipe(client);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  pooler.port = (server.address() as AddressInfo).port;
  pooler.stop = () =>
    new Promise<void>((done) => {
      for (const s of sockets) s.destroy();
      server.close(() => done());
    });
  return pooler;
}
