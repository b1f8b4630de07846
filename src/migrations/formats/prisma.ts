/**
 * Prisma Migrate: `prisma/migrations/<timestamp>_name/migration.sql`, with `down.sql` beside it as
 * in Prisma's documented down-migration workflow. Reverting sets `rolled_back_at` on the
 * migration's row, which is what `prisma migrate resolve --rolled-back` does; `migrate deploy` then
 * applies it again. A row neither finished nor rolled back is a migration that failed midway (the
 * partial deploy the runbooks describe): it counts as applied, so its down SQL can clean it up.
 * Prisma locks with pg_advisory_lock(72707369). The URL's `schema` parameter (default public) is
 * where Prisma keeps _prisma_migrations and the search_path its migrations run with.
 */
import { compareNames, inFileOrder, leadingVersion, listFolders, orderWarning, outOfNumericOrder, readText } from '../files.js';
import { literal } from '../sql-split.js';
import { describeTable, readAppliedTimes, refuseTableOption, rowVersionsSql, sqlTable } from '../tracking.js';
import { quoteIdent } from '../../db/catalog.js';
import type { MigrationFile, MigrationFormat } from '../types.js';

export const PRISMA_LOCK_KEY = '72707369';

export const prisma: MigrationFormat = {
  name: 'prisma',
  ownDir: 'prisma/migrations',
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
    // Prisma's order: folder names compared as Rust compares strings, byte by byte (prisma-engines,
    // schema-connector migrations_directory.rs list_migrations: `a.migration_name().cmp(b.migration_name())`).
    return out.sort((a, b) => compareNames(a.id, b.id));
  },
  layoutWarnings: (_dir, files) => orderWarning('Prisma', 'folder name compared as text', outOfNumericOrder(files)),
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
    // In Prisma's order of the folders.
    appliedIds: (rows, files) => inFileOrder(rows.map((r) => String(r.migration_name)), files),
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
