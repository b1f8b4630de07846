/** Reading a migrations folder: the helpers every format shares. */
import { readdir, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { RollbackKitError } from '../core/errors.js';
import { FileRefused, readRegularFile } from '../core/files.js';

/**
 * A folder's entries; none when it cannot be read. node:fs's callback form, not fs/promises: loading
 * that module (and the readline it brings) would be start-up every run of every format pays for one
 * readdir.
 */
function entriesOf(dir: string): Promise<Dirent[]> {
  return new Promise((resolve) => readdir(dir, { withFileTypes: true }, (err, entries) => resolve(err ? [] : entries)));
}

/** Names in `dir` (files and folders), hidden ones left out, as the tools do. */
export async function listNames(dir: string): Promise<string[]> {
  const entries = await entriesOf(dir);
  return entries.filter((e) => !e.name.startsWith('.')).map((e) => e.name);
}

export async function listFiles(dir: string): Promise<string[]> {
  const entries = await entriesOf(dir);
  return entries.filter((e) => !e.name.startsWith('.') && (e.isFile() || e.isSymbolicLink())).map((e) => e.name);
}

export async function listFolders(dir: string): Promise<string[]> {
  const entries = await entriesOf(dir);
  return entries.filter((e) => !e.name.startsWith('.') && e.isDirectory()).map((e) => e.name);
}

/**
 * The most of one migration file read: its down SQL is sent as one query, and a migration that
 * loads data may be large, but past this it is not a migration (a dump, a file written in a loop).
 */
export const MAX_MIGRATION_BYTES = 64 * 1024 * 1024;

/**
 * A migration file's text, or undefined when it cannot be read (it does not exist). A link to a
 * file is read as the file; anything else that is not a regular file (a FIFO would block the step
 * forever), or a file larger than MAX_MIGRATION_BYTES, fails the step, saying which.
 */
export async function readText(dir: string, name: string): Promise<string | undefined> {
  try {
    return readRegularFile(join(dir, name), MAX_MIGRATION_BYTES);
  } catch (err) {
    if (err instanceof FileRefused) {
      throw new RollbackKitError(`Cannot read the migration file ${err.path}: ${err.why}.`, 'Migration files must be regular files (or links to them) of SQL; move anything else out of the migrations folder.');
    }
    return undefined;
  }
}

/** The leading digits every tool uses as the version (`20240101120000_add_users.sql` → 20240101120000). */
export function leadingVersion(name: string): string | undefined {
  return /^(\d+)/.exec(name)?.[1];
}

/** Numeric order of versions (they outgrow Number), then by name. */
export function compareVersions(a: { version: string; name: string }, b: { version: string; name: string }): number {
  if (/^\d+$/.test(a.version) && /^\d+$/.test(b.version)) {
    const x = BigInt(a.version);
    const y = BigInt(b.version);
    if (x !== y) return x < y ? -1 : 1;
  } else if (a.version !== b.version) return a.version < b.version ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * Names compared byte by byte (UTF-8), as Go compares strings and Rust compares &str: the order of
 * Go's os.ReadDir and of Rust's `a.cmp(b)` on names. `10_ten` comes before `9_nine`.
 */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Ids (from the tracking table) in the order of their files; an id with no file sorts by itself. */
export function inFileOrder(ids: string[], files: { id: string }[]): string[] {
  const place = new Map(files.map((f, i) => [f.id, i]));
  return [...ids].sort((a, b) => (place.get(a) ?? Infinity) - (place.get(b) ?? Infinity) || compareNames(a, b));
}

/** The first two neighbours (in a tool's order) whose version numbers go down: where text order and numeric order part. */
export function outOfNumericOrder<T extends { version: string }>(files: T[]): [T, T] | undefined {
  const numeric = (v: string) => (/^\d+$/.test(v) ? BigInt(v) : undefined);
  for (let i = 1; i < files.length; i++) {
    const x = numeric(files[i - 1]!.version);
    const y = numeric(files[i]!.version);
    if (x !== undefined && y !== undefined && x > y) return [files[i - 1]!, files[i]!];
  }
  return undefined;
}

/** The warning a format gives when its tool's order is not the order of the version numbers. */
export function orderWarning(tool: string, rule: string, pair: [{ name: string }, { name: string }] | undefined): string[] {
  if (!pair) return [];
  const [first, second] = pair;
  return [
    `${tool} orders migrations by ${rule}, not by version number: ${first.name} comes before ${second.name}, so ${second.name} is the newer of the two to ${tool} and is reverted before ${first.name}. ` +
      'This run follows that order, as the tool would. Versions of one width keep the two orders the same.',
  ];
}

/** Sorts tracking-table versions the way files are sorted. */
export function sortVersions(versions: string[]): string[] {
  return versions.sort((a, b) => compareVersions({ version: a, name: a }, { version: b, name: b }));
}

/** Whether any of the files has text that `matches` (format detection). */
export async function anyFileMatches(dir: string, names: string[], matches: (text: string) => boolean): Promise<boolean> {
  for (const name of names) {
    const text = await readText(dir, name);
    if (text && matches(text)) return true;
  }
  return false;
}
