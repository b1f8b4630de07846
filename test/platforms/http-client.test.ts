// The one HTTP client every platform API call (and GitHub's) goes through: an answer's body is read
// up to a cap, so a proxy answering with an endless or huge body cannot fill the runner's memory,
// and the error says which host did it and how much was read, never the token or the query string.
// Redirects: refused by default; a GitHub client follows them on the API's own origin only.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { BodyTooLarge, HttpClient, MAX_API_BODY_BYTES } from '../../src/platforms/http/client.js';
import { promoteOnRender } from '../../src/platforms/render/rollback.js';

const TOKEN = 'rnd_BodyCapSecretToken0000000000';

let servers: Server[] = [];
afterEach(async () => {
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((done) => s.close(done))));
  servers = [];
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A 200 whose JSON body never ends: what a misbehaving proxy can send. Counts the bytes it got out. */
function endless(sent: { bytes: number }) {
  return (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    res.write('[');
    const pump = () => {
      while (!res.destroyed && sent.bytes < 200 * 1024 * 1024) {
        sent.bytes += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
    };
    res.on('close', () => undefined);
    pump();
  };
}

const client = (baseUrl: string, log = memoryLog(), extra: Partial<ConstructorParameters<typeof HttpClient>[0]> = {}) =>
  new HttpClient({ service: 'Render', baseUrl, headers: { Authorization: `Bearer ${TOKEN}` }, log, requestTimeoutMs: 20_000, retry: { jitterMs: 0 }, sleep: async () => undefined, ...extra });

describe('HttpClient reads a body up to a cap', () => {
  it('stops reading an endless 200 body at the cap and says which host sent it, without the token or query', async () => {
    const sent = { bytes: 0 };
    const url = await serve(endless(sent));
    const log = memoryLog();
    log.secret(TOKEN);
    const err = await client(url, log)
      .request('GET', '/v1/services/srv-1/deploys', { query: { cursor: 'sekrit-cursor-value', limit: 20 } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BodyTooLarge);
    const message = (err as RollbackKitError).message;
    expect(message).toContain(new URL(url).host);
    expect(message).toContain('GET /v1/services/srv-1/deploys');
    expect(message).toContain(`larger than ${MAX_API_BODY_BYTES / 1024 / 1024} MB`);
    expect(message).not.toContain('sekrit-cursor-value');
    expect(message).not.toContain(TOKEN);
    // Read no further: what the server got out is about the cap, not the 200 MB it would send.
    expect(sent.bytes).toBeLessThan(MAX_API_BODY_BYTES * 4);
  });

  it('is not retried: the same address would send it again', async () => {
    let requests = 0;
    const url = await serve((req, res) => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`"${'x'.repeat(MAX_API_BODY_BYTES + 10)}"`);
    });
    await expect(client(url).get('/v1/services')).rejects.toBeInstanceOf(BodyTooLarge);
    expect(requests).toBe(1);
  });

  it('a body just under the cap is read whole', async () => {
    const value = 'y'.repeat(MAX_API_BODY_BYTES - 2);
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    });
    expect(await client(url).get('/v1/services')).toBe(value);
  });

  it('an oversized error body is only quoted: the status is what fails the request', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end(`not here ${'z'.repeat(MAX_API_BODY_BYTES + 10)}`);
    });
    const err = await client(url).get('/v1/services').catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'HttpApiError', status: 404 });
  });

  it('reaches the on-call engineer as a platform error naming the host and the cap', async () => {
    const url = await serve(endless({ bytes: 0 }));
    const err = await promoteOnRender({ token: TOKEN, apiUrl: url, service: 'srv-d0abcdefghij1234567g', target: 'previous', timeoutSeconds: 30, dryRun: true, retry: { jitterMs: 0 } }, memoryLog()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RollbackKitError);
    expect((err as Error).message).toMatch(new RegExp(`Render \\(${new URL(url).host.replace(/\./g, '\\.')}\\) answered GET \\S+ with a body larger than ${MAX_API_BODY_BYTES / 1024 / 1024} MB`));
    expect((err as RollbackKitError).hint).toMatch(/api-url/);
  });
});

describe('HttpClient redirects', () => {
  function redirecting(status: number, to: (base: string) => string) {
    let base = '';
    const seen: { method: string; path: string; auth?: string; body: string }[] = [];
    const start = async () => {
      base = await serve((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          seen.push({ method: req.method!, path: req.url!, auth: req.headers.authorization, body });
          if (req.url!.startsWith('/repos/old/name')) {
            res.writeHead(status, { location: to(base) + req.url!.replace('/repos/old/name', '/repositories/42'), 'content-type': 'application/json' });
            return res.end(JSON.stringify({ message: 'Moved Permanently' }));
          }
          res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ ok: true, method: req.method }));
        });
      });
      return base;
    };
    return { start, seen };
  }

  it('refuses every redirect by default (a platform API never needs one)', async () => {
    const r = redirecting(301, (b) => b);
    const url = await r.start();
    await expect(client(url).get('/repos/old/name/issues')).rejects.toThrow(/redirect \(301\) to \/repositories\/42\/issues on the same host\. API requests never follow a redirect/);
    expect(r.seen).toHaveLength(1);
  });

  it('same-origin: follows a 301 of a GET and a 307 of a POST (body kept) on the API host, with the token', async () => {
    const r = redirecting(301, (b) => b);
    const url = await r.start();
    const c = client(url, memoryLog(), { redirects: 'same-origin' });
    expect(await c.get('/repos/old/name/issues')).toEqual({ ok: true, method: 'GET' });
    expect(r.seen.map((s) => s.path)).toEqual(['/repos/old/name/issues', '/repositories/42/issues']);
    expect(r.seen[1]!.auth).toBe(`Bearer ${TOKEN}`);

    const w = redirecting(307, (b) => b);
    const url2 = await w.start();
    const res = await client(url2, memoryLog(), { redirects: 'same-origin' }).request('POST', '/repos/old/name/issues', { body: { title: 't' } });
    expect(res).toMatchObject({ status: 201, data: { method: 'POST' } });
    expect(w.seen[1]).toMatchObject({ method: 'POST', path: '/repositories/42/issues', body: '{"title":"t"}' });
  });

  it('same-origin: never follows to another origin, nor turns a POST into a GET on a 301', async () => {
    const elsewhere = await serve((req, res) => res.end('{}'));
    const r = redirecting(307, () => elsewhere);
    const url = await r.start();
    await expect(client(url, memoryLog(), { redirects: 'same-origin' }).get('/repos/old/name/issues')).rejects.toThrow(/redirect \(307\) to http:\/\/127\.0\.0\.1:\d+\. API requests follow a redirect only on the API's own host/);

    const p = redirecting(301, (b) => b);
    const url2 = await p.start();
    await expect(client(url2, memoryLog(), { redirects: 'same-origin' }).request('POST', '/repos/old/name/issues', { body: {} })).rejects.toThrow(/redirect \(301\)/);
    expect(p.seen).toHaveLength(1);
  });
});
