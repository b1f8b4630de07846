// With no migrations-dir, the docs say the step uses whichever of db/migrations, migrations,
// supabase/migrations and prisma/migrations exists. Only format auto looked in all four: plain and
// node-pg-migrate looked in migrations/ alone, so plain files in db/migrations failed with "none of
// migrations exists" under format plain and were found under format auto. Now every format looks
// in the same list, its own folder first.
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_DIRS, resolveMigrationsDir } from '../../src/migrations/registry.js';
import { FORMAT_NAMES } from '../../src/migrations/types.js';
import { runMain } from '../cli/run-main.js';
import { createTestDatabase } from '../helpers/pg.js';
import { ROOT } from '../helpers/run-action.js';
import { applyMigrations, existingTables, nodePgMigrate, tables, trackingState, workspace } from './fixtures.js';

async function folders(...dirs: string[]): Promise<string> {
  const ws = await workspace();
  for (const d of dirs) await mkdir(join(ws, d), { recursive: true });
  return ws;
}

describe('the folder searched when migrations-dir is empty', () => {
  it('is the list action.yml gives, for every format', () => {
    const described = /migrations-dir:\n {4}description: (.*)\n/.exec(readFileSync(join(ROOT, 'actions/run-down-migrations/action.yml'), 'utf8'))![1]!;
    expect(described).toContain(`the one of ${MIGRATIONS_DIRS.join(', ')} that exists, for every format`);
    expect(MIGRATIONS_DIRS).toEqual(['db/migrations', 'migrations', 'supabase/migrations', 'prisma/migrations']);
  });

  it.each([...FORMAT_NAMES, 'auto' as const])('%s finds a lone db/migrations or supabase/migrations', async (format) => {
    for (const dir of ['db/migrations', 'supabase/migrations']) {
      const ws = await folders(dir);
      expect(resolveMigrationsDir(ws, undefined, format)).toBe(join(ws, dir));
    }
  });

  it('the format\'s own folder comes first: dbmate takes db/migrations, node-pg-migrate migrations', async () => {
    const ws = await folders('db/migrations', 'migrations');
    expect(resolveMigrationsDir(ws, undefined, 'dbmate')).toBe(join(ws, 'db/migrations'));
    expect(resolveMigrationsDir(ws, undefined, 'node-pg-migrate')).toBe(join(ws, 'migrations'));
  });

  it('a format without a folder of its own, or whose folder is missing, refuses several folders as auto does', async () => {
    const ws = await folders('db/migrations', 'migrations');
    for (const format of ['plain', 'golang-migrate', 'auto', 'prisma'] as const) {
      expect(() => resolveMigrationsDir(ws, undefined, format), format).toThrow(/Several migrations folders exist \(db\/migrations, migrations\)/);
    }
  });

  it('names the whole list, the format\'s own folder first, when none exists', async () => {
    const ws = await folders();
    expect(() => resolveMigrationsDir(ws, undefined, 'plain')).toThrow('none of db/migrations, migrations, supabase/migrations, prisma/migrations exists');
    expect(() => resolveMigrationsDir(ws, undefined, 'node-pg-migrate')).toThrow('none of migrations, db/migrations, supabase/migrations, prisma/migrations exists');
  });
});

describe('rollback-kit down with no --migrations-dir, on real files and a real database', () => {
  const down = (ws: string, url: string, format: string) =>
    runMain(['down', '--database-url', url, '--format', format, '--steps', '1', '--no-require-snapshot', '--yes', '--json'], { cwd: ws });

  it('--format plain reverts plain migrations kept in db/migrations', async () => {
    const db = await createTestDatabase('rk_doc_truth_plain');
    const ws = await workspace();
    const dir = join(ws, 'db/migrations');
    await mkdir(dir, { recursive: true });
    const steps = tables(2);
    for (const s of steps) {
      await writeFile(join(dir, `${s.version}_${s.name}.sql`), `${s.up}\n`);
      await writeFile(join(dir, `${s.version}_${s.name}.down.sql`), `${s.down}\n`);
    }
    await applyMigrations(db, 'plain', dir, steps);
    const run = await down(ws, db.url, 'plain');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(await existingTables(db)).toEqual(['t1']);
    expect(await trackingState(db, 'plain')).toEqual(['20240101000001']);
    await db.drop();
  });

  it('--format node-pg-migrate reverts SQL migrations kept in db/migrations', async () => {
    const db = await createTestDatabase('rk_doc_truth_npm');
    const ws = await workspace();
    const dir = join(ws, 'db/migrations');
    await mkdir(dir, { recursive: true });
    for (const s of tables(2, (i) => `170000000000${i}`)) {
      await writeFile(join(dir, `${s.version}_${s.name}.sql`), `-- Up Migration\n${s.up}\n-- Down Migration\n${s.down}\n`);
    }
    await nodePgMigrate(db, dir, 'up');
    const run = await down(ws, db.url, 'node-pg-migrate');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(await existingTables(db)).toEqual(['t1']);
    expect(await trackingState(db, 'node-pg-migrate')).toEqual(['1700000000001_create_t1']);
    await db.drop();
  });
});
