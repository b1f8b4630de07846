/**
 * A snapshot's integrity: its sha256 and size (a file, or every file of a directory-format dump),
 * and a full read. `pg_restore --list` alone passes an archive whose data section was cut short;
 * reading it whole (`pg_restore -f /dev/null`) catches that.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { RollbackKitError } from '../core/errors.js';
import { runProcess } from '../core/process.js';
import { toolErrorLine } from './pg-tools.js';

export type SnapshotFormat = 'custom' | 'directory' | 'plain';

export const FORMATS: readonly SnapshotFormat[] = ['custom', 'directory', 'plain'];

const PLAIN_HEADER = '-- PostgreSQL database dump';
const PLAIN_TRAILER = '-- PostgreSQL database dump complete';

export interface Fingerprint {
  sha256: string;
  sizeBytes: number;
}

async function hashFile(path: string, hash: ReturnType<typeof createHash>, signal?: AbortSignal): Promise<void> {
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20, signal })) hash.update(chunk as Buffer);
}

/**
 * How a snapshot's sha256 is computed, recorded in its manifest (`fingerprint`; absent: 1). Both
 * hash a file's bytes alone (what `sha256sum` prints). A directory dump's: 1 joined each file's name
 * and contents with a NUL and no lengths, so two different folders could hash alike (a file `a`
 * holding `X\0b\0Y`, or files `a` = `X` and `b` = `Y`); 2 puts each name's and content's length
 * before it. 1 is only ever read, to verify snapshots taken before 2.
 */
export type FingerprintVersion = 1 | 2;

/** What snapshot-db writes. */
export const FINGERPRINT_VERSION: FingerprintVersion = 2;

/** A length as 8 bytes, big-endian: what makes a name or a content end where it says. */
const lengthOf = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
};

/** sha256 of a file; of a directory, over its sorted file names and contents, as `version` frames them. */
/** `signal`: a stop ends the read (an AbortError), so hashing gigabytes never outlasts it. */
export async function fingerprint(path: string, version: FingerprintVersion, signal?: AbortSignal): Promise<Fingerprint> {
  const info = await stat(path);
  const hash = createHash('sha256');
  if (!info.isDirectory()) {
    await hashFile(path, hash, signal);
    return { sha256: hash.digest('hex'), sizeBytes: info.size };
  }
  let size = 0;
  for (const name of (await readdir(path)).sort()) {
    const file = join(path, name);
    const s = await stat(file);
    if (!s.isFile()) continue;
    if (version === 1) {
      hash.update(name);
      hash.update('\0');
      await hashFile(file, hash, signal);
      hash.update('\0');
    } else {
      const nameBytes = Buffer.from(name, 'utf8');
      hash.update(lengthOf(nameBytes.length));
      hash.update(nameBytes);
      hash.update(lengthOf(s.size));
      // A file that grows or shrinks while it is hashed gives a sha256 no manifest has; the callers
      // also compare its identity (onDisk) before and after.
      await hashFile(file, hash, signal);
    }
    size += s.size;
  }
  return { sha256: hash.digest('hex'), sizeBytes: size };
}

/**
 * What tells the snapshot's bytes apart without reading them: each file's device, inode, size,
 * modification and change times (of every file, for a directory dump). The sha256 and the reads
 * that use the bytes (pg_restore, psql) open the files separately; when this is the same before the
 * first and after the last, they all read the same bytes.
 */
export async function onDisk(path: string): Promise<string> {
  const look = async (file: string) => {
    const s = await stat(file).catch(() => undefined);
    return s ? `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}` : 'gone';
  };
  const info = await stat(path).catch(() => undefined);
  if (!info?.isDirectory()) return look(path);
  const names = (await readdir(path).catch(() => [] as string[])).sort();
  return (await Promise.all(names.map(async (name) => `${name}=${await look(join(path, name))}`))).join('\n');
}

export async function detectFormat(path: string): Promise<SnapshotFormat> {
  const info = await stat(path);
  if (info.isDirectory()) return 'directory';
  const fd = await open(path, 'r');
  try {
    const buf = Buffer.alloc(64);
    const { bytesRead } = await fd.read(buf, 0, 64, 0);
    const head = buf.subarray(0, bytesRead).toString('latin1');
    if (head.startsWith('PGDMP')) return 'custom';
    if (head.startsWith('--')) return 'plain';
  } finally {
    await fd.close();
  }
  throw new RollbackKitError(`${path} is not a PostgreSQL dump (neither a custom-format archive, a directory dump, nor plain SQL from pg_dump).`);
}

/** A snapshot pg_restore cannot read to its end. */
export function corruptSnapshot(path: string, why: string): RollbackKitError {
  return new RollbackKitError(`Snapshot ${path} is corrupt or truncated: ${why.replace(/\.$/, '')}.`, 'Do not restore it; take or pick another snapshot.');
}

/**
 * Reads the whole snapshot; throws naming the problem when any part of it cannot be read.
 * `pg_restore -f /dev/null` reads the table of contents and every data block (a `--list` first would
 * only read the table of contents twice).
 */
export async function readWhole(path: string, format: SnapshotFormat, pgRestore: string): Promise<void> {
  const corrupt = (why: string) => corruptSnapshot(path, why);
  if (format === 'plain') {
    const info = await stat(path);
    const fd = await open(path, 'r');
    try {
      const headBuf = Buffer.alloc(256);
      await fd.read(headBuf, 0, 256, 0);
      const tailLen = Math.min(info.size, 512);
      const tailBuf = Buffer.alloc(tailLen);
      await fd.read(tailBuf, 0, tailLen, info.size - tailLen);
      if (!headBuf.toString('utf8').includes(PLAIN_HEADER)) throw corrupt('it does not start like a pg_dump SQL script');
      if (!tailBuf.toString('utf8').includes(PLAIN_TRAILER)) throw corrupt(`it does not end with "${PLAIN_TRAILER}"`);
    } finally {
      await fd.close();
    }
    return;
  }
  const read = await runProcess(pgRestore, ['--file', '/dev/null', path], { timeoutMs: 60 * 60_000 });
  if (read.code !== 0) throw corrupt(toolErrorLine(read.stderr) || 'pg_restore could not read it');
}
