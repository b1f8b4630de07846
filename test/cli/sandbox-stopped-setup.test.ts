// `rollback-kit sandbox` stopped while its sandbox is set up (its PostgreSQL database, the local
// Vercel API and shop), before the rollback's first phase: the last line says so in those words,
// as the drill's does, and what it started is removed. From the bundle (dist/cli: needs a rebuilt dist).
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { adminQuery } from '../helpers/pg.js';
import { runCli } from './run-cli.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('a SIGTERM while the sandbox is set up: "while the sandbox was being set up, before the rollback started", nothing left', async () => {
  dir = await mkdtemp(join(tmpdir(), 'rk-sandbox-setup-stop-'));
  let sent = false;
  const run = await runCli(['sandbox'], {
    cwd: dir,
    timeoutMs: 120_000,
    // The setup's steps are progress, on stderr: the local Vercel API is up, the rollback not started.
    onStderr: (text, child) => {
      if (!sent && text.includes('Local Vercel API on')) sent = child.kill('SIGTERM');
    },
  });
  expect(sent).toBe(true);
  expect(run.code).toBe(143);
  const last = run.stderr.trim().split('\n').at(-1)!;
  expect(last).toMatch(/^Stopped \(SIGTERM\) while the sandbox was being set up, before the rollback started: everything it started is removed\./);
  expect(`${run.stdout}${run.stderr}`).not.toMatch(/✓ plan|plan +ok/);
  const name = /database (rollback_kit_sandbox_[0-9a-f]+)/.exec(run.stderr)?.[1];
  expect(name).toBeDefined();
  expect((await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount).toBe(0);
  expect(await readdir(dir)).toEqual([]);
});
