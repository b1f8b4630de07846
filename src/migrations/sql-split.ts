/**
 * Splits migration SQL into statements the way psql does, so each one can run alone: needed for
 * non-transactional migrations (PostgreSQL refuses CONCURRENTLY inside any transaction block,
 * including the implicit one of a multi-statement query) and to name the statement that failed.
 */
import pgUtils from 'pg/lib/utils.js';
import { blankSql, SqlLexer } from '../db/sql-lexer.js';

export interface Statement {
  text: string;
  /** Offset of the statement's first character in the text that was split. */
  offset: number;
}

/**
 * Semicolons end a statement only outside quotes, dollar quotes, comments and `BEGIN ATOMIC`
 * function bodies. Statements that are only comments or blanks are dropped.
 */
export function splitStatements(sql: string): Statement[] {
  const out: Statement[] = [];
  let start = 0;
  const push = (end: number) => {
    const raw = sql.slice(start, end);
    if (hasCode(raw)) {
      const lead = raw.length - raw.trimStart().length;
      out.push({ text: raw.trim(), offset: start + lead });
    }
  };
  new SqlLexer((end) => {
    push(end);
    start = end + 1;
  }).scan(sql);
  push(sql.length);
  return out;
}

/** Offset of the first character that is neither whitespace nor comment (the text's length when none is). */
export function codeStart(sql: string): number {
  const at = stripComments(sql).search(/\S/);
  return at < 0 ? sql.length : at;
}

/** True when the text holds something other than whitespace and comments. */
export function hasCode(sql: string): boolean {
  return /\S/.test(stripComments(sql));
}

/**
 * The statement with its comments blanked, as the lexer that splits statements reads them: a `--`
 * or `/*` inside a string or a dollar-quoted body is not a comment. For classifying it, never for
 * running it; offsets are those of `sql`.
 */
export function stripComments(sql: string): string {
  return blankSql(sql, { quoted: false });
}

/** The statement's keywords and names only: comments, and the insides of strings, quoted identifiers and dollar-quoted bodies, blanked. */
function codeOnly(text: string): string {
  return blankSql(text, { quoted: true });
}

/** The statement's leading words, lower-cased: enough to classify it. */
function leadingWords(text: string, n: number): string[] {
  return codeOnly(text).trim().toLowerCase().split(/[\s(;]+/).filter(Boolean).slice(0, n);
}

/**
 * Statements PostgreSQL refuses inside a transaction block (error 25001): a migration holding one
 * must run statement by statement, each of these alone.
 */
export function needsOwnTransaction(text: string): boolean {
  const words = leadingWords(text, 4);
  const flat = ` ${codeOnly(text).toLowerCase().replace(/\s+/g, ' ')} `;
  const [a, b] = words;
  if (a === 'vacuum') return true;
  if ((a === 'create' || a === 'drop') && (b === 'database' || b === 'tablespace')) return true;
  if (a === 'alter' && b === 'system') return true;
  if ((a === 'create' || a === 'drop' || a === 'reindex') && flat.includes(' concurrently ')) return true;
  if (a === 'create' && b === 'unique' && flat.includes(' concurrently ')) return true;
  if (a === 'alter' && b === 'table' && / detach partition .* concurrently /.test(flat)) return true;
  return false;
}

/**
 * COPY … FROM STDIN: the rows come from the client after the statement, as psql sends the lines
 * that follow it. A migration runner sends SQL only, so PostgreSQL gets no rows and cancels it.
 */
export function copyFromStdin(text: string): boolean {
  const flat = ` ${codeOnly(text).toLowerCase().replace(/\s+/g, ' ')} `;
  return leadingWords(text, 1)[0] === 'copy' && / from stdin[ ;]/.test(flat);
}

export type TransactionControl = 'begin' | 'commit' | 'other';

/** BEGIN / COMMIT / ROLLBACK / SAVEPOINT …: statements that would break the transaction we wrap a migration in. */
export function transactionControl(text: string): TransactionControl | undefined {
  const [a, b] = leadingWords(text, 2);
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
export function sessionSetting(text: string): boolean {
  const [a, b] = leadingWords(text, 2);
  if (a === 'reset') return true;
  // pg_dump's and `supabase db diff`'s way: SELECT pg_catalog.set_config('search_path', '', false).
  if (a === 'select') return /^select\s+(pg_catalog\s*\.\s*)?set_config\s*\([\s\S]*,\s*false\s*\)$/i.test(codeOnly(text).trim().replace(/;$/, '').trim());
  return a === 'set' && b !== 'local' && b !== 'transaction' && b !== 'constraints';
}

/** 1-based line of an offset, for messages that point into a file. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** A string literal for SQL text we build ourselves (bookkeeping), quoted the way node-postgres does. */
export function literal(value: string): string {
  return pgUtils.escapeLiteral(value);
}
