/**
 * Local HTTP servers on 127.0.0.1 with scripted behaviour, standing in for a deployment: healthy,
 * flaky (fails twice then recovers), slow, 500 on every tenth request, wrong JSON, never answers,
 * and a port nobody listens on. Every request is recorded so tests can see what was sent.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll } from 'vitest';

export interface RecordedRequest {
  method: string;
  path: string;
  /** The query as sent, with its `?` ('' without one). */
  search: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface ScriptedServer {
  url: string;
  requests: RecordedRequest[];
  /** Requests seen for a path prefix. */
  hits(prefix: string): number;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string, counter: number) => void;

const json = (res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(value));
};

const HEALTHY = { status: 'ok', version: '1.4.2', checks: { db: { ok: true, latency_ms: 12 } }, regions: ['fra1', 'iad1'] };

/** Routes by path; a per-path counter lets a route change its answer over time. */
function route(req: IncomingMessage, res: ServerResponse, body: string, n: number, options: { delayMs?: number }): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const path = url.pathname;
  const answer = () => {
    if (path === '/health') return json(res, 200, HEALTHY, { 'x-release': 'v1.4.2', 'cache-control': 'no-store' });
    if (path === '/login') {
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end('<html><title>Sign in</title><form id="login"></form></html>');
    }
    // Fails twice, then recovers: a deployment still warming up.
    if (path.startsWith('/flaky/')) return n <= 2 ? json(res, 503, { status: 'starting' }) : json(res, 200, HEALTHY);
    // Every tenth request answers 500: a 10% error rate, deterministic.
    if (path.startsWith('/errors10/')) return n % 10 === 0 ? json(res, 500, { error: 'boom' }) : json(res, 200, HEALTHY);
    if (path.startsWith('/slow/')) {
      const ms = Number(path.split('/')[2]);
      setTimeout(() => json(res, 200, HEALTHY), ms);
      return;
    }
    if (path === '/wrong-json') return json(res, 200, { status: 'degraded', version: '1.5.0', checks: { db: { ok: false, latency_ms: 950 } }, regions: [] });
    if (path === '/not-json') {
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end('<html>maintenance</html>');
    }
    if (path.startsWith('/status/')) return json(res, Number(path.split('/')[2]), { status: 'x' });
    if (path === '/hang') return; // never answers
    // Status, headers and part of the body, then nothing more (stall) or a dropped connection (cut).
    if (path === '/stall-body' || path === '/cut-body') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.write('<html><title>Sign in</title>');
      if (path === '/cut-body') setTimeout(() => res.destroy(), 20);
      return;
    }
    if (path === '/redirect') {
      res.writeHead(302, { location: url.searchParams.get('to') ?? '/health' });
      return res.end();
    }
    if (path === '/echo') return json(res, 200, { method: req.method, body, headers: req.headers });
    json(res, 404, { error: 'not found' });
  };
  if (options.delayMs && path !== '/hang') setTimeout(answer, options.delayMs);
  else answer();
}

const open: ScriptedServer[] = [];
let registered = false;

export async function startServer(options: { delayMs?: number; handler?: Handler } = {}): Promise<ScriptedServer> {
  const requests: RecordedRequest[] = [];
  const counters = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const { pathname: path, search } = new URL(req.url ?? '/', 'http://x');
      requests.push({ method: req.method ?? '', path, search, headers: req.headers, body });
      const n = (counters.get(path) ?? 0) + 1;
      counters.set(path, n);
      if (options.handler) options.handler(req, res, body, n);
      else route(req, res, body, n, options);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  const scripted: ScriptedServer = {
    url: `http://127.0.0.1:${port}`,
    requests,
    hits: (prefix) => requests.filter((r) => r.path.startsWith(prefix)).length,
    close: () =>
      new Promise<void>((done) => {
        // Hanging requests hold their sockets open; a test server must always shut down.
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
  open.push(scripted);
  if (!registered) {
    registered = true;
    afterAll(async () => {
      for (const s of open.splice(0)) await s.close();
    });
  }
  return scripted;
}

/** A URL on 127.0.0.1 where nothing listens: connections are refused. */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return `http://127.0.0.1:${port}`;
}
