// `down --to-version` naming a version no file of the migrations folder has is a typo the flags and
// the folder tell alone, like a folder without migrations: bad usage (exit 2, the usage line),
// before anything is asked. It exited 1, as a failure met once the work had begun.
// The built command line, real PostgreSQL.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/pg.js';
import { applyMigrations, tables, writeMigrations } from '../migrations/fixtures.js';
import { runCli } from './run-cli.js';

let ws: string | undefined;
afterEach(async () => {
  if (ws) await rm(ws, { recursive: true, force: true });
});

it('down --to-version 2099, a version not in the folder, exits 2 with the usage line and changes nothing', async () => {
  const db = await createTestDatabase('rk_cli_down_unknown_version');
  ws = await mkdtemp(join(tmpdir(), 'rk-cli-down-unknown-version-'));
  await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', tables(2)), tables(2));
  const run = await runCli(['down', '--to-version', '2099', '--no-require-snapshot', '--yes'], { cwd: ws, env: { DATABASE_URL: db.url } });
  expect(run.code, run.stdout + run.stderr).toBe(2);
  expect(run.stderr).toMatch(/No migration in \S+ has version 2099\./);
  expect(run.stderr).toContain('the newest in the folder is 20240101000002');
  expect(run.stderr).toContain('Usage: rollback-kit down');
  // A version the folder has still plans as before.
  const known = await runCli(['down', '--to-version', '20240101000001', '--dry-run'], { cwd: ws, env: { DATABASE_URL: db.url } });
  expect(known.code, known.stdout + known.stderr).toBe(0);
});
