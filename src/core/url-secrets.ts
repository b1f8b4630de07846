/**
 * The secrets inside a URL: a user name and password (`https://admin:pw@host`), and query or
 * fragment values whose names say secret (`?token=…`, `?x-vercel-protection-bypass=…`), or all of
 * them for a URL whose query is the credential (a webhook's). Every URL input of every action goes
 * through here before anything can print it, and requests never carry userinfo: it is sent as an
 * Authorization header instead (fetch refuses URLs with credentials).
 */
import { libpqPairs } from './libpq-pairs.js';
import type { Log } from './log.js';

/**
 * The one list, for query and fragment parameters and for headers alike. `key` as a whole name or
 * the last word of one (`api_key`, `access_key`, `x-functions-key`, `ocp-apim-subscription-key`),
 * and `code`: an Azure Functions key (`?code=`) or an OAuth authorization code. `auth` only as a
 * whole word (`auth`, `x-auth`, `oauth_verifier`) or in `authorization` and `authkey`: `?author=` is ordinary.
 */
const SENSITIVE_NAME = /(?:^|[-_.])o?auth(?:[-_.]|$)|authori[sz]ation|auth[-_]?(?:key|code)|cookie|token|secret|passw|^pass$|^pwd$|api[-_]?key|apikey|accesskey|(^|[-_.])key$|^code$|signature|^sig$|session|credential|bypass/i;
/** Names that look sensitive but carry a switch: Vercel's `x-vercel-set-bypass-cookie=true|samesitenone`. */
const NOT_SENSITIVE = /^x-vercel-set-bypass-cookie$/i;

/** Whether a header, query or fragment parameter of this name carries a secret. */
export function isSensitiveName(name: string): boolean {
  return SENSITIVE_NAME.test(name) && !NOT_SENSITIVE.test(name);
}

/**
 * A URL password that stands for one: already hidden, the word itself in an example
 * (`postgres://user:password@host`), or a shell variable. A real password we were given is hidden
 * before this list runs (Log.redact), whatever it is.
 */
const PLACEHOLDER = /^(?:\*\*\*|password|pass|passwd|pw)$/i;
/**
 * A shell variable or substitution standing for a value: `$NAME` in capitals, `${…}` (and
 * `${{ secrets.X }}`), `$(…)`, or a lone `$` (a bare value ends at a bracket). `$ecret…` is a value.
 */
const VARIABLE = /^\$(?:[A-Z_][A-Z0-9_]*|\{.*\}|\(.*\))?$/;
export const isPlaceholder = (value: string): boolean => PLACEHOLDER.test(value) || VARIABLE.test(value);

/** `scheme://` then the authority up to its last `@`, as the WHATWG URL parser reads it. */
const USERINFO = /^[a-z][a-z0-9+.-]*:\/\/([^/?#\\]*)@/i;

const decode = (text: string): string | undefined => {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
};

/** A value as written and, when it decodes to something else, percent-decoded. */
export function decodedForms(text: string): string[] {
  const decoded = decode(text);
  return decoded === undefined || decoded === text ? [text] : [text, decoded];
}

export interface UrlSecrets {
  /** The user name and password, in every form: secrets however short (redacted, see SecretSet). */
  declared: string[];
  /** Values of sensitive-looking parameters: secrets if they look like one. */
  guessed: string[];
}

export interface UrlSecretOptions {
  /**
   * Every query and fragment parameter is a secret, whatever its name, and a part without `=`
   * (`?abc`) is a value: a webhook URL, whose whole query is its credential.
   */
  everyParameter?: boolean;
  /** Where the URL came from (`notify-webhook-url`), for the warning about a short user name or password. */
  from?: string;
}

/**
 * Every form the URL's secrets can take in text: as written, as the URL parser serialises them,
 * percent-decoded (with and without `+` as a space); Log.secret adds the re-encoded forms.
 */
export function urlSecrets(text: string, opts: UrlSecretOptions = {}): UrlSecrets {
  const declared: string[] = [];
  const guessed: string[] = [];
  let serialised: string | undefined;
  try {
    serialised = new URL(text).href;
  } catch {
    serialised = undefined;
  }
  for (const written of new Set([text, ...(serialised ? [serialised] : [])])) {
    const userinfo = USERINFO.exec(written)?.[1];
    if (userinfo) {
      const colon = userinfo.indexOf(':');
      const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
      const password = colon < 0 ? '' : userinfo.slice(colon + 1);
      // Without a password an HTTP user name is the credential (https://<token>@host); a database
      // user name alone is an identity (its password comes from PGPASSWORD, a passfile or trust).
      const userIsCredential = !/^postgres(ql)?:/i.test(written);
      const parts = password ? [userinfo, password, `${decode(user) ?? user}:${decode(password) ?? password}`] : userIsCredential ? [user] : [];
      for (const part of parts) declared.push(...decodedForms(part));
    }
    for (const part of rawParts(written)) {
      const eq = part.indexOf('=');
      const name = eq < 0 ? part : part.slice(0, eq);
      const value = eq < 0 ? part : part.slice(eq + 1);
      const secret = opts.everyParameter || (eq > 0 && isSensitiveName(decode(name) ?? name));
      if (!secret || !value) continue;
      guessed.push(value, ...[decode(value), decode(value.replace(/\+/g, ' '))].filter((d): d is string => d !== undefined));
    }
  }
  // Only HTTP sends userinfo as Basic authorization; a database URL never does.
  const basic = /^https?:/i.test(text.trim()) ? basicAuthorization(text) : undefined;
  if (basic) declared.push(basic, basic.slice('Basic '.length));
  return { declared: [...new Set(declared)], guessed: [...new Set(guessed)] };
}

export function registerUrlSecrets(text: string | undefined, log: Log, opts: UrlSecretOptions = {}): void {
  if (!text) return;
  const found = urlSecrets(text, opts);
  for (const value of found.declared) log.secret(value, 'declared', opts.from && `the user name or password in ${opts.from}`);
  for (const value of found.guessed) log.secret(value, 'guessed');
}

/**
 * Registers every form the webhook URL's secrets can take: the whole URL, its path and query (the
 * credential of Slack's and Discord's URLs), path segments that look like tokens, and through
 * registerUrlSecrets every query and fragment value raw and decoded (the whole URL is a secret,
 * whatever a parameter is called, `?abc` too), the user name, password and the Basic authorization
 * value sent for them. A receiver that echoes any of them (a 401 page quoting what it got) is then
 * redacted.
 */
export function registerWebhookSecrets(webhookUrl: string, log: Log): void {
  log.secret(webhookUrl);
  const text = webhookUrl.trim();
  log.secret(text);
  // Short or common values (`?v=2`, `?format=json`) are no secret; as guessed ones they are dropped.
  registerUrlSecrets(text, log, { everyParameter: true, from: 'notify-webhook-url' });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return;
  }
  log.secret(url.href);
  // Guessed, not declared: only part of what was given, so a short one (`/hook`) is no secret
  // of its own (the whole URL is registered above), and no warning blames the user for it.
  log.secret(`${url.pathname}${url.search}`, 'guessed');
  // Slack's T…/B…/token and Discord's id/token: a long segment with letters and digits is a token,
  // "services" or "webhooks" is not (masking those would hide ordinary words in the whole job log).
  for (const segment of url.pathname.split('/')) {
    if (segment.length >= 16 && /[a-z]/i.test(segment) && /\d/.test(segment)) for (const form of decodedForms(segment)) log.secret(form);
  }
}

/** A connection string written as a URL (`postgres://` or `postgresql://`), not as key=value pairs. */
export const POSTGRES_URL = /^postgres(ql)?:\/\//i;

/**
 * The secrets of a PostgreSQL connection string, as a URL or as libpq's key=value pairs: the whole
 * string, and the password in every form (a command may print it alone). Text that is neither form
 * registers as a whole only: whoever reads it as a connection refuses it then.
 */
export function registerConnectionSecrets(text: string | undefined, log: Log, from = 'the connection string'): void {
  const trimmed = text?.trim();
  if (!trimmed) return;
  log.secret(trimmed);
  if (POSTGRES_URL.test(trimmed)) {
    registerUrlSecrets(trimmed, log, { from });
    return;
  }
  let password: string | undefined;
  try {
    password = libpqPairs(trimmed).password;
  } catch {
    return;
  }
  log.secret(password, 'declared', `the password in ${from}`);
}

/** The `&`-separated parts of the query and the fragment (`name=value`, or a bare `abc`), exactly as written. */
function rawParts(text: string): string[] {
  const hash = text.indexOf('#');
  const question = text.indexOf('?');
  const query = question >= 0 && (hash < 0 || question < hash) ? text.slice(question + 1, hash > question ? hash : undefined) : '';
  const fragment = hash >= 0 ? text.slice(hash + 1) : '';
  return [...query.split('&'), ...fragment.split('&')].filter((part) => part !== '');
}

/** The URL's user name and password as an HTTP Basic Authorization value, percent-decoded as curl does. */
function basicAuthorization(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (!url.username && !url.password) return undefined;
  const credentials = `${decode(url.username) ?? url.username}:${decode(url.password) ?? url.password}`;
  return `Basic ${Buffer.from(credentials).toString('base64')}`;
}

/**
 * Splits a URL into what is requested and printed (no userinfo) and the Basic Authorization value
 * its userinfo stands for. A URL without userinfo comes back unchanged.
 */
export function splitCredentials(text: string): { url: string; authorization?: string } {
  const authorization = basicAuthorization(text);
  if (!authorization) return { url: text };
  const url = new URL(text);
  url.username = '';
  url.password = '';
  return { url: url.href, authorization };
}

/**
 * Chat webhooks whose path is the credential (anyone holding it can post): Slack's
 * `/services/T…/B…/<secret>` (and workflow triggers), Discord's `/api/webhooks/<id>/<token>`, Teams'
 * `<tenant>.webhook.office.com/webhookb2/…` (and the older outlook.office.com form). Everything
 * after the prefix is hidden; Teams' newer Power Automate URLs carry theirs in `?sig=`, a sensitive name.
 */
const WEBHOOK_PATHS: { host: RegExp; prefix: RegExp }[] = [
  { host: /(^|\.)hooks\.slack\.com$/i, prefix: /^\/(?:services|workflows|triggers)\//i },
  { host: /(^|\.)discord(?:app)?\.com$/i, prefix: /^\/api\/(?:v\d+\/)?webhooks\//i },
  { host: /(^|\.)webhook\.office\.com$|(^|\.)outlook\.office(?:365)?\.com$/i, prefix: /^\/webhook(?:b2)?\//i },
];

/** `scheme://authority` and the rest, for text that may not be a valid URL. */
const AUTHORITY = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#\\]*)/i;

function hideWebhookPath(text: string): string {
  const head = AUTHORITY.exec(text);
  if (!head) return text;
  const host = head[2]!.slice(head[2]!.lastIndexOf('@') + 1).replace(/:\d*$/, '');
  const rest = text.slice(head[0].length);
  for (const { host: h, prefix } of WEBHOOK_PATHS) {
    const p = h.test(host) ? prefix.exec(rest) : null;
    if (!p) continue;
    // The path after the prefix, up to the query or fragment (kept: their sensitive values are hidden by name).
    const end = rest.slice(p[0].length).search(/[?#]/);
    return `${head[0]}${p[0]}***${end < 0 ? '' : rest.slice(p[0].length + end)}`;
  }
  return text;
}

/**
 * A URL fit for an error message about that very URL, when its secrets may not be registered yet:
 * no userinfo, sensitive parameter values shown as `***`, a chat webhook's secret path as `***`.
 * Works on text that is not a valid URL. `keepUserinfo`: leave the userinfo to the caller (the
 * Log's shapes show `user:***@`, keeping who it was).
 */
export function displayUrl(text: string, opts: { keepUserinfo?: boolean } = {}): string {
  const noUserinfo = opts.keepUserinfo ? text : text.replace(USERINFO, (match, userinfo: string) => match.slice(0, match.length - userinfo.length - 1));
  // The name holds no `?`: each `?` would otherwise start a scan to the URL's end, quadratic on `?????…`.
  const params = noUserinfo.replace(/([?&#])([^=&#?]+)=([^&#]*)/g, (match, sep: string, name: string, value: string) =>
    isSensitiveName(decode(name) ?? name) && value !== '' && value !== '***' ? `${sep}${name}=***` : `${sep}${name}=${hideEncodedSecrets(value)}`,
  );
  return hideWebhookPath(params);
}

/** How many times a value is percent-decoded looking for a URL inside it (`%3A`, `%253A`, `%25253A`). */
const MAX_ENCODINGS = 3;
const HEX = /^[0-9A-Fa-f]{2}$/;

/**
 * `text` with its ASCII escapes (`%3A`, `%2f`) decoded once, and for each character where it was
 * written in the original (`at`, one longer than the text: the end maps to the end).
 */
function decodeOnce(text: string, at: number[]): { text: string; at: number[] } {
  let out = '';
  const map: number[] = [];
  for (let i = 0; i < text.length; ) {
    const code = text[i] === '%' && HEX.test(text.slice(i + 1, i + 3)) ? parseInt(text.slice(i + 1, i + 3), 16) : -1;
    map.push(at[i]!);
    if (code >= 0 && code < 0x80) {
      out += String.fromCharCode(code);
      i += 3;
    } else {
      out += text[i];
      i++;
    }
  }
  map.push(at[text.length]!);
  return { text: out, at: map };
}

/**
 * A URL's password, and a query or fragment value under a sensitive name, in decoded text. A value
 * ends at a `?` too: in `redirect_uri=https://h/?token=…` the URL inside is a value, and its query
 * is read as well.
 */
const INNER_PASSWORD = /:\/\/[^\s/?#@:"'<>\\]*:([^\s/?#@"'<>\\]+)@/g;
const INNER_PARAMETER = /(?:^|[?&#;])([^=&#?;]+)=([^&#;?]*)/g;

/**
 * A query value holding a URL percent-encoded once or more (`?next=https%3A%2F%2Fuser%3Apw%40db%2F%3Ftoken%3D…`):
 * the inner URL's password and sensitive parameters hidden where they are written, encoded as
 * they are; the rest stays as written. Each decoding is one pass, at most MAX_ENCODINGS of them.
 */
function hideEncodedSecrets(value: string): string {
  if (!value.includes('%')) return value;
  const hide: [number, number][] = [];
  let level = { text: value, at: Array.from({ length: value.length + 1 }, (_v, i) => i) };
  for (let n = 0; n < MAX_ENCODINGS && level.text.includes('%'); n++) {
    const next = decodeOnce(level.text, level.at);
    if (next.text === level.text) break;
    level = next;
    const { text, at } = level;
    for (const m of text.matchAll(INNER_PASSWORD)) {
      const start = m.index + m[0].length - 1 - m[1]!.length;
      if (!isPlaceholder(m[1]!)) hide.push([at[start]!, at[start + m[1]!.length]!]);
    }
    for (const m of text.matchAll(INNER_PARAMETER)) {
      const [whole, name, inner] = m as unknown as [string, string, string];
      if (inner === '' || inner === '***' || !isSensitiveName(name)) continue;
      const start = m.index + whole.length - inner.length;
      hide.push([at[start]!, at[start + inner.length]!]);
    }
  }
  if (hide.length === 0) return value;
  hide.sort((a, b) => a[0] - b[0]);
  let out = '';
  let done = 0;
  for (const [start, end] of hide) {
    if (end <= done) continue;
    out += `${value.slice(done, Math.max(done, start))}${start >= done ? '***' : ''}`;
    done = end;
  }
  return out + value.slice(done);
}

/** How far back from a `://` a scheme is looked for: schemes are short, and the bound keeps the scan linear. */
const MAX_SCHEME = 32;
const SCHEME_CHAR = /[A-Za-z0-9+.-]/;
/** Where a URL written in free text ends: white space, quotes and angle brackets. */
const URL_END = /[\s"'<>`]/;
/** Closing brackets, each with its opening one. */
const CLOSERS: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

/** Punctuation that ends a sentence or a clause, not a URL written in it (`see https://h/?token=….`). */
const TRAILING = /[.,;:!?]/;

/**
 * Where a URL written in free text ends once what follows it is left out: the closing brackets it
 * does not open, and the punctuation of the sentence around it. `(https://h/x?api_key=…)` ends
 * before the `)`, which the text around it opened, so that a parameter's hidden value does not take
 * the bracket with it (`…?api_key=***)`). A bracket the URL itself opens stays its own
 * (`https://h/wiki/A_(b)`). Counted once, so linear on any run of brackets.
 */
function ownEnd(text: string, start: number, end: number): number {
  const last = text[end - 1]!;
  if (!CLOSERS[last] && !TRAILING.test(last)) return end;
  const open: Record<string, number> = { '(': 0, '[': 0, '{': 0 };
  const close: Record<string, number> = { ')': 0, ']': 0, '}': 0 };
  for (let i = start; i < end; i++) {
    const c = text[i]!;
    if (c in open) open[c]!++;
    else if (c in close) close[c]!++;
  }
  while (end > start) {
    const c = text[end - 1]!;
    const opener = CLOSERS[c];
    if (opener && close[c]! > open[opener]!) close[c]!--;
    else if (!TRAILING.test(c)) break;
    end--;
  }
  return end;
}

/**
 * Free text with every URL in it shown as displayUrl shows one: no userinfo, sensitive parameter
 * values and a chat webhook's path as `***`. The Log's shapes (token-shapes.ts) run it on every line
 * with `keepUserinfo`, since any free text (a program's output, an API error, the reason a person
 * typed) can hold a signed URL we were never given; the command provider's lines (Log.programLines)
 * drop the userinfo of their URLs whole (an HTTP user name alone can be the credential). Linear: each `://`
 * is found once, its scheme looked for a bounded way back, and the text between URLs read once for
 * its brackets. A closing bracket after a URL that the URL does not open is the text's, not the URL's
 * (ownEnd), and so is the punctuation after it; but when a hidden value runs to where the URL ends,
 * what ownEnd left out may be the value's own (`?token=s3cr3t!!`), and is hidden with it (secretEnd).
 */
export function hideUrlSecrets(text: string, opts: { keepUserinfo?: boolean } = {}): string {
  let at = text.indexOf('://');
  if (at === -1) return hideEncodedUrls(text);
  let out = '';
  let done = 0;
  /** The brackets the text outside URLs opened and has not closed, read up to `read`. */
  const opened: Record<string, number> = { '(': 0, '[': 0, '{': 0 };
  let read = 0;
  while (at !== -1) {
    let start = at;
    while (start > done && at - start < MAX_SCHEME && SCHEME_CHAR.test(text[start - 1]!)) start--;
    while (start < at && !/[A-Za-z]/.test(text[start]!)) start++;
    let end = at + 3;
    while (end < text.length && !URL_END.test(text[end]!)) end++;
    if (start < at) {
      for (; read < start; read++) countBracket(opened, text[read]!);
      const own = ownEnd(text, start, end);
      let shown = displayUrl(text.slice(start, own), opts);
      let until = own;
      if (own < end && shown.endsWith('***') && !text.slice(start, own).endsWith('***')) {
        until = secretEnd(text, own, end, opened);
        shown = displayUrl(text.slice(start, until), opts);
      }
      out += text.slice(done, start) + shown;
      done = until;
      read = until;
    }
    at = text.indexOf('://', end);
  }
  return hideEncodedUrls(out + text.slice(done));
}

/** An opening bracket counted, a closing one closing the one it pairs with, if open. */
function countBracket(opened: Record<string, number>, c: string): void {
  if (c in opened) opened[c]!++;
  else if (CLOSERS[c] && opened[CLOSERS[c]]! > 0) opened[CLOSERS[c]]!--;
}

/**
 * Where a hidden value that runs to a URL's own end (ownEnd) ends, when the characters ownEnd left
 * out (`cut`, from `own` to `end`) may be its own: a secret never shows a character of itself, so
 * they are hidden with it, but for what is plausibly the text's. That is a closing bracket the text
 * opened before the URL (`(see https://h/?token=…)`), and all after it; or, with none, a single `.`
 * or `,` at the end followed by white space or the end of the text (the end of a sentence). Every
 * other `!`, `?`, `;`, `:`, bracket and further `.` is taken as the value's (`?token=s3cr3t!!`,
 * `?password=hunter2)`).
 */
function secretEnd(text: string, own: number, end: number, opened: Record<string, number>): number {
  for (let i = own; i < end; i++) {
    const opener = CLOSERS[text[i]!];
    if (opener && opened[opener]! > 0) return i;
  }
  const last = text[end - 1]!;
  return (last === '.' || last === ',') && (end === text.length || /\s/.test(text[end]!)) ? end - 1 : end;
}

/** `://` percent-encoded once or more (`%3A%2F%2F`, `%253A%252F%252F`). */
const ENCODED_SCHEME = /%(?:25)*3A%(?:25)*2F%(?:25)*2F/gi;

/**
 * A percent-encoded URL written outside any URL (`redirect_uri=https%3A%2F%2Fu%3Apw%40h…` in a
 * log line): the run of text around it read as hideEncodedSecrets reads a query value. A run with
 * a `://` in it was read as a URL already. Each run is read once.
 */
function hideEncodedUrls(text: string): string {
  const re = new RegExp(ENCODED_SCHEME);
  let out = '';
  let done = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    let start = m.index;
    while (start > done && !URL_END.test(text[start - 1]!)) start--;
    let end = m.index + m[0].length;
    while (end < text.length && !URL_END.test(text[end]!)) end++;
    const run = text.slice(start, end);
    out += text.slice(done, start) + (run.includes('://') ? run : hideEncodedSecrets(run));
    done = end;
    re.lastIndex = end;
  }
  return out + text.slice(done);
}
