/**
 * Prisma Migrate: `prisma/migrations/<timestamp>_name/migration.sql`, with `down.sql` beside it as
 * in Prisma's documented down-migration workflow. Reverting sets `rolled_back_at` on the
 * migration's row, which is what `prisma migrate resolve --rolled-back` does; `migrate deploy` then
 * applies it again. A row neither finished nor rolled back is a migration that failed midway (the
 * partial deploy the runbooks describe): it counts as applied, so its down SQL can clean it up.
 * Prisma locks with pg_advisory_lock(72707369). The URL's `schema` parameter (default public) is
 * where Prisma keeps _prisma_migrations and the search_path its migrations run with.
 */
import { compareVersions, leadingVersion, listFolders, readText } from '../files.js';
import { literal } from '../sql-split.js';
import { describeTable, readAppliedTimes, refuseTableOption, rowVersionsSql, sqlTable } from '../tracking.js';
import { quoteIdent } from '../../db/catalog.js';
import type { MigrationFile, MigrationFormat } from '../types.js';

export const PRISMA_LOCK_KEY = '72707369';

export const prisma: MigrationFormat = {
  name: 'prisma',
  defaultDirs: ['prisma/migrations'],
  async detect(dir, entries) {
    for (const name of entries) if ((await readText(dir, `${name}/migration.sql`)) !== undefined) return 12;
    return 0;
  },
  async load(dir) {
    const out: MigrationFile[] = [];
    for (const folder of await listFolders(dir)) {
      if ((await readText(dir, `${folder}/migration.sql`)) === undefined) continue;
      const downSql = await readText(dir, `${folder}/down.sql`);
      out.push({
        version: leadingVersion(folder) ?? '0',
        id: folder,
        name: `${folder}/migration.sql`,
        addedPath: `${folder}/migration.sql`,
        downFile: downSql === undefined ? undefined : `${folder}/down.sql`,
        downSql,
        downLine: 1,
        noTransaction: false,
      });
    }
    return out.sort(compareVersions);
  },
  settings(config) {
    const schema = config.params.schema || 'public';
    refuseTableOption(config, 'prisma', describeTable({ schema, name: '_prisma_migrations' }));
    return { searchPath: quoteIdent(schema), trackingTable: async () => ({ schema, name: '_prisma_migrations' }) };
  },
  tracking: (table) => ({
    table: describeTable(table),
    relation: sqlTable(table),
    lockKey: async () => PRISMA_LOCK_KEY,
    appliedSql: `SELECT DISTINCT migration_name FROM ${sqlTable(table)} WHERE rolled_back_at IS NULL`,
    appliedIds(rows, files) {
      // Prisma orders migrations by folder name.
      const order = new Map(files.map((f, i) => [f.id, i]));
      return rows
        .map((r) => String(r.migration_name))
        .sort((a, b) => (order.get(a) ?? Infinity) - (order.get(b) ?? Infinity) || (a < b ? -1 : a > b ? 1 : 0));
    },
    // A row whose migration failed midway has no finished_at: when it started is when it was applied.
    appliedAt: (session, ids) =>
      readAppliedTimes(
        session,
        `SELECT migration_name AS id, max(coalesce(finished_at, started_at)) AS at FROM ${sqlTable(table)} WHERE migration_name = ANY($1::text[]) AND rolled_back_at IS NULL GROUP BY 1`,
        ids,
      ),
    revertSql: (m) => [`UPDATE ${sqlTable(table)} SET rolled_back_at = now() WHERE migration_name = ${literal(m.id)} AND rolled_back_at IS NULL`],
    rowVersionSql: (m) => rowVersionsSql(table, `migration_name = ${literal(m.id)} AND rolled_back_at IS NULL`),
  }),
};
