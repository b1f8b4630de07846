/** Reading the tracking tables that keep one row per applied migration under a `version` column. */
import type { Session } from '../db/session.js';
import { sortVersions } from './files.js';

/**
 * The versions recorded in `table` (as written in SQL, schema-qualified or not), oldest first;
 * undefined when the table does not exist, i.e. the tool never applied anything here.
 */
export async function readVersionTable(session: Session, table: string): Promise<string[] | undefined> {
  const exists = await session.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [table]);
  if (!exists.rows[0]?.t) return undefined;
  const rows = await session.query<{ version: string }>(`SELECT version FROM ${table}`);
  return sortVersions(rows.rows.map((r) => r.version));
}
