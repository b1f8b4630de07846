/**
 * Where PostgreSQL statements end, read in pieces: a `;` ends one only in code, not inside a string
 * ('…', E'…'), a quoted identifier, a dollar-quoted body, a comment (`--`, nested `/* … *\/`) or a
 * `BEGIN ATOMIC … END` function body. The migration splitter and the restore script reader share it,
 * so both agree on what is code.
 *
 * The lexer keeps its state between pieces. A piece must end after a newline (or be the last): no
 * token spans one, so none is cut. Only ASCII matters to it, so a script in any server encoding can
 * be read one character per byte (latin1), its offsets then being byte offsets.
 */

const MODE_CODE = 0;
const MODE_LINE_COMMENT = 1;
const MODE_BLOCK_COMMENT = 2;
const MODE_STRING = 3;
const MODE_ESCAPE_STRING = 4;
const MODE_IDENTIFIER = 5;
const MODE_DOLLAR = 6;

const TAB = 9;
const CR = 13;
const SPACE = 32;
const DQUOTE = 34;
const DOLLAR = 36;
const QUOTE = 39;
const STAR = 42;
const DASH = 45;
const SLASH = 47;
const SEMICOLON = 59;
const BACKSLASH = 92;
const UPPER_E = 69;
const LOWER_E = 101;

const isLetter = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isDigit = (c: number) => c >= 48 && c <= 57;
/** A character of a word, as \w: what makes E' and $ part of a longer token. */
const isWordChar = (c: number) => isLetter(c) || isDigit(c);
const isSpace = (c: number) => c === SPACE || (c >= TAB && c <= CR);

/**
 * What the text is from a point on: code (keywords, names, operators, and the quotes around
 * literals), a comment, or the inside of a string, quoted identifier or dollar-quoted body.
 */
export type SqlPart = 'code' | 'comment' | 'quoted';

export class SqlLexer {
  private mode = MODE_CODE;
  /** Block comments nest. */
  private depth = 0;
  /** The `$tag$` that closes the dollar quote we are in. */
  private tag = '';
  /** Inside BEGIN ATOMIC … END, semicolons belong to the body; CASE … END inside it nests. */
  private atomic = 0;
  private afterBegin = false;
  /**
   * The statement began CREATE [OR REPLACE] FUNCTION or PROCEDURE: only there is BEGIN ATOMIC a body,
   * as psql reads it (a table's columns may be named begin and atomic).
   */
  private routine = false;
  /** Words read of the statement so far, up to the four that say whether it creates a routine. */
  private head: string[] = [];
  /** Code was read since the last statement ended. */
  private inStatement = false;
  /** The last two characters of the pieces before, for E'…' and $…$ at a piece's start. */
  private last1 = -1;
  private last2 = -1;

  /**
   * `onEnd` is told the offset, in the piece being read, of each `;` that ends a statement;
   * `onPart`, the offset from which the text is another part (a comment's `--` or `/*`, the first
   * character inside a quote, the closing quote, the first character after a comment).
   */
  constructor(
    private readonly onEnd: (at: number) => void = () => undefined,
    private readonly onPart?: (part: SqlPart, at: number) => void,
  ) {}

  /** Outside any quote, comment or dollar-quoted body (possibly inside a statement). */
  get inCode(): boolean {
    return this.mode === MODE_CODE || this.mode === MODE_LINE_COMMENT;
  }

  /** Between statements: outside any quote or comment, and no code since the last one ended. */
  get idle(): boolean {
    return !this.inStatement && (this.mode === MODE_CODE || this.mode === MODE_LINE_COMMENT);
  }

  scan(text: string): void {
    const n = text.length;
    let i = 0;
    while (i < n) {
      switch (this.mode) {
        case MODE_LINE_COMMENT: {
          const nl = text.indexOf('\n', i);
          if (nl < 0) i = n;
          else {
            i = nl + 1;
            this.enter(MODE_CODE, 'code', i);
          }
          break;
        }
        case MODE_BLOCK_COMMENT:
          i = this.blockComment(text, i);
          break;
        case MODE_STRING:
          i = this.quoted(text, i, "'", QUOTE);
          break;
        case MODE_IDENTIFIER:
          i = this.quoted(text, i, '"', DQUOTE);
          break;
        case MODE_ESCAPE_STRING:
          i = this.escapeString(text, i);
          break;
        case MODE_DOLLAR: {
          const close = text.indexOf(this.tag, i);
          if (close < 0) i = n;
          else {
            this.enter(MODE_CODE, 'code', close);
            i = close + this.tag.length;
          }
          break;
        }
        default:
          i = this.code(text, i);
      }
    }
    if (n >= 2) this.last2 = text.charCodeAt(n - 2);
    else if (n === 1) this.last2 = this.last1;
    if (n >= 1) this.last1 = text.charCodeAt(n - 1);
  }

  private enter(mode: number, part: SqlPart, at: number): void {
    this.mode = mode;
    this.onPart?.(part, at);
  }

  /** The character `back` places before `i`, from an earlier piece when `i` is near this one's start. */
  private before(text: string, i: number, back: 1 | 2): number {
    const at = i - back;
    if (at >= 0) return text.charCodeAt(at);
    return at === -1 ? this.last1 : this.last2;
  }

  /** Reads code up to the next quote or comment (returning just after its opening) or the piece's end. */
  private code(text: string, from: number): number {
    const n = text.length;
    let i = from;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === DASH && text.charCodeAt(i + 1) === DASH) {
        this.enter(MODE_LINE_COMMENT, 'comment', i);
        return i + 2;
      }
      if (c === SLASH && text.charCodeAt(i + 1) === STAR) {
        this.enter(MODE_BLOCK_COMMENT, 'comment', i);
        this.depth = 1;
        return i + 2;
      }
      if (c === SEMICOLON && this.atomic === 0) {
        this.inStatement = false;
        this.afterBegin = false;
        this.routine = false;
        this.head = [];
        this.onEnd(i);
        i++;
        continue;
      }
      if (isSpace(c)) {
        i++;
        continue;
      }
      this.inStatement = true;
      // Only a word right after BEGIN makes BEGIN ATOMIC: a comma, a bracket or a quote between them does not.
      if (!isLetter(c)) this.afterBegin = false;
      if (c === QUOTE) {
        const e = this.before(text, i, 1);
        this.enter((e === UPPER_E || e === LOWER_E) && !isWordChar(this.before(text, i, 2)) ? MODE_ESCAPE_STRING : MODE_STRING, 'quoted', i + 1);
        return i + 1;
      }
      if (c === DQUOTE) {
        this.enter(MODE_IDENTIFIER, 'quoted', i + 1);
        return i + 1;
      }
      if (c === DOLLAR && !isWordChar(this.before(text, i, 1))) {
        const end = dollarTagEnd(text, i);
        if (end > 0) {
          this.tag = text.slice(i, end);
          this.enter(MODE_DOLLAR, 'quoted', end);
          return end;
        }
      } else if (isLetter(c)) {
        let end = i + 1;
        for (let w = text.charCodeAt(end); isWordChar(w) || w === DOLLAR; w = text.charCodeAt(++end));
        this.word(text, i, end);
        i = end;
        continue;
      }
      i++;
    }
    return i;
  }

  private word(text: string, start: number, end: number): void {
    const length = end - start;
    if (this.head.length < 4) {
      const w = length <= 9 ? text.slice(start, end).toLowerCase() : '';
      this.head.push(w);
      const h = this.head.join(' ');
      if (h === 'create function' || h === 'create procedure' || h === 'create or replace function' || h === 'create or replace procedure') this.routine = true;
    }
    const word = length >= 3 && length <= 6 ? text.slice(start, end).toLowerCase() : '';
    if (this.routine && this.afterBegin && word === 'atomic') this.atomic++;
    else if (this.atomic > 0 && word === 'case') this.atomic++;
    else if (this.atomic > 0 && word === 'end') this.atomic--;
    this.afterBegin = word === 'begin';
  }

  private blockComment(text: string, from: number): number {
    const n = text.length;
    let i = from;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === SLASH && text.charCodeAt(i + 1) === STAR) {
        this.depth++;
        i += 2;
      } else if (c === STAR && text.charCodeAt(i + 1) === SLASH) {
        i += 2;
        if (--this.depth === 0) {
          this.enter(MODE_CODE, 'code', i);
          return i;
        }
      } else i++;
    }
    return i;
  }

  /** '…' or "…", where a doubled quote is one quote character. */
  private quoted(text: string, from: number, quote: string, code: number): number {
    let i = from;
    for (;;) {
      const at = text.indexOf(quote, i);
      if (at < 0) return text.length;
      if (text.charCodeAt(at + 1) !== code) {
        this.enter(MODE_CODE, 'code', at);
        return at + 1;
      }
      i = at + 2;
    }
  }

  /** E'…': a backslash escapes the character after it. */
  private escapeString(text: string, from: number): number {
    const n = text.length;
    let i = from;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === BACKSLASH) i += 2;
      else if (c === QUOTE && text.charCodeAt(i + 1) === QUOTE) i += 2;
      else if (c === QUOTE) {
        this.enter(MODE_CODE, 'code', i);
        return i + 1;
      } else i++;
    }
    return n;
  }
}

/** The end of the `$tag$` or `$$` at `at`, or -1: `$1` is a parameter, not a quote. */
function dollarTagEnd(text: string, at: number): number {
  let i = at + 1;
  if (isLetter(text.charCodeAt(i))) {
    i++;
    while (isWordChar(text.charCodeAt(i))) i++;
  }
  return text.charCodeAt(i) === DOLLAR ? i + 1 : -1;
}

/**
 * `sql` as the lexer reads it, each character that is not code replaced by a space (newlines kept,
 * so offsets and lines still hold): comments always, and with `quoted` the insides of strings,
 * quoted identifiers and dollar-quoted bodies too. For classifying a statement, never for running it.
 */
export function blankSql(sql: string, blank: { quoted: boolean }): string {
  const starts: { part: SqlPart; at: number }[] = [{ part: 'code', at: 0 }];
  new SqlLexer(undefined, (part, at) => starts.push({ part, at })).scan(sql);
  let out = '';
  starts.forEach(({ part, at }, k) => {
    const text = sql.slice(at, starts[k + 1]?.at ?? sql.length);
    out += part === 'code' || (part === 'quoted' && !blank.quoted) ? text : text.replace(/[^\n]/g, ' ');
  });
  return out;
}
