/**
 * Names the snapshot's script needs that an object it does not have already takes. In PostgreSQL
 * an index is a relation: its name must differ from every table, view, materialized view, sequence,
 * foreign table, composite type and other index of its schema, and a primary key, unique or
 * exclusion constraint is named as the index behind it. So the snapshot's `CREATE INDEX
 * customers_idx` fails where a kept table has an index (or is itself) called customers_idx, its
 * `ADD CONSTRAINT customers_pkey PRIMARY KEY` where anything in the schema is called
 * customers_pkey, and its `CREATE TABLE audit_log` where an index is called audit_log. Check and
 * foreign-key constraints have no index: their names clash only on their own table, which the
 * snapshot creates, so never with an object it does not have.
 *
 * Types share a second namespace per schema with the relations that have a row type. PostgreSQL
 * gives a table, view, materialized view, foreign table and composite type a row type of its own
 * name, and refuses a CREATE of any of those, and of a sequence too (which has none since
 * PostgreSQL 12), where a type already has the name: `type "customers" already exists`, which the
 * snapshot's script would meet only inside the restore's transaction, after the work. An enum, domain, range, multirange
 * (`customers_multirange`, a range's) or base type takes the name, not an array type PostgreSQL
 * made for another (`_customers`: it renames that one out of the way) nor a shell type (the CREATE
 * completes it). The other way round, the snapshot's type or domain cannot be created where a
 * relation the restore keeps has a row type of its name (with clean, its `DROP TYPE IF EXISTS`
 * fails first: `cannot drop type … because table … requires it`). Found by the names the
 * snapshot's table of contents gives its objects (restore-plan.ts readSnapshotContents), before
 * anything runs.
 */
import { someNames } from './catalog.js';
import type { Session } from './session.js';

/** An object the snapshot does not have that takes a name the snapshot's script needs. */
export interface NameClash {
  /** As the server describes it: `index public.customers_idx of table public.audit`, `table public.customers_pkey`. */
  taken: string;
  /** The snapshot's object that needs the name: `index public.customers_idx`, `constraint customers_pkey on table public.customers`. */
  wanted: string;
  /** How to give the name back: `ALTER INDEX public.customers_idx RENAME TO <new name>`. */
  rename: string;
  /** Which namespace of the schema the name is taken in: its relations' (pg_class) or its types' (pg_type). */
  among: 'relations' | 'types';
  /** The type that has the name, where a type (not a relation's row type) does: one the snapshot's own script drops is no clash with clean (restore-plan.ts). */
  typeOid: number | null;
}

/** The snapshot's relations, types and the headers of its indexes and constraints, as its table of contents names them. */
export interface SnapshotNames {
  relations: { schema: string; name: string; type: string }[];
  tableObjects: { schema: string; name: string; type: string }[];
  /** Its other objects: only its types and domains (`Type: TYPE`, `Type: DOMAIN`) take a name among its schema's types. */
  objects: { schema: string; name: string; type: string }[];
}

/** The statement that renames a relation of each kind (pg_class.relkind). */
const RENAME_KIND = `CASE c.relkind WHEN 'i' THEN 'INDEX' WHEN 'I' THEN 'INDEX' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                       WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'c' THEN 'TYPE' ELSE 'TABLE' END`;

/**
 * A type as a refusal names it: pg_describe_object says `type` of every kind, and a multirange
 * (named after its range, as a range's own CREATE TYPE made it) is found by its range, through
 * pg_depend (pg_range says which only from PostgreSQL 14).
 */
const TYPE_KIND = `CASE y.typtype WHEN 'd' THEN 'domain' WHEN 'e' THEN 'enum type' WHEN 'r' THEN 'range type' WHEN 'm' THEN 'multirange type' ELSE 'type' END`;

/** The kinds of the snapshot's objects that take a name among its schema's types (pg_dump's `Type:`). */
const TYPE_KINDS = new Set(['TYPE', 'DOMAIN']);

/**
 * The names the snapshot's script needs (its indexes, its primary key, unique and exclusion
 * constraints, its relations) that a relation of the database already takes in the same schema,
 * other than the snapshot's own relations that exist (`named`, oids: the caller names those) and
 * their indexes, which clash only because their table does. A constraint's header names it after its
 * table (`-- Name: customers customers_pkey; Type: CONSTRAINT`): the name is what follows one of the
 * snapshot's tables of that schema. Then the names its relations need among the schema's types that
 * a type takes, and those its types and domains need that a relation it does not have (not in
 * `named`) takes with its row type. A type with a relation's name is the relation's row type: the
 * relation itself is found by the first part, or is the snapshot's own. Matched as the table of
 * contents writes names, a line break as a space. In the one query: the types add no round trip
 * to the planning. Run with the empty search_path the restore's planning sets, so names carry their schema.
 */
export async function nameClashes(session: Session, snapshot: SnapshotNames, named: number[]): Promise<NameClash[]> {
  const indexes = snapshot.tableObjects.filter((o) => o.type === 'INDEX');
  // Only CONSTRAINT is backed by an index: pg_dump heads check and foreign-key constraints CHECK CONSTRAINT and FK CONSTRAINT.
  const constraints = snapshot.tableObjects.filter((o) => o.type === 'CONSTRAINT');
  const tables = snapshot.relations.filter((r) => r.type === 'TABLE');
  const types = snapshot.objects.filter((o) => TYPE_KINDS.has(o.type));
  if (!indexes.length && !constraints.length && !snapshot.relations.length && !types.length) return [];
  const { rows } = await session.query<NameClash>(
    `WITH tables AS (SELECT * FROM unnest($5::text[], $6::text[]) AS t(schema, name)),
          relations AS (SELECT * FROM unnest($7::text[], $8::text[], $9::text[]) WITH ORDINALITY AS r(schema, name, type, pos)),
          wanted(schema, name, wanted, any_relation, pos) AS (
            SELECT i.schema, i.name, 'index ' || quote_ident(i.schema) || '.' || quote_ident(i.name), true, i.pos
              FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS i(schema, name, pos)
            UNION ALL
            SELECT k.schema, substr(k.name, length(t.name) + 2),
                   'constraint ' || quote_ident(substr(k.name, length(t.name) + 2)) || ' on table ' || quote_ident(t.schema) || '.' || quote_ident(t.name), true, 1000000 + k.pos
              FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS k(schema, name, pos)
              JOIN tables t ON t.schema = k.schema AND left(k.name, length(t.name) + 1) = t.name || ' '
            UNION ALL
            -- The snapshot's own relations that exist are named by the caller: here only an index or composite type can take their name.
            SELECT r.schema, r.name, lower(r.type) || ' ' || quote_ident(r.schema) || '.' || quote_ident(r.name), false, 2000000 + r.pos FROM relations r
          ),
          clashes AS (
            SELECT DISTINCT ON (c.oid, w.wanted) c.oid, w.wanted, w.pos,
                   pg_describe_object('pg_class'::regclass, c.oid, 0)
                     || coalesce(' of ' || pg_describe_object('pg_class'::regclass, x.indrelid, 0), '') AS taken,
                   'ALTER ' || ${RENAME_KIND} || ' ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname) || ' RENAME TO <new name>' AS rename
              FROM wanted w
              JOIN pg_namespace n ON n.nspname = w.schema
              JOIN pg_class c ON c.relnamespace = n.oid AND translate(c.relname, E'\\n\\r', '  ') = w.name
              LEFT JOIN pg_index x ON x.indexrelid = c.oid
             WHERE (w.any_relation OR c.relkind IN ('i', 'I', 'c'))
               AND NOT c.oid = ANY($10::oid[]) AND (x.indrelid IS NULL OR NOT x.indrelid = ANY($10::oid[]))
             ORDER BY c.oid, w.wanted, w.pos
          ),
          -- Every relation pg_dump names (TABLE, VIEW, MATERIALIZED VIEW, SEQUENCE, FOREIGN TABLE) is
          -- created by heap_create_with_catalog, which refuses a name a type has (a sequence's too).
          taken_types AS (
            SELECT y.oid::int AS type_oid, ${TYPE_KIND} || ' ' || quote_ident(n.nspname) || '.' || quote_ident(y.typname)
                     || coalesce(' of range type ' || (
                          SELECT quote_ident(gn.nspname) || '.' || quote_ident(g.typname) FROM pg_depend d JOIN pg_type g ON g.oid = d.refobjid JOIN pg_namespace gn ON gn.oid = g.typnamespace
                           WHERE y.typtype = 'm' AND d.classid = 'pg_type'::regclass AND d.objid = y.oid AND d.refclassid = 'pg_type'::regclass AND d.deptype = 'i'), '') AS taken,
                   lower(r.type) || ' ' || quote_ident(r.schema) || '.' || quote_ident(r.name) AS wanted, 2000000 + r.pos AS pos,
                   'ALTER ' || CASE y.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END || ' ' || quote_ident(n.nspname) || '.' || quote_ident(y.typname) || ' RENAME TO <new name>' AS rename
              FROM relations r
              JOIN pg_namespace n ON n.nspname = r.schema
              JOIN pg_type y ON y.typnamespace = n.oid AND translate(y.typname, E'\\n\\r', '  ') = r.name
             -- Not a row type (its relation is found above), a shell type (the CREATE completes it),
             -- or an array type made for its element type (PostgreSQL renames it out of the way).
             WHERE y.typrelid = 0 AND y.typisdefined
               AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.oid = y.typelem AND e.typarray = y.oid)
            UNION ALL
            -- The other way: a relation the snapshot does not have (not in named), whose row type has the
            -- name of the snapshot's type or domain. A composite type (relkind c) of that name is the
            -- snapshot's own type: dropped with clean, named as already there without it.
            SELECT NULL::int, pg_describe_object('pg_class'::regclass, c.oid, 0),
                   lower(o.type) || ' ' || quote_ident(o.schema) || '.' || quote_ident(o.name), 3000000 + o.pos,
                   'ALTER ' || ${RENAME_KIND} || ' ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname) || ' RENAME TO <new name>'
              FROM unnest($11::text[], $12::text[], $13::text[]) WITH ORDINALITY AS o(schema, name, type, pos)
              JOIN pg_namespace n ON n.nspname = o.schema
              JOIN pg_class c ON c.relnamespace = n.oid AND translate(c.relname, E'\\n\\r', '  ') = o.name
             WHERE c.reltype <> 0 AND c.relkind <> 'c' AND NOT c.oid = ANY($10::oid[])
          )
     SELECT taken, wanted, rename, among, type_oid AS "typeOid" FROM (
       SELECT taken, wanted, rename, 'relations' AS among, NULL::int AS type_oid, pos FROM clashes
       UNION ALL SELECT taken, wanted, rename, 'types', type_oid, pos FROM taken_types
     ) c ORDER BY pos, taken`,
    [
      indexes.map((i) => i.schema),
      indexes.map((i) => i.name),
      constraints.map((k) => k.schema),
      constraints.map((k) => k.name),
      tables.map((t) => t.schema),
      tables.map((t) => t.name),
      snapshot.relations.map((r) => r.schema),
      snapshot.relations.map((r) => r.name),
      snapshot.relations.map((r) => r.type),
      named,
      types.map((t) => t.schema),
      types.map((t) => t.name),
      types.map((t) => t.type),
    ],
  );
  return rows;
}

/** How many clashes a refusal names before it says how many more. */
const NAMED = 8;

/** The clashes, each with the snapshot's object that needs its name, for a refusal's first sentence: `… already take: X has the name of the snapshot's Y.` */
export function takenNames(clashes: NameClash[]): string {
  const taken = clashes.map((c) => `${c.taken} has the name of the snapshot's ${c.wanted}`);
  // Why, for each namespace a name is taken in.
  const why = [...(clashes.some((c) => c.among === 'relations') ? [SHARED_NAMES] : []), ...(clashes.some((c) => c.among === 'types') ? [TYPE_NAMES] : [])];
  return `what the snapshot holds under names objects it does not have already take: ${someNames(taken, NAMED)}. ${why.join('. ')}`;
}

/** Why a name is taken across tables. */
const SHARED_NAMES = 'An index shares the names of its schema with its tables, views, sequences and other indexes, and a primary key, unique or exclusion constraint is named as its index';

/** Why a relation's name is taken by a type, and a type's by a relation. */
const TYPE_NAMES =
  "A table, view, materialized view or foreign table has a row type of its own name, so it shares the names of its schema with the schema's types (enums, domains, ranges and their multiranges …), and PostgreSQL refuses a sequence a type's name too";

/** The way on, after `Rename` (or `rename`): renaming what has the name frees it, and keeps it and what it holds. */
export function renameWay(clashes: NameClash[]): string {
  return `what has the name (${clashes[0]!.rename}) and run again, or restore into an empty database.`;
}
