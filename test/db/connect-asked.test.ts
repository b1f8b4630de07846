// connect()'s onAsked: the caller learns once the startup is on its way (run-down-migrations reads
// its folder only then, so the server starts the session meanwhile), and learns it on a failure too,
// so that nothing waits on it for ever.
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConnectionString } from '../../src/db/connection.js';
import { connect } from '../../src/db/session.js';

let server: Server;
let port: number;
const sockets = new Set<Socket>();
/** What the silent server saw when the client's first bytes arrived: whether onAsked had been told. */
let askedWhenBytesCame: boolean[] = [];
let asked = false;

beforeAll(async () => {
  // Takes the startup and never answers: the client's connect stays pending.
  server = createServer((socket) => {
    sockets.add(socket);
    socket.once('data', () => askedWhenBytesCame.push(asked));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

it('is told once the startup is written, while the connection is still pending', async () => {
  asked = false;
  askedWhenBytesCame = [];
  const stop = new AbortController();
  let toldAsked!: () => void;
  const told = new Promise<void>((resolve) => (toldAsked = resolve));
  const opening = connect(parseConnectionString(`postgres://postgres@127.0.0.1:${port}/x`), {
    signal: stop.signal,
    onAsked: () => {
      asked = true;
      toldAsked();
    },
  });
  let settled = false;
  void opening.then(
    () => (settled = true),
    () => (settled = true),
  );
  await told;
  expect(settled).toBe(false);
  // The server has the startup by now or soon; it was written before onAsked was told.
  await expect.poll(() => askedWhenBytesCame.length).toBe(1);
  expect(askedWhenBytesCame).toEqual([true]);
  stop.abort();
  await expect(opening).rejects.toThrow(/Stopped while still connecting/);
});

it('is told when the connection fails before anything is written', async () => {
  // A port nothing listens on: refused at once.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const deadPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  let told = 0;
  await expect(connect(parseConnectionString(`postgres://postgres@127.0.0.1:${deadPort}/x`), { onAsked: () => told++ })).rejects.toThrow(/connection refused/);
  expect(told).toBeGreaterThanOrEqual(1);
});
