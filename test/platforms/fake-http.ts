// The plumbing every local platform stand-in shares: a server on 127.0.0.1, JSON bodies, a log of
// requests (method, path, query, headers, body), and injectable faults answered instead of the
// real handler: a status with a JSON or text body and an optional Retry-After, GraphQL errors in a
// 200, or a dropped connection.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { expect } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  /** When it arrived, on the clock bench/promote times process starts with. */
  at: number;
}

export interface FaultAnswer {
  status?: number;
  retryAfter?: number | string;
  json?: unknown;
  text?: string;
  /** GraphQL errors in a 200. */
  graphqlErrors?: { message: string; extensions?: Record<string, unknown> }[];
  drop?: boolean;
}

export interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (req: RecordedRequest) => Answer | Promise<Answer>;

export interface FakeHttp {
  url: string;
  requests: RecordedRequest[];
  /** The next `times` requests whose key ("METHOD /path", or the GraphQL operation name) matches get `answer`. */
  fault(match: RegExp, answer: FaultAnswer, times?: number): void;
  requestsTo(match: RegExp): RecordedRequest[];
  /**
   * Holds the next request whose key matches (recorded, not yet answered nor acted on) until
   * `release()`; `reached` settles when it arrives. A test stops the run at that point.
   */
  hold(match: RegExp): { reached: Promise<void>; release(): void };
  close(): Promise<void>;
}

function send(res: ServerResponse, a: Answer): void {
  if (a.body === undefined) {
    res.writeHead(a.status, a.headers);
    res.end();
    return;
  }
  const text = typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
  res.writeHead(a.status, { 'content-type': typeof a.body === 'string' ? 'text/plain' : 'application/json; charset=utf-8', ...a.headers });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** `key` names a request for faults: by default "METHOD /path". */
export async function startFakeHttp(handler: Handler, key: (r: RecordedRequest) => string = (r) => `${r.method} ${r.path}`): Promise<FakeHttp> {
  const requests: RecordedRequest[] = [];
  const faults: { match: RegExp; answer: FaultAnswer; times: number }[] = [];
  const holds: { match: RegExp; arrived: () => void; released: Promise<void> }[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const u = new URL(req.url ?? '/', 'http://localhost');
      const at = performance.timeOrigin + performance.now();
      const rec: RecordedRequest = { method: req.method ?? 'GET', path: u.pathname, query: Object.fromEntries(u.searchParams), headers: req.headers, body: await readBody(req), at };
      requests.push(rec);
      const k = key(rec);
      const held = holds.findIndex((h) => h.match.test(k));
      if (held >= 0) {
        const [h] = holds.splice(held, 1);
        h!.arrived();
        await h!.released;
      }
      const fault = faults.find((f) => f.times > 0 && f.match.test(k));
      if (fault) {
        fault.times--;
        const a = fault.answer;
        if (a.drop) {
          req.socket.destroy();
          return;
        }
        const headers: Record<string, string> = a.retryAfter !== undefined ? { 'retry-after': String(a.retryAfter) } : {};
        if (a.graphqlErrors) return send(res, { status: 200, body: { data: null, errors: a.graphqlErrors }, headers });
        return send(res, { status: a.status ?? 500, body: a.json ?? a.text ?? '', headers });
      }
      try {
        send(res, await handler(rec));
      } catch (err) {
        send(res, { status: 500, body: `fake server bug: ${(err as Error).stack}` });
      }
    })();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    fault: (match, answer, times = 1) => void faults.push({ match, answer, times }),
    requestsTo: (match) => requests.filter((r) => match.test(key(r))),
    hold: (match) => {
      let arrived = (): void => undefined;
      let release = (): void => undefined;
      const reached = new Promise<void>((done) => (arrived = done));
      const released = new Promise<void>((done) => (release = done));
      holds.push({ match, arrived, released });
      return { reached, release };
    },
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** The bearer token of a request, if any. */
export const bearer = (r: RecordedRequest): string | undefined => {
  const h = r.headers.authorization;
  const m = typeof h === 'string' ? /^Bearer (.+)$/.exec(h) : null;
  return m?.[1];
};

/** A clock for library tests: sleeping moves it forward, so deadlines pass without real waiting. */
export function fakeClock(start = Date.UTC(2026, 11, 1, 12)): { now: () => number; sleep: (ms: number) => Promise<void>; waits: number[] } {
  let t = start;
  const waits: number[] = [];
  return {
    now: () => t,
    waits,
    sleep: async (ms) => {
      waits.push(ms);
      t += ms;
    },
  };
}

/** The RollbackKitError a promise rejects with (the test fails if it resolves or rejects otherwise). */
export async function failure(p: Promise<unknown>): Promise<RollbackKitError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RollbackKitError);
  return err as RollbackKitError;
}
