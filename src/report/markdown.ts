/**
 * Small pieces of the Markdown every job summary is made of. Outside text (paths, table and check
 * names, server messages) goes in through `text`, `inlineText` or `codeSpan`, so it cannot end a
 * table row, start a heading, or bring in HTML, a link (a bare URL included) or an image. Nothing is
 * added to the text: what a reader copies from the rendered page is what was written.
 */
import { firstAtOrAfter } from '../core/sorted.js';
import { fencedCode } from './fenced-code.js';

const LINE_BREAKS = /\r\n|\r|\n/g;

/**
 * What GitHub's Markdown (and Slack, Discord, Mattermost) link or ping by themselves: a `scheme://`
 * URL, a `www.` name, an e-mail address or a `@name`. Fixed-length alternatives: linear.
 */
const LINKABLE = /:\/\/|(?<![\p{L}\p{N}_])www\.|@[\p{L}\p{N}_]/iu;

/** Around a link in prose, not part of it: left outside its code span, as a renderer leaves it outside the link. */
const OPENING = '([{"\'<*_~';
const CLOSING = '.,:;!?)]}"\'>*_~';

/**
 * Outside text with nothing in it a renderer links or pings by itself: GitHub's Markdown turns a
 * bare `https://…`, `www.…`, an e-mail address or a `@name` into a link or a mention (Slack and
 * Discord link URLs too), so a server's header quoted in a summary could carry a phishing link.
 * Each word holding one is written as a code span (`code`, codeSpan by default), which no renderer
 * links, and the rest through `prose` (the caller's escaping). The text is not changed: what a
 * reader copies from a code span is the word as it was, a host or a command that works when pasted
 * (an invisible joiner inside it, as this once used, made the pasted command fail).
 */
export function unlinked(value: string, prose: (text: string) => string, code: (text: string) => string = codeSpan): string {
  // Whitespace and `|` end a word: a pipe stays in the prose, where the caller escapes it for tables.
  return value
    .split(/([\s|]+)/)
    .map((part, i) => {
      if (i % 2 === 1 || !LINKABLE.test(part)) return prose(part);
      let start = 0;
      let end = part.length;
      while (start < end && OPENING.includes(part[start]!)) start++;
      while (end > start && CLOSING.includes(part[end - 1]!)) end--;
      return `${prose(part.slice(0, start))}${code(part.slice(start, end))}${prose(part.slice(end))}`;
    })
    .join('');
}

/** Outside text as inline Markdown: one line, no HTML, no links (a word a renderer would link is a code span: unlinked) or images. */
export function text(value: string): string {
  return unlinked(value.replace(LINE_BREAKS, ' '), (prose) => prose.replace(/[\\`[\]]/g, '\\$&').replace(/</g, '&lt;').replace(/>/g, '&gt;')).replace(/^(\s*)#/, '$1\\#');
}

/** A table cell: `|` escaped (also inside code spans, as GFM reads it) and on one line. */
export function escapeCell(value: string): string {
  return value.replace(/\|/g, '\\|').replace(LINE_BREAKS, ' ');
}

export function table(headers: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.map((c) => escapeCell(String(c))).join(' | ')} |`;
  return [line(headers), `|${headers.map(() => ' --- ').join('|')}|`, ...rows.map(line)].join('\n');
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = bytes;
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return `${u === 0 ? n : n.toFixed(1)} ${units[u]}`;
}

// Control characters, and the bidirectional overrides that make text read differently than it is.
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u202A-\u202E\u2066-\u2069]/g;

function oneLine(text: string): string {
  return text.replace(/\r\n|[\r\n\t]/g, ' ').replace(INVISIBLE, '');
}

/**
 * Outside text (a reason, a name, a provider's message) made inert in Markdown: on one line, HTML
 * and table pipes written as entities (no raw `|` is left for a table row to split on), every
 * character that could open a link, emphasis, a code span or a heading backslash-escaped, and no
 * bare URL, address or mention left to link (each is a code span: unlinked), so it renders as itself and nothing else.
 */
export function inlineText(text: string): string {
  return unlinked(oneLine(text), (prose) =>
    prose
      .replace(/[\\`*_[\]#!~]/g, (c) => `\\${c}`)
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/\|/g, '&#124;'),
  );
}

/**
 * Outside text as a code span (paths, ids, SHAs, hosts, URLs not to link): on one line, fenced so no
 * backtick inside can close it. The one code-span writer, of the summaries and the chat messages.
 */
export function codeSpan(text: string): string {
  const value = oneLine(text);
  // Reduced, not spread into Math.max: a long word of many backtick runs would overflow its arguments.
  const longest = [...value.matchAll(/`+/g)].reduce((max, m) => Math.max(max, m[0].length), 0);
  const fence = '`'.repeat(longest + 1);
  const pad = value.startsWith('`') || value.endsWith('`') || longest > 0 ? ' ' : '';
  return `${fence}${pad}${value}${pad}${fence}`;
}

/** An http(s) URL as a link a person can click; anything else as a code span. */
export function linkText(url: string): string {
  try {
    const parsed = new URL(url.trim());
    if (parsed.protocol === 'https:' || parsed.protocol === 'http:') {
      // The parser percent-encodes spaces, quotes and angle brackets; what is left cannot end the autolink.
      return `<${parsed.href.replace(/[<>\s]/g, encodeURIComponent)}>`;
    }
  } catch {
    // not a URL: shown as text below
  }
  return codeSpan(url);
}

/** What a backslash escapes in CommonMark: any ASCII punctuation. */
const ESCAPABLE = /[!-/:-@[-`{-~]/;
/** The entities our writers use (`&amp;`, `&lt;`, `&gt;`, `&#124;`) and any other numeric or common named one. */
const ENTITY = /&(?:#(\d{1,7})|#[xX]([0-9A-Fa-f]{1,6})|(amp|lt|gt|quot|apos));/y;
const NAMED_ENTITY: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * Markdown as a reader sees it: each backslash escape and entity as the one character it stands
 * for, a code span's content as written (escapes are literal there; only a table's `\|` is not),
 * and a fenced code block's (``` or ~~~, in a block quote or a list item too: fencedCode) as
 * written, every line of it (GitHub shows it literally).
 * `from[i]`..`from[i + 1]` is where the view's character `i` is written in `markdown`.
 */
function readerView(markdown: string): { view: string; from: number[] } {
  /** Where each length of backtick run starts, read once (a search per run from each one was n² on many runs of many lengths). */
  let runs: Map<number, number[]> | undefined;
  /** The end of the line the last backtick run was on (-1: the last line; -2: not looked for yet). */
  let lineEnd = -2;
  /** Each line's start is given to it, in order (see fencedCode). */
  const fenceAt = fencedCode(markdown);
  let view = '';
  const from: number[] = [];
  const put = (c: string, at: number) => {
    view += c;
    for (let k = 0; k < c.length; k++) from.push(at);
  };
  let i = 0;
  while (i < markdown.length) {
    const c = markdown[i]!;
    if (i === 0 || markdown[i - 1] === '\n') {
      // A fenced code block, at the top level or in a block quote or a list item: its lines are
      // shown as written, escapes and entities and all.
      const end = fenceAt(i);
      if (end !== undefined) {
        for (let k = i; k < end; k++) put(markdown[k]!, k);
        i = end;
        continue;
      }
    }
    if (c === '\\' && i + 1 < markdown.length && ESCAPABLE.test(markdown[i + 1]!)) {
      put(markdown[i + 1]!, i);
      i += 2;
      continue;
    }
    if (c === '&') {
      ENTITY.lastIndex = i;
      const e = ENTITY.exec(markdown);
      const code = e ? (e[1] ? Number(e[1]) : e[2] ? parseInt(e[2], 16) : undefined) : undefined;
      const decoded = e ? (e[3] ? NAMED_ENTITY[e[3]] : code !== undefined && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : undefined) : undefined;
      if (e && decoded !== undefined) {
        put(decoded, i);
        i += e[0].length;
        continue;
      }
    }
    if (c === '`') {
      let n = 1;
      while (markdown[i + n] === '`') n++;
      // The closing run: exactly as long, on the same line (our code spans are one line).
      runs ??= backtickRuns(markdown);
      const close = firstAtOrAfter(runs.get(n), i + n);
      // The line's end, found once per line: many runs on one long line would each search to it.
      if (lineEnd !== -1 && lineEnd < i) lineEnd = markdown.indexOf('\n', i);
      if (close >= 0 && (lineEnd < 0 || close < lineEnd)) {
        for (let k = i; k < close + n; k++) {
          if (markdown[k] === '\\' && markdown[k + 1] === '|') {
            put('|', k);
            k++;
          } else put(markdown[k]!, k);
        }
        i = close + n;
        continue;
      }
      for (let k = 0; k < n; k++) put('`', i + k);
      i += n;
      continue;
    }
    put(c, i);
    i++;
  }
  from.push(markdown.length);
  return { view, from };
}

/** Each backtick run's start in `markdown`, by its length, in order. */
export function backtickRuns(markdown: string): Map<number, number[]> {
  const runs = new Map<number, number[]>();
  for (const m of markdown.matchAll(/`+/g)) {
    const list = runs.get(m[0].length);
    if (list) list.push(m.index);
    else runs.set(m[0].length, [m.index]);
  }
  return runs;
}

/**
 * The shortest edit script from `a` to `b` (Myers), as `=` (kept), `-` (a's character dropped) and
 * `+` (b's character added); undefined past `maxEdits` edits. Kept characters are found first from
 * either end, so the script is computed over what lies between the first and the last change.
 */
function editScript(a: string, b: string, maxEdits: number): string | undefined {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const x0 = a.slice(head, a.length - tail);
  const y0 = b.slice(head, b.length - tail);
  const n = x0.length;
  const m = y0.length;
  const offset = maxEdits + 1;
  const v = new Int32Array(2 * offset + 1);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= maxEdits && found < 0; d++) {
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && x0[x] === y0[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  if (found < 0) return undefined;
  const ops: string[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const before = trace[d]!;
    const at = (k: number) => before[k + d + 1]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push('=');
      x--;
      y--;
    }
    if (x === prevX) {
      ops.push('+');
      y--;
    } else {
      ops.push('-');
      x--;
    }
  }
  for (; x > 0; x--) ops.push('=');
  return `${'='.repeat(head)}${ops.reverse().join('')}${'='.repeat(tail)}`;
}

/** What the redactor writes for what it hid (token-shapes.ts, secrets.ts), and one character standing for it. */
const HIDDEN = '***';
const MARK = '\uE000';

/** Past this many edits a document is redacted line by line (each line's own script is short). */
const MAX_EDITS = 2000;

/**
 * Markdown redacted as its reader sees it: `redact` is given the text with every escape and entity
 * read (readerView), so what it decides does not depend on how a writer escaped a name or a value
 * (`incident\_key = '…'` is a row's key, shown, as `incident_key = '…'` is; `api\_key = '…'` and a
 * registered secret written `s3cr\_t` are hidden). What it leaves is written back as it was, escapes
 * and all; what it puts in (`***`) is written as itself.
 */
export function redactMarkdown(markdown: string, redact: (text: string) => string): string {
  const out = redactedInPlace(markdown, redact);
  return shows(out, redact) ? hideWhatShows(out, redact) : out;
}

/** A line the redactor's script could not place its hiding in (a last net): said so, never shown. */
const HIDDEN_LINE = '*** (a line that could not be redacted in place, so it is not shown)';

/** Whether the reader of `markdown` would still see something `redact` hides. */
function shows(markdown: string, redact: (text: string) => string): boolean {
  const { view } = readerView(markdown);
  return redact(view) !== view;
}

/** Each line of `markdown` whose reader still sees a secret, replaced whole; all of it when no one line does (a secret across lines). */
function hideWhatShows(markdown: string, redact: (text: string) => string): string {
  const lines = markdown.split('\n');
  const hidden = lines.map((line) => (shows(line, redact) ? HIDDEN_LINE : line));
  return hidden.some((line, i) => line !== lines[i]) && !shows(hidden.join('\n'), redact) ? hidden.join('\n') : HIDDEN_LINE;
}

/** redactMarkdown's work: the redaction of the reader's view written back into the Markdown as it was. */
function redactedInPlace(markdown: string, redact: (text: string) => string): string {
  const { view, from } = readerView(markdown);
  const redacted = redact(view);
  if (redacted === view) return markdown;
  // What the redactor puts in is one mark to the script, so no `*` of the text (`\*`) is kept as a piece of it.
  const marks = !view.includes(HIDDEN) && !view.includes(MARK);
  const target = marks ? redacted.replaceAll(HIDDEN, MARK) : redacted;
  const script = editScript(view, target, MAX_EDITS);
  if (script === undefined) {
    const lines = markdown.split('\n');
    // A redaction across lines (a private key's body) is not line by line: the whole document then.
    // (The raw redaction misses what a writer escaped: redactMarkdown's last net then hides the line.)
    return lines.length > 1 && redacted.split('\n').length === view.split('\n').length ? lines.map((line) => redactedInPlace(line, redact)).join('\n') : redact(markdown);
  }
  let out = '';
  let i = 0;
  let j = 0;
  for (const op of script) {
    if (op === '=') {
      // A character written as several (an entity read as a surrogate pair) is written once, at its first.
      if (from[i] !== from[i - 1] || i === 0) out += markdown.slice(from[i], nextStart(from, i));
      i++;
      j++;
    } else if (op === '-') i++;
    else {
      const c = target[j++]!;
      out += marks && c === MARK ? HIDDEN : c;
    }
  }
  return out;
}

/** Where the source of the view's character after `i` starts (a character written as two shares its source). */
function nextStart(from: number[], i: number): number {
  let k = i + 1;
  while (k < from.length - 1 && from[k] === from[i]) k++;
  return from[k]!;
}
