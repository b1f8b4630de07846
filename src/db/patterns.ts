/**
 * Schema and table names as pg_dump reads them (`-n`, `-N`, `--exclude-table-data`), resolved to
 * the exact objects of one database. pg_dump folds unquoted names to lower case and treats `*` and
 * `?` as wildcards; double quotes keep case and make every character literal. We resolve the
 * user's patterns ourselves, under those same rules, and hand pg_dump only exact quoted names, so
 * the manifest and the archive can never disagree about what was dumped.
 */
import { RollbackKitError } from '../core/errors.js';
import { qualified, someNames } from './catalog.js';
import type { Session } from './session.js';

export interface TableName {
  schema: string;
  name: string;
}

/** A pattern part as pg_dump reads it: literal characters, `?` (any one) and `*` (any run). */
type GlobToken = { char: string } | '?' | '*';

function tokenize(part: string): GlobToken[] {
  const tokens: GlobToken[] = [];
  let quoted = false;
  for (let i = 0; i < part.length; i++) {
    const ch = part[i]!;
    if (ch === '"') {
      if (quoted && part[i + 1] === '"') {
        tokens.push({ char: '"' });
        i++;
      } else quoted = !quoted;
    } else if (!quoted && ch === '*') {
      // "**" means what "*" means; keeping one keeps matching linear.
      if (tokens.at(-1) !== '*') tokens.push('*');
    } else if (!quoted && ch === '?') tokens.push('?');
    else tokens.push({ char: quoted ? ch : ch.toLowerCase() });
  }
  return tokens;
}

/**
 * One dot-separated part of a pattern → a test of a whole name, with psql/pg_dump's meaning. Not
 * a regular expression: "a*a*a*…" against a long name backtracks exponentially there. This is the
 * classic wildcard match (retry from the last `*` only), at most name × pattern steps.
 */
function partMatcher(part: string): (name: string) => boolean {
  const tokens = tokenize(part);
  return (name) => {
    const chars = [...name];
    let t = 0;
    let c = 0;
    let starAt = -1;
    let resumeAt = 0;
    while (c < chars.length) {
      const token = tokens[t];
      if (token === '*') {
        starAt = t++;
        resumeAt = c;
      } else if (token !== undefined && (token === '?' || token.char === chars[c])) {
        t++;
        c++;
      } else if (starAt >= 0) {
        t = starAt + 1;
        c = ++resumeAt;
      } else return false;
    }
    while (tokens[t] === '*') t++;
    return t === tokens.length;
  };
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

// No backslash (a LIKE escape) in a string: with standard_conforming_strings off it would be read as an escape and dropped.
const USER_SCHEMA = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND left(n.nspname, 8) NOT IN ('pg_toast', 'pg_temp_')";

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
  const matches = partMatcher(parts[0]!);
  const found = all.filter(matches);
  if (!found.length && input === 'schemas') {
    throw new RollbackKitError(`schemas: "${pattern}" matches no schema; ${thereAre(all)}.${caseHint(pattern, all)}`);
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
  const nameMatches = partMatcher(namePart!);
  const schemaMatches = schemaPart === undefined ? undefined : partMatcher(schemaPart);
  const { rows } = await session.query<TableName & { visible: boolean }>(
    `SELECT n.nspname AS schema, c.relname AS name, pg_catalog.pg_table_is_visible(c.oid) AS visible
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND ${USER_SCHEMA} ORDER BY 1, 2`,
  );
  // Without a schema, a name means the tables visible on the search path, as in pg_dump.
  return rows
    .filter((r) => nameMatches(r.name) && (schemaMatches ? schemaMatches(r.schema) : r.visible))
    .map(({ schema, name }) => ({ schema, name }));
}

/** How many names a pattern that matched none of them lists (the rest are counted). */
const NAMES_LISTED = 20;

/** What there is, for a pattern that matched none of it: `there are a, b and 3 more`, bounded (someNames). */
export function thereAre(names: string[]): string {
  return `there are ${names.length ? someNames(names, NAMES_LISTED) : 'none'}`;
}

/** Every user table, as `schema.table`, in order: what a table pattern can name. */
export async function userTables(session: Session): Promise<string[]> {
  const { rows } = await session.query<TableName>(`SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND ${USER_SCHEMA} ORDER BY 1, 2`);
  return rows.map((t) => `${t.schema}.${t.name}`);
}

/** Like resolveTablePattern, but a pattern that matches nothing is an error naming it and the tables there are. */
export async function resolveTablesStrict(session: Session, patterns: string[], input: string): Promise<TableName[]> {
  const out: TableName[] = [];
  for (const pattern of patterns) {
    const found = await resolveTablePattern(session, pattern);
    if (!found.length) {
      const { rows } = await session.query<{ relname: string }>("SELECT relname FROM pg_class WHERE relkind IN ('r','p') AND lower(relname) = lower($1) LIMIT 5", [pattern.split('.').pop()!.replace(/"/g, '')]);
      throw new RollbackKitError(
        `${input} names ${pattern}, which matches no table; ${thereAre(await userTables(session))}.${caseHint(pattern.split('.').pop()!, rows.map((r) => r.relname))}`,
        'Name tables as table (on the search path, usually public) or schema.table, * for any characters; or leave this one out.',
      );
    }
    for (const t of found) if (!out.some((o) => o.schema === t.schema && o.name === t.name)) out.push(t);
  }
  return out;
}
