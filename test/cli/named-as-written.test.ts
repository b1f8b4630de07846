// The command line names what the person wrote, where they wrote it: a key of rollback-kit.yml by
// its key (not as a flag they never gave), a flag as the flag, and the command that makes a
// snapshot's manifest by the command's name. A damaged snapshot (its manifest or its dump) is one
// failure, exit 1, whichever part is damaged; a path that names no snapshot is bad usage, exit 2.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { applyMigrations, tables, writeMigrations } from '../migrations/fixtures.js';
import { runMain } from './run-main.js';

let db: TestDatabase;
let cwd: string;
let snapshotPath: string;
beforeAll(async () => {
  db = await createTestDatabase('rk_cli_named');
  cwd = await mkdtemp(join(tmpdir(), 'rk-cli-named-'));
  await applyMigrations(db, 'dbmate', await writeMigrations(cwd, 'dbmate', tables(1)), tables(1));
  const taken = await runMain(['snapshot', '--json', '--output-dir', join(cwd, 'taken')], { cwd, env: { DATABASE_URL: db.url } });
  expect(taken.code, taken.stderr).toBe(0);
  snapshotPath = (JSON.parse(taken.stdout) as { path: string }).path;
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

const PLAN = [
  'components:',
  "  jobs: {provider: command, command: 'echo ok', target: v41}",
  'database:',
  '  format: dbmate',
  '  steps: 1',
  '  migrations-dir: db/nope',
  'verify:',
  '  base-url: http://127.0.0.1:9',
  '  checks-file: .github/none.yml',
  '',
].join('\n');

describe('plan: a key of rollback-kit.yml is named as the key, a flag as the flag', () => {
  let ws: string;
  beforeAll(async () => {
    ws = await mkdtemp(join(tmpdir(), 'rk-cli-named-plan-'));
  });
  afterAll(async () => {
    await rm(ws, { recursive: true, force: true });
  });

  it('from rollback-kit.yml: its keys, and no flag the person never gave', async () => {
    await writeFile(join(ws, 'rollback-kit.yml'), PLAN);
    const run = await runMain(['plan'], { cwd: ws, env: { DATABASE_URL: db.url } });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain('Cannot read rollback-kit.yml\'s verify.checks-file ".github/none.yml": no such file.');
    expect(run.stderr).toContain("rollback-kit.yml's database.migrations-dir db/nope is not a folder in ");
    expect(run.stderr).not.toContain('--checks-file');
    expect(run.stderr).not.toContain('--migrations-dir');
  });

  it('a --config file is named by its path', async () => {
    await mkdir(join(ws, 'ops'), { recursive: true });
    await writeFile(join(ws, 'ops', 'rollback.yml'), PLAN);
    const run = await runMain(['plan', '--config', 'ops/rollback.yml'], { cwd: ws, env: { DATABASE_URL: db.url } });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain('Cannot read ops/rollback.yml\'s verify.checks-file ".github/none.yml"');
  });

  it('the same values as flags: the flags', async () => {
    await rm(join(ws, 'rollback-kit.yml'), { force: true });
    const flags = ['--provider', 'command', '--command', 'echo ok', '--target', 'v41', '--steps', '1', '--format', 'dbmate', '--migrations-dir', 'db/nope', '--base-url', 'http://127.0.0.1:9', '--checks-file', '.github/none.yml'];
    const run = await runMain(['plan', '--scope', 'full', ...flags], { cwd: ws, env: { DATABASE_URL: db.url } });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain('Cannot read --checks-file ".github/none.yml": no such file.');
    expect(run.stderr).toContain('--migrations-dir db/nope is not a folder in ');
  });

  it('a flag over the file\'s key: the flag', async () => {
    await writeFile(join(ws, 'rollback-kit.yml'), PLAN.replace('checks-file: .github/none.yml', 'checks-file: .github/there.yml'));
    await mkdir(join(ws, '.github'), { recursive: true });
    await writeFile(join(ws, '.github', 'there.yml'), '- {name: a, url: /}\n');
    const run = await runMain(['plan', '--checks-file', '.github/none.yml'], { cwd: ws, env: { DATABASE_URL: db.url } });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain('Cannot read --checks-file ".github/none.yml"');
    expect(run.stderr).toContain("rollback-kit.yml's database.migrations-dir db/nope");
  });
});

describe('restore and down: the damaged snapshot, named and exited alike', () => {
  /** A copy of the snapshot beside a manifest made by `damage`. */
  async function copyWith(name: string, damage: { manifest?: (text: string) => string; dump?: (bytes: Buffer) => Buffer }): Promise<string> {
    const dir = join(cwd, name);
    await mkdir(dir, { recursive: true });
    const path = join(dir, 'shop.dump');
    const dump = await readFile(snapshotPath);
    await writeFile(path, damage.dump ? damage.dump(dump) : dump);
    const manifest = await readFile(`${snapshotPath}.manifest.json`, 'utf8');
    await writeFile(`${path}.manifest.json`, damage.manifest ? damage.manifest(manifest) : manifest);
    return path;
  }

  const notJson = () => 'not json {';
  // A byte in the middle: the dump still starts as one, and its checksum no longer matches.
  const flipped = (bytes: Buffer) => {
    const copy = Buffer.from(bytes);
    const middle = copy.length >> 1;
    copy[middle] = copy[middle]! ^ 0xff;
    return copy;
  };

  it('a manifest that is not JSON: damaged, exit 1, as a corrupt dump', async () => {
    const badManifest = await copyWith('bad-manifest', { manifest: notJson });
    const corruptDump = await copyWith('corrupt-dump', { dump: flipped });
    for (const command of [['restore'], ['down', '--steps', '1', '--migrations-dir', 'db/migrations', '--format', 'dbmate']]) {
      const manifestRun = await runMain([...command, '--snapshot-path', badManifest, '--yes'], { cwd, env: { DATABASE_URL: db.url } });
      expect(manifestRun.stderr).toMatch(/^error: Cannot read the snapshot manifest .*: it is not valid JSON\. It was edited or damaged.*take or pick another one\./m);
      expect(manifestRun.stderr).not.toContain('snapshot-db');
      expect(manifestRun.stderr).not.toContain('Usage:');
      expect(manifestRun.code, `${command[0]}: ${manifestRun.stderr}`).toBe(1);
    }
    const dumpRun = await runMain(['restore', '--snapshot-path', corruptDump, '--yes'], { cwd, env: { DATABASE_URL: db.url } });
    expect(dumpRun.stderr).toMatch(/changed since it was taken/);
    expect(dumpRun.code, dumpRun.stderr).toBe(1);
  });

  it('a path that names no snapshot (no manifest beside it) stays bad usage, exit 2', async () => {
    const path = await copyWith('no-manifest', {});
    await rm(`${path}.manifest.json`);
    const run = await runMain(['restore', '--snapshot-path', path, '--yes'], { cwd, env: { DATABASE_URL: db.url } });
    expect(run.stderr).toMatch(/has no manifest .* Use a snapshot taken by rollback-kit snapshot/);
    expect(run.code, run.stderr).toBe(2);
  });
});
