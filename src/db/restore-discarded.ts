/**
 * What an in-place restore throws away on the tables it replaces: columns, indexes, constraints,
 * triggers, policies and rules added to a snapshot table since the snapshot was taken go with its
 * DROP TABLE, and the snapshot's CREATE TABLE does not bring them back. They are found while the
 * restore is planned, before anything is changed, by comparing the catalogue with the snapshot's
 * schema script: its `CREATE TABLE` statements (each table's own columns, and the constraints
 * written inside them) and its table-of-contents headers (`-- Name: orders orders_pkey; Type:
 * CONSTRAINT`). Each is listed with what the engineer needs to create it again.
 */
import { quoteIdent } from './catalog.js';
import { blankSql } from './sql-lexer.js';
import { QueryDeadlineExceeded, type Session } from './session.js';

/** A table as the snapshot's CREATE TABLE writes it. */
export interface SnapshotTableShape {
  schema: string;
  name: string;
  /** Its own columns (pg_dump leaves out inherited ones); null for a typed table, whose columns are its type's. */
  columns: string[] | null;
  /** Names of the constraints written inside the CREATE TABLE (the others have headers of their own). */
  constraints: string[];
}

/** The statements whose shape is read (SnapshotTableShape). */
export const CREATE_TABLE_PREFIXES = ['CREATE TABLE ', 'CREATE UNLOGGED TABLE ', 'CREATE FOREIGN TABLE '] as const;

/** Table-of-contents types of what pg_dump writes on its own for a table, named `<table> <name>` (an index: `<name>`). */
export const TABLE_OBJECT_TYPES = new Set(['INDEX', 'CONSTRAINT', 'FK CONSTRAINT', 'CHECK CONSTRAINT', 'TRIGGER', 'POLICY', 'RULE']);

/** An identifier at `at`, as pg_dump writes one (quoted with `""` for a quote, or plain), and where it ends. */
function readIdent(s: string, at: number): [string, number] | undefined {
  if (s[at] !== '"') {
    const m = /^[^\s."(),;]+/.exec(s.slice(at));
    return m ? [m[0], at + m[0].length] : undefined;
  }
  let out = '';
  for (let i = at + 1; i < s.length; i++) {
    if (s[i] !== '"') out += s[i];
    else if (s[i + 1] === '"') out += s[i++];
    else return [out, i + 1];
  }
  return undefined;
}

/**
 * The parts of a parenthesised list starting at `open` (its `(`), split at its own commas, read with
 * the SQL lexer: commas and parentheses inside strings, quoted names, dollar-quoted bodies and
 * comments are the parts' own, as are those in nested parentheses. Undefined when the list does not
 * end. pg_dump writes its scripts with standard_conforming_strings on (it sets it at their top).
 */
function listParts(s: string, open: number): string[] | undefined {
  const code = blankSql({ text: s, standardConformingStrings: true }, { quoted: true });
  const parts: string[] = [];
  let depth = 0;
  let from = open + 1;
  for (let i = open; i < code.length; i++) {
    const c = code[i];
    if (c === '(') depth++;
    else if (c === ')' && --depth === 0) {
      parts.push(s.slice(from, i));
      return parts.map((p) => p.trim()).filter(Boolean);
    } else if (c === ',' && depth === 1) {
      parts.push(s.slice(from, i));
      from = i + 1;
    }
  }
  return undefined;
}

/**
 * A pg_dump `CREATE TABLE` statement's table, own columns and inline constraints; undefined for one
 * it does not write that way (then nothing is said about that table's columns).
 */
export function parseCreateTable(statement: string): SnapshotTableShape | undefined {
  const prefix = CREATE_TABLE_PREFIXES.find((p) => statement.startsWith(p));
  if (!prefix) return undefined;
  const schema = readIdent(statement, prefix.length);
  if (!schema || statement[schema[1]] !== '.') return undefined;
  const name = readIdent(statement, schema[1] + 1);
  if (!name) return undefined;
  let at = name[1];
  while (/\s/.test(statement[at] ?? '')) at++;
  const typed = statement.startsWith('OF ', at);
  if (typed) {
    at = statement.indexOf('(', at);
    if (at < 0) return { schema: schema[0], name: name[0], columns: null, constraints: [] };
  }
  if (statement[at] !== '(') return undefined;
  const parts = listParts(statement, at);
  if (!parts) return undefined;
  const columns: string[] = [];
  const constraints: string[] = [];
  for (const part of parts) {
    const constraint = /^CONSTRAINT\s+/.exec(part);
    const ident = readIdent(part, constraint ? constraint[0].length : 0);
    if (!ident) return undefined;
    (constraint ? constraints : columns).push(ident[0]);
  }
  return { schema: schema[0], name: name[0], columns: typed ? null : columns, constraints };
}

/** A column the restore drops with its table, with the non-null values it holds when counted. */
export interface DiscardedColumn {
  name: string;
  type: string;
  /** Rows with a value in it, counted while the restore was planned; null when not counted (a big table). */
  nonNull: number | null;
}

/** An index, constraint, trigger, policy or rule the restore drops with its table, and how to create it again. */
export interface DiscardedObject {
  kind: 'index' | 'constraint' | 'trigger' | 'policy' | 'rule';
  name: string;
  definition: string;
}

/** What a snapshot table holds now that the restore throws away, the snapshot not having it. */
export interface DiscardedFromTable {
  /** Schema-qualified and quoted. */
  table: string;
  columns: DiscardedColumn[];
  objects: DiscardedObject[];
}

/**
 * Tables up to this size (all their partitions or inheritance children together) have their
 * discarded columns' values counted while the restore is planned: one scan, a fraction of a second.
 */
export const COUNT_BYTES_LIMIT = 64 * 1024 * 1024;

/** A table-of-contents header of the snapshot, for a table's index, constraint, trigger, policy or rule. */
export interface TableObjectHeader {
  type: string;
  schema: string;
  name: string;
}

/**
 * What the restore drops with the relations `dropped` (oids) that the snapshot does not create
 * again: columns a table has of its own that its CREATE TABLE does not list (typed tables and tables
 * whose statement was not read are left out rather than guessed at, and so are the check
 * constraints of the latter, which may be written inside it), and indexes, constraints,
 * triggers, policies and rules that no header of the snapshot and no constraint inside its CREATE
 * TABLE names. What goes along with another object is left out: an index behind a constraint, a
 * partition's copy of its parent's index, constraint or trigger, the triggers of a foreign key.
 * Read with the empty search_path restore-plan.ts existingRelations sets, so every name is schema-qualified.
 */
export async function discardedBy(session: Session, shapes: SnapshotTableShape[], headers: TableObjectHeader[], dropped: number[]): Promise<DiscardedFromTable[]> {
  if (!dropped.length) return [];
  const listed = shapes.filter((t) => t.columns !== null);
  const columns = listed.flatMap((t) => t.columns!.map((c) => [t.schema, t.name, c] as const));
  // A name's line break is a space in a header: the constraints inside a CREATE TABLE are named as headers name them.
  const oneLine = (s: string) => s.replace(/[\r\n]/g, ' ');
  const inline = shapes.flatMap((t) => t.constraints.map((c) => ({ type: 'CONSTRAINT', schema: t.schema, name: oneLine(`${t.name} ${c}`) })));
  const toc = [...headers, ...inline];
  const { rows } = await session.query<{ table: string; oid: number; kind: DiscardedObject['kind'] | 'column'; name: string; detail: string }>(
    `WITH listed AS (SELECT * FROM unnest($1::text[], $2::text[]) AS t(schema, name)),
          parsed AS (SELECT * FROM unnest($10::text[], $11::text[]) AS t(schema, name)),
          cols AS (SELECT * FROM unnest($3::text[], $4::text[], $5::text[]) AS c(schema, name, col)),
          toc AS (SELECT * FROM unnest($6::text[], $7::text[], $8::text[]) AS h(type, schema, name)),
          dropped AS (
            SELECT c.oid, c.relname, n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = ANY($9::oid[])
          ),
          found AS (
            SELECT d.oid, 0 AS kind_order, 'column' AS kind, a.attname::text AS name, format_type(a.atttypid, a.atttypmod) AS detail, a.attnum AS pos
              FROM dropped d JOIN listed l ON l.schema = d.nspname AND l.name = d.relname
              JOIN pg_attribute a ON a.attrelid = d.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attislocal
             WHERE NOT EXISTS (SELECT 1 FROM cols WHERE cols.schema = d.nspname AND cols.name = d.relname AND cols.col = a.attname)
            UNION ALL
            SELECT d.oid, 1, 'index', i.relname::text, pg_get_indexdef(x.indexrelid) || ';', 0
              FROM dropped d JOIN pg_index x ON x.indrelid = d.oid JOIN pg_class i ON i.oid = x.indexrelid
             WHERE NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.conrelid = d.oid AND k.contype IN ('p', 'u', 'x'))
               AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = x.indexrelid)
               AND NOT EXISTS (SELECT 1 FROM toc WHERE toc.type = 'INDEX' AND toc.schema = d.nspname AND toc.name = translate(i.relname, E'\\n\\r', '  '))
            UNION ALL
            SELECT d.oid, 2, 'constraint', k.conname::text, format('ALTER TABLE %s ADD CONSTRAINT %I %s;', d.oid::regclass, k.conname, pg_get_constraintdef(k.oid)), 0
              FROM dropped d JOIN pg_constraint k ON k.conrelid = d.oid
             WHERE k.contype IN ('p', 'u', 'x', 'c', 'f') AND k.conislocal AND k.conparentid = 0
               -- A check constraint may be written inside the CREATE TABLE: named only when that was read.
               AND (k.contype <> 'c' OR EXISTS (SELECT 1 FROM parsed WHERE parsed.schema = d.nspname AND parsed.name = d.relname))
               AND NOT EXISTS (SELECT 1 FROM toc WHERE toc.type IN ('CONSTRAINT', 'FK CONSTRAINT', 'CHECK CONSTRAINT') AND toc.schema = d.nspname
                                 AND toc.name = translate(d.relname || ' ' || k.conname, E'\\n\\r', '  '))
            UNION ALL
            SELECT d.oid, 3, 'trigger', g.tgname::text, pg_get_triggerdef(g.oid) || ';', 0
              FROM dropped d JOIN pg_trigger g ON g.tgrelid = d.oid
             WHERE NOT g.tgisinternal
               -- A partition's clone of its parent's trigger goes and comes back with the parent's.
               AND NOT EXISTS (SELECT 1 FROM pg_depend p WHERE p.classid = 'pg_trigger'::regclass AND p.objid = g.oid AND p.deptype IN ('P', 'S'))
               AND NOT EXISTS (SELECT 1 FROM toc WHERE toc.type = 'TRIGGER' AND toc.schema = d.nspname AND toc.name = translate(d.relname || ' ' || g.tgname, E'\\n\\r', '  '))
            UNION ALL
            SELECT d.oid, 4, 'policy', p.polname::text,
                   format('CREATE POLICY %I ON %s AS %s FOR %s TO %s%s%s;', p.polname, d.oid::regclass,
                          CASE WHEN p.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END,
                          CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
                          CASE WHEN p.polroles = '{0}' THEN 'PUBLIC'
                               ELSE (SELECT string_agg(quote_ident(r.rolname), ', ' ORDER BY r.rolname) FROM pg_roles r WHERE r.oid = ANY(p.polroles)) END,
                          ' USING (' || pg_get_expr(p.polqual, p.polrelid) || ')', ' WITH CHECK (' || pg_get_expr(p.polwithcheck, p.polrelid) || ')'), 0
              FROM dropped d JOIN pg_policy p ON p.polrelid = d.oid
             WHERE NOT EXISTS (SELECT 1 FROM toc WHERE toc.type = 'POLICY' AND toc.schema = d.nspname AND toc.name = translate(d.relname || ' ' || p.polname, E'\\n\\r', '  '))
            UNION ALL
            SELECT d.oid, 5, 'rule', r.rulename::text, pg_get_ruledef(r.oid), 0
              FROM dropped d JOIN pg_rewrite r ON r.ev_class = d.oid
             WHERE r.rulename <> '_RETURN'
               AND NOT EXISTS (SELECT 1 FROM toc WHERE toc.type = 'RULE' AND toc.schema = d.nspname AND toc.name = translate(d.relname || ' ' || r.rulename, E'\\n\\r', '  '))
          )
     SELECT f.oid::regclass::text AS table, f.oid::int AS oid, f.kind, f.name, f.detail FROM found f ORDER BY 1, f.kind_order, f.pos, f.name`,
    [
      listed.map((t) => t.schema),
      listed.map((t) => t.name),
      columns.map((c) => c[0]),
      columns.map((c) => c[1]),
      columns.map((c) => c[2]),
      toc.map((h) => h.type),
      toc.map((h) => h.schema),
      toc.map((h) => h.name),
      dropped,
      shapes.map((t) => t.schema),
      shapes.map((t) => t.name),
    ],
  );
  const byTable = new Map<string, DiscardedFromTable & { oid: number }>();
  for (const r of rows) {
    let t = byTable.get(r.table);
    if (!t) byTable.set(r.table, (t = { table: r.table, oid: r.oid, columns: [], objects: [] }));
    if (r.kind === 'column') t.columns.push({ name: r.name, type: r.detail, nonNull: null });
    else t.objects.push({ kind: r.kind, name: r.name, definition: r.detail });
  }
  for (const t of byTable.values()) if (t.columns.length) await countValues(session, t);
  return [...byTable.values()].map(({ oid: _oid, ...t }) => t);
}

/**
 * Counts the values the discarded columns hold, in one scan, when the table and everything under
 * it is at most COUNT_BYTES_LIMIT; a count that cannot be made (a lock) or trusted (row-level security
 * hides rows from the user) is left out.
 */
async function countValues(session: Session, t: DiscardedFromTable & { oid: number }): Promise<void> {
  try {
    const { rows } = await session.query<{ bytes: string; hidden: boolean }>(
      `WITH RECURSIVE tree(oid) AS (SELECT $1::oid UNION SELECT h.inhrelid FROM pg_inherits h JOIN tree ON h.inhparent = tree.oid)
       SELECT coalesce(sum(pg_relation_size(oid)), 0)::text AS bytes, row_security_active($1::oid) AS hidden FROM tree`,
      [t.oid],
    );
    // A count the policies cut would show fewer values than the restore discards: "not counted" instead.
    if (Number(rows[0]!.bytes) > COUNT_BYTES_LIMIT || rows[0]!.hidden) return;
    const { rows: counted } = await session.query<Record<string, string>>(`SELECT ${t.columns.map((c, i) => `count(${quoteIdent(c.name)})::text AS c${i}`).join(', ')} FROM ${t.table}`);
    t.columns.forEach((c, i) => (c.nonNull = Number(counted[0]![`c${i}`])));
  } catch (err) {
    // The connection is gone: the planning fails as any of its queries would.
    if (err instanceof QueryDeadlineExceeded) throw err;
  }
}

/** `note (text, 40 non-null value(s))`: a discarded column as the log and the summary name it. */
export function describeColumn(c: DiscardedColumn): string {
  const values = c.nonNull === null ? 'values not counted' : `${c.nonNull} non-null value(s)`;
  return `${c.name} (${c.type}, ${values})`;
}
