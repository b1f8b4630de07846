/**
 * The manifest written next to every snapshot: what was dumped, from which server, its sha256, and
 * the catalogue (row counts per table, object counts) that restore-db and smoke checks compare with.
 */
import { readFile } from 'node:fs/promises';
import { RollbackKitError } from '../core/errors.js';
import { writeFileAtomic } from '../core/files.js';
import type { SnapshotFormat } from './archive.js';
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
  await writeFileAtomic(path, `${JSON.stringify(manifest, null, 2)}\n`);
  return path;
}

export async function readManifest(path: string): Promise<SnapshotManifest> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : 'it is not valid JSON';
    throw new RollbackKitError(`Cannot read the snapshot manifest ${path}: ${why}.`, 'snapshot-db writes it next to each snapshot; keep the two together.');
  }
  const m = parsed as Partial<SnapshotManifest>;
  if (m?.tool !== 'rollback-kit' || typeof m.sha256 !== 'string' || !Array.isArray(m.tables) || !m.format) {
    throw new RollbackKitError(`${path} is not a rollback-kit snapshot manifest.`);
  }
  return m as SnapshotManifest;
}
