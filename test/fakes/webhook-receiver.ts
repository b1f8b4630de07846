/**
 * A local stand-in for a Slack-compatible incoming webhook. Like Slack it answers 200 "ok" to a
 * JSON body with `text` or `blocks`, 400 "invalid_payload" to anything else, and 404 "no_service"
 * on a path it does not know (a revoked webhook). Its URL carries a secret-looking path, as real
 * webhook URLs do, so tests can check it never reaches a log. It can be told to fail the next N
 * posts (500 by default), to hang past the sender's timeout, or be "down" (nothing listens). It can
 * also refuse posts with a 401 page that quotes the credentials it got, as some proxies and debug
 * pages do: every query value raw, the Authorization header, and the user:password it stands for.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface WebhookPost {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  /** The parsed JSON body, or undefined when it was not JSON. */
  json?: unknown;
}

export interface WebhookReceiver {
  /** The full webhook URL, secret path included. */
  url: string;
  /** The secret part of the URL, to search logs for. */
  secretPath: string;
  /** Every post, delivered or not. */
  requests: WebhookPost[];
  /** Bodies of the posts answered 200, in order. */
  delivered: unknown[];
  /** The next `times` posts answer `status` (500 by default). */
  failNext(times: number, status?: number, headers?: Record<string, string>): void;
  /** The next `times` posts are never answered (past any sender's timeout); `reached` is called as each arrives. */
  hangNext(times: number, reached?: () => void): void;
  /** The next `times` posts answer 401 quoting the credentials they carried (query, Authorization, user:password). */
  echoCredentialsNext(times: number): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(opts: { secretPath?: string } = {}): Promise<WebhookReceiver> {
  const secretPath = opts.secretPath ?? '/services/T0001/B0002/Xq7SlackSecretToken0123456789';
  const requests: WebhookPost[] = [];
  const delivered: unknown[] = [];
  let failing = 0;
  let failStatus = 500;
  let failHeaders: Record<string, string> = {};
  let hanging = 0;
  let onHung: (() => void) | undefined;
  let echoing = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        json = undefined;
      }
      requests.push({ path, headers: req.headers, raw, json });
      const text = (status: number, body: string, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'text/html', ...headers });
        res.end(body);
      };
      if (hanging > 0) {
        hanging--;
        onHung?.();
        return; // never answers
      }
      if (echoing > 0) {
        echoing--;
        const url = new URL(req.url ?? '/', 'http://x');
        const auth = req.headers.authorization ?? '-';
        const basic = /^Basic (.+)$/.exec(auth)?.[1];
        const query = (url.search.slice(1) || '-').split('&').map((p) => p.slice(p.indexOf('=') + 1));
        return text(401, `invalid token ${query.join(' ')} for ${auth}${basic ? ` (${Buffer.from(basic, 'base64').toString()})` : ''}`);
      }
      if (failing > 0) {
        failing--;
        return text(failStatus, failStatus >= 500 ? 'internal_error' : 'rate_limited', failHeaders);
      }
      if (req.method !== 'POST' || path !== secretPath) return text(404, 'no_service');
      const body = json as { text?: unknown; blocks?: unknown } | undefined;
      if (!body || typeof body !== 'object' || (typeof body.text !== 'string' && !Array.isArray(body.blocks))) return text(400, 'invalid_payload');
      delivered.push(json);
      text(200, 'ok');
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${secretPath}`,
    secretPath,
    requests,
    delivered,
    failNext(times, status = 500, headers = {}) {
      failing = times;
      failStatus = status;
      failHeaders = headers;
    },
    hangNext(times, reached) {
      hanging = times;
      onHung = reached;
    },
    echoCredentialsNext(times) {
      echoing = times;
    },
    close: () =>
      new Promise<void>((done) => {
        // Hanging posts hold their sockets open; the receiver must always shut down.
        for (const s of sockets) s.destroy();
        server.close(() => done());
      }),
  };
}

/** A webhook URL where nothing listens (the receiver is down): connections are refused. */
export async function downWebhookUrl(secretPath = '/services/T0001/B0002/DownSecretToken987654321'): Promise<string> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return `http://127.0.0.1:${port}${secretPath}`;
}
