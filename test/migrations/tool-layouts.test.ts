// Layouts as the tools really use them: Supabase down files the CLI would take for migrations of
// its own are read with a warning; a node-pg-migrate folder of JavaScript migrations is named as
// node-pg-migrate and refused with the tool's own command, which then works.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runProcess } from '../../src/core/process.js';
import { createTestDatabase } from '../helpers/pg.js';
import { ROOT, runAction } from '../helpers/run-action.js';
import { applyMigrations, existingTables, tables, trackingState, workspace, writeMigrations } from './fixtures.js';

/** Warnings other than the one every run without a snapshot gets. */
const layoutWarnings = (log: string) => log.split('\n').filter((l) => l.startsWith('::warning') && !l.includes('require-snapshot is false'));

describe('Supabase down files', () => {
  it('beside the migrations: the run works and warns why and what to do', async () => {
    const db = await createTestDatabase('rk_layout_supa');
    const ws = await workspace();
    const steps = tables(2);
    const dir = await writeMigrations(ws, 'supabase', steps);
    await applyMigrations(db, 'supabase', dir, steps);
    const run = await runAction('run-down-migrations', { 'database-url': db.url, 'require-snapshot': 'false', steps: '1' }, { cwd: ws });
    expect(run.errors).toEqual([]);
    expect(await existingTables(db)).toEqual(['t1']);
    const warnings = layoutWarnings(run.log);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('20240101000001_create_t1.down.sql, 20240101000002_create_t2.down.sql');
    expect(warnings[0]).toContain('supabase db push');
    expect(warnings[0]).toContain('supabase/migrations/down/<timestamp>_name.sql');
  });

  it('in supabase/migrations/down/: no warning', async () => {
    const db = await createTestDatabase('rk_layout_supa_down');
    const ws = await workspace();
    const steps = tables(2);
    const dir = join(ws, 'supabase/migrations');
    await mkdir(join(dir, 'down'), { recursive: true });
    for (const s of steps) {
      await writeFile(join(dir, `${s.version}_${s.name}.sql`), `${s.up}\n`);
      await writeFile(join(dir, 'down', `${s.version}_${s.name}.sql`), `${s.down}\n`);
    }
    await applyMigrations(db, 'supabase', dir, steps);
    const run = await runAction('run-down-migrations', { 'database-url': db.url, 'require-snapshot': 'false', steps: '1' }, { cwd: ws });
    expect(run.errors).toEqual([]);
    expect(layoutWarnings(run.log)).toEqual([]);
    expect(await existingTables(db)).toEqual(['t1']);
    expect(await trackingState(db, 'supabase')).toEqual(['20240101000001']);
  });
});

describe('node-pg-migrate with JavaScript migrations', () => {
  it('is named as node-pg-migrate and refused with the exact command of its own down, which then works', async () => {
    const db = await createTestDatabase('rk_layout_npm_js');
    const ws = await workspace();
    const dir = join(ws, 'migrations');
    await mkdir(dir, { recursive: true });
    for (const i of [1, 2, 3]) {
      await writeFile(join(dir, `170000000000${i}_create_t${i}.js`), `exports.up = (pgm) => { pgm.createTable('t${i}', { id: 'id' }); };\nexports.down = (pgm) => { pgm.dropTable('t${i}'); };\n`);
    }
    const env = { DATABASE_URL: db.url };
    const bin = join(ROOT, 'node_modules/.bin/node-pg-migrate');
    const up = await runProcess(bin, ['up', '-m', dir], { env, cwd: ws });
    expect(up.code, up.stderr).toBe(0);

    const run = await runAction('run-down-migrations', { 'database-url': db.url, 'require-snapshot': 'false', steps: '2' }, { cwd: ws });
    expect(run.code).not.toBe(0);
    expect(run.errors).toHaveLength(1);
    expect(run.log).toContain('node-pg-migrate migration(s)');
    expect(run.errors[0]).toContain('1700000000003_create_t3.js (a JavaScript/TypeScript migration');
    expect(run.errors[0]).not.toContain('Down Migration');
    const command = /`?(npx node-pg-migrate down [^(]*?) \(with/.exec(run.errors[0]!)?.[1];
    expect(command).toBe('npx node-pg-migrate down 2 -m migrations');
    expect(await existingTables(db)).toEqual(['t1', 't2', 't3']);

    // The command as given, run from the workspace, reverts the same two.
    const args = command!.split(' ').slice(2);
    const own = await runProcess(bin, args, { env, cwd: ws });
    expect(own.code, own.stderr).toBe(0);
    expect(await existingTables(db)).toEqual(['t1']);
  });
});
