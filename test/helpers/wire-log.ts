/**
 * A TCP proxy in front of the test server that passes every byte through unchanged and notes what
 * crosses it: each query the client sends (a simple Query's text, an extended-protocol Parse's
 * statement) and each ReadyForQuery the server answers with. A client waits for ReadyForQuery
 * before it sends the next query, so their count is the number of round trips, the connection's
 * startup included.
 */
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { ADMIN_URL } from './pg-env.js';

export interface WireLog {
  port: number;
  /** Queries the clients sent, in order (a Parse's statement text for the extended protocol). */
  queries: string[];
  /** ReadyForQuery messages the server sent: one per round trip, the startup's included. */
  roundTrips: number;
  stop(): Promise<void>;
}

/** Splits complete protocol messages (type byte, then a length that counts itself) off the front of `buffer`. */
function messages(buffer: Buffer): { complete: { type: string; body: Buffer }[]; rest: Buffer } {
  const complete: { type: string; body: Buffer }[] = [];
  let at = 0;
  while (buffer.length - at >= 5) {
    const length = buffer.readInt32BE(at + 1);
    if (buffer.length - at < length + 1) break;
    complete.push({ type: String.fromCharCode(buffer[at]!), body: buffer.subarray(at + 5, at + 1 + length) });
    at += length + 1;
  }
  return { complete, rest: buffer.subarray(at) };
}

export async function startWireLog(): Promise<WireLog> {
  const upstream = new URL(ADMIN_URL);
  const sockets = new Set<Socket>();
  const log: WireLog = { port: 0, queries: [], roundTrips: 0, stop: async () => undefined };
  const server = createServer((client) => {
    const db = connect(Number(upstream.port || 5432), upstream.hostname);
    for (const s of [client, db]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    db.on('error', () => client.destroy());
    client.on('error', () => db.destroy());
    // The client's first messages (SSLRequest, StartupMessage) have no type byte: only a length.
    let started = false;
    // An SSLRequest is answered by one byte (N: go on in plain text) before any message.
    let sslAnswer = false;
    let fromClient: Buffer = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      db.write(chunk);
      fromClient = Buffer.concat([fromClient, chunk]);
      while (!started && fromClient.length >= 8) {
        const length = fromClient.readInt32BE(0);
        if (fromClient.length < length) return;
        const ssl = fromClient.readInt32BE(4) === 80877103;
        sslAnswer ||= ssl;
        started = !ssl;
        fromClient = fromClient.subarray(length);
      }
      if (!started) return;
      const { complete, rest } = messages(fromClient);
      fromClient = rest;
      for (const m of complete) {
        if (m.type === 'Q') log.queries.push(m.body.subarray(0, -1).toString('utf8'));
        // Parse: statement name, NUL, query text, NUL, parameter types.
        if (m.type === 'P') log.queries.push(m.body.subarray(m.body.indexOf(0) + 1, m.body.indexOf(0, m.body.indexOf(0) + 1)).toString('utf8'));
      }
    });
    let fromServer: Buffer = Buffer.alloc(0);
    db.on('data', (chunk: Buffer) => {
      client.write(chunk);
      fromServer = Buffer.concat([fromServer, chunk]);
      if (sslAnswer && fromServer.length > 0) {
        sslAnswer = false;
        fromServer = fromServer.subarray(1);
      }
      const { complete, rest } = messages(fromServer);
      fromServer = rest;
      log.roundTrips += complete.filter((m) => m.type === 'Z').length;
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  log.port = (server.address() as AddressInfo).port;
  log.stop = () =>
    new Promise<void>((done) => {
      for (const s of sockets) s.destroy();
      server.close(() => done());
    });
  return log;
}
