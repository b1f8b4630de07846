/**
 * Files the actions write where a user pointed them (output-dir, reports): folders created one
 * level at a time, refused on kernel pseudo file systems, and files written whole or not at all.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, realpath, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { RollbackKitError, systemErrorLine, systemErrorMeaning } from './errors.js';

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
      return await realpath(current);
    } catch (err) {
      if (dirname(current) === current || (err as NodeJS.ErrnoException).code !== 'ENOENT') return current;
    }
  }
}

/**
 * Creates `dir` and its missing parents, one mkdir each (so the work is bounded by the path's
 * depth), after refusing paths that are, or lead through a link to, /proc, /sys or /dev.
 * `input` names the input the path came from, for the error.
 */
export async function makeDirectory(dir: string, input: string): Promise<void> {
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
      isDirectory = (await stat(current)).isDirectory();
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
  for (const d of missing) {
    await mkdir(d).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw cannot(`${d}: ${systemErrorMeaning(err) ?? err.message}`);
    });
  }
}

/** Checks that files can be created in `dir` (permissions, read-only mounts) before any work starts. */
export async function probeWritable(dir: string, input: string): Promise<void> {
  const probe = join(dir, `.rollback-kit-write-test-${process.pid}-${randomBytes(3).toString('hex')}`);
  try {
    await writeFile(probe, '');
  } catch (err) {
    throw new RollbackKitError(`Cannot write files in ${input} ${dir}: ${systemErrorMeaning(err) ?? (err as Error).message}.`, `Point ${input} at a writable folder, such as one under $RUNNER_TEMP.`);
  }
  await unlink(probe).catch(() => undefined);
}

/**
 * Writes a file whole or not at all: a temporary file beside it, then a rename. A full disk or a
 * crash leaves the old file (or none), never a truncated one someone could trust.
 */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, data, { flag: 'wx' });
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true }).catch(() => undefined);
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
