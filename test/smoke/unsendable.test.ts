// A check we cannot send is a configuration error, never an outage. Node's fetch refuses some
// requests before anything goes over the network (a port the Fetch standard blocks such as 10080,
// a header it cannot carry): the service may be perfectly healthy, so the step fails with no
// verdict and no rollback decision. A target that does not answer stays an outage.
import { createServer, get, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAction } from '../helpers/run-action.js';
import { refusedUrl } from './servers.js';

/** Fetch's "bad port" list holds 10080 (Amanda); a healthy service may still listen there. */
const BLOCKED_PORT = 10080;
let healthy: Server;
let requests = 0;
beforeAll(async () => {
  healthy = createServer((_req, res) => {
    requests++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"ok"}');
  });
  await new Promise<void>((done) => healthy.listen(BLOCKED_PORT, '127.0.0.1', done));
});
afterAll(async () => {
  await new Promise<void>((done) => healthy.close(() => done()));
});

const fast = { attempts: 3, 'interval-seconds': 0.05, 'timeout-seconds': 2, 'fail-step': false };

describe('a request fetch refuses to send', () => {
  it('a healthy service on port 10080: configuration error, no verdict, no rollback', async () => {
    const run = await runAction('smoke-test', { checks: `- {name: health, url: "http://127.0.0.1:${BLOCKED_PORT}/health", critical: true}`, ...fast });
    expect(run.code).toBe(1);
    expect(run.outputs).toEqual({});
    expect(run.errors).toEqual([
      `The HTTP check "health" cannot be sent: Node's fetch refuses to connect to port ${BLOCKED_PORT} of 127.0.0.1 (a port the Fetch standard blocks, "bad port"), so no request went out. This is a configuration error, not an outage: nothing was decided (no verdict, no decision output). Point the check at a URL fetch can send (another port, http or https, no user name or password in it, header values on one line), or put a proxy in front.`,
    ]);
    expect(run.summary).toContain('cannot be sent');
    expect(run.log).not.toMatch(/decision rollback|severity critical/);
    expect(requests).toBe(0);
    // The service really is there and healthy: only fetch refuses the port.
    const answer = await new Promise<number>((done) => get(`http://127.0.0.1:${BLOCKED_PORT}/health`, (res) => done(res.statusCode ?? 0)));
    expect(answer).toBe(200);
  });

  it('the same through base-url', async () => {
    const run = await runAction('smoke-test', { 'base-url': `http://127.0.0.1:${BLOCKED_PORT}`, checks: '- {name: home, url: /}', ...fast });
    expect(run.code).toBe(1);
    expect(run.outputs).toEqual({});
    expect(run.errors[0]).toMatch(/^The HTTP check "home" cannot be sent: Node's fetch refuses to connect to port 10080/);
  });

  it('a header fetch cannot carry: configuration error, and its value is not printed', async () => {
    const healthyOther = await refusedUrl();
    const run = await runAction('smoke-test', { checks: `- name: api\n  url: ${healthyOther}/x\n  headers: {x-note: "first\\nsecond-line-value"}\n`, ...fast });
    expect(run.code).toBe(1);
    expect(run.outputs).toEqual({});
    expect(run.errors[0]).toMatch(/^The HTTP check "api" cannot be sent: fetch refuses one of its headers/);
    expect(run.stdout).not.toContain('second-line-value');
  });

  it('a port nobody listens on is still an outage: the service is down', async () => {
    const run = await runAction('smoke-test', { checks: `- {name: health, url: "${await refusedUrl()}/health", critical: true}`, ...fast });
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ passed: 'false', severity: 'critical', decision: 'rollback' });
  });
});
