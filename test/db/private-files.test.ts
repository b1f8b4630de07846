// What holds a database's data (a snapshot, its CSV exports, pg_dump's own files in directory
// format) or describes it (the manifest) is readable by the user who ran us alone: files 0600, the
// folders we create for them 0700, whatever the umask, and a snapshot folder we create tells git to
// leave it out. A folder that was there is the user's and is left as it is. This file runs under
// umask 000, the loosest there is: a file or folder that takes its mode from the umask shows here.
import { execFileSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { restoreSnapshot } from '../../src/db/restore.js';
import { takeSnapshot, wholeDatabaseSnapshot, type SnapshotRequest } from '../../src/db/snapshot.js';
import { runMain } from '../cli/run-main.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { ROOT, runAction } from '../helpers/run-action.js';
import { restoreRequest } from '../restore-db/request.js';
import { tempDir } from '../helpers/temp-dir.js';

const mode = (path: string) => statSync(path).mode & 0o777;

/** Every file and folder under `dir` (itself not included), with its mode. */
function modesUnder(dir: string): { path: string; mode: number; folder: boolean }[] {
  const out: { path: string; mode: number; folder: boolean }[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const folder = statSync(path).isDirectory();
    out.push({ path, mode: mode(path), folder });
    if (folder) out.push(...modesUnder(path));
  }
  return out;
}

/** Every file under `dir` is 0600 and every folder 0700. */
function expectPrivate(dir: string): void {
  const all = modesUnder(dir);
  expect(all.length).toBeGreaterThan(0);
  for (const f of all) expect({ path: f.path, mode: f.mode.toString(8) }).toEqual({ path: f.path, mode: f.folder ? '700' : '600' });
}

let db: TestDatabase;
let umask: number;
beforeAll(async () => {
  umask = process.umask(0);
  db = await createTestDatabase('rk_private_files');
  await db.query(`CREATE TABLE orders (id int PRIMARY KEY, created_at timestamptz NOT NULL);
    INSERT INTO orders SELECT g, '2025-06-01T00:00:00Z'::timestamptz + g * interval '1 minute' FROM generate_series(1, 50) g;
    CREATE TABLE notes (id int, body text); INSERT INTO notes VALUES (1, 'a')`);
});
afterAll(() => {
  process.umask(umask);
});

function request(outputDir: string, more: Partial<SnapshotRequest> = {}): SnapshotRequest {
  return { ...wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir, tools: { searchPath: process.env.PATH ?? '' } }), ...more };
}

describe('snapshot-db', () => {
  it('custom format into a folder it creates (and its parent): folders 0700, dump and manifest 0600, a .gitignore of *', async () => {
    const base = await tempDir('rk-private-');
    const outputDir = join(base, 'new', 'snapshots');
    const result = await takeSnapshot(request(outputDir), memoryLog());
    expect(mode(join(base, 'new'))).toBe(0o700);
    expectPrivate(outputDir);
    expect(mode(result.path)).toBe(0o600);
    expect(mode(result.manifestPath)).toBe(0o600);
    expect(readFileSync(join(outputDir, '.gitignore'), 'utf8')).toMatch(/^\*$/m);
  });

  it("directory format with parallel jobs and CSV exports: pg_dump's own files and every export 0600, their folders 0700", async () => {
    const outputDir = join(await tempDir('rk-private-'), 'snapshots');
    const result = await takeSnapshot(request(outputDir, { format: 'directory', jobs: 2, exportSince: new Date('2025-06-01T00:10:00Z'), exportTables: ['orders'] }), memoryLog());
    expect(readdirSync(result.path).length).toBeGreaterThan(1);
    expect(readdirSync(result.exportsDir!)).toEqual(['public.orders.csv']);
    expectPrivate(outputDir);
  });

  it('a folder that was there is left as it is (mode, no .gitignore); the snapshot in it is still private', async () => {
    const outputDir = await tempDir('rk-private-');
    await chmod(outputDir, 0o755);
    const result = await takeSnapshot(request(outputDir, { format: 'plain' }), memoryLog());
    expect(mode(outputDir)).toBe(0o755);
    expect(readdirSync(outputDir).sort()).toEqual([result.path, result.manifestPath].map((p) => p.slice(outputDir.length + 1)).sort());
    expect(mode(result.path)).toBe(0o600);
    expect(mode(result.manifestPath)).toBe(0o600);
  });
});

it("restore-db's pre-restore snapshot: into a folder it creates, private as any snapshot", async () => {
  const snapshot = await takeSnapshot(request(await tempDir('rk-private-')), memoryLog());
  const preRestoreDir = join(await tempDir('rk-private-'), 'before-restore');
  const result = await restoreSnapshot(await restoreRequest(db.url, snapshot.path, { preRestoreDir }), memoryLog());
  expect(result.preRestoreSnapshotPath?.startsWith(preRestoreDir)).toBe(true);
  expectPrivate(preRestoreDir);
  expect(readFileSync(join(preRestoreDir, '.gitignore'), 'utf8')).toMatch(/^\*$/m);
});

it('rollback-kit snapshot in a git repository: its default folder is private and git ignores it', async () => {
  const repo = await tempDir('rk-private-repo-');
  execFileSync('git', ['init', '-q', repo]);
  await writeFile(join(repo, 'app.txt'), 'app\n');
  const run = await runMain(['snapshot', '--export-since', '2025-06-01T00:10:00Z', '--export-tables', 'orders'], { cwd: repo, env: { DATABASE_URL: db.url } });
  expect(run.code, run.stderr).toBe(0);
  const folder = join(repo, 'rollback-kit-snapshots');
  expectPrivate(folder);
  // Only the repository's own file is there to add: one `git add -A` commits no dump.
  expect(execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: repo, encoding: 'utf8' })).toBe('?? app.txt\n');
});

it('the snapshot-db bundle under umask 000: its default folders under RUNNER_TEMP 0700, every file 0600', async () => {
  // The runner's Node, loosening the umask before it loads the bundle (a shell would drop the
  // INPUT_DATABASE-URL variable: its name is not one a shell keeps).
  const dir = await tempDir('rk-private-node-');
  const node = join(dir, 'node.mjs');
  await writeFile(node, `#!${process.execPath}\nprocess.umask(0);\nprocess.argv.splice(1, 1);\nawait import(process.argv[1]);\n`);
  chmodSync(node, 0o755);
  const run = await runAction('snapshot-db', { 'database-url': db.url, format: 'directory', 'export-since': '2025-06-01T00:10:00Z', 'export-tables': 'orders' }, { node, cwd: ROOT });
  expect(run.code, run.log).toBe(0);
  expect(mode(join(run.runnerTemp, 'rollback-kit'))).toBe(0o700);
  expectPrivate(join(run.runnerTemp, 'rollback-kit'));
  expect(run.outputs['exports-dir']).not.toBe('');
});

it('a folder the user gave that does not exist yet, several levels deep, is made private level by level', async () => {
  const base = await tempDir('rk-private-');
  await mkdir(join(base, 'kept'), { mode: 0o755 });
  const outputDir = join(base, 'kept', 'a', 'b');
  await takeSnapshot(request(outputDir), memoryLog());
  expect(mode(join(base, 'kept'))).toBe(0o755);
  expect(mode(join(base, 'kept', 'a'))).toBe(0o700);
  expectPrivate(join(base, 'kept', 'a'));
});
