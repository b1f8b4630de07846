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
import { anyFileMatches, leadingVersion, listFiles, orderWarning, outOfNumericOrder, readText } from '../files.js';
import type { MigrationFile, MigrationFormat } from '../types.js';
import { lineAt, literal } from '../sql-split.js';
import { describeTable, readAppliedTimes, splitTableOption, rowVersionsSql, sqlTable } from '../tracking.js';

export const NODE_PG_MIGRATE_LOCK_KEY = '7241865325823964';

const SPACE = /\s/;
/** Where the m flag's ^ matches after: JavaScript's line terminators. */
const LINE_END = /[\n\r\u2028\u2029]/;

/**
 * Where the tool's own marker expression (src/sqlMigration.ts) `/^\s*--[\s-]*<direction>\s+migration/im`
 * first matches in `text`, or -1: text.search() with it, without its backtracking. That search
 * tries the expression at every line start, and from each one `\s*` and `[\s-]*` may run over the
 * following lines: a run of n blank lines, or of n lines of dashes, costs it n² steps (15 s for a
 * file of 80,000 blank lines). Here every line start in a run shares one answer, so each character
 * is looked at a bounded number of times.
 */
export function findMarker(text: string, direction: 'up' | 'down'): number {
  const rest = new RegExp(`${direction}\\s+migration`, 'iy');
  const n = text.length;
  // The run of [\s-] read last, [runFrom, runEnd), and whether the marker's words follow it.
  let runFrom = -1;
  let runEnd = -1;
  let runMatches = false;
  for (let p = 0; p <= n; ) {
    // ^\s*: the first character after the line start that is not white space.
    let q = p;
    while (q < n && SPACE.test(text[q]!)) q++;
    if (text[q] === '-' && text[q + 1] === '-') {
      // --[\s-]*: the words must start where the run of dashes and white space ends.
      const from = q + 2;
      if (from < runFrom || from > runEnd) {
        runFrom = from;
        runEnd = from;
        while (runEnd < n && (text[runEnd] === '-' || SPACE.test(text[runEnd]!))) runEnd++;
        rest.lastIndex = runEnd;
        runMatches = rest.test(text);
      }
      if (runMatches) return p;
    }
    // Every line start up to q reaches the same q, and fails the same way: the next one to try is after q.
    let next = q;
    while (next < n && !LINE_END.test(text[next]!)) next++;
    p = next + 1;
  }
  return -1;
}
/** Migrations in code, named as the tool names them: a numeric (timestamp) prefix. */
const CODE_MIGRATION = /^\d+.*\.(js|cjs|mjs|ts|cts|mts)$/;
/** The argument every node-pg-migrate migration in code receives. */
const PGM = /\bpgm\b/;

export function parseNodePgMigrate(text: string): { downSql?: string; downLine: number } {
  const up = findMarker(text, 'up');
  const down = findMarker(text, 'down');
  if (down < 0) return { downLine: 1 };
  return { downSql: text.slice(down, up < down ? undefined : up), downLine: lineAt(text, down) };
}

/**
 * The tool's own timestamp of a file (src/migration.ts getNumericPrefix): the name up to its first
 * `_`; 13 digits are milliseconds, 17 digits a UTC time (yyyymmddhhmmssSSS) read as milliseconds,
 * anything else Number(prefix) or 0. So `20240101000000000_a` (17 digits) sorts with the 13-digit
 * millisecond names by the time it means, and `3-add.sql` has timestamp 0.
 */
function timestampOf(name: string): number {
  const prefix = name.split('_')[0]!;
  if (/^\d+$/.test(prefix)) {
    if (prefix.length === 13) return Number(prefix);
    if (prefix.length === 17) {
      const [y, mo, d, h, mi, s, ms] = [0, 4, 6, 8, 10, 12, 14].map((at, i, all) => prefix.slice(at, all[i + 1] ?? 17));
      return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`).valueOf();
    }
  }
  return Number(prefix) || 0;
}

/**
 * The tool's own order of files (src/migration.ts getMigrationFilePaths): timestamps subtracted,
 * then names compared by localeCompare with the tool's options. Kept as the tool writes it, NaN
 * of an impossible date included, so that one sort of the same listing gives the same order.
 */
function compare(a: MigrationFile, b: MigrationFile): number {
  return (
    timestampOf(a.name) - timestampOf(b.name) ||
    a.name.localeCompare(b.name, undefined, { usage: 'sort', numeric: true, sensitivity: 'variant', ignorePunctuation: true })
  );
}

export const nodePgMigrate: MigrationFormat = {
  name: 'node-pg-migrate',
  // node-pg-migrate's --migrations-dir defaults to ./migrations.
  ownDir: 'migrations',
  linearHistory: true,
  async detect(dir, entries) {
    if (await anyFileMatches(dir, entries.filter((n) => n.endsWith('.sql')), (text) => findMarker(text, 'up') >= 0)) return 9;
    const code = entries.filter((n) => CODE_MIGRATION.test(n));
    if (code.length === 0) return 0;
    // Timestamped JS/TS files are the tool's layout; the pgm argument makes it certain.
    return (await anyFileMatches(dir, code, (text) => PGM.test(text))) ? 7 : 2;
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
  layoutWarnings: (_dir, files) => orderWarning('node-pg-migrate', 'the timestamp before the first "_" in the file name (13 digits are milliseconds, 17 a UTC time)', outOfNumericOrder(files)),
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
