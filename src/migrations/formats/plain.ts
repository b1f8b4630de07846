/**
 * Plain SQL: `<version>_name.down.sql` files (with `<version>_name.sql` or `.up.sql` beside them
 * when the up is kept too) and a tracking table of our own, rollback_kit.schema_migrations, that
 * the deploy fills as it applies migrations.
 */
import { compareVersions, listFiles, readText } from '../files.js';
import { describeTable, readAppliedTimes, refuseTableOption, sqlTable, versionTableTracking } from '../tracking.js';
import type { MigrationFile, MigrationFormat, TableName } from '../types.js';

const DOWN_FILE = /^(\d+)_(.*)\.down\.sql$/;
const TABLE: TableName = { schema: 'rollback_kit', name: 'schema_migrations' };

export const PLAIN_TRACKING_DDL = `CREATE SCHEMA IF NOT EXISTS rollback_kit;
CREATE TABLE IF NOT EXISTS rollback_kit.schema_migrations (
  version text PRIMARY KEY,
  name text NOT NULL DEFAULT '',
  applied_at timestamptz NOT NULL DEFAULT now()
);`;

export const plain: MigrationFormat = {
  name: 'plain',
  async detect(_dir, entries) {
    return entries.some((n) => DOWN_FILE.test(n)) ? 1 : 0;
  },
  async load(dir) {
    const files = await listFiles(dir);
    const out: MigrationFile[] = [];
    for (const downFile of files) {
      const m = DOWN_FILE.exec(downFile);
      if (!m) continue;
      const stem = `${m[1]}_${m[2]}`;
      const up = [`${stem}.up.sql`, `${stem}.sql`].find((f) => files.includes(f));
      const downSql = await readText(dir, downFile);
      out.push({ version: m[1]!, id: m[1]!, name: downFile, addedPath: up ?? downFile, downFile, downSql, downLine: 1, noTransaction: false });
    }
    return out.sort(compareVersions);
  },
  settings(config) {
    refuseTableOption(config, 'plain', describeTable(TABLE));
    // Our own format: the search_path the URL asks for is the one the down SQL means.
    return { searchPath: config.params.search_path, trackingTable: async () => TABLE };
  },
  tracking: (table) => ({
    ...versionTableTracking(table),
    appliedAt: (session, ids) => readAppliedTimes(session, `SELECT version AS id, applied_at::timestamptz AS at FROM ${sqlTable(table)} WHERE version = ANY($1::text[])`, ids),
  }),
};
