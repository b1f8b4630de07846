/**
 * Credentials known by their shape rather than because we were given them: what a user's rollback
 * command, a git remote or an API error body prints may hold a token rollback-kit never saw (a
 * deploy tool echoing its own GITHUB_TOKEN, an `env` dump, a debug header). The Log applies this to
 * every line after the registered secrets (Log.redact), so it reaches every log line, summary,
 * output, report file and message sent out through the one writer.
 *
 * Each shape is anchored to the start of a run of its own characters (a look-behind), so a match is
 * tried once a run and scans it once: linear on any text (test/core/linear-regexes.test.ts). What
 * says what kind of credential it was (`ghp_`, `Bearer`, a variable's name) is kept, so a reader
 * knows what to rotate.
 *
 * Vercel's account tokens have no documented prefix (24 letters and digits, like many ids), so they
 * are recognised only where something names them: an Authorization header or a `VERCEL_TOKEN=`.
 *
 * This is the one shape redactor: every free text we print or send passes through it, whether a
 * program printed it or a person typed it (the rollback's reason, which becomes an issue title and
 * chat messages), so a credential hidden in one is hidden in all.
 */
import { isCommonValue } from './secrets.js';
import { hideSqlWrites, type SqlSecretRule, sqlWriteLines as sqlLines } from './sql-writes.js';
import { hideUrlSecrets, isPlaceholder } from './url-secrets.js';

const HIDDEN = '***';

interface Shape {
  pattern: RegExp;
  /** The replacement: keeps what names the credential, hides the credential. */
  replace: (match: string, ...groups: string[]) => string;
}

/** Base64 of `user:password`, as a Basic Authorization value carries: printable text with a colon. */
function isBasicCredential(value: string): boolean {
  if (value.length % 4 !== 0) return false;
  const decoded = Buffer.from(value, 'base64').toString('latin1');
  return decoded.includes(':') && /^[\x20-\x7e]+$/.test(decoded);
}


/**
 * Names of values that are credentials, in free text. Narrower than the URL parameters' list
 * (url-secrets.ts): `code=1`, `session=3` and `author:` are ordinary there. `auth` only as a whole
 * word of the name (`auth`, `basic_auth`, `auth-key`), never `author` or `authority`; `pass` as
 * the last word of a name (`DB_PASS`, `redis-cli --pass`, keytool's `-storepass`) or glued to what
 * it is for (`SSHPASS`, as sshpass -e reads it, `PGPASS`, `ROOTPASS`), not alone (`first pass: done`)
 * nor in a word (`compass`). A session
 * only as a cookie well known to carry one (`JSESSIONID`, `PHPSESSID`, Django's `sessionid`,
 * Express's `connect.sid`, Rails' `_app_session`). `signature` as the last word of a name (AWS
 * SigV4's `Signature=` and `X-Amz-Signature=`: a signature made with the secret key lets anyone
 * replay the request until it expires).
 */
const NAMED_SECRET = /passw|pwd|secret|token|passphrase|bypass|api[-_]?key|access[-_]?key|private[-_]?key|credential|(?:^|[-_.])signature$|(?:^|[-_.])auth(?:[-_]?key)?$|[-_.]key$|(?:^|[-_.])cookie$|^(?:j|php)?sess(?:ion)?id$|^connect\.sid$|^asp\.net_sessionid$|^(?:laravel|_[a-z0-9]+)_session$|[-_.]pass$|(?:store|key|ssh|pg|db|ldap|smb|ftp|root|admin|user|mail|vnc)pass$/i;
/**
 * Names ending `_key` that name a row or a cache entry, not a credential (`primary_key: id`,
 * `cache-key: linux-npm-3f2a`): `session_key`, `signing_key` and `x-functions-key` stay secret.
 */
const NOT_A_KEY = /(?:primary|foreign|sort|partition|cache|idempotency|unique|incident|dedup(?:e|lication)?|lookup|row|group|map|hash|order)[-_.]key$/i;
/** Names whose value may be a plain number (a PIN); under `max_tokens` or `token_count` a number is a count. */
const NUMERIC_SECRET = /passw|pwd|secret|passphrase/i;
/**
 * Names whose value is where a credential is kept, not the credential: only under one is a value
 * that starts like a path (`/`, `~/`, `./`) left alone. Base64 secrets start with `/` one time in
 * 64 (`AWS_SECRET_ACCESS_KEY=/wJal…`), so a leading slash alone says nothing.
 */
const PATH_NAME = /[-_.](?:file|path|dir)$/i;
/** The shell's working directories, in capitals: a lower-case `pwd` may be a password. */
const DIR_VARIABLE = /^(?:OLD)?PWD$/;
/**
 * Names of a setting about a credential, not one: `SET password_encryption = scram-sha-256`,
 * `token_type`, `password_min_length`.
 */
const ABOUT_A_SECRET = /[-_.](?:encryption|algorithm|type|ttl|expiry|expires(?:[-_](?:in|at))?|length)$/i;
/**
 * A migration's name (`003_secret_store`, `0042_add_api_key.sql`, Flyway's `V3__add_token`): what
 * follows it is how the migration went (`3 rows`, `12ms`, `applied`), not a value.
 */
const MIGRATION_NAME = /^(?:\d+[-_]|V\d+(?:[._]\d+)*__)/;
const MIGRATION_STATUS = /^(?:\d+(?:\.\d+)?(?:ms|s|m|min|h|rows?)?|[A-Za-z]+[.,:;!?)]?)$/i;
/** Values that say something about a credential without being one. */
const NOT_A_VALUE = /^(?:…+|\.{3,}|x+|<[^>]*>|%s|optional|hidden|masked|redacted|bearer|basic|token)$/i;
/**
 * A status said about a credential (`token: expired, password: incorrect, auth: ok`, `Signature:
 * verified`, `token: refreshed`), a word and perhaps the punctuation that ends it: a plain English
 * word is rarely a secret, and these are what tools print about one.
 */
const STATUS_WORD = /^(?:expired|incorrect|invalid|valid|missing|ok|set|unset|not[-_]set|required|none|true|false|empty|revoked|wrong|present|absent|configured|provided|verified|unverified|refreshed|renewed|rotated|pending|accepted|rejected|denied|granted|failed|passed|matched|mismatch|unknown|changed|updated|generated)[.,:;!?)]?$/i;
/** The name of an environment variable or a secret (`Secret: VERCEL_TOKEN`), not its value. */
const ENV_NAME = /^[A-Z][A-Z0-9]*(?:_[A-Z][A-Z0-9]*)+$/;
/** What a count is counted in, after a number (`secret_store: 3 rows`, `token refresh: 12 ms`). */
const COUNT_UNIT = /^(?:rows?|ms|s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|days?|items?|entries|records?|files?|bytes|[KMG]i?B|times|keys?|tokens?|secrets?|chars?|characters?|attempts?|tries|left|of)$/i;
/** A capitalised word under `token:` (`Token: Vercel`): a product's name; passwords are not judged so. */
const CAPITALISED_WORD = /^[A-Z][a-z]{2,11}$/;

interface NamedForm {
  nameQuoted: boolean;
  valueQuoted: boolean;
  /** White space after the colon (`token: x`, not `user:pw`). */
  spaced: boolean;
  /** A bare `name: ` (or `--name `), where prose is written too. */
  colon: boolean;
  /** More words follow the value on its line: a sentence, not a value set alone. */
  wordsFollow: boolean;
  /** The word after the value, if one follows after white space (`3 rows`). */
  nextWord?: string;
  /** A header given to curl (`-H "X-Api-Key:k"`), where `name:value` with no space is no user and password. */
  header?: boolean;
}

const JSON_NUMBER = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * Whether `value`, written under `name`, is hidden. Left alone: a value already hidden, a
 * placeholder or common word (`$TOKEN`, `${{ secrets.X }}`, `…`, `true`, `none`), a URL or a path
 * (`token_url=https://…`; a path only under a path's name: `TOKEN_FILE=/run/token`, `PWD=/home/app`), a count
 * (`max_tokens=100`), and after a bare `name: ` (no quotes) one word of letters with more words
 * after it, which is prose (`the token: Vercel said…`, our own hints' `from a secret:
 * vercel-token: …`; a lone last word, `password: correcthorse`, is hidden), or no space at all
 * (`token:x` is a user and password, the URL shape's).
 */
function namedSecret(name: string, value: string, formOf: () => NamedForm): boolean {
  if (!value || !NAMED_SECRET.test(name) || ABOUT_A_SECRET.test(name) || NOT_A_KEY.test(name)) return false;
  if (STATUS_WORD.test(value)) return false;
  // Read only for a name that says secret: most names on a line do not, and the form scans the text after the value.
  const form = formOf();
  // A count and what it counts: `secret_store: 3 rows`, `3ms`.
  if (/^\d+(?:\.\d+)?$/.test(value) && form.nextWord !== undefined && COUNT_UNIT.test(form.nextWord)) return false;
  if (/^\d+(?:\.\d+)?(?:ms|s|min|h)$/.test(value)) return false;
  if (form.colon && form.spaced && !form.valueQuoted) {
    if (ENV_NAME.test(value)) return false;
    // `pwd: /home/runner/work` is where a script ran, as `PWD=` is.
    if (/^pwd$/i.test(name) && /^(?:\/|~\/)/.test(value)) return false;
    if (/token/i.test(name) && !NUMERIC_SECRET.test(name) && CAPITALISED_WORD.test(value)) return false;
  }
  if (MIGRATION_NAME.test(name) && MIGRATION_STATUS.test(value)) return false;
  // JSON's true, false and null, and numbers but a password's (hidden as the string "***"): a
  // bare `***` would leave JSON that no longer parses (error bodies are redacted before they are
  // read: Vercel's `"invalidToken":true`, `"token_count":3`).
  if (form.nameQuoted && !form.valueQuoted && !(NUMERIC_SECRET.test(name) && JSON_NUMBER.test(value))) return false;
  if (value.includes(HIDDEN) || isPlaceholder(value) || NOT_A_VALUE.test(value) || value.includes('://')) return false;
  if (/^(?:\/|~\/|\.\.?\/)/.test(value) && (PATH_NAME.test(name) || DIR_VARIABLE.test(name))) return false;
  if (isCommonValue(value) && !(NUMERIC_SECRET.test(name) && /^\d+$/.test(value))) return false;
  if (form.colon && !form.nameQuoted && !form.valueQuoted && ((!form.spaced && !form.header) || (form.wordsFollow && /^[A-Za-z][A-Za-z-]*[.,:;!?)]?$/.test(value)))) return false;
  return true;
}

/**
 * A word of prose after `Bearer` or a scheme (`tokens.`, `token-based`, `JWT`, `OAuth2`): a short
 * word of letters, perhaps hyphenated, or one of the acronyms written there. A real token has
 * digits, capitals inside or more length.
 */
function proseWord(value: string): boolean {
  const word = value.replace(/\.+$/, '');
  return word.length < 16 && (/^[A-Za-z][a-z]*(?:-[a-z]+)*$/.test(word) || /^(?:JWTs?|OAuth2?|OIDC|API|HTTPS?|SSO)$/.test(word));
}

/**
 * Cookie pairs: `name=value`, then `; name=value` or an attribute (`; HttpOnly`), or `, name=value`.
 * A name has none of the separators a value ends at, nor `=` or `:`, so each pair is read one way.
 * Spaces around the `=` are taken (`Cookie: sid = x`, as some clients and people write it): a value
 * starts after them, so they are read one way too.
 */
const COOKIE_NAME = `[^\\s=;,:"'\\\\/()<>@[\\]?{}]+`;
const COOKIE_VALUE = `[^\\s;,"'\\\\]*`;
const COOKIE_EQ = `[ \\t]*=[ \\t]*`;
const COOKIE_PAIRS = `${COOKIE_NAME}${COOKIE_EQ}${COOKIE_VALUE}(?:;[ \\t]*${COOKIE_NAME}(?:${COOKIE_EQ}${COOKIE_VALUE})?|,[ \\t]*${COOKIE_NAME}${COOKIE_EQ}${COOKIE_VALUE})*`;
/** Where a cookie name may start: not inside a run of a name's characters, so each run is tried once. */
const COOKIE_NAME_START = `(?<![^\\s=;,:"'\\\\/()<>@[\\]?{}])`;

/**
 * Authorization schemes (RFC 9110's registry and what APIs use: Okta's SSWS, Splunk's, Kerberos'
 * Negotiate, NTLM): kept, the credential after them hidden.
 */
const AUTH_SCHEMES = 'bearer|basic|token|bot|api-?key|key|negotiate|ntlm|kerberos|ssws|splunk|dpop|digest|oauth|aws4-hmac-sha256';
const AUTH_SCHEME = new RegExp(`^(?:${AUTH_SCHEMES})$`, 'i');

/**
 * Where a header's name may start: not inside a word, or right after curl's or wget's `-H` glued
 * to it with no space or quote (`-HAuthorization:…`, `-HCookie:…`), which getopt reads as `-H …`.
 */
const HEADER_NAME_START = `(?:(?<![A-Za-z0-9-])|(?<=(?:^|[\\s"'=])-H))`;

/**
 * What is glued to a known token with no separator: more token characters, and a `.` between them
 * (not a sentence's last `.`). Two tokens pasted together (`ghp_…ghp_…`, `xoxb-…ya29.…`) would
 * otherwise show the second one's body: the first's ended where its characters did, and the second's
 * prefix, read as part of the first, was not found at a word's start. Hidden with the first; one `*`
 * with a one-character look-ahead, so linear.
 */
const GLUED = '(?:[A-Za-z0-9_-]|\\.(?=[A-Za-z0-9_-]))*';

/** A token known by its prefix (the pattern's first group), kept; the rest and whatever is glued to it hidden. */
function prefixed(pattern: RegExp): Shape {
  return { pattern: new RegExp(`${pattern.source}${GLUED}`, pattern.flags), replace: (_m, prefix) => `${prefix}${HIDDEN}` };
}

/**
 * A dollar-quoted SQL literal (`$$…$$`, `$tag$…$tag$`) where a secret value stands, in groups: the
 * opening tag, the content (spaces and all: nothing inside is special), and the closing tag, absent
 * when the literal is cut short (a line's end), whose content is then hidden as far as it is seen.
 * The content is bounded, so a tag that never closes is read at most that far once (linear);
 * `$1` (a parameter) and `$TOKEN` open none.
 */
const DOLLAR_LITERAL = '(?<tag>\\$(?:[A-Za-z_][A-Za-z0-9_]*)?\\$)((?:(?!\\k<tag>)[^\\r\\n]){0,1000})(\\k<tag>)?';

const SHAPES: Shape[] = [
  // GitHub: personal (ghp_), OAuth (gho_), user-to-server (ghu_), installation and Actions (ghs_),
  // refresh (ghr_): 36 or more letters and digits; fine-grained personal tokens: github_pat_….
  prefixed(/(?<![A-Za-z0-9_])(gh[pousr]_)[A-Za-z0-9]{30,}/g),
  prefixed(/(?<![A-Za-z0-9_])(github_pat_)[A-Za-z0-9_]{22,}/g),
  // Slack: bot, user, app-level legacy, refresh, session and config tokens (xoxb-123-456-abc).
  prefixed(/(?<![A-Za-z0-9-])(xox[abeoprs]-)[A-Za-z0-9-]{10,}/g),
  // AWS access key ids: long-term (AKIA) and temporary (ASIA), 16 more capitals and digits, not
  // inside a longer run of capitals unless what follows is another key's prefix (two glued).
  prefixed(/(?<![A-Z0-9])(AKIA|ASIA)[A-Z0-9]{16}(?:(?![A-Z0-9])|(?=AKIA|ASIA|AIza|HRKU-|SG\.))/g),
  // A JSON Web Token (an OIDC id token, Vercel's OIDC token): base64url header and payload, both
  // JSON objects (`eyJ` is `{"`), and a signature.
  { pattern: new RegExp(`(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]*\\.eyJ[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]+${GLUED}`, 'g'), replace: () => HIDDEN },
  // An Authorization header, however quoted (`Authorization: Bearer x`, `"authorization":"token x"`,
  // and inside a JSON string, `authorization: \"Bearer x\"`): the scheme is kept, the credential
  // hidden. A backslash ends the credential: it begins an escape, which must stay whole, or the JSON
  // it is in no longer parses.
  // Left alone: a variable or a placeholder standing for the credential (`Bearer $TOKEN`,
  // `Bearer ${{ secrets.T }}`, `Bearer <token>`), a scheme with no credential (`Authorization:
  // Bearer`), the header named in prose (`the Authorization: Bearer header is missing`), and a
  // scheme's parameters (Digest's `username="a"`; Digest's `response=`, below; a secret-named one,
  // OAuth's `oauth_token=`, AWS SigV4's `Signature=`, is hidden by its name).
  {
    pattern: new RegExp(`${HEADER_NAME_START}((?:proxy-)?authorization\\\\?["']?[ \\t]*[:=][ \\t]*\\\\?["']?)(?:(${AUTH_SCHEMES})[ \\t]+)?([^\\s"',;\\\\]+)(?=([ \\t]+[A-Za-z])?)`, 'gi'),
    replace: (m, head, scheme, credential, wordAfter) => {
      if (isPlaceholder(credential) || /^\$[{(]/.test(credential) || /^<[^>]*>$/.test(credential)) return m;
      if (!scheme && (AUTH_SCHEME.test(credential) || STATUS_WORD.test(credential))) return m;
      if (scheme && /^[A-Za-z_-]+=(?:"|$)/.test(credential)) return m;
      if (scheme && wordAfter && proseWord(credential)) return m;
      return `${head}${scheme ? `${scheme} ` : ''}${HIDDEN}`;
    },
  },
  // HTTP Digest's `response=` (RFC 7616), the one auth-param computed from the password (a hash of
  // it with the nonce and the request); username, realm, nonce, uri, cnonce, qop and nc are sent in
  // the clear, and stay. Each param before it is read one way: a `,` ends every one.
  {
    pattern: /(?<![A-Za-z0-9_-])(digest[ \t]+(?:[A-Za-z0-9_-]+[ \t]*=[ \t]*(?:\\?"[^"\r\n]*"|[^\s",]*)[ \t]*,[ \t]*)*response[ \t]*=[ \t]*\\?"?)([^\s",\\]+)/gi,
    replace: (m, head, value) => (value === HIDDEN ? m : `${head}${HIDDEN}`),
  },
  // A bearer token or a Basic credential written anywhere else (curl -v, a debug dump); a Basic
  // value only when it decodes to `user:password`, so the word "Basic" in a sentence stays.
  // `Bearer: x` too. Not a word of prose ("a Bearer token", "Bearer tokens.", "a Bearer JWT"),
  // nor a challenge's parameters (`WWW-Authenticate: Bearer realm="api", error="invalid_token"`).
  {
    pattern: /(?<![A-Za-z0-9_-])(bearer(?:[ \t]*:)?[ \t]+)([A-Za-z0-9._~+/-]+=*)(?=(["A-Za-z0-9._~+/-])?)/gi,
    replace: (m, head, value, next) => {
      if (proseWord(value)) return m;
      if (next && /^[a-z_]+=$/.test(value)) return m;
      return `${head}${HIDDEN}`;
    },
  },
  { pattern: /(?<![A-Za-z0-9_-])(Basic[ \t]+)([A-Za-z0-9+/]{8,}={0,2})/g, replace: (m, head, value) => (isBasicCredential(value) ? `${head}${HIDDEN}` : m) },
  // Stripe secret and restricted keys, npm access tokens, Heroku's HRKU- tokens.
  prefixed(/(?<![A-Za-z0-9_])([sr]k_(?:live|test)_)[A-Za-z0-9]{10,}/g),
  prefixed(/(?<![A-Za-z0-9_])(npm_)[A-Za-z0-9]{30,}/g),
  prefixed(/(?<![A-Za-z0-9_-])(HRKU-)[A-Za-z0-9_-]{16,}/g),
  // Google's OAuth access tokens (`gcloud auth print-access-token`), and OpenSSL's `-passin pass:…`
  // (`env:`, `file:` and `fd:` name where the password is, and stay).
  prefixed(/(?<![A-Za-z0-9_.-])(ya29\.)[A-Za-z0-9_-]{20,}/g),
  { pattern: /(?<![A-Za-z0-9_-])(-pass(?:in|out)?[ \t]+["']?pass:)([^\s'"]+)/g, replace: (m, head, password) => (password === HIDDEN || isPlaceholder(password) ? m : `${head}${HIDDEN}`) },
  // GitLab's tokens (personal, deploy, runner, trigger, CI job), Google's API keys, OpenAI's and
  // Anthropic's keys, Slack's app-level tokens, Docker Hub's and PyPI's tokens, SendGrid's keys,
  // Vault's service, batch and recovery tokens, DigitalOcean's and Shopify's tokens.
  prefixed(/(?<![A-Za-z0-9_-])(gl(?:pat|dt|rt|ptt|cbt)-)[A-Za-z0-9_-]{20,}/g),
  prefixed(/(?<![A-Za-z0-9_-])(AIza)[A-Za-z0-9_-]{35}/g),
  prefixed(/(?<![A-Za-z0-9_-])(sk-(?:proj|ant|svcacct|admin)-)[A-Za-z0-9_-]{20,}/g),
  prefixed(/(?<![A-Za-z0-9_-])(sk-)[A-Za-z0-9]{32,}/g),
  prefixed(/(?<![A-Za-z0-9-])(xapp-)[A-Za-z0-9-]{10,}/g),
  prefixed(/(?<![A-Za-z0-9_-])(dckr_pat_|pypi-(?=AgE))[A-Za-z0-9_-]{20,}/g),
  prefixed(/(?<![A-Za-z0-9_.-])(SG\.)[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}/g),
  prefixed(/(?<![A-Za-z0-9_.-])(hv[sbr]\.)[A-Za-z0-9_-]{24,}/g),
  prefixed(/(?<![A-Za-z0-9_-])(do[por]_v1_|shp(?:at|ca|pa|ss)_)[A-Fa-f0-9]{32,}/g),
  // Cookies (`sid=…; theme=dark`, `sid=…; Path=/; HttpOnly`): every `name=value` pair and
  // attribute, as a Cookie or Set-Cookie header, a `cookie:` or `cookie=` in any case, `cookie …`
  // in prose and curl's `-b` (glued too: `-bsid=…`) / `--cookie`; what follows the pairs (the rest of a sentence, a
  // closing bracket) stays. Only a value with `name=` in it, so "the Cookie: header" and
  // `curl -b cookies.txt` stay.
  {
    pattern: new RegExp(`${HEADER_NAME_START}((?:(?:set-)?cookies?(?:[ \\t]+header)?(?:\\\\?["']?[ \\t]*[:=][ \\t]*|[ \\t]+)|-b(?:[ \\t]+|=)?|--cookie(?:[ \\t]+|=))\\\\?["']?)(${COOKIE_PAIRS})`, 'gi'),
    replace: (m, head, pairs) => {
      // Spaces around the first `=` only in a header (`Cookie: a = b`): in prose and after curl's
      // -b they are other words (`cookie size = 4096`).
      const eq = pairs.indexOf('=');
      if (!head.includes(':') && /[ \t]/.test(`${pairs[eq - 1]}${pairs[eq + 1] ?? ''}`)) return m;
      return `${head}${HIDDEN}${/[)\]}]*$/.exec(pairs)![0]}`;
    },
  },
  // Set-Cookie as a list, as JSON and Node print a response's headers (`"set-cookie":["sid=…; Path=/","b=…"]`):
  // every cookie in it, to the list's end or the line's.
  {
    pattern: /(?<![A-Za-z0-9-])(set-cookie\\?["']?[ \t]*:[ \t]*\[)([^\]\r\n]*)/gi,
    replace: (_m, head, list) => `${head}${list.replace(new RegExp(`${COOKIE_NAME_START}${COOKIE_PAIRS}`, 'g'), HIDDEN)}`,
  },
  // curl's `-u user:password` (glued too: `-uuser:password`) / `--user user:password`: the user stays. `-u 1000:1000` (docker's
  // uid:gid) and `-u user:$PASS` are no password, and `-u redis://…` is a URL (redis-cli's), whose
  // password the URL shape hides.
  {
    pattern: /(?<![A-Za-z0-9_-])((?:-u(?:[ \t]+|=)?|--user(?:[ \t]+|=))(?:(['"])[^\s:'"]+:|[^\s:'"]+:))((?<=['"][^\s:'"]+:)[^'"\r\n]+|[^\s'"]+)/g,
    replace: (m, head, _quote, password) => (isPlaceholder(password) || /^\d+$/.test(password) || password.startsWith('//') ? m : `${head}${HIDDEN}`),
  },
  // A DSN whose URL user is a 32-hex key (Sentry's `https://<key>@o1.ingest.sentry.io/1`).
  { pattern: /(:\/\/)[0-9a-f]{32}@/gi, replace: (_m, head) => `${head}${HIDDEN}@` },
  // A password in a URL's userinfo (postgres://app:pw@db, https://x-access-token:…@github.com),
  // unless already hidden.
  { pattern: /(:\/\/[^\s/?#@:"'<>\\]*:)([^\s/?#@"'<>\\]+)@/g, replace: (m, head, password) => (isPlaceholder(password) ? m : `${head}${HIDDEN}@`) },
  // SQL's `PASSWORD '…'` (CREATE/ALTER ROLE, CREATE USER … WITH ENCRYPTED PASSWORD), `''` inside
  // as SQL writes a quote; a statement quoted in a log line or a JSON string too.
  { pattern: /(?<![A-Za-z0-9_])(password[ \t]+)'((?:[^'\r\n]|'')*)'/gi, replace: (m, head, value) => (value === '' || value === HIDDEN ? m : `${head}'${HIDDEN}'`) },
  // …and dollar-quoted (`PASSWORD $$…$$`, `$x$…$x$`), taken whole, spaces and all (DOLLAR_LITERAL).
  {
    pattern: new RegExp(`(?<![A-Za-z0-9_])(password[ \\t]+)${DOLLAR_LITERAL}`, 'gi'),
    replace: (m, head, tag, value, close) => (value === '' || value === HIDDEN ? m : `${head}${tag}${HIDDEN}${close ?? ''}`),
  },
];

/**
 * A name, how it is separated from its value, and the value: a JSON string (escapes and all), one
 * inside a JSON string (`\"…`, ending at the next backslash), a single-quoted one (escapes and all,
 * as libpq reads `password='a\'b'`), a dollar-quoted SQL literal (`SET password = $pw$a b$pw$`,
 * DOLLAR_LITERAL), or a bare word
 * (which ends at a bracket: `{"a":{"token":true}}`).
 * The name is read as a whole run (the look-behind) and judged afterwards, so a run is scanned once.
 */
const NAMED_VALUE = new RegExp(`(?<![A-Za-z0-9_.-])([A-Za-z0-9_.-]+)(\\\\?["']?)([ \\t]*(?:=>|[:=])[ \\t]*)(?:(")((?:[^"\\\\\\r\\n]|\\\\.)*)|(\\\\")([^"\\\\\\r\\n]*)|(')((?:[^'\\\\\\r\\n]|\\\\.)*)|${DOLLAR_LITERAL}|([^\\s"'\`,;&<>\\\\{}[\\]()]+))`, 'g');

/**
 * Whether a quoted value ends where a value can end: at its closing quote, followed by the end, a
 * space, `,;)}]`, or a quote of another kind or a backslash that ends what holds it. A quote that does not
 * close a value begins something else: in `{"message":"Invalid token:","code":"x"}` the "value"
 * after `token:` is `,` up to the next key's quote, and hiding it left JSON that no longer parses.
 */
function closed(text: string, end: number, quote: string): boolean {
  if (!text.startsWith(quote, end)) return false;
  const next = text[end + quote.length];
  // Another quote or a backslash ends what the value was quoted in (`"cmd":"psql password='x'"`).
  return next === undefined || (/[\s,;)}\]"'`\\]/.test(next) && next !== quote.at(-1));
}

/** What precedes a header given to curl or wget: `-H "`, `--header '`, `-H=`, and glued, `-H'`. */
const CURL_HEADER = /(?:^|\s)(?:-H|--header)(?:[ \t]+|=)?["']?$/;
/** A header's name glued to `-H` with nothing between (`-Htoken`), read as one name run by NAMED_VALUE. */
const GLUED_HEADER = /^-H[A-Za-z]/;
/** The rest of a bare value from an `&`, and white space then a word after a value. */
const AMPERSAND_RUN = /[^\s"'`,;<>\\{}[\]()]*/y;
const WORDS_FOLLOW = /[ \t]+\S/y;
/** The word after a value (bounded, so a long run of letters is not read again per value). */
const NEXT_WORD = /[ \t]+([A-Za-z]{1,16})(?![A-Za-z:=])/y;
function nextWord(text: string, at: number): string | undefined {
  NEXT_WORD.lastIndex = at;
  return NEXT_WORD.exec(text)?.[1];
}

/**
 * A value whose name says secret, however it is written: `VERCEL_TOKEN=…` as `env` prints it,
 * `password=…`, `--db-password=…`, `Password: …` and `secret: …` as YAML or a header, and JSON's
 * `"client_secret":"…"` (escaped inside a JSON string too, `\"token\":\"…\"`). See namedSecret for
 * what is left alone. A quoted value under another name is read again from its start: a JSON
 * string can hold JSON (`"body":"{\"token\":\"…\"}"`).
 */
function hideNamedValues(text: string): string {
  let out = '';
  let done = 0;
  const re = new RegExp(NAMED_VALUE);
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const [whole, written, nameQuote, sep, q1, v1, q2, v2, q3, v3, tag, dollarValue, closeTag, bare] = m as unknown as [string, string, string, string, ...(string | undefined)[]];
    // A header glued to curl's or wget's -H (`-Htoken:…`, `-HX-Api-Key:…`): the name is what follows it.
    const glued = sep.includes(':') && GLUED_HEADER.test(written);
    const name = glued ? written.slice(2) : written;
    if (tag !== undefined) {
      // A dollar-quoted literal: taken whole, its tags kept; one cut short hidden as far as it is
      // seen. Read on after it (a `$` run that is no value is read once: the next match starts past it).
      const start = m.index + whole.length - (dollarValue?.length ?? 0) - (closeTag?.length ?? 0);
      if (namedSecret(name, dollarValue ?? '', () => ({ nameQuoted: Boolean(nameQuote), valueQuoted: true, spaced: /:[ \t]/.test(sep), colon: sep.includes(':'), wordsFollow: false }))) {
        out += `${text.slice(done, start)}${HIDDEN}${closeTag ?? ''}`;
        done = m.index + whole.length;
      } else re.lastIndex = start;
      continue;
    }
    const quote = q1 ?? q2 ?? q3;
    const head = m.index + written.length + nameQuote.length + sep.length;
    const colon = sep.includes(':');
    let end = m.index + whole.length;
    // `&` ends a value in a URL's query (`a=b&c=d`), not in `Password: Tr0ub4dor&3`.
    if (bare !== undefined && colon && text[end] === '&') {
      AMPERSAND_RUN.lastIndex = end;
      end += AMPERSAND_RUN.exec(text)![0].length;
    }
    const value = v1 ?? v2 ?? v3 ?? text.slice(head, end);
    const form = (): NamedForm => {
      WORDS_FOLLOW.lastIndex = end;
      const header = glued || CURL_HEADER.test(text.slice(Math.max(0, m.index - 12), m.index));
      return { nameQuoted: Boolean(nameQuote), valueQuoted: Boolean(quote), spaced: /:[ \t]/.test(sep), colon, wordsFollow: WORDS_FOLLOW.test(text), nextWord: nextWord(text, end), header };
    };
    if (quote && !closed(text, end, quote)) {
      re.lastIndex = head;
    } else if (namedSecret(name, value, form)) {
      // A JSON number (a PIN) becomes the string "***", so the JSON still parses.
      out += `${text.slice(done, head)}${quote ?? ''}${nameQuote && !quote ? `${nameQuote}${HIDDEN}${nameQuote}` : HIDDEN}`;
      done = end;
    } else if (quote) {
      re.lastIndex = head;
    } else {
      // A bare value that is a name and a value itself (kubectl's `--from-literal=password=…`,
      // helm's `--set=db.password=…`, a header given to curl or wget unquoted, `--header=token:…`),
      // read once: its own value is not read again.
      const asHeader = HEADER_OPTION.test(name);
      const inner = (asHeader ? INNER_HEADER : INNER_NAMED).exec(value);
      const innerName = inner?.[1]?.slice(asHeader ? 0 : inner[1].lastIndexOf('.') + 1);
      const innerForm = asHeader ? (): NamedForm => ({ ...form(), colon: true, spaced: false, header: true }) : form;
      if (inner && innerName && namedSecret(innerName, inner[3]!, innerForm)) {
        out += `${text.slice(done, head + inner[1]!.length + inner[2]!.length)}${HIDDEN}`;
        done = end;
      }
    }
  }
  return out + text.slice(done);
}

const INNER_NAMED = /^([A-Za-z0-9_.-]+)(=)(.+)$/;
/** `--header=name:value` (curl's and wget's): a header's name, its colon, and its value. */
const HEADER_OPTION = /^(?:-H|--header)$/;
const INNER_HEADER = /^([A-Za-z0-9_.-]+)(:)(.+)$/;

/**
 * A long option whose last word says secret and its value after a space (`--password s3cr3t`,
 * `--api-key 'k'`, and with one dash as Java's and some databases' tools write them: keytool's
 * `-storepass`, influx's `-password`); `--name=value` is a NAMED_VALUE. Not `--no-password`, nor a
 * flag such as `--password-stdin` (its last word is no secret's). A value never starts with `-`
 * (the next option).
 */
const OPTION_VALUE = /(?<![A-Za-z0-9_-])(--(?!no-)[A-Za-z0-9][A-Za-z0-9_-]*|-[A-Za-z][A-Za-z0-9_-]+)([ \t]+)(?:'([^'\r\n]*)'|"([^"\r\n]*)"|([^\s"'`<>|&;()-][^\s"'`<>|&;()]*))/g;
const OPTION_SECRET = /(?:passw(?:or)?d|(?:^|-)pass|(?:store|key)pass|pwd|secret|token|passphrase|api[-_]?key|access[-_]?key|private[-_]?key|credentials?|auth)$/i;

/** The quote a value read by an option's pattern was written in (its single, double or bare group), to keep around ***. */
const quoteOf = (single: string | undefined, double: string | undefined) => (single !== undefined ? "'" : double !== undefined ? '"' : '');

function hideOptionValues(text: string): string {
  return text.replace(OPTION_VALUE, (m: string, name: string, space: string, single: string | undefined, double: string | undefined, bare: string | undefined, at: number) => {
    const value = single ?? double ?? bare ?? '';
    const form = (): NamedForm => {
      WORDS_FOLLOW.lastIndex = at + m.length;
      return { nameQuoted: false, valueQuoted: bare === undefined, spaced: true, colon: true, wordsFollow: WORDS_FOLLOW.test(text), nextWord: nextWord(text, at + m.length) };
    };
    if (!OPTION_SECRET.test(name) || !namedSecret(name, value, form)) return m;
    const quote = quoteOf(single, double);
    return `${name}${space}${quote}${HIDDEN}${quote}`;
  });
}

/**
 * Short password options: mysql's (and mariadb's) `-p<password>`, joined (`-p` alone asks for
 * it), redis-cli's and valkey-cli's `-a <password>`, a registry login's `-p <password>`, sqlcmd's `-P
 * <password>`, the LDAP tools' `-w <password>` and ldappasswd's `-a <old> -s <new>`, spaced or glued
 * (`-pPASS`: their parsers read it as `-p PASS`). Hidden only in that
 * program's command: after its name, before the command's end (`;`, `|`, `&`, a line's end), so
 * `mkdir -p`, `docker run -p8080:80` and `cp -a` stay. sshpass' -p is read apart (hideSshpass).
 */
const CLIENT_OPTIONS: { option: RegExp; client: RegExp }[] = [
  // `docker login -u ci -p …` (and podman's, helm registry's, az's), MongoDB's shells and tools.
  // SQL Server's sqlcmd and bcp: `-P …`.
  {
    option: /(?<![A-Za-z0-9_-])(-p[ \t]*)(?:'([^'\r\n]*)'|"([^"\r\n]*)"|([^\s'";|&-][^\s'";|&]*))/g,
    client: /(?:^|[\s/"'])(?:(?:docker|podman|nerdctl|buildah|skopeo|oras|helm[ \t]+registry|az|cf)[ \t]+login|mongo(?:sh|dump|restore|export|import|stat|top)?)[ \t]/g,
  },
  { option: /(?<![A-Za-z0-9_-])(-P[ \t]*)(?:'([^'\r\n]*)'|"([^"\r\n]*)"|([^\s'";|&-][^\s'";|&]*))/g, client: /(?:^|[\s/"'])(?:sqlcmd|bcp)[ \t]/g },
  { option: /(?<![A-Za-z0-9_-])(-p)(?:'([^'\r\n]*)'|"([^"\r\n]*)"|([^\s'";|&]+))/g, client: /(?:^|[\s/"'])(?:mysql[a-z]*|mariadb(?:-[a-z]+)?)[ \t]/g },
  // redis-cli's `-a <password>`, and Valkey's, its fork's.
  { option: /(?<![A-Za-z0-9_-])(-a[ \t]+)(?:'([^'\r\n]*)'|"([^"\r\n]*)"|([^\s'";|&-][^\s'";|&]*))/g, client: /(?:^|[\s/"'])(?:redis|valkey)-cli[ \t]/g },
  // OpenLDAP's tools: `-w <bind password>`, spaced or glued (getopt reads `-wPASS` so); `-W` asks
  // for it and `-y` names a file, and stay.
  { option: /(?<![A-Za-z0-9_-])(-w[ \t]*)(?:'([^'\r\n]*)'|"([^"\r\n]*)"|([^\s'";|&-][^\s'";|&]*))/g, client: /(?:^|[\s/"'])ldap(?:search|modify|add|delete|whoami|passwd|compare|modrdn|exop|url)[ \t]/g },
  // ldappasswd's `-a <old password>` and `-s <new password>` (`-A` and `-S` ask for them).
  { option: /(?<![A-Za-z0-9_-])(-[as][ \t]*)(?:'([^'\r\n]*)'|"([^"\r\n]*)"|([^\s'";|&-][^\s'";|&]*))/g, client: /(?:^|[\s/"'])ldappasswd[ \t]/g },
];
const COMMAND_END = /[;|&\n]/g;

/**
 * Where in `text` each command of `client` has its arguments: from after the client's name to the
 * command's end, in order. Each search goes on from the last command's end, so the text is read once.
 */
function clientCommands(text: string, client: RegExp): [number, number][] {
  const commands: [number, number][] = [];
  const re = new RegExp(client);
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const start = m.index + m[0].length;
    COMMAND_END.lastIndex = start;
    const end = COMMAND_END.exec(text)?.index ?? text.length;
    commands.push([start, end]);
    re.lastIndex = end;
  }
  return commands;
}

/** Whether a password option's value is one to hide: not empty, not hidden already, no placeholder. */
const hideable = (value: string) => value !== '' && value !== HIDDEN && !isPlaceholder(value);


function hideClientPasswords(text: string): string {
  let out = hideSshpass(text);
  for (const { option, client } of CLIENT_OPTIONS) {
    const commands = clientCommands(out, client);
    if (!commands.length) continue;
    let k = 0;
    out = out.replace(option, (m: string, flag: string, single: string | undefined, double: string | undefined, bare: string | undefined, at: number) => {
      // Matches come in order: the commands that end before this one are passed once.
      while (k < commands.length && commands[k]![1] <= at) k++;
      const inside = k < commands.length && commands[k]![0] <= at;
      if (!inside || !hideable(single ?? double ?? bare ?? '')) return m;
      const quote = quoteOf(single, double);
      return `${flag}${quote}${HIDDEN}${quote}`;
    });
  }
  return out;
}

/**
 * `sshpass -p …`: sshpass runs the command after its own options, so only a -p among those is its
 * password; in `sshpass -p … ssh -p 2222 host` the second is ssh's port. Its options are read
 * forward from its name, however many and however long (`-f` with a long path): -f, -d, -p and -P
 * take a value, spaced or glued (`-pPASS`, as getopt reads it), and -e, -v, -h and -V none. Each
 * option is read one way, and the search goes on after the last one, so the text is read once.
 */
const SSHPASS = /(?:^|[\s/"'])sshpass(?=[ \t])/g;
const SSHPASS_OPTION = /[ \t]+(?:(-[fdpP])([ \t]*)(?:'([^'\r\n]*)'|"([^"\r\n]*)"|([^\s'";|&]+))|-[evhV]+(?![^\s;|&]))/y;

function hideSshpass(text: string): string {
  let out = '';
  let done = 0;
  const re = new RegExp(SSHPASS);
  for (let m = re.exec(text); m; m = re.exec(text)) {
    let i = m.index + m[0].length;
    for (;;) {
      SSHPASS_OPTION.lastIndex = i;
      const o = SSHPASS_OPTION.exec(text);
      if (!o) break;
      const [whole, flag, space, single, double, bare] = o;
      if (flag === '-p' && hideable(single ?? double ?? bare ?? '')) {
        const quote = quoteOf(single, double);
        const value = i + whole.indexOf(flag) + flag.length + space!.length;
        out += `${text.slice(done, value)}${quote}${HIDDEN}${quote}`;
        done = i + whole.length;
      }
      i += whole.length;
    }
    re.lastIndex = Math.max(i, re.lastIndex);
  }
  return out + text.slice(done);
}

/**
 * A setting written by a tool's `config set` (`aws configure set aws_secret_access_key …`,
 * `yarn config set npmAuthToken …`, `git config --global github.token …`): the value after a space
 * when the setting's last word (after `.`, `:` or `/`) says secret.
 */
const CONFIG_SET = /(?<![A-Za-z0-9_-])((?:config(?:ure)?[ \t]+set|git[ \t]+config)(?:[ \t]+--?[A-Za-z][A-Za-z-]*)*[ \t]+)([A-Za-z0-9_.:/@-]+)([ \t]+)(?:'([^'\r\n]*)'|"([^"\r\n]*)"|([^\s'";|&]+))/g;

function hideConfigValues(text: string): string {
  return text.replace(CONFIG_SET, (m: string, head: string, setting: string, space: string, single: string | undefined, double: string | undefined, bare: string | undefined) => {
    const value = single ?? double ?? bare ?? '';
    const name = setting.slice(Math.max(setting.lastIndexOf('.'), setting.lastIndexOf(':'), setting.lastIndexOf('/')) + 1);
    const form = (): NamedForm => ({ nameQuoted: false, valueQuoted: bare === undefined, spaced: true, colon: false, wordsFollow: false });
    if (!namedSecret(name, value, form)) return m;
    const quote = quoteOf(single, double);
    return `${head}${setting}${space}${quote}${HIDDEN}${quote}`;
  });
}

/**
 * A line of a libpq password file (`host:port:database:user:password`, as `cat ~/.pgpass` prints
 * it): the port a number or `*`, the password the rest of the line.
 */
const PGPASS_LINE = /^([^\s:]+:(?:\d{1,5}|\*):[^\s:]+:[^\s:]+:)(\S+)$/gm;

function hidePgpassLines(text: string): string {
  return text.replace(PGPASS_LINE, (m: string, head: string, password: string) => (password === HIDDEN || isPlaceholder(password) ? m : `${head}${HIDDEN}`));
}

const PEM_BEGIN = /-----BEGIN ([A-Z0-9 ]{0,40})PRIVATE KEY-----/g;

/**
 * A PEM private key's body (`-----BEGIN OPENSSH PRIVATE KEY-----` … `-----END … PRIVATE KEY-----`),
 * on one line or many; the BEGIN and END lines stay, saying what to rotate. A BEGIN without its
 * END hides the rest of the text (a key cut short is still a key). Each END is looked for once
 * from its BEGIN and the scan goes on after it, so the text is read once.
 */
export function hidePrivateKeys(text: string): string {
  let out = '';
  let done = 0;
  const re = new RegExp(PEM_BEGIN);
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const bodyStart = m.index + m[0].length;
    const end = text.indexOf(`-----END ${m[1]}PRIVATE KEY-----`, bodyStart);
    const body = text.slice(bodyStart, end < 0 ? undefined : end);
    const hidden = body.trim() === '' || body.trim() === HIDDEN ? body : `${/^\r?\n/.exec(body)?.[0] ?? ''}${HIDDEN}${/\r?\n$/.exec(body)?.[0] ?? ''}`;
    out += text.slice(done, bodyStart) + hidden;
    if (end < 0) return out;
    done = end;
    re.lastIndex = end;
  }
  return out + text.slice(done);
}

/**
 * A line filter for output read line by line (a command's, Log.programLines): inside a PEM private
 * key, from a line with its BEGIN to the line with its END, every line is `***`, which
 * hidePrivateKeys cannot see one line at a time. Give it each line after hideKnownTokens.
 */
export function privateKeyLines(): (line: string) => string {
  let inside: string | undefined;
  return (line) => {
    if (inside !== undefined) {
      if (!line.includes(inside)) return HIDDEN;
      inside = undefined;
      return line;
    }
    const begins = [...line.matchAll(PEM_BEGIN)].at(-1);
    if (begins && !line.includes(`-----END ${begins[1]}PRIVATE KEY-----`, begins.index + begins[0].length)) inside = `-----END ${begins[1]}PRIVATE KEY-----`;
    return line;
  };
}

/**
 * XML's `<password>…</password>` (and `<db:secret>`, `<apiToken>`): the value between an element's
 * tags when the element's name says secret. The value stops at the next `<`, so each run is read once.
 */
const XML_VALUE = /<([A-Za-z_][A-Za-z0-9_.:-]{0,60})>([^<\r\n]+)<\/([A-Za-z_][A-Za-z0-9_.:-]{0,60})>/g;

function hideXmlValues(text: string): string {
  return text.replace(XML_VALUE, (m: string, open: string, value: string, close: string) => {
    const name = open.slice(open.lastIndexOf(':') + 1);
    const form = (): NamedForm => ({ nameQuoted: false, valueQuoted: true, spaced: false, colon: false, wordsFollow: false });
    return open === close && namedSecret(name, value, form) ? `<${open}>${HIDDEN}</${close}>` : m;
  });
}

/**
 * Which SQL columns hold secrets, for the reader of SQL writes (sql-writes.ts): a column whose name
 * says so (`token`, `password_hash`, `api_secret`), or a `key` or `value` of a table whose name does
 * (`api_keys`, `secrets`); `('theme', 'dark')` into `settings (key, value)` stays. A value is judged
 * as a quoted value under that name (namedSecret): `true`, `$1` or a placeholder is no secret.
 */
/** A table's own name (the last of `schema.table`) and its singular, and whether its name says it holds secrets. */
function tableName(table: string): { name: string; singular: string; secret: boolean } {
  const name = table.replace(/["`[\]]/g, '').split('.').at(-1)!;
  const singular = name.replace(/s$/i, '');
  return { name, singular, secret: [name, singular].some((n) => NAMED_SECRET.test(n) && !NOT_A_KEY.test(n)) };
}

/** The columns a table's name can make secret (`api_keys.key`, `secrets.value`). */
const KEY_OR_VALUE = /^(?:key|value)$/i;

/** The name a column's values are judged under, when they are secret; undefined when they are not. */
function secretColumn(table: string, column: string): string | undefined {
  if (NAMED_SECRET.test(column)) return column;
  const { singular, secret } = tableName(table);
  return secret && KEY_OR_VALUE.test(column) ? singular : undefined;
}

/** Tables whose rows by custom hold an account's password or its hash beside its name. */
const ACCOUNT_TABLE = /^(?:auth_)?(?:users?|accounts?|logins?|members?|admins?)$/i;

/**
 * The name every value of an INSERT without a column list (`INSERT INTO users VALUES ('alice',
 * 'hunter2')`) is judged under, or undefined when they are not secret. Which value goes into
 * which column is in the table's definition, which the text does not show, so the table's name
 * decides for the whole row: one named for secrets (`api_keys`, `secrets`, `user_tokens`) or for
 * accounts (`users`, `accounts`, Django's `auth_user`), where a password conventionally sits beside
 * the user's name. The row's other strings (the name, an email) are hidden with it: a write of
 * accounts that names no columns is rare, and a name hidden costs less than a password shown.
 * Every other table's rows stay (`INSERT INTO orders VALUES (1, 'shipped')`), so ordinary SQL is
 * not hidden for lack of a column list; numbers, NULL and placeholders (`$1`) are no literals.
 */
function secretRow(table: string): string | undefined {
  const { name, singular, secret } = tableName(table);
  if (secret) return singular;
  return ACCOUNT_TABLE.test(name) ? 'password' : undefined;
}

const SQL_RULE: SqlSecretRule = {
  column: (table, column) => secretColumn(table, column),
  row: (table) => secretRow(table),
  value: (name, value) => namedSecret(name, value, () => ({ nameQuoted: false, valueQuoted: true, spaced: false, colon: false, wordsFollow: false })),
  byTable: (column) => KEY_OR_VALUE.test(column),
};

function hideSqlValues(text: string): string {
  return hideSqlWrites(text, SQL_RULE);
}

/** sqlWriteLines (sql-writes.ts) with the rule of which columns are secret. */
export function sqlWriteLines(): (line: string) => string {
  return sqlLines(SQL_RULE);
}

/**
 * `text` with every credential of a known shape hidden (see the list above), every value a name
 * says is secret (hideNamedValues), and every URL's sensitive parameters (`?token=`, `&sig=`) and a
 * chat webhook's secret path (hideUrlSecrets). `dropUserinfo`: every URL's userinfo too, the user
 * name with the password (for text a user's own program printed: an HTTP user name alone can be
 * the credential).
 */
export function hideKnownTokens(text: string, opts: { dropUserinfo?: boolean } = {}): string {
  let out = hideUrlSecrets(text, { keepUserinfo: !opts.dropUserinfo });
  for (const { pattern, replace } of SHAPES) out = out.replace(pattern, replace as (match: string, ...rest: unknown[]) => string);
  const commands = hidePgpassLines(hideConfigValues(hideClientPasswords(out)));
  return hideNamedValues(hideOptionValues(hideXmlValues(hideSqlValues(hidePrivateKeys(commands)))));
}
