/**
 * dbmate: one file per migration with `-- migrate:up` and `-- migrate:down` sections;
 * `transaction:false` on the marker line opts out of the transaction. Its rollback deletes the
 * version from schema_migrations in the same transaction as the down SQL; it takes no lock.
 * The table is `--migrations-table` (DBMATE_MIGRATIONS_TABLE), in its own schema when qualified,
 * else in the first schema of the URL's search_path, else the current schema (pkg/driver/postgres).
 * The URL's search_path reaches the server as a session setting, so the migrations run under it.
 */
import { anyFileMatches, compareVersions, leadingVersion, listFiles, readText } from '../files.js';
import type { MigrationFile, MigrationFormat } from '../types.js';
import { currentSchema, firstSearchPathSchema, splitTableOption, versionTableTracking } from '../tracking.js';
import { lineAt } from '../sql-split.js';

const UP_MARKER = /^--\s*migrate:up\b.*$/m;
const DOWN_MARKER = /^--\s*migrate:down\b(.*)$/m;

export function parseDbmate(text: string): { downSql?: string; downLine: number; noTransaction: boolean } {
  const down = DOWN_MARKER.exec(text);
  if (!down) return { downLine: 1, noTransaction: false };
  const options = down[1] ?? '';
  const start = down.index + down[0].length;
  const rest = text.slice(start);
  const up = UP_MARKER.exec(rest);
  const downSql = up ? rest.slice(0, up.index) : rest;
  return { downSql, downLine: lineAt(text, start), noTransaction: /\btransaction:false\b/.test(options) };
}

async function load(dir: string): Promise<MigrationFile[]> {
  const out: MigrationFile[] = [];
  for (const name of await listFiles(dir)) {
    const version = leadingVersion(name);
    if (!version || !name.endsWith('.sql')) continue;
    const text = (await readText(dir, name)) ?? '';
    const parsed = parseDbmate(text);
    out.push({ version, id: version, name, addedPath: name, downFile: parsed.downSql === undefined ? undefined : name, ...parsed });
  }
  return out.sort(compareVersions);
}

export const dbmate: MigrationFormat = {
  name: 'dbmate',
  defaultDirs: ['db/migrations'],
  async detect(dir, entries) {
    const sql = entries.filter((n) => n.endsWith('.sql'));
    return (await anyFileMatches(dir, sql, UP_MARKER)) ? 10 : 0;
  },
  load,
  settings(config) {
    const option = splitTableOption(config.migrationsTable ?? 'schema_migrations', 'dbmate');
    const searchPath = config.params.search_path;
    return {
      searchPath,
      trackingTable: async (session) => ({ schema: option.schema ?? firstSearchPathSchema(searchPath) ?? (await currentSchema(session)), name: option.name }),
    };
  },
  tracking: versionTableTracking,
};
