// A port that accepts the connection and hangs up without speaking PostgreSQL's protocol (an HTTP
// server, a proxy that cuts the session, a server that takes only TLS): the error says what to
// check, as the refused and timeout errors do, not only "Connection terminated unexpectedly".
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConnectionString } from '../../src/db/connection.js';
import { withSession } from '../../src/db/session.js';

let server: Server;
let port: number;
const sockets = new Set<Socket>();
beforeAll(async () => {
  // Reads what the client sends (a startup or an SSL request), then hangs up without a word.
  server = createServer((socket) => {
    sockets.add(socket);
    socket.once('data', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function failure(url: string): Promise<Error & { hint?: string }> {
  return withSession(parseConnectionString(url), async () => undefined).then(
    () => {
      throw new Error('connected');
    },
    (err: Error) => err,
  );
}

it('a server that closes the connection: names the likely causes and what to check, TLS included', async () => {
  const err = await failure(`postgres://postgres@127.0.0.1:${port}/x`);
  expect(err.message).toContain(`Cannot connect to PostgreSQL at 127.0.0.1:${port}/x: the server closed the connection before it answered`);
  expect(err.hint).toBe(`Check that 127.0.0.1:${port} is a PostgreSQL server (not an HTTP port, an SSH tunnel that is down, or a proxy or load balancer that cuts the session); or it requires TLS: add sslmode=require to database-url.`);
});

it('with sslmode=require already, TLS is not suggested again', async () => {
  const err = await failure(`postgres://postgres@127.0.0.1:${port}/x?sslmode=require`);
  expect(err.hint ?? '').toContain('is a PostgreSQL server');
  expect(err.hint ?? '').not.toContain('sslmode=require');
});
