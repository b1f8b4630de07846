/**
 * Small pieces of the Markdown every job summary is made of. Outside text (paths, table and check
 * names, server messages) goes in through `text`, `inlineText` or `codeSpan`, so it cannot end a
 * table row, start a heading, or bring in HTML, a link (a bare URL included) or an image. Nothing is
 * added to the text: what a reader copies from the rendered page is what was written.
 */

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
