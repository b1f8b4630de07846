/**
 * Where PostgreSQL statements end, read in pieces: a `;` ends one only in code, not inside a string
 * ('…', E'…'), a quoted identifier, a dollar-quoted body, a comment (`--`, nested `/* … *\/`) or a
 * `BEGIN ATOMIC … END` function body. The migration splitter and the restore script reader share it,
 * so both agree on what is code.
 *
 * Where a '…' string ends depends on the session's standard_conforming_strings: on (the default),
 * a backslash is an ordinary character; off (a legacy setting a database or role may still have),
 * it escapes the character after it, as it always does in E'…', so 'a\';b' is one string. The
 * lexer starts from the value it is given (the session's) and follows the script's own SET and RESET
 * of it from the statement after, as psql does between the statements it sends.
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
const AMPERSAND = 38;

/** The letters that make a '…' right after them (and after no other word character) a string of their own kind. */
const isEscapePrefix = (c: number) => c === 69 || c === 101; // E'…': backslash escapes, whatever the setting
const isBitPrefix = (c: number) => c === 66 || c === 98 || c === 88 || c === 120; // B'…', X'…': no escapes
const isUnicodePrefix = (c: number) => c === 85 || c === 117; // U&'…': no backslash escapes (refused with the setting off)

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

/** SQL and the standard_conforming_strings it is read with: where its strings end depends on it. */
export interface SqlText {
  text: string;
  standardConformingStrings: boolean;
}

export interface SqlLexerOptions {
  /** The session's standard_conforming_strings where the text starts; also what RESET brings back. */
  standardConformingStrings: boolean;
  /**
   * Told the offset, in the piece being read, of each `;` that ends a statement; standardConformingStrings
   * is then already that of the statement after it.
   */
  onEnd?: (at: number) => void;
  /**
   * Told the offset from which the text is another part (a comment's `--` or `/*`, the first character
   * inside a quote, the closing quote, the first character after a comment).
   */
  onPart?: (part: SqlPart, at: number) => void;
}

/** A statement longer than this is not read for a SET of standard_conforming_strings (pg_dump's is one short line). */
const SETTING_MAX = 4096;

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
  /** standard_conforming_strings now, and what RESET brings back (the session's, as given). */
  private conforming: boolean;
  private readonly resetConforming: boolean;
  private readonly onEnd: (at: number) => void;
  private readonly onPart?: (part: SqlPart, at: number) => void;
  /** A SET, RESET or DISCARD statement's text from earlier pieces, read at its end; undefined for any other statement, or one too long. */
  private setting: string | undefined;
  /** Where the statement began in the piece being read (0 when it began in an earlier one); -1 between statements. */
  private statementFrom = -1;
  /** The string being read is a plain '…', whose backslashes standard_conforming_strings decides. */
  private plain = false;
  private backslashInPlainString = false;

  constructor(options: SqlLexerOptions) {
    this.conforming = options.standardConformingStrings;
    this.resetConforming = options.standardConformingStrings;
    this.onEnd = options.onEnd ?? (() => undefined);
    this.onPart = options.onPart;
  }

  /** standard_conforming_strings as the text read so far leaves it. */
  get standardConformingStrings(): boolean {
    return this.conforming;
  }

  /**
   * A backslash stood inside a plain '…' string of the text read so far: read with the other
   * standard_conforming_strings, that string would end elsewhere or hold something else.
   */
  get backslashInString(): boolean {
    return this.backslashInPlainString;
  }

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
          // PostgreSQL's scan.l (and psql's psqlscan.l): `newline [\n\r]` ends a -- comment, so a
          // file with CR-only line endings has code on the line after one.
          const nl = lineEnd(text, i);
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
        case MODE_STRING: {
          const end = this.quoted(text, i, "'", QUOTE);
          if (this.plain) for (let k = i; k < end && !this.backslashInPlainString; k++) this.backslashInPlainString = text.charCodeAt(k) === BACKSLASH;
          i = end;
          break;
        }
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
    if (this.statementFrom >= 0) {
      if (this.setting !== undefined && this.isSetting()) this.setting = this.setting.length + n - this.statementFrom <= SETTING_MAX ? this.setting + text.slice(this.statementFrom) : undefined;
      this.statementFrom = 0;
    }
    if (n >= 2) this.last2 = text.charCodeAt(n - 2);
    else if (n === 1) this.last2 = this.last1;
    if (n >= 1) this.last1 = text.charCodeAt(n - 1);
  }

  private enter(mode: number, part: SqlPart, at: number): void {
    this.mode = mode;
    this.onPart?.(part, at);
  }

  /**
   * The character `back` places before `i`, from an earlier piece when `i` is near this one's start
   * (the two last: a piece ends with a newline, which no prefix spans).
   */
  private before(text: string, i: number, back: 1 | 2 | 3): number {
    const at = i - back;
    if (at >= 0) return text.charCodeAt(at);
    return at === -1 ? this.last1 : at === -2 ? this.last2 : -1;
  }

  /** The kind of string a quote at `i` opens, by what stands right before it. */
  private stringAt(text: string, i: number): number {
    const p = this.before(text, i, 1);
    this.plain = false;
    if (isEscapePrefix(p) && !isWordChar(this.before(text, i, 2))) return MODE_ESCAPE_STRING;
    if (isBitPrefix(p) && !isWordChar(this.before(text, i, 2))) return MODE_STRING;
    if (p === AMPERSAND && isUnicodePrefix(this.before(text, i, 2)) && !isWordChar(this.before(text, i, 3))) return MODE_STRING;
    this.plain = true;
    return this.conforming ? MODE_STRING : MODE_ESCAPE_STRING;
  }

  /** The statement being read began SET, RESET or DISCARD. */
  private isSetting(): boolean {
    return this.head[0] === 'set' || this.head[0] === 'reset' || this.head[0] === 'discard';
  }

  /** The statement ended at `at`: a SET or RESET of standard_conforming_strings takes effect from the next one. */
  private endStatement(text: string, at: number): void {
    if (this.setting !== undefined && this.statementFrom >= 0 && this.isSetting() && this.setting.length + at - this.statementFrom <= SETTING_MAX) {
      const value = conformingStringsSet({ text: this.setting + text.slice(this.statementFrom, at), standardConformingStrings: this.conforming });
      if (value !== undefined) this.conforming = value === 'reset' ? this.resetConforming : value;
    }
    this.statementFrom = -1;
    this.setting = undefined;
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
        this.endStatement(text, i);
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
      if (!this.inStatement) {
        this.statementFrom = i;
        this.setting = '';
      }
      this.inStatement = true;
      // Only a word right after BEGIN makes BEGIN ATOMIC: a comma, a bracket or a quote between them does not.
      if (!isLetter(c)) this.afterBegin = false;
      if (c === QUOTE) {
        this.enter(this.stringAt(text, i), 'quoted', i + 1);
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

  /** E'…', or '…' with standard_conforming_strings off: a backslash escapes the character after it. */
  private escapeString(text: string, from: number): number {
    const n = text.length;
    let i = from;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === BACKSLASH) {
        if (this.plain) this.backslashInPlainString = true;
        i += 2;
      } else if (c === QUOTE && text.charCodeAt(i + 1) === QUOTE) i += 2;
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

/** Where the line from `from` ends: the first \n or \r, or -1. */
function lineEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i++) if (text[i] === '\n' || text[i] === '\r') return i;
  return -1;
}

/** A run of text of one part; a quoted one's `quote` is the character that opened it: ' (a string), " (a name) or $ (a dollar-quoted body). */
export interface SqlPiece {
  part: SqlPart;
  text: string;
  quote?: string;
}

/**
 * What the lexer made of the texts read last: a statement is classified by several checks in a row
 * (the planner's: COPY FROM STDIN, transaction control, CONCURRENTLY; the runner's: session
 * settings, statement_timeout), each of which read its parts and blanked it anew, a dozen scans of
 * each statement before it ran (about 1 ms per migration of a cold start, BENCHMARKS.md). Only short
 * texts, and only the latest few hundred, are kept: the memory stays small whatever a folder holds.
 */
interface Read {
  parts: readonly SqlPiece[];
  blanked: { code?: string; quoted?: string };
}
const recent = new Map<string, Read>();
const RECENT_TEXTS = 256;
const RECENT_MAX_CHARS = 4096;

function read(sql: SqlText): Read {
  const keep = sql.text.length <= RECENT_MAX_CHARS;
  const key = `${sql.standardConformingStrings ? 'on' : 'off'}:${sql.text}`;
  const known = keep ? recent.get(key) : undefined;
  if (known) return known;
  const starts: { part: SqlPart; at: number }[] = [{ part: 'code', at: 0 }];
  new SqlLexer({ standardConformingStrings: sql.standardConformingStrings, onPart: (part, at) => starts.push({ part, at }) }).scan(sql.text);
  const parts = Object.freeze(
    starts.map(({ part, at }, k): SqlPiece => Object.freeze({ part, text: sql.text.slice(at, starts[k + 1]?.at ?? sql.text.length), ...(part === 'quoted' && at > 0 ? { quote: sql.text[at - 1] } : {}) })),
  );
  const fresh: Read = { parts, blanked: {} };
  if (keep) {
    if (recent.size >= RECENT_TEXTS) recent.delete(recent.keys().next().value!);
    recent.set(key, fresh);
  }
  return fresh;
}

/** `sql` cut into the parts the lexer reads it as, in order: joined, they are `sql` again. */
export function sqlParts(sql: SqlText): readonly SqlPiece[] {
  return read(sql).parts;
}

/**
 * `sql` as the lexer reads it, each character that is not code replaced by a space (newlines kept,
 * so offsets and lines still hold): comments always, and with `quoted` the insides of strings,
 * quoted identifiers and dollar-quoted bodies too. For classifying a statement, never for running it.
 */
export function blankSql(sql: SqlText, blank: { quoted: boolean }): string {
  const known = read(sql);
  const which = blank.quoted ? 'quoted' : 'code';
  return (known.blanked[which] ??= known.parts.map(({ part, text }) => (part === 'code' || (part === 'quoted' && !blank.quoted) ? text : text.replace(/[^\n]/g, ' '))).join(''));
}

// Read from trimmed code: the value runs to the end (a lazy value before `\s*$` backtracked over
// every run of white space inside it, n² steps).
const SET_CONFORMING = /^set\s+(?:(?:session|local)\s+)?"?standard_conforming_strings"?\s*(?:=|\bto\b)\s*([\s\S]*)$/i;
const RESET_CONFORMING = /^(?:reset\s+(?:"?standard_conforming_strings"?|all)|discard\s+all)\s*$/i;

/**
 * What a statement sets standard_conforming_strings to: on (true), off (false), its value at the
 * session's start ('reset': RESET, RESET ALL, DISCARD ALL, SET … TO DEFAULT), or undefined for any
 * other statement or a value PostgreSQL refuses. SET LOCAL counts as SET: a down migration runs in
 * one transaction, whose rest it governs. (set_config() and a SET inside a function are not followed.)
 */
function conformingStringsSet(statement: SqlText): boolean | 'reset' | undefined {
  const code = blankSql(statement, { quoted: false }).trim();
  if (RESET_CONFORMING.test(code)) return 'reset';
  const value = SET_CONFORMING.exec(code)?.[1];
  if (value === undefined) return undefined;
  if (/^default$/i.test(value)) return 'reset';
  const quoted = /^(?:[eE]?'([^'\\]*)'|"([^"]*)")$/.exec(value);
  return parseBool(quoted ? (quoted[1] ?? quoted[2]!) : value);
}

/** A boolean as PostgreSQL's parse_bool reads one: a prefix of true, false, yes or no, on, of(f), 1 or 0, in any case. */
function parseBool(value: string): boolean | undefined {
  const v = value.toLowerCase();
  if (!v) return undefined;
  if ('true'.startsWith(v) || 'yes'.startsWith(v) || v === 'on' || v === '1') return true;
  if ('false'.startsWith(v) || 'no'.startsWith(v) || v === 'of' || v === 'off' || v === '0') return false;
  return undefined;
}
