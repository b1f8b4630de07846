/**
 * Privileges an in-place restore must not widen. pg_dump writes each object's GRANT and REVOKE
 * relative to a baseline: the built-in default ACL (acldefault) for what it creates, a schema's
 * initial ACL (pg_init_privs) where there is one, a fixed one for `public` (SCHEMA_BASELINE). Two things break that baseline in
 * a live database:
 *
 * - Objects the restore creates get the default privileges (ALTER DEFAULT PRIVILEGES) of the role
 *   that creates them, the role restoring: a table whose grant to `anon` had been revoked would come
 *   back with it (Supabase's default setup grants tables to anon). So that role's own entries are set
 *   aside for as long as the restore creates objects, and put back before its commit. Only the
 *   creating role's entries apply to what it creates (pg_restore hands objects to their owners with
 *   ALTER … OWNER, not SET ROLE), and any role may change its own: no superuser needed.
 * - A schema the snapshot holds that already exists is kept, not created again, so grants made on it
 *   since the snapshot would survive: its ACL is reset to pg_dump's baseline first.
 *
 * Everything is read and changed inside the restore's transaction, by DO blocks: what they change is
 * what is there when the restore runs, not what a planning session saw minutes earlier.
 */
import { doBlock, quoteLiteral } from './catalog.js';
import type { Session } from './session.js';

/** pg_default_acl's object types, as ALTER DEFAULT PRIVILEGES names them. */
const OBJECT_TYPES: Record<string, string> = { r: 'TABLES', S: 'SEQUENCES', f: 'FUNCTIONS', T: 'TYPES', n: 'SCHEMAS', L: 'LARGE OBJECTS' };

const objectsCase = (col: string) => `CASE ${col} ${Object.entries(OBJECT_TYPES).map(([t, k]) => `WHEN '${t}' THEN '${k}'`).join(' ')} END`;
const knownTypes = Object.keys(OBJECT_TYPES).map((t) => `'${t}'`).join(', ');

const ME = '(SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user)';
const GRANTEE = (oid: string) => `CASE WHEN ${oid} = 0 THEN 'PUBLIC' ELSE ${oid}::regrole::text END`;

/** Where a block keeps the entries it set aside, for the block that puts them back (transaction-local). */
const STASH = { before: 'rollback_kit.default_acl_before', restored: 'rollback_kit.default_acl_restored' } as const;

/**
 * Rows of (head, target, tail, revoke_acl, grant_acl) → the block runs, for each row in order, `REVOKE
 * ALL` from every grantee in `revoke_acl`, then grants the items of `grant_acl`, per grantee in the order they come.
 * (aclexplode refuses an empty array that has no dimension, as '{}' and ARRAY() make them.)
 */
function changeBlock(rows: string, before = ''): string {
  const body = [
    'DECLARE rk_entry record; rk_statement text;',
    'BEGIN',
    ...(before ? [`  ${before}`] : []),
    `  FOR rk_entry IN ${rows} LOOP`,
    '    FOR rk_statement IN',
    `      SELECT stmt FROM (SELECT 0 AS k, 0::bigint AS n, rk_entry.head || 'REVOKE ALL ON ' || rk_entry.target || ' FROM ' || string_agg(DISTINCT ${GRANTEE('r.grantee')}, ', ') || rk_entry.tail AS stmt`,
    `                          FROM aclexplode(nullif(rk_entry.revoke_acl, '{}')) r HAVING count(*) > 0`,
    `                        UNION ALL SELECT 1, min(g.n), rk_entry.head || 'GRANT ' || string_agg(g.privilege_type, ', ' ORDER BY g.n) || ' ON ' || rk_entry.target || ' TO ' || ${GRANTEE('g.grantee')}`,
    "                                 || CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END",
    `                          FROM aclexplode(nullif(rk_entry.grant_acl, '{}')) WITH ORDINALITY AS g(grantor, grantee, privilege_type, is_grantable, n) GROUP BY g.grantee, g.is_grantable) AS x`,
    '       ORDER BY k, n',
    '    LOOP',
    '      EXECUTE rk_statement;',
    '    END LOOP;',
    '  END LOOP;',
    'END',
  ].join('\n');
  return doBlock('rk_privileges', body);
}

/** The restoring role's entries as (nsp, objtype, acl): now, or as a block set them aside. */
const CURRENT_ENTRIES = `SELECT n.nspname AS nsp, d.defaclobjtype AS objtype, d.defaclacl AS acl
         FROM pg_catalog.pg_default_acl d LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
        WHERE d.defaclrole = ${ME} AND d.defaclobjtype IN (${knownTypes})`;
const stashedEntries = (key: string) =>
  `SELECT j.nsp, j.objtype::"char" AS objtype, j.acl::aclitem[] AS acl FROM json_to_recordset(current_setting('${key}')::json) AS j(nsp text, objtype text, acl text)`;

/**
 * Each entry with the statement head and object keyword ALTER DEFAULT PRIVILEGES takes, and pg_dump's
 * baseline for it: the built-in default for a global entry (which replaces it), none for a schema's
 * (which adds to it). acldefault names sequences 's', pg_default_acl 'S'.
 */
const withBaseline = (entries: string) => `SELECT e.*,
          format('ALTER DEFAULT PRIVILEGES FOR ROLE %I ', current_user) || CASE WHEN e.nsp IS NULL THEN '' ELSE format('IN SCHEMA %I ', e.nsp) END AS head,
          ${objectsCase('e.objtype')} AS target, '' AS tail,
          CASE WHEN e.nsp IS NULL THEN acldefault(CASE e.objtype WHEN 'S' THEN 's' ELSE e.objtype END, ${ME}) ELSE '{}' END AS base
     FROM (${entries}) e`;

/**
 * Sets the restoring role's default privileges aside: each entry made what pg_dump's statements
 * start from (a global one the built-in default, which PostgreSQL then drops; a schema's empty,
 * likewise), after keeping them under `stash` for putBackDefaultPrivileges.
 */
export function setAsideDefaultPrivileges(stash: keyof typeof STASH): string {
  const keep = `PERFORM set_config('${STASH[stash]}', (SELECT coalesce(json_agg(json_build_object('nsp', c.nsp, 'objtype', c.objtype, 'acl', c.acl::text)), '[]')::text FROM (${CURRENT_ENTRIES}) c), true);`;
  return changeBlock(`SELECT b.head, b.target, b.tail, b.acl AS revoke_acl, b.base AS grant_acl FROM (${withBaseline(CURRENT_ENTRIES)}) b`, keep);
}

/**
 * Puts the restoring role's default privileges back, from where both set-asides left them (each
 * entry at pg_dump's baseline): first its entries as they were before the restore, exactly; then the
 * snapshot's own entries for it (its DEFAULT ACL statements, which ran at the end of its script, and
 * which the second set-aside kept) replayed as those statements do it, relative to the baseline —
 * REVOKE ALL from each grantee of the baseline the entry lacks, GRANT what it has beyond it. So the
 * entries end as plain pg_restore would have left them over the database as it was: equal to before
 * when the snapshot had the same ones, and no grantee the snapshot does not name gets anything.
 * The snapshot's are set aside for a while rather than left in place because the views the restore
 * keeps are re-created after the script, and must be created at the baseline too.
 */
export function putBackDefaultPrivileges(): string {
  const before = `SELECT b.head, b.target, b.tail, b.base AS revoke_acl, b.acl AS grant_acl FROM (${withBaseline(stashedEntries(STASH.before))}) b`;
  const restored = `SELECT b.head, b.target, b.tail,
          ARRAY(SELECT i FROM unnest(b.base) i WHERE NOT i = ANY (b.acl)) AS revoke_acl,
          ARRAY(SELECT i FROM unnest(b.acl) i WHERE NOT i = ANY (b.base)) AS grant_acl
     FROM (${withBaseline(stashedEntries(STASH.restored))}) b`;
  // Those from before first: the snapshot's are replayed over them.
  return changeBlock(`SELECT * FROM (SELECT 0 AS step, * FROM (${before}) p UNION ALL SELECT 1, * FROM (${restored}) q) r ORDER BY step`);
}

/**
 * pg_dump's baseline for a schema's ACL. For `public` (pg_dump 15 on) a fixed one,
 * {owner=UC/owner,=U/owner} with the schema's actual owner: it ignores public's pg_init_privs, which
 * keep naming pg_database_owner after ALTER SCHEMA public OWNER, and writes no GRANT for a public at
 * that ACL. Taking pg_init_privs there would take USAGE and CREATE away from public's real owner.
 * Other schemas: their initial ACL (pg_init_privs) where they have one, else the built-in default.
 */
const SCHEMA_BASELINE = `CASE WHEN n.nspname = 'public'
            THEN ARRAY[makeaclitem(n.nspowner, n.nspowner, 'USAGE', false), makeaclitem(n.nspowner, n.nspowner, 'CREATE', false), makeaclitem(0, n.nspowner, 'USAGE', false)]
            ELSE coalesce(p.initprivs, acldefault('n', n.nspowner)) END`;

/**
 * Resets every schema named that exists (the snapshot's, which the restore keeps) to the ACL pg_dump
 * writes its grants relative to (SCHEMA_BASELINE). Grants made since the snapshot go (with CASCADE,
 * those made by grantees of a grant option too); the snapshot's own grants then come from its script.
 * A schema already at its baseline is left as it is.
 */
export function resetSchemaPrivileges(schemas: string[]): string {
  if (!schemas.length) return '';
  // aclitem has no ordering, so "at its baseline" compares the arrays as sets (makeaclitem gives one
  // item per privilege; aclexplode splits both alike).
  const rows = `SELECT '' AS head, 'SCHEMA ' || quote_ident(b.nspname) AS target, ' CASCADE' AS tail, b.current AS revoke_acl, b.base AS grant_acl
     FROM (SELECT n.nspname, coalesce(n.nspacl, acldefault('n', n.nspowner)) AS current, ${SCHEMA_BASELINE} AS base
             FROM pg_catalog.pg_namespace n
             LEFT JOIN pg_catalog.pg_init_privs p ON p.classoid = 'pg_catalog.pg_namespace'::regclass AND p.objoid = n.oid AND p.objsubid = 0
            WHERE n.nspname = ANY (ARRAY[${schemas.map(quoteLiteral).join(', ')}]::text[])) b
    WHERE EXISTS (SELECT e.grantor, e.grantee, e.privilege_type, e.is_grantable FROM aclexplode(b.current) e
                  EXCEPT SELECT e.grantor, e.grantee, e.privilege_type, e.is_grantable FROM aclexplode(b.base) e)
       OR EXISTS (SELECT e.grantor, e.grantee, e.privilege_type, e.is_grantable FROM aclexplode(b.base) e
                  EXCEPT SELECT e.grantor, e.grantee, e.privilege_type, e.is_grantable FROM aclexplode(b.current) e)`;
  return changeBlock(rows);
}

/** What the restore does with the restoring role's default privileges, to say so; and the entries it cannot set aside. */
export async function readOwnDefaultPrivileges(session: Session): Promise<{ role: string; entries: string[]; unknown: string[] }> {
  const { rows } = await session.query<{ role: string; objtype: string; nsp: string | null }>(
    `SELECT current_user AS role, d.defaclobjtype::text AS objtype, n.nspname AS nsp
       FROM pg_catalog.pg_default_acl d LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
      WHERE d.defaclrole = ${ME} ORDER BY 3 NULLS FIRST, ${objectsCase('d.defaclobjtype')}`,
  );
  const role = rows[0]?.role ?? '';
  const describe = (r: { objtype: string; nsp: string | null }) => `${OBJECT_TYPES[r.objtype] ?? `type '${r.objtype}'`} ${r.nsp === null ? '(all schemas)' : `in ${r.nsp}`}`;
  return { role, entries: rows.filter((r) => OBJECT_TYPES[r.objtype]).map(describe), unknown: rows.filter((r) => !OBJECT_TYPES[r.objtype]).map(describe) };
}
