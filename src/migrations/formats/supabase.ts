/**
 * Supabase CLI: `supabase/migrations/<timestamp>_name.sql`, no down files of its own; we read the
 * down SQL from a `down/` folder (which the CLI does not read) or, for folders written before that
 * was recommended, from `<timestamp>_name.down.sql` beside the migration. The CLI takes that second
 * file for a migration of its own with the same version, so it is read with a warning. Reverting
 * deletes the row from supabase_migrations.schema_migrations, as `migration repair --status
 * reverted` does.
 */
import { compareNames, inFileOrder, listFiles, orderWarning, outOfNumericOrder, readText } from '../files.js';
import { describeTable, refuseTableOption, versionTableTracking } from '../tracking.js';
import type { MigrationFile, MigrationFormat, TableName } from '../types.js';

// The CLI's own migration pattern: every file in the folder that matches it is a migration to the CLI.
const UP_FILE = /^(\d+)_(.*)\.sql$/;
const TABLE: TableName = { schema: 'supabase_migrations', name: 'schema_migrations' };

export const supabase: MigrationFormat = {
  name: 'supabase',
  ownDir: 'supabase/migrations',
  async detect(dir, entries) {
    const inSupabase = /(^|[\\/])supabase[\\/]migrations[\\/]*$/.test(dir);
    return inSupabase && entries.some((n) => UP_FILE.test(n)) ? 11 : 0;
  },
  async load(dir) {
    const files = await listFiles(dir);
    const downFolder = await listFiles(`${dir}/down`);
    const out: MigrationFile[] = [];
    for (const name of files) {
      const m = UP_FILE.exec(name);
      if (!m || name.endsWith('.down.sql')) continue;
      const base = name.slice(0, -'.sql'.length);
      const candidates = [`${base}.down.sql`].filter((f) => files.includes(f));
      candidates.push(...[`${base}.sql`, `${base}.down.sql`].filter((f) => downFolder.includes(f)).map((f) => `down/${f}`));
      const downFile = candidates[0];
      const downSql = downFile ? await readText(dir, downFile) : undefined;
      out.push({ version: m[1]!, id: m[1]!, name, addedPath: name, downFile, downSql, downLine: 1, noTransaction: false });
    }
    // The CLI's order: file names as Go's fs.ReadDir sorts them, byte by byte (supabase/cli
    // pkg/migration/list.go ListLocalMigrations), not versions as numbers.
    return out.sort((a, b) => compareNames(a.name, b.name));
  },
  settings(config) {
    refuseTableOption(config, 'supabase', describeTable(TABLE));
    // The CLI connects with pgx, which sends the URL's search_path as a session setting.
    return { searchPath: config.params.search_path, trackingTable: async () => TABLE };
  },
  layoutWarnings(_dir, files) {
    return [...orderWarning('The Supabase CLI', 'file name compared as text', outOfNumericOrder(files)), ...besideWarning(files)];
  },
  tracking: (table) => ({
    ...versionTableTracking(table),
    appliedIds: (rows, files) => inFileOrder(rows.map((r) => String(r.version)), files),
  }),
};

function besideWarning(files: MigrationFile[]): string[] {
  const beside = files.map((f) => f.downFile).filter((f): f is string => f !== undefined && !f.startsWith('down/'));
  if (beside.length === 0) return [];
  const shown = beside.slice(0, 3).join(', ') + (beside.length > 3 ? ` and ${beside.length - 3} more` : '');
  return [
    `Down files ${shown} sit beside the migrations, where the Supabase CLI takes every <timestamp>_name.sql file for a migration: \`supabase db push\` would see each as a second migration with the version of the one it undoes, and could apply it. ` +
      'Move them to supabase/migrations/down/<timestamp>_name.sql (the CLI does not read that folder); this run reads them where they are.',
  ];
}
