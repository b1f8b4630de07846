// What a reader sees and copies of one line of our inline Markdown (a job summary's, an issue's) or
// of a chat message's text: code spans as CommonMark reads them (a run of n backticks closes at the
// next run of exactly n; one space each side stripped when both are there), backslash escapes and
// the entities our writers use outside them. Enough for what markdown.ts and notify.ts write.

export interface Piece {
  code: boolean;
  /** As written: a code span's content between its fences, or prose with its escapes. */
  raw: string;
}

/** The line split into prose and code spans, left to right. */
export function pieces(line: string, { escapes = true }: { escapes?: boolean } = {}): Piece[] {
  const out: Piece[] = [];
  let prose = '';
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (escapes && c === '\\' && i + 1 < line.length) {
      prose += line.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (c !== '`') {
      prose += c;
      i++;
      continue;
    }
    let n = 0;
    while (line[i + n] === '`') n++;
    const close = closingRun(line, i + n, n);
    if (close < 0) {
      prose += line.slice(i, i + n);
      i += n;
      continue;
    }
    if (prose) out.push({ code: false, raw: prose });
    prose = '';
    out.push({ code: true, raw: line.slice(i + n, close) });
    i = close + n;
  }
  if (prose) out.push({ code: false, raw: prose });
  return out;
}

function closingRun(line: string, from: number, n: number): number {
  let i = from;
  while (i < line.length) {
    if (line[i] !== '`') {
      i++;
      continue;
    }
    let m = 0;
    while (line[i + m] === '`') m++;
    if (m === n) return i;
    i += m;
  }
  return -1;
}

const ENTITIES: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&amp;': '&', '&#124;': '|', '&quot;': '"' };

function decodeEntities(text: string): string {
  return text.replace(/&(?:lt|gt|amp|quot|#124);/g, (e) => ENTITIES[e]!);
}

function codeContent(raw: string): string {
  return raw.length > 1 && raw.startsWith(' ') && raw.endsWith(' ') && raw.trim() ? raw.slice(1, -1) : raw;
}

/** What copying the rendered Markdown line gives. */
export function copiedMarkdown(line: string): string {
  return pieces(line)
    .map((p) => (p.code ? codeContent(p.raw) : decodeEntities(p.raw.replace(/\\([!-/:-@[-`{-~])/g, '$1'))))
    .join('');
}

/** What copying a chat message's text gives: Slack decodes its three entities, in code too; no backslash escapes. */
export function copiedChat(line: string): string {
  return pieces(line, { escapes: false })
    .map((p) => decodeEntities(p.code ? codeContent(p.raw) : p.raw))
    .join('');
}

/** The prose of a line, code spans left out: where a renderer links and mentions. */
export function outsideCode(line: string, opts?: { escapes?: boolean }): string {
  return pieces(line, opts)
    .map((p) => (p.code ? ' ' : p.raw))
    .join('');
}
