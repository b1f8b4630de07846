/**
 * The manifest written next to every snapshot: what was dumped, from which server, its sha256, and
 * the catalogue (row counts per table, object counts) that restore-db and smoke checks compare with.
 */
import { RollbackKitError } from '../core/errors.js';
import { FileRefused, readRegularFile, writeFileAtomic } from '../core/files.js';
import { FORMATS, type FingerprintVersion, type SnapshotFormat } from './archive.js';
import type { ObjectCounts, TableCount } from './catalog.js';

export interface ExportedTable {
  table: string;
  file: string;
  rows: number;
}

export interface SnapshotManifest {
  tool: 'rollback-kit';
  manifestVersion: 1;
  createdAt: string;
  label: string | null;
  database: string;
  /** host:port/db; never a secret. */
  target: string;
  /**
   * The server the snapshot came from. host, port and systemIdentifier (pg_control_system(); null
   * when the server did not let the user read it) are absent from manifests written before they
   * were recorded.
   */
  server: { version: string; versionNum: number; major: number; host?: string; port?: number; systemIdentifier?: string | null };
  pgDump: { version: string; major: number };
  format: SnapshotFormat;
  /** The snapshot's file or folder name, beside this manifest. */
  file: string;
  sizeBytes: number;
  sha256: string;
  /**
   * How sha256 was computed (archive.ts, fingerprint): 2 since directory dumps' names and contents
   * are hashed with their lengths. Absent in manifests written before, which are 1: readManifest
   * says so.
   */
  fingerprint: FingerprintVersion;
  /**
   * Exactly what was dumped: every schema, the schemas left out, tables whose rows were left out.
   * everySchema: no `schemas` filter, so a schema created since is one the snapshot does not have
   * (absent in manifests written before it was recorded).
   */
  filter: { schemas: string[]; excludeSchemas: string[]; excludeTableData: string[]; everySchema?: boolean };
  tables: TableCount[];
  /**
   * 'dumped': each table's own rows, counted in the snapshot pg_dump dumped (`count(*) FROM ONLY`),
   * exactly what its COPY in the archive holds. Absent in manifests written before: counted without
   * ONLY, so a table with inheritance children also counted theirs.
   */
  rowCounts?: 'dumped';
  objects: ObjectCounts;
  /**
   * The database's large objects, counted in the dumped snapshot; the archive holds every one of
   * them, whatever the schemas filter (absent in manifests written before it was recorded).
   */
  largeObjects?: number;
  exports: { since: string; column: string; dir: string; tables: ExportedTable[] } | null;
  durationMs: number;
}

export function manifestPathFor(snapshotPath: string): string {
  return `${snapshotPath.replace(/\/+$/, '')}.manifest.json`;
}

/** Written whole or not at all: a truncated manifest must never sit beside a snapshot. */
export async function writeManifest(snapshotPath: string, manifest: SnapshotManifest): Promise<string> {
  const path = manifestPathFor(snapshotPath);
  // Private as the snapshot is: it names every table and how many rows each holds.
  await writeFileAtomic(path, `${JSON.stringify(manifest, null, 2)}\n`, { private: true });
  return path;
}

/**
 * The largest manifest read: its catalogue is a few dozen bytes a table, so this is millions of
 * tables; anything larger is not one of ours, and is not read into memory whole.
 */
export const MAX_MANIFEST_BYTES = 256 * 1024 * 1024;

export async function readManifest(path: string): Promise<SnapshotManifest> {
  let parsed: unknown;
  try {
    // A regular file only (a FIFO would block the step forever), read up to the cap.
    parsed = JSON.parse(readRegularFile(path, MAX_MANIFEST_BYTES));
  } catch (err) {
    if (err instanceof FileRefused) throw new RollbackKitError(`${path} is not a rollback-kit snapshot manifest: ${err.why}.`, BROKEN_HINT);
    // Only a manifest that is not there is a matter of keeping it beside its snapshot; one that is
    // there and cannot be parsed (cut short, overwritten) is damaged, as a dump that fails its hash.
    if (err instanceof SyntaxError) throw new RollbackKitError(`Cannot read the snapshot manifest ${path}: it is not valid JSON.`, BROKEN_HINT);
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (err as Error).message.replace(/\.$/, '');
    throw new RollbackKitError(`Cannot read the snapshot manifest ${path}: ${why}.`, 'snapshot-db writes it next to each snapshot; keep the two together.');
  }
  const m = parsed as Partial<SnapshotManifest> | null;
  if (m?.tool !== 'rollback-kit') throw new RollbackKitError(`${path} is not a rollback-kit snapshot manifest.`, BROKEN_HINT);
  const problem = manifestProblem(m);
  if (problem) throw new RollbackKitError(`${path} is not a valid rollback-kit snapshot manifest: ${problem}.`, BROKEN_HINT);
  // Written before the field was: hashed as version 1.
  return { ...m, fingerprint: m.fingerprint ?? 1 } as SnapshotManifest;
}

const BROKEN_HINT = "It was edited or damaged, so its snapshot cannot be checked against it (the dump's sha256 is recorded only there): do not restore that snapshot; take or pick another one.";

/**
 * What is wrong with a parsed manifest, or undefined. Every field restore-db, run-down-migrations
 * and the reports rely on is checked for its type and range, as snapshot-db writes it (older
 * manifests lack only the fields SnapshotManifest marks optional): a manifest is outside text (an
 * artifact, a file on disk), and a count that is not a number, a format that is not one of ours or a
 * table name that is not a string must stop the restore here, naming the field, rather than as a
 * TypeError or SQL error halfway through.
 */
export function manifestProblem(m: Record<string, unknown>): string | undefined {
  const str = (v: unknown) => typeof v === 'string';
  const count = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  const strings = (v: unknown) => Array.isArray(v) && v.every(str);
  const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const checks: [string, boolean][] = [
    ['manifestVersion must be 1', m.manifestVersion === 1],
    ['format must be custom, directory or plain', FORMATS.includes(m.format as SnapshotFormat)],
    ['sha256 must be 64 hexadecimal digits', str(m.sha256) && /^[0-9a-f]{64}$/.test(m.sha256 as string)],
    ['sizeBytes must be a whole number of bytes', count(m.sizeBytes)],
    ['fingerprint must be 1 or 2 when present', m.fingerprint === undefined || m.fingerprint === 1 || m.fingerprint === 2],
    ['file must be a file name', str(m.file) && !/[/\\]/.test(m.file as string)],
    ['createdAt must be a date', str(m.createdAt) && !Number.isNaN(Date.parse(m.createdAt as string))],
    ['label must be text or null', m.label === null || str(m.label)],
    ['database and target must be text', str(m.database) && str(m.target)],
  ];
  const server = m.server;
  checks.push([
    'server must hold version, versionNum and major (and host, port, systemIdentifier when recorded)',
    obj(server) && str(server.version) && count(server.versionNum) && count(server.major) &&
      (server.host === undefined || str(server.host)) &&
      (server.port === undefined || (count(server.port) && (server.port as number) <= 65535)) &&
      (server.systemIdentifier === undefined || server.systemIdentifier === null || (str(server.systemIdentifier) && /^\d+$/.test(server.systemIdentifier as string))),
  ]);
  const pgDump = m.pgDump;
  checks.push(['pgDump must hold version and major', obj(pgDump) && str(pgDump.version) && count(pgDump.major) && (pgDump.major as number) > 0 && (pgDump.major as number) < 1000]);
  const filter = m.filter;
  checks.push([
    'filter must hold the lists schemas, excludeSchemas and excludeTableData',
    obj(filter) && strings(filter.schemas) && strings(filter.excludeSchemas) && strings(filter.excludeTableData) && (filter.everySchema === undefined || typeof filter.everySchema === 'boolean'),
  ]);
  const tables = m.tables;
  const badTable = Array.isArray(tables) ? tables.findIndex((t: unknown) => !(obj(t) && str(t.schema) && str(t.name) && (t.rows === null || count(t.rows)) && (t.oid === undefined || count(t.oid)))) : 0;
  checks.push([`tables must be a list of {schema, name, rows} with rows a count or null (and oid a number when present)${Array.isArray(tables) ? ` (entry ${badTable + 1} is not)` : ''}`, badTable < 0]);
  checks.push(['rowCounts must be "dumped" when present', m.rowCounts === undefined || m.rowCounts === 'dumped']);
  const objects = m.objects;
  const OBJECTS = ['schemas', 'tables', 'views', 'materializedViews', 'functions', 'triggers', 'sequences', 'policies'];
  checks.push([`objects must hold the counts ${OBJECTS.join(', ')}`, obj(objects) && OBJECTS.every((k) => count(objects[k]))]);
  checks.push(['largeObjects must be a count when present', m.largeObjects === undefined || count(m.largeObjects)]);
  const exports = m.exports;
  checks.push([
    'exports must be null or hold since, column, dir and tables of {table, file, rows}',
    exports === null ||
      (obj(exports) && str(exports.since) && str(exports.column) && str(exports.dir) && Array.isArray(exports.tables) &&
        exports.tables.every((t: unknown) => obj(t) && str(t.table) && str(t.file) && count(t.rows))),
  ]);
  checks.push(['durationMs must be a number of milliseconds', typeof m.durationMs === 'number' && Number.isFinite(m.durationMs) && m.durationMs >= 0]);
  return checks.find(([, ok]) => !ok)?.[0];
}
