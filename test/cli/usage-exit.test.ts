// Exit codes (README, "Command line"): 2 is bad usage, said before anything is asked or changed; 1
// is a failure of the work itself. A mistake the flags alone decide (a combination that cannot
// work, a folder that cannot be written, a snapshot path that names no snapshot) used to surface
// only after the work began, as exit 1.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { applyMigrations, tables, writeMigrations } from '../migrations/fixtures.js';
import { appliedVersions } from '../pipeline/world.js';
import { runMain, type MainRun } from './run-main.js';

let db: TestDatabase;
let cwd: string;
let snapshotPath: string;
beforeAll(async () => {
  db = await createTestDatabase('rk_cli_usage');
  await db.query('CREATE TABLE orders (id int PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now()); INSERT INTO orders VALUES (1)');
  cwd = await mkdtemp(join(tmpdir(), 'rk-cli-usage-'));
  await writeFile(join(cwd, 'a-file'), '');
  const taken = await runMain(['snapshot', '--json', '--output-dir', join(cwd, 'taken')], { cwd, env: { DATABASE_URL: db.url } });
  expect(taken.code, taken.stderr).toBe(0);
  snapshotPath = (JSON.parse(taken.stdout) as { path: string }).path;
});

function isUsage(run: MainRun, command: string, message: string | RegExp): void {
  expect(run.code, run.stderr).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr).toMatch(typeof message === 'string' ? new RegExp(`^error: .*${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm') : message);
  expect(run.stderr).toContain(`Usage: rollback-kit ${command} [options]`);
}

describe('snapshot: flags that cannot work together, a folder it cannot write to', () => {
  it.each([
    [['--jobs', '4'], '--jobs 4 needs --format directory'],
    [['--export-tables', 'orders'], '--export-tables is set but --export-since is empty.'],
    [['--export-since', '2020-01-01T00:00:00Z'], '--export-since is set but --export-tables is empty.'],
    [['--export-since', '2020-01-01T00:00:00Z', '--export-tables', 'orders', '--export-column', 'created at'], '--export-column "created at" is not a plain column name.'],
    [['--output-dir', 'a-file/snapshots'], /^error: Cannot create --output-dir \/.*\/a-file\/snapshots: .*a-file is a file, not a folder/m],
  ])('%j: exit 2, nothing written', async (flags, message) => {
    const before = await readdir(cwd);
    // Paths absolute: the command resolves them against the process's folder, which in this test is not `cwd`.
    const absolute = flags.map((f, i) => (flags[i - 1] === '--output-dir' ? join(cwd, f) : f));
    const run = await runMain(['snapshot', '--output-dir', join(cwd, 'never'), ...absolute], { cwd, env: { DATABASE_URL: db.url } });
    isUsage(run, 'snapshot', message);
    expect(await readdir(cwd)).toEqual(before);
  });

  it('--json says so too: status usage', async () => {
    const run = await runMain(['snapshot', '--jobs', '4', '--json'], { cwd, env: { DATABASE_URL: db.url } });
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ command: 'snapshot', ok: false, status: 'usage' });
  });

  it('a failure of the work itself is still exit 1', async () => {
    const url = new URL(db.url);
    url.pathname = '/rk_cli_usage_no_such_database';
    const run = await runMain(['snapshot', '--output-dir', join(cwd, 'failed')], { cwd, env: { DATABASE_URL: url.toString() } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: Database "rk_cli_usage_no_such_database" does not exist/m);
    expect(run.stderr).not.toContain('Usage:');
  });
});

describe('restore: a snapshot path that names no snapshot, a folder it cannot write to', () => {
  it.each([
    [() => ['--snapshot-path', join(cwd, 'missing.dump')], 'missing.dump does not exist.'],
    [() => ['--snapshot-path', `${snapshotPath}.manifest.json`], 'is a snapshot\'s manifest, not the snapshot.'],
    [() => ['--snapshot-path', snapshotPath, '--pre-restore-dir', join(cwd, 'a-file', 'pre')], 'Cannot create --pre-restore-dir '],
  ])('%#: exit 2 with --yes, and the database is as it was', async (flags, message) => {
    await db.query('INSERT INTO orders VALUES (2)');
    const run = await runMain(['restore', ...flags(), '--yes'], { cwd, env: { DATABASE_URL: db.url } });
    isUsage(run, 'restore', message);
    expect((await db.query('SELECT count(*)::int AS n FROM orders')).rows[0]).toEqual({ n: 2 });
    await db.query('DELETE FROM orders WHERE id = 2');
  });
  it('a --confirm that names another database refuses, exit 2, in flags', async () => {
    const run = await runMain(['restore', '--snapshot-path', snapshotPath, '--confirm', 'other'], { cwd, env: { DATABASE_URL: db.url } });
    isUsage(run, 'restore', `/${db.name}: --confirm must be the target database's name "${db.name}", got "other". Set --confirm ${db.name} to restore over it. Nothing was changed.`);
  });
});

describe('down: no snapshot to go back to, no migrations folder', () => {
  let ws: string;
  beforeAll(async () => {
    ws = await mkdtemp(join(tmpdir(), 'rk-cli-usage-down-'));
    const dir = await writeMigrations(ws, 'dbmate', tables(2));
    await applyMigrations(db, 'dbmate', dir, tables(2));
  });

  it('without --snapshot-path it refuses before it asks, exit 2, with the way to go on', async () => {
    const run = await runMain(['down', '--steps', '1'], { cwd: ws, env: { DATABASE_URL: db.url } });
    isUsage(run, 'down', 'rollback-kit down refuses to change the database without a verified snapshot: --snapshot-path was not given.');
    expect(run.stderr).toContain('give --no-require-snapshot to go without');
    expect(run.stderr).not.toContain('refusing without --yes');
    const yes = await runMain(['down', '--steps', '1', '--yes'], { cwd: ws, env: { DATABASE_URL: db.url } });
    isUsage(yes, 'down', 'refuses to change the database without a verified snapshot');
    expect(await appliedVersions(db)).toEqual(['20240101000001', '20240101000002']);
  });

  it('a --snapshot-path that names no snapshot, a --migrations-dir that is no folder', async () => {
    isUsage(await runMain(['down', '--steps', '1', '--snapshot-path', join(ws, 'missing.dump'), '--yes'], { cwd: ws, env: { DATABASE_URL: db.url } }), 'down', 'missing.dump does not exist.');
    isUsage(await runMain(['down', '--steps', '1', '--migrations-dir', 'nope', '--no-require-snapshot', '--yes'], { cwd: ws, env: { DATABASE_URL: db.url } }), 'down', '--migrations-dir nope is not a folder');
    expect(await appliedVersions(db)).toEqual(['20240101000001', '20240101000002']);
    expect(existsSync(join(ws, 'rollback-kit-snapshots'))).toBe(false);
  });

  it('a --migrations-dir with none of --format\'s migrations is bad usage, as it is with --format auto', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'rk-cli-usage-down-empty-'));
    try {
      const named = await runMain(['down', '--steps', '1', '--format', 'dbmate', '--migrations-dir', empty, '--no-require-snapshot', '--yes'], { cwd: ws, env: { DATABASE_URL: db.url } });
      isUsage(named, 'down', `The migrations folder ${empty} holds no dbmate migrations. Check --migrations-dir and --format.`);
      const auto = await runMain(['down', '--steps', '1', '--migrations-dir', empty, '--no-require-snapshot', '--yes'], { cwd: ws, env: { DATABASE_URL: db.url } });
      isUsage(auto, 'down', `The migrations folder ${empty} is empty.`);
      expect(await appliedVersions(db)).toEqual(['20240101000001', '20240101000002']);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
