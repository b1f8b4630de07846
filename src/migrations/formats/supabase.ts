/**
 * Supabase CLI: `supabase/migrations/<timestamp>_name.sql`, no down files of its own; we read the
 * down SQL from `<timestamp>_name.down.sql` beside it or from a `down/` folder. Reverting deletes
 * the row from supabase_migrations.schema_migrations, as `migration repair --status reverted` does.
 */
import { compareVersions, sortVersions, listFiles, readText } from '../files.js';
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
    async readApplied(session) {
      const exists = await session.query<{ t: string | null }>(`SELECT to_regclass('supabase_migrations.schema_migrations')::text AS t`);
      if (!exists.rows[0]?.t) return undefined;
      const rows = await session.query<{ version: string }>('SELECT version FROM supabase_migrations.schema_migrations');
      return sortVersions(rows.rows.map((r) => r.version));
    },
    revertSql: (m) => [`DELETE FROM supabase_migrations.schema_migrations WHERE version = ${literal(m.id)}`],
  },
};
