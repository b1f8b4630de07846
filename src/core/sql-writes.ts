/**
 * SQL that writes a secret into a table, read for the string literals that land in a secret
 * column, so they are hidden where a rollback prints the SQL (a migration echoed, a runbook's
 * commands). A column is secret by the rule given (token-shapes.ts: its name says so, `password`,
 * `api_secret`, or it is the `key` or `value` of a table whose name does, `api_keys`); the value is
 * judged by the same rule (`true` or a placeholder is no secret).
 *
 * Two readers, each used by every form that writes that way:
 * - assignments (`col = value, …`, `(a, b) = (…)`): UPDATE … SET (after an alias, `ONLY`, a
 *   CTE, MySQL's after JOINs), INSERT … ON CONFLICT … DO UPDATE SET, MySQL's ON DUPLICATE KEY UPDATE and INSERT … SET,
 *   MERGE's WHEN MATCHED THEN UPDATE SET;
 * - a column list and rows (`(a, b) VALUES (…), (…)`, MySQL's `VALUES ROW(…), ROW(…)`): INSERT INTO, INSERT … OVERRIDING … VALUE,
 *   INSERT IGNORE, INSERT OR REPLACE, REPLACE INTO, `INSERT INTO t AS u`, MERGE's WHEN NOT MATCHED
 *   THEN INSERT, and a derived table's rows (`UPDATE … FROM (VALUES …) AS v(id, pw)`, `MERGE …
 *   USING (VALUES …) AS s(…)`, `WITH v(id, pw) AS (VALUES …) UPDATE …`), whose column is secret
 *   when its own name says so or when an assignment, an insert or a SELECT list of the statement
 *   names it (`v.pw`, `crypt(v.pw, …)`) in a value of a secret column. A derived table of a SELECT
 *   (`MERGE … USING (SELECT '…' AS k) s`, `UPDATE … FROM (SELECT …) s`, a CTE's `WITH s AS (SELECT
 *   '…' AS k) UPDATE …`) is judged so too, each value under its alias (judgeSelect). A statement ends at the next write's head or the text's end.
 * `INSERT … SELECT 'ci', '…'` too: the SELECT list's values go into the columns as a row's do (and
 * on after each `UNION [ALL] SELECT`, `INTERSECT SELECT`, `EXCEPT SELECT`); every string of its
 * FROM is judged as the secret column's (a derived table, `FROM (SELECT '…' AS k) t`, may be what
 * the list writes), and its WHERE and the rest are read past, not judged. A source in any other
 * form (`(SELECT …)` in brackets, `WITH … SELECT`, `SELECT DISTINCT ON (…)`, `UNION (SELECT …)`)
 * has every string literal from there to the statement's `;` hidden, at any depth, when a column
 * it writes says secret: which literal reaches which column is no longer plain, and a name hidden
 * costs less than a key shown. An INSERT without a column list is judged by its table alone
 * (SqlSecretRule.row). And `COPY t (cols) FROM stdin`: the secret columns' fields of the
 * tab-separated rows after it (or separated by its DELIMITER, or CSV with its QUOTE and ESCAPE, a
 * quoted field over several lines too), up to `\.` (copyFields).
 *
 * A literal is quoted (`'…'`, `E'…'`) or dollar-quoted (`$$…$$`, `$tag$…$tag$`), and in a row's or
 * an assignment's value also double-quoted (MySQL's string, `VALUES ("bob", "…")`; a name in
 * PostgreSQL, which stays shown in a column list or a table's name). Each statement is
 * read once from its head to the end of its rows or assignments, and the search goes on after
 * them: a literal's quotes, `''` inside, and brackets (`crypt('…', gen_salt('bf'))`) are followed,
 * nothing more; a derived table's rows are read twice at most (once to pass them, once when the
 * statement's end says which of their columns are secret). Text without a write's keyword is not
 * read at all (SQL_KEYWORD). Names are plain, double-quoted, in MySQL's backticks or SQL Server's
 * brackets. SQL Server's `UPDATE k SET … FROM api_keys k`: the SET list is read again under the
 * table the FROM names for the alias (aliasedTable); its `TOP (n)` and table hints (`WITH (NOLOCK)`)
 * are read past.
 */

export interface SqlSecretRule {
  /** The name a column's values are judged under when the column holds secrets; undefined when it does not. */
  column(table: string, column: string): string | undefined;
  /** The same for every value of an INSERT that names no columns (only its table tells). */
  row(table: string): string | undefined;
  /** Whether `value`, written under `name`, is to be hidden. */
  value(name: string, value: string): boolean;
  /** Whether `column` holds secrets in some table by that table's name alone (`key`): for a write whose table is still to come. */
  byTable?(column: string): boolean;
}

import { firstAtOrAfter } from './sorted.js';

type Span = [number, number];
type Literal = (start: number, end: number) => void;

/** Where a backslash-escaped literal's next unescaped quote is, from `at`; -1 if none. */
function closingQuote(text: string, at: number, quote = "'"): number {
  for (let j = at; j < text.length; j++) {
    if (text[j] === '\\') j++;
    else if (text[j] === quote) return j;
  }
  return -1;
}

/** Per quote, the text read last and a place in it from which no unescaped quote follows (see closingEscapedQuote). */
const noClosing = new Map<string, { text: string; from: number }>();

/**
 * Where a backslash-escaped string's next unescaped `quote` is, from `at` (just past a quote); -1
 * if none. A search that found none is not made again: each line of a log may open a string whose
 * every later quote is escaped (`x\"`), and a search from each to the text's end would be n². A
 * search from a later place just past a quote goes as the failed one went from there (that quote
 * was not escaped away from it: a quote is no backslash), so it fails too.
 */
function closingEscapedQuote(text: string, at: number, quote: string): number {
  const none = noClosing.get(quote);
  if (none?.text === text && at >= none.from) return -1;
  const q = closingQuote(text, at, quote);
  if (q < 0) noClosing.set(quote, { text, from: none?.text === text ? Math.min(none.from, at) : at });
  return q;
}

/**
 * MySQL reads `\'` inside '…' as an escaped quote, PostgreSQL (standard_conforming_strings) as a
 * backslash, then the string's end: a text with `\'` in it is read both ways (sqlSecretSpans),
 * this set for the second reading, and what either hides is hidden.
 */
let backslashQuotes = false;

const DOLLAR_TAG = /\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/y;
/**
 * What may follow the `"` that ends a message's quotation (see readSqlValue), read two characters
 * on: the end of the text, or `:`, `.`, `,`, `;` then white space or the end (`…'": relation`). Not a
 * space alone: MySQL reads `'a'" b"` as one string, whose second part must stay hidden.
 */
const QUOTATION_END = /^(?:[:.,;]\s?)?$/;

/** Where each dollar tag occurs in the text indexed last, in order (see closingTag). */
let dollarTags: { text: string; at: Map<string, number[]> } | undefined;

/**
 * Where `tag` next occurs in `text` from `from`; -1 if nowhere. A search per tag would read to the
 * text's end for each tag that never closes (a log of 20,000 lines, each with its own `$tN$`: n²), so
 * the text's tags are indexed once: a tag occurs at a `$` exactly where DOLLAR_TAG matches it there
 * (a name stops at the next `$`), so reading the match at every `$` finds every occurrence.
 */
function closingTag(text: string, tag: string, from: number): number {
  if (dollarTags?.text !== text) {
    const at = new Map<string, number[]>();
    for (let p = text.indexOf('$'); p >= 0; p = text.indexOf('$', p + 1)) {
      DOLLAR_TAG.lastIndex = p;
      const found = DOLLAR_TAG.exec(text)?.[0];
      if (found === undefined) continue;
      const list = at.get(found);
      if (list) list.push(p);
      else at.set(found, [p]);
    }
    dollarTags = { text, at };
  }
  return firstAtOrAfter(dollarTags.at.get(tag), from);
}

/**
 * A literal opened at `open` and cut short (a log line's end): hidden from `start` to the end of
 * its line, as far as it can be seen. Returns where the value's reading stops.
 */
function unclosed(text: string, open: number, start: number, literal: (start: number, end: number) => void): number {
  const eol = text.indexOf('\n', open);
  const stop = eol < 0 ? text.length : eol;
  literal(start, stop);
  return stop;
}

/**
 * Reads one value of a row or an assignment from `at`: to a `,` or a `)` outside brackets and
 * literals. Calls `literal` with the content span of every string literal in the value, however deep:
 * `encode(digest('…', 'sha256'), 'hex')` carries its secret two calls down, and hiding a `'bf'` or a
 * `'sha256'` beside it costs nothing; returns
 * where it stopped (the `,` or `)`, the end of the text, or the end of the line of an unclosed literal).
 * `doubleQuoted`: the value is a row's or an assignment's, where `"…"` is MySQL's string (`VALUES
 * ("bob", "…")`, `SET password = "…"`; backslash escapes and `""` inside) and PostgreSQL's name of
 * a column: judged as a literal, as a name hidden costs less than a password shown. Elsewhere (a
 * column list, a table's name, a SELECT's list and FROM) it is a name and no literal; so is one
 * qualified, or qualifying, or a function's (`EXCLUDED."key"`, `"v".pw`, `"f"(…)`).
 */
function readSqlValue(text: string, at: number, literal: (start: number, end: number) => void, stopAtWord?: RegExp, doubleQuoted = false): number {
  let depth = 0;
  let i = at;
  /** Just past the last '…' literal read. */
  let quotedEnd = -1;
  while (i < text.length) {
    const c = text[i]!;
    // A dollar-quoted literal (`$$…$$`, `$pw$…$pw$`): nothing inside is special up to the same tag.
    // `$1` (a parameter) and a `$` inside a name (`a$b`) open none.
    DOLLAR_TAG.lastIndex = i;
    const tag = c === '$' && !/[A-Za-z0-9_$]/.test(text[i - 1] ?? '') ? DOLLAR_TAG.exec(text)?.[0] : undefined;
    if (tag !== undefined) {
      const close = closingTag(text, tag, i + tag.length);
      if (close < 0) return unclosed(text, i, i + tag.length, literal);
      literal(i + tag.length, close);
      i = close + tag.length;
      continue;
    }
    if (c === "'") {
      // `E'…'` takes backslash escapes (`E'it\'s'`), as MySQL's every '…' does; a plain literal only `''`.
      const escapes = backslashQuotes || (/[Ee]/.test(text[i - 1] ?? '') && !/[A-Za-z0-9_]/.test(text[i - 2] ?? ''));
      let j = i + 1;
      for (;;) {
        const q = escapes ? closingEscapedQuote(text, j, "'") : text.indexOf("'", j);
        if (q < 0) return unclosed(text, i, i + 1, literal);
        if (text[q + 1] === "'") {
          j = q + 2;
          continue;
        }
        literal(i + 1, q);
        i = q + 1;
        quotedEnd = i;
        break;
      }
      continue;
    }
    // A `"` right after a literal, and before a word's break (`SET key = '…'": relation …`), closes
    // a message's quotation of the statement, not a MySQL string: read as one, the message after it
    // was hidden to its line's end. The value ends there. (`'…'"…"`, MySQL's two strings as one, is read on.)
    if (c === '"' && doubleQuoted && i === quotedEnd && QUOTATION_END.test(text.slice(i + 1, i + 3))) return i;
    if (c === '"' && doubleQuoted) {
      let j = i + 1;
      for (;;) {
        const q = closingEscapedQuote(text, j, '"');
        if (q < 0) return unclosed(text, i, i + 1, literal);
        if (text[q + 1] === '"') {
          j = q + 2;
          continue;
        }
        if (text[i - 1] !== '.' && text[q + 1] !== '.' && text[q + 1] !== '(') literal(i + 1, q);
        i = q + 1;
        break;
      }
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')') {
      if (depth === 0) return i;
      depth--;
    } else if ((c === ',' || c === ';') && depth === 0) return i;
    else if (stopAtWord && depth === 0 && /\s/.test(c)) {
      stopAtWord.lastIndex = i;
      if (stopAtWord.test(text)) return i;
    }
    i++;
  }
  return i;
}

/**
 * A SET list (UPDATE's, ON CONFLICT's, a MERGE's WHEN) ends at a clause's keyword or at the statement's end
 * (MERGE's next `WHEN [NOT] MATCHED`, not a CASE's WHEN). Tried at each white
 * space character, so it reads one: the last before the keyword is where it matches.
 */
const SET_LIST_END = /\s(?:where|returning|from|when\s+(?:not\s+)?matched)(?![A-Za-z0-9_])/iy;
/** A SELECT list ends at its first clause's keyword (or a UNION's); tried as SET_LIST_END is. */
const SELECT_LIST_END = /\s(?:from|where|group|having|window|order|limit|offset|fetch|for|union|intersect|except|returning|on)(?![A-Za-z0-9_])/iy;
/** Where the rest of a SELECT stops being read past: a UNION that may bring another SELECT list. */
const UNION_AT = /\s(?:union|intersect|except|on\s+(?:conflict|duplicate))(?![A-Za-z0-9_])/iy;
const UNION_SELECT = /\s+(?:union|intersect|except)(?:\s+all|\s+distinct)?\s+select(?![A-Za-z0-9_])\s*/iy;
/** A SELECT's FROM, and where it ends: the clause after it (a JOIN's ON is read as the FROM's). */
const FROM_AT = /\s+from(?![A-Za-z0-9_])/iy;
const FROM_END = /\s(?:where|group|having|window|order|limit|offset|fetch|for|union|intersect|except|returning|on\s+(?:conflict|duplicate))(?![A-Za-z0-9_])/iy;
/** A set operation whose next SELECT is not plain (`UNION ALL (SELECT …)`). */
const SET_OPERATION = /\s+(?:union|intersect|except)(?![A-Za-z0-9_])/iy;
/** A SELECT list whose values the plain reading cannot line up with the columns. */
const DISTINCT_ON = /distinct\s+on(?![A-Za-z0-9_])/iy;

/**
 * Calls `literal` with every string literal from `at` to the statement's end (a `;` outside
 * brackets and literals, an unclosed literal's line end, or the text's end), at any depth;
 * returns where it stopped. Each character is read once.
 */
function statementLiterals(text: string, at: number, literal: (start: number, end: number) => void): number {
  let i = at;
  while ((i = readSqlValue(text, i, literal)) < text.length && (text[i] === ',' || text[i] === ')')) i++;
  return i;
}


/** A table's name: letters, digits, `_`, a schema's `.`, double quotes, MySQL's backticks or SQL Server's brackets. */
const NAME = '[A-Za-z0-9_."`\\[\\]]+';
const ALIAS = '[A-Za-z_][A-Za-z0-9_]*';
const END = '(?![A-Za-z0-9_])';
/**
 * SQL Server's UPDATE TOP (n) [PERCENT] before the table, and its table hints after it (`UPDATE
 * api_keys WITH (ROWLOCK) SET …`): read past, or the name after UPDATE was TOP and the SET list
 * judged under no table (`key` of api_keys shown). A hint's brackets hold no brackets (`[^()]*`:
 * each head's try stops at the next one).
 */
const UPDATE_TOP = `top\\s*\\([^()]*\\)\\s*(?:percent${END}\\s*)?`;
const TABLE_HINTS = `\\s+with\\s*\\([^()]*\\)`;
/** What may stand between a CTE's AS and its bracket. */
const MATERIALIZED = '(?:(?:not\\s+)?materialized\\s*)?';

/**
 * The heads of SQL writes, each tried only at a word's start. In order, as the alternation tries them:
 * - `cte`: a CTE of rows, `WITH v(id, k) AS (VALUES …)` (or `, v(…) AS (VALUES …)` after another), for the write after it;
 *   or of a SELECT (`cteSelect`), `WITH s AS (SELECT '…' AS k)`, `WITH s(k) AS (SELECT …)`, judged as a derived SELECT is;
 * - `sub`: an assignment list of the statement read last (ON CONFLICT's, ON DUPLICATE KEY's, MERGE's);
 * - `mergeInsert`: MERGE's `THEN INSERT [(cols)] VALUES (…)`, into the MERGE's table;
 * - `insert`: INSERT [IGNORE | OR REPLACE …] INTO, REPLACE INTO, with `AS alias`; the rest is INSERT_TAIL's;
 * - `update`: UPDATE [ONLY] t [[AS] alias] SET;
 * - `updateJoin`: MySQL's UPDATE t [alias] JOIN … (or `, u …`) SET, whose SET is read to after the tables;
 * - `merge`: MERGE [INTO] t [[AS] alias] USING;
 * - `derived`: a derived table of rows, `(VALUES …) [AS] v(cols)`, wherever the statement has one
 *   (UPDATE's FROM or a JOIN, MERGE's USING; INSERT's own sources are read by readInsert);
 * - `derivedSelect`: a derived table of a SELECT, `(SELECT '…' AS pw) [AS] s`, there too (see judgeSelect);
 * - `copy`: COPY t (cols) FROM stdin.
 */
const SQL_HEAD = new RegExp(
  `(?<![A-Za-z0-9_])(?:(?:with(?:\\s+recursive)?\\s+|,\\s*)(?<cte>${ALIAS})${END}\\s*(?:\\((?<cteColumns>[^()]*)\\)\\s*as\\s*${MATERIALIZED}\\(\\s*values\\s*|(?:\\((?<cteSelectColumns>[^()]*)\\)\\s*)?as\\s*${MATERIALIZED}\\(\\s*(?<cteSelect>select${END})\\s*)` +
    `|(?<sub>do\\s+update\\s+set|on\\s+duplicate\\s+key\\s+update|then\\s+update\\s+set)\\s+` +
    `|(?<mergeInsert>then\\s+insert)(?=\\s*\\(|\\s+(?:overriding|values)${END})` +
    `|(?:insert(?:\\s+(?:ignore|low_priority|delayed|high_priority))?(?:\\s+or\\s+(?:replace|ignore|abort|fail|rollback))?|replace(?:\\s+(?:low_priority|delayed))?)\\s+into\\s+(?<insert>${NAME})(?:\\s+as\\s+(?!(?:values|select|with|overriding|set)${END})${ALIAS}${END})?` +
    `|update\\s+(?:only\\s+|${UPDATE_TOP})?(?<update>${NAME})(?:\\s+(?:as\\s+)?(?!(?:set|with)${END})${ALIAS})?(?:${TABLE_HINTS})?\\s+set\\s+` +
    `|update\\s+(?<updateJoin>${NAME})(?:\\s+(?:as\\s+)?(?!(?:set|join|inner|cross|left|right|straight_join)${END})${ALIAS})?(?=\\s*,|\\s+(?:(?:inner|cross|(?:left|right)(?:\\s+outer)?)\\s+)?(?:join|straight_join)${END})` +
    `|merge\\s+(?:into\\s+)?(?<merge>${NAME})(?:\\s+(?:as\\s+)?(?!using${END})${ALIAS})?\\s+using${END}` +
    `|(?<derived>\\(\\s*values\\s*)` +
    `|(?<derivedSelect>\\(\\s*select${END}\\s*)` +
    `|copy\\s+(?<copy>${NAME})\\s*\\((?<copyColumns>[^()]*)\\)\\s*from\\s+stdin${END}(?<copyOptions>(?:[^;\\n']|'[^'\\n]*')*))`,
  'gi',
);
/**
 * What an INSERT's head is followed by: its column list (absent, or not one when a source in
 * brackets follows), OVERRIDING … VALUE, and its source: VALUES, SELECT, MySQL's SET, or a
 * source in brackets or after WITH (only looked at).
 */
const INSERT_TAIL = new RegExp(
  `(?:\\s*\\((?!\\s*(?:select|with|values)${END})([^()]*)\\)\\s*|\\s+|(?=\\())(?:overriding\\s+(?:system|user)\\s+value\\s+)?(values\\s*|select${END}\\s*|set\\s+|(?=\\((?:\\s*\\()*\\s*(?:select|with|values)${END}|with${END}))`,
  'iy',
);
/** Lines without one of these words hold no write: the SQL reading is not tried on them. */
const SQL_KEYWORD = /insert|update|merge|copy|replace|values/i;
/**
 * A column's name, plain or quoted. Its quotes are taken one at a time, not in pairs (as
 * TABLE_ALIAS's are, whose alias is only compared): a statement with a quote missing (`"key`) is
 * the one that fails and is printed, and read in pairs it would name no column, its key shown.
 */
const SQL_IDENTIFIER = /^\s*["`[]?([A-Za-z0-9_]+)["`\]]?\s*$/;
/** An assignment's column, perhaps after its table's alias (MySQL's `SET u.password = …`). */
/** Assignments of several columns at once (PostgreSQL's `SET (a, b) = (…)`, `= ROW (…)`). */
const MULTI_ASSIGNMENT = /\s*\(([^()]*)\)\s*=\s*(?:row\s*)?(?=\()/iy;
const SQL_ASSIGNMENT = /\s*(?:["`[]?[A-Za-z_][A-Za-z0-9_]*["`\]]?\.)?["`[]?([A-Za-z0-9_]+)["`\]]?\s*=(?!=)/y;
/**
 * The names in a value that may be columns of a derived table (`v.pw`, `crypt(s.pw, gen_salt('bf'))`):
 * every word, a function's name too, which only hides more of a derived table whose column is named so.
 */
const REFERENCE = /[A-Za-z_][A-Za-z0-9_]*/g;
const ROW_SEPARATOR = /\s*,\s*/y;
/** The SET after MySQL's UPDATE … JOIN's tables; tried as SET_LIST_END is. */
const SET_AT = /\sset(?![A-Za-z0-9_])/iy;
const SET_AFTER = /\s+set\s+/iy;
/** What may stand at the text's end where a derived table's alias is still to come: a `,` before more rows, `)`, `) AS v`, `) v (id`. */
const ALIAS_TO_COME = /\s*(?:,|\)\s*(?:as\s+)?(?:["`]?[A-Za-z_][A-Za-z0-9_]*["`]?\s*(?:\([^()]*)?)?)?$/iy;
/** The end of a derived table of rows: `) AS v(id, pw)`, `) v (id, pw)`. */
const DERIVED_ALIAS = /\s*\)\s*(?:as\s+)?["`]?[A-Za-z_][A-Za-z0-9_]*["`]?\s*\(([^()]*)\)/iy;

/** The names in a column list, each undefined where it is no plain name. */
const columnNames = (list: string) => list.split(',').map((c) => SQL_IDENTIFIER.exec(c)?.[1]);

/** One write being read: its table, what its values refer to, and its derived rows still to judge. */
interface Statement {
  table: string;
  /** A column of a derived table (lower case) and the secret column a value of this statement puts it into. */
  references: Map<string, string>;
  /** `pending`: the text ended before its alias (see spansOneWay's `open`). */
  derived: { at: number; columns: (string | undefined)[]; pending?: boolean }[];
  /** Its derived tables of a SELECT: where the SELECT list starts and the table's alias, perhaps with column names. */
  selects: DerivedSelect[];
}

/**
 * Rows from `at` (`(…, …), (…)`), or `one` row: each value read for its column, `judge(column)`
 * told its literals and `seen` each value's span. Returns where the rows end (past the last one's `)`).
 */
function readRows(text: string, at: number, judge: (column: number) => Literal, seen?: (column: number, start: number, end: number) => void, one = false): number {
  let i = rowOpen(text, at);
  while (text[i] === '(') {
    i++;
    for (let column = 0; ; column++) {
      const start = i;
      i = readSqlValue(text, i, judge(column), undefined, true);
      seen?.(column, start, i);
      if (text[i] !== ',') break;
      i++;
    }
    if (text[i] !== ')') return i;
    if (one) return i + 1;
    ROW_SEPARATOR.lastIndex = i + 1;
    if (!ROW_SEPARATOR.test(text)) return i + 1;
    const next = rowOpen(text, ROW_SEPARATOR.lastIndex);
    i = text[next] === '(' ? next : i + 1;
  }
  return i;
}

/**
 * MySQL's row constructor, `VALUES ROW('…', …), ROW(…)` (in INSERT and in a table value
 * constructor, `(VALUES ROW(…)) AS v(…)`): a row as `(…)` is. Where a row's `(` is, from `at`.
 */
const ROW_KEYWORD = /row\s*(?=\()/iy;
function rowOpen(text: string, at: number): number {
  ROW_KEYWORD.lastIndex = at;
  return ROW_KEYWORD.test(text) ? ROW_KEYWORD.lastIndex : at;
}

/**
 * A COPY's secret columns: the name each column's fields are judged under, and how its rows are
 * written: their field separator (a tab, or the DELIMITER given; a comma in CSV) and, in CSV, the
 * QUOTE and ESCAPE characters. Char codes.
 */
interface CopyColumns {
  names: (string | undefined)[];
  csv: boolean;
  delimiter: number;
  quote: number;
  escape: number;
}

/** Where a COPY's data row is being read: inside a CSV field whose quotes hold a line break, its column, and how many lines it has run over. */
interface CopyRow {
  quoted: boolean;
  column: number;
  lines: number;
}

/**
 * A quoted CSV field is followed over as many lines as it runs, to its closing quote or the `\.`
 * that ends the data (psql ends it there, quotes or not): a field cut after so many lines read its
 * closing quote as an opening one, and the rows after it as inside a field, shown.
 */
const NEW_ROW: CopyRow = { quoted: false, column: 0, lines: 0 };

/**
 * The spans of a COPY data line's fields whose column has a name, judged under it, from `start`
 * to `end` (a line, without its line break); returns where the row stands after it. In the text
 * format the fields are cut at the delimiter (a backslash escapes the character after it; `\N`
 * is a NULL); in CSV at a delimiter outside quotes, a quoted field hidden inside its quotes (`""`
 * or the ESCAPE character inside). A CSV field may hold line breaks inside its quotes: the row then
 * goes on over the next lines, each one's part of a secret column's field hidden as it comes (it
 * cannot wait for the row's end: a program's lines are shown one by one). A row on one line is a
 * row only with one field per column (COPY writes a delimiter or a line break inside a value
 * escaped or quoted): another line (an error said between rows) is left as it is. Read within the
 * line only: a search for the next delimiter could run on over the lines after it.
 */
function copyFields(text: string, start: number, end: number, columns: CopyColumns, row: CopyRow, rule: SqlSecretRule, hide: Span[]): CopyRow {
  const { names, csv, delimiter, quote, escape } = columns;
  const stop = text[end - 1] === '\r' ? end - 1 : end;
  const fields: [number, number, number][] = [];
  let { quoted, column } = row;
  let from = start;
  for (let k = start; k < stop; k++) {
    const c = text.charCodeAt(k);
    if (csv) {
      if (quoted && c === escape && escape !== quote && k + 1 < stop) k++;
      else if (c === quote) quoted = !quoted;
      else if (c === delimiter && !quoted) {
        fields.push([from, k, column++]);
        from = k + 1;
      }
    } else if (c === 92) k++;
    else if (c === delimiter) {
      fields.push([from, k, column++]);
      from = k + 1;
    }
  }
  fields.push([from, stop, column]);
  const goesOn = csv && quoted;
  const oneLine = row.lines === 0 && !goesOn;
  if (oneLine && column !== names.length - 1) return NEW_ROW;
  for (const [a, b, at] of fields) {
    const name = names[at];
    if (name === undefined) continue;
    // A field's quotes: its first, unless the line goes on with it from the last; its last, unless it goes on to the next.
    const inner = csv && b > a && text.charCodeAt(a) === quote && (a !== start || row.lines === 0) ? 1 : 0;
    const close = csv && b - a - inner >= 1 && text.charCodeAt(b - 1) === quote && (b !== stop || !goesOn) ? 1 : 0;
    const value = text.slice(a + inner, b - close);
    // A part of a field over several lines is hidden whatever it holds: the value is judged whole nowhere.
    if (value !== '' && value !== '\\N' && (!oneLine || rule.value(name, value))) hide.push([a + inner, b - close]);
  }
  return goesOn ? { quoted: true, column, lines: row.lines + 1 } : NEW_ROW;
}

/** A one-character string a COPY option gives (`DELIMITER '|'`, `WITH (QUOTE '''')`, `DELIMITER E'\t'`), as a char code. */
function copyOption(options: string, name: string): number | undefined {
  const m = new RegExp(`(?<![A-Za-z0-9_])${name}\\s+(?:as\\s+)?(E?)'((?:[^']|'')*)'`, 'i').exec(options);
  if (!m) return undefined;
  const value = m[2]!.replace(/''/g, "'");
  const read = m[1] ? ({ '\\t': '\t', '\\\\': '\\', "\\'": "'" } as Record<string, string>)[value] ?? value : value;
  return read.length === 1 ? read.charCodeAt(0) : undefined;
}

/** A COPY's columns, or undefined when none is secret; `options`: what follows `FROM stdin` (`WITH (FORMAT csv, DELIMITER '|')`). */
function copyColumns(table: string, list: string, options: string, rule: SqlSecretRule): CopyColumns | undefined {
  const names = columnNames(list).map((c) => (c === undefined ? undefined : rule.column(table, c)));
  if (!names.some((n) => n !== undefined)) return undefined;
  const csv = /(?<![A-Za-z0-9_])csv(?![A-Za-z0-9_])/i.test(options);
  const quote = copyOption(options, 'quote') ?? 34;
  return { names, csv, delimiter: copyOption(options, 'delimiter') ?? (csv ? 44 : 9), quote, escape: copyOption(options, 'escape') ?? quote };
}

/** The end of a COPY's data (`\.` on its own line) is `line`. */
const endsCopy = (line: string) => line === '\\.' || line === '\\.\r';

/** Where the literals an SQL write puts into secret columns are in `text`, in order (see above); read both ways where a `\'` makes them differ (backslashQuotes). */
export function sqlSecretSpans(text: string, rule: SqlSecretRule, open = false): Span[] {
  const spans = spansOneWay(text, rule, open);
  if (!text.includes("\\'")) return spans;
  backslashQuotes = true;
  try {
    return union([...spans, ...spansOneWay(text, rule, open)]);
  } finally {
    backslashQuotes = false;
  }
}

/** Spans merged where they overlap, in order of their starts. */
function union(spans: Span[]): Span[] {
  const out: Span[] = [];
  for (const [start, end] of spans.sort((a, b) => a[0] - b[0] || b[1] - a[1])) {
    const last = out.at(-1);
    if (last && start < last[1]) last[1] = Math.max(last[1], end);
    else out.push([start, end]);
  }
  return out;
}

/**
 * The name a derived table's column is judged under while what the write puts where is still to
 * come (sqlWriteLines: a MERGE's USING rows shown before its WHEN clauses, a CTE's rows before its
 * write): as a value named secret is.
 */
const UNDECIDED = 'secret';

/** `open`: the text may go on (a program's lines so far): a statement it ends inside is judged as undecided (UNDECIDED). */
function spansOneWay(text: string, rule: SqlSecretRule, open = false): Span[] {
  const hide: Span[] = [];
  if (!SQL_KEYWORD.test(text)) return hide;
  const judge =
    (name: string | undefined): Literal =>
    (start, end) => {
      if (name !== undefined && rule.value(name, text.slice(start, end))) hide.push([start, end]);
    };
  /** The write being read; `prefix`: only the CTEs before its head are read yet (its table is not known). */
  let statement: (Statement & { prefix?: boolean; merge?: boolean }) | undefined;
  /** A value put into the secret column `name`: a derived table's column it names (`v.pw`) is secret too. */
  const refer = (name: string | undefined, start: number, end: number) => {
    if (name === undefined || !statement) return;
    for (const [ref] of text.slice(start, end).matchAll(REFERENCE)) statement.references.set(ref.toLowerCase(), name);
  };
  /**
   * The statement read last is over: its derived rows are judged, now that its references are
   * known; `undecided`: they may not be all known yet, and a column none names is judged as UNDECIDED.
   */
  const finish = (undecided = false) => {
    if (!statement) return;
    const { table, references } = statement;
    const fallback = undecided ? UNDECIDED : undefined;
    const secret = (name: string) => rule.column(table, name) ?? references.get(name.toLowerCase()) ?? fallback;
    for (const { at, columns, pending } of statement.derived) {
      if (pending) {
        if (undecided || references.size > 0) readRows(text, at, () => judge(UNDECIDED));
        continue;
      }
      const names = columns.map((c) => (c === undefined ? fallback : secret(c)));
      if (names.some((n) => n !== undefined)) readRows(text, at, (column) => judge(names[column]));
    }
    // A CTE's SELECT whose write is still to come (a program's lines so far) is judged by its own
    // names (`AS api_key`, or `AS key`, secret by some table's name): hidden whole as undecided, every
    // CTE psql echoes after a write (`WITH recent AS (SELECT … WHERE env = 'production')`) would be.
    const selectSecret = undecided && statement.prefix ? (name: string) => rule.column(table, name) ?? (rule.byTable?.(name) ? UNDECIDED : undefined) : secret;
    for (const select of statement.selects) judgeSelect(text, select, selectSecret, judge);
    statement = undefined;
  };
  const begin = (table: string) => {
    if (statement?.prefix) Object.assign(statement, { table, prefix: false });
    else {
      finish();
      statement = { table, references: new Map(), derived: [], selects: [] };
    }
  };
  /** Rows of a derived table from `at`, passed now, judged at the statement's end; returns where its alias ends. */
  const derivedRows = (at: number) => {
    const i = readRows(text, at, () => () => {});
    DERIVED_ALIAS.lastIndex = i;
    const alias = DERIVED_ALIAS.exec(text);
    if (!alias) {
      // The text may end before the alias that names its columns (a program's lines so far): every
      // column is then undecided, when the write puts something of a derived table into a secret one.
      ALIAS_TO_COME.lastIndex = i;
      if (open && ALIAS_TO_COME.test(text)) statement?.derived.push({ at, columns: [], pending: true });
      return i;
    }
    statement?.derived.push({ at, columns: columnNames(alias[1]!) });
    return DERIVED_ALIAS.lastIndex;
  };
  /** Assignments from `at`, `col = value, …`, to the clause after them (SET_LIST_END) or the statement's end. */
  const assignments = (at: number, table: string, secret = (column: string) => rule.column(table, column)) => {
    let i = at;
    for (;;) {
      // `(a, b) = ('…', '…')`: a row of the columns in brackets.
      MULTI_ASSIGNMENT.lastIndex = i;
      const multi = MULTI_ASSIGNMENT.exec(text);
      if (multi) {
        const names = columnNames(multi[1]!).map((c) => (c === undefined ? undefined : secret(c)));
        i = readRows(text, MULTI_ASSIGNMENT.lastIndex, (column) => judge(names[column]), (column, start, end) => refer(names[column], start, end), true);
        ROW_SEPARATOR.lastIndex = i;
        if (!ROW_SEPARATOR.test(text)) return i;
        i = ROW_SEPARATOR.lastIndex;
        continue;
      }
      SQL_ASSIGNMENT.lastIndex = i;
      const a = SQL_ASSIGNMENT.exec(text);
      if (!a) return i;
      const name = secret(a[1]!);
      const start = SQL_ASSIGNMENT.lastIndex;
      i = readSqlValue(text, start, judge(name), SET_LIST_END, true);
      refer(name, start, i);
      if (text[i] !== ',') return i;
      i++;
    }
  };

  /** Where the last FROM read for an alias (aliasedTable) stopped, and the last derived SELECT (derivedSelect) ended. */
  let fromRead = 0;
  let selectRead = 0;
  const re = new RegExp(SQL_HEAD);
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const g = m.groups!;
    let i = m.index + m[0].length;
    if (g.cte !== undefined) {
      // Its rows are judged with the write's: which of its columns the write puts into a secret one.
      if (!statement?.prefix) {
        finish();
        statement = { table: '', references: new Map(), derived: [], selects: [], prefix: true };
      }
      if (g.cteSelect !== undefined) {
        // Named by the CTE (`s`, `s(k)`), as a derived table by its alias. Passed to its end once;
        // the main reading goes on inside it, as in a derived SELECT (a derived table of rows there).
        if (i >= selectRead) {
          const select: DerivedSelect = { at: i, end: selectEnd(text, i), alias: g.cte, columns: g.cteSelectColumns === undefined ? undefined : columnNames(g.cteSelectColumns) };
          selectRead = select.end;
          statement.selects.push(select);
        }
      } else {
        statement.derived.push({ at: i, columns: columnNames(g.cteColumns!) });
        i = readRows(text, i, () => () => {});
      }
    } else if (g.sub !== undefined) i = assignments(i, statement?.table ?? '');
    else if (g.update !== undefined) {
      begin(g.update);
      const set = i;
      i = assignments(set, g.update);
      // SQL Server's `UPDATE k SET … FROM api_keys k`: the name after UPDATE was an alias, and its
      // table (known only now) says which columns are secret: the SET list is read again under it.
      // A FROM read already (one whose unclosed bracket ran on over this head) is not read again.
      const [table, end] = i >= fromRead ? aliasedTable(text, i, g.update) : [undefined, fromRead];
      fromRead = end;
      if (table !== undefined) {
        statement!.table = table;
        assignments(set, table);
      } else if (open && i >= text.length) {
        // The SET list ran to the end of a program's lines so far: a FROM naming the alias's table
        // may come on the next, too late for this line. A column that some table's name makes
        // secret (SqlSecretRule.byTable) is judged as undecided meanwhile.
        const name = g.update;
        assignments(set, name, (c) => rule.column(name, c) ?? (rule.byTable?.(c) ? UNDECIDED : undefined));
      }
    } else if (g.updateJoin !== undefined) {
      begin(g.updateJoin);
      // The joined tables and their ON conditions, read past (brackets and literals followed) to SET.
      while ((i = readSqlValue(text, i, () => {}, SET_AT)) < text.length && text[i] === ',') i++;
      SET_AFTER.lastIndex = i;
      if (SET_AFTER.test(text)) i = assignments(SET_AFTER.lastIndex, g.updateJoin);
    } else if (g.merge !== undefined) {
      begin(g.merge);
      statement!.merge = true;
    }
    else if (g.derived !== undefined) i = derivedRows(i);
    else if (g.derivedSelect !== undefined) {
      // Passed to its end for its alias; a SELECT inside one passed already is read with it. The
      // main reading goes on inside it (a derived table of rows there is read as anywhere).
      if (statement && !statement.prefix && i >= selectRead) {
        const select = derivedSelect(text, i);
        selectRead = select.end;
        statement.selects.push(select);
      }
    }
    else if (g.copy !== undefined) {
      finish();
      i = readCopy(text, i, copyColumns(g.copy, g.copyColumns!, g.copyOptions!, rule), rule, hide);
    } else {
      if (g.insert !== undefined) begin(g.insert);
      INSERT_TAIL.lastIndex = i;
      const tail = INSERT_TAIL.exec(text);
      if (tail) i = readInsert(text, INSERT_TAIL.lastIndex, statement?.table ?? '', tail[1], tail[2]!, rule, judge, assignments, refer);
    }
    re.lastIndex = Math.max(i, re.lastIndex);
  }
  // A MERGE's WHEN clauses, or a CTE's write, may be on lines still to come: what its rows hold is not known yet.
  finish(open && (statement?.prefix === true || statement?.merge === true) && !text.trimEnd().endsWith(';'));
  return hide.sort((a, b) => a[0] - b[0]);
}

/** A derived table of a SELECT, from its list's start to its `)`, and its alias. */
interface DerivedSelect {
  at: number;
  end: number;
  alias?: string;
  columns?: (string | undefined)[];
}

/** The alias after a derived table's `)`, perhaps with its columns: `) AS s`, `) s (name, pw)`. */
const SELECT_ALIAS = /\)\s*(?:as\s+)?["`[]?([A-Za-z_][A-Za-z0-9_]*)["`\]]?(?:\s*\(([^()]*)\))?/iy;
/** What may stand before a SELECT list's first value. */
const SELECT_QUANTIFIER = /\s*(?:(?:distinct|all)\s+|top\s*\(?\s*\d+\s*\)?\s*)?/iy;
/** The name a SELECT list's value goes by: its alias (`'…' AS pw`, `'…' pw`) or the column it is (`s.pw`). */
const ITEM_NAME = /(?:^|[\s.)])["`[]?([A-Za-z_][A-Za-z0-9_]*)["`\]]?\s*$/;

/** Where a derived table's SELECT whose list starts at `at` ends: its `)`, brackets and literals followed (or a `;`, or the text's end). */
function selectEnd(text: string, at: number): number {
  let end = at;
  while ((end = readSqlValue(text, end, () => {})) < text.length && text[end] === ',') end++;
  return end;
}

/** A derived table of a SELECT whose list starts at `at`: read past to its `)`, and its alias. */
function derivedSelect(text: string, at: number): DerivedSelect {
  const end = selectEnd(text, at);
  SELECT_ALIAS.lastIndex = end;
  const alias = text[end] === ')' ? SELECT_ALIAS.exec(text) : null;
  return { at, end, alias: alias?.[1], columns: alias?.[2] === undefined ? undefined : columnNames(alias[2]) };
}

/**
 * A derived table of a SELECT judged at its statement's end, when the statement's references are
 * known (`MERGE … USING (SELECT 'ci' AS name, '…' AS k) s … UPDATE SET key = s.k`, `UPDATE … FROM
 * (SELECT '…' AS pw) s SET password = s.pw`): each value of its list under the name its column goes
 * by (the alias's column list, the value's alias, or the column it is), `secret` telling whether
 * that name is a secret column's. When one is, every literal after the list to the `)` (its FROM,
 * a UNION's SELECT) is judged under it too, as an INSERT's source is: which of them reaches the
 * column is no longer plain. A list with an unnamed value (`*`, `'…'`) whose alias a secret value
 * names (`s.*`, `crypt(s.x, …)`: REFERENCE) has those values, and all after the list, judged under it.
 */
function judgeSelect(text: string, { at, end, alias, columns }: DerivedSelect, secret: (name: string) => string | undefined, judge: (name: string | undefined) => Literal): void {
  SELECT_QUANTIFIER.lastIndex = at;
  let i = SELECT_QUANTIFIER.test(text) ? SELECT_QUANTIFIER.lastIndex : at;
  const items: { name: string | undefined; literals: Span[] }[] = [];
  for (let column = 0; ; column++) {
    const start = i;
    const literals: Span[] = [];
    i = Math.min(readSqlValue(text, i, (s, e) => literals.push([s, e]), SELECT_LIST_END), end);
    const name = columns ? columns[column] : ITEM_NAME.exec(text.slice(start, i))?.[1];
    items.push({ name: name === undefined ? undefined : secret(name), literals });
    if (name === undefined) items.at(-1)!.name = alias === undefined ? undefined : secret(alias);
    if (text[i] !== ',' || i >= end) break;
    i++;
  }
  const secretName = items.find((item) => item.name !== undefined)?.name;
  if (secretName === undefined) return;
  for (const { name, literals } of items) for (const [s, e] of literals) judge(name)(s, e);
  while (i < end && (i = readSqlValue(text, i, judge(secretName))) < end) i++;
}

/** Where a FROM's items end or the next begins (a JOIN), or a JOIN's ON condition starts; tried as SET_LIST_END is. */
const FROM_ITEM_END = /\s(?:join|on|where|group|having|window|order|limit|offset|fetch|for|union|intersect|except|returning|option|when|update|insert|merge|delete|with|select|set)(?![A-Za-z0-9_])/iy;
const FROM_ITEM_NEXT = /\s+(join|on)(?![A-Za-z0-9_])/iy;
/** SQL Server's table hints after a FROM item (`teams t WITH (NOLOCK) JOIN …`): its WITH is no next write's CTE. */
const FROM_ITEM_HINTS = /\s+with\s*(?=\()/iy;
/** A FROM item that is a table with an alias: `api_keys k`, `dbo.api_keys AS k`, `[dbo].[api_keys] AS [k]`, `"api_keys" "k"`. */
const TABLE_ALIAS = new RegExp(`\\s*(${NAME})\\s+(?:as\\s+)?(${ALIAS}|"${ALIAS}"|\\[${ALIAS}\\]|\`${ALIAS}\`)${END}`, 'iy');

/**
 * The table that `alias` names in the FROM clause at `at` (`FROM api_keys k JOIN teams t ON …`),
 * or undefined when there is none or it names none, and where the reading stopped. Each item is
 * read once, brackets and literals followed, to the clause after the FROM (or a next write's word).
 */
function aliasedTable(text: string, at: number, alias: string): [string | undefined, number] {
  FROM_AT.lastIndex = at;
  if (!FROM_AT.test(text)) return [undefined, at];
  const wanted = alias.replace(/["`[\]]/g, '').toLowerCase();
  let i = FROM_AT.lastIndex;
  let item = true;
  for (;;) {
    if (item) {
      TABLE_ALIAS.lastIndex = i;
      const t = TABLE_ALIAS.exec(text);
      if (t && t[2]!.replace(/["`[\]]/g, '').toLowerCase() === wanted && t[1]!.replace(/["`[\]]/g, '').toLowerCase() !== wanted) return [t[1]!, TABLE_ALIAS.lastIndex];
    }
    i = readSqlValue(text, i, () => {}, FROM_ITEM_END);
    FROM_ITEM_HINTS.lastIndex = i;
    if (FROM_ITEM_HINTS.test(text)) {
      // The hints' brackets are read past as the item's, to what ends the item after them.
      i = FROM_ITEM_HINTS.lastIndex;
      item = false;
      continue;
    }
    if (text[i] === ',') {
      i++;
      item = true;
      continue;
    }
    FROM_ITEM_NEXT.lastIndex = i;
    const next = FROM_ITEM_NEXT.exec(text);
    if (!next) return [undefined, i];
    i = FROM_ITEM_NEXT.lastIndex;
    item = next[1]!.toLowerCase() === 'join';
  }
}

/** A COPY's data rows, from the line after its head to `\.`: the secret columns' fields. Returns where they end. */
function readCopy(text: string, at: number, columns: CopyColumns | undefined, rule: SqlSecretRule, hide: Span[]): number {
  if (!columns) return at;
  let row = NEW_ROW;
  let eol = text.indexOf('\n', at);
  while (eol >= 0) {
    const start = eol + 1;
    const next = text.indexOf('\n', start);
    const end = next < 0 ? text.length : next;
    if (endsCopy(text.slice(start, Math.min(end, start + 3)))) return end;
    row = copyFields(text, start, end, columns, row, rule, hide);
    eol = next;
  }
  return text.length;
}

/**
 * An INSERT's columns and source, from `at` (past its head and its tail, INSERT_TAIL): rows,
 * SELECT lists, MySQL's SET, or a source read to the statement's end. Returns where it stopped.
 */
function readInsert(
  text: string,
  at: number,
  table: string,
  list: string | undefined,
  source: string,
  rule: SqlSecretRule,
  judge: (name: string | undefined) => Literal,
  assignments: (at: number, table: string) => number,
  refer: (name: string | undefined, start: number, end: number) => void,
): number {
  let i = at;
  if (/^set/i.test(source)) return assignments(i, table);
  const columns = list === undefined ? undefined : columnNames(list);
  const names = columns?.map((c) => (c === undefined ? undefined : rule.column(table, c)));
  const row = columns ? undefined : rule.row(table);
  const judgeColumn = (column: number) => judge(names ? names[column] : row);
  // What a source the plain reading does not follow writes: every literal to the statement's end.
  const secretName = names ? names.find((name) => name !== undefined) : row;
  const hideRest = (from: number) => (secretName === undefined ? from : statementLiterals(text, from, judge(secretName)));
  if (source === '') return hideRest(i);
  // SELECT lists: `'a', 'b' FROM … UNION ALL SELECT 'c', 'd'`.
  while (/^select/i.test(source)) {
    DISTINCT_ON.lastIndex = i;
    if (DISTINCT_ON.test(text)) return hideRest(i);
    for (let column = 0; ; column++) {
      const start = i;
      i = readSqlValue(text, i, judgeColumn(column), SELECT_LIST_END);
      refer(names?.[column], start, i);
      if (text[i] !== ',') break;
      i++;
    }
    // A FROM's strings may be what the list writes (`FROM (SELECT '…' AS k) t`, `(VALUES …)`):
    // all of them, at any depth, to the next clause.
    FROM_AT.lastIndex = i;
    if (FROM_AT.test(text)) {
      i = FROM_AT.lastIndex;
      while ((i = readSqlValue(text, i, judge(secretName), FROM_END)) < text.length && text[i] === ',') i++;
    }
    // The rest of this SELECT (WHERE, GROUP BY, a subquery's literals there) writes nothing: read past it.
    while ((i = readSqlValue(text, i, () => {}, UNION_AT)) < text.length && text[i] === ',') i++;
    UNION_SELECT.lastIndex = i;
    if (!UNION_SELECT.test(text)) {
      SET_OPERATION.lastIndex = i;
      if (SET_OPERATION.test(text)) i = hideRest(SET_OPERATION.lastIndex);
      return i;
    }
    i = UNION_SELECT.lastIndex;
  }
  // Rows: `(…, …)`, `, (…)` and so on; a value that is a reference (MERGE's `s.pw`) says its column is secret.
  return readRows(text, i, judgeColumn, (column, start, end) => refer(names?.[column], start, end));
}

/** `text` with its spans (in order of their starts) shown as `***`; a span inside one shown already adds nothing. */
function hideSpans(text: string, spans: readonly Span[]): string {
  let out = '';
  let done = 0;
  for (const [start, end] of spans) {
    if (start < done) continue;
    out += `${text.slice(done, start)}***`;
    done = end;
  }
  return out + text.slice(done);
}

/** `text` with the literals its SQL writes put into secret columns hidden. */
export function hideSqlWrites(text: string, rule: SqlSecretRule): string {
  return hideSpans(text, sqlSecretSpans(text, rule));
}

/** How many lines an SQL write is followed over by sqlWriteLines, from the line with its head. */
const SQL_LINES = 20;
/** A line that begins a write (not ON CONFLICT's or MERGE's UPDATE or INSERT, which go on one), or a CTE of rows before one. */
const SQL_LINE_HEAD = /(?<![A-Za-z0-9_])(?<!(?:do|then|key)\s+)(?:insert|update|replace\s+into|merge|copy|with(?:\s+recursive)?\s+[A-Za-z_][A-Za-z0-9_]*\s*\([^()]*\)\s*as\s*\(\s*values)(?![A-Za-z0-9_])/i;
/** A line that goes on with an INSERT's rows: another row (after a line ending in `,`, or after its own `,`), or ON CONFLICT / ON DUPLICATE KEY after them. */
const ROWS_GO_ON = /^\s*(?:,?\s*(?:row\s*)?\(|on\s+(?:conflict|duplicate)(?![A-Za-z0-9_]))/i;
const VALUES_WORD = /(?<![A-Za-z0-9_])values(?![A-Za-z0-9_])/i;
/** A COPY whose data follows on the next lines, alone on its line. */
const COPY_LINE = new RegExp(`(?<![A-Za-z0-9_])copy\\s+(${NAME})\\s*\\(([^()]*)\\)\\s*from\\s+stdin${END}((?:[^;\\n']|'[^'\\n]*')*)`, 'i');

/**
 * A line filter for output read line by line (a command's), as privateKeyLines is: an SQL write
 * printed over several lines (`INSERT INTO api_keys (name, key)` then `VALUES ('ci', '…');`, as
 * `psql -e` echoes a seed file) is read from the line with its head, up to SQL_LINES lines, so a
 * secret on a later line is hidden as on one line. A line with a head starts again. A line shown
 * cannot be taken back: a derived table's rows printed before what decides them (their alias, a
 * MERGE's WHEN clauses, a CTE's write) are hidden as undecided (spansOneWay's `open`), and a long
 * INSERT's rows, a row a line, are read after its head however many there are. After `COPY t
 * (cols) FROM stdin`, each line up to `\.` is a data row, its secret columns' fields hidden (as
 * many rows as there are). Give it each line after the one-line redaction.
 */
export function sqlWriteLines(rule: SqlSecretRule): (line: string) => string {
  let lines: string[] = [];
  let copy: CopyColumns | undefined;
  let row = NEW_ROW;
  return (line) => {
    if (copy) {
      if (endsCopy(line)) copy = undefined;
      else {
        const hide: Span[] = [];
        row = copyFields(line, 0, line.length, copy, row, rule, hide);
        return hideSpans(line, hide);
      }
      return line;
    }
    if (lines.length >= SQL_LINES && ROWS_GO_ON.test(line) && (!/^\s*\(/.test(line) || /,\s*$/.test(lines.at(-1)!))) {
      // A long INSERT's rows, one a line (a seed file echoed): the rows read already are let go but
      // the head (to its VALUES), the line after it and the last one, which keep this row's place in
      // the statement (after a `,`, or a first row for a `, (…)`), so it is still read as the head's.
      // Each line is read against at most SQL_LINES before it, as ever.
      const values = lines.findIndex((l) => VALUES_WORD.test(l));
      if (values >= 0 && values < SQL_LINES - 3) lines = [...lines.slice(0, values + 2), lines.at(-1)!];
    }
    if (!SQL_KEYWORD.test(line) && (lines.length === 0 || lines.length >= SQL_LINES)) {
      lines = [];
      return line;
    }
    const c = COPY_LINE.exec(line);
    if (c) {
      copy = copyColumns(c[1]!, c[2]!, c[3]!, rule);
      row = NEW_ROW;
      lines = [];
      return line;
    }
    if (SQL_LINE_HEAD.test(line)) lines = [];
    else if (lines.length === 0 || lines.length >= SQL_LINES) {
      lines = [];
      return line;
    }
    const before = lines.join('\n');
    const from = lines.length ? before.length + 1 : 0;
    // The head's own line too: read whole already, but as a statement over, not one whose WHEN
    // clauses may follow (unless its `;` says it is over).
    if (!lines.length && line.trimEnd().endsWith(';')) {
      lines.push(line);
      return line;
    }
    const spans = sqlSecretSpans(lines.length ? `${before}\n${line}` : line, rule, true)
      .filter(([, end]) => end > from)
      .map(([start, end]): Span => [Math.max(start, from) - from, end - from]);
    const shown = hideSpans(line, spans);
    lines.push(shown);
    return shown;
  };
}
