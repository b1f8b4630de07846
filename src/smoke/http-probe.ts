/**
 * One HTTP request of a check: sent with a timeout, redirects followed by hand (on the check's own
 * origin, or one it allows; the bypass token and the check's own headers never travel to another
 * origin), the body read up to a cap, and network failures named (refused, DNS, timeout) instead
 * of "fetch failed".
 */
import type { Log } from '../core/log.js';
import { blockedPortText, isBlockedPortError } from '../core/blocked-port.js';
import { readCapped } from '../core/read-body.js';
import { splitCredentials } from '../core/url-secrets.js';
import { assertResponse, DEADLINE_FAILURE } from './assertions.js';
import { CheckConfigError } from './config-error.js';
import { inRange, timeoutSetting, type HttpCheck } from './spec.js';

export type NetworkFailure = 'refused' | 'dns' | 'timeout' | 'reset' | 'tls' | 'deadline' | 'other';

export interface Sample {
  ok: boolean;
  ms: number;
  status?: number;
  /** Why the sample failed: assertion failures or one network failure. */
  failures: string[];
  /** Set when no response came back at all; 'deadline' also when the overall deadline cut a body short. */
  network?: NetworkFailure;
}

export interface ProbeOptions {
  timeoutMs: number;
  /** The overall deadline: aborts the request and marks the sample as cut short. */
  deadline?: AbortSignal;
  /** The same deadline as a performance.now() time, for work a signal cannot stop (regex matching). */
  deadlineAt?: number;
  bypassToken?: string;
  /** The only origins the bypass token goes to: base-url's and baseline-url's. */
  bypassOrigins?: string[];
  /** Basic Authorization from the URL's userinfo; an Authorization header the check sets wins. */
  credentials?: string;
  /** Redacts response text before failure lines cut it. */
  log: Pick<Log, 'excerpt'>;
}

export const BYPASS_HEADER = 'x-vercel-protection-bypass';
const MAX_REDIRECTS = 5;
/** Assertions see at most this much body; a health endpoint that sends more is read no further. */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;

export async function probeHttp(check: HttpCheck, url: string, opts: ProbeOptions): Promise<Sample> {
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.deadline ? AbortSignal.any([timeout, opts.deadline]) : timeout;
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  try {
    let origin = new URL(url).origin;
    let current = url;
    let method = check.method;
    let body = check.body;
    let redirectedBy: number | undefined;
    for (let hop = 0; ; hop++) {
      const sameOrigin = new URL(current).origin === origin;
      const headers: Record<string, string> = sameOrigin ? { ...check.headers } : {};
      if (sameOrigin && opts.bypassToken && opts.bypassOrigins?.some((o) => o === origin || isHttpsUpgrade(o, origin))) headers[BYPASS_HEADER] = opts.bypassToken;
      if (sameOrigin && opts.credentials && !Object.keys(headers).some((h) => h.toLowerCase() === 'authorization')) headers.authorization = opts.credentials;
      const sent = await send(check, current, { method, headers, body, redirect: 'manual', signal }, hop);
      if ('refused' in sent) return { ok: false, ms: elapsed(), status: redirectedBy, failures: [`redirected (${redirectedBy}) to ${new URL(current).host}, which cannot be requested: ${sent.refused}`] };
      const res = sent.response;
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location && hop < MAX_REDIRECTS) {
        const next = redirectTarget(location, current, origin, check);
        if (typeof next === 'string') {
          await res.body?.cancel().catch(() => undefined);
          // The same host over https is still the check's own service: its headers go along.
          if (isHttpsUpgrade(origin, next)) origin = new URL(next).origin;
          current = next;
          redirectedBy = res.status;
          // 303, and 301/302 after a POST, turn into a GET as browsers do.
          if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
            method = 'GET';
            body = undefined;
          }
          continue;
        }
        // Not followed: a check that accepts this status judges the redirect itself; any other fails saying where it was sent.
        if (!check.status.some((r) => inRange(res.status, r))) {
          await res.body?.cancel().catch(() => undefined);
          return { ok: false, ms: elapsed(), status: res.status, failures: [`redirected (${res.status}) ${next.notFollowed}`] };
        }
      }
      let read: { text: string; cut: boolean };
      try {
        read = method === 'HEAD' ? { text: '', cut: false } : await readCapped(res, MAX_BODY_BYTES);
      } catch (err) {
        // The service answered (status and headers came back): a body that stalls or breaks off is a
        // failed check, never an unreachable service. Only the overall deadline is our own doing: the
        // sample is cut short as one still waiting for its answer is (no latency, not unreachable),
        // and says what the service had done by then.
        const network = classify(err, timeout, opts.deadline);
        const failures = [describeBodyFailure(network, err, res.status, timeoutWords(check, opts), current)];
        return { ok: false, ms: elapsed(), status: res.status, failures, ...(network === 'deadline' ? { network } : {}) };
      }
      const { text, cut } = read;
      const ms = elapsed();
      const matchBudgetMs = opts.deadlineAt === undefined ? undefined : opts.deadlineAt - performance.now();
      const failures = assertResponse(check, { status: res.status, headers: res.headers, body: text, bodyCutAt: cut ? MAX_BODY_BYTES : undefined, ms }, opts.log, { matchBudgetMs });
      return { ok: failures.length === 0, ms, status: res.status, failures };
    }
  } catch (err) {
    if (err instanceof CheckConfigError) throw err;
    const network = classify(err, timeout, opts.deadline);
    return { ok: false, ms: elapsed(), failures: [describeFailure(network, err, timeoutWords(check, opts), url)], network };
  }
}

/**
 * Where a redirect may lead: the URL to request next, or why it is not followed. Only http(s) on
 * the check's own origin, or on an origin the check lists in redirect-origins: a redirect
 * elsewhere is most often a sign-in page answering for a service that is not there, and a data:
 * URL would let the response judge itself.
 */
function redirectTarget(location: string, current: string, origin: string, check: HttpCheck): string | { notFollowed: string } {
  let next: URL;
  try {
    next = new URL(location, current);
  } catch {
    return { notFollowed: 'with a Location that is not a URL, so it was not followed' };
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') return { notFollowed: `to a URL that is not http(s) (${next.protocol}), which is never followed` };
  if (next.origin !== origin && !isHttpsUpgrade(origin, next.href) && !check.redirectOrigins.includes(next.origin)) {
    return {
      notFollowed: `to ${next.origin}${next.pathname}, another origin than the check's ${origin} (a sign-in page?), so it was not followed; if that redirect is expected, list ${next.origin} in the check's redirect-origins, or accept its status (status: 3xx)`,
    };
  }
  // A Location with userinfo would make fetch refuse (and print it): it is dropped, never sent.
  return splitCredentials(next.href).url;
}

/** http://host to https://host on the default ports: a service moving its own callers to TLS, not another origin. */
export function isHttpsUpgrade(origin: string, target: string): boolean {
  const from = new URL(origin);
  const to = new URL(target);
  return from.protocol === 'http:' && to.protocol === 'https:' && from.hostname === to.hostname && from.port === '' && to.port === '';
}

/**
 * fetch, with the requests it refuses to send told apart from the ones that got no answer: a port
 * the Fetch standard blocks (10080, 6000, …: "bad port"), a scheme it cannot send, a URL it cannot
 * use, a header it cannot carry. For the check's own URL nothing went over the network, so the
 * service's health is unknown: a CheckConfigError, never an outage. For a redirect's URL the
 * service did answer, with a redirect that cannot be followed: a failed sample, named as such.
 * Network failures carry a code (ECONNREFUSED, UND_ERR_SOCKET, …); fetch's own refusals do not.
 */
async function send(check: HttpCheck, url: string, init: RequestInit, hop: number): Promise<{ response: Response } | { refused: string }> {
  try {
    return { response: await fetch(url, init) };
  } catch (err) {
    const why = refusal(err, new URL(url));
    if (!why) throw err;
    // Only the check's own URL is the spec's: a redirect fetch cannot follow is what the service answered.
    if (hop > 0) return { refused: why };
    throw new CheckConfigError(
      `The HTTP check "${check.name}" cannot be sent: ${why}, so no request went out`,
      'Point the check at a URL fetch can send (another port, http or https, no user name or password in it, header values on one line), or put a proxy in front.',
    );
  }
}

function refusal(err: unknown, url: URL): string | undefined {
  if (!(err instanceof TypeError)) return undefined;
  const cause = err.cause as { code?: string; message?: string } | undefined;
  if (cause?.code === 'ERR_INVALID_URL') return `fetch cannot parse the URL for ${url.host}`;
  if (cause && cause.code !== undefined) return undefined;
  const message = cause?.message ?? err.message;
  if (isBlockedPortError(err)) return blockedPortText(url);
  if (message === 'unknown scheme') return `fetch cannot send ${url.protocol} URLs`;
  if (/credentials/i.test(message)) return `fetch refuses a URL with a user name or password (for ${url.host})`;
  if (/header/i.test(message)) return 'fetch refuses one of its headers (a name or value it cannot send)';
  // The message may quote the URL or a header value: name the refusal, not the text.
  return `fetch refused to build the request for ${url.host}`;
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

/** `timeout`: how long the request was given and by which setting, "10 s (timeout-seconds)". */
function describeFailure(kind: NetworkFailure, err: unknown, timeout: string, url: string): string {
  const host = new URL(url).host;
  switch (kind) {
    case 'refused':
      return `connection refused by ${host}`;
    case 'dns':
      return `host ${new URL(url).hostname} not found (DNS)`;
    case 'timeout':
      return `no answer from ${host} within ${timeout}`;
    case 'reset':
      return `connection to ${host} closed before the response ended`;
    case 'tls':
      return `TLS error with ${host}: ${causeMessage(err)}`;
    case 'deadline':
      return `no answer from ${host} yet when it was ${DEADLINE_FAILURE}`;
    default:
      return `request to ${host} failed: ${causeMessage(err)}`;
  }
}

/** How long a request was given and by which setting: "10 s (timeout-seconds)". */
function timeoutWords(check: HttpCheck, opts: ProbeOptions): string {
  return `${opts.timeoutMs / 1000} s (${timeoutSetting(check)})`;
}

/** A response whose status and headers came back but whose body did not: what the service did, not "no answer". */
function describeBodyFailure(kind: NetworkFailure, err: unknown, status: number, timeout: string, url: string): string {
  const answered = `${new URL(url).host} answered ${status}`;
  switch (kind) {
    case 'timeout':
      return `${answered}, but its body did not finish within ${timeout}`;
    case 'deadline':
      return `${answered}, but its body had not finished when it was ${DEADLINE_FAILURE}`;
    case 'reset':
      return `${answered}, but closed the connection before its body ended`;
    default:
      return `${answered}, but reading its body failed: ${causeMessage(err)}`;
  }
}

function causeMessage(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string } };
  return e?.cause?.message ?? e?.message ?? String(err);
}
