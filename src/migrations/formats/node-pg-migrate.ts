/**
 * node-pg-migrate: SQL files with `-- Up Migration` / `-- Down Migration` markers (JS and TS
 * migrations hold their down in code, which we do not run). `pgmigrations` records the file name
 * without extension; the tool's down deletes that row in the same transaction and locks with
 * pg_try_advisory_lock(7241865325823964). Its next `up` refuses a gap (checkOrder), so only the
 * newest applied migrations can be reverted. Its table is `--migrations-schema`.`--migrations-table`
 * (default public.pgmigrations); it connects with node-postgres, which does not read a URL's
 * search_path, so neither do we for this format.
 */
import { extname } from 'node:path';
import { anyFileMatches, leadingVersion, listFiles, readText } from '../files.js';
import type { MigrationFile, MigrationFormat } from '../types.js';
import { lineAt, literal } from '../sql-split.js';
import { describeTable, readAppliedTimes, splitTableOption, rowVersionsSql, sqlTable } from '../tracking.js';

export const NODE_PG_MIGRATE_LOCK_KEY = '7241865325823964';

// The tool's own marker expressions (src/sqlMigration.ts).
const marker = (direction: string) => new RegExp(`^\\s*--[\\s-]*${direction}\\s+migration`, 'im');
const UP = marker('up');
const DOWN = marker('down');
/** Migrations in code, named as the tool names them: a numeric (timestamp) prefix. */
const CODE_MIGRATION = /^\d+.*\.(js|cjs|mjs|ts|cts|mts)$/;
/** The argument every node-pg-migrate migration in code receives. */
const PGM = /\bpgm\b/;

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
    if (await anyFileMatches(dir, entries.filter((n) => n.endsWith('.sql')), UP)) return 9;
    const code = entries.filter((n) => CODE_MIGRATION.test(n));
    if (code.length === 0) return 0;
    // Timestamped JS/TS files are the tool's layout; the pgm argument makes it certain.
    return (await anyFileMatches(dir, code, PGM)) ? 7 : 2;
  },
  async load(dir) {
    const out: MigrationFile[] = [];
    for (const name of await listFiles(dir)) {
      const id = name.slice(0, name.length - extname(name).length);
      const version = leadingVersion(name) ?? '';
      if (extname(name) !== '.sql') {
        out.push({ version, id, name, addedPath: name, downLine: 1, noTransaction: false, missingReason: 'a JavaScript/TypeScript migration: its down is code, not SQL', downCode: true });
        continue;
      }
      const parsed = parseNodePgMigrate((await readText(dir, name)) ?? '');
      out.push({ version, id, name, addedPath: name, downFile: parsed.downSql === undefined ? undefined : name, noTransaction: false, ...parsed });
    }
    return out.sort(compare);
  },
  settings(config) {
    const option = splitTableOption(config.migrationsTable ?? 'pgmigrations', 'node-pg-migrate');
    return { trackingTable: async () => ({ schema: option.schema ?? 'public', name: option.name }) };
  },
  tracking: (table) => ({
    table: describeTable(table),
    relation: sqlTable(table),
    lockKey: async () => NODE_PG_MIGRATE_LOCK_KEY,
    // The tool's own order of what ran (runner.ts getRunMigrations).
    appliedSql: `SELECT name FROM ${sqlTable(table)} ORDER BY run_on, id`,
    appliedIds: (rows) => rows.map((r) => String(r.name)),
    // run_on is a timestamp without time zone, written with NOW() in the tool's session: read in
    // this session's time zone, the server's default, as the tool's own session has it.
    appliedAt: (session, ids) => readAppliedTimes(session, `SELECT name AS id, max(run_on)::timestamptz AS at FROM ${sqlTable(table)} WHERE name = ANY($1::text[]) GROUP BY 1`, ids),
    revertSql: (m) => [`DELETE FROM ${sqlTable(table)} WHERE name = ${literal(m.id)}`],
    rowVersionSql: (m) => rowVersionsSql(table, `name = ${literal(m.id)}`),
  }),
  ownDownCommand(count, dir, table) {
    const options = [`-m ${shellWord(dir)}`];
    if (table.schema !== 'public') options.push(`--migrations-schema ${shellWord(table.schema)}`);
    if (table.name !== 'pgmigrations') options.push(`--migrations-table ${shellWord(table.name)}`);
    return `npx node-pg-migrate down ${count} ${options.join(' ')}`;
  },
};

/** A word for a shell command line: quoted when it holds anything but plain path characters. */
function shellWord(word: string): string {
  return /^[\w./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
