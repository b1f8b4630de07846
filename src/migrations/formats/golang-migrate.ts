/**
 * golang-migrate: `<version>_<title>.up.sql` / `.down.sql`. schema_migrations holds one row, the
 * current version and a dirty flag. A down step writes (previous version, dirty) before running
 * the SQL and (previous version, clean) after; reverting the first migration empties the table.
 * The tool locks with pg_advisory_lock on crc32(schema, table, database) times a salt. The URL's
 * `x-migrations-table` names the table (one identifier; with `x-migrations-table-quoted=true` it is
 * `"schema"."table"`), in the current schema unless quoted with one; the rest of the URL, search_path
 * included, reaches the server as session settings (database/postgres/postgres.go).
 */
import { RollbackKitError } from '../../core/errors.js';
import { compareVersions, listFiles, readText } from '../files.js';
import { literal } from '../sql-split.js';
import { currentSchema, describeTable, rowVersionsSql, sqlTable } from '../tracking.js';
import type { MigrationFile, MigrationFormat, TableName, ToolConfig } from '../types.js';

const FILE = /^(\d+)_(.*)\.(up|down)\.sql$/;
const LOCK_SALT = 1486364155;

/** golang-migrate's GenerateAdvisoryLockId(database, schema, table): names joined by NUL, crc32, times the salt, mod 2^32. */
export async function golangMigrateLockKey(database: string, schema: string, table: string): Promise<string> {
  // zlib only for this format's lock: not loaded at every run's start.
  const { crc32 } = await import('node:zlib');
  const sum = crc32(Buffer.from([schema, table, database].join('\0'), 'utf8'));
  return String(BigInt.asUintN(32, BigInt(sum) * BigInt(LOCK_SALT)));
}

async function load(dir: string): Promise<MigrationFile[]> {
  const byVersion = new Map<string, { up?: string; down?: string; digits: string }>();
  for (const name of await listFiles(dir)) {
    const m = FILE.exec(name);
    if (!m) continue;
    // The tool parses the version as a number: 0003 and 3 are the same migration.
    const id = BigInt(m[1]!).toString();
    const entry = byVersion.get(id) ?? { digits: m[1]! };
    if (m[3] === 'up') entry.up = name;
    else entry.down = name;
    byVersion.set(id, entry);
  }
  const out: MigrationFile[] = [];
  for (const [id, e] of byVersion) {
    const downSql = e.down ? await readText(dir, e.down) : undefined;
    const name = e.up ?? e.down!;
    out.push({ version: id, id, name, addedPath: name, downFile: e.down, downSql, downLine: 1, noTransaction: false });
  }
  return out.sort(compareVersions);
}

/** Go's strconv.ParseBool, which the tool reads x-migrations-table-quoted with. */
function parseGoBool(value: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  throw new RollbackKitError(`x-migrations-table-quoted in database-url is "${value}", which golang-migrate cannot read as true or false.`);
}

/** The table option as the tool reads it: { schema } only when quoted as "schema"."table". */
function tableOption(config: ToolConfig): { schema?: string; name: string } {
  const fromUrl = config.params['x-migrations-table'];
  if (config.migrationsTable && fromUrl && config.migrationsTable !== fromUrl) {
    throw new RollbackKitError(`migrations-table "${config.migrationsTable}" and x-migrations-table "${fromUrl}" in database-url disagree.`, 'golang-migrate reads x-migrations-table: give the table once.');
  }
  const option = config.migrationsTable || fromUrl || 'schema_migrations';
  const quoted = config.params['x-migrations-table-quoted'] ? parseGoBool(config.params['x-migrations-table-quoted']) : false;
  if (!quoted) return { name: option };
  const parts = [...option.matchAll(/"(.*?)"/g)].map((m) => m[1]!);
  if (!option.startsWith('"') || !option.endsWith('"') || parts.length === 0 || parts.length > 2) {
    throw new RollbackKitError(`x-migrations-table is "${option}", but with x-migrations-table-quoted it must read "schema"."table" or "table".`);
  }
  return parts.length === 2 ? { schema: parts[0]!, name: parts[1]! } : { name: parts[0]! };
}

/** The tool's SetVersion: TRUNCATE, then one row unless it is "no version" and clean. */
function setVersion(table: TableName, version: string | undefined, dirty: boolean): string[] {
  const sql = [`TRUNCATE ${sqlTable(table)}`];
  if (version !== undefined || dirty) sql.push(`INSERT INTO ${sqlTable(table)} (version, dirty) VALUES (${literal(version ?? '-1')}, ${dirty})`);
  return sql;
}

export const golangMigrate: MigrationFormat = {
  name: 'golang-migrate',
  linearHistory: true,
  async detect(_dir, entries) {
    return entries.some((n) => FILE.exec(n)?.[3] === 'up') ? 8 : 0;
  },
  load,
  settings(config) {
    const option = tableOption(config);
    return {
      searchPath: config.params.search_path,
      trackingTable: async (session) => ({ schema: option.schema ?? (await currentSchema(session)), name: option.name }),
    };
  },
  tracking: (table) => ({
    table: describeTable(table),
    relation: sqlTable(table),
    async lockKey(session) {
      const r = await session.query<{ database: string }>('SELECT current_database() AS database');
      return golangMigrateLockKey(r.rows[0]!.database, table.schema, table.name);
    },
    appliedSql: `SELECT version::text AS version FROM ${sqlTable(table)} LIMIT 1`,
    appliedIds(rows, files) {
      const current = rows[0]?.version as string | undefined;
      if (current === undefined || current === '-1') return [];
      if (!files.some((f) => f.id === current)) {
        throw new RollbackKitError(
          `${describeTable(table)} says version ${current} is applied, but the migrations folder has no file for version ${current}.`,
          'Check that migrations-dir points at the folder this database was migrated from (and that the checkout is the deployed commit).',
        );
      }
      return files.filter((f) => BigInt(f.id) <= BigInt(current)).map((f) => f.id);
    },
    startSql: (_m, previous) => setVersion(table, previous?.id, true),
    revertSql: (_m, previous) => setVersion(table, previous?.id, false),
    // One row for the whole table: (previous, dirty) while a down is partly done.
    rowVersionSql: () => rowVersionsSql(table),
    async dirtyVersion(session) {
      const r = await session.query<{ version: string }>(`SELECT version::text AS version FROM ${sqlTable(table)} WHERE dirty LIMIT 1`);
      return r.rows[0]?.version;
    },
  }),
};
