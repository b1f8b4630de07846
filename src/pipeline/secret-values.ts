/**
 * Recognises values that look like secrets, for files that must never hold one (the rollback plan
 * lives in the repository, readable by everyone with read access and kept in git history forever).
 * Each finding says what kind of secret it looks like, never the value.
 */

/** Key names that only ever hold secrets: such a key has no business in a committed file. */
export const SECRET_KEY = /token|password|passwd|secret|api[-_]?key|^key$|private[-_]?key|credential|webhook/i;

const PATTERNS: { kind: string; pattern: RegExp }[] = [
  { kind: 'a GitHub token', pattern: /\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/ },
  { kind: 'a Vercel token', pattern: /\bvercel_[A-Za-z0-9_-]{8,}/ },
  { kind: 'a Slack token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/ },
  { kind: 'a Slack or Discord webhook URL', pattern: /hooks\.slack\.com\/services\/|discord(app)?\.com\/api\/webhooks\// },
  { kind: 'an AWS access key', pattern: /\b(AKIA|ASIA)[A-Z0-9]{16}\b/ },
  { kind: 'a Stripe key', pattern: /\b[sr]k_(live|test)_[A-Za-z0-9]{10,}/ },
  { kind: 'a JSON Web Token', pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/ },
  { kind: 'a private key', pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
];

/** What kind of secret `value` looks like, or undefined. */
export function secretKind(value: string): string | undefined {
  for (const { kind, pattern } of PATTERNS) if (pattern.test(value)) return kind;
  if (hasUrlPassword(value)) return 'a URL with a password in it';
  return undefined;
}

function hasUrlPassword(value: string): boolean {
  // Also inside longer text: "postgres://u:p@host/db and more".
  for (const candidate of value.match(/[a-z][a-z0-9+.-]*:\/\/[^\s'"]+/gi) ?? []) {
    try {
      if (new URL(candidate).password) return true;
    } catch {
      // Not a URL the parser accepts; a user:password@ shape still counts.
      if (/^[a-z][a-z0-9+.-]*:\/\/[^/@\s:]+:[^/@\s]+@/i.test(candidate)) return true;
    }
  }
  return false;
}

/** A place in a nested value: `components.web.project`. */
export type ValuePath = (string | number)[];

/**
 * Every string (or number) under a secret-named key, and every secret-looking string anywhere, with
 * the text found (a value, or a key that is one), so that messages about anything else can leave it out.
 */
export function findSecretValues(root: unknown): { path: ValuePath; kind: string; text: string }[] {
  const found: { path: ValuePath; kind: string; text: string }[] = [];
  const walk = (value: unknown, path: ValuePath, underSecretKey: boolean): void => {
    if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, [...path, i], underSecretKey));
    } else if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
      for (const [k, v] of Object.entries(value)) {
        // A pasted token can land as a key, too; its place is then named by its parent alone.
        const keyKind = secretKind(k);
        if (keyKind) found.push({ path: [...path, '(a key)'], kind: keyKind, text: k });
        else walk(v, [...path, k], underSecretKey || SECRET_KEY.test(k));
      }
    } else if (typeof value === 'string' || typeof value === 'number') {
      const text = String(value);
      const kind = secretKind(text) ?? (underSecretKey && text.trim() ? 'a secret (its key names one)' : undefined);
      if (kind) found.push({ path, kind, text });
    }
  };
  walk(root, [], false);
  return found;
}
