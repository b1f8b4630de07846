// A chat receiver's answer is quoted, never parsed: only its first few KB are read. A receiver (or a
// proxy before it) that answers 200 with an endless body has still taken the message: it counts as
// delivered at once, where reading the whole body used to run into the timeout and call it lost.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { chatSender } from '../../src/report/notify.js';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((done) => (server ? server.close(done) : done(undefined)));
  server = undefined;
});

it('a 200 with an endless body is delivered, and the body is read no further than a few KB', async () => {
  let sent = 0;
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const pump = () => {
        while (!res.destroyed && sent < 100 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
      };
      pump();
    });
  });
  await new Promise<void>((done) => server!.listen(0, '127.0.0.1', () => done()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T1/B2/Xq7SlackSecretToken0123456789`;
  const log = memoryLog();
  const started = Date.now();
  expect(await chatSender(url, log)({ text: 'hello', blocks: [] }, { timeoutMs: 3000, retryDelayMs: 10 })).toBe(true);
  expect(Date.now() - started).toBeLessThan(2500);
  expect(sent).toBeLessThan(10 * 1024 * 1024);
  expect(log.lines.filter((l) => l.startsWith('warning:'))).toEqual([]);
});
