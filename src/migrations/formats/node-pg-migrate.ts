/**
 * node-pg-migrate: SQL files with `-- Up Migration` / `-- Down Migration` markers (JS and TS
 * migrations hold their down in code, which we do not run). `pgmigrations` records the file name
 * without extension; the tool's down deletes that row in the same transaction and locks with
 * pg_try_advisory_lock(7241865325823964). Its next `up` refuses a gap (checkOrder), so only the
 * newest applied migrations can be reverted.
 */
import { extname } from 'node:path';
import { anyFileMatches, leadingVersion, listFiles, readText } from '../files.js';
import type { MigrationFile, MigrationFormat } from '../types.js';
import { lineAt, literal } from '../sql-split.js';

export const NODE_PG_MIGRATE_LOCK_KEY = '7241865325823964';

// The tool's own marker expressions (src/sqlMigration.ts).
const marker = (direction: string) => new RegExp(`^\\s*--[\\s-]*${direction}\\s+migration`, 'im');
const UP = marker('up');
const DOWN = marker('down');

export function parseNodePgMigrate(text: string): { downSql?: string; downLine: number } {
  const up = text.search(UP);
  const down = text.search(DOWN);
  if (down < 0) return { downLine: 1 };
  return { downSql: text.slice(down, up < down ? undefined : up), downLine: lineAt(text, down) };
}

/** The tool's own order: numeric prefix, then name. */
function compare(a: MigrationFile, b: MigrationFile): number {
  const x = BigInt(a.version || '0');
  const y = BigInt(b.version || '0');
  if (x !== y) return x < y ? -1 : 1;
  return a.name.localeCompare(b.name, undefined, { numeric: true });
}

export const nodePgMigrate: MigrationFormat = {
  name: 'node-pg-migrate',
  defaultDirs: ['migrations'],
  linearHistory: true,
  async detect(dir, entries) {
    return (await anyFileMatches(dir, entries.filter((n) => n.endsWith('.sql')), UP)) ? 9 : 0;
  },
  async load(dir) {
    const out: MigrationFile[] = [];
    for (const name of await listFiles(dir)) {
      const id = name.slice(0, name.length - extname(name).length);
      const version = leadingVersion(name) ?? '';
      if (extname(name) !== '.sql') {
        out.push({ version, id, name, addedPath: name, downLine: 1, noTransaction: false, missingReason: 'a JavaScript/TypeScript migration: its down is code, not SQL' });
        continue;
      }
      const parsed = parseNodePgMigrate((await readText(dir, name)) ?? '');
      out.push({ version, id, name, addedPath: name, downFile: parsed.downSql === undefined ? undefined : name, noTransaction: false, ...parsed });
    }
    return out.sort(compare);
  },
  tracking: {
    table: 'public.pgmigrations',
    lockKey: async () => NODE_PG_MIGRATE_LOCK_KEY,
    async readApplied(session) {
      const exists = await session.query<{ t: string | null }>(`SELECT to_regclass('public.pgmigrations')::text AS t`);
      if (!exists.rows[0]?.t) return undefined;
      // The tool's own order of what ran (runner.ts getRunMigrations).
      const rows = await session.query<{ name: string }>('SELECT name FROM public.pgmigrations ORDER BY run_on, id');
      return rows.rows.map((r) => r.name);
    },
    revertSql: (m) => [`DELETE FROM public.pgmigrations WHERE name = ${literal(m.id)}`],
  },
};
