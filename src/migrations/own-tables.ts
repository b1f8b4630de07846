/**
 * The tables rollback-kit keeps in the database it rolls back (schema rollback_kit), made where
 * missing and given the columns later versions added.
 *
 * The role that made them is often not the one running now: a migration role creates them, and the
 * CI role that reverts later may read and write them but owns none of them. PostgreSQL checks the
 * privilege of CREATE SCHEMA / CREATE TABLE … IF NOT EXISTS (CREATE on the database or the schema)
 * and of ALTER TABLE … ADD COLUMN IF NOT EXISTS (the table's ownership) before it looks whether
 * there is anything to do, so each statement runs only when the catalog says it is needed.
 */
import { RollbackKitError } from '../core/errors.js';
import { doBlock } from '../db/catalog.js';
import type { Session } from '../db/session.js';
import { literal } from './sql-split.js';

/** PostgreSQL's insufficient_privilege. */
export const INSUFFICIENT_PRIVILEGE = '42501';

export interface OwnTable {
  /** Schema-qualified, as SQL spells it (our names need no quoting). */
  name: string;
  /** What goes between CREATE TABLE's parentheses, as this version creates the table. */
  definition: string;
  /** Columns a table an earlier version created lacks: name → type (with its default). */
  added: Record<string, string>;
  /**
   * Of `added`, those a run may go on without: a role that may not add one (it does not own the
   * table) gets a warning (OMITTED_WARNING) instead of a refusal, and its writes leave the column out
   * (they must check which columns the table has). Only columns whose absence readers already take
   * as a row an earlier version wrote belong here.
   */
  optional?: readonly string[];
}

/** The SQLSTATE of ensureTableSql's warning that optional columns are missing (a notice, not an error): PostgreSQL's warning class. */
export const OMITTED_WARNING = '01RK1';

/** The statement an owner of `table` runs to give it `column`. */
export function addColumnSql(table: OwnTable, column: string): string {
  return `ALTER TABLE ${table.name} ADD COLUMN IF NOT EXISTS ${column} ${table.added[column]}`;
}

/**
 * The one statement an owner runs to give `table` every column later versions added: a table two
 * versions behind lacks more than the first column found missing, and one "run once" must be enough.
 */
export function addColumnsSql(table: OwnTable): string {
  return `ALTER TABLE ${table.name} ${Object.entries(table.added)
    .map(([column, type]) => `ADD COLUMN IF NOT EXISTS ${column} ${type}`)
    .join(', ')}`;
}

/**
 * The check of a column later runs rely on (not `optional`): where it is missing and this role does
 * not own the table, refused (insufficient_privilege) with the owner and the statement they run;
 * else `then` (the ALTER that adds it, or nothing).
 */
function requiredColumn(table: OwnTable, column: string, then?: string): string {
  const [schema, name] = table.name.split('.') as [string, string];
  const oid = `${literal(table.name)}::regclass`;
  const refusal = [
    literal(`${table.name} lacks the column ${column}, which this version of rollback-kit writes (an earlier version created the table), and only the table's owner may add it: it belongs to role `),
    'rk_owner::regrole::text',
    literal(', and this run connects as role '),
    'quote_ident(current_user)',
    literal('. Have '),
    'rk_owner::regrole::text',
    literal(` (or a superuser) run once: ${addColumnsSql(table)}; then run again.`),
  ].join(' || ');
  return [
    `  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = ${oid} AND attname = ${literal(column)} AND NOT attisdropped) THEN`,
    `    SELECT relowner INTO rk_owner FROM pg_catalog.pg_class WHERE oid = ${oid};`,
    `    IF NOT pg_has_role(rk_owner, 'USAGE') THEN`,
    `      RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = ${refusal}, SCHEMA = ${literal(schema)}, TABLE = ${literal(name)}, COLUMN = ${literal(column)};`,
    '    END IF;',
    ...(then ? [then] : []),
    '  END IF;',
  ].join('\n');
}

/**
 * One statement that changes nothing and refuses (insufficient_privilege, the table named in its
 * TABLE field) what this role's first write of `table` would fail on: a column later runs rely on
 * that it may not add (as ensureTableSql refuses it, COLUMN named too), one of `privileges` it lacks
 * on the table, USAGE on its schema, or, where the table is not there yet, the CREATE that making it takes. For a run to
 * ask before it changes anything (a read-only transaction will do), rather than at its first write.
 * Each refusal names the role to ask and the statement it runs.
 */
export function writableTableSql(table: OwnTable, privileges: readonly string[]): string {
  const [schema, name] = table.name.split('.') as [string, string];
  const optional = new Set(table.optional ?? []);
  const required = Object.keys(table.added).filter((column) => !optional.has(column));
  const raise = (message: string) => `    RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = ${message}, SCHEMA = ${literal(schema)}, TABLE = ${literal(name)};`;
  const who = (parts: string[]) => parts.join(' || ');
  const makes = `${table.name} is not there yet, and this run makes it at its first write`;
  const body = [
    'DECLARE rk_owner oid; rk_table oid; rk_lacks text; rk_schema text;',
    'BEGIN',
    `  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = ${literal(schema)}) THEN`,
    "    IF NOT has_database_privilege(current_database(), 'CREATE') THEN",
    raise(
      who([
        literal(`${makes}, schema ${schema} with it, which takes CREATE on the database; role `),
        'quote_ident(current_user)',
        literal(' lacks it. Have its owner (or a superuser) run once: GRANT CREATE ON DATABASE '),
        'quote_ident(current_database())',
        literal(' TO '),
        'quote_ident(current_user)',
        literal(`; (or create the schema and table as a role that may, and grant this one SELECT, INSERT, UPDATE on it); then run again.`),
      ]),
    ),
    '    END IF;',
    '    RETURN;',
    '  END IF;',
    // Before any lookup by name: to_regclass and ::regclass fail on a schema this role may not use.
    `  IF NOT has_schema_privilege(${literal(schema)}, 'USAGE') THEN`,
    `    SELECT c.oid, c.relowner INTO rk_table, rk_owner FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ${literal(schema)} AND c.relname = ${literal(name)};`,
    `    rk_schema := CASE WHEN rk_owner IS NULL AND NOT has_schema_privilege(${literal(schema)}, 'CREATE') THEN 'USAGE, CREATE' ELSE 'USAGE' END;`,
    '    IF rk_owner IS NOT NULL THEN',
    `      SELECT string_agg(p, ', ') INTO rk_lacks FROM unnest(ARRAY[${privileges.map(literal).join(', ')}]) AS p WHERE NOT has_table_privilege(rk_table, p);`,
    '    END IF;',
    raise(
      who([
        literal(`This run writes its row to ${table.name}`),
        `CASE WHEN rk_owner IS NULL THEN ${literal(', which it makes at its first write')} ELSE '' END`,
        literal(', and role '),
        'quote_ident(current_user)',
        literal(` lacks `),
        'rk_schema',
        literal(` on schema ${schema}. Have `),
        `(SELECT n.nspowner::regrole::text FROM pg_catalog.pg_namespace n WHERE n.nspname = ${literal(schema)})`,
        literal(` (or a superuser) run once: GRANT `),
        'rk_schema',
        literal(` ON SCHEMA ${schema} TO `),
        'quote_ident(current_user)',
        literal(';'),
        // The table's grants too, when they are also missing: one "run once" is enough.
        `CASE WHEN rk_lacks IS NULL THEN '' ELSE ${literal(' and have ')} || rk_owner::regrole::text || ${literal(` (or a superuser) run once: GRANT ${privileges.join(', ')} ON ${table.name} TO `)} || quote_ident(current_user) || ';' END`,
        literal(' then run again.'),
      ]),
    ),
    '  END IF;',
    `  IF to_regclass(${literal(table.name)}) IS NULL THEN`,
    `    IF NOT has_schema_privilege(${literal(schema)}, 'CREATE') THEN`,
    raise(
      who([
        literal(`${makes}, which takes CREATE on schema ${schema}; role `),
        'quote_ident(current_user)',
        literal(' lacks it. Have '),
        `(SELECT n.nspowner::regrole::text FROM pg_catalog.pg_namespace n WHERE n.nspname = ${literal(schema)})`,
        literal(` (or a superuser) run once: GRANT CREATE ON SCHEMA ${schema} TO `),
        'quote_ident(current_user)',
        literal('; then run again.'),
      ]),
    ),
    '    END IF;',
    '    RETURN;',
    '  END IF;',
    // Statements after an IF are planned only when reached: the ::regclass of a table not there is never read.
    `  SELECT relowner INTO rk_owner FROM pg_catalog.pg_class WHERE oid = ${literal(table.name)}::regclass;`,
    `  SELECT string_agg(p, ', ') INTO rk_lacks FROM unnest(ARRAY[${privileges.map(literal).join(', ')}]) AS p WHERE NOT has_table_privilege(${literal(table.name)}, p);`,
    '  IF rk_lacks IS NOT NULL THEN',
    raise(
      who([
        literal(`This run writes its row to ${table.name}, and role `),
        'quote_ident(current_user)',
        literal(' lacks '),
        'rk_lacks',
        literal(' on it; it belongs to role '),
        'rk_owner::regrole::text',
        literal('. Have '),
        'rk_owner::regrole::text',
        literal(` (or a superuser) run once: GRANT ${privileges.join(', ')} ON ${table.name} TO `),
        'quote_ident(current_user)',
        literal('; then run again.'),
      ]),
    ),
    '  END IF;',
    ...required.map((column) => requiredColumn(table, column)),
    'END',
  ];
  return doBlock('rk_own_table_check', body.join('\n'));
}

/**
 * One statement (a DO block, literals inlined) that makes `table` as this version uses it. A column
 * that is missing while this role does not own the table is refused (insufficient_privilege) with
 * the owner and the statement they run: a column we added is one a later run relies on (the ledger's
 * `kept` tells a finished plan from one to refuse; progress's `tracking_rows` tells statements done
 * from statements to run again), so going on without it is not safe. An `optional` one is left out
 * instead, with one warning (OMITTED_WARNING, the columns in its COLUMN field) naming the statement
 * the owner runs: a run in the middle of an incident is not stopped for a column it can do without.
 * `quiet`: without that warning.
 */
export function ensureTableSql(table: OwnTable, opts: { quiet?: boolean } = {}): string {
  const [schema, name] = table.name.split('.') as [string, string];
  const oid = `${literal(table.name)}::regclass`;
  const optional = new Set(table.optional ?? []);
  const columns = Object.keys(table.added).map((column) => {
    const alter = addColumnSql(table, column);
    if (optional.has(column)) {
      return [
        `  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = ${oid} AND attname = ${literal(column)} AND NOT attisdropped) THEN`,
        `    SELECT relowner INTO rk_owner FROM pg_catalog.pg_class WHERE oid = ${oid};`,
        `    IF NOT pg_has_role(rk_owner, 'USAGE') THEN`,
        `      rk_omitted := rk_omitted || ${literal(column)}::text;`,
        '    ELSE',
        `      ${alter};`,
        '    END IF;',
        '  END IF;',
      ].join('\n');
    }
    return requiredColumn(table, column, `    ${alter};`);
  });
  const omitted = [
    literal(`${table.name} lacks the column(s) `),
    "array_to_string(rk_omitted, ', ')",
    literal(", which this version of rollback-kit writes (an earlier version created the table), and only the table's owner may add them: it belongs to role "),
    'rk_owner::regrole::text',
    literal(', and this run connects as role '),
    'quote_ident(current_user)',
    literal(`. Its rows are written without them, as an earlier version wrote them, so a re-run has only the checks such rows get. Have `),
    'rk_owner::regrole::text',
    literal(` (or a superuser) run once: ${addColumnsSql(table)};`),
  ].join(' || ');
  // Quiet where nobody reads the server's notices as ours (a restore's psql, whose output is read for its errors).
  const warn =
    optional.size === 0 || opts.quiet
      ? []
      : [
          '  IF cardinality(rk_omitted) > 0 THEN',
          `    RAISE WARNING USING ERRCODE = ${literal(OMITTED_WARNING)}, MESSAGE = ${omitted}, SCHEMA = ${literal(schema)}, TABLE = ${literal(name)}, COLUMN = array_to_string(rk_omitted, ',');`,
          '  END IF;',
        ];
  const body = [
    `DECLARE rk_owner oid;${optional.size === 0 ? '' : " rk_omitted text[] := '{}';"}`,
    'BEGIN',
    `  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = ${literal(schema)}) THEN`,
    `    CREATE SCHEMA IF NOT EXISTS ${schema};`,
    '  END IF;',
    `  IF to_regclass(${literal(table.name)}) IS NULL THEN`,
    `    CREATE TABLE IF NOT EXISTS ${table.name} (${table.definition});`,
    '  END IF;',
    ...columns,
    ...warn,
    'END',
  ].join('\n');
  return doBlock('rk_own_table', body);
}

/**
 * A column ensureTableSql could not add, as the user's error (not an unexpected one); `code` stays
 * insufficient_privilege for callers that go on without the table (rerun.ts).
 */
export class ColumnRefused extends RollbackKitError {
  readonly code = INSUFFICIENT_PRIVILEGE;
}

/**
 * Makes `table` as this version uses it, then runs `then` (its first use) in the same round trip,
 * after `before` (SET LOCAL bounds, say: one query is one implicit transaction, which they last).
 */
export async function ensureTable(session: Session, table: OwnTable, then?: string, before?: string): Promise<void> {
  try {
    await session.query([before, ensureTableSql(table), then].filter((sql) => sql !== undefined).join(';\n'));
  } catch (err) {
    throw columnRefused(err);
  }
}

/**
 * What writableTableSql refused, as the user's error: a column this role may not add as a
 * ColumnRefused (as ensureTable refuses it), the rest as a RollbackKitError; anything else as it came.
 */
export function writableRefusal(err: unknown): unknown {
  const e = err as { code?: string; table?: string; column?: string; message: string };
  if (e.code === INSUFFICIENT_PRIVILEGE && e.table && !e.column) return new RollbackKitError(e.message);
  return columnRefused(err);
}

/** ensureTableSql's refusal of a column as a ColumnRefused; PostgreSQL's own refusals (CREATE on the database, say) name no column and pass as they are. */
function columnRefused(err: unknown): unknown {
  const e = err as { code?: string; column?: string; message: string };
  return e.code === INSUFFICIENT_PRIVILEGE && e.column ? new ColumnRefused(e.message) : err;
}
