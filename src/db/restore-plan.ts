/**
 * What an in-place restore must remove first, and what it must put back after. pg_restore --clean
 * drops object by object and fails on real schemas (a partition's inherited primary key cannot be
 * dropped on its own; a table added after the snapshot with a foreign key to a snapshot table, or a
 * view over one, blocks the drop). So restore-db drops the snapshot's relations itself, whole, in the
 * restore's own transaction: views first, then every table in one DROP (partitions, foreign keys
 * between them and all), then sequences. Objects the snapshot does not have are kept: a foreign key
 * from a kept table, or a kept view, that depends on a dropped relation is dropped with it and
 * re-created after the restore, in the same transaction. A partition the snapshot does not have (one
 * a cron job or pg_partman created since, or one in a schema a filtered snapshot left out) would go
 * with its partitioned table's DROP, rows and all: it is detached first and attached again after the
 * restore. Anything else that depends on a snapshot relation is named and the restore refused before
 * anything changes, and so is an object the snapshot does not have that uses a type, function,
 * operator, extension or other object the snapshot's own script drops and creates again. Nothing
 * is dropped with CASCADE: an object nobody planned for makes the transaction fail, and the
 * database stays as it was.
 */
import { createReadStream } from 'node:fs';
import type { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RollbackKitError } from '../core/errors.js';
import { runProcess } from '../core/process.js';
import { corruptSnapshot, type SnapshotFormat } from './archive.js';
import { listTables, qualified, quoteIdent, someNames, tableKey } from './catalog.js';
import type { SnapshotManifest } from './manifest.js';
import { userSchemas } from './patterns.js';
import { toolErrorLine } from './pg-tools.js';
import { CREATE_TABLE_PREFIXES, discardedBy, parseCreateTable, TABLE_OBJECT_TYPES, type DiscardedFromTable, type SnapshotTableShape, type TableObjectHeader } from './restore-discarded.js';
import { nameClashes, renameWay, takenNames, type NameClash } from './restore-name-clashes.js';
import { scriptFilter } from './restore-script.js';
import type { Session } from './session.js';

/** A relation the snapshot creates, as its table of contents names it, in creation order. */
export interface SnapshotRelation {
  schema: string;
  name: string;
  type: string;
}

/**
 * Another object the snapshot's script drops and creates again (pg_restore --clean), by the name
 * its table of contents gives it: a function as `name(argument types)`, `-` for no schema. Kinds
 * whose table-of-contents name leaves out what tells them apart (DROPPED_AS) are named by their
 * DROP statement instead, schema and all, with `-` for schema.
 */
export interface SnapshotObject {
  type: string;
  schema: string;
  name: string;
}

export interface SnapshotContents {
  relations: SnapshotRelation[];
  /** Its tables' own columns and inline constraints, from its CREATE TABLE statements. */
  tables: SnapshotTableShape[];
  /** The headers of its tables' indexes, constraints, triggers, policies and rules (TABLE_OBJECT_TYPES). */
  tableObjects: TableObjectHeader[];
  /** Of the kinds whose users outside the snapshot restore-db looks for (OBJECT_TYPES). */
  objects: SnapshotObject[];
  /** The snapshot holds large objects (a plain script commits those on its own). */
  largeObjects: boolean;
  /** The schemas it creates (`CREATE SCHEMA IF NOT EXISTS`, restore-script.ts keepSchema), as its CREATE SCHEMA statements name them (quoted where needed). */
  schemas: string[];
  /**
   * Each schema's GRANT and REVOKE statements (its `Type: ACL` entry), by the name its table of
   * contents gives it (`SCHEMA "Mixed Case"`: quoted where needed): what restore-privileges.ts replays on the schema's baseline to know what its
   * privileges will be. A schema with none is restored to its baseline. pg_dump writes a newline in
   * the name as a space there (requireSchemaPrivileges looks it up so too); a statement that runs over lines is one entry.
   */
  schemaGrants: Record<string, string[]>;
  /**
   * The schemas its script gives to their owners (`ALTER SCHEMA name OWNER TO role;`, pg_dump's
   * owner of each schema it creates, and of `public` where that is not the default), in script
   * order: what restore-owners.ts checks before anything is changed.
   */
  schemaOwners: SchemaOwner[];
}

/** A schema's owner as the snapshot's script sets it. */
export interface SchemaOwner {
  /** The schema and the role, as the statement writes them (quoted where needed). */
  schema: string;
  owner: string;
  /** The whole statement, as the script's bytes read as latin1 (ScriptFilter.deferSchemaOwners). */
  statement: string;
}

const IDENTIFIER = String.raw`"(?:[^"]|"")+"|[^\s";]+`;
/** pg_dump's owner statement for a schema: `ALTER SCHEMA name OWNER TO role;` (a quoted name may hold a newline). */
const SCHEMA_OWNER = new RegExp(String.raw`^ALTER SCHEMA (${IDENTIFIER}) OWNER TO (${IDENTIFIER});$`);

/** pg_dump's `CREATE SCHEMA name;`, the name as the statement quotes it (a quoted name may hold a newline). */
const CREATED_SCHEMA = /^CREATE SCHEMA ([\s\S]+?);\r?\n?$/;

const RELATION_TYPES = new Set(['TABLE', 'VIEW', 'MATERIALIZED VIEW', 'SEQUENCE', 'FOREIGN TABLE']);
/**
 * Objects whose table-of-contents name keptUsersOf matches in the catalogue (see there): every kind
 * pg_dump dumps on its own, not as part of a table, that another object can use. One missing here
 * is taken for an object the snapshot does not have wherever it uses one the snapshot has.
 */
const OBJECT_TYPES = new Set([
  'TYPE', 'DOMAIN', 'FUNCTION', 'PROCEDURE', 'AGGREGATE', 'EXTENSION', 'COLLATION', 'CONVERSION', 'CAST', 'TRANSFORM',
  'PROCEDURAL LANGUAGE', 'ACCESS METHOD', 'EVENT TRIGGER', 'TEXT SEARCH CONFIGURATION', 'TEXT SEARCH DICTIONARY',
  'TEXT SEARCH PARSER', 'TEXT SEARCH TEMPLATE', 'FOREIGN DATA WRAPPER', 'SERVER', 'USER MAPPING',
]);
/**
 * Operators (`-- Name: ===`, whatever their argument types) and operator classes and families
 * (without their access method) are named by the DROP statement pg_restore --clean writes for them,
 * which says which one: `DROP OPERATOR IF EXISTS public.=== (integer, integer);`.
 */
const DROPPED_AS = /^DROP (OPERATOR|OPERATOR CLASS|OPERATOR FAMILY) IF EXISTS (.+);$/;
const TOC_COMMENT = /^-- Name: (.*); Type: (.*); Schema: (.*); Owner: .*$/;
const CLIENT_ENCODING = /^SET client_encoding = '([A-Za-z0-9_]+)';$/;

/**
 * How Node decodes a script in a server encoding (PostgreSQL's name, as the script's
 * `SET client_encoding` gives it); those not listed are read as UTF-8, and a name read wrong is then
 * not found, so the restore fails on it instead of dropping something else.
 */
const DECODERS: Record<string, string> = {
  UTF8: 'utf-8', SQL_ASCII: 'latin1', LATIN1: 'latin1', LATIN2: 'iso-8859-2', LATIN3: 'iso-8859-3', LATIN4: 'iso-8859-4',
  LATIN5: 'windows-1254', LATIN6: 'iso-8859-10', LATIN7: 'iso-8859-13', LATIN8: 'iso-8859-14', LATIN9: 'iso-8859-15', LATIN10: 'iso-8859-16',
  ISO_8859_5: 'iso-8859-5', ISO_8859_6: 'iso-8859-6', ISO_8859_7: 'iso-8859-7', ISO_8859_8: 'iso-8859-8',
  WIN866: 'ibm866', WIN874: 'windows-874', WIN1250: 'windows-1250', WIN1251: 'windows-1251', WIN1252: 'windows-1252', WIN1253: 'windows-1253',
  WIN1254: 'windows-1254', WIN1255: 'windows-1255', WIN1256: 'windows-1256', WIN1257: 'windows-1257', WIN1258: 'windows-1258',
  KOI8R: 'koi8-r', KOI8U: 'koi8-u', EUC_JP: 'euc-jp', EUC_KR: 'euc-kr', EUC_CN: 'gb18030', GB18030: 'gb18030', GBK: 'gbk', SJIS: 'shift_jis', BIG5: 'big5',
};

function decoder(encoding: string): (bytes: Buffer) => string {
  const label = DECODERS[encoding.toUpperCase()] ?? 'utf-8';
  if (label === 'latin1') return (bytes) => bytes.toString('latin1');
  const text = new TextDecoder(label);
  return (bytes) => text.decode(bytes);
}

/** The statements of a schema's ACL entry, read whole: one naming a schema or role that holds a newline runs over lines. */
const ACL_PREFIXES = ['GRANT ', 'REVOKE ', 'SET SESSION AUTHORIZATION ', 'RESET SESSION AUTHORIZATION'] as const;

/**
 * Collects the `-- Name: …; Type: …; Schema: …` comments pg_dump writes before every object, and the
 * DROP statements of DROPPED_AS, read only between statements: the same text in a function body, a
 * string or a table's rows is data, and must never decide what a restore drops.
 */
function tocReader(into: SnapshotContents): Transform {
  let decode = decoder('UTF8');
  /** The statements of the schema ACL entry being read, until the next header. */
  let grants: string[] | undefined;
  const reader = scriptFilter({
    unwrap: false,
    onStatement: {
      startsWith: [...CREATE_TABLE_PREFIXES, ...ACL_PREFIXES, 'ALTER SCHEMA '],
      read: (statement) => {
        const text = decode(statement).replace(/\r?\n$/, '');
        if (ACL_PREFIXES.some((p) => text.startsWith(p))) grants?.push(text);
        else if (text.startsWith('ALTER SCHEMA ')) {
          const owned = SCHEMA_OWNER.exec(text);
          if (owned) into.schemaOwners.push({ schema: owned[1]!, owner: owned[2]!, statement: statement.toString('latin1').replace(/\r?\n$/, '') });
        }
        else {
          const shape = parseCreateTable(text);
          if (shape) into.tables.push(shape);
        }
      },
    },
    onCreateSchema: (statement) => {
      const created = CREATED_SCHEMA.exec(decode(statement));
      if (created) into.schemas.push(created[1]!);
    },
    onTopLevelLine: (raw) => {
      const ascii = raw.toString('latin1').replace(/\r?\n$/, '');
      const encoding = CLIENT_ENCODING.exec(ascii);
      if (encoding) decode = decoder(encoding[1]!);
      if (ascii.startsWith('DROP OPERATOR ')) {
        const dropped = DROPPED_AS.exec(decode(raw).replace(/\r?\n$/, ''));
        if (dropped) into.objects.push({ type: dropped[1]!, schema: '-', name: dropped[2]! });
        return;
      }
      // Its statements come after the header's closing `--`; the next comment ends them (`\unrestrict` is psql's).
      if (grants && ascii.startsWith('--') && grants.length) grants = undefined;
      // Statements it reads whole (onStatement) are not taken line by line: a name may hold a newline.
      else if (grants && !ascii.startsWith('--') && !ascii.startsWith('\\') && ascii.trim() && !ACL_PREFIXES.some((p) => ascii.startsWith(p))) grants.push(decode(raw).replace(/\r?\n$/, ''));
      if (!ascii.startsWith('-- Name: ')) return;
      grants = undefined;
      const m = TOC_COMMENT.exec(decode(raw).replace(/\r?\n$/, ''));
      if (!m) return;
      const [, name, type, schema] = m as unknown as [string, string, string, string];
      if (type === 'ACL' && name.startsWith('SCHEMA ')) grants = into.schemaGrants[name.slice('SCHEMA '.length)] ??= [];
      if (RELATION_TYPES.has(type)) into.relations.push({ schema, name, type });
      else if (OBJECT_TYPES.has(type)) into.objects.push({ schema, name, type });
      else if (TABLE_OBJECT_TYPES.has(type)) into.tableObjects.push({ schema, name, type });
      else if (/^(BLOB|BLOBS|LARGE OBJECT)/.test(type)) into.largeObjects = true;
    },
  });
  // Only what it was told matters: the script itself goes nowhere.
  reader.resume();
  return reader;
}

/**
 * What a snapshot creates, and drops first: from its schema script as the restore runs it, with
 * pg_restore --clean's DROP statements (archives), or the script itself (plain, dumped with them).
 */
export async function readSnapshotContents(path: string, format: SnapshotFormat, pgRestore: string | undefined): Promise<SnapshotContents> {
  const contents: SnapshotContents = { relations: [], tables: [], tableObjects: [], objects: [], largeObjects: false, schemas: [], schemaGrants: {}, schemaOwners: [] };
  const sink = tocReader(contents);
  if (format === 'plain') {
    try {
      await pipeline(createReadStream(path), sink);
    } catch (err) {
      if (err instanceof RollbackKitError) throw corruptSnapshot(path, err.message);
      throw err;
    }
    return contents;
  }
  // Listening before pg_restore starts: the reader fails (a script cut short) as its input ends,
  // before runProcess returns, and an 'error' nobody listens for would end the process.
  const reading = new Promise<Error | undefined>((resolve) => {
    sink.on('finish', () => resolve(undefined));
    sink.on('error', (err) => resolve(err));
  });
  const listed = await runProcess(pgRestore!, ['--schema-only', '--clean', '--if-exists', '--file', '-', path], { stdout: sink });
  const read = await reading;
  if (listed.code !== 0) throw corruptSnapshot(path, toolErrorLine(listed.stderr) || 'pg_restore could not read its table of contents');
  if (read) throw corruptSnapshot(path, read.message);
  return contents;
}

/** A relation of the snapshot that exists now (existingRelations). */
export interface CurrentRelation {
  oid: number;
  schema: string;
  name: string;
  relkind: string;
}

export interface KeptForeignKey {
  table: string;
  name: string;
  definition: string;
}

/** A partition the snapshot does not have, of a partitioned table it does. */
export interface KeptPartition {
  /** Both quoted and schema-qualified. */
  parent: string;
  partition: string;
  /** `FOR VALUES …` or `DEFAULT`, as pg_get_expr writes it. */
  bound: string;
  /** Foreign keys it has from its parent: after the detach they would stop the parent's referenced tables from being dropped. */
  inheritedForeignKeys: string[];
}

export interface RestorePlan {
  /** Snapshot relations that exist now and are dropped before the snapshot's objects are created. */
  dropped: CurrentRelation[];
  /** Detached before the drop, attached again after the restore. */
  keptPartitions: KeptPartition[];
  /**
   * Foreign keys of dropped tables into a partitioned table with kept partitions (`ALTER TABLE t
   * DROP CONSTRAINT k`): dropped first, or the detach fails on rows that point into the partition.
   * Their tables are dropped anyway, and the snapshot creates them again.
   */
  droppedForeignKeys: string[];
  /** Foreign keys of kept tables that point at a dropped relation: re-created after the restore. */
  keptForeignKeys: KeptForeignKey[];
  /** Views and materialized views the snapshot does not have, over a dropped relation: re-created after. */
  keptViews: { schema: string; name: string; relkind: string }[];
  /** Columns, indexes, constraints, triggers, policies and rules of dropped relations that the snapshot does not create again. */
  discarded: DiscardedFromTable[];
}

const DROP_KIND: Record<string, string> = { v: 'VIEW', m: 'MATERIALIZED VIEW' };

interface Dependent {
  cls: string;
  objid: number;
  what: string;
  owner: number | null;
  owner_kind: string | null;
  owner_name: string | null;
  contype: string | null;
  conname: string | null;
  condef: string | null;
}

/**
 * Objects that need a relation in `oids` (through the relation, its indexes or its row type) and
 * would stop a DROP without CASCADE, each with the relation it belongs to.
 */
async function dependentsOf(session: Session, oids: number[]): Promise<Dependent[]> {
  const { rows } = await session.query<Dependent>(
    `WITH targets AS (
       SELECT 'pg_class'::regclass AS cls, c.oid FROM pg_class c WHERE c.oid = ANY($1::oid[])
       UNION ALL SELECT 'pg_class'::regclass, i.indexrelid FROM pg_index i WHERE i.indrelid = ANY($1::oid[])
       UNION ALL SELECT 'pg_type'::regclass, c.reltype FROM pg_class c WHERE c.oid = ANY($1::oid[]) AND c.reltype <> 0
     ), deps AS (
       SELECT DISTINCT d.classid, d.objid, d.objsubid FROM pg_depend d JOIN targets t ON t.cls = d.refclassid AND t.oid = d.refobjid
        WHERE d.deptype = 'n'
     ), owned AS (
       SELECT d.classid::regclass::text AS cls, d.objid::int AS objid, pg_describe_object(d.classid, d.objid, d.objsubid) AS what,
              CASE d.classid
                WHEN 'pg_class'::regclass THEN coalesce((SELECT i.indrelid FROM pg_index i WHERE i.indexrelid = d.objid), d.objid)
                WHEN 'pg_constraint'::regclass THEN (SELECT nullif(k.conrelid, 0) FROM pg_constraint k WHERE k.oid = d.objid)
                WHEN 'pg_trigger'::regclass THEN (SELECT g.tgrelid FROM pg_trigger g WHERE g.oid = d.objid)
                WHEN 'pg_rewrite'::regclass THEN (SELECT r.ev_class FROM pg_rewrite r WHERE r.oid = d.objid)
                WHEN 'pg_attrdef'::regclass THEN (SELECT a.adrelid FROM pg_attrdef a WHERE a.oid = d.objid)
                WHEN 'pg_policy'::regclass THEN (SELECT p.polrelid FROM pg_policy p WHERE p.oid = d.objid)
              END AS owner,
              k.contype::text AS contype, k.conname::text AS conname, k.conparentid,
              CASE WHEN k.contype = 'f' THEN pg_get_constraintdef(k.oid) END AS condef
         FROM deps d LEFT JOIN pg_constraint k ON d.classid = 'pg_constraint'::regclass AND k.oid = d.objid
     )
     SELECT o.cls, o.objid, o.what, o.owner::int AS owner, c.relkind::text AS owner_kind,
            CASE WHEN c.oid IS NOT NULL THEN quote_ident(n.nspname) || '.' || quote_ident(c.relname) END AS owner_name,
            o.contype, o.conname, o.condef
       FROM owned o LEFT JOIN pg_class c ON c.oid = o.owner LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
      -- A partition's copy of a foreign key goes and comes back with its parent's.
      WHERE o.conparentid IS NULL OR o.conparentid = 0
      ORDER BY o.what`,
    [oids],
  );
  return rows;
}

/** An object the snapshot does not have that uses one the snapshot's script drops and creates again. */
interface KeptUser {
  /** The object the restore keeps (a view rather than its rule). */
  user: string;
  /** What it uses, and the snapshot's object that takes it along when dropped (an extension for its type). */
  uses: string;
  root: string;
}

/**
 * The snapshot's objects of OBJECT_TYPES and DROPPED_AS that exist now, as `snapshot` (classid,
 * objid, type, namespace, name, owners), from $1, $2, $3: the types, schemas and names of its table
 * of contents. Each kind is named as pg_dump names it (see OBJECT_TYPES and DROPPED_AS). `owners`:
 * the roles whose privileges let one drop it (any one of them: a cast's source or target type's
 * owner, one that is not a superuser first, as the refusal names the first and a GRANT of it helps); none for the kinds only a superuser may create (an access method, an event trigger, a
 * foreign-data wrapper, a text search parser or template, an operator class or family).
 */
const SNAPSHOT_OBJECTS = `toc AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS t(type, schema, name)
     ), named(classid, objid, type, namespace, name, owners) AS (
       -- Each kind under the name pg_dump gives it (see OBJECT_TYPES and DROPPED_AS).
       -- Not a relation's row type, which pg_dump names as the relation (a composite type is a relation of its own).
       SELECT 'pg_type'::regclass, t.oid, CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, t.typnamespace, t.typname::text, ARRAY[t.typowner] FROM pg_type t
        WHERE t.typrelid = 0 OR (SELECT r.relkind FROM pg_class r WHERE r.oid = t.typrelid) = 'c'
       UNION ALL
       SELECT 'pg_proc'::regclass, p.oid, CASE p.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END, p.pronamespace,
              p.proname || '(' || CASE WHEN p.prokind = 'a' AND p.pronargs = 0 THEN '*'
                ELSE array_to_string(ARRAY(SELECT format_type(a.t, NULL) FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a(t, i) ORDER BY a.i), ', ') END || ')',
              ARRAY[p.proowner]
         FROM pg_proc p
       UNION ALL SELECT 'pg_extension'::regclass, e.oid, 'EXTENSION', NULL, e.extname::text, ARRAY[e.extowner] FROM pg_extension e
       UNION ALL SELECT 'pg_collation'::regclass, c.oid, 'COLLATION', c.collnamespace, c.collname::text, ARRAY[c.collowner] FROM pg_collation c
       UNION ALL SELECT 'pg_conversion'::regclass, c.oid, 'CONVERSION', c.connamespace, c.conname::text, ARRAY[c.conowner] FROM pg_conversion c
       UNION ALL SELECT 'pg_cast'::regclass, c.oid, 'CAST', NULL, 'CAST (' || format_type(c.castsource, NULL) || ' AS ' || format_type(c.casttarget, NULL) || ')',
              ARRAY(SELECT t.typowner FROM pg_type t JOIN pg_roles r ON r.oid = t.typowner WHERE t.oid IN (c.castsource, c.casttarget) ORDER BY r.rolsuper, t.oid) FROM pg_cast c
       UNION ALL
       SELECT 'pg_transform'::regclass, t.oid, 'TRANSFORM', NULL, 'TRANSFORM FOR ' || format_type(t.trftype, NULL) || ' LANGUAGE ' || quote_ident(l.lanname),
              ARRAY(SELECT y.typowner FROM pg_type y WHERE y.oid = t.trftype)
         FROM pg_transform t JOIN pg_language l ON l.oid = t.trflang
       UNION ALL SELECT 'pg_language'::regclass, l.oid, 'PROCEDURAL LANGUAGE', NULL, l.lanname::text, ARRAY[l.lanowner] FROM pg_language l
       UNION ALL SELECT 'pg_am'::regclass, a.oid, 'ACCESS METHOD', NULL, a.amname::text, '{}'::oid[] FROM pg_am a
       UNION ALL SELECT 'pg_event_trigger'::regclass, e.oid, 'EVENT TRIGGER', NULL, e.evtname::text, '{}'::oid[] FROM pg_event_trigger e
       UNION ALL SELECT 'pg_ts_config'::regclass, c.oid, 'TEXT SEARCH CONFIGURATION', c.cfgnamespace, c.cfgname::text, ARRAY[c.cfgowner] FROM pg_ts_config c
       UNION ALL SELECT 'pg_ts_dict'::regclass, d.oid, 'TEXT SEARCH DICTIONARY', d.dictnamespace, d.dictname::text, ARRAY[d.dictowner] FROM pg_ts_dict d
       UNION ALL SELECT 'pg_ts_parser'::regclass, p.oid, 'TEXT SEARCH PARSER', p.prsnamespace, p.prsname::text, '{}'::oid[] FROM pg_ts_parser p
       UNION ALL SELECT 'pg_ts_template'::regclass, t.oid, 'TEXT SEARCH TEMPLATE', t.tmplnamespace, t.tmplname::text, '{}'::oid[] FROM pg_ts_template t
       UNION ALL SELECT 'pg_foreign_data_wrapper'::regclass, w.oid, 'FOREIGN DATA WRAPPER', NULL, w.fdwname::text, '{}'::oid[] FROM pg_foreign_data_wrapper w
       UNION ALL SELECT 'pg_foreign_server'::regclass, s.oid, 'SERVER', NULL, s.srvname::text, ARRAY[s.srvowner] FROM pg_foreign_server s
       -- The view, not pg_user_mapping: only a superuser may read that.
       UNION ALL SELECT 'pg_user_mapping'::regclass, m.umid, 'USER MAPPING', NULL, 'USER MAPPING ' || m.usename || ' SERVER ' || m.srvname,
              ARRAY(SELECT s.srvowner FROM pg_foreign_server s WHERE s.oid = m.srvid) FROM pg_user_mappings m
       UNION ALL
       SELECT 'pg_operator'::regclass, o.oid, 'OPERATOR', NULL,
              quote_ident(n.nspname) || '.' || o.oprname || ' (' || coalesce(format_type(nullif(o.oprleft, 0), NULL), 'NONE') || ', ' || coalesce(format_type(nullif(o.oprright, 0), NULL), 'NONE') || ')',
              ARRAY[o.oprowner]
         FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace
       UNION ALL
       SELECT 'pg_opclass'::regclass, c.oid, 'OPERATOR CLASS', NULL, quote_ident(n.nspname) || '.' || quote_ident(c.opcname) || ' USING ' || quote_ident(a.amname), '{}'::oid[]
         FROM pg_opclass c JOIN pg_namespace n ON n.oid = c.opcnamespace JOIN pg_am a ON a.oid = c.opcmethod
       UNION ALL
       SELECT 'pg_opfamily'::regclass, f.oid, 'OPERATOR FAMILY', NULL, quote_ident(n.nspname) || '.' || quote_ident(f.opfname) || ' USING ' || quote_ident(a.amname), '{}'::oid[]
         FROM pg_opfamily f JOIN pg_namespace n ON n.oid = f.opfnamespace JOIN pg_am a ON a.oid = f.opfmethod
     ), snapshot AS (
       SELECT o.* FROM named o LEFT JOIN pg_namespace n ON n.oid = o.namespace
         JOIN toc ON toc.type = o.type AND toc.schema = coalesce(translate(n.nspname, E'\\n\\r', '  '), '-') AND toc.name = translate(o.name, E'\\n\\r', '  ')
     )`;

/**
 * Objects the restore keeps that use a type, function, operator, extension … the snapshot's own
 * script drops (`DROP … IF EXISTS`, no CASCADE) and creates again: that DROP would fail the restore,
 * or, for an object marked DEPENDS ON EXTENSION, take it along without a word. The snapshot's
 * objects are found by the name its table of contents gives them, as pg_dump writes it (format_type
 * with the empty search_path existingRelations sets, a line break in a name written as a space), or by
 * their DROP statement (DROPPED_AS), with what goes along with them when they are dropped (an
 * extension's members, a type's array type, an operator class's members). Every object pg_depend
 * records as using one of those counts, of whatever kind (a column, view, trigger, default, index,
 * policy, operator, cast, event trigger, user mapping …), unless the snapshot has it too or it is
 * part of a relation the restore drops itself. Calls PostgreSQL does not record (a PL/pgSQL body, an
 * SQL body not written BEGIN ATOMIC) are resolved by name when they run, and find the restored objects.
 */
async function keptUsersOf(session: Session, objects: SnapshotObject[], dropped: number[]): Promise<KeptUser[]> {
  if (!objects.length) return [];
  const { rows } = await session.query<KeptUser>(
    `WITH RECURSIVE ${SNAPSHOT_OBJECTS}, goes(classid, objid, rootclass, rootobj) AS (
       -- Dropped along without CASCADE: internal, automatic and extension-member dependents. Not
       -- one marked DEPENDS ON EXTENSION ('x'): the snapshot has it (and so names it) or it is kept,
       -- and would go without a word, so it counts as a user below.
       SELECT classid, objid, classid, objid FROM snapshot
       UNION
       SELECT d.classid, d.objid, g.rootclass, g.rootobj FROM pg_depend d JOIN goes g ON d.refclassid = g.classid AND d.refobjid = g.objid
        WHERE d.deptype IN ('i', 'a', 'e')
     ), users AS (
       SELECT DISTINCT d.classid, d.objid, d.objsubid, d.refclassid, d.refobjid, g.rootclass, g.rootobj,
              CASE d.classid
                WHEN 'pg_class'::regclass THEN coalesce((SELECT i.indrelid FROM pg_index i WHERE i.indexrelid = d.objid), d.objid)
                WHEN 'pg_type'::regclass THEN (SELECT nullif(t.typrelid, 0) FROM pg_type t WHERE t.oid = d.objid)
                WHEN 'pg_constraint'::regclass THEN (SELECT nullif(k.conrelid, 0) FROM pg_constraint k WHERE k.oid = d.objid)
                WHEN 'pg_trigger'::regclass THEN (SELECT g.tgrelid FROM pg_trigger g WHERE g.oid = d.objid)
                WHEN 'pg_rewrite'::regclass THEN (SELECT r.ev_class FROM pg_rewrite r WHERE r.oid = d.objid)
                WHEN 'pg_attrdef'::regclass THEN (SELECT a.adrelid FROM pg_attrdef a WHERE a.oid = d.objid)
                WHEN 'pg_policy'::regclass THEN (SELECT p.polrelid FROM pg_policy p WHERE p.oid = d.objid)
                WHEN 'pg_statistic_ext'::regclass THEN (SELECT x.stxrelid FROM pg_statistic_ext x WHERE x.oid = d.objid)
              END AS owner
         FROM pg_depend d JOIN goes g ON d.refclassid = g.classid AND d.refobjid = g.objid
        WHERE d.deptype IN ('n', 'x') AND NOT EXISTS (SELECT 1 FROM goes h WHERE h.classid = d.classid AND h.objid = d.objid)
     ), named_users AS (
       SELECT CASE WHEN u.classid = 'pg_rewrite'::regclass AND c.relkind IN ('v', 'm') THEN pg_describe_object('pg_class'::regclass, u.owner, 0)
                   -- pg_describe_object leaves out a domain's name.
                   WHEN k.contypid <> 0 THEN 'constraint ' || k.conname || ' on domain ' || format_type(k.contypid, NULL)
                   -- An operator class's operators and functions: the family is what is dropped.
                   WHEN u.classid = 'pg_amop'::regclass THEN pg_describe_object('pg_opfamily'::regclass, (SELECT o.amopfamily FROM pg_amop o WHERE o.oid = u.objid), 0)
                   WHEN u.classid = 'pg_amproc'::regclass THEN pg_describe_object('pg_opfamily'::regclass, (SELECT p.amprocfamily FROM pg_amproc p WHERE p.oid = u.objid), 0)
                   ELSE pg_describe_object(u.classid, u.objid, u.objsubid) END AS user,
              pg_describe_object(u.refclassid, u.refobjid, 0) AS uses, pg_describe_object(u.rootclass, u.rootobj, 0) AS root,
              u.rootclass = u.refclassid AND u.rootobj = u.refobjid AS own
         FROM users u
         LEFT JOIN pg_class c ON c.oid = u.owner
         LEFT JOIN pg_constraint k ON u.classid = 'pg_constraint'::regclass AND k.oid = u.objid
        -- Part of a relation: kept unless the restore drops it, or it goes along with the snapshot's objects.
        WHERE u.owner IS NULL OR (NOT u.owner = ANY($4::oid[]) AND NOT EXISTS (SELECT 1 FROM goes h WHERE h.classid = 'pg_class'::regclass AND h.objid = u.owner))
     )
     -- What the snapshot names itself (an operator class) rather than as going with another (its family).
     SELECT DISTINCT ON ("user", uses) "user", uses, root FROM named_users ORDER BY "user", uses, own DESC, root`,
    [objects.map((o) => o.type), objects.map((o) => o.schema), objects.map((o) => o.name), dropped],
  );
  return rows;
}

/**
 * The clashes left once types the snapshot's own script drops (pg_restore --clean, no CASCADE) are
 * taken out: those that go along with one of its objects, a multirange with its range, an
 * extension's types with it, before anything is created. A type the snapshot names itself never
 * has the name of one of its relations; one renamed since is not dropped (the DROP names the old
 * name). As keptUsersOf finds them. Asked only when a type has a name the snapshot needs: a restore
 * that meets none makes no round trip more.
 */
async function goneWithSnapshotObjects(session: Session, objects: SnapshotObject[], clashes: NameClash[]): Promise<NameClash[]> {
  const types = clashes.flatMap((c) => (c.typeOid === null ? [] : [c.typeOid]));
  if (!types.length || !objects.length) return clashes;
  const { rows } = await session.query<{ oid: number }>(
    `WITH RECURSIVE ${SNAPSHOT_OBJECTS}, goes(classid, objid) AS (
       SELECT classid, objid FROM snapshot
       UNION
       SELECT d.classid, d.objid FROM pg_depend d JOIN goes g ON d.refclassid = g.classid AND d.refobjid = g.objid WHERE d.deptype IN ('i', 'a', 'e')
     )
     SELECT objid::int AS oid FROM goes WHERE classid = 'pg_type'::regclass AND objid = ANY($4::oid[])`,
    [objects.map((o) => o.type), objects.map((o) => o.schema), objects.map((o) => o.name), types],
  );
  const gone = new Set(rows.map((r) => r.oid));
  return clashes.filter((c) => c.typeOid === null || !gone.has(c.typeOid));
}

/** Partitions of the dropped tables that are not dropped themselves: they would go with their parent. */
async function keptPartitionsOf(session: Session, dropped: number[]): Promise<(KeptPartition & { oid: number; parentOid: number })[]> {
  const { rows } = await session.query<KeptPartition & { oid: number; parentOid: number }>(
    `SELECT c.oid::int AS oid, i.inhparent::int AS "parentOid", i.inhparent::regclass::text AS parent, c.oid::regclass::text AS partition, pg_get_expr(c.relpartbound, c.oid) AS bound,
            coalesce((SELECT array_agg(quote_ident(k.conname) ORDER BY k.conname) FROM pg_constraint k
                       WHERE k.conrelid = c.oid AND k.contype = 'f' AND k.conparentid <> 0), '{}') AS "inheritedForeignKeys"
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE c.relispartition AND i.inhparent = ANY($1::oid[]) AND NOT c.oid = ANY($1::oid[])
      ORDER BY 3`,
    [dropped],
  );
  return rows;
}

/**
 * Kept views in an order that has each after the kept views it selects from: dropStatements drops
 * them in reverse. Found from the snapshot's tables outwards, a view over both a table and another
 * kept view may be found before that view.
 */
async function inCreationOrder(session: Session, views: number[]): Promise<RestorePlan['keptViews']> {
  if (!views.length) return [];
  const { rows } = await session.query<RestorePlan['keptViews'][number]>(
    `WITH RECURSIVE kept AS (
       SELECT v.oid, v.pos FROM unnest($1::oid[]) WITH ORDINALITY AS v(oid, pos)
     ), selects AS (
       SELECT DISTINCT r.ev_class AS view, d.refobjid AS from_view
         FROM pg_rewrite r JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid AND d.refclassid = 'pg_class'::regclass
        WHERE r.ev_class IN (SELECT oid FROM kept) AND d.refobjid IN (SELECT oid FROM kept) AND d.refobjid <> r.ev_class
     ), depth(view, n) AS (
       SELECT oid, 0 FROM kept
       UNION
       SELECT s.view, d.n + 1 FROM selects s JOIN depth d ON d.view = s.from_view
     )
     SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind
       FROM (SELECT view, max(n) AS n FROM depth GROUP BY view) d JOIN kept k ON k.oid = d.view
       JOIN pg_class c ON c.oid = d.view JOIN pg_namespace n ON n.oid = c.relnamespace
      ORDER BY d.n, k.pos`,
    [views],
  );
  return rows;
}

/**
 * The snapshot's relations that exist now, in the order its table of contents creates them: what
 * planRestore drops, or what refuseExistingWithoutClean names. Sets the empty search_path the rest of
 * the planning reads under first: definitions and descriptions (pg_describe_object, format_type,
 * regclass) then name every object with its schema, as the restore script and its errors need. The
 * caller reads it once, for whichever of the two the restore takes.
 */
export async function existingRelations(session: Session, contents: Pick<SnapshotContents, 'relations'>): Promise<CurrentRelation[]> {
  await session.query("SELECT set_config('search_path', '', false)");
  const { rows } = await session.query<CurrentRelation>(
    `SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind
       FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(schema, name, pos)
       JOIN pg_namespace n ON n.nspname = t.schema
       JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.name AND c.relkind IN ('r','p','v','m','S','f')
      ORDER BY t.pos`,
    [contents.relations.map((r) => r.schema), contents.relations.map((r) => r.name)],
  );
  return rows;
}

/**
 * Kinds the snapshot's script creates only where they are missing (`CREATE EXTENSION IF NOT EXISTS`,
 * `CREATE OR REPLACE PROCEDURAL LANGUAGE`): one that exists does not fail a restore without clean.
 */
const CREATED_IF_MISSING = new Set(['EXTENSION', 'PROCEDURAL LANGUAGE']);

/**
 * A restore without clean (clean: false) runs the snapshot's script without dropping anything
 * first, so its CREATE of every relation, function, type … of the snapshot that exists fails the
 * transaction (`relation "customers" already exists`), and so does its CREATE of an index, a primary
 * key, unique or exclusion constraint, or a relation whose name an object it does not have takes in
 * its schema (restore-name-clashes.ts). Asked while the restore is planned, a dry run's too: those
 * objects are named and the restore refused before anything is locked or changed.
 * A plain snapshot is not asked: its script drops its objects itself (it is dumped with --clean).
 */
export async function refuseExistingWithoutClean(session: Session, contents: SnapshotContents, relations: CurrentRelation[], where: string): Promise<void> {
  const objects = contents.objects.filter((o) => !CREATED_IF_MISSING.has(o.type));
  const { rows: others } = objects.length
    ? await session.query<{ what: string }>(
        `WITH RECURSIVE ${SNAPSHOT_OBJECTS}
         SELECT DISTINCT pg_describe_object(s.classid, s.objid, 0) AS what FROM snapshot s ORDER BY what`,
        [objects.map((o) => o.type), objects.map((o) => o.schema), objects.map((o) => o.name)],
      )
    : { rows: [] };
  // Named as the server names them (schema-qualified under the empty search_path): `table public.customers`.
  const { rows: tables } = relations.length
    ? await session.query<{ what: string }>("SELECT pg_describe_object('pg_class'::regclass, r.oid, 0) AS what FROM unnest($1::oid[]) WITH ORDINALITY AS r(oid, pos) ORDER BY r.pos", [relations.map((r) => r.oid)])
    : { rows: [] };
  const existing = [...tables, ...others].map((o) => o.what);
  // Not the indexes of the relations named above: they clash only because their table does.
  const clashes = await nameClashes(session, contents, relations.map((r) => r.oid));
  if (!existing.length && !clashes.length) return;
  const found: string[] = [];
  const ways: string[] = [];
  if (existing.length) {
    found.push(`Restore into ${where} cannot create what the snapshot holds that is already there: ${someNames(existing, NAMED)}. clean is false, so the restore does not drop the snapshot's objects first, and its CREATE of each of these would fail.`);
    ways.push(WITHOUT_CLEAN_WAY);
  }
  if (clashes.length) {
    found.push(`${existing.length ? 'Nor can it create' : `Restore into ${where} cannot create`} ${takenNames(clashes)}, so the CREATE would fail.`);
    ways.push(`${existing.length ? 'For the names taken, rename' : 'Rename'} ${renameWay(clashes)}`);
  }
  throw new RollbackKitError(found.join(' '), `${ways.join(' ')} Nothing was changed: the check ran before anything was locked.`, { changed: 'no' });
}

/** What to do when a restore without clean meets the snapshot's objects already there (refuseExistingWithoutClean, and restore.ts when its script fails so). */
export const WITHOUT_CLEAN_WAY =
  "Set clean: true to replace them (the restore drops the snapshot's objects and creates them again from it, in its one transaction; what the snapshot does not have is kept either way), or restore into an empty database.";

/** Plans the drop of what the snapshot holds; refuses, naming them, objects it could not put back. */
export async function planRestore(session: Session, contents: SnapshotContents, dropped: CurrentRelation[], where: string): Promise<RestorePlan> {
  // Names the snapshot needs that objects it does not have take: its script's DROP INDEX IF EXISTS
  // names no table, so it would drop another table's index of the name; any other would fail its CREATE.
  const clashes = await goneWithSnapshotObjects(session, contents.objects, await nameClashes(session, contents, dropped.map((r) => r.oid)));
  const dropSet = new Set(dropped.map((r) => r.oid));
  // Read with the empty search_path existingRelations set, so every name is schema-qualified.
  const keptPartitions = await keptPartitionsOf(session, [...dropSet]);
  const { rows: intoKept } = keptPartitions.length
    ? await session.query<{ statement: string }>(
        `SELECT format('ALTER TABLE %s DROP CONSTRAINT %I;', k.conrelid::regclass, k.conname) AS statement
           FROM pg_constraint k
          WHERE k.contype = 'f' AND k.conparentid = 0 AND k.conrelid = ANY($1::oid[]) AND k.confrelid = ANY($2::oid[])
          ORDER BY 1`,
        [[...dropSet], [...new Set(keptPartitions.map((p) => p.parentOid))]],
      )
    : { rows: [] };
  const keptForeignKeys: KeptForeignKey[] = [];
  const keptViewOids: number[] = [];
  const unsupported: string[] = [];
  const seenKeys = new Set<number>();
  let frontier = dropped.map((r) => r.oid);
  while (frontier.length) {
    const next: number[] = [];
    for (const d of await dependentsOf(session, frontier)) {
      if (d.owner !== null && dropSet.has(d.owner)) continue;
      if (d.cls === 'pg_constraint' && d.contype === 'f' && d.owner_name) {
        if (!seenKeys.has(d.objid)) keptForeignKeys.push({ table: d.owner_name, name: d.conname!, definition: d.condef! });
        seenKeys.add(d.objid);
      } else if (d.cls === 'pg_rewrite' && d.owner !== null && (d.owner_kind === 'v' || d.owner_kind === 'm')) {
        keptViewOids.push(d.owner);
        dropSet.add(d.owner);
        next.push(d.owner);
      } else if (!unsupported.includes(d.what)) unsupported.push(d.what);
    }
    frontier = next;
  }
  const keptViews = await inCreationOrder(session, keptViewOids);
  // After the walk above: a kept view it drops and re-creates may use what the snapshot re-creates.
  const users = await keptUsersOf(session, contents.objects, [...dropSet]);
  if (unsupported.length || users.length) {
    const found: string[] = [];
    if (unsupported.length) found.push(`The restore would have to drop objects the snapshot does not have, which restore-db cannot put back: ${unsupported.join('; ')}.`);
    if (users.length) {
      const uses = users.map((u) => `${u.user} uses ${u.uses}${u.root === u.uses ? '' : `, which goes with ${u.root}`}`);
      found.push(`Objects the snapshot does not have use what it re-creates, so the restore could not drop that and create it again under them: ${uses.join('; ')}.`);
    }
    const fixes = remedies([...unsupported, ...users.map((u) => u.user)]);
    const way =
      'These were created after the snapshot (or are outside it) and use its tables, types, functions, operators or other objects. ' +
      `Drop them (or undo their migration with run-down-migrations), or change them so they no longer do${fixes.length ? ` (${fixes.join('; ')})` : ''}, ` +
      `and run again; do not drop with CASCADE, which takes their columns and rows with it. ${where} keeps them until then.`;
    if (!clashes.length) throw new RollbackKitError(`${found.join(' ')} Nothing was changed.`, way);
    throw new RollbackKitError(`${found.join(' ')} Nor can it create ${takenClean(clashes)} Nothing was changed.`, `${way} For the names taken, rename ${renameWay(clashes)}`, { changed: 'no' });
  }
  if (clashes.length) {
    throw new RollbackKitError(
      `Restore into ${where} cannot create ${takenClean(clashes)}`,
      `Rename ${renameWay(clashes)} Nothing was changed: the check ran before anything was locked.`,
      { changed: 'no' },
    );
  }
  // The snapshot's own relations only: a kept view is dropped and created again as it is.
  const discarded = await discardedBy(session, contents.tables, contents.tableObjects, dropped.map((r) => r.oid));
  return { dropped, keptPartitions: keptPartitions.map(({ oid: _oid, parentOid: _parent, ...p }) => p), droppedForeignKeys: intoKept.map((r) => r.statement), keptForeignKeys, keptViews, discarded };
}

/** Names taken (restore-name-clashes.ts), and what they would do to a restore with clean. */
function takenClean(clashes: Parameters<typeof takenNames>[0]): string {
  // Only a relation's name can be an index's: a type's is one the script fails on.
  const index = clashes.some((c) => c.among === 'relations') ? ', or, where an index has it, drop that index first without a word (its DROP INDEX IF EXISTS names no table)' : '';
  return `${takenNames(clashes)}: the snapshot's script would fail on the name${index}.`;
}

/**
 * How to take each kind of object (as pg_describe_object names it, with the empty search_path
 * existingRelations sets: `default value for column id of table public.clients`) off what the snapshot
 * re-creates, naming the first of each kind; kinds not listed get the general advice alone.
 */
const REMEDIES: { kind: RegExp; fix: (m: RegExpExecArray) => string }[] = [
  {
    kind: /^default value for column (.+) of table (.+)$/,
    fix: (m) => `for a column default: ALTER TABLE ${m[2]} ALTER COLUMN ${quoteIdent(m[1]!)} DROP DEFAULT, and after the restore give it one of its own (a sequence it owns: CREATE SEQUENCE …; ALTER TABLE ${m[2]} ALTER COLUMN ${quoteIdent(m[1]!)} SET DEFAULT nextval(…))`,
  },
  { kind: /^column (.+) of table (.+)$/, fix: (m) => `for a column of its type: ALTER TABLE ${m[2]} ALTER COLUMN ${quoteIdent(m[1]!)} TYPE text, or drop the column` },
  { kind: /^constraint (.+) on table (.+)$/, fix: (m) => `for a constraint: ALTER TABLE ${m[2]} DROP CONSTRAINT ${m[1]}` },
  { kind: /^constraint (.+) on domain (.+)$/, fix: (m) => `for a domain's check: ALTER DOMAIN ${m[2]} DROP CONSTRAINT ${m[1]}` },
  { kind: /^index (.+)$/, fix: (m) => `for an index: DROP INDEX ${m[1]}, and create it again after the restore` },
  { kind: /^trigger (.+) on table (.+)$/, fix: (m) => `for a trigger: DROP TRIGGER ${m[1]} ON ${m[2]}` },
  { kind: /^policy (.+) on table (.+)$/, fix: (m) => `for a policy: DROP POLICY ${m[1]} ON ${m[2]}` },
  { kind: /^(view|materialized view) (.+)$/, fix: (m) => `for a ${m[1]}: DROP ${m[1]!.toUpperCase()} ${m[2]}, and create it again after the restore` },
  { kind: /^rule (.+) on (view|materialized view) (.+)$/, fix: (m) => `for a ${m[2]}: DROP ${m[2]!.toUpperCase()} ${m[3]}, and create it again after the restore` },
  { kind: /^(function|procedure) (.+)$/, fix: (m) => `for a ${m[1]}: DROP ${m[1]!.toUpperCase()} ${m[2]}, or CREATE OR REPLACE it without what it uses` },
];

/** How many objects an error names before it says how many more. */
const NAMED = 8;

/** What requireRestorePrivileges reads of each object the restore drops and creates again. */
interface Replaced {
  me: string;
  /** The object as the error names it: `table public.orders`, `function public.tax(numeric)`. */
  what: string;
  /** Its schema (quoted where it needs it), or null for an object of the database (an extension, a cast …). */
  schema: string | null;
  /** Its owner (quoted where it needs it), or null for the kinds only a superuser may create. */
  owner: string | null;
  owner_super: boolean;
  owned: boolean;
  creates: boolean;
}

/**
 * What the restore needs of the role it connects as, asked while it is planned, before anything is
 * locked, kept or changed: it drops every relation of the plan (the snapshot's that exist, and the
 * views it keeps, dropped and created again) and, with the snapshot's own script (pg_restore
 * --clean), every other object the snapshot holds that exists (its functions, procedures, types,
 * domains, operators … `objects`), and creates each again. PostgreSQL lets only a role with its
 * owner's privileges (the owner, a member of the owning role, a superuser) drop an object, only one
 * with CREATE on its schema create it there, and only a superuser create some kinds (an event
 * trigger, an operator class …). SELECT and UPDATE alone would get a role through the table locks
 * and the pre-restore snapshot, and fail at the first DROP. The snapshot's `schemas` are kept, but
 * created where missing (CREATE SCHEMA IF NOT EXISTS), for which PostgreSQL asks CREATE on the
 * database first, whether the schema is there or not.
 */
export async function requireRestorePrivileges(session: Session, plan: Pick<RestorePlan, 'dropped' | 'keptViews'>, objects: SnapshotObject[] = [], schemas: string[] = []): Promise<void> {
  const relations = [...plan.dropped, ...plan.keptViews];
  if (!relations.length && !objects.length && !schemas.length) return;
  const fields = (owned: string) => `quote_ident(current_user) AS me, ${owned} AS owned, coalesce(o.rolsuper, false) AS owner_super`;
  // Names quoted by the server, as it quotes them (quote_ident): only where they need it. Described
  // with the empty search_path existingRelations set, so with their schema.
  const { rows: ofRelations } = relations.length
    ? await session.query<Replaced>(
        `SELECT ${fields("pg_has_role(current_user, o.oid, 'USAGE')")}, pg_describe_object('pg_class'::regclass, c.oid, 0) AS what,
                quote_ident(n.nspname) AS schema, quote_ident(o.rolname) AS owner, has_schema_privilege(current_user, n.oid, 'CREATE') AS creates
           FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(schema, name, pos)
           JOIN pg_namespace n ON n.nspname = t.schema
           JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.name
           JOIN pg_roles o ON o.oid = c.relowner
          ORDER BY t.pos`,
        [relations.map((r) => r.schema), relations.map((r) => r.name)],
      )
    : { rows: [] };
  // A kind with no owner to ask for (owners empty) is one only a superuser may create.
  const owned = `CASE WHEN cardinality(s.owners) = 0 THEN (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = current_user)
                      ELSE EXISTS (SELECT 1 FROM unnest(s.owners) w WHERE pg_has_role(current_user, w, 'USAGE')) END`;
  const { rows: ofObjects } = objects.length
    ? await session.query<Replaced>(
        `WITH RECURSIVE ${SNAPSHOT_OBJECTS}
         SELECT DISTINCT ${fields(owned)}, pg_describe_object(s.classid, s.objid, 0) AS what, quote_ident(n.nspname) AS schema, quote_ident(o.rolname) AS owner,
                n.oid IS NULL OR has_schema_privilege(current_user, n.oid, 'CREATE') AS creates
           FROM snapshot s LEFT JOIN pg_namespace n ON n.oid = s.namespace LEFT JOIN pg_roles o ON o.oid = s.owners[1]
          ORDER BY what`,
        [objects.map((o) => o.type), objects.map((o) => o.schema), objects.map((o) => o.name)],
      )
    : { rows: [] };
  // PostgreSQL asks for CREATE on the database before it looks whether the schema is there.
  const { rows: database } = schemas.length
    ? await session.query<{ me: string; db: string; creates: boolean }>("SELECT quote_ident(current_user) AS me, quote_ident(current_database()) AS db, has_database_privilege(current_database(), 'CREATE') AS creates")
    : { rows: [] };
  const noDatabase = database[0]?.creates === false ? database[0] : undefined;
  const rows = [...ofRelations, ...ofObjects];
  const notOwned = new Map<string, string[]>();
  const superOnly: string[] = [];
  for (const r of rows.filter((r) => !r.owned)) {
    if (r.owner === null) superOnly.push(r.what);
    else notOwned.set(r.owner, [...(notOwned.get(r.owner) ?? []), r.what]);
  }
  const noCreate = [...new Set(rows.filter((r) => !r.creates && r.schema !== null).map((r) => r.schema!))];
  if (!notOwned.size && !noCreate.length && !superOnly.length && !noDatabase) return;
  const role = rows[0]?.me ?? noDatabase!.me;
  const named = (items: string[]) => someNames(items, NAMED);
  const lacks = [
    ...[...notOwned].map(([owner, theirs]) => `the privileges of ${owner}, which owns ${named(theirs)}`),
    ...(superOnly.length ? [`superuser, which alone may create ${named(superOnly)}`] : []),
    ...(noCreate.length ? [`CREATE on schema ${named(noCreate)}`] : []),
    ...(noDatabase ? [`CREATE on database ${noDatabase.db}, which the restore's CREATE SCHEMA IF NOT EXISTS of ${named(schemas)} takes even where the schema is there`] : []),
  ];
  // Membership of a superuser role is no grant to suggest: restore as that role instead.
  const supers = new Set(rows.filter((r) => r.owner_super && r.owner !== null).map((r) => r.owner!));
  const grants = [
    ...[...notOwned.keys()].filter((owner) => !supers.has(owner)).map((owner) => `GRANT ${owner} TO ${role};`),
    ...noCreate.map((schema) => `GRANT CREATE ON SCHEMA ${schema} TO ${role};`),
    ...(noDatabase ? [`GRANT CREATE ON DATABASE ${noDatabase.db} TO ${role};`] : []),
  ];
  throw new RollbackKitError(
    `User ${role} cannot restore this snapshot: the restore drops what the snapshot holds and creates it again, which PostgreSQL lets only the objects' owner (or a member of the owning role, or a superuser) do, and it lacks ${lacks.join('; ')}.`,
    `Restore as the role that owns them (the one the migrations run as${superOnly.length ? ', or a superuser' : ''})${grants.length ? `, or grant it: ${grants.join(' ')}` : '.'} Nothing was changed: the check ran before anything was locked.`,
  );
}

/** The remedies for these objects, one per kind, in the order of REMEDIES. */
export function remedies(objects: string[]): string[] {
  const out: string[] = [];
  for (const r of REMEDIES) {
    for (const o of objects) {
      const m = r.kind.exec(o);
      if (!m) continue;
      out.push(r.fix(m));
      break;
    }
  }
  return out;
}

/** What the restore leaves as it is because the snapshot does not have it. */
export interface LeftAsTheyAre {
  /** `schema.name` of tables (partitioned and foreign ones too) the snapshot does not have. */
  tables: string[];
  /** Schemas created since a snapshot of every schema. */
  schemas: string[];
}

/**
 * Tables and schemas the restore does not touch because the snapshot does not have them. A snapshot
 * of every schema (no `schemas` filter) does not have a schema created since, so the tables there
 * are named too; a filtered snapshot names only what its own schemas hold, the schemas it left out
 * being none of its business. A manifest from before `everySchema` was recorded cannot tell the two
 * apart, so it is read as filtered to the schemas it lists (for a snapshot of every schema, every
 * schema there was then): a schema created since goes unnamed rather than a left-out one being
 * named. Extension members are left out, as pg_dump leaves them out.
 */
export async function leftAsTheyAre(session: Session, contents: SnapshotContents, manifest: Pick<SnapshotManifest, 'filter' | 'tables'>): Promise<LeftAsTheyAre> {
  const { filter } = manifest;
  const every = filter.everySchema === true;
  const scope = every ? (await userSchemas(session)).filter((n) => !filter.excludeSchemas.includes(n)) : filter.schemas;
  const rows = await listTables(session, scope, ['r', 'p', 'f']);
  // The manifest's names are exact; the archive's `-- Name:` lines turn a newline in a name into a space.
  const has = new Set([...contents.relations.filter((r) => r.type === 'TABLE' || r.type === 'FOREIGN TABLE'), ...manifest.tables].map(tableKey));
  return {
    tables: rows.filter((r) => !has.has(tableKey(r))).map((r) => `${r.schema}.${r.name}`),
    schemas: every ? scope.filter((n) => !filter.schemas.includes(n)) : [],
  };
}

/** The statements that remove what the snapshot will create, and what depends on it, in an order that needs no CASCADE. */
export function dropStatements(plan: RestorePlan): string[] {
  const out: string[] = [];
  for (const fk of plan.keptForeignKeys) out.push(`ALTER TABLE ${fk.table} DROP CONSTRAINT ${quoteIdent(fk.name)};`);
  // Kept views are in creation order (inCreationOrder): the last first.
  for (const v of [...plan.keptViews].reverse()) out.push(`DROP ${DROP_KIND[v.relkind]} ${qualified(v.schema, v.name)};`);
  // Detached, a kept partition keeps its copies of the parent's foreign keys as its own; attached
  // again, it gets the restored parent's.
  out.push(...plan.droppedForeignKeys);
  for (const p of plan.keptPartitions) {
    out.push(`ALTER TABLE ${p.parent} DETACH PARTITION ${p.partition};`);
    for (const fk of p.inheritedForeignKeys) out.push(`ALTER TABLE ${p.partition} DROP CONSTRAINT ${fk};`);
  }
  // The table of contents lists views in creation order: dropping in reverse never drops one another needs.
  for (const r of [...plan.dropped].reverse().filter((r) => DROP_KIND[r.relkind])) out.push(`DROP ${DROP_KIND[r.relkind]} IF EXISTS ${qualified(r.schema, r.name)};`);
  const list = (kinds: string[]) => plan.dropped.filter((r) => kinds.includes(r.relkind)).map((r) => qualified(r.schema, r.name));
  // One statement for every table: partitions with their parent, foreign keys between them, no order needed.
  const tables = list(['r', 'p']);
  if (tables.length) out.push(`DROP TABLE IF EXISTS ${tables.join(', ')};`);
  const foreign = list(['f']);
  if (foreign.length) out.push(`DROP FOREIGN TABLE IF EXISTS ${foreign.join(', ')};`);
  // After the tables: a sequence a table owned is gone with it, one a default used is free now.
  const sequences = list(['S']);
  if (sequences.length) out.push(`DROP SEQUENCE IF EXISTS ${sequences.join(', ')};`);
  return out;
}

/**
 * Attaches the kept partitions to the restored tables, first: a kept view or foreign key over the
 * partitioned table sees their rows again. An attach that cannot be done (the restored table has
 * other columns, or its default partition holds rows of the partition's range) fails the restore.
 */
export function attachStatements(plan: RestorePlan): string[] {
  return plan.keptPartitions.map((p) => `ALTER TABLE ${p.parent} ATTACH PARTITION ${p.partition} ${p.bound};`);
}

/** Puts back the kept foreign keys (the views come from pg_dump, see restore.ts). */
export function foreignKeyStatements(plan: RestorePlan): string[] {
  return plan.keptForeignKeys.map((fk) => `ALTER TABLE ${fk.table} ADD CONSTRAINT ${quoteIdent(fk.name)} ${fk.definition};`);
}
