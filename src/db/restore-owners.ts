/**
 * The owners the snapshot's script gives its schemas back (`ALTER SCHEMA name OWNER TO role;`),
 * checked while the restore is planned. PostgreSQL changes a schema's owner only for a superuser,
 * or for a role that acts as its current owner, may act as the new one (a member of it up to
 * PostgreSQL 15, one that may SET ROLE to it from 16) and may create schemas in the database; the
 * same owner again changes nothing and needs none of that. A restore that could not do it used to
 * lock the tables, take the pre-restore snapshot, and fail there, in the middle of its script: it
 * is refused first now (requireSchemaOwners), naming the schema, the owner and the GRANT to run.
 *
 * A role that is a member of the owner without its privileges (NOINHERIT, or a grant WITH INHERIT
 * FALSE) may hand the schema over, but then no longer create in it, comment on it or grant on it,
 * which the script does after that statement: its owner statement is left out where the script has
 * it, and the schema given back at the end of the restore's transaction, once the script is done
 * (giveBackSchemas): then, through SET ROLE to that owner, whose privileges the role may take that
 * way, its privileges are made the snapshot's again (handing it over rewrote the grants the role had
 * made as its owner meanwhile into the new owner's own).
 *
 * `pg_database_owner` (the owner of `public` from PostgreSQL 15 on) has the database's owner as its
 * only member and takes no GRANT: a role that is not that owner is told to restore as it.
 */
import { RollbackKitError } from '../core/errors.js';
import { resetSchemaPrivileges } from './restore-privileges.js';
import type { SchemaOwner } from './restore-plan.js';
import type { Session } from './session.js';

/** A schema given back at the end instead of where the script has it, with its name as the server has it. */
export interface DeferredOwner extends SchemaOwner {
  name: string;
}

/** What the restore does about the snapshot's schema owners. */
export interface SchemaOwners {
  /** The owner statements (as the script writes them, latin1) that are left out of the script and run at its end instead. */
  deferred: DeferredOwner[];
}

/**
 * The end of the restore's transaction for the schemas given back there: the script's own owner
 * statement, then, as that owner (SET ROLE), the schema's privileges reset to pg_dump's baseline and
 * the snapshot's grants on it (`grants`: SnapshotContents.schemaGrants; `dumpMajor`: the snapshot's
 * pg_dump) run again, as resetSchemaPrivileges and the script did them before the hand-over.
 */
export function giveBackSchemas(deferred: DeferredOwner[], grants: Record<string, string[]>, dumpMajor: number): string[] {
  return deferred.flatMap((o) => [
    Buffer.from(o.statement, 'latin1').toString('utf8'),
    `SET ROLE ${o.owner};`,
    resetSchemaPrivileges([o.name], dumpMajor),
    ...(grants[o.schema] ?? []),
    'RESET ROLE;',
  ]);
}

interface OwnerRow {
  i: number;
  name: string | null;
  me: string;
  db: string;
  superuser: boolean;
  creates: boolean;
  /** The role exists. */
  role: boolean;
  database_owner: boolean;
  /** The schema exists, and who owns it now (quoted). */
  exists: boolean;
  current: string | null;
  same: boolean;
  acts_as_current: boolean;
  may_give: boolean;
  inherits: boolean;
}

/**
 * Refuses, before anything is locked or changed, a restore whose script would fail to give a schema
 * to the owner the snapshot has (see above); returns the owner statements to run at the end instead.
 * `serverMajor` decides which right to the new owner PostgreSQL asks for.
 */
export async function requireSchemaOwners(session: Session, owners: SchemaOwner[], serverMajor: number): Promise<SchemaOwners> {
  if (!owners.length) return { deferred: [] };
  const right = serverMajor >= 16 ? 'SET' : 'MEMBER';
  const { rows } = await session.query<OwnerRow>(
    `SELECT x.i::int AS i, n.nspname AS name, quote_ident(current_user) AS me, quote_ident(current_database()) AS db, me.rolsuper AS superuser,
            has_database_privilege(current_database(), 'CREATE') AS creates,
            r.oid IS NOT NULL AS role, coalesce(r.rolname = 'pg_database_owner', false) AS database_owner,
            n.oid IS NOT NULL AS exists, quote_ident(c.rolname) AS current, coalesce(n.nspowner = r.oid, false) AS same,
            coalesce(pg_has_role(current_user, n.nspowner, 'USAGE'), true) AS acts_as_current,
            coalesce(pg_has_role(current_user, r.oid, '${right}'), false) AS may_give,
            coalesce(pg_has_role(current_user, r.oid, 'USAGE'), false) AS inherits
       FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS x(schema, owner, i)
       JOIN pg_catalog.pg_roles me ON me.rolname = current_user
       LEFT JOIN pg_catalog.pg_roles r ON r.rolname = (parse_ident(x.owner))[1]
       LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = (parse_ident(x.schema))[1]
       LEFT JOIN pg_catalog.pg_roles c ON c.oid = n.nspowner
      ORDER BY x.i`,
    [owners.map((o) => o.schema), owners.map((o) => o.owner)],
  );
  const refused: string[] = [];
  const fixes: string[] = [];
  const deferred: DeferredOwner[] = [];
  for (const r of rows) {
    const { schema, owner } = owners[r.i - 1]!;
    // A superuser may do it all; the same owner again changes nothing, and PostgreSQL checks nothing.
    if (r.superuser || r.same) continue;
    if (!r.role) {
      refused.push(`schema ${schema} is owned by ${owner} in the snapshot, a role this server does not have`);
      fixes.push(`CREATE ROLE ${owner};`);
      continue;
    }
    if (!r.acts_as_current) {
      refused.push(`schema ${schema} is owned by ${r.current} now, and only a role that acts as its owner may give it to ${owner}, the snapshot's owner`);
      // As its owner now, or a superuser: the schema is then the snapshot's owner's already, and the script's statement changes nothing.
      fixes.push(`(as ${r.current}) ALTER SCHEMA ${schema} OWNER TO ${owner};`);
    }
    if (!r.may_give) {
      refused.push(
        r.database_owner
          ? `schema ${schema} is owned by ${owner} in the snapshot, whose only member is the database's owner, which ${r.me} is not`
          : `schema ${schema} is owned by ${owner} in the snapshot, and only a ${right === 'SET' ? 'role that may SET ROLE to' : 'member of'} ${owner} may make it a schema's owner`,
      );
      fixes.push(r.database_owner ? `ALTER DATABASE ${r.db} OWNER TO ${r.me};` : `GRANT ${owner} TO ${r.me};`);
    }
    if (!r.creates) {
      refused.push(`giving schema ${schema} to ${owner} takes CREATE on database ${r.db}`);
      fixes.push(`GRANT CREATE ON DATABASE ${r.db} TO ${r.me};`);
    }
    // pg_database_owner is the database owner's by inheritance, never through SET ROLE.
    if (r.acts_as_current && r.may_give && r.creates && !r.inherits && !r.database_owner) deferred.push({ ...owners[r.i - 1]!, name: r.name ?? (await realName(session, schema)) });
  }
  if (!refused.length) return { deferred };
  const me = rows[0]!.me;
  throw new RollbackKitError(
    `User ${me} cannot give the snapshot's schemas back to their owners, which its script does (ALTER SCHEMA … OWNER TO) and PostgreSQL lets only a superuser, or a role that acts as the schema's owner and as the new one, do: ${refused.join('; ')}.`,
    `Restore as a superuser or as the owner, or run: ${[...new Set(fixes)].join(' ')} Then run again. Nothing was changed: the check ran before anything was locked.`,
    { changed: 'no' },
  );
}

/** A schema's name as the server reads `quoted` (the script's spelling), for one not created yet. */
async function realName(session: Session, quoted: string): Promise<string> {
  return (await session.query<{ name: string }>('SELECT (parse_ident($1))[1] AS name', [quoted])).rows[0]!.name;
}
