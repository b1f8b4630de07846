/**
 * Splits migration SQL into statements the way psql does, so each one can run alone: needed for
 * non-transactional migrations (PostgreSQL refuses CONCURRENTLY inside any transaction block,
 * including the implicit one of a multi-statement query) and to name the statement that failed.
 */
import { quoteLiteral } from '../db/catalog.js';
import { blankSql, SqlLexer, sqlParts, type SqlText } from '../db/sql-lexer.js';

export type { SqlText } from '../db/sql-lexer.js';

/** A statement, with the standard_conforming_strings it was read with (the session's, or as a SET before it left it). */
export interface Statement extends SqlText {
  /** Offset of the statement's first character in the text that was split. */
  offset: number;
}

/**
 * Semicolons end a statement only outside quotes, dollar quotes, comments and `BEGIN ATOMIC`
 * function bodies. Statements that are only comments or blanks are dropped. `sql` is read from its
 * standard_conforming_strings on, following its own SETs of it, as psql would send it statement by
 * statement: each statement says what it was read with.
 */
export function splitStatements(sql: SqlText): Statement[] {
  const out: Statement[] = [];
  let start = 0;
  let conforming = sql.standardConformingStrings;
  const push = (end: number) => {
    const raw = { text: sql.text.slice(start, end), standardConformingStrings: conforming };
    if (hasCode(raw)) {
      const lead = raw.text.length - raw.text.trimStart().length;
      out.push({ text: raw.text.trim(), offset: start + lead, standardConformingStrings: conforming });
    }
  };
  const lexer = new SqlLexer({
    standardConformingStrings: conforming,
    onEnd: (end) => {
      push(end);
      start = end + 1;
      conforming = lexer.standardConformingStrings;
    },
  });
  lexer.scan(sql.text);
  push(sql.text.length);
  return out;
}

/**
 * The statement reads the same whatever standard_conforming_strings is, where its strings end and
 * what they hold: none of its '…' strings holds a backslash (E'…', dollar quotes and names never differ).
 */
export function readsAlike(s: SqlText): boolean {
  const lexer = new SqlLexer({ standardConformingStrings: s.standardConformingStrings });
  lexer.scan(s.text);
  return !lexer.backslashInString;
}

/** Offset of the first character that is neither whitespace nor comment (the text's length when none is). */
export function codeStart(sql: SqlText): number {
  const at = stripComments(sql).search(/\S/);
  return at < 0 ? sql.text.length : at;
}

/** True when the text holds something other than whitespace and comments. */
export function hasCode(sql: SqlText): boolean {
  return /\S/.test(stripComments(sql));
}

/**
 * The statement with its comments blanked, as the lexer that splits statements reads them: a `--`
 * or `/*` inside a string or a dollar-quoted body is not a comment. For classifying it, never for
 * running it; offsets are those of `sql`.
 */
export function stripComments(sql: SqlText): string {
  return blankSql(sql, { quoted: false });
}

/** The statement's keywords and names only: comments, and the insides of strings, quoted identifiers and dollar-quoted bodies, blanked. */
function codeOnly(s: SqlText): string {
  return blankSql(s, { quoted: true });
}

/** The statement's leading words, lower-cased: enough to classify it. */
function leadingWords(s: SqlText, n: number): string[] {
  return codeOnly(s).trim().toLowerCase().split(/[\s(;]+/).filter(Boolean).slice(0, n);
}

/** Words that set statement_timeout, or reset it to the server's, in code. */
const TIMEOUT_WORDS = /\bstatement_timeout\b|\breset\s+all\b|\bdiscard\s+all\b/i;

/**
 * The statement sets statement_timeout (SET, SET LOCAL, ALTER ROLE … SET, set_config()) or resets
 * it to the server's (RESET ALL, DISCARD ALL), as its code says: the words in a comment or a string
 * do nothing (a row of documentation that mentions them), but a string or quoted name that is the
 * setting's name is one (set_config('statement_timeout', …), SET "statement_timeout"), and a
 * dollar-quoted body is code of its own (a DO block or a function that sets it).
 */
export function setsStatementTimeout(s: SqlText): boolean {
  if (TIMEOUT_WORDS.test(codeOnly(s))) return true;
  return sqlParts(s).some(({ part, text, quote }) => part === 'quoted' && (quote === '$' ? TIMEOUT_WORDS.test(text) : text.trim().toLowerCase() === 'statement_timeout'));
}

/**
 * Statements PostgreSQL refuses inside a transaction block (error 25001): a migration holding one
 * must run statement by statement, each of these alone.
 */
export function needsOwnTransaction(s: SqlText): boolean {
  const words = leadingWords(s, 4);
  const flat = ` ${codeOnly(s).toLowerCase().replace(/\s+/g, ' ')} `;
  const [a, b] = words;
  if (a === 'vacuum') return true;
  if ((a === 'create' || a === 'drop') && (b === 'database' || b === 'tablespace')) return true;
  if (a === 'alter' && b === 'system') return true;
  // A word of its own, or in REINDEX's option list: `REINDEX (VERBOSE, CONCURRENTLY) TABLE t`.
  const concurrently = /[ (,]concurrently[ ),;]/.test(flat);
  if ((a === 'create' || a === 'drop' || a === 'reindex') && concurrently) return true;
  if (a === 'create' && b === 'unique' && concurrently) return true;
  if (a === 'alter' && b === 'table' && / detach partition .* concurrently /.test(flat)) return true;
  return false;
}

/**
 * COPY … FROM STDIN: the rows come from the client after the statement, as psql sends the lines
 * that follow it. A migration runner sends SQL only, so PostgreSQL gets no rows and cancels it.
 */
export function copyFromStdin(s: SqlText): boolean {
  const flat = ` ${codeOnly(s).toLowerCase().replace(/\s+/g, ' ')} `;
  return leadingWords(s, 1)[0] === 'copy' && / from stdin[ ;]/.test(flat);
}

export type TransactionControl = 'begin' | 'commit' | 'other';

/** BEGIN / COMMIT / ROLLBACK / SAVEPOINT …: statements that would break the transaction we wrap a migration in. */
export function transactionControl(s: SqlText): TransactionControl | undefined {
  const [a, b] = leadingWords(s, 2);
  if (a === 'begin' || (a === 'start' && b === 'transaction')) return 'begin';
  if (a === 'commit' || a === 'end') return 'commit';
  if (a === 'rollback' || a === 'abort' || a === 'savepoint' || a === 'release' || (a === 'prepare' && b === 'transaction')) return 'other';
  return undefined;
}

/**
 * SET / RESET that lasts for the session (search_path, a timeout, SET ROLE, SET SESSION
 * AUTHORIZATION): what a statement run later in the same session depends on. SET LOCAL, SET
 * TRANSACTION and SET CONSTRAINTS end with their transaction.
 */
export function sessionSetting(s: SqlText): boolean {
  const [a, b] = leadingWords(s, 2);
  if (a === 'reset') return true;
  // pg_dump's and `supabase db diff`'s way: SELECT pg_catalog.set_config('search_path', '', false).
  if (a === 'select') return /^select\s+(pg_catalog\s*\.\s*)?set_config\s*\([\s\S]*,\s*false\s*\)$/i.test(codeOnly(s).trim().replace(/;$/, '').trim());
  return a === 'set' && b !== 'local' && b !== 'transaction' && b !== 'constraints';
}

/** 1-based line of an offset, for messages that point into a file. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** A string literal for SQL text we build ourselves (bookkeeping): the db layer's one quoting helper. */
export const literal = quoteLiteral;
