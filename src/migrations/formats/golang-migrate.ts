/**
 * golang-migrate: `<version>_<title>.up.sql` / `.down.sql`. schema_migrations holds one row, the
 * current version and a dirty flag. A down step writes (previous version, dirty) before running
 * the SQL and (previous version, clean) after; reverting the first migration empties the table.
 * The tool locks with pg_advisory_lock on crc32(schema, table, database) times a salt.
 */
import { crc32 } from 'node:zlib';
import { RollbackKitError } from '../../core/errors.js';
import type { Session } from '../../db/session.js';
import { compareVersions, listFiles, readText } from '../files.js';
import { literal } from '../sql-split.js';
import type { MigrationFile, MigrationFormat } from '../types.js';

const FILE = /^(\d+)_(.*)\.(up|down)\.sql$/;
const LOCK_SALT = 1486364155;

/** golang-migrate's GenerateAdvisoryLockId(database, schema, table): names joined by NUL, crc32, times the salt, mod 2^32. */
export function golangMigrateLockKey(database: string, schema: string, table: string): string {
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

async function table(session: Session): Promise<{ schema: string; database: string; exists: boolean }> {
  const r = await session.query<{ schema: string; database: string; t: string | null }>(
    `SELECT current_schema() AS schema, current_database() AS database, to_regclass(quote_ident(current_schema()) || '.schema_migrations')::text AS t`,
  );
  const row = r.rows[0]!;
  return { schema: row.schema, database: row.database, exists: row.t !== null };
}

/** The tool's SetVersion: TRUNCATE, then one row unless it is "no version" and clean. */
function setVersion(version: string | undefined, dirty: boolean): string[] {
  const sql = ['TRUNCATE schema_migrations'];
  if (version !== undefined || dirty) sql.push(`INSERT INTO schema_migrations (version, dirty) VALUES (${literal(version ?? '-1')}, ${dirty})`);
  return sql;
}

export const golangMigrate: MigrationFormat = {
  name: 'golang-migrate',
  defaultDirs: ['migrations', 'db/migrations'],
  linearHistory: true,
  async detect(_dir, entries) {
    return entries.some((n) => FILE.exec(n)?.[3] === 'up') ? 8 : 0;
  },
  load,
  tracking: {
    table: 'schema_migrations',
    async lockKey(session) {
      const t = await table(session);
      return golangMigrateLockKey(t.database, t.schema, 'schema_migrations');
    },
    async readApplied(session, files) {
      if (!(await table(session)).exists) return undefined;
      const r = await session.query<{ version: string }>('SELECT version::text AS version FROM schema_migrations LIMIT 1');
      const current = r.rows[0]?.version;
      if (current === undefined || current === '-1') return [];
      if (!files.some((f) => f.id === current)) {
        throw new RollbackKitError(
          `schema_migrations says version ${current} is applied, but the migrations folder has no file for version ${current}.`,
          'Check that migrations-dir points at the folder this database was migrated from (and that the checkout is the deployed commit).',
        );
      }
      return files.filter((f) => BigInt(f.id) <= BigInt(current)).map((f) => f.id);
    },
    startSql: (_m, previous) => setVersion(previous?.id, true),
    revertSql: (_m, previous) => setVersion(previous?.id, false),
    async dirtyVersion(session) {
      if (!(await table(session)).exists) return undefined;
      const r = await session.query<{ version: string }>('SELECT version::text AS version FROM schema_migrations WHERE dirty LIMIT 1');
      return r.rows[0]?.version;
    },
  },
};
