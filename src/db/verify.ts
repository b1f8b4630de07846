/**
 * Whether a snapshot can be trusted before anything destructive relies on it: its manifest is there,
 * its sha256 is the one recorded when it was taken, and pg_restore can read every byte of it.
 */
import { existsSync } from 'node:fs';
import { RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { detectFormat, fingerprint, onDisk, readWhole, type Fingerprint } from './archive.js';
import { manifestPathFor, readManifest, type SnapshotManifest } from './manifest.js';
import { findPgTool, type FindToolOptions } from './pg-tools.js';

export interface VerifiedSnapshot {
  path: string;
  manifestPath: string;
  manifest: SnapshotManifest;
  sha256: string;
  sizeBytes: number;
}

export interface VerifyOptions extends FindToolOptions {
  /** An explicit pg_restore to read the archive with. */
  pgRestorePath?: string;
}

/** A snapshot on disk with its manifest, before its bytes are checked. */
export interface SnapshotOnDisk {
  path: string;
  manifestPath: string;
  manifest: SnapshotManifest;
}

/** The snapshot and its manifest, found and matched by format; its bytes are not read yet. */
export async function openSnapshot(snapshotPath: string): Promise<SnapshotOnDisk> {
  const path = snapshotPath.replace(/\/+$/, '');
  if (path.endsWith('.manifest.json')) {
    throw new RollbackKitError(`${path} is a snapshot's manifest, not the snapshot.`, `Pass the snapshot beside it: ${path.slice(0, -'.manifest.json'.length)}.`);
  }
  if (!existsSync(path)) {
    throw new RollbackKitError(`Snapshot ${path} does not exist.`, 'Pass the path output of snapshot-db (download the artifact first if it was uploaded).');
  }
  const manifestPath = manifestPathFor(path);
  if (!existsSync(manifestPath)) {
    throw new RollbackKitError(
      `Snapshot ${path} has no manifest (${manifestPath}), so its integrity cannot be checked.`,
      'Use a snapshot taken by snapshot-db and keep its .manifest.json beside it.',
    );
  }
  const manifest = await readManifest(manifestPath);
  const format = await detectFormat(path);
  if (format !== manifest.format) {
    throw new RollbackKitError(`Snapshot ${path} is in ${format} format but its manifest says ${manifest.format}: it was replaced.`, 'Do not restore it; take or pick another snapshot.');
  }
  return { path, manifestPath, manifest };
}

/** Throws unless the snapshot's bytes are the ones its manifest recorded when they were read back in full. */
export function checkFingerprint(s: SnapshotOnDisk, fp: Fingerprint): void {
  if (fp.sha256 === s.manifest.sha256) return;
  throw new RollbackKitError(
    `Snapshot ${s.path} changed since it was taken: sha256 ${fp.sha256.slice(0, 12)}… (${fp.sizeBytes} bytes), manifest says ${s.manifest.sha256.slice(0, 12)}… (${s.manifest.sizeBytes} bytes).`,
    'It is corrupt, truncated or replaced: do not restore it; take or pick another snapshot.',
  );
}

export async function verifySnapshot(snapshotPath: string, log: Log, opts: VerifyOptions = {}): Promise<VerifiedSnapshot> {
  const snapshot = await openSnapshot(snapshotPath);
  const { path, manifest } = snapshot;
  const before = await onDisk(path);
  // The sha256 and pg_restore's full read both read every byte: side by side, as snapshot-db runs
  // them, the verification costs the slower of the two instead of their sum. A changed file is
  // reported as changed even when pg_restore also failed on it.
  const [fp, read] = await Promise.allSettled([
    fingerprint(path, manifest.fingerprint),
    (async () => {
      const pgRestore = manifest.format === 'plain' ? undefined : await findPgTool('pg_restore', manifest.pgDump.major, { ...opts, explicitPath: opts.pgRestorePath });
      await readWhole(path, manifest.format, pgRestore?.path ?? 'pg_restore');
    })(),
  ]);
  // Before any other verdict: a file still being written explains a mismatch or a failed read too.
  if ((await onDisk(path)) !== before) {
    throw new RollbackKitError(
      `Snapshot ${path} changed while it was being verified: its files were replaced, written or cut short between the start and the end of the read.`,
      'Something is still writing it (an artifact download, another snapshot into the same path): let it finish and verify again, or take or pick another snapshot. Do not restore it as it is.',
    );
  }
  if (fp.status === 'rejected') throw fp.reason;
  checkFingerprint(snapshot, fp.value);
  if (read.status === 'rejected') throw read.reason;
  const { sha256, sizeBytes } = fp.value;
  log.info(`Snapshot ${path} verified: sha256 ${sha256.slice(0, 12)}…, ${sizeBytes} bytes, read in full.`);
  return { ...snapshot, sha256, sizeBytes };
}
