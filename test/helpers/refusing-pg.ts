/**
 * A PostgreSQL server that answers every startup with one FATAL ErrorResponse, as a real server or
 * a pooler does when it is shutting down (57P01), starting up (57P03), out of connection slots
 * (53300), or when pg_hba.conf has no entry for the client (28000). Answers an SSLRequest with "N".
 */
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface RefusingServer {
  url: string;
  /** Startup messages answered so far. */
  startups: number;
  stop(): Promise<void>;
}

function errorResponse(code: string, message: string): Buffer {
  const fields = Buffer.concat([...[['S', 'FATAL'], ['V', 'FATAL'], ['C', code], ['M', message]].map(([k, v]) => Buffer.from(`${k}${v}\0`)), Buffer.from('\0')]);
  const head = Buffer.alloc(5);
  head.write('E', 0);
  head.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([head, fields]);
}

const SSL_REQUEST = 80877103;

export async function startRefusingServer(code: string, message: string): Promise<RefusingServer> {
  const sockets = new Set<Socket>();
  const refusing: RefusingServer = { url: '', startups: 0, stop: async () => undefined };
  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 8 && buffered.length >= buffered.readInt32BE(0)) {
        const length = buffered.readInt32BE(0);
        const request = buffered.readInt32BE(4);
        buffered = buffered.subarray(length);
        if (request === SSL_REQUEST) {
          client.write('N');
          continue;
        }
        refusing.startups++;
        client.end(errorResponse(code, message));
        return;
      }
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  refusing.url = `postgres://postgres@127.0.0.1:${(server.address() as AddressInfo).port}/postgres`;
  refusing.stop = () =>
    new Promise<void>((done) => {
      for (const s of sockets) s.destroy();
      server.close(() => done());
    });
  return refusing;
}
