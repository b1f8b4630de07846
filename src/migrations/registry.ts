/** The formats we know, and picking one for a folder: the `format` input, or what the folder looks like. */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RollbackKitError } from '../core/errors.js';
import { listNames } from './files.js';
import { dbmate } from './formats/dbmate.js';
import { golangMigrate } from './formats/golang-migrate.js';
import { nodePgMigrate } from './formats/node-pg-migrate.js';
import { plain } from './formats/plain.js';
import { prisma } from './formats/prisma.js';
import { supabase } from './formats/supabase.js';
import { FORMAT_NAMES, type FormatName, type MigrationFormat } from './types.js';

export const FORMATS: Record<FormatName, MigrationFormat> = {
  dbmate,
  'golang-migrate': golangMigrate,
  'node-pg-migrate': nodePgMigrate,
  supabase,
  prisma,
  plain,
};

export function parseFormatName(raw: string | undefined): FormatName | 'auto' {
  const value = (raw ?? '').trim().toLowerCase() || 'auto';
  if (value === 'auto' || (FORMAT_NAMES as readonly string[]).includes(value)) return value as FormatName | 'auto';
  throw new RollbackKitError(`Input format must be auto or one of ${FORMAT_NAMES.join(', ')}, got "${raw}".`);
}

/**
 * Where a migrations folder is looked for when none is given, whatever the format: every tool's own
 * folder (db/migrations, migrations, supabase/migrations, prisma/migrations), so a plain or
 * golang-migrate layout kept in any of them is found as with format auto. The one list the docs give.
 */
export const MIGRATIONS_DIRS: readonly string[] = [...new Set(Object.values(FORMATS).flatMap((f) => (f.ownDir ? [f.ownDir] : [])))];

/**
 * The folder to read: the one given, or the one of MIGRATIONS_DIRS that exists under `root`, the
 * format's own folder first: where the tool itself looks wins, as it would for the tool. Without it,
 * several existing folders leave which one to revert unclear, and are refused. `name` is how
 * messages name the given folder: the input, or the plan file's key that gave it.
 */
export function resolveMigrationsDir(root: string, given: string | undefined, format: FormatName | 'auto', name = 'migrations-dir'): string {
  if (given) {
    const dir = resolve(root, given);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new RollbackKitError(`${name} ${given} is not a folder in ${root}.`, 'Check the path (relative to the workspace) and that actions/checkout ran before this step.');
    }
    return dir;
  }
  const own = format === 'auto' ? undefined : FORMATS[format].ownDir;
  const candidates = own ? [own, ...MIGRATIONS_DIRS.filter((d) => d !== own)] : MIGRATIONS_DIRS;
  const found = candidates.map((c) => join(root, c)).filter((d) => existsSync(d) && statSync(d).isDirectory());
  if (found.length === 0) {
    throw new RollbackKitError(`No migrations folder found: none of ${candidates.join(', ')} exists in the workspace.`, 'Set migrations-dir to the folder holding your migrations.');
  }
  if (found.length > 1 && !(own && found[0] === join(root, own))) {
    throw new RollbackKitError(`Several migrations folders exist (${found.map((d) => d.slice(root.length + 1)).join(', ')}), so which one to revert is unclear.`, 'Set migrations-dir (and format) explicitly.');
  }
  return found[0]!;
}

export async function pickFormat(dir: string, format: FormatName | 'auto'): Promise<MigrationFormat> {
  if (format !== 'auto') return FORMATS[format];
  const entries = await listNames(dir);
  if (entries.length === 0) {
    throw new RollbackKitError(`The migrations folder ${dir} is empty.`, 'Point migrations-dir at the folder that holds the migration files.');
  }
  let best: { format: MigrationFormat; score: number } | undefined;
  for (const f of Object.values(FORMATS)) {
    const score = await f.detect(dir, entries);
    if (score > 0 && (!best || score > best.score)) best = { format: f, score };
  }
  if (!best) {
    throw new RollbackKitError(
      `Cannot tell which migration tool the files in ${dir} belong to.`,
      `Set format to one of ${FORMAT_NAMES.join(', ')} (see the docs for the file layout each expects).`,
    );
  }
  return best.format;
}
