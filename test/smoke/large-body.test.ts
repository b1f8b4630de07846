// A response larger than the body cap (5 MB) is read no further. Assertions about the whole body
// must not be judged on a part of it: a forbidden text past the cut is not "absent", a JSON document
// cut in two is not "not JSON", and a required text past the cut is not "missing".
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseChecks } from '../../src/smoke/parse-spec.js';
import { runChecks, type CheckResult } from '../../src/smoke/run-checks.js';

const MB = 1024 * 1024;
let url = '';
const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': req.url === '/json' ? 'application/json' : 'text/html' });
  if (req.url === '/json') res.end(JSON.stringify({ filler: 'x'.repeat(6 * MB), status: 'ok' }));
  else if (req.url === '/small') res.end('<p>all good</p>');
  else if (req.url === '/exact') res.end('x'.repeat(5 * MB));
  else res.end(`<p>${'x'.repeat(6 * MB)}</p><p>FATAL: database unreachable</p>`);
});
beforeAll(async () => {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));

async function one(yaml: string): Promise<CheckResult> {
  const checks = parseChecks(yaml, { baseUrl: url, hasDatabase: false });
  const [result] = await runChecks(checks, { attempts: 1, intervalSeconds: 0, backoff: 'fixed', timeoutSeconds: 30, samples: 1, maxErrorRate: 0, maxP95Ms: 60_000, deadlineSeconds: 60 }, memoryLog());
  return result!;
}

describe('a body larger than the cap', () => {
  it('body-not-contains is not passed on the part that was read', async () => {
    const r = await one('- {name: page, url: /big, body-not-contains: FATAL}');
    expect(r.passed).toBe(false);
    expect(r.reason).toMatch(/larger than 5 MB/);
  });

  it('body-contains and json say the body was cut, not that the text is missing or the body is not JSON', async () => {
    const text = await one('- {name: page, url: /big, body-contains: FATAL}');
    expect(text.passed).toBe(false);
    expect(text.reason).toMatch(/larger than 5 MB/);
    const json = await one('- {name: api, url: /json, json: {status: ok}}');
    expect(json.passed).toBe(false);
    expect(json.reason).toMatch(/larger than 5 MB/);
    expect(json.reason).not.toMatch(/not JSON/);
  });

  it('a text found before the cut is found; a body of exactly the cap is read whole', async () => {
    expect((await one('- {name: page, url: /big, body-contains: <p>xxx}')).passed).toBe(true);
    expect((await one('- {name: page, url: /big, body-not-contains: <p>xxx}')).reason).toBe('body contains "<p>xxx"');
    expect((await one('- {name: page, url: /exact, body-not-contains: FATAL}')).passed).toBe(true);
  });

  it('a check with no body assertion still passes on a large body, and a small body is judged as before', async () => {
    expect((await one('- {name: page, url: /big}')).passed).toBe(true);
    expect((await one('- {name: page, url: /small, body-not-contains: FATAL, body-contains: all good}')).passed).toBe(true);
  });
});
