/**
 * Supabase CLI: `supabase/migrations/<timestamp>_name.sql`, no down files of its own; we read the
 * down SQL from `<timestamp>_name.down.sql` beside it or from a `down/` folder. Reverting deletes
 * the row from supabase_migrations.schema_migrations, as `migration repair --status reverted` does.
 */
import { compareVersions, listFiles, readText } from '../files.js';
import { readVersionTable } from '../tracking.js';
import { literal } from '../sql-split.js';
import type { MigrationFile, MigrationFormat } from '../types.js';

const UP_FILE = /^(\d+)_(.*)\.sql$/;

export const supabase: MigrationFormat = {
  name: 'supabase',
  defaultDirs: ['supabase/migrations'],
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
    return out.sort(compareVersions);
  },
  tracking: {
    table: 'supabase_migrations.schema_migrations',
    lockKey: async () => undefined,
    readApplied: (session) => readVersionTable(session, 'supabase_migrations.schema_migrations'),
    revertSql: (m) => [`DELETE FROM supabase_migrations.schema_migrations WHERE version = ${literal(m.id)}`],
  },
};
