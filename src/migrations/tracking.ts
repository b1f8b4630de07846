/**
 * Tracking tables: naming them as SQL and in messages, finding the schema a tool puts them in, and
 * reading the ones that keep one row per applied migration under a `version` column.
 */
import { RollbackKitError } from '../core/errors.js';
import { qualified } from '../db/catalog.js';
import type { Session } from '../db/session.js';
import { sortVersions } from './files.js';
import { literal } from './sql-split.js';
import type { FormatName, TableName, ToolConfig, Tracking } from './types.js';

/** The table as SQL: each part quoted, so case and odd characters mean what the tool meant. */
export function sqlTable(t: TableName): string {
  return qualified(t.schema, t.name);
}

const PLAIN_NAME = /^[a-z_][a-z0-9_$]*$/;

/** The table as messages name it: `schema.table`, parts quoted only where PostgreSQL would need it. */
export function describeTable(t: TableName): string {
  const part = (p: string) => (PLAIN_NAME.test(p) ? p : `"${p.replace(/"/g, '""')}"`);
  return `${part(t.schema)}.${part(t.name)}`;
}

/** The session's current schema (the first schema of its search_path that exists), or `public` when none does. */
export async function currentSchema(session: Session): Promise<string> {
  const r = await session.query<{ schema: string | null }>('SELECT current_schema() AS schema');
  return r.rows[0]?.schema || 'public';
}

/** The first entry of a search_path value, trimmed, as dbmate takes it; undefined when there is none. */
export function firstSearchPathSchema(searchPath: string | undefined): string | undefined {
  return searchPath?.split(',')[0]?.trim() || undefined;
}

/** Whether `option` is `table` or `schema.table`: at most one dot, no empty part. */
export function isTableOption(option: string): boolean {
  const parts = option.trim().split('.');
  return parts.length <= 2 && parts.every(Boolean);
}

/**
 * A `schema.table` or `table` option, split as dbmate and node-pg-migrate split it (at the dot);
 * more than one dot, or an empty part, is refused.
 */
export function splitTableOption(option: string, format: FormatName): { schema?: string; name: string } {
  const parts = option.trim().split('.');
  if (!isTableOption(option)) {
    throw new RollbackKitError(`migrations-table "${option}" is not a table name: give table or schema.table, as ${format} takes it.`);
  }
  return parts.length === 2 ? { schema: parts[0]!, name: parts[1]! } : { name: parts[0]! };
}

/** For tools whose tracking table is fixed: a migrations-table input would be read by nobody. */
export function refuseTableOption(config: ToolConfig, format: FormatName, table: string): void {
  if (config.migrationsTable) {
    throw new RollbackKitError(
      `migrations-table is set, but ${format} has no option for its tracking table: it always uses ${table}.`,
      'Remove migrations-table, or set format if the migrations belong to another tool.',
    );
  }
}

/**
 * The row versions of `table` (those matching `where`, literals inlined), as one text value: each
 * row's xmin, the transaction that wrote it, which a restore or an UPDATE changes and VACUUM keeps.
 */
export function rowVersionsSql(table: TableName, where?: string): string {
  return `SELECT coalesce(string_agg(xmin::text, ',' ORDER BY xmin::text), '') FROM ${sqlTable(table)}${where ? ` WHERE ${where}` : ''}`;
}

/** The bookkeeping of tools that keep one row per applied migration, keyed by a `version` column (dbmate, Supabase, ours). */
export function versionTableTracking(table: TableName): Tracking {
  return {
    table: describeTable(table),
    relation: sqlTable(table),
    lockKey: async () => undefined,
    appliedSql: `SELECT version FROM ${sqlTable(table)}`,
    appliedIds: (rows) => sortVersions(rows.map((r) => String(r.version))),
    revertSql: (m) => [`DELETE FROM ${sqlTable(table)} WHERE version = ${literal(m.id)}`],
    rowVersionSql: (m) => rowVersionsSql(table, `version = ${literal(m.id)}`),
  };
}

/**
 * When each id was applied: `sql` selects `id` and `at` (a timestamptz) for the ids in `$1`. The
 * driver turns timestamptz into an instant, whatever the session's time zone.
 */
export async function readAppliedTimes(session: Session, sql: string, ids: string[]): Promise<Map<string, Date>> {
  const { rows } = await session.query<{ id: string; at: Date | null }>(sql, [ids]);
  return new Map(rows.filter((r) => r.at !== null).map((r) => [r.id, r.at!]));
}
