// Bad inputs fail with one clear error, change nothing, and never print the password; the snapshot
// requirement holds unless explicitly waived.
import { mkdir, open, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { findSecret, runAction, type ActionRun } from '../helpers/run-action.js';
import { applyMigrations, existingTables, git, tables, trackingState, workspace, writeMigrations } from './fixtures.js';
import { tempDir } from '../helpers/temp-dir.js';

const PASSWORD = 'Down-Migr4tion-S3cret';

function withPassword(url: string, password = PASSWORD): string {
  const u = new URL(url);
  u.password = password;
  return u.toString();
}

async function setup(applied = 3, total = 3): Promise<{ db: TestDatabase; ws: string }> {
  const db = await createTestDatabase('rk_down_in');
  const ws = await workspace();
  const steps = tables(total);
  const dir = await writeMigrations(ws, 'dbmate', steps);
  await applyMigrations(db, 'dbmate', dir, steps.slice(0, applied));
  if (applied < total) {
    // dbmate up applies everything: take the extra ones back by hand for this setup.
    for (const s of steps.slice(applied)) {
      await db.query(`DROP TABLE t${s.version.slice(-1)}`);
      await db.query('DELETE FROM schema_migrations WHERE version = $1', [s.version]);
    }
  }
  return { db, ws };
}

const down = (db: TestDatabase, ws: string, inputs: Record<string, string>) =>
  runAction('run-down-migrations', { 'database-url': withPassword(db.url), 'require-snapshot': 'false', ...inputs }, { cwd: ws });

async function expectCleanFailure(run: ActionRun, text: string | RegExp): Promise<void> {
  expect(run.code).not.toBe(0);
  expect(run.errors).toHaveLength(1);
  expect(run.errors[0]).toMatch(text);
  // Stopped before anything ran: the outputs say the step failed and nothing was reverted.
  expect([run.outputs.status, run.outputs.reverted, run.outputs.count]).toEqual(['failed', '[]', '0']);
  expect(run.stdout).not.toMatch(/\n\s+at /);
  expect(await findSecret(run, PASSWORD)).toEqual([]);
}

describe('run-down-migrations inputs', () => {
  it('rejects each bad input with a clear error and changes nothing', async () => {
    const { db, ws } = await setup(3, 5);
    await git(ws, 'init', '-q');
    await git(ws, 'add', '.');
    await git(ws, 'commit', '-q', '-m', 'migrations');
    const cases: [Record<string, string>, RegExp][] = [
      [{ steps: '1', format: 'flyway' }, /Input format must be auto or one of dbmate, golang-migrate/],
      [{ steps: '1', 'to-version': '20240101000001' }, /Inputs steps and to-version conflict/],
      [{ steps: '1', 'since-ref': 'HEAD~1' }, /Inputs steps and since-ref conflict/],
      [{}, /Nothing says which migrations to revert.*exactly one of steps/],
      [{ steps: '0' }, /Input steps must be at least 1/],
      [{ steps: 'two' }, /Input steps must be a whole number/],
      // Past 2^53 it would read as 1e+23: refused, quoted as typed.
      [{ steps: '99999999999999999999999' }, /Input steps is out of range: beyond ±9007199254740991, got 99999999999999999999999\./],
      [{ steps: '9' }, /steps is 9, but only 3 migration\(s\) are applied/],
      [{ 'to-version': '20240101000004' }, /Version 20240101000004 is not applied.*newest applied is 20240101000003/],
      [{ 'to-version': '42' }, /No migration has version 42/],
      [{ 'since-ref': 'no-such-ref' }, /since-ref no-such-ref is not a commit this checkout knows.*fetch-depth: 0/],
      [{ 'since-ref': '--output=x' }, /since-ref "--output=x" is not a git ref/],
      [{ steps: '1', 'dry-run': 'maybe' }, /Input dry-run must be true or false/],
      [{ steps: '1', 'lock-timeout-seconds': '-1' }, /Input lock-timeout-seconds must be at least 0/],
      [{ steps: '1', 'migrations-dir': 'nowhere' }, /migrations-dir nowhere is not a folder/],
    ];
    for (const [inputs, error] of cases) {
      const run = await down(db, ws, inputs);
      await expectCleanFailure(run, error);
    }
    expect(await existingTables(db)).toEqual(['t1', 't2', 't3']);
  });

  it('rejects an empty folder and a folder of unknown files', async () => {
    const db = await createTestDatabase('rk_down_in');
    const ws = await tempDir('rk-down-empty-');
    await mkdir(join(ws, 'db/migrations'), { recursive: true });
    await expectCleanFailure(await down(db, ws, { steps: '1' }), /migrations folder .* is empty/);
    await writeFile(join(ws, 'db/migrations/notes.txt'), 'hello');
    await expectCleanFailure(await down(db, ws, { steps: '1' }), /Cannot tell which migration tool.*Set format/);
    await expectCleanFailure(await down(db, ws, { steps: '1', format: 'dbmate' }), /holds no dbmate migrations/);
  });

  it('says so when the tracking table does not exist (wrong database or format)', async () => {
    const db = await createTestDatabase('rk_down_in');
    const ws = await workspace();
    await writeMigrations(ws, 'dbmate', tables(2));
    await expectCleanFailure(await down(db, ws, { steps: '1' }), /tracking table public\.schema_migrations does not exist/);
  });

  it('fails clearly on an unreachable database and a transaction pooler, without the password', async () => {
    const ws = await workspace();
    await writeMigrations(ws, 'dbmate', tables(2));
    const refused = await runAction('run-down-migrations', { 'database-url': `postgres://app:${PASSWORD}@127.0.0.1:1/prod`, steps: '1', 'require-snapshot': 'false' }, { cwd: ws });
    await expectCleanFailure(refused, /Cannot reach PostgreSQL at 127\.0\.0\.1:1\/prod: connection refused/);
    expect(refused.masked).toContain(PASSWORD);
    const pooler = await runAction('run-down-migrations', { 'database-url': `postgres://app:${PASSWORD}@127.0.0.1:6543/prod`, steps: '1', 'require-snapshot': 'false' }, { cwd: ws });
    await expectCleanFailure(pooler, /transaction-mode pooler.*port 5432/);
  });

  it('says what is wrong, one thing, when the connection fails while the folder is still being read', async () => {
    // The session is opened while the folder is read (here with git, for since-ref): its refusal
    // comes meanwhile, and is the error once the folder is read.
    const ws = await workspace();
    await writeMigrations(ws, 'dbmate', tables(2));
    await git(ws, 'init', '-q');
    await git(ws, 'add', '.');
    await git(ws, 'commit', '-q', '-m', 'migrations');
    const unreachable = `postgres://app:${PASSWORD}@127.0.0.1:1/prod`;
    const refused = await runAction('run-down-migrations', { 'database-url': unreachable, 'since-ref': 'HEAD', 'require-snapshot': 'false' }, { cwd: ws });
    await expectCleanFailure(refused, /Cannot reach PostgreSQL at 127\.0\.0\.1:1\/prod: connection refused/);
    // A folder that is wrong too: the folder's error, the connection's never.
    const both = await runAction('run-down-migrations', { 'database-url': unreachable, 'migrations-dir': 'nowhere', steps: '1', 'require-snapshot': 'false' }, { cwd: ws });
    await expectCleanFailure(both, /migrations-dir nowhere is not a folder/);
    expect(both.stderr).toBe('');
  });

  it('refuses to change anything without a verified snapshot, and runs with one', async () => {
    const { db, ws } = await setup(3, 3);
    const base = { 'database-url': withPassword(db.url), steps: '1' };
    const none = await runAction('run-down-migrations', base, { cwd: ws });
    await expectCleanFailure(none, /refuses to change the database without a verified snapshot: snapshot-path is empty/);
    await expectCleanFailure(await runAction('run-down-migrations', { ...base, 'snapshot-path': join(ws, 'missing.dump') }, { cwd: ws }), /does not exist/);

    const outDir = join(ws, 'snapshots');
    const snap = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': outDir });
    expect(snap.errors).toEqual([]);
    const path = snap.outputs.path!;

    // Dry run needs no snapshot: it changes nothing.
    const dry = await runAction('run-down-migrations', { ...base, 'dry-run': 'true' }, { cwd: ws });
    expect(dry.errors).toEqual([]);
    expect(dry.outputs.status).toBe('dry-run');

    const ok = await runAction('run-down-migrations', { ...base, 'snapshot-path': path }, { cwd: ws });
    expect(ok.errors).toEqual([]);
    expect(ok.log).toContain('verified');
    expect(ok.summary).toContain(`Way back: snapshot \`${path}\``);
    expect(await existingTables(db)).toEqual(['t1', 't2']);
    expect(await findSecret(ok, PASSWORD)).toEqual([]);

    // One byte changed: the snapshot no longer verifies and nothing runs.
    const size = (await stat(path)).size;
    const fh = await open(path, 'r+');
    await fh.write(Buffer.from([0x42]), 0, 1, Math.floor(size / 2));
    await fh.close();
    const bad = await runAction('run-down-migrations', { ...base, 'snapshot-path': path }, { cwd: ws });
    await expectCleanFailure(bad, /changed since it was taken/);
    expect(await existingTables(db)).toEqual(['t1', 't2']);
    expect(await trackingState(db, 'dbmate')).toEqual(['20240101000001', '20240101000002']);
  });

  it('refuses a snapshot of another database', async () => {
    const { db, ws } = await setup(2, 2);
    const other = await createTestDatabase('rk_down_other');
    const snap = await runAction('snapshot-db', { 'database-url': other.url, 'output-dir': join(ws, 'snapshots') });
    const run = await runAction('run-down-migrations', { 'database-url': withPassword(db.url), steps: '1', 'snapshot-path': snap.outputs.path! }, { cwd: ws });
    await expectCleanFailure(run, /is of another database \(snapshot: 127\.0\.0\.1:5432\/rk_down_other_[0-9a-f]+ \(system identifier \d+\); target: 127\.0\.0\.1:5432\/rk_down_in_[0-9a-f]+ \(system identifier \d+\)\)/);
    expect(await existingTables(db)).toEqual(['t1', 't2']);
  });
});
