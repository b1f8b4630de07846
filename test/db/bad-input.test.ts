// Every way snapshot-db and restore-db can be pointed wrong: one clear ::error:: line, a non-zero
// exit, nothing changed or left behind, and the password in nothing the run produced.
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync, copyFileSync, mkdirSync, truncateSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { startPasswordServer, type PasswordServer } from '../helpers/password-pg.js';
import { findSecret, runAction, type ActionRun } from '../helpers/run-action.js';
import { buildShopDatabase, failWhenCreated, fingerprintDatabase } from './fixture.js';
import { tempDir } from '../helpers/temp-dir.js';

const PASSWORD = 'Wr0ng-but-s3cret#pw';

let db: TestDatabase;
let snapshotPath: string;
let manifestPath: string;
let pwServer: PasswordServer;
let blackHole: Server;
let blackHolePort: number;

function withPassword(url: string, password = PASSWORD): string {
  const u = new URL(url);
  u.username = 'postgres';
  u.password = encodeURIComponent(password);
  return u.toString();
}

beforeAll(async () => {
  db = await createTestDatabase('rk_bad');
  await buildShopDatabase(db, 300);
  const dir = await tempDir('rk-bad-');
  const run = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': dir });
  expect(run.code).toBe(0);
  snapshotPath = run.outputs.path!;
  manifestPath = run.outputs['manifest-path']!;
  pwServer = await startPasswordServer();
  // Accepts TCP connections and never answers: a host that hangs, without leaving loopback.
  blackHole = createServer(() => undefined);
  await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', r));
  blackHolePort = (blackHole.address() as { port: number }).port;
});

afterAll(async () => {
  await pwServer?.stop();
  blackHole?.close();
});

async function expectCleanFailure(run: ActionRun, message: RegExp, secret = PASSWORD): Promise<void> {
  expect(run.code).not.toBe(0);
  expect(run.errors).toHaveLength(1);
  expect(run.errors[0]).toMatch(message);
  // One clear line, not a stack trace.
  expect(run.errors[0]).not.toMatch(/\n\s+at /);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(await findSecret(run, secret)).toEqual([]);
}

/** Snapshot files written into `dir` (a failed run must leave none): not the .gitignore of a folder it created. */
function snapshotsIn(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f !== '.gitignore') : [];
}

describe('snapshot-db refuses bad input', () => {
  it('unreachable host: connection refused, names host:port', async () => {
    const dir = await tempDir('rk-bad-');
    const run = await runAction('snapshot-db', { 'database-url': `postgres://postgres:${encodeURIComponent(PASSWORD)}@127.0.0.1:1/shop`, 'output-dir': dir });
    await expectCleanFailure(run, /Cannot reach PostgreSQL at 127\.0\.0\.1:1\/shop: connection refused/);
    expect(snapshotsIn(dir)).toEqual([]);
  });

  it('host that never answers: fails at the connect timeout, names host:port', async () => {
    const dir = await tempDir('rk-bad-');
    const run = await runAction('snapshot-db', {
      'database-url': `postgres://postgres:${encodeURIComponent(PASSWORD)}@127.0.0.1:${blackHolePort}/shop?connect_timeout=1`,
      'output-dir': dir,
    });
    await expectCleanFailure(run, new RegExp(`Cannot reach PostgreSQL at 127\\.0\\.0\\.1:${blackHolePort}/shop: no answer within the connect timeout`));
    expect(snapshotsIn(dir)).toEqual([]);
  });

  it('wrong password', async () => {
    const dir = await tempDir('rk-bad-');
    const run = await runAction('snapshot-db', { 'database-url': pwServer.urlWithPassword(PASSWORD), 'output-dir': dir });
    await expectCleanFailure(run, /rejected the password for user "postgres"/);
    expect(snapshotsIn(dir)).toEqual([]);
  });

  it('a password with a raw @ and /: refused without showing any piece of it', async () => {
    const run = await runAction('snapshot-db', { 'database-url': 'postgres://postgres:hunter2@secret/word@127.0.0.1:5432/shop', 'output-dir': await tempDir('rk-bad-') });
    for (const piece of ['hunter2', 'secret', 'hunter2@secret/word']) await expectCleanFailure(run, /password \(or user name\) holds a character .* Percent-encode/, piece);
  });

  it('a stray % in the password: the same advice, not an unexpected error', async () => {
    const run = await runAction('snapshot-db', { 'database-url': 'postgres://postgres:100%sure@127.0.0.1:5432/shop', 'output-dir': await tempDir('rk-bad-') });
    await expectCleanFailure(run, /% that does not start a percent-encoded character/, '100%sure');
  });

  it('unknown database', async () => {
    const run = await runAction('snapshot-db', { 'database-url': withPassword(db.url.replace(db.name, 'no_such_db_xyz')), 'output-dir': await tempDir('rk-bad-') });
    await expectCleanFailure(run, /Database "no_such_db_xyz" does not exist on 127\.0\.0\.1:5432/);
  });

  it('missing pg_dump', async () => {
    const run = await runAction('snapshot-db', { 'database-url': withPassword(db.url), 'pg-dump-path': '/nonexistent/bin/pg_dump', 'output-dir': await tempDir('rk-bad-') });
    await expectCleanFailure(run, /pg_dump at \/nonexistent\/bin\/pg_dump does not exist.*postgresql-client-\d+/);
  });

  it('pg_dump older than the server: fails before dumping and names the package to install', async () => {
    const dir = await tempDir('rk-bad-');
    const old = join(dir, 'pg_dump');
    // Stands in for an old client: answers --version as pg_dump 12 does, and fails loudly if ever asked to dump.
    writeFileSync(old, '#!/bin/sh\nif [ "$1" = "--version" ]; then echo "pg_dump (PostgreSQL) 12.17"; exit 0; fi\necho dumped >&2; exit 3\n');
    chmodSync(old, 0o755);
    const out = join(dir, 'out');
    const run = await runAction('snapshot-db', { 'database-url': withPassword(db.url), 'pg-dump-path': old, 'output-dir': out });
    await expectCleanFailure(run, /pg_dump 12\.17 at .* is older than the server \(PostgreSQL \d+\).*apt-get install -y postgresql-client-\d+/);
    expect(snapshotsIn(out)).toEqual([]);
  });

  it('output-dir not writable', async () => {
    const dir = await tempDir('rk-bad-');
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const run = await runAction('snapshot-db', { 'database-url': withPassword(db.url), 'output-dir': join(file, 'snapshots') });
    await expectCleanFailure(run, /Cannot create output-dir .*a-file\/snapshots: .*a-file is a file, not a folder\./);
  });

  it.each([
    [{ format: 'tar' }, /Input format must be one of custom, directory, plain, got "tar"/],
    [{ jobs: '4' }, /jobs: 4 needs format: directory/],
    [{ 'export-since': 'yesterday', 'export-tables': 'customers' }, /export-since must be an ISO 8601 time/],
    [{ 'export-since': '2026-01-01T00:00:00Z' }, /export-since is set but export-tables is empty/],
    [{ 'export-since': '2026-01-01T00:00:00Z', 'export-tables': 'nope' }, /export-tables names nope, which matches no table/],
    [{ 'export-since': '2026-01-01T00:00:00Z', 'export-tables': 'inventory.parts' }, /inventory\.parts has no column "created_at"/],
    [{ 'upload-artifact': 'yes' }, /upload-artifact must be true or false/],
  ])('invalid inputs %j', async (inputs, message) => {
    const dir = await tempDir('rk-bad-');
    const run = await runAction('snapshot-db', { 'database-url': withPassword(db.url), 'output-dir': dir, ...inputs });
    await expectCleanFailure(run, message);
    expect(snapshotsIn(dir)).toEqual([]);
  });

  it('a missing database-url is the runner\'s own message', async () => {
    const run = await runAction('snapshot-db', {});
    expect(run.code).toBe(1);
    expect(run.errors).toEqual(['Input required and not supplied: database-url.']);
  });

  it('upload-artifact outside GitHub Actions says so before dumping anything', async () => {
    const dir = await tempDir('rk-bad-');
    const run = await runAction('snapshot-db', { 'database-url': withPassword(db.url), 'output-dir': dir, 'upload-artifact': 'true' });
    await expectCleanFailure(run, /upload-artifact needs the GitHub Actions runtime .* Nothing was dumped/);
    expect(snapshotsIn(dir)).toEqual([]);
  });

  it('the manifest given as snapshot-path: says to pass the snapshot beside it', async () => {
    const run = await runAction('restore-db', { 'database-url': withPassword(db.url), 'snapshot-path': manifestPath, confirm: db.name });
    await expectCleanFailure(run, new RegExp(`is a snapshot's manifest, not the snapshot\\. Pass the snapshot beside it: ${snapshotPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.`));
  });
});

describe('restore-db refuses bad input and changes nothing', () => {
  let before: Record<string, unknown>;
  beforeAll(async () => {
    before = await fingerprintDatabase(db);
  });

  async function restoreWith(path: string, extra: Record<string, string> = {}): Promise<ActionRun> {
    return runAction('restore-db', { 'database-url': withPassword(db.url), 'snapshot-path': path, confirm: db.name, ...extra });
  }

  async function copySnapshot(): Promise<{ path: string; dir: string }> {
    const dir = await tempDir('rk-bad-');
    const path = join(dir, 'copy.dump');
    copyFileSync(snapshotPath, path);
    copyFileSync(manifestPath, `${path}.manifest.json`);
    return { path, dir };
  }

  it('confirm wrong or missing', async () => {
    for (const confirm of ['production', '']) {
      const run = await restoreWith(snapshotPath, { confirm });
      await expectCleanFailure(run, new RegExp(`confirm must be the target database's name "${db.name}".*Nothing was changed`));
    }
    expect(await fingerprintDatabase(db)).toEqual(before);
  });

  it('upload-artifact: true outside GitHub Actions: says nothing was changed (it was not), and that auto exists', async () => {
    const damaged = await createTestDatabase('rk_bad_upload');
    await damaged.query('CREATE TABLE prices (id int PRIMARY KEY); INSERT INTO prices SELECT generate_series(1, 10)');
    const snap = await runAction('snapshot-db', { 'database-url': damaged.url, 'output-dir': await tempDir('rk-bad-') });
    expect(snap.code).toBe(0);
    // What a restore would undo.
    await damaged.query('DELETE FROM prices WHERE id > 3');
    const preDir = await tempDir('rk-bad-pre-');
    const run = await runAction('restore-db', {
      'database-url': withPassword(damaged.url),
      'snapshot-path': snap.outputs.path!,
      confirm: damaged.name,
      'upload-artifact': 'true',
      'pre-restore-dir': preDir,
    });
    await expectCleanFailure(
      run,
      /^upload-artifact needs the GitHub Actions runtime \(ACTIONS_RUNTIME_TOKEN\), which this run does not have\. Run inside a GitHub Actions job, or set upload-artifact: auto \(uploads only when the step runs on GitHub Actions\) or false\. Nothing was changed: the restore did not start\.$/,
    );
    expect(run.errors[0]).not.toContain('dumped');
    expect((await damaged.query('SELECT count(*)::int AS n FROM prices')).rows[0]).toEqual({ n: 3 });
    expect(snapshotsIn(preDir)).toEqual([]);
  });

  it('snapshot file missing', async () => {
    await expectCleanFailure(await restoreWith('/nonexistent/snap.dump'), /Snapshot \/nonexistent\/snap\.dump does not exist/);
  });

  it('truncated snapshot (sha256 differs)', async () => {
    const { path } = await copySnapshot();
    truncateSync(path, Math.floor(statSync(path).size / 2));
    await expectCleanFailure(await restoreWith(path), /changed since it was taken: sha256 .* do not restore it/);
    expect(await fingerprintDatabase(db)).toEqual(before);
  });

  it('truncated snapshot whose manifest was rewritten to match: the full read catches it', async () => {
    const { path } = await copySnapshot();
    truncateSync(path, Math.floor(statSync(path).size * 0.6));
    const { createHash } = await import('node:crypto');
    const m = JSON.parse(readFileSync(`${path}.manifest.json`, 'utf8'));
    m.sha256 = createHash('sha256').update(readFileSync(path)).digest('hex');
    writeFileSync(`${path}.manifest.json`, JSON.stringify(m));
    await expectCleanFailure(await restoreWith(path), /is corrupt or truncated: could not read from input file/);
    expect(await fingerprintDatabase(db)).toEqual(before);
  });

  it('one byte of its data changed: the restore may start, but it never commits, and says the snapshot changed', async () => {
    const { path } = await copySnapshot();
    const bytes = readFileSync(path);
    // Near the end, in the data: its table of contents, at the start, still reads.
    const at = Math.floor(bytes.length * 0.9);
    bytes[at] = bytes[at]! ^ 0xff;
    writeFileSync(path, bytes);
    const run = await restoreWith(path, { 'pre-restore-snapshot': 'false' });
    await expectCleanFailure(run, /changed since it was taken: sha256 .*the database is as it was before|changed since it was taken: sha256 .* do not restore it/);
    expect(await fingerprintDatabase(db)).toEqual(before);
  });

  it('snapshot cut short in its last data, manifest rewritten to match: the restore\'s own read fails, and it rolls back', async () => {
    const { path } = await copySnapshot();
    // Its table of contents, at the start, still reads: only the restore reaches the missing data.
    truncateSync(path, Math.floor(statSync(path).size * 0.97));
    const { createHash } = await import('node:crypto');
    const m = JSON.parse(readFileSync(`${path}.manifest.json`, 'utf8'));
    m.sha256 = createHash('sha256').update(readFileSync(path)).digest('hex');
    writeFileSync(`${path}.manifest.json`, JSON.stringify(m));
    const run = await restoreWith(path, { 'pre-restore-snapshot': 'false' });
    await expectCleanFailure(run, /Snapshot .*copy\.dump is corrupt or truncated: .*The restore ran in one transaction, so the database is as it was before/);
    expect(await fingerprintDatabase(db)).toEqual(before);
  });

  it('not a dump at all', async () => {
    const { path } = await copySnapshot();
    writeFileSync(path, 'hello, I am not a database dump\n');
    await expectCleanFailure(await restoreWith(path), /is not a PostgreSQL dump/);
  });

  it('no manifest beside the snapshot', async () => {
    const dir = await tempDir('rk-bad-');
    mkdirSync(join(dir, 'x'));
    const path = join(dir, 'x', 'lonely.dump');
    copyFileSync(snapshotPath, path);
    await expectCleanFailure(await restoreWith(path), /has no manifest .*lonely\.dump\.manifest\.json/);
  });

  it('unreachable database: the snapshot verifies, then the connection fails before anything is written', async () => {
    const run = await runAction('restore-db', { 'database-url': `postgres://postgres:${encodeURIComponent(PASSWORD)}@127.0.0.1:1/${db.name}`, 'snapshot-path': snapshotPath, confirm: db.name });
    await expectCleanFailure(run, /Cannot reach PostgreSQL at 127\.0\.0\.1:1\//);
    expect(snapshotsIn(join(run.runnerTemp, 'rollback-kit', 'snapshots'))).toEqual([]);
  });

  it('wrong password', async () => {
    const run = await runAction('restore-db', { 'database-url': pwServer.urlWithPassword(PASSWORD), 'snapshot-path': snapshotPath, confirm: 'postgres' });
    await expectCleanFailure(run, /rejected the password/);
  });

  it('a restore that fails midway rolls back whole: the database is as it was', async () => {
    // Fails once the restore has dropped the snapshot's tables and created some of them again.
    const remove = await failWhenCreated(db, 'public.service_tickets');
    try {
      const mid = await fingerprintDatabase(db);
      const run = await restoreWith(snapshotPath, { 'pre-restore-snapshot': 'true' });
      await expectCleanFailure(run, /Restore into 127\.0\.0\.1:5432\/.* failed: injected failure: public\.service_tickets created\. The restore ran in one transaction, so the database is as it was before\. The state before is also kept in /);
      expect(existsSync(run.outputs['pre-restore-snapshot-path']!)).toBe(true);
      expect(await fingerprintDatabase(db)).toEqual(mid);
    } finally {
      await remove();
    }
  });
});
