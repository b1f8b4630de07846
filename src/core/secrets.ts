/**
 * What counts as a secret, in which written forms it can turn up, and how it is taken out of text.
 * The one rule for every value registered anywhere (inputs, passwords, URLs, spec headers), used by
 * the log: call sites never decide for themselves whether a value is long enough to hide.
 */

/** Shorter values are "weak": too short to mask in the whole job log without masking ordinary text. */
export const MIN_SECRET_LENGTH = 6;

/** Values that are switches or placeholders, never credentials: `?x-vercel-set-bypass-cookie=true`. */
const COMMON_WORDS = new Set(['true', 'false', 'null', 'none', 'nil', 'undefined', 'yes', 'no', 'on', 'off', 'enabled', 'disabled']);
// Digits after a point only: `\d+\.?\d*` could split a run of digits anywhere (n² steps on a long one that fails).
const NUMBER = /^[+-]?(\d+(?:\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;

/** A switch or placeholder word (`true`, `none`), or a number: never a credential by its shape alone. */
export function isCommonValue(value: string): boolean {
  return COMMON_WORDS.has(value.toLowerCase()) || NUMBER.test(value);
}

/**
 * - `strong`: redacted wherever it appears and masked by the runner.
 * - `weak`: shorter than MIN_SECRET_LENGTH, a number or a common word.
 */
export type SecretStrength = 'strong' | 'weak';

export function secretStrength(value: string): SecretStrength | undefined {
  const word = value.trim();
  if (!word) return undefined;
  if (value.length < MIN_SECRET_LENGTH || COMMON_WORDS.has(word.toLowerCase()) || NUMBER.test(word)) return 'weak';
  return 'strong';
}

/**
 * Where the value came from:
 * - `declared`: the user or the protocol says it is a secret (a token input, a password).
 * - `guessed`: we think so from a name (`?token=`, an `x-api-key` header).
 */
export type SecretSource = 'declared' | 'guessed';

/** The forms a value takes once written into a URL, a form body or a JSON string. */
export function encodedForms(value: string): string[] {
  const uri = encodeURIComponent(value);
  const form = new URLSearchParams({ v: value }).toString().slice(2);
  const json = JSON.stringify(value).slice(1, -1);
  return [...new Set([value, uri, form, json])];
}

/**
 * Cuts text to at most `max` characters with an ellipsis, at a space when there is one in the
 * second half, so a word (a token) is kept whole or left out. Still redact first (`Log.excerpt`):
 * text without spaces is cut where it must be, and a cut secret no longer matches the redactor.
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, Math.max(0, max - 1));
  const space = cut.search(/\s\S*$/);
  if (space >= max / 2) cut = cut.slice(0, space);
  return `${cut.trimEnd()}…`;
}

/**
 * Every string inside a JSON-like value redacted, before it is serialised: escaping (JSON's \",
 * XML's &quot;, a Markdown \|, the `_`, `#`, `&` a password may hold) would otherwise turn a secret
 * into a form the redactor does not know. The one way for every report, record and message sent
 * out; only plain objects and arrays are walked, so anything else (a Date) stays whole.
 */
export function redactDeep<T>(value: T, redact: (text: string) => string): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => redactDeep(v, redact)) as T;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, redact)])) as T;
  }
  return value;
}

const REDACTED = '***';
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The registered values and one pattern that replaces them all. */
export class SecretSet {
  private readonly strong = new Set<string>();
  private readonly weak = new Set<string>();
  private pattern: RegExp | undefined;

  /**
   * Registers `value` and its encoded forms. Returns what the runner may mask (strong forms only)
   * and whether it was new, or undefined when nothing was registered.
   *
   * The choice for weak values: a guessed one (`?x-vercel-set-bypass-cookie=true`, `?token=abc`)
   * is not a secret at all. A declared one (a 4-character database password) is still a secret,
   * so it must not leak silently: our own redactor removes it where it stands as a whole word
   * (`admin:pw@host`, not the "pw" inside "pwd"), but the runner is not asked to mask it, because
   * `::add-mask::` would mask every occurrence in every later step of the job ("true", "admin").
   * The runner masks `${{ secrets.* }}` values by itself in any case.
   */
  add(value: string | undefined, source: SecretSource): { strength: SecretStrength; maskable: string[]; fresh: boolean } | undefined {
    if (value === undefined) return undefined;
    const strength = secretStrength(value);
    if (!strength || (strength === 'weak' && source === 'guessed')) return undefined;
    const set = strength === 'strong' ? this.strong : this.weak;
    const fresh = encodedForms(value).filter((form) => !this.strong.has(form) && !set.has(form));
    if (!fresh.length) return { strength, maskable: [], fresh: false };
    for (const form of fresh) set.add(form);
    this.pattern = undefined;
    return { strength, maskable: strength === 'strong' ? fresh : [], fresh: true };
  }

  redact(text: string): string {
    if (!this.strong.size && !this.weak.size) return text;
    this.pattern ??= this.compile();
    return text.replace(this.pattern, REDACTED);
  }

  private compile(): RegExp {
    // Longest first, so a secret that contains another is replaced whole.
    const all = [...[...this.strong].map((s) => ({ s, weak: false })), ...[...this.weak].map((s) => ({ s, weak: true }))].sort((a, b) => b.s.length - a.s.length);
    const alternatives = all.map(({ s, weak }) => (weak ? `(?<![\\p{L}\\p{N}])${escapeRegExp(s)}(?![\\p{L}\\p{N}])` : escapeRegExp(s)));
    return new RegExp(alternatives.join('|'), 'gu');
  }
}
