/**
 * Invalid indexes a CONCURRENTLY index statement leaves behind. CREATE INDEX CONCURRENTLY commits
 * the new index (invalid, not yet used by queries but already updated by every write) before it
 * builds it, then waits for older transactions (a `Lock` wait, wait_event virtualxid) and builds;
 * REINDEX CONCURRENTLY does the same with a `<name>_ccnew` copy (and leaves `<name>_ccold` if it
 * fails while swapping); DROP INDEX CONCURRENTLY first marks the index invalid, then waits, then
 * drops it. A statement that ends in error after its first commit (a stop's cancel of its wait, a
 * lock_timeout or statement_timeout, a duplicate key) leaves that invalid index behind, and
 * progress.ts never records the statement as done: a re-run of CREATE then fails ("already
 * exists") or, with IF NOT EXISTS, keeps the invalid index and the migration is marked reverted.
 *
 * Only a top-level CONCURRENTLY statement can leave one: PostgreSQL refuses them in transaction
 * blocks, functions, procedures and DO blocks, and any other statement's failure rolls its own work
 * back. So the invalid indexes are read only around such a statement (one round trip before it; one
 * more only when it fails): ordinary migrations pay nothing.
 *
 * We name what was left and give the one statement that clears it rather than drop it ourselves:
 * an invalid index is also what another session's CREATE INDEX CONCURRENTLY looks like while it
 * builds (we leave out those pg_stat_progress_create_index shows, but a build can start between a
 * read and a drop); the drop must itself be CONCURRENTLY (a plain DROP INDEX takes an ACCESS
 * EXCLUSIVE lock and queues production behind it), and so waits for the same old transactions the
 * statement was cancelled waiting for, where a stopped step has a second or two left; and a drop
 * the down SQL does not hold is a schema change nobody reviewed. The exception is the index a DROP
 * INDEX CONCURRENTLY left half dropped: running that statement again, as the re-run does, finishes it.
 */
import type { Session } from '../db/session.js';
import { stripComments, type SqlText } from './sql-split.js';

/** A CONCURRENTLY index statement, and the index (or the table, for CREATE) it names. */
export interface ConcurrentIndexStatement {
  kind: 'create' | 'reindex' | 'drop';
  /** The index it creates, rebuilds or drops, as PostgreSQL reads a qualified name (quoted); undefined when it names none. */
  index?: string;
  /** CREATE: the index's name alone (it goes in its table's schema) and its table. */
  name?: string;
  table?: string;
}

/** The invalid indexes found around a statement that ended in error, by schema-qualified name (quoted where needed). */
export interface LeftIndexes {
  /** Left by the statement, or in its way: drop them (DROP INDEX CONCURRENTLY IF EXISTS) before the re-run. */
  drop: string[];
  /** Left half dropped by the DROP INDEX CONCURRENTLY that failed: the re-run runs it again and finishes it. */
  finishing: string[];
  /** Why they could not be read (the check failed, or the connection went): the user must look. */
  unchecked?: string;
}

const IDENT = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*)`;
const QNAME = String.raw`${IDENT}(?:\s*\.\s*${IDENT}){0,2}`;
const CREATE = new RegExp(String.raw`^create\s+(?:unique\s+)?index\s+concurrently\s+(?:if\s+not\s+exists\s+)?(?:(${IDENT})\s+)?on\s+(?:only\s+)?(${QNAME})`, 'i');
const REINDEX = new RegExp(String.raw`^reindex\s+(\([^)]*\)\s*)?(index|table|schema|database|system)\s+(concurrently\s+)?(${QNAME})?`, 'i');
const DROP = new RegExp(String.raw`^drop\s+index\s+concurrently\s+(?:if\s+exists\s+)?(${QNAME})`, 'i');

/** `"a"."b"` from a name as written (quoted or not, one to three parts): the last two parts, each quoted. */
function regclassText(written: string): string {
  const parts = written.match(new RegExp(IDENT, 'g'))!.map((p) => (p.startsWith('"') ? p.slice(1, -1).replace(/""/g, '"') : p.toLowerCase()));
  return parts
    .slice(-2)
    .map((p) => `"${p.replace(/"/g, '""')}"`)
    .join('.');
}

/** The statement as a CONCURRENTLY index statement, or undefined when it is none. */
export function concurrentIndexStatement(s: SqlText): ConcurrentIndexStatement | undefined {
  const text = stripComments(s).trim();
  const create = CREATE.exec(text);
  if (create) return { kind: 'create', name: create[1] && regclassText(create[1]), table: regclassText(create[2]!) };
  const reindex = REINDEX.exec(text);
  if (reindex && (reindex[3] || /\bconcurrently\b/i.test(reindex[1] ?? ''))) {
    return { kind: 'reindex', index: reindex[2]!.toLowerCase() === 'index' && reindex[4] ? regclassText(reindex[4]) : undefined };
  }
  const drop = DROP.exec(text);
  if (drop) return { kind: 'drop', index: regclassText(drop[1]!) };
  return undefined;
}

interface InvalidIndex {
  oid: string;
  name: string;
  /** The index the statement names. */
  named: boolean;
}

/**
 * Every invalid index of the database but those being built right now (another session's build in
 * progress looks the same), each with whether the statement names it. $1: the index it names; $2
 * and $3: CREATE's index name and table (the index goes in the table's schema).
 */
const INVALID_SQL = `SELECT i.indexrelid::text AS oid, format('%I.%I', n.nspname, c.relname) AS name,
       coalesce(i.indexrelid = to_regclass($1) OR (c.relname = $2 AND c.relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = to_regclass($3))), false) AS named
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE NOT i.indisvalid AND NOT EXISTS (SELECT 1 FROM pg_stat_progress_create_index p WHERE p.index_relid = i.indexrelid)
 ORDER BY 2`;

async function invalidIndexes(session: Session, st: ConcurrentIndexStatement): Promise<InvalidIndex[]> {
  const unquoted = st.name === undefined ? null : st.name.slice(1, -1).replace(/""/g, '"');
  return (await session.query<InvalidIndex>(INVALID_SQL, [st.index ?? null, unquoted, st.table ?? null])).rows;
}

/** What was invalid before the statement ran (what it did not leave), or why that could not be read. */
export type Before = { oids: Set<string> } | { unchecked: string };

/**
 * Read just before the statement. A CREATE whose index is there already, invalid (left by an
 * earlier run that was stopped or killed, or by hand), is not run: it would fail on it, or with IF
 * NOT EXISTS keep it and the migration would count as reverted with an index queries never use.
 * Throws IndexInTheWay then.
 */
export async function beforeConcurrentIndex(session: Session, st: ConcurrentIndexStatement): Promise<Before> {
  let rows: InvalidIndex[];
  try {
    rows = await invalidIndexes(session, st);
  } catch (err) {
    // A server before PostgreSQL 12 has no pg_stat_progress_create_index, say: the statement runs
    // all the same, as it did before this check, and a failure of it says to look by hand.
    return { unchecked: (err as Error).message };
  }
  const inTheWay = st.kind === 'create' ? rows.filter((r) => r.named).map((r) => r.name) : [];
  if (inTheWay.length) throw new IndexInTheWay(inTheWay);
  return { oids: new Set(rows.map((r) => r.oid)) };
}

/** A CREATE INDEX CONCURRENTLY not sent: an invalid index of that name is there already. */
export class IndexInTheWay extends Error {
  constructor(readonly indexes: string[]) {
    super(
      `not sent: the index ${indexes.join(', ')} is there already and is invalid (a CREATE INDEX CONCURRENTLY that did not finish, in an earlier run or by hand, left it): ` +
        'this statement would fail on it, or with IF NOT EXISTS keep it as it is, never used by queries',
    );
  }
}

/**
 * After the statement ended in error: the invalid indexes it names or that were not invalid before
 * it ran. `before` is undefined when the statement failed before it was sent (nothing to look for).
 */
export async function leftByConcurrentIndex(session: Session, st: ConcurrentIndexStatement, before: Before | undefined, failure: unknown): Promise<LeftIndexes | undefined> {
  if (failure instanceof IndexInTheWay) return { drop: failure.indexes, finishing: [] };
  if (!before) return undefined;
  if ('unchecked' in before) return { drop: [], finishing: [], unchecked: before.unchecked };
  let rows: InvalidIndex[];
  try {
    rows = await invalidIndexes(session, st);
  } catch (err) {
    return { drop: [], finishing: [], unchecked: (err as Error).message };
  }
  // A REINDEX's own index, invalid before it ran (rebuilding a failed CREATE INDEX CONCURRENTLY is
  // what it is for), was not left by it: dropping it would make the re-run fail on a missing index.
  const left = rows.filter((r) => (r.named && st.kind !== 'reindex') || !before.oids.has(r.oid));
  if (left.length === 0) return undefined;
  const finishing = st.kind === 'drop' ? left.filter((r) => r.named).map((r) => r.name) : [];
  return { drop: left.filter((r) => !finishing.includes(r.name)).map((r) => r.name), finishing };
}

/** The statement that clears one left index: what the error tells the user to run. */
export function dropSql(name: string): string {
  return `DROP INDEX CONCURRENTLY IF EXISTS ${name};`;
}

/** How to find them by hand, when they could not be read. */
export const FIND_INVALID_SQL = 'SELECT indexrelid::regclass FROM pg_index WHERE NOT indisvalid;';
