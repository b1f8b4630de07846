// A stop once the command began, mid-snapshot (pg_dump waiting behind another session's lock): the
// closing line says what the snapshot had written was removed, yet the folders this run made were
// left holding only its own .gitignore (review 3). Now they go as a stop before the command began
// removes them (signals.ts undoMade): only what this run made, only while it holds nothing else.
// From the source, the signal emitted in this process, as the command's handlers receive it.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, holdTableLock, waitForLockWaiter, type TestDatabase } from '../helpers/pg.js';
import { dbmate, writeMigrations } from '../migrations/fixtures.js';
import { runMain } from './run-main.js';

let db: TestDatabase;
let ws: string;
let release: (() => Promise<void>) | undefined;
beforeAll(async () => {
  db = await createTestDatabase('rk_fix_redact_stops');
  await db.query('CREATE TABLE users (id int)');
  ws = await mkdtemp(join(tmpdir(), 'rk-stopped-mid-snapshot-'));
});
afterEach(async () => {
  await release?.();
  release = undefined;
});
afterAll(async () => {
  await db.drop();
  await rm(ws, { recursive: true, force: true });
});

/** Runs `argv` with users locked, and sends SIGINT once pg_dump waits behind the lock. */
async function stoppedWhileDumpWaits(argv: string[]) {
  release = await holdTableLock(db, 'users', 'ACCESS EXCLUSIVE');
  const running = runMain(argv, { cwd: ws, env: { DATABASE_URL: db.url } });
  await waitForLockWaiter({ database: db.name, applicationName: 'rollback-kit-snapshot%' }, { unless: running });
  process.emit('SIGINT', 'SIGINT');
  return running;
}

it('snapshot --output-dir nested/deep/x: the folders it made, and the .gitignore in the last, are removed; the line is true', async () => {
  const run = await stoppedWhileDumpWaits(['snapshot', '--output-dir', join(ws, 'nested/deep/x'), '--lock-timeout-seconds', '30']);
  expect(run.code).toBe(130);
  expect(run.stderr).toMatch(/was stopped before it was verified, so no snapshot was made: pg_dump was ended \(or never started\) and what it had written was removed\./);
  expect(run.stderr).not.toContain('is left as it is');
  expect(existsSync(join(ws, 'nested'))).toBe(false);
});

it('snapshot into a folder that was there: it and what was in it stay, nothing added', async () => {
  const kept = join(ws, 'kept');
  await mkdir(kept);
  await writeFile(join(kept, 'old.dump'), 'x');
  const run = await stoppedWhileDumpWaits(['snapshot', '--output-dir', kept, '--lock-timeout-seconds', '30']);
  expect(run.code).toBe(130);
  expect(await readdir(kept)).toEqual(['old.dump']);
});

it('rollback db stopped in its snapshot phase: rollback-kit-snapshots (with its .gitignore) is removed', async () => {
  await writeFile(join(ws, 'rollback-kit.yml'), ['database:', '  migrations-dir: db/migrations', '  format: dbmate', '  steps: 1', ''].join('\n'));
  await dbmate(db, await writeMigrations(ws, 'dbmate', [{ version: '20240101000001', name: 'create_t1', up: 'CREATE TABLE t1 (id int);', down: 'DROP TABLE t1;' }]), 'up');
  const run = await stoppedWhileDumpWaits(['rollback', 'db', '--reason', 'checkout returns 500', '--yes']);
  expect(run.code, `${run.stdout}${run.stderr}`).toBe(130);
  expect(`${run.stdout}${run.stderr}`).not.toContain('is left as it is');
  expect(existsSync(join(ws, 'rollback-kit-snapshots'))).toBe(false);
});
