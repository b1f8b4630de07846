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
 */

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
 * A URL password that stands for one: already hidden, the word itself in an example
 * (`postgres://user:password@host`), or a shell variable. A real password we were given is hidden
 * before this list runs (Log.redact), whatever it is.
 */
const PLACEHOLDER = /^(?:\*\*\*|password|pass|passwd|pw|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)$/i;

const SHAPES: Shape[] = [
  // GitHub: personal (ghp_), OAuth (gho_), user-to-server (ghu_), installation and Actions (ghs_),
  // refresh (ghr_): 36 or more letters and digits; fine-grained personal tokens: github_pat_….
  { pattern: /(?<![A-Za-z0-9_])(gh[pousr]_)[A-Za-z0-9]{30,}/g, replace: (_m, prefix) => `${prefix}${HIDDEN}` },
  { pattern: /(?<![A-Za-z0-9_])(github_pat_)[A-Za-z0-9_]{22,}/g, replace: (_m, prefix) => `${prefix}${HIDDEN}` },
  // Slack: bot, user, app-level legacy, refresh, session and config tokens (xoxb-123-456-abc).
  { pattern: /(?<![A-Za-z0-9-])(xox[abeoprs]-)[A-Za-z0-9-]{10,}/g, replace: (_m, prefix) => `${prefix}${HIDDEN}` },
  // AWS access key ids: long-term (AKIA) and temporary (ASIA), 16 more capitals and digits.
  { pattern: /(?<![A-Z0-9])(AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])/g, replace: (_m, prefix) => `${prefix}${HIDDEN}` },
  // A JSON Web Token (an OIDC id token, Vercel's OIDC token): base64url header and payload, both
  // JSON objects (`eyJ` is `{"`), and a signature.
  { pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]*\.eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+/g, replace: () => HIDDEN },
  // An Authorization header, however quoted (`Authorization: Bearer x`, `"authorization":"token x"`,
  // and inside a JSON string, `authorization: \"Bearer x\"`): the scheme is kept, the credential
  // hidden. A backslash ends the credential: it begins an escape, which must stay whole, or the JSON
  // it is in no longer parses.
  {
    pattern: /(?<![A-Za-z0-9-])((?:proxy-)?authorization\\?["']?[ \t]*[:=][ \t]*\\?["']?)(?:(bearer|basic|token|bot|api-key)[ \t]+)?([^\s"',;\\]+)/gi,
    replace: (_m, head, scheme) => `${head}${scheme ? `${scheme} ` : ''}${HIDDEN}`,
  },
  // A bearer token or a Basic credential written anywhere else (curl -v, a debug dump); a Basic
  // value only when it decodes to `user:password`, so the word "Basic" in a sentence stays.
  { pattern: /(?<![A-Za-z0-9_-])(Bearer[ \t]+)[A-Za-z0-9._~+/-]{16,}=*/g, replace: (_m, head) => `${head}${HIDDEN}` },
  { pattern: /(?<![A-Za-z0-9_-])(Basic[ \t]+)([A-Za-z0-9+/]{8,}={0,2})/g, replace: (m, head, value) => (isBasicCredential(value) ? `${head}${HIDDEN}` : m) },
  // An environment variable whose name says secret, as `env` or a .env file prints it
  // (VERCEL_TOKEN=…, AWS_SECRET_ACCESS_KEY=…, PGPASSWORD=…).
  {
    pattern: /(?<![A-Za-z0-9_])([A-Z0-9_]*(?:TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|ACCESS_KEY|PRIVATE_KEY)=)([A-Za-z0-9_.+/=:@%~-]{8,})/g,
    replace: (_m, head) => `${head}${HIDDEN}`,
  },
  // A password in a URL's userinfo (postgres://app:pw@db, https://x-access-token:…@github.com),
  // unless already hidden.
  { pattern: /(:\/\/[^\s/?#@:"'<>\\]*:)([^\s/?#@"'<>\\]+)@/g, replace: (m, head, password) => (PLACEHOLDER.test(password) ? m : `${head}${HIDDEN}@`) },
];

/** `text` with every credential of a known shape hidden (see the list above). */
export function hideKnownTokens(text: string): string {
  let out = text;
  for (const { pattern, replace } of SHAPES) out = out.replace(pattern, replace as (match: string, ...rest: unknown[]) => string);
  return out;
}
