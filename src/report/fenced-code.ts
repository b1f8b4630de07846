/**
 * Where fenced code blocks are in Markdown, as GitHub (CommonMark) reads them: at the top level and
 * inside the containers a line opens, a block quote's `>` and a list item's marker. Inside one, a
 * reader sees every character as written (`\_` is a backslash and an underscore), so the redactor
 * must judge it so too (readerView, markdown.ts); outside it an escape is read. A fence under
 * `> ` or in a list item nested past three spaces was read as prose, and a secret written with a
 * `\_` or an `&amp;` in it (as a program printed it) was judged as other text and shown.
 *
 * CommonMark's rules, as far as they decide where code is:
 * - a block quote line starts with up to three spaces and `>`, and the one space after it is the
 *   marker's; a line without the `>` ends the quote, and a code block in it (no lazy lines for code);
 * - a list item's marker (`-`, `+`, `*`, `1.`, `1)`) is followed by 1 to 4 spaces, and its content is
 *   indented that far (past 4, one: the rest opens an indented code block); a non-blank line
 *   indented less ends the item, and a code block in it; blank lines go on in it;
 * - a fence is up to three spaces past its container's content, then three or more backticks (no
 *   backtick after them) or tildes; it is closed by the same character, at least as many, with up to
 *   three spaces before and nothing after but white space, or by its container's end, or by the
 *   document's.
 * The list items a line is in are read from the marker lines before it; a lazy paragraph line
 * (less indented, still the item's) is taken as ending the item, which only loses the item's
 * fences nested past three spaces after it. Each line is looked at once.
 */

/** A block quote's marker: up to three spaces, `>`, and the one space after it that is part of it. */
const QUOTE = / {0,3}> ?/y;
/** A list item's marker after its indentation, and the spaces after it (none: the line's end). */
const LIST_MARKER = /([-+*]|\d{1,9}[.)])( +|(?=\r?\n|$))/y;
/** A fence's opening after its indentation (CommonMark): three or more backticks (an info string after them without one) or tildes. */
const FENCE_OPEN = /(?:(`{3,})[^`\n]*|(~{3,})[^\n]*)(?=\n|$)/y;
const SPACES = / */y;

/** Where a line's content starts past `quotes` block quote markers from `at`, and how many there were (fewer when the line has fewer). */
function pastQuotes(markdown: string, at: number, quotes = Infinity): { at: number; quotes: number } {
  let i = at;
  let n = 0;
  while (n < quotes) {
    QUOTE.lastIndex = i;
    if (!QUOTE.test(markdown)) break;
    i = QUOTE.lastIndex;
    n++;
  }
  return { at: i, quotes: n };
}

function spacesAt(markdown: string, at: number): number {
  SPACES.lastIndex = at;
  SPACES.test(markdown);
  return SPACES.lastIndex - at;
}

const blankFrom = (markdown: string, at: number) => at >= markdown.length || markdown[at] === '\n' || (markdown[at] === '\r' && markdown[at + 1] === '\n');

/**
 * A reader of a document's fenced code blocks, given each line's start in order (`fenceAt`):
 * where the block opening on that line ends (past its closing fence's line, or at the line break
 * before the line that ends its container, or the document's end), or undefined when none opens
 * there. Lines inside a block are not given to it again: what they hold opens no container.
 */
export function fencedCode(markdown: string): (at: number) => number | undefined {
  /** The block quotes the last line was in, and the content indents (past them) of the list items it was in, innermost last. */
  let quotes = 0;
  let items: number[] = [];
  return (at) => {
    const quoted = pastQuotes(markdown, at);
    if (quoted.quotes !== quotes) {
      // Another block quote: the list items read were the other one's.
      quotes = quoted.quotes;
      items = [];
    }
    let pos = quoted.at;
    let indent = spacesAt(markdown, pos);
    if (blankFrom(markdown, pos + indent)) return undefined;
    while (items.length && items.at(-1)! > indent) items.pop();
    let base = items.at(-1) ?? 0;
    // Past three spaces beyond its container's content a line is an indented code block's, or a paragraph's: no marker, no fence.
    if (indent - base > 3) return undefined;
    pos += indent;
    for (;;) {
      LIST_MARKER.lastIndex = pos;
      const m = LIST_MARKER.exec(markdown);
      if (!m) break;
      const spaces = m[2]!.length;
      const after = spaces === 0 || spaces > 4 ? 1 : spaces;
      indent += m[1]!.length + after;
      items.push(indent);
      base = indent;
      if (spaces === 0 || spaces > 4) return undefined;
      pos += m[1]!.length + after;
    }
    FENCE_OPEN.lastIndex = pos;
    const open = FENCE_OPEN.exec(markdown);
    if (!open) return undefined;
    return fenceEnd(markdown, FENCE_OPEN.lastIndex, open[1] ?? open[2]!, quotes, base);
  };
}

/**
 * Where a fence of `fence` ends, its opening line ending at `eol`, in `quotes` block quotes and a
 * list item's content indented `base` (0: none). Each line after it is looked at once.
 */
function fenceEnd(markdown: string, eol: number, fence: string, quotes: number, base: number): number {
  const close = new RegExp(`^${fence[0] === '`' ? '`' : '~'}{${fence.length},}[ \\t]*\\r?$`);
  let line = eol + 1;
  while (line <= markdown.length && eol < markdown.length) {
    const next = markdown.indexOf('\n', line);
    const end = next < 0 ? markdown.length : next;
    const quoted = pastQuotes(markdown, line, quotes);
    // Its block quote ended (a line without the `>`), or its list item (a line indented less): the block with it.
    if (quoted.quotes < quotes) return line - 1;
    const indent = spacesAt(markdown, quoted.at);
    if (!blankFrom(markdown, quoted.at + indent)) {
      if (indent < base) return line - 1;
      if (indent - base <= 3 && close.test(markdown.slice(quoted.at + indent, end))) return end;
    }
    if (next < 0) break;
    line = next + 1;
  }
  return markdown.length;
}
