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
 * The shortest base64 piece registered: 8 characters carry 48 bits, the same as the 6 bytes
 * MIN_SECRET_LENGTH asks of a value written as it is. Shorter pieces (a 6-character secret at an
 * offset of 1 or 2 leaves 7 characters) say less than a value we already call too short to hide.
 */
export const MIN_BASE64_CORE = Math.ceil((MIN_SECRET_LENGTH * 8) / 6);

/**
 * The value as it reads inside any base64 text, as the runner's masker finds it: `Basic
 * base64(user:token)`, `base64("Bearer " + token)`, `printf %s "$TOKEN" | base64`. Where the
 * value starts 0, 1 or 2 bytes into a 3-byte group, the characters whose 6 bits all come from the
 * value are the same whatever comes before or after it; the first characters (mixed with what
 * precedes) and the last ones (mixed with what follows, or padding) are left out. Each in the
 * standard and the URL-safe alphabet; pieces shorter than MIN_BASE64_CORE are left out.
 */
export function base64Forms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const forms: string[] = [];
  for (const offset of [0, 1, 2]) {
    // The value's bits run from 8·offset to 8·(offset + length); character i holds bits 6i to 6i + 6.
    const first = Math.ceil((8 * offset) / 6);
    const end = Math.floor((8 * (offset + bytes.length)) / 6);
    if (end - first < MIN_BASE64_CORE) continue;
    const core = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64').slice(first, end);
    forms.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return [...new Set(forms)];
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

/** A letter or digit, the characters a weak secret must not touch to be a whole word. */
const WORD_CHAR = /[\p{L}\p{N}]/u;
const isWordChar = (ch: string | undefined) => ch !== undefined && WORD_CHAR.test(ch);

/** The character (whole code point) that ends right before `index`. */
function charBefore(text: string, index: number): string | undefined {
  if (index <= 0) return undefined;
  const low = text.charCodeAt(index - 1);
  const pair = index >= 2 && low >= 0xdc00 && low <= 0xdfff && text.charCodeAt(index - 2) >= 0xd800 && text.charCodeAt(index - 2) <= 0xdbff;
  return text.slice(pair ? index - 2 : index - 1, index);
}

/** The character (whole code point) that starts at `index`. */
const charAt = (text: string, index: number): string | undefined => (index < text.length ? String.fromCodePoint(text.codePointAt(index)!) : undefined);

/** A character of either base64 alphabet (padding aside): what a wrapped form's line breaks stand between. */
const isBase64Char = (code: number) => (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || (code >= 48 && code <= 57) || code === 43 || code === 47 || code === 45 || code === 95;

/**
 * `text` with every line break (`\n` or `\r\n`) that stands between two base64 characters taken
 * out, and where each character of it came from in `text`; undefined when there is none. A tool
 * that prints base64 wrapped (MIME and `base64`: 76 columns; PEM: 64) breaks a registered form at
 * whatever column it reaches, so the form is looked for in this text, read once.
 */
function unwrapBase64(text: string): { joined: string; from: Int32Array } | undefined {
  let at = text.indexOf('\n');
  if (at < 0) return undefined;
  const from = new Int32Array(text.length);
  const parts: string[] = [];
  let n = 0;
  let done = 0;
  for (; at >= 0; at = text.indexOf('\n', at + 1)) {
    const start = at > 0 && text.charCodeAt(at - 1) === 13 ? at - 1 : at;
    if (start === 0 || !isBase64Char(text.charCodeAt(start - 1)) || !isBase64Char(text.charCodeAt(at + 1))) continue;
    parts.push(text.slice(done, start));
    for (let i = done; i < start; i++) from[n++] = i;
    done = at + 1;
  }
  if (!parts.length) return undefined;
  parts.push(text.slice(done));
  for (let i = done; i < text.length; i++) from[n++] = i;
  return { joined: parts.join(''), from: from.subarray(0, n) };
}

/** `text` with each of `spans` (in any order, overlapping or not) as one ***, overlapping ones merged. */
function hideSpans(text: string, spans: [number, number][]): string {
  if (!spans.length) return text;
  spans.sort((a, b) => a[0] - b[0]);
  let out = '';
  let done = 0;
  for (const [start, end] of spans) {
    if (end <= done) continue;
    // Overlapping the span just replaced: the part past it joins that ***.
    if (start >= done) out += `${text.slice(done, start)}${REDACTED}`;
    done = end;
  }
  return out + text.slice(done);
}

/** For each prefix of `form`, the length of its longest proper prefix that is also its suffix (KMP). */
function failureTable(form: string): Int32Array {
  const fail = new Int32Array(form.length);
  for (let i = 1, k = 0; i < form.length; i++) {
    while (k > 0 && form[i] !== form[k]) k = fail[k - 1]!;
    if (form[i] === form[k]) k++;
    fail[i] = k;
  }
  return fail;
}

/**
 * `text` from `from` to `to` read through the KMP automaton of `form` from state `q` (how much of
 * the form the text before matched): each whole match is added to `spans`; returns the state at `to`.
 */
function kmpScan(text: string, from: number, to: number, form: string, fail: Int32Array, q: number, spans: [number, number][]): number {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    while (q > 0 && form.charCodeAt(q) !== c) q = fail[q - 1]!;
    if (form.charCodeAt(q) === c) q++;
    if (q === form.length) {
      spans.push([Math.max(0, i + 1 - q), i + 1]);
      q = fail[q - 1]!;
    }
  }
  return q;
}

/**
 * How many characters of a piece a full-width base64 line must end with for wrappedLines to hide
 * them: 3 characters (18 bits) of a wrapped secret may show at a line break, and a random line
 * ends so by chance once in 64^4 (about 17 million) per piece.
 */
const WRAP_MATCH = 4;

/**
 * A line as PEM (64 columns) or MIME and `base64` (76) wrap base64: only its characters, not only
 * hex digits (a SHA-256 printed alone is 64 of those).
 */
const FULL_BASE64_LINE = /^(?=[A-Za-z0-9+/]*[g-zG-Z+/])(?:[A-Za-z0-9+/]{64}|[A-Za-z0-9+/]{76})$/;

/**
 * The registered values, found by plain string search rather than one pattern of them all: a
 * regular expression has a size limit (a 32,000-character value passed it), and the engine's
 * error quotes the whole pattern, which here is every secret in the clear.
 */
export class SecretSet {
  private readonly strong = new Set<string>();
  private readonly weak = new Set<string>();
  /**
   * The base64 pieces among the strong forms, the ones a tool may print wrapped over lines, each
   * with its KMP failure table (wrappedLines reads a piece's matches one character at a time).
   */
  private readonly base64 = new Map<string, Int32Array>();
  /** Each registered form once, longest first; rebuilt after an add. */
  private sorted: { form: string; weak: boolean }[] | undefined;

  /**
   * Registers `value` and its encoded forms (strong values also their base64 pieces). Returns
   * what the runner may mask (every strong form, new or not: one registered for our own output
   * only may be asked of the runner later; Log keeps which it asked) and whether it was new, or
   * undefined when nothing was registered.
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
    const pieces = strength === 'strong' ? base64Forms(value) : [];
    const forms = [...encodedForms(value), ...pieces];
    const fresh = [...new Set(forms)].filter((form) => !this.strong.has(form) && !set.has(form));
    const maskable = strength === 'strong' ? [...new Set(forms)] : [];
    if (!fresh.length) return { strength, maskable, fresh: false };
    for (const form of fresh) set.add(form);
    for (const piece of pieces) if (!this.base64.has(piece)) this.base64.set(piece, failureTable(piece));
    this.sorted = undefined;
    return { strength, maskable, fresh: true };
  }

  /**
   * Every place a registered form stands replaced by ***: strong forms wherever they are, weak ones
   * where no letter or digit touches them. Overlapping places are replaced as one, so two secrets
   * sharing characters leave no piece of either.
   */
  redact(text: string): string {
    if (!this.strong.size && !this.weak.size) return text;
    this.sorted ??= [...[...this.strong].map((form) => ({ form, weak: false })), ...[...this.weak].map((form) => ({ form, weak: true }))].sort((a, b) => b.form.length - a.form.length);
    const spans: [number, number][] = [];
    for (const { form, weak } of this.sorted) {
      for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + 1)) {
        const end = at + form.length;
        if (weak && (isWordChar(charBefore(text, at)) || isWordChar(charAt(text, end)))) continue;
        spans.push([at, end]);
      }
    }
    this.wrappedSpans(text, spans);
    return hideSpans(text, spans);
  }

  /**
   * A line filter for text read one line at a time (a program's output), after redact: a base64
   * form a tool wrapped over lines is in no one line whole. Each piece's match is followed through
   * the line breaks between base64 characters (a KMP automaton per piece, its state kept from line
   * to line: linear in the text). A line's part of a whole match is hidden, and so is the line's
   * tail where it begins a piece, before the next line is seen: MIN_BASE64_CORE characters or more
   * (as many bits as the shortest piece registered), or WRAP_MATCH or more at the end of a full 64-
   * or 76-column base64 line, where a wrapped secret breaks. So where a wrap falls inside a piece,
   * at most WRAP_MATCH - 1 of its characters show at the end of the line before it (the rest, on
   * the next lines, is hidden as the match goes on), besides the one or two at each end of the
   * encoded secret that mix with neighbouring bytes and are in no piece. A full-width line's tail
   * is hidden by chance about once in 64^WRAP_MATCH lines per piece (60 pieces: a few lines in a
   * million), not once in 64: printed certificates and base64 output stay readable.
   */
  wrappedLines(): (line: string) => string {
    const carried = new Map<string, number>();
    let endsInBase64 = false;
    return (line) => {
      if (!this.base64.size) return line;
      const end = line.endsWith('\r') ? line.length - 1 : line.length;
      const continues = endsInBase64 && end > 0 && isBase64Char(line.charCodeAt(0));
      // Only the run of base64 characters the line begins with (going on from the line before) and
      // the one it ends with (going on into the next) can hold part of a match over a break: a
      // match inside the line is redact's.
      let tail = end;
      while (tail > 0 && isBase64Char(line.charCodeAt(tail - 1))) tail--;
      endsInBase64 = tail < end;
      if (!continues && !endsInBase64) {
        carried.clear();
        return line;
      }
      let lead = 0;
      if (continues) while (lead < end && isBase64Char(line.charCodeAt(lead))) lead++;
      const fullWidth = FULL_BASE64_LINE.test(line.slice(0, end));
      const spans: [number, number][] = [];
      for (const [form, fail] of this.base64) {
        let q = continues ? (carried.get(form) ?? 0) : 0;
        let from = tail;
        if (q > 0) {
          q = kmpScan(line, 0, lead, form, fail, q, spans);
          // A line of base64 only was read whole; else its last run is read afresh.
          if (lead === end) from = end;
          else q = 0;
        }
        q = kmpScan(line, from, end, form, fail, q, spans);
        carried.set(form, q);
        if (q >= (fullWidth ? WRAP_MATCH : MIN_BASE64_CORE)) spans.push([end - Math.min(q, end), end]);
      }
      return hideSpans(line, spans);
    };
  }

  /**
   * Adds to `spans` each base64 form found with line breaks inside it, line by line: each line's
   * piece becomes its own ***, so the lines stay lines. One more search of each form, in the text
   * with its base64 line breaks taken out (unwrapBase64).
   */
  private wrappedSpans(text: string, spans: [number, number][]): void {
    if (!this.base64.size) return;
    const unwrapped = unwrapBase64(text);
    if (!unwrapped) return;
    const { joined, from } = unwrapped;
    for (const form of this.base64.keys()) {
      // Up to where this form's spans reach: an overlapping find is split into lines past it only.
      let covered = 0;
      for (let at = joined.indexOf(form); at !== -1; at = joined.indexOf(form, at + 1)) {
        const last = at + form.length - 1;
        // Found whole by the plain search already.
        if (from[last]! - from[at]! === last - at) continue;
        const first = Math.max(at, covered);
        let start = from[first]!;
        for (let i = first + 1; i <= last; i++) {
          if (from[i]! === from[i - 1]! + 1) continue;
          spans.push([start, from[i - 1]! + 1]);
          start = from[i]!;
        }
        spans.push([start, from[last]! + 1]);
        covered = last + 1;
      }
    }
  }
}
