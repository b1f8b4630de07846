/**
 * dbmate: one file per migration with `-- migrate:up` and `-- migrate:down` sections;
 * `transaction:false` on the marker line opts out of the transaction. Its rollback deletes the
 * version from schema_migrations in the same transaction as the down SQL; it takes no lock.
 * The table is `--migrations-table` (DBMATE_MIGRATIONS_TABLE), in its own schema when qualified,
 * else in the first schema of the URL's search_path, else the current schema (pkg/driver/postgres).
 * The URL's search_path reaches the server as a session setting, so the migrations run under it.
 *
 * The rest follows dbmate's own rules (pkg/dbmate/db.go and migration.go, checked against its
 * binary), not what they look like:
 * - A migration is a file named `<digits><anything>.sql`; the digits are its version.
 * - Migrations are in the order of their file names compared as text, not of their versions:
 *   `10_ten.sql` comes before `9_nine.sql`, so `dbmate rollback` reverts `9_nine.sql` first. An
 *   applied version without a file is not a migration to dbmate.
 * - A file is one or more sections, each from a `-- migrate:up` line to the next one, each with
 *   one `-- migrate:down` line; rollback runs every section's down, in file order.
 * - A marker starts a line and is followed by the line's end or by white space and options:
 *   `-- migrate:up-to-date check` is a comment inside the SQL, not a marker.
 */
import { anyFileMatches, compareNames, listFiles, outOfNumericOrder, readText } from '../files.js';
import type { MigrationFile, MigrationFormat } from '../types.js';
import { currentSchema, firstSearchPathSchema, splitTableOption, versionTableTracking } from '../tracking.js';
import { lineAt } from '../sql-split.js';

// Go's \s and \S (RE2: ASCII only), and its (?m) ^ and $, where only \n ends a line. JavaScript's
// \s also takes \v and Unicode spaces, and its m flag also ends lines at \r, U+2028 and U+2029.
const GO_SPACE = '[\\t\\n\\f\\r ]';
const GO_NON_SPACE = '[^\\t\\n\\f\\r ]';
/** dbmate's `(?m)^--\s*migrate:<dir>(\s*$|\s+\S+)`. */
const markerSource = (dir: 'up' | 'down') => `(?<=^|\\n)--${GO_SPACE}*migrate:${dir}(?:${GO_SPACE}*(?=\\n|$)|${GO_SPACE}+${GO_NON_SPACE}+)`;
const UP_MARKER = new RegExp(markerSource('up'));
const starts = (text: string, dir: 'up' | 'down') => [...text.matchAll(new RegExp(markerSource(dir), 'g'))].map((m) => m.index);

/** dbmate's `^(\d+).*\.sql$`, `.` being anything but \n as in Go. */
const MIGRATION_FILE = /^(\d+)[^\n]*\.sql$/;

/** What Go's strings.TrimSpace trims: Unicode white space. */
const GO_TRIM = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;

/**
 * The options on a block's marker line, read as dbmate reads them: the first line, the marker cut
 * off, split at white space into `key:value` pairs; anything else is ignored, and a later pair wins.
 */
function markerOptions(block: string): Map<string, string> {
  const options = new Map<string, string>();
  const line = block.split('\n', 1)[0]!.replace(new RegExp(`^--${GO_SPACE}*migrate:(up|down)`), '').replace(GO_TRIM, '');
  if (!line) return options;
  for (const pair of line.split(new RegExp(`${GO_SPACE}+`))) {
    const parts = pair.split(':');
    if (parts.length === 2) options.set(parts[0]!, parts[1]!);
  }
  return options;
}

const onlyCommentsOrBlank = (line: string) => new RegExp(`^${GO_SPACE}*(--|$)`).test(line);

/** What a dbmate file gives a MigrationFile: its down SQL, or why there is none to run. */
export interface DbmateDown {
  downSql?: string;
  downLine: number;
  noTransaction: boolean;
  missingReason?: string;
}

/**
 * The down SQL dbmate's rollback runs for a file: every section's down block, in file order. When
 * there are several, each up block between them is blanked (lines kept, so errors point at the
 * file's own lines) behind a `;`, as dbmate sends each block as a query of its own. A file dbmate
 * refuses to read gets no down SQL and the reason, as its rollback would stop there.
 */
export function parseDbmate(text: string): DbmateDown {
  const refused = (why: string): DbmateDown => ({ downLine: 1, noTransaction: false, missingReason: `${why}: dbmate refuses to read the file, and its own rollback stops there too` });
  const ups = starts(text, 'up');
  if (ups.length === 0) return starts(text, 'down').length ? refused('no "-- migrate:up" line') : { downLine: 1, noTransaction: false };
  const before = text.slice(0, ups[0]).split('\n');
  const statement = before.findIndex((line) => !onlyCommentsOrBlank(line));
  if (statement >= 0) return refused(`line ${statement + 1}: SQL before the first "-- migrate:up" line`);
  const sections = ups.map((start, i) => ({ start, end: ups[i + 1] ?? text.length }));
  const downs: number[] = [];
  for (const s of sections) {
    const found = starts(text.slice(s.start, s.end), 'down').map((at) => s.start + at);
    if (found.length > 1) return refused(`line ${lineAt(text, found[1]!)}: a second "-- migrate:down" line with no "-- migrate:up" line before it`);
    if (found.length === 0) {
      return sections.length === 1 ? { downLine: 1, noTransaction: false } : refused(`line ${lineAt(text, s.start)}: a "-- migrate:up" section with no "-- migrate:down" line`);
    }
    downs.push(found[0]!);
  }
  // From the end of the first down marker's line: dbmate sends that line too, but it is a comment.
  const lineEnd = text.indexOf('\n', downs[0]!);
  const start = lineEnd < 0 ? text.length : lineEnd;
  let downSql = '';
  let at = start;
  for (let i = 1; i < sections.length; i++) {
    const up = text.slice(sections[i]!.start, downs[i]);
    downSql += text.slice(at, sections[i]!.start) + ';' + up.slice(1).replace(/[^\n]/g, ' ');
    at = downs[i]!;
  }
  downSql += text.slice(at);
  const noTransaction = downs.some((d, i) => markerOptions(text.slice(d, sections[i]!.end)).get('transaction') === 'false');
  return { downSql, downLine: lineAt(text, start), noTransaction };
}

/** dbmate's order: file names compared byte by byte, as Go compares strings. */
const byFileName = (a: { name: string }, b: { name: string }): number => compareNames(a.name, b.name);

async function load(dir: string): Promise<MigrationFile[]> {
  const out: MigrationFile[] = [];
  for (const name of await listFiles(dir)) {
    const version = MIGRATION_FILE.exec(name)?.[1];
    if (!version) continue;
    const text = (await readText(dir, name)) ?? '';
    const parsed = parseDbmate(text);
    out.push({ version, id: version, name, addedPath: name, downFile: parsed.downSql === undefined ? undefined : name, ...parsed });
  }
  return out.sort(byFileName);
}

/**
 * Applied versions in dbmate's order: where their files sort (the last file with that version, the
 * one dbmate's rollback picks). A version with no file, which dbmate does not see, sorts by itself.
 */
export function inDbmateOrder(versions: string[], files: MigrationFile[]): string[] {
  const nameOf = new Map(files.map((f) => [f.id, f.name]));
  return versions.map((v) => ({ v, name: nameOf.get(v) ?? v })).sort(byFileName).map((x) => x.v);
}

export const dbmate: MigrationFormat = {
  name: 'dbmate',
  ownDir: 'db/migrations',
  async detect(dir, entries) {
    const sql = entries.filter((n) => n.endsWith('.sql'));
    return (await anyFileMatches(dir, sql, (text) => UP_MARKER.test(text))) ? 10 : 0;
  },
  load,
  layoutWarnings(_dir, files) {
    const pair = outOfNumericOrder(files);
    if (!pair) return [];
    const [first, second] = pair;
    return [
      `dbmate orders migrations by file name compared as text, not by version number: ${first.name} comes before ${second.name}, so \`dbmate rollback\` reverts ${second.name} before ${first.name}. ` +
        'This run follows dbmate\'s order, as dbmate would. Versions of one width (dbmate new writes 14-digit timestamps) keep the two orders the same.',
    ];
  },
  settings(config) {
    const option = splitTableOption(config.migrationsTable ?? 'schema_migrations', 'dbmate');
    const searchPath = config.params.search_path;
    return {
      searchPath,
      trackingTable: async (session) => ({ schema: option.schema ?? firstSearchPathSchema(searchPath) ?? (await currentSchema(session)), name: option.name }),
    };
  },
  tracking(table) {
    return {
      ...versionTableTracking(table),
      appliedIds: (rows, files) => inDbmateOrder(rows.map((r) => String(r.version)), files),
    };
  },
};
