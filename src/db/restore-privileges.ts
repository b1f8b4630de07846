/**
 * Privileges an in-place restore must not widen. pg_dump writes each object's GRANT and REVOKE
 * relative to a baseline: the built-in default ACL (acldefault) for what it creates, a schema's
 * initial ACL (pg_init_privs) where there is one, a fixed one for `public` (schemaBaseline). Two things break that baseline in
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
import { RollbackKitError } from '../core/errors.js';
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
 * pg_dump's baseline for a schema's ACL, by the major version of the pg_dump that wrote the snapshot
 * (`dumpMajor`). For `public` a fixed one with the schema's actual owner: from pg_dump 15 on
 * {owner=UC/owner,=U/owner}; it ignores public's pg_init_privs, which keep naming pg_database_owner
 * after ALTER SCHEMA public OWNER, and writes no GRANT for a public at that ACL. Taking pg_init_privs
 * there would take USAGE and CREATE away from public's real owner. pg_dump 14 and older dump only
 * servers as old, whose public is created {owner=UC/owner,=UC/owner}, and write nothing for a public
 * at that ACL: read against 15's baseline, such a snapshot would take CREATE from PUBLIC.
 * Other schemas: their initial ACL (pg_init_privs) where they have one, else the built-in default.
 */
const schemaBaseline = (dumpMajor: number) => `CASE WHEN n.nspname = 'public'
            THEN ARRAY[makeaclitem(n.nspowner, n.nspowner, 'USAGE', false), makeaclitem(n.nspowner, n.nspowner, 'CREATE', false), makeaclitem(0, n.nspowner, 'USAGE', false)${
              dumpMajor < 15 ? ", makeaclitem(0, n.nspowner, 'CREATE', false)" : ''
            }]
            ELSE coalesce(p.initprivs, acldefault('n', n.nspowner)) END`;

/**
 * Resets every schema named that exists (the snapshot's, which the restore keeps) to the ACL pg_dump
 * writes its grants relative to (schemaBaseline of the snapshot's pg_dump, `dumpMajor`). Grants made since the snapshot go (with CASCADE,
 * those made by grantees of a grant option too); the snapshot's own grants then come from its script.
 * A schema already at its baseline is left as it is.
 */
export function resetSchemaPrivileges(schemas: string[], dumpMajor: number): string {
  if (!schemas.length) return '';
  // aclitem has no ordering, so "at its baseline" compares the arrays as sets (makeaclitem gives one
  // item per privilege; aclexplode splits both alike).
  const rows = `SELECT '' AS head, 'SCHEMA ' || quote_ident(b.nspname) AS target, ' CASCADE' AS tail, b.current AS revoke_acl, b.base AS grant_acl
     FROM (${schemaAcls(schemas, dumpMajor)}) b
    WHERE EXISTS (SELECT e.grantor, e.grantee, e.privilege_type, e.is_grantable FROM aclexplode(b.current) e
                  EXCEPT SELECT e.grantor, e.grantee, e.privilege_type, e.is_grantable FROM aclexplode(b.base) e)
       OR EXISTS (SELECT e.grantor, e.grantee, e.privilege_type, e.is_grantable FROM aclexplode(b.base) e
                  EXCEPT SELECT e.grantor, e.grantee, e.privilege_type, e.is_grantable FROM aclexplode(b.current) e)`;
  return changeBlock(rows);
}

/** (nspname, nspowner, oid, current, base) of each schema named that exists: its ACL now, and its schemaBaseline. */
const schemaAcls = (schemas: string[], dumpMajor: number) => `SELECT n.nspname, n.nspowner, n.oid, coalesce(n.nspacl, acldefault('n', n.nspowner)) AS current, ${schemaBaseline(dumpMajor)} AS base
             FROM pg_catalog.pg_namespace n
             LEFT JOIN pg_catalog.pg_init_privs p ON p.classoid = 'pg_catalog.pg_namespace'::regclass AND p.objoid = n.oid AND p.objsubid = 0
            WHERE n.nspname = ANY (ARRAY[${schemas.map(quoteLiteral).join(', ')}]::text[])`;

/** One privilege of an ACL, its roles as GRANT names them (quoted where needed, `PUBLIC`). */
interface AclEntry {
  grantor: string;
  grantee: string;
  privilege: string;
  grantable: boolean;
}

const IDENT = String.raw`"(?:[^"]|"")+"|[^\s";,]+`;
/** pg_dump's statements for a schema's ACL (buildACLCommands), one a line. */
const ACL_STATEMENT = new RegExp(String.raw`^(GRANT|REVOKE)( GRANT OPTION FOR)? ([A-Z]+(?:, ?[A-Z]+)*) ON SCHEMA [\s\S]+ (?:TO|FROM) (${IDENT})( WITH GRANT OPTION)?;$`);
const SET_AUTHORIZATION = new RegExp(String.raw`^SET SESSION AUTHORIZATION (${IDENT});$`);
const SCHEMA_PRIVILEGES = ['USAGE', 'CREATE'];

/**
 * The ACL a kept schema ends with: its `base` (what resetSchemaPrivileges resets it to) with the
 * snapshot's `statements` for it replayed, as its script runs them after the reset. A grant is the
 * owner's unless the script set the session's authorization to its grantor. Undefined when a
 * statement is not one pg_dump writes.
 */
export function replayGrants(base: AclEntry[], statements: string[], owner: string): AclEntry[] | undefined {
  const acl = new Map(base.map((e) => [`${e.grantor} ${e.grantee} ${e.privilege}`, { ...e }]));
  let grantor = owner;
  for (const statement of statements) {
    if (statement === 'RESET SESSION AUTHORIZATION;') grantor = owner;
    else if (SET_AUTHORIZATION.test(statement)) grantor = SET_AUTHORIZATION.exec(statement)![1]!;
    else {
      const m = ACL_STATEMENT.exec(statement);
      if (!m) return undefined;
      const [, verb, optionOnly, list, grantee, withOption] = m as unknown as [string, string, string | undefined, string, string, string | undefined];
      const privileges = list === 'ALL' ? SCHEMA_PRIVILEGES : list.split(/, ?/);
      if (privileges.some((p) => !SCHEMA_PRIVILEGES.includes(p))) return undefined;
      for (const privilege of privileges) {
        const key = `${grantor} ${grantee} ${privilege}`;
        const had = acl.get(key);
        if (verb === 'GRANT') acl.set(key, { grantor, grantee, privilege, grantable: Boolean(withOption) || Boolean(had?.grantable) });
        else if (optionOnly && had) had.grantable = false;
        else acl.delete(key);
      }
    }
  }
  return [...acl.values()];
}

const sameEntry = (a: AclEntry, b: AclEntry) => a.grantor === b.grantor && a.grantee === b.grantee && a.privilege === b.privilege && a.grantable === b.grantable;
const describeEntry = (e: AclEntry) => `${e.privilege}${e.grantable ? ' WITH GRANT OPTION' : ''} for ${e.grantee} (granted by ${e.grantor})`;

/**
 * Refuses, while the restore is planned, a restore that would leave a kept schema's privileges other
 * than the snapshot's. resetSchemaPrivileges and the script's grants change a schema's ACL only where
 * PostgreSQL lets the restoring role: acting as its owner (the owner, a member of the owning role, a
 * superuser). Any other role's REVOKE takes back only the grants it made itself, and PostgreSQL only
 * warns for the rest (or, with a grant option, not even that), so a grant made since the snapshot
 * (`GRANT CREATE ON SCHEMA public TO intruder`) would outlive a restore that says it succeeded. So
 * each kept schema's ACL now is compared with the one the restore would give it (replayGrants);
 * a role that cannot make the difference go is refused, naming it. `grants` are the snapshot's
 * statements by schema, its name quoted where needed (SnapshotContents.schemaGrants); `dumpMajor`
 * the major version of the pg_dump that wrote them (the manifest's pgDump.major), which the baseline
 * they are relative to depends on: the same target resetSchemaPrivileges resets to.
 */
export async function requireSchemaPrivileges(session: Session, schemas: string[], grants: Record<string, string[]>, dumpMajor: number): Promise<void> {
  if (!schemas.length) return;
  const entries = (acl: string) =>
    `coalesce((SELECT json_agg(json_build_object('grantor', ${GRANTEE('e.grantor')}, 'grantee', ${GRANTEE('e.grantee')}, 'privilege', e.privilege_type, 'grantable', e.is_grantable)) FROM aclexplode(${acl}) e), '[]')`;
  const { rows } = await session.query<{ quoted: string; me: string; owner: string; acts_as_owner: boolean; grantable_owner: boolean; current: AclEntry[]; base: AclEntry[] }>(
    `SELECT quote_ident(b.nspname) AS quoted, ${GRANTEE(ME)} AS me, ${GRANTEE('b.nspowner')} AS owner,
            pg_has_role(current_user, b.nspowner, 'USAGE') AS acts_as_owner,
            NOT o.rolsuper AND o.rolname <> 'pg_database_owner' AS grantable_owner,
            ${entries('b.current')} AS current, ${entries('b.base')} AS base
       FROM (${schemaAcls(schemas, dumpMajor)}) b JOIN pg_catalog.pg_roles o ON o.oid = b.nspowner
      ORDER BY b.nspname`,
  );
  const refused: { schema: string; what: string; fix: string[] }[] = [];
  for (const r of rows.filter((r) => !r.acts_as_owner)) {
    // pg_dump's table of contents writes a newline in a name as a space: two kept schemas may then
    // share an entry, and whose statements are whose cannot be told.
    const key = r.quoted.replace(/[\r\n]/g, ' ');
    if (key !== r.quoted && rows.some((o) => o.quoted === key)) {
      refused.push({
        schema: r.quoted,
        what: `the snapshot's list of contents writes the newline in its name as a space, so its privileges cannot be told from those of schema ${key}, and restore-db cannot tell whether the restore would give them back`,
        fix: [],
      });
      continue;
    }
    const statements = grants[r.quoted] ?? grants[key] ?? [];
    const target = replayGrants(r.base, statements, r.owner);
    // Its script's own grants run as they are; only a difference the role cannot undo is refused.
    const changeable = (e: AclEntry) => e.grantor === r.me;
    if (!target) {
      refused.push({ schema: r.quoted, what: `the snapshot's privileges for it are written in a way restore-db does not read (${statements.join(' ')}), so it cannot tell whether the restore would give them back`, fix: [] });
      continue;
    }
    const stays = r.current.filter((e) => !target.some((t) => sameEntry(t, e)) && !changeable(e));
    const missing = target.filter((t) => !r.current.some((e) => sameEntry(t, e)) && !changeable(t));
    if (!stays.length && !missing.length) continue;
    const what = [
      ...(stays.length ? [`${stays.map(describeEntry).join(', ')} would stay, which the snapshot does not have`] : []),
      ...(missing.length ? [`${missing.map(describeEntry).join(', ')} would be missing, which the snapshot has`] : []),
    ].join('; ');
    // As the owner, what brings its ACL to the snapshot's (grants another grantor made are theirs to revoke).
    const fix = [
      ...stays.filter((e) => e.grantor === r.owner).map((e) => `REVOKE ${e.privilege} ON SCHEMA ${r.quoted} FROM ${e.grantee} CASCADE;`),
      ...missing.filter((e) => e.grantor === r.owner).map((e) => `GRANT ${e.privilege} ON SCHEMA ${r.quoted} TO ${e.grantee}${e.grantable ? ' WITH GRANT OPTION' : ''};`),
    ];
    refused.push({ schema: r.quoted, what: `it is owned by ${r.owner}, and ${what}`, fix });
  }
  if (!refused.length) return;
  const me = rows[0]!.me;
  const owners = rows.filter((r) => !r.acts_as_owner && refused.some((f) => f.schema === r.quoted));
  const ways = [
    ...owners.filter((r) => r.grantable_owner).map((r) => `GRANT ${r.owner} TO ${me};`),
    ...owners.map((r) => `ALTER SCHEMA ${r.quoted} OWNER TO ${me};`),
  ];
  const fixes = refused.flatMap((f) => f.fix);
  throw new RollbackKitError(
    `User ${me} cannot restore the privileges of ${refused.map((f) => `schema ${f.schema}`).join(', ')} to the snapshot's: the restore keeps the schema and resets its privileges, which PostgreSQL lets only its owner (or a member of the owning role, or a superuser) do, and ${refused.map((f) => `for ${f.schema} ${f.what}`).join('; ')}.`,
    `Restore as the schema's owner, or let ${me} act as it: ${ways.join(' ')} A grant option (GRANT … WITH GRANT OPTION) is not enough: it lets a role take back only the grants it made itself.` +
      `${fixes.length ? ` Or, as the owner, make its privileges the snapshot's first: ${fixes.join(' ')}` : ''} Then run again. Nothing was changed: the check ran before anything was locked.`,
  );
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
