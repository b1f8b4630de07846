/**
 * What a database holds, as the snapshot manifest records it and restore-db compares it: each
 * table's row count, and counts of the objects a restore must bring back (views, functions,
 * triggers, sequences, RLS policies). Objects owned by extensions are left out, as pg_dump does.
 */
import { RollbackKitError } from '../core/errors.js';
import type { TableName } from './patterns.js';
import type { Session } from './session.js';

export interface TableCount {
  schema: string;
  name: string;
  /** null when the table's data is not in the snapshot (exclude-table-data). */
  rows: number | null;
  /**
   * Its OID when the snapshot was taken: the same while the table lives, whatever it is renamed to
   * (a restore makes it anew, under another). Absent in manifests written before it was recorded.
   */
  oid?: number;
}

export interface ObjectCounts {
  schemas: number;
  tables: number;
  views: number;
  materializedViews: number;
  functions: number;
  triggers: number;
  sequences: number;
  policies: number;
}

/** A table as a map key: schema and name can both hold dots, so they are joined by a NUL. */
export const tableKey = (t: TableName): string => `${t.schema}\0${t.name}`;

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function qualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** A string constant that reads the same whether standard_conforming_strings is on or off. */
export function quoteLiteral(text: string): string {
  const quoted = text.replace(/'/g, "''");
  return text.includes('\\') ? `E'${quoted.replace(/\\/g, '\\\\')}'` : `'${quoted}'`;
}

/** An anonymous PL/pgSQL block, dollar-quoted with a tag its body does not hold. */
export function doBlock(tag: string, body: string): string {
  while (body.includes(`$${tag}$`)) tag += '_';
  return `DO $${tag}$\n${body}\n$${tag}$;`;
}

/** A SQL condition selecting exactly the given schemas; the list is appended to `params`. */
function schemaCondition(schemas: string[], params: unknown[]): string {
  params.push(schemas);
  return `n.nspname = ANY($${params.length}::text[])`;
}

const NOT_FROM_EXTENSION = (oidExpr: string, classExpr: string) =>
  `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '${classExpr}'::regclass AND d.objid = ${oidExpr} AND d.deptype = 'e')`;

/** A table, its OID and the size of its main data file now (pg_relation_size: a file's size, not a scan). */
export interface SizedTable extends TableName {
  oid: number;
  bytes: number;
}

/**
 * pg_class kinds of table: `r` holds rows of its own (what the snapshot counts), `p` a partitioned
 * table (its rows are its partitions'), `f` a foreign table (its rows are elsewhere).
 */
export type TableKind = 'r' | 'p' | 'f';

/**
 * The tables of exactly these schemas, in schema and name order, extension members left out as
 * pg_dump leaves them out. `kinds`: ordinary tables unless told (the snapshot counts their rows); a
 * restore asking what it leaves as it is wants partitioned and foreign ones too. The size of a
 * partitioned or foreign table is 0: it has no data file of its own.
 */
export async function listTables(session: Session, schemas: string[], kinds: readonly TableKind[] = ['r']): Promise<SizedTable[]> {
  const params: unknown[] = [];
  const schemaIn = schemaCondition(schemas, params);
  params.push(kinds);
  const { rows } = await session.query<{ schema: string; name: string; oid: string; bytes: string }>(
    `SELECT n.nspname AS schema, c.relname AS name, c.oid::text AS oid, pg_relation_size(c.oid) AS bytes
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = ANY($${params.length}::"char"[]) AND ${schemaIn} AND ${NOT_FROM_EXTENSION('c.oid', 'pg_class')}
      ORDER BY 1, 2`,
    params,
  );
  return rows.map((r) => ({ schema: r.schema, name: r.name, oid: Number(r.oid), bytes: Number(r.bytes) }));
}

/**
 * Tables counted per query: one round trip per table cost seconds at a few thousand tables, yet the
 * server's time for one UNION ALL grows faster than its branches (measured on PostgreSQL 15, 300
 * small tables: about 200 ms in batches of 250, 70 ms in batches of 50), so a few dozen per query is
 * the cheaper side of that trade.
 */
export const COUNT_BATCH = 50;

/** A table row-level security hides rows of from the counting user, with what would let it see them all. */
export interface HiddenTable extends TableName {
  /** Its owner, quoted: a role row-level security does not apply to unless `forced`. */
  owner: string;
  /** FORCE ROW LEVEL SECURITY: its owner sees only what the policies show too. */
  forced: boolean;
}

/**
 * A count row-level security would cut: with row_security on, count(*) sees only the rows the
 * policies show the user (none, with RLS on and no policy for it), so an "empty" table may hold rows.
 * Such a count is refused, never returned.
 */
export class RowSecurityHidesRows extends RollbackKitError {
  constructor(
    readonly who: string,
    readonly tables: HiddenTable[],
  ) {
    const one = tables.length === 1;
    super(
      `Row-level security hides rows of ${one ? 'table' : 'tables'} ${someNames(tables.map((t) => `${t.schema}.${t.name}`))} from user ${who}, so ${one ? 'its' : 'their'} rows cannot be counted.`,
      `To count them, ${seeAllRows(who, tables)}; then run again.`,
    );
  }
}

/**
 * What lets `who` see every row of these tables, as "let user … bypass row-level security (…), or
 * connect as its owner …": BYPASSRLS always; their owners only when none is set to FORCE it.
 */
export function seeAllRows(who: string, tables: HiddenTable[]): string {
  const bypass = `let user ${who} bypass row-level security (ALTER ROLE ${who} BYPASSRLS;)`;
  if (tables.some((t) => t.forced)) return bypass;
  const owners = [...new Set(tables.map((t) => t.owner))];
  const whose = owners.length > 1 ? 'their owners' : tables.length > 1 ? 'their owner' : 'its owner';
  return `${bypass}, or connect as ${whose} ${owners.join(', ')}`;
}

/** At most this many names in a message; the rest are counted. */
export const NAMES_SHOWN = 10;

/** "a, b, c", or the first `shown` of them "and 4 more": every message that lists names says them so. */
export function someNames(names: string[], shown = NAMES_SHOWN): string {
  return names.length > shown ? `${names.slice(0, shown).join(', ')} and ${names.length - shown} more` : names.join(', ');
}

async function hiddenTables(session: Session, tables: TableName[]): Promise<RowSecurityHidesRows> {
  const { rows } = await session.query<{ who: string; owner: string; forced: boolean }>(
    `SELECT quote_ident(current_user) AS who, quote_ident(pg_get_userbyid(c.relowner)) AS owner, c.relforcerowsecurity AS forced
       FROM unnest($1::text[]) WITH ORDINALITY AS t(rel, i) JOIN pg_class c ON c.oid = t.rel::regclass
      ORDER BY t.i`,
    [tables.map((t) => qualified(t.schema, t.name))],
  );
  return new RowSecurityHidesRows(rows[0]!.who, tables.map((t, i) => ({ ...t, owner: rows[i]!.owner, forced: rows[i]!.forced })));
}

/**
 * Exact row counts of each table's own rows (`FROM ONLY`: a parent's count leaves out its
 * inheritance children, as pg_dump's COPY of it does), so they are what the archive holds for it.
 * Runs in the caller's transaction, so it sees the same snapshot as pg_dump. `atMost`: stop counting
 * a table there (its count reads `atMost`), for a caller that only asks whether and roughly how many.
 *
 * Never a count row-level security cut: with row_security off (snapshot-db, as pg_dump) the server
 * refuses such a count; with it on, each count says whether the policies filtered it
 * (row_security_active, asked in the same statement), and one that did throws RowSecurityHidesRows.
 */
export async function countRows(session: Session, tables: TableName[], excludeData: TableName[] = [], atMost?: number): Promise<TableCount[]> {
  const excluded = new Set(excludeData.map(tableKey));
  const out: TableCount[] = tables.map((t) => ({ schema: t.schema, name: t.name, rows: null }));
  const counted = tables.map((t, i) => ({ t, i })).filter(({ t }) => !excluded.has(tableKey(t)));
  const hidden: TableName[] = [];
  for (let at = 0; at < counted.length; at += COUNT_BATCH) {
    const batch = counted.slice(at, at + COUNT_BATCH);
    const rowsOf = (t: TableName) => (atMost === undefined ? `ONLY ${qualified(t.schema, t.name)}` : `(SELECT 1 FROM ONLY ${qualified(t.schema, t.name)} LIMIT ${Math.floor(atMost)}) s`);
    const filtered = (t: TableName) => `row_security_active(${quoteLiteral(qualified(t.schema, t.name))}::regclass)`;
    const sql = batch.map(({ t, i }) => `SELECT ${i} AS i, count(*) AS n, ${filtered(t)} AS filtered FROM ${rowsOf(t)}`).join('\nUNION ALL ');
    const { rows } = await session.query<{ i: number; n: string; filtered: boolean }>(sql);
    for (const r of rows) {
      out[r.i]!.rows = Number(r.n);
      if (r.filtered) hidden.push(tables[r.i]!);
    }
  }
  if (hidden.length) throw await hiddenTables(session, hidden);
  return out;
}

export async function countObjects(session: Session, schemas: string[]): Promise<ObjectCounts> {
  const params: unknown[] = [];
  const cond = schemaCondition(schemas, params);
  const { rows } = await session.query<Record<keyof ObjectCounts, string>>(
    `SELECT
       (SELECT count(*) FROM pg_namespace n WHERE ${cond} AND ${NOT_FROM_EXTENSION('n.oid', 'pg_namespace')}) AS schemas,
       (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r','p') AND ${cond} AND ${NOT_FROM_EXTENSION('c.oid', 'pg_class')}) AS tables,
       (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'v' AND ${cond} AND ${NOT_FROM_EXTENSION('c.oid', 'pg_class')}) AS views,
       (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'm' AND ${cond} AND ${NOT_FROM_EXTENSION('c.oid', 'pg_class')}) AS "materializedViews",
       (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'S' AND ${cond} AND ${NOT_FROM_EXTENSION('c.oid', 'pg_class')}) AS sequences,
       (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE ${cond} AND ${NOT_FROM_EXTENSION('p.oid', 'pg_proc')}) AS functions,
       (SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT t.tgisinternal AND ${cond}) AS triggers,
       (SELECT count(*) FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${cond}) AS policies`,
    params,
  );
  const r = rows[0]!;
  return {
    schemas: Number(r.schemas),
    tables: Number(r.tables),
    views: Number(r.views),
    materializedViews: Number(r.materializedViews),
    functions: Number(r.functions),
    triggers: Number(r.triggers),
    sequences: Number(r.sequences),
    policies: Number(r.policies),
  };
}

/** The tables and object counts of exactly these schemas; their rows are counted apart (countRows). */
export async function readCatalog(session: Session, schemas: string[]): Promise<{ tables: SizedTable[]; objects: ObjectCounts }> {
  return { tables: await listTables(session, schemas), objects: await countObjects(session, schemas) };
}
