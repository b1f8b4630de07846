/**
 * Schema and table names as pg_dump reads them (`-n`, `-N`, `--exclude-table-data`), resolved to
 * the exact objects of one database. pg_dump folds unquoted names to lower case and treats `*` and
 * `?` as wildcards; double quotes keep case and make every character literal. We resolve the
 * user's patterns ourselves, under those same rules, and hand pg_dump only exact quoted names, so
 * the manifest and the archive can never disagree about what was dumped.
 */
import { RollbackKitError } from '../core/errors.js';
import { qualified } from './catalog.js';
import type { Session } from './session.js';

export interface TableName {
  schema: string;
  name: string;
}

/** One dot-separated part of a pattern → an anchored regular expression, as psql/pg_dump build it. */
function partToRegex(part: string): string {
  let out = '';
  let quoted = false;
  for (let i = 0; i < part.length; i++) {
    const ch = part[i]!;
    if (ch === '"') {
      if (quoted && part[i + 1] === '"') {
        out += '"';
        i++;
      } else quoted = !quoted;
    } else if (!quoted && ch === '*') out += '.*';
    else if (!quoted && ch === '?') out += '.';
    else out += (quoted ? ch : ch.toLowerCase()).replace(/[.+^${}()|[\]\\*?]/g, '\\$&');
  }
  return `^(${out})$`;
}

/** Splits on dots outside double quotes. */
function splitParts(pattern: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of pattern) {
    if (ch === '"') quoted = !quoted;
    if (ch === '.' && !quoted) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

/** A table as a pg_dump pattern that matches exactly it: a quoted identifier is taken literally. */
export function exactTablePattern(t: TableName): string {
  return qualified(t.schema, t.name);
}

const USER_SCHEMA = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'";

export async function userSchemas(session: Session): Promise<string[]> {
  const { rows } = await session.query<{ nspname: string }>(
    `SELECT n.nspname FROM pg_namespace n WHERE ${USER_SCHEMA}
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')
      ORDER BY 1`,
  );
  return rows.map((r) => r.nspname);
}

/**
 * A hint for a pattern that matches nothing only because of letter case: `billing` or `Billing`
 * (folded to lower case, as pg_dump does) or `"billing"` (quoted, but in the wrong case) for a
 * schema or table named `Billing`. Names the real name and how to write it.
 */
function caseHint(pattern: string, candidates: string[]): string {
  const bare = pattern.replace(/"/g, '');
  const real = candidates.find((c) => c.toLowerCase() === bare.toLowerCase() && c !== (pattern.includes('"') ? bare : bare.toLowerCase()));
  if (!real) return '';
  const quoted = `"${real.replace(/"/g, '""')}"`;
  return pattern.includes('"')
    ? ` Quoted names match exactly and the name is ${real}: write ${quoted} to match it.`
    : ` Unquoted names are folded to lower case, as pg_dump does, and the name is ${real}: write ${quoted} in double quotes to match it.`;
}

/** Schema names matching one pattern (`input` names the input for messages). */
export async function resolveSchemaPattern(session: Session, pattern: string, input: string): Promise<string[]> {
  const parts = splitParts(pattern);
  if (parts.length !== 1) throw new RollbackKitError(`${input}: "${pattern}" is not a schema name (it has a dot).`);
  const all = await userSchemas(session);
  const re = new RegExp(partToRegex(parts[0]!));
  const found = all.filter((s) => re.test(s));
  if (!found.length && input === 'schemas') {
    throw new RollbackKitError(`schemas: "${pattern}" matches no schema; there are ${all.join(', ') || 'none'}.${caseHint(pattern, all)}`);
  }
  return found;
}

/**
 * Tables matching one pattern: `schema.table`, or `table` meaning tables visible on the search path
 * (usually public), as pg_dump resolves it.
 */
export async function resolveTablePattern(session: Session, pattern: string): Promise<TableName[]> {
  const parts = splitParts(pattern);
  if (parts.length > 2 || parts.some((p) => !p)) throw new RollbackKitError(`"${pattern}" is not a table name: write table or schema.table.`);
  const [schemaPart, namePart] = parts.length === 2 ? parts : [undefined, parts[0]!];
  const params: string[] = [partToRegex(namePart!)];
  let where = 'c.relname ~ $1';
  if (schemaPart !== undefined) {
    params.push(partToRegex(schemaPart));
    where += ' AND n.nspname ~ $2';
  } else where += ' AND pg_catalog.pg_table_is_visible(c.oid)';
  const { rows } = await session.query<TableName>(
    `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND ${USER_SCHEMA} AND ${where} ORDER BY 1, 2`,
    params,
  );
  return rows;
}

/** Like resolveTablePattern, but a pattern that matches nothing is an error naming it. */
export async function resolveTablesStrict(session: Session, patterns: string[], input: string): Promise<TableName[]> {
  const out: TableName[] = [];
  for (const pattern of patterns) {
    const found = await resolveTablePattern(session, pattern);
    if (!found.length) {
      const { rows } = await session.query<{ relname: string }>("SELECT relname FROM pg_class WHERE relkind IN ('r','p') AND lower(relname) = lower($1) LIMIT 5", [pattern.split('.').pop()!.replace(/"/g, '')]);
      throw new RollbackKitError(`${input} names ${pattern}, which matches no table.${caseHint(pattern.split('.').pop()!, rows.map((r) => r.relname))}`);
    }
    for (const t of found) if (!out.some((o) => o.schema === t.schema && o.name === t.name)) out.push(t);
  }
  return out;
}
