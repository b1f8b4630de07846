/**
 * Names the snapshot's script needs that an object it does not have already takes. In PostgreSQL
 * an index is a relation: its name must differ from every table, view, materialized view, sequence,
 * foreign table, composite type and other index of its schema, and a primary key, unique or
 * exclusion constraint is named as the index behind it. So the snapshot's `CREATE INDEX
 * customers_idx` fails where a kept table has an index (or is itself) called customers_idx, its
 * `ADD CONSTRAINT customers_pkey PRIMARY KEY` where anything in the schema is called
 * customers_pkey, and its `CREATE TABLE audit_log` where an index is called audit_log. Check and
 * foreign-key constraints have no index: their names clash only on their own table, which the
 * snapshot creates, so never with an object it does not have. Found by the names the snapshot's
 * table of contents gives its objects (restore-plan.ts readSnapshotContents), before anything runs.
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
}

/** The snapshot's relations and the headers of its indexes and constraints, as its table of contents names them. */
export interface SnapshotNames {
  relations: { schema: string; name: string; type: string }[];
  tableObjects: { schema: string; name: string; type: string }[];
}

/** The statement that renames a relation of each kind (pg_class.relkind). */
const RENAME_KIND = `CASE c.relkind WHEN 'i' THEN 'INDEX' WHEN 'I' THEN 'INDEX' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                       WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'c' THEN 'TYPE' ELSE 'TABLE' END`;

/**
 * The names the snapshot's script needs (its indexes, its primary key, unique and exclusion
 * constraints, its relations) that a relation of the database already takes in the same schema,
 * other than the snapshot's own relations that exist (`named`, oids: the caller names those) and
 * their indexes, which clash only because their table does. A constraint's header names it after its
 * table (`-- Name: customers customers_pkey; Type: CONSTRAINT`): the name is what follows one of the
 * snapshot's tables of that schema. Matched as the table of contents writes names, a line break as a
 * space. Run with the empty search_path the restore's planning sets, so names carry their schema.
 */
export async function nameClashes(session: Session, snapshot: SnapshotNames, named: number[]): Promise<NameClash[]> {
  const indexes = snapshot.tableObjects.filter((o) => o.type === 'INDEX');
  // Only CONSTRAINT is backed by an index: pg_dump heads check and foreign-key constraints CHECK CONSTRAINT and FK CONSTRAINT.
  const constraints = snapshot.tableObjects.filter((o) => o.type === 'CONSTRAINT');
  const tables = snapshot.relations.filter((r) => r.type === 'TABLE');
  if (!indexes.length && !constraints.length && !snapshot.relations.length) return [];
  const { rows } = await session.query<NameClash>(
    `WITH tables AS (SELECT * FROM unnest($5::text[], $6::text[]) AS t(schema, name)),
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
            SELECT r.schema, r.name, lower(r.type) || ' ' || quote_ident(r.schema) || '.' || quote_ident(r.name), false, 2000000 + r.pos
              FROM unnest($7::text[], $8::text[], $9::text[]) WITH ORDINALITY AS r(schema, name, type, pos)
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
          )
     SELECT taken, wanted, rename FROM clashes ORDER BY pos, taken`,
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
    ],
  );
  return rows;
}

/** How many clashes a refusal names before it says how many more. */
const NAMED = 8;

/** The clashes, each with the snapshot's object that needs its name, for a refusal's first sentence: `… already take: X has the name of the snapshot's Y.` */
export function takenNames(clashes: NameClash[]): string {
  const taken = clashes.map((c) => `${c.taken} has the name of the snapshot's ${c.wanted}`);
  return `what the snapshot holds under names objects it does not have already take: ${someNames(taken, NAMED)}. ${SHARED_NAMES}`;
}

/** Why a name is taken across tables. */
const SHARED_NAMES = 'An index shares the names of its schema with its tables, views, sequences and other indexes, and a primary key, unique or exclusion constraint is named as its index';

/** The way on, after `Rename` (or `rename`): renaming what has the name frees it, and keeps it and what it holds. */
export function renameWay(clashes: NameClash[]): string {
  return `what has the name (${clashes[0]!.rename}) and run again, or restore into an empty database.`;
}
