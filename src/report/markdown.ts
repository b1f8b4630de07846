/**
 * Small pieces of the Markdown every job summary is made of. Outside text (paths, table and check
 * names, server messages) goes in through `text` or `code`, so it cannot end a table row, start a
 * heading, or bring in HTML, a link (a bare URL included) or an image.
 */

const LINE_BREAKS = /\r\n|\r|\n/g;

const ZWJ = '\u200d';

/**
 * Outside text with nothing a renderer links by itself: GitHub's Markdown (and Slack and Discord)
 * turns a bare `https://…`, `www.…`, an e-mail address or a `@name` into a link or a mention, so a
 * server's header quoted in a summary could carry a phishing link. A zero-width joiner after the
 * scheme's colon, after `www` and after `@` breaks each pattern; the text reads the same.
 */
export function noAutolink(value: string): string {
  return value
    .replace(/([a-z][a-z0-9+.-]*:)(?=\/\/)/gi, `$1${ZWJ}`)
    .replace(/\b(www)(?=\.)/gi, `$1${ZWJ}`)
    .replace(/@(?=[\p{L}\p{N}_])/gu, `@${ZWJ}`);
}

/** Outside text as inline Markdown: one line, no HTML, no links (bare URLs included) or images, no code spans. */
export function text(value: string): string {
  return noAutolink(value)
    .replace(LINE_BREAKS, ' ')
    .replace(/[\\`[\]]/g, '\\$&')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/^(\s*)#/, '$1\\#');
}

/** Outside text as an inline code span whose fence no backtick inside can close. */
export function code(value: string): string {
  const oneLine = value.replace(LINE_BREAKS, ' ');
  const longestRun = Math.max(0, ...(oneLine.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  // A span that starts or ends with a backtick needs a space between it and the fence.
  const pad = /^`|`$/.test(oneLine) ? ' ' : '';
  return `${fence}${pad}${oneLine}${pad}${fence}`;
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
 * bare URL, address or mention left to link (noAutolink), so it renders as itself and nothing else.
 */
export function inlineText(text: string): string {
  return noAutolink(oneLine(text))
    .replace(/[\\`*_[\]#!~]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '&#124;');
}

/** Outside text as a code span (paths, ids, SHAs): on one line, fenced so no backtick inside can close it. */
export function codeSpan(text: string): string {
  const value = oneLine(text);
  const longest = Math.max(0, ...[...value.matchAll(/`+/g)].map((m) => m[0].length));
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
