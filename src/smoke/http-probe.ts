/**
 * One HTTP request of a check: sent with a timeout, redirects followed by hand so that the bypass
 * token and the check's own headers never travel to another origin, the body read up to a cap, and
 * network failures named (refused, DNS, timeout) instead of "fetch failed".
 */
import type { Log } from '../core/log.js';
import { splitCredentials } from '../core/url-secrets.js';
import { assertResponse } from './assertions.js';
import type { HttpCheck } from './spec.js';

export type NetworkFailure = 'refused' | 'dns' | 'timeout' | 'reset' | 'tls' | 'deadline' | 'other';

export interface Sample {
  ok: boolean;
  ms: number;
  status?: number;
  /** Why the sample failed: assertion failures or one network failure. */
  failures: string[];
  /** Set when no response came back at all. */
  network?: NetworkFailure;
}

export interface ProbeOptions {
  timeoutMs: number;
  /** The overall deadline: aborts the request and marks the sample as cut short. */
  deadline?: AbortSignal;
  bypassToken?: string;
  /** Basic Authorization from the URL's userinfo; an Authorization header the check sets wins. */
  credentials?: string;
  /** Redacts response text before failure lines cut it. */
  log: Pick<Log, 'excerpt'>;
}

export const BYPASS_HEADER = 'x-vercel-protection-bypass';
const MAX_REDIRECTS = 5;
/** Assertions see at most this much body; a health endpoint that sends more is read no further. */
const MAX_BODY_BYTES = 5 * 1024 * 1024;

export async function probeHttp(check: HttpCheck, url: string, opts: ProbeOptions): Promise<Sample> {
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.deadline ? AbortSignal.any([timeout, opts.deadline]) : timeout;
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  try {
    const origin = new URL(url).origin;
    let current = url;
    let method = check.method;
    let body = check.body;
    for (let hop = 0; ; hop++) {
      const sameOrigin = new URL(current).origin === origin;
      const headers: Record<string, string> = sameOrigin ? { ...check.headers } : {};
      if (sameOrigin && opts.bypassToken) headers[BYPASS_HEADER] = opts.bypassToken;
      if (sameOrigin && opts.credentials && !Object.keys(headers).some((h) => h.toLowerCase() === 'authorization')) headers.authorization = opts.credentials;
      const res = await fetch(current, { method, headers, body, redirect: 'manual', signal });
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location && hop < MAX_REDIRECTS) {
        await res.body?.cancel().catch(() => undefined);
        // A Location with userinfo would make fetch refuse (and print it): it is dropped, never sent.
        current = splitCredentials(new URL(location, current).toString()).url;
        // 303, and 301/302 after a POST, turn into a GET as browsers do.
        if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
          method = 'GET';
          body = undefined;
        }
        continue;
      }
      const text = method === 'HEAD' ? '' : await readCapped(res);
      const ms = elapsed();
      const failures = assertResponse(check, { status: res.status, headers: res.headers, body: text, ms }, opts.log);
      return { ok: failures.length === 0, ms, status: res.status, failures };
    }
  } catch (err) {
    const network = classify(err, timeout, opts.deadline);
    return { ok: false, ms: elapsed(), failures: [describeFailure(network, err, opts.timeoutMs, url)], network };
  }
}

async function readCapped(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size >= MAX_BODY_BYTES) {
      await reader.cancel().catch(() => undefined);
      break;
    }
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

function classify(err: unknown, timeout: AbortSignal, deadline: AbortSignal | undefined): NetworkFailure {
  if (deadline?.aborted) return 'deadline';
  if (timeout.aborted) return 'timeout';
  const cause = (err as { cause?: { code?: string } })?.cause;
  const code = cause?.code ?? (err as { code?: string })?.code ?? '';
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'dns';
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'timeout';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return 'reset';
  if (/CERT|TLS|SSL/.test(code)) return 'tls';
  return 'other';
}

function describeFailure(kind: NetworkFailure, err: unknown, timeoutMs: number, url: string): string {
  const host = new URL(url).host;
  switch (kind) {
    case 'refused':
      return `connection refused by ${host}`;
    case 'dns':
      return `host ${new URL(url).hostname} not found (DNS)`;
    case 'timeout':
      return `no answer from ${host} within ${timeoutMs / 1000} s`;
    case 'reset':
      return `connection to ${host} closed before the response ended`;
    case 'tls':
      return `TLS error with ${host}: ${causeMessage(err)}`;
    case 'deadline':
      return 'cut short by the overall deadline (deadline-seconds)';
    default:
      return `request to ${host} failed: ${causeMessage(err)}`;
  }
}

function causeMessage(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string } };
  return e?.cause?.message ?? e?.message ?? String(err);
}
