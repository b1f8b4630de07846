/**
 * Files the actions write where a user pointed them (output-dir, reports): folders created one
 * level at a time, refused on kernel pseudo file systems, files written whole or not at all, and
 * what holds database data private to the user who ran us.
 * And files they read from where a user pointed them (migrations, checks-file): regular files of
 * a bounded size only.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { RollbackKitError, systemErrorLine, systemErrorMeaning } from './errors.js';
import { nodeCrypto, nodeFsPromises } from './lazy-builtins.js';

/**
 * What holds a database's data (a snapshot, its CSV exports) or describes it (the manifest) is
 * readable by the user who ran us alone: a dump of production in a folder every local user can read,
 * or in the user's repository, is a leak. Files 0600 and the folders we create for them 0700, set
 * at creation and again explicitly, so that no umask (0002 on many desktops) loosens them.
 */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_FOLDER_MODE = 0o700;
/** The umask of a program that writes such files itself (pg_dump): everything it creates is private. */
export const PRIVATE_UMASK = 0o077;

/** Creates the folder `path` (its parent must exist; EEXIST if it does) readable by us alone. */
export async function makePrivateFolder(path: string): Promise<void> {
  await nodeFsPromises().mkdir(path, { mode: PRIVATE_FOLDER_MODE });
  await nodeFsPromises().chmod(path, PRIVATE_FOLDER_MODE);
}

/** Creates the file `path` exclusively (EEXIST if anything is there), readable by us alone, and opens it for writing. */
export async function createPrivateFile(path: string): Promise<FileHandle> {
  const handle = await nodeFsPromises().open(path, 'wx', PRIVATE_FILE_MODE);
  try {
    await handle.chmod(PRIVATE_FILE_MODE);
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
  return handle;
}

/** Writes `data` to a new file `path` (EEXIST if anything is there), readable by us alone from its creation. */
export async function writePrivateFile(path: string, data: string): Promise<void> {
  const handle = await createPrivateFile(path);
  try {
    await handle.writeFile(data);
  } finally {
    await handle.close();
  }
}

/** Whether `path` lies inside `dir` (the runner's RUNNER_TEMP, say, which GitHub deletes when the job ends). */
export function isInside(path: string, dir: string | undefined): boolean {
  if (!dir) return false;
  const rel = relative(resolve(dir), resolve(path));
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/** /proc, /sys and /dev hold no files to keep; Node's recursive mkdir loops forever on /proc. */
const PSEUDO_FILE_SYSTEMS = ['/proc', '/sys', '/dev'];

function onPseudoFileSystem(path: string): string | undefined {
  return PSEUDO_FILE_SYSTEMS.find((root) => path === root || path.startsWith(`${root}/`));
}

/** The deepest part of `path` that exists, resolved through symbolic links. */
async function existingAncestor(path: string): Promise<string> {
  for (let current = path; ; current = dirname(current)) {
    try {
      return await nodeFsPromises().realpath(current);
    } catch (err) {
      if (dirname(current) === current || (err as NodeJS.ErrnoException).code !== 'ENOENT') return current;
    }
  }
}

/**
 * Creates `dir` and its missing parents, one mkdir each (so the work is bounded by the path's
 * depth), after refusing paths that are, or lead through a link to, /proc, /sys or /dev.
 * `input` names the input the path came from, for the error. `private`: the folders it creates are
 * PRIVATE_FOLDER_MODE; one that was there is left as it is (its mode is its owner's choice).
 * Returns the folders it created, outermost first; `made` hears of each as soon as it is created
 * (a stop while it runs must know what it made so far).
 */
export async function makeDirectory(dir: string, input: string, opts: { private?: boolean; made?: (path: string) => void } = {}): Promise<string[]> {
  const absolute = resolve(dir);
  const pseudo = onPseudoFileSystem(absolute) ?? onPseudoFileSystem(await existingAncestor(absolute));
  if (pseudo) {
    throw new RollbackKitError(`${input} ${dir} is under ${pseudo}, a kernel file system that cannot keep files.`, `Point ${input} at a writable folder, such as one under $RUNNER_TEMP.`);
  }
  const cannot = (why: string) => new RollbackKitError(`Cannot create ${input} ${dir}: ${why}.`, `Point ${input} at a writable folder, such as one under $RUNNER_TEMP.`);
  const missing: string[] = [];
  for (let current = absolute; ; current = dirname(current)) {
    let isDirectory: boolean;
    try {
      isDirectory = (await nodeFsPromises().stat(current)).isDirectory();
    } catch (err) {
      // ENOTDIR: a parent is a file; the walk up finds it and says so.
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(current) === current) throw cannot(`${current}: ${systemErrorMeaning(err) ?? (err as Error).message}`);
      missing.unshift(current);
      continue;
    }
    if (!isDirectory) throw cannot(`${current} is a file, not a folder`);
    break;
  }
  const created: string[] = [];
  for (const d of missing) {
    try {
      if (opts.private) await makePrivateFolder(d);
      else await nodeFsPromises().mkdir(d);
      created.push(d);
      opts.made?.(d);
    } catch (err) {
      // Made meanwhile by a run beside this one: not ours, so left as it is.
      const e = err as NodeJS.ErrnoException;
      if (e.code !== 'EEXIST') throw cannot(`${d}: ${systemErrorMeaning(e) ?? e.message}`);
    }
  }
  return created;
}

/** Checks that files can be created in `dir` (permissions, read-only mounts) before any work starts. */
export async function probeWritable(dir: string, input: string): Promise<void> {
  const probe = join(dir, `.rollback-kit-write-test-${process.pid}-${nodeCrypto().randomBytes(3).toString('hex')}`);
  try {
    await nodeFsPromises().writeFile(probe, '');
  } catch (err) {
    throw new RollbackKitError(`Cannot write files in ${input} ${dir}: ${systemErrorMeaning(err) ?? (err as Error).message}.`, `Point ${input} at a writable folder, such as one under $RUNNER_TEMP.`);
  }
  await nodeFsPromises().unlink(probe).catch(() => undefined);
}

/**
 * Writes a file whole or not at all: a temporary file beside it, then a rename. A full disk or a
 * crash leaves the old file (or none), never a truncated one someone could trust.
 */
export async function writeFileAtomic(path: string, data: string, opts: { private?: boolean } = {}): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${nodeCrypto().randomBytes(4).toString('hex')}.tmp`);
  try {
    // Private from its creation: the rename keeps the temporary file's mode.
    if (opts.private) await writePrivateFile(temporary, data);
    else await nodeFsPromises().writeFile(temporary, data, { flag: 'wx' });
    await nodeFsPromises().rename(temporary, path);
  } catch (err) {
    await nodeFsPromises().rm(temporary, { force: true }).catch(() => undefined);
    // Name the file the user will look for, not the temporary one.
    const e = err as NodeJS.ErrnoException;
    if (!e.path || e.path === temporary) Object.assign(e, { path, syscall: e.syscall === 'rename' ? 'rename' : 'write' });
    throw asFileError(e);
  }
}

/** A Node file-system error as one the user can act on: the operation, the path, what to do. */
export function asFileError(err: unknown, input?: string): unknown {
  if (err instanceof RollbackKitError || !(err as NodeJS.ErrnoException).path) return err;
  const line = systemErrorLine(err);
  if (!line) return err;
  const code = (err as NodeJS.ErrnoException).code;
  const where = input ? `Point ${input} at a writable folder with free space, such as one under $RUNNER_TEMP.` : undefined;
  const hint = code === 'ENOSPC' || code === 'EDQUOT' ? `Free space on that disk${input ? ` or point ${input} elsewhere` : ''}, then run again.` : where;
  return new RollbackKitError(line, hint);
}

/**
 * A file readRegularFile will not read, and why (`why` ends "Cannot read X: ", as in "it is a
 * FIFO (named pipe), not a regular file"): the caller names the file and the input it came from.
 */
export class FileRefused extends Error {
  constructor(
    readonly path: string,
    readonly why: string,
  ) {
    super(`${path}: ${why}`);
    this.name = 'FileRefused';
  }
}

const KINDS: [(s: import('node:fs').Stats) => boolean, string][] = [
  [(s) => s.isDirectory(), 'it is a directory'],
  [(s) => s.isFIFO(), 'it is a FIFO (named pipe), not a regular file'],
  [(s) => s.isSocket(), 'it is a socket, not a regular file'],
  [(s) => s.isCharacterDevice(), 'it is a character device, not a regular file'],
  [(s) => s.isBlockDevice(), 'it is a block device, not a regular file'],
];

const size = (bytes: number) => (bytes >= 1024 * 1024 ? `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB` : bytes >= 1024 ? `${Math.round((bytes / 1024) * 10) / 10} KB` : `${bytes} bytes`);

/**
 * The text (UTF-8) of a file a user pointed us at, through any symbolic links, if it is a regular
 * file of at most `maxBytes`; else FileRefused. Opened without blocking, so a FIFO (which would
 * block the read until something wrote to it, forever) or a device is refused at once, and read no
 * further than the cap, so a huge file (or one still growing) cannot fill memory. Node's own errors
 * (ENOENT, EACCES) are thrown as they are. Synchronous: these files are small, and many of them
 * read through the thread pool one by one cost more than the reads.
 */
export function readRegularFile(path: string, maxBytes: number): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw new FileRefused(path, KINDS.find(([is]) => is(info))?.[1] ?? 'it is not a regular file');
    const tooLarge = () => new FileRefused(path, `it is larger than ${size(maxBytes)}${info.size > maxBytes ? ` (${info.size} bytes)` : ''}`);
    if (info.size > maxBytes) throw tooLarge();
    // Read to the end, not to the size stat gave: a file still growing is caught at the cap.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(Math.max(info.size + 1, 64 * 1024), maxBytes + 1 - total));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > maxBytes) throw tooLarge();
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
