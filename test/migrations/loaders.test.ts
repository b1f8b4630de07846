// Reading each tool's folder layout: where the down SQL comes from, and what counts as missing.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodePgMigrate } from '../../src/migrations/formats/node-pg-migrate.js';
import { plain } from '../../src/migrations/formats/plain.js';
import { prisma } from '../../src/migrations/formats/prisma.js';
import { supabase } from '../../src/migrations/formats/supabase.js';
import { golangMigrate } from '../../src/migrations/formats/golang-migrate.js';
import { pickFormat } from '../../src/migrations/registry.js';
import { memoryLog } from '../../src/core/log.js';
import { planReverts } from '../../src/migrations/planner.js';
import { tempDir } from '../helpers/temp-dir.js';

async function folder(files: Record<string, string>, sub = ''): Promise<string> {
  const root = await tempDir('rk-down-load-');
  const dir = join(root, sub);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return dir;
}

describe('migration folder loaders', () => {
  it('supabase: down SQL beside the migration or in down/, and is detected by its folder', async () => {
    const dir = await folder(
      {
        '20240101000001_a.sql': 'CREATE TABLE a ();',
        '20240101000001_a.down.sql': 'DROP TABLE a;',
        '20240101000002_b.sql': 'CREATE TABLE b ();',
        'down/20240101000002_b.sql': 'DROP TABLE b;',
        '20240101000003_c.sql': 'CREATE TABLE c ();',
      },
      'supabase/migrations',
    );
    expect((await pickFormat(dir, 'auto')).name).toBe('supabase');
    const files = await supabase.load(dir);
    expect(files.map((f) => [f.id, f.downFile, f.downSql])).toEqual([
      ['20240101000001', '20240101000001_a.down.sql', 'DROP TABLE a;'],
      ['20240101000002', 'down/20240101000002_b.sql', 'DROP TABLE b;'],
      ['20240101000003', undefined, undefined],
    ]);
    expect(() => planReverts(supabase, files, files.map((f) => f.id), { kind: 'steps', steps: 1 }, { table: 'supabase_migrations.schema_migrations', log: memoryLog() })).toThrow(/20240101000003_c\.sql \(no down SQL\)/);
  });

  it('prisma: folders with migration.sql, down.sql beside it; the git path is the up file', async () => {
    const dir = await folder({
      '20240101000001_init/migration.sql': 'CREATE TABLE a ();',
      '20240101000001_init/down.sql': 'DROP TABLE a;',
      '20240101000002_more/migration.sql': 'CREATE TABLE b ();',
      'migration_lock.toml': 'provider = "postgresql"',
    });
    expect((await pickFormat(dir, 'auto')).name).toBe('prisma');
    const files = await prisma.load(dir);
    expect(files.map((f) => [f.id, f.version, f.addedPath, f.downFile])).toEqual([
      ['20240101000001_init', '20240101000001', '20240101000001_init/migration.sql', '20240101000001_init/down.sql'],
      ['20240101000002_more', '20240101000002', '20240101000002_more/migration.sql', undefined],
    ]);
  });

  it('plain: down files, with the up file (when kept) as the one git must have added', async () => {
    const dir = await folder({ '1_a.sql': 'x', '1_a.down.sql': 'DROP TABLE a;', '2_b.down.sql': 'DROP TABLE b;' });
    expect((await pickFormat(dir, 'auto')).name).toBe('plain');
    expect((await plain.load(dir)).map((f) => [f.id, f.addedPath, f.downFile])).toEqual([
      ['1', '1_a.sql', '1_a.down.sql'],
      ['2', '2_b.down.sql', '2_b.down.sql'],
    ]);
  });

  it('golang-migrate: zero-padded versions are the numbers the tool stores', async () => {
    const dir = await folder({ '000001_a.up.sql': 'x', '000001_a.down.sql': 'DROP TABLE a;', '000010_b.up.sql': 'y' });
    expect((await pickFormat(dir, 'auto')).name).toBe('golang-migrate');
    expect((await golangMigrate.load(dir)).map((f) => [f.id, f.name, f.downFile])).toEqual([
      ['1', '000001_a.up.sql', '000001_a.down.sql'],
      ['10', '000010_b.up.sql', undefined],
    ]);
  });

  it('node-pg-migrate: a JavaScript migration has no SQL down, and says why', async () => {
    const dir = await folder({ '1700000000001_a.sql': '-- Up Migration\nCREATE TABLE a ();\n-- Down Migration\nDROP TABLE a;\n', '1700000000002_b.js': 'exports.up = () => {};' });
    expect((await pickFormat(dir, 'auto')).name).toBe('node-pg-migrate');
    const files = await nodePgMigrate.load(dir);
    expect(files.map((f) => f.id)).toEqual(['1700000000001_a', '1700000000002_b']);
    expect(() => planReverts(nodePgMigrate, files, files.map((f) => f.id), { kind: 'steps', steps: 1 }, { table: 'public.pgmigrations', log: memoryLog() })).toThrow(/1700000000002_b\.js \(a JavaScript\/TypeScript migration/);
  });
});
