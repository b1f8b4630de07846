// The smoke checks stopped (SIGINT, SIGTERM: the run's AbortSignal) while a check waits for its
// answer: the request is ended and no other attempt starts, and the run gives no verdict (a check
// cut short is no evidence that production is broken), failing with a stop instead. The server
// holds the answer until the test has stopped the run, so the stop lands there.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { parseChecks } from '../../src/smoke/parse-spec.js';
import { runSmokeTest } from '../../src/smoke/smoke-test.js';

it('a check stopped mid-request: no second attempt, no verdict, a stop that says production was not verified', async () => {
  let arrived = (): void => undefined;
  const reached = new Promise<void>((done) => (arrived = done));
  const held: ServerResponse[] = [];
  let requests = 0;
  const server = createServer((_req, res) => {
    requests++;
    held.push(res);
    arrived();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const stop = new AbortController();
    const checks = parseChecks('- {name: health, url: /health}', { baseUrl: url, hasDatabase: false });
    const running = runSmokeTest(checks, { attempts: 5, intervalSeconds: 0.01, backoff: 'fixed', timeoutSeconds: 600, samples: 1, maxErrorRate: 0, maxP95Ms: 3000, deadlineSeconds: 600, signal: stop.signal }, memoryLog());
    await reached;
    stop.abort(new Error('stopped by SIGTERM'));
    const err = await running.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RollbackKitError);
    expect((err as RollbackKitError).message).toBe('The smoke checks were stopped (SIGTERM) before they finished measuring, so they give no verdict: production was not verified.');
    expect((err as RollbackKitError).stopped).toBe(true);
    expect(requests).toBe(1);
  } finally {
    for (const res of held) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((done) => server.close(() => done()));
  }
});
