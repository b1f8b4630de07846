/**
 * snapshot-db: a pg_dump that can be trusted mid-incident. The manifest's tables, row counts and
 * object counts and the CSV exports are read in the very snapshot pg_dump dumps (pg_export_snapshot +
 * --snapshot), so they describe exactly what the archive holds; every table is locked there before
 * pg_dump starts, so no TRUNCATE or rewrite can change what a later count sees. A schema change
 * that arrives before pg_dump has its own locks would wait for ours with pg_dump queued behind it:
 * the blocker watch sees that and ends the snapshot at once (lock-wait.ts). The small tables'
 * rows are counted while pg_dump runs; the big tables once it is done, while the archive is read
 * back, so their second scan never competes with the dump's. Nothing is reported as a snapshot
 * until it has been read back in full.
 */
import { createHash } from 'node:crypto';
import { lstat, readdir, rm, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { RollbackKitError } from '../core/errors.js';
import { asFileError, createPrivateFile, makeDirectory, makePrivateFolder, PRIVATE_UMASK, probeWritable, writePrivateFile } from '../core/files.js';
import type { Log } from '../core/log.js';
import type { MadeHook } from '../core/made.js';
import { runProcess } from '../core/process.js';
import { FINGERPRINT_VERSION, fingerprint, onDisk, readWhole, type SnapshotFormat } from './archive.js';
import { countRows, qualified, quoteIdent, readCatalog, someNames, tableKey, type TableCount } from './catalog.js';
import { describeTarget, libpqEnv, toolConnectMs, toolConninfo, transactionPoolerRefusal, type ConnectionTarget } from './connection.js';
import { cancelQuery, DEFAULT_LOCK_TIMEOUT_SECONDS, DEFAULT_STALL_MS, isLockTimeout, STALL_CAUSE, lockCycleError, lockTimeoutError, lockTimeoutMs, sessionTag, watchBlockers, type Blocker, type StallWatch } from './lock-wait.js';
import { manifestPathFor, writeManifest, type ExportedTable, type SnapshotManifest } from './manifest.js';
import { exactTablePattern, resolveSchemaPattern, resolveTablePattern, resolveTablesStrict, thereAre, userSchemas, userTables, type TableName } from './patterns.js';
import { findPgTool, majorFromVersionNum, siblingTool, toolErrorLine, warmPgTools, type FindToolOptions, type PgTool } from './pg-tools.js';
import { closeAtStop, closeSession, connect, ConnectStopped, QueryDeadlineExceeded, type QueryDeadline, type Session } from './session.js';
import { readServerIdentity } from './server-identity.js';

/** Tables below this size (1 MB) are counted while pg_dump runs, bigger ones after it. */
const SMALL_TABLE_BYTES = 1 << 20;

/** Schemas that hold migration history: kept even when `schemas` names only the app's own. */
export const MIGRATION_HISTORY_SCHEMAS = ['supabase_migrations', 'drizzle', 'sqitch'];

export interface SnapshotRequest {
  target: ConnectionTarget;
  format: SnapshotFormat;
  /** Parallel pg_dump workers; directory format only. */
  jobs: number;
  outputDir: string;
  /** The input that sets outputDir, named in messages (restore-db's pre-restore snapshot has its own). */
  outputDirInput?: string;
  /** How long to wait for a table lock another session holds before failing, naming that session. */
  lockTimeoutSeconds?: number;
  label?: string;
  /** Schema patterns as pg_dump reads -n / -N: unquoted names fold to lower case, `*` and `?` are wildcards. */
  filter: { schemas: string[]; excludeSchemas: string[] };
  /** Table patterns (table or schema.table) whose rows are left out. */
  excludeTableData: string[];
  exportSince?: Date;
  exportTables: string[];
  exportColumn: string;
  pgDumpPath?: string;
  tools?: FindToolOptions;
  now?: () => Date;
  /**
   * Aborted when the step is being stopped (SIGTERM, SIGINT): pg_dump is ended (or never started),
   * what it wrote is removed, and the snapshot fails saying no snapshot was made (snapshotStopped).
   */
  signal?: AbortSignal;
  /**
   * Hears of each folder and file the snapshot makes (its output folder: prepareSnapshotFolder; and
   * the dump itself, as soon as its path is claimed): a stop removes them again (MadeRecord), also
   * one that does not wait for this snapshot to remove what it wrote. The dump is taken off the
   * record once it is verified and its manifest written: a snapshot is the run's result.
   */
  made?: MadeHook;
  /**
   * The application_name (sessionTag) of a caller's sessions that hold locks the snapshot may wait
   * behind: restore-db's psql, under whose table locks its pre-restore snapshot runs. A session
   * waiting for those while the snapshot waits for it is then a cycle to the snapshot's lock watcher
   * (WatchOptions.callerSessions). The snapshot's own sessions carry a name of their own all the
   * same, so that its watcher can tell pg_dump's backends from the caller's.
   */
  callerSessions?: string;
  /** The bound on each query of the snapshot's own session (SNAPSHOT_DEADLINE unless said: tests give a short one). */
  queryDeadline?: QueryDeadline;
  /**
   * How long pg_dump's backend may be gone from the server, with pg_dump still running and its file
   * not growing, before its connection is taken to have stalled and pg_dump is ended (StallWatch;
   * DEFAULT_STALL_MS unless said: tests give a short one).
   */
  stallAfterMs?: number;
}

/** What pg_dump has written so far: its file's size, or its directory's files' (directory format). */
async function writtenBytes(path: string): Promise<number> {
  const info = await stat(path);
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const name of await readdir(path)) total += (await stat(join(path, name)).catch(() => ({ size: 0 }))).size;
  return total;
}

/** What a stalled pg_dump (StallWatch) was: said by the snapshot's error, and by a restore whose pre-restore snapshot it was. */
export function dumpStalled(goneMs: number): string {
  return `pg_dump's connection stalled. Its session had been gone from the server for ${Math.round(goneMs / 1000)} s (seen from a separate connection) while pg_dump still waited on it and wrote nothing more, so pg_dump was ended`;
}

/** pg_dump's connection stalled (StallWatch): its backend had been gone from the server for `goneMs` while pg_dump still waited on it. */
export class SnapshotStalledError extends RollbackKitError {
  constructor(
    where: string,
    readonly goneMs: number,
  ) {
    super(
      `Snapshot of ${where} stopped: ${dumpStalled(goneMs)}. No snapshot was made: what it had written was removed, and the database was only read, never changed.`,
      `${STALL_CAUSE} and run again.`,
    );
  }
}

/**
 * Each query of the snapshot's own session runs no longer than this (statement_timeout) and its
 * answer is waited for no longer than that and the margin (QueryDeadline): a connection that stalls
 * without closing must not hold the snapshot (and, before a restore, the restore's table locks)
 * forever. An hour, as long as the read back may take (archive.ts): its one long query is the count
 * of the biggest tables' rows, which reads each once, as fast as the read back reads the archive.
 */
export const SNAPSHOT_DEADLINE: QueryDeadline = { statementMs: 60 * 60_000, marginMs: 10_000 };

/** A snapshot stopped before it was verified: nothing of it is kept, so there is none to trust. */
function snapshotStopped(where: string): RollbackKitError {
  return new RollbackKitError(
    `Snapshot of ${where} was stopped before it was verified, so no snapshot was made: pg_dump was ended (or never started) and what it had written was removed.`,
    'Run it again when it can run to its end.',
    { stopped: true },
  );
}

/** A snapshot stopped while its session was still being opened (ConnectStopped). */
function snapshotStoppedConnecting(where: string): RollbackKitError {
  return new RollbackKitError(
    `Snapshot of ${where} was stopped while still connecting to the database, so no snapshot was made: nothing had been sent to the database, so nothing was changed.`,
    'Run it again when it can run to its end.',
    { stopped: true, changed: 'no' },
  );
}

export interface SnapshotResult {
  path: string;
  format: SnapshotFormat;
  sizeBytes: number;
  sha256: string;
  manifestPath: string;
  manifest: SnapshotManifest;
  serverVersion: string;
  exportsDir?: string;
  pgDump: PgTool;
  durationMs: number;
  /** Where the time went: the dump itself and the full read that verifies it. */
  timings: { dumpMs: number; verifyMs: number };
}

/**
 * The snapshot taken before a change (restore-db's pre-restore snapshot, the rollback's and the
 * drill's): the whole database, custom format, no filters and no row exports.
 */
export function wholeDatabaseSnapshot(
  target: ConnectionTarget,
  where: Pick<SnapshotRequest, 'outputDir' | 'outputDirInput' | 'label' | 'lockTimeoutSeconds' | 'tools'>,
): SnapshotRequest {
  return { target, format: 'custom', jobs: 1, filter: { schemas: [], excludeSchemas: [] }, excludeTableData: [], exportTables: [], exportColumn: 'created_at', ...where };
}

const EXTENSIONS: Record<SnapshotFormat, string> = { custom: '.dump', directory: '', plain: '.sql' };

/** Text as a part of a file name: ASCII letters, digits and `_.-` only, so it is safe on every runner. */
function safeName(text: string, allowed = /[^A-Za-z0-9_.-]+/g, fallback = 'db'): string {
  return text.replace(allowed, '-').replace(/^-+|-+$/g, '').slice(0, 60) || fallback;
}

/** What an unquoted identifier is: lower-case ASCII. Such names are file names as they are. */
const PLAIN_NAME = /^[a-z0-9_]+$/;

/**
 * The CSV file of a table's exported rows, one per table: folding names to ASCII makes `заказы` and
 * `платежи`, or "order items" and "order-items", the same text, and the second export would replace
 * the first. `schema.table.csv` when both are plain (lower-case ASCII, no dot, so no other table's
 * name reads the same, even where case is not kept); any other name gets a readable part and a hash
 * of its exact name, and three dots where a plain one has two.
 */
export function exportFileName(t: TableName): string {
  if (PLAIN_NAME.test(t.schema) && PLAIN_NAME.test(t.name)) return `${t.schema}.${t.name}.csv`;
  const word = (text: string, fallback: string) => safeName(text, /[^A-Za-z0-9_-]+/g, fallback).slice(0, 40);
  const hash = createHash('sha256').update(tableKey(t)).digest('hex').slice(0, 12);
  return `${word(t.schema, 'schema')}.${word(t.name, 'table')}.${hash}.csv`;
}

/** `<db>-<label>-<UTC time>`: sorts by time, says what it is, and holds no secret. */
export function snapshotBaseName(database: string, label: string | undefined, at: Date): string {
  const time = at.toISOString().replace(/[-:]/g, '').replace('.', '');
  return [safeName(database), label ? safeName(label) : undefined, time].filter(Boolean).join('-');
}

export function validateRequest(req: SnapshotRequest): void {
  if (req.jobs > 1 && req.format !== 'directory') {
    throw new RollbackKitError(`jobs: ${req.jobs} needs format: directory (pg_dump dumps in parallel only into a directory).`, 'Set format: directory, or leave jobs empty.');
  }
  if (req.exportSince && !req.exportTables.length) {
    throw new RollbackKitError('export-since is set but export-tables is empty.', 'List the tables whose new rows to keep, e.g. export-tables: orders, public.payments.');
  }
  if (req.exportTables.length && !req.exportSince) {
    throw new RollbackKitError('export-tables is set but export-since is empty.', 'Set export-since to the bad deploy\'s time (ISO 8601).');
  }
  if (!/^[A-Za-z_][A-Za-z0-9_$]*$/.test(req.exportColumn)) {
    throw new RollbackKitError(`export-column "${req.exportColumn}" is not a plain column name.`);
  }
}

/** What a snapshot folder we create holds besides the snapshots: git leaves everything in it out. */
export const SNAPSHOT_FOLDER_GITIGNORE = '# rollback-kit snapshots: database dumps, never to be committed.\n*\n';

/**
 * The folder snapshots go into (`input` names where it came from), made ready before any work
 * starts. Every folder it creates is private (PRIVATE_FOLDER_MODE), and the snapshot folder itself,
 * when created here, gets a .gitignore of `*`: the command line's default is in the current folder,
 * usually the user's repository, one `git add -A` from committing a dump of production. A folder
 * that was there is the user's: its mode is left as it is, and nothing is added to it (the
 * snapshot's own files are private wherever they are). `made` hears of each folder and file it
 * creates, as it creates them.
 */
export async function prepareSnapshotFolder(dir: string, input: string, made?: (path: string) => void): Promise<void> {
  const created = await makeDirectory(dir, input, { private: true, made });
  if (created.at(-1) === resolve(dir)) {
    const ignore = join(dir, '.gitignore');
    await writePrivateFile(ignore, SNAPSHOT_FOLDER_GITIGNORE).then(
      () => made?.(ignore),
      (err: unknown) => {
        // Written meanwhile by a run beside this one.
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw asFileError(err, input);
      },
    );
  }
  await probeWritable(dir, input);
}

/** Whether anything (a file, a folder, a broken link) is at `path`. */
async function taken(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * A snapshot path nothing else uses, claimed by creating it (an empty file, or the empty folder
 * pg_dump fills in directory format), private, so a run beside this one cannot pick it too; none of its
 * manifest or exports folder may be there either, since they are written beside it.
 */
async function claimSnapshotPath(dir: string, base: string, format: SnapshotFormat): Promise<string> {
  for (let n = 1; ; n++) {
    const candidate = join(dir, `${base}${n > 1 ? `-${n}` : ''}${EXTENSIONS[format]}`);
    if ((await taken(manifestPathFor(candidate))) || (await taken(`${candidate}.exports`))) continue;
    try {
      // Private from the start: pg_dump writes into this file (keeping its mode) or this folder.
      if (format === 'directory') await makePrivateFolder(candidate);
      else await (await createPrivateFile(candidate)).close();
      return candidate;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/** What the patterns select in this database, resolved once, so pg_dump and the manifest agree. */
interface Selection {
  /** Every schema dumped. */
  schemas: string[];
  /** Passed as --schema (empty: no include filter). */
  include: string[];
  exclude: string[];
  excludeData: TableName[];
  exportTables: TableName[];
}

function pgDumpArgs(req: SnapshotRequest, pgDump: PgTool, path: string, snapshotId: string, sel: Selection, lockTimeout: number, largeObjects: number): string[] {
  const formatFlag = { custom: 'c', directory: 'd', plain: 'p' }[req.format];
  const args = [`--dbname=${toolConninfo(pgDump.major)}`, `--format=${formatFlag}`, '--file', path, '--no-password', `--snapshot=${snapshotId}`, `--lock-wait-timeout=${lockTimeout}`];
  if (req.format === 'directory' && req.jobs > 1) args.push('--jobs', String(req.jobs));
  // A plain script must be able to replace what is there when restore-db feeds it to psql.
  if (req.format === 'plain') args.push('--clean', '--if-exists');
  // pg_dump leaves large objects out once --schema is given (they belong to no schema): see countLargeObjects.
  if (sel.include.length && largeObjects) args.push('-b');
  // Exact quoted names only: pg_dump then dumps precisely what the manifest describes.
  for (const s of sel.include) args.push('--schema', quoteIdent(s));
  for (const s of sel.exclude) args.push('--exclude-schema', quoteIdent(s));
  for (const t of sel.excludeData) args.push('--exclude-table-data', exactTablePattern(t));
  return args;
}

async function resolveSelection(session: Session, req: SnapshotRequest, log: Log): Promise<Selection> {
  const all = await userSchemas(session);
  const add = (list: string[], items: string[]) => items.forEach((i) => list.includes(i) || list.push(i));
  const include: string[] = [];
  for (const p of req.filter.schemas) add(include, await resolveSchemaPattern(session, p, 'schemas'));
  const exclude: string[] = [];
  for (const p of req.filter.excludeSchemas) {
    const found = await resolveSchemaPattern(session, p, 'exclude-schemas');
    if (!found.length) log.warning(`exclude-schemas: "${p}" matches no schema, so it leaves nothing out; ${thereAre(all)}.`);
    add(exclude, found);
  }
  if (include.length) {
    // Migration history goes with the app's schemas, so a restore remembers which migrations ran.
    const history = MIGRATION_HISTORY_SCHEMAS.filter((s) => all.includes(s) && !include.includes(s) && !exclude.includes(s));
    if (history.length) log.info(`Also dumping migration history schema(s) ${history.join(', ')} so a restore keeps it.`);
    add(include, history);
  }
  const schemas = (include.length ? include : all).filter((s) => !exclude.includes(s));
  const excludeData: TableName[] = [];
  for (const p of req.excludeTableData) {
    const found = await resolveTablePattern(session, p);
    if (!found.length) log.warning(`exclude-table-data: "${p}" matches no table, so all its rows are dumped; ${thereAre(await userTables(session))}.`);
    for (const t of found) if (!excludeData.some((e) => e.schema === t.schema && e.name === t.name)) excludeData.push(t);
  }
  const exportTables = req.exportSince ? await resolveTablesStrict(session, req.exportTables, 'export-tables') : [];
  return { schemas, include, exclude, excludeData, exportTables };
}

/**
 * The database's large objects, counted in the dumped snapshot for the manifest, and always in the
 * snapshot: they belong to no schema, so with `schemas` set pg_dump would leave every one of them
 * out without a word, and rows that refer to one by its oid would come back from a restore pointing
 * at whatever that large object holds by then, or at nothing. A snapshot taken to roll back keeps
 * them (pg_dump -b): an extra large object in it loses nothing, a missing one loses its
 * content. A plain script is refused when there are any: pg_dump writes them as statements that
 * commit on their own, so restore-db could not restore it in one transaction.
 */
async function countLargeObjects(session: Session, req: SnapshotRequest, sel: Selection, log: Log): Promise<number> {
  const count = Number((await session.query<{ n: string }>('SELECT count(*) AS n FROM pg_catalog.pg_largeobject_metadata')).rows[0]!.n);
  if (!count) return 0;
  if (req.format === 'plain') {
    throw new RollbackKitError(
      `format: plain cannot hold this database's ${count} large object${count > 1 ? 's' : ''} in a form restore-db can restore: a plain script writes them with statements that commit on their own, so it cannot be restored in one transaction.`,
      'Use format: custom (the default) or directory, which restore-db restores with the large objects in the same transaction. Nothing was kept.',
    );
  }
  if (sel.include.length) {
    log.info(`Also dumping the database's ${count} large object${count > 1 ? 's' : ''}: they belong to no schema, so schemas alone would leave them out, and rows that refer to them could not be restored with them.`);
  }
  return count;
}

/** Tables locked per statement: one LOCK names many, a few hundred keep each statement small. */
const LOCK_BATCH = 500;

/** ACCESS SHARE on every table, as pg_dump takes it: no TRUNCATE, rewrite or DROP until the transaction ends. */
async function lockTables(session: Session, tables: TableName[]): Promise<void> {
  for (let at = 0; at < tables.length; at += LOCK_BATCH) {
    const names = tables.slice(at, at + LOCK_BATCH).map((t) => qualified(t.schema, t.name));
    await session.query(`LOCK TABLE ${names.join(', ')} IN ACCESS SHARE MODE`);
  }
}

/** What to do about a permission the server refused (SQLSTATE 42501), as pg_dump needs it too. */
function privilegeHint(user: string, message: string): string {
  const who = quoteIdent(user);
  if (/large object/i.test(message)) {
    return `pg_dump must read every large object: GRANT SELECT ON LARGE OBJECT <oid> TO ${who}; for each, or snapshot as their owner (or a superuser). Nothing was kept.`;
  }
  if (/row-level security/i.test(message)) {
    return `pg_dump must read every row: let user ${who} bypass row-level security (ALTER ROLE ${who} BYPASSRLS), or snapshot as the tables' owner. Nothing was kept.`;
  }
  return `pg_dump must read everything it dumps: GRANT USAGE ON SCHEMA <schema> TO ${who}; GRANT SELECT ON ALL TABLES IN SCHEMA <schema> TO ${who}; GRANT SELECT ON ALL SEQUENCES IN SCHEMA <schema> TO ${who}; (on PostgreSQL 14 or later GRANT pg_read_all_data TO ${who} covers every schema), or leave the schema out with exclude-schemas. Nothing was kept.`;
}

/** An error PostgreSQL itself sent (a severity and a five-character SQLSTATE), not one of the driver or the file system. */
function isServerError(err: unknown): err is { code: string; message: string; hint?: string } {
  const e = err as { code?: unknown; severity?: unknown; message?: unknown } | undefined;
  return typeof e?.severity === 'string' && typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && typeof e.message === 'string';
}

/** A failure of our own session's work (listing, locking, counting, exporting) in the server's words. */
function sideError(err: unknown, where: string, user: string, log: Log, dryRun = false): unknown {
  if (err instanceof RollbackKitError || err instanceof QueryDeadlineExceeded || isLockTimeout((err as { code?: string }).code)) return err;
  const e = err as { message?: string; hint?: string; code?: string };
  if (typeof e.message !== 'string') return err;
  // A dry run runs no pg_dump and writes nothing: its failure says so, not "Nothing was kept".
  const next = e.code === '42501' ? privilegeHint(user, e.message) : `${dryRun ? 'It wrote nothing' : 'Nothing was kept'}; fix the cause and run again.`;
  return new RollbackKitError(`${dryRun ? 'Dry run of the snapshot' : 'Snapshot'} of ${where} failed: ${log.redact(e.message)}${e.hint ? ` (HINT: ${log.redact(e.hint)})` : ''}.`, next);
}

/**
 * Every schema, table and sequence pg_dump will read must be readable by the user: checked before
 * any lock is taken, so a missing grant is named with the GRANT that gives it, not met halfway
 * through as "permission denied" in the middle of a locked transaction.
 */
async function checkReadable(session: Session, schemas: string[]): Promise<void> {
  const { rows } = await session.query<{ kind: string; name: string }>(
    `SELECT 'user' AS kind, quote_ident(current_user) AS name
     UNION ALL
     SELECT 'schema', quote_ident(n.nspname) FROM pg_namespace n
      WHERE n.nspname = ANY($1::text[]) AND NOT has_schema_privilege(n.oid, 'USAGE')
     UNION ALL
     SELECT CASE c.relkind WHEN 'S' THEN 'sequence' ELSE 'table' END, quote_ident(n.nspname) || '.' || quote_ident(c.relname)
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'p', 'S') AND has_schema_privilege(n.oid, 'USAGE')
        AND NOT has_table_privilege(c.oid, 'SELECT')
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
      ORDER BY 1, 2`,
    [schemas],
  );
  if (rows.length === 1) return;
  const of = (kind: string) => rows.filter((r) => r.kind === kind).map((r) => r.name);
  const [[who], noUsage, tables, sequences] = [of('user'), of('schema'), of('table'), of('sequence')];
  const missing = [
    noUsage.length ? `USAGE on schema ${someNames(noUsage)}` : '',
    tables.length ? `SELECT on table ${someNames(tables)}` : '',
    sequences.length ? `SELECT on sequence ${someNames(sequences)}` : '',
  ].filter(Boolean);
  const grants = [
    ...noUsage.map((n) => `GRANT USAGE ON SCHEMA ${n} TO ${who};`),
    tables.length + sequences.length ? `GRANT SELECT ON ${[...tables, ...sequences].join(', ')} TO ${who};` : '',
  ].filter(Boolean);
  const grantText = grants.join(' ');
  // A long list is no help to paste: one role that reads everything is.
  const grant = grantText.length > 400 ? `GRANT pg_read_all_data TO ${who}; (PostgreSQL 14 or later)` : grantText;
  throw new RollbackKitError(
    `User ${who} cannot read everything the snapshot must hold: it lacks ${missing.join('; ')}.`,
    `Grant it: ${grant} Or leave those schemas out with exclude-schemas. Nothing was kept.`,
  );
}

async function checkExportColumn(session: Session, tables: TableName[], column: string): Promise<void> {
  for (const t of tables) {
    const { rows } = await session.query<{ ok: boolean }>(
      'SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND column_name = $3) AS ok',
      [t.schema, t.name, column],
    );
    if (!rows[0]!.ok) throw new RollbackKitError(`Table ${t.schema}.${t.name} has no column "${column}" to select new rows by.`, 'Set export-column to its creation-time column.');
  }
}

/**
 * Each table's rows newer than `since`, one CSV file each, in creation order. The folder is new
 * and every file is created exclusively: an export never replaces a file, its own or another's.
 */
async function exportRows(session: Session, tables: TableName[], column: string, since: Date, dir: string, made?: () => void): Promise<ExportedTable[]> {
  await makePrivateFolder(dir);
  made?.();
  const out: ExportedTable[] = [];
  for (const t of tables) {
    const file = exportFileName(t);
    const table = qualified(t.schema, t.name);
    // Ordered by the column that selects the rows: the table's first column may be of a type
    // without an ordering (json). toISOString() is digits and punctuation only: safe to inline
    // where COPY takes no parameters.
    const sql = `COPY (SELECT * FROM ${table} WHERE ${table}.${quoteIdent(column)} > '${since.toISOString()}' ORDER BY ${table}.${quoteIdent(column)}) TO STDOUT WITH (FORMAT csv, HEADER true)`;
    const { to: copyTo } = await import('pg-copy-streams');
    const stream = session.query(copyTo(sql));
    await pipeline(stream, (await createPrivateFile(join(dir, file))).createWriteStream());
    out.push({ table: `${t.schema}.${t.name}`, file, rows: stream.rowCount ?? 0 });
  }
  return out;
}

/** What takeSnapshot and its dry run refuse before they touch anything; the target as it is printed. */
function refuseUnfitRequest(req: SnapshotRequest): string {
  validateRequest(req);
  const pooler = transactionPoolerRefusal(req.target, "pg_dump's one session for the whole dump");
  if (pooler) throw pooler;
  return describeTarget(req.target);
}

/** The session a snapshot (or its dry run) reads through. */
async function snapshotSession(req: SnapshotRequest, where: string, deadline: QueryDeadline): Promise<Session> {
  // Which pg_dump fits is known only once the server answers; asking the installed ones meanwhile is free.
  if (!req.pgDumpPath) warmPgTools(['pg_dump', 'pg_restore'], req.tools);
  return connect(req.target, { queryDeadline: deadline, signal: req.signal }).catch((err: unknown) => {
    throw err instanceof ConnectStopped ? snapshotStoppedConnecting(where) : err;
  });
}

export interface SnapshotPreview {
  target: string;
  serverVersion: string;
  pgDump: { version: string; path: string };
  format: SnapshotFormat;
  outputDir: string;
  schemas: string[];
  /** The tables whose rows it would dump and count, as `schema.table`. */
  tables: string[];
  largeObjects: number;
  exportTables: string[];
}

/**
 * A dry run of takeSnapshot: what it checks before it writes anything, checked the same way, and
 * nothing written (no folder, no file, no lock taken). It connects, finds the pg_dump (and
 * pg_restore) that fit the server's version, resolves the schemas and tables the request names,
 * checks that the user may read them and the export column, and lists the tables it would dump.
 * A database that cannot be reached or a request the snapshot would refuse fails here too.
 */
export async function previewSnapshot(req: SnapshotRequest, log: Log): Promise<SnapshotPreview> {
  const where = refuseUnfitRequest(req);
  const session = await snapshotSession(req, where, req.queryDeadline ?? SNAPSHOT_DEADLINE);
  // It only reads: a stop ends its session at once, whatever it waits for.
  const unwatch = closeAtStop(session, req.signal);
  try {
    const { rows } = await session.query<{ num: string; version: string }>("SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS version");
    const major = majorFromVersionNum(Number(rows[0]!.num));
    const serverVersion = rows[0]!.version.split(' ')[0]!;
    const pgDump = await findPgTool('pg_dump', major, { ...req.tools, explicitPath: req.pgDumpPath });
    if (req.format !== 'plain') await siblingTool(pgDump, 'pg_restore', major, req.tools);
    log.info(`Server ${where} runs PostgreSQL ${serverVersion}; the snapshot would use pg_dump ${pgDump.version} (${pgDump.path}).`);
    const selection = await resolveSelection(session, req, log);
    await checkExportColumn(session, selection.exportTables, req.exportColumn);
    const catalog = await readCatalog(session, selection.schemas);
    await checkReadable(session, selection.schemas);
    const largeObjects = await countLargeObjects(session, req, selection, log);
    return {
      target: where,
      serverVersion,
      pgDump: { version: pgDump.version, path: pgDump.path },
      format: req.format,
      outputDir: req.outputDir,
      schemas: selection.schemas,
      tables: catalog.tables.map((t) => `${t.schema}.${t.name}`),
      largeObjects,
      exportTables: selection.exportTables.map((t) => `${t.schema}.${t.name}`),
    };
  } catch (err) {
    // A dry run runs no pg_dump and writes nothing: its stop and its failures say so, not a snapshot's words.
    if (req.signal?.aborted) throw new RollbackKitError(`Dry run of the snapshot of ${where} was stopped: it only reads, and it wrote nothing.`, 'Run it again when it can run to its end.', { stopped: true });
    if (err instanceof QueryDeadlineExceeded) throw new RollbackKitError(`Dry run of the snapshot of ${where} stopped: a query of its session got ${err.message}.`, 'Check the network path to the database and run again.');
    throw isServerError(err) ? sideError(err, where, req.target.user, log, true) : err;
  } finally {
    unwatch();
    closeSession(session);
  }
}

export async function takeSnapshot(req: SnapshotRequest, log: Log): Promise<SnapshotResult> {
  const started = Date.now();
  const now = req.now ?? (() => new Date());
  const where = refuseUnfitRequest(req);
  await prepareSnapshotFolder(req.outputDir, req.outputDirInput ?? 'output-dir', req.made);
  const lockTimeoutSeconds = req.lockTimeoutSeconds ?? DEFAULT_LOCK_TIMEOUT_SECONDS;
  const lockTimeout = lockTimeoutMs(lockTimeoutSeconds);
  // pg_dump and our counting session carry one name, so a watcher can see who blocks them.
  const tag = sessionTag('snapshot');

  const deadline = req.queryDeadline ?? SNAPSHOT_DEADLINE;
  const session = await snapshotSession(req, where, deadline);
  let path: string | undefined;
  let exportsDir: string | undefined;
  let cancelOnStop: (() => void) | undefined;
  try {
    // row_security off, as pg_dump sets it: a count that row-level security would cut fails instead.
    // No parallel workers for the counts: starting them costs more than a count of one table's own
    // rows, and they take the cores the verification's pg_restore runs on.
    const { rows } = await session.query<{ num: string; version: string; pid: number }>(
      `SELECT set_config('application_name', $1, false), set_config('lock_timeout', $2, false), set_config('row_security', 'off', false),
              set_config('max_parallel_workers_per_gather', '0', false), set_config('statement_timeout', $3, false),
              current_setting('server_version_num') AS num, current_setting('server_version') AS version, pg_backend_pid() AS pid`,
      [tag, String(lockTimeout), String(deadline.statementMs)],
    );
    // The session only reads: a stop cancels whatever it waits for (a table lock, up to lock-timeout)
    // or runs (a count) at once, instead of after the stopped step's grace time.
    const pid = rows[0]!.pid;
    cancelOnStop = () => void cancelQuery(req.target, pid, log);
    req.signal?.addEventListener('abort', cancelOnStop, { once: true });
    const versionNum = Number(rows[0]!.num);
    const serverVersion = rows[0]!.version.split(' ')[0]!;
    const major = majorFromVersionNum(versionNum);
    const identity = await readServerIdentity(session, req.target);
    if (identity.systemIdentifier === null) {
      log.warning(`${where} does not let user "${req.target.user}" read its system identifier (pg_control_system()): the manifest records host, port and database only, so a later run can match this snapshot to a database only by those.`);
    }
    const pgDump = await findPgTool('pg_dump', major, { ...req.tools, explicitPath: req.pgDumpPath });
    const pgRestore = req.format === 'plain' ? undefined : await siblingTool(pgDump, 'pg_restore', major, req.tools);
    log.info(`Server ${where} runs PostgreSQL ${serverVersion}; using pg_dump ${pgDump.version} (${pgDump.path}).`);

    const selection = await resolveSelection(session, req, log);
    await checkExportColumn(session, selection.exportTables, req.exportColumn);

    const at = now();
    // A file name is printed and uploaded: built from redacted text, so it can never carry a secret.
    const base = snapshotBaseName(log.redact(req.target.database), req.label && log.redact(req.label), at);
    path = await claimSnapshotPath(req.outputDir, base, req.format);
    // A directory-format dump is a folder of pg_dump's files, all of them this run's.
    const kept = req.made?.(path, req.format === 'directory');
    const exportsMade: { kept?: (() => void) | void } = {};

    await session.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const snapshotId = (await session.query<{ id: string }>('SELECT pg_export_snapshot() AS id')).rows[0]!.id;
    const largeObjects = await countLargeObjects(session, req, selection, log);
    // The watcher connects while the tables are locked (its first look done before pg_dump starts): a
    // lock waited for is waited for far longer than a connection takes, and lock-timeout bounds that wait either way.
    // A session that asks for a table we hold while pg_dump queues behind it (an ALTER TABLE that
    // arrives before pg_dump has its locks) would have each wait for the other until lock-timeout,
    // and every query on that table behind both: the watcher ends ours at once instead.
    let cycle: Blocker[] | undefined;
    // pg_dump's backends are every one named as ours but this session's: a caller's carry a name of their own.
    let dumping = false;
    /** When pg_dump's first backend is due: its start plus its connect timeout. */
    let dumpDueAt: number | undefined;
    let stalled: number | undefined;
    const endDump = new AbortController();
    const stall: StallWatch = {
      backends: (pids) => pids.filter((p) => p !== pid),
      // In parallel, its leader's and one per worker.
      backendsInAll: req.jobs > 1 ? req.jobs + 1 : undefined,
      running: () => dumping,
      dueAt: () => dumpDueAt,
      afterMs: req.stallAfterMs ?? DEFAULT_STALL_MS,
      progress: () => writtenBytes(path!),
      onStall: (goneMs) => {
        stalled = goneMs;
        log.warning(`pg_dump's session has been gone from ${where} for ${Math.round(goneMs / 1000)} s while pg_dump still waits on its connection: ending pg_dump.`);
        endDump.abort();
      },
    };
    const watching = watchBlockers(req.target, tag, log, { onCycle: (blockers) => (cycle = blockers), stall, callerSessions: req.callerSessions, signal: req.signal });
    const cycleError = (blockers: Blocker[]) => lockCycleError(`Snapshot of ${where}`, blockers, 'Nothing was kept.', log);
    let stopped: Promise<Blocker[]> | undefined;
    const stopWatching = () => (stopped ??= watching.then((w) => w.stop()));
    const done = await (async () => {
      try {
        // Every table is locked (ACCESS SHARE, as pg_dump locks them) in the exported snapshot before
        // pg_dump starts, and stays locked until the last count: a TRUNCATE or a rewrite, which older
        // snapshots do not see through, cannot slip in between the dump and a count.
        const catalog = await readCatalog(session, selection.schemas);
        await checkReadable(session, selection.schemas);
        await lockTables(session, catalog.tables);
        if (req.signal?.aborted) throw snapshotStopped(where);
        log.info(`Dumping ${where} (${req.format} format${req.jobs > 1 ? `, ${req.jobs} jobs` : ''}) to ${path} …`);

        // The watcher has looked before pg_dump starts (or given up connecting): it watches pg_dump from
        // its first backend on, and one that ends before a look could see it is gone all the same once
        // pg_dump's connect timeout has passed (StallWatch.dueAt). It connected while the catalogue was
        // read and the tables locked, so this rarely waits.
        await watching;
        const dumpStarted = Date.now();
        dumpDueAt = dumpStarted + toolConnectMs(req.target);
        dumping = true;
        const dump = runProcess(pgDump.path, pgDumpArgs(req, pgDump, path, snapshotId, selection, lockTimeout, largeObjects), {
          env: { ...libpqEnv(req.target), PGAPPNAME: tag },
          // What pg_dump creates itself (directory format's files) is private from its first byte.
          umask: PRIVATE_UMASK,
          signal: req.signal ? AbortSignal.any([req.signal, endDump.signal]) : endDump.signal,
        }).finally(() => (dumping = false));
        // Counting the small tables and exporting in the exported snapshot while pg_dump copies the same
        // rows. A small table's count costs opening it, which pg_dump's per-table work can share; a big
        // one's is a scan of every row, kept until pg_dump is done so the two never compete.
        const sideWork = (async (): Promise<{ small: TableCount[]; exported: ExportedTable[] }> => {
          const small = await countRows(session, catalog.tables.filter((t) => t.bytes < SMALL_TABLE_BYTES), selection.excludeData);
          let exported: ExportedTable[] = [];
          if (req.exportSince) {
            exportsDir = join(req.outputDir, `${basename(path!)}.exports`);
            // Its CSV files are all this run's: a stop takes the folder whole until the snapshot is verified.
            exported = await exportRows(session, selection.exportTables, req.exportColumn, req.exportSince, exportsDir, () => (exportsMade.kept = req.made?.(exportsDir!, true)));
          }
          return { small, exported };
        })();
        const [dumped, side] = await Promise.allSettled([dump, sideWork]);
        if (dumped.status === 'rejected' || dumped.value.code !== 0 || side.status === 'rejected') {
          const [blockers] = await Promise.all([stopWatching(), session.query('ROLLBACK').catch(() => undefined)]);
          // pg_dump ended by the stop: its exit says only that it was killed.
          if (req.signal?.aborted) throw snapshotStopped(where);
          if (stalled !== undefined) throw new SnapshotStalledError(where, stalled);
          if (cycle) throw cycleError(cycle);
          const lockWait =
            (dumped.status === 'fulfilled' && dumped.value.code !== 0 && isLockTimeout(dumped.value.stderr)) ||
            (side.status === 'rejected' && isLockTimeout((side.reason as { code?: string }).code));
          if (lockWait) throw lockTimeoutError(`Snapshot of ${where}`, lockTimeoutSeconds, blockers, 'Nothing was kept.', log);
          // Our own query's reason first: its failure ends the exported snapshot, and pg_dump then only
          // says it could not import it.
          if (side.status === 'rejected') throw sideError(side.reason, where, req.target.user, log);
          if (dumped.status === 'rejected') throw new RollbackKitError(`Could not run pg_dump (${pgDump.path}): ${(dumped.reason as Error).message}.`);
          const why = toolErrorLine(dumped.value.stderr) || 'no message';
          const next = /permission denied|row-level security/i.test(why) ? privilegeHint(req.target.user, why) : 'Nothing was kept; fix the cause and run again.';
          throw new RollbackKitError(`pg_dump of ${where} failed: ${log.redact(why)}.`, next);
        }
        const dumpMs = Date.now() - dumpStarted;
        // Not verified yet, so not a snapshot: the full read back would outlast the grace a stopped step has.
        if (req.signal?.aborted) {
          await session.query('ROLLBACK').catch(() => undefined);
          throw snapshotStopped(where);
        }
        const verifyStarted = Date.now();
        // The big tables are counted in the dump's snapshot, still open and still locked.
        const counting = (async () => {
          try {
            const big = await countRows(session, catalog.tables.filter((t) => t.bytes >= SMALL_TABLE_BYTES), selection.excludeData);
            const counted = new Map([...side.value.small, ...big].map((t) => [tableKey(t), t]));
            return catalog.tables.map((t) => ({ ...counted.get(tableKey(t))!, oid: t.oid }));
          } catch (err) {
            throw sideError(err, where, req.target.user, log);
          } finally {
            await session.query('COMMIT').catch(() => undefined);
          }
        })();
        // Hashing here, pg_restore's full read in its own process and the server's counting run at once.
        // They read the file apart: the same identity (onDisk) before and after proves they read the same bytes.
        const identity = await onDisk(path!);
        const [fp, , tables] = await Promise.all([fingerprint(path!, FINGERPRINT_VERSION, req.signal), readWhole(path!, req.format, pgRestore?.path ?? 'pg_restore'), counting]);
        if ((await onDisk(path!)) !== identity) {
          throw new RollbackKitError(
            `Snapshot ${path} changed while it was being verified, right after pg_dump wrote it: its files were replaced, written or cut short during the read back.`,
            'Something else writes to that path (another step or job using the same output-dir?): give this step a folder of its own and run again. Nothing was kept.',
          );
        }
        return { ...fp, tables, dumpMs, verifyMs: Date.now() - verifyStarted, exported: side.value.exported, objects: catalog.objects };
      } catch (err) {
        await stopWatching();
        if (cycle) throw cycleError(cycle);
        if (!isLockTimeout((err as { code?: string }).code)) throw err;
        throw lockTimeoutError(`Snapshot of ${where}`, lockTimeoutSeconds, await stopWatching(), 'Nothing was kept.', log);
      } finally {
        await stopWatching();
      }
    })();
    const { sha256, sizeBytes, tables, dumpMs, verifyMs } = done;

    const manifest: SnapshotManifest = {
      tool: 'rollback-kit',
      manifestVersion: 1,
      createdAt: at.toISOString(),
      // What the connection string said goes through the redactor, as the file name does: the
      // manifest is uploaded, and a database named like its password must not show it.
      label: req.label ? log.redact(req.label) : null,
      database: log.redact(req.target.database),
      target: log.redact(where),
      server: { version: serverVersion, versionNum, major, host: log.redact(identity.host), port: identity.port, systemIdentifier: identity.systemIdentifier },
      pgDump: { version: pgDump.version, major: pgDump.major },
      format: req.format,
      file: basename(path),
      sizeBytes,
      sha256,
      fingerprint: FINGERPRINT_VERSION,
      filter: {
        schemas: selection.schemas,
        excludeSchemas: selection.exclude,
        excludeTableData: selection.excludeData.map((t) => `${t.schema}.${t.name}`),
        everySchema: !selection.include.length,
      },
      tables,
      rowCounts: 'dumped',
      objects: done.objects,
      largeObjects,
      exports: req.exportSince ? { since: req.exportSince.toISOString(), column: req.exportColumn, dir: basename(exportsDir!), tables: done.exported } : null,
      durationMs: Date.now() - started,
    };
    const manifestPath = await writeManifest(path, manifest);
    kept?.();
    exportsMade.kept?.();
    log.info(`Snapshot verified: ${sizeBytes} bytes, sha256 ${sha256}, ${manifest.tables.length} tables (dump ${dumpMs} ms, verification ${verifyMs} ms).`);
    return {
      path,
      format: req.format,
      sizeBytes,
      sha256,
      manifestPath,
      manifest,
      serverVersion,
      exportsDir,
      pgDump,
      durationMs: Date.now() - started,
      timings: { dumpMs, verifyMs },
    };
  } catch (err) {
    // Nothing half-done: a snapshot that did not verify is not left where someone could trust it.
    if (path) await rm(path, { recursive: true, force: true }).catch(() => undefined);
    if (exportsDir) await rm(exportsDir, { recursive: true, force: true }).catch(() => undefined);
    // Whatever a stop interrupted (a query, pg_dump, the read back) failed because of it.
    if (req.signal?.aborted) throw snapshotStopped(where);
    if (err instanceof QueryDeadlineExceeded) {
      throw new RollbackKitError(`Snapshot of ${where} stopped: a query of its own session got ${err.message}.`, 'Nothing was kept. Check the network path to the database (a proxy or NAT box that stops forwarding) and run again.');
    }
    // A query the server refused (reading the catalogue, locking, resolving names) in its words,
    // never as an unexpected error.
    throw isServerError(err) ? sideError(err, where, req.target.user, log) : asFileError(err, 'output-dir');
  } finally {
    if (cancelOnStop) req.signal?.removeEventListener('abort', cancelOnStop);
    closeSession(session);
  }
}
