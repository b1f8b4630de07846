// `rollback-kit sandbox` stopped by what is not a Ctrl-C: a SIGHUP (the SSH session or the terminal
// went away) and a stdout closed under it (`rollback-kit sandbox | head -1`). Each stops it as
// SIGTERM does, and leaves nothing behind: its database is dropped, and the last line says so. It
// used to die at once of either (exit 129, or exit 1 with a stack trace on the closed pipe's EPIPE),
// its rollback_kit_sandbox_<id> database left on the server. From the bundle (dist/cli/index.js).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.js';
import { adminQuery, ADMIN_URL } from '../helpers/pg.js';

const dirs: string[] = [];
const databases: string[] = [];
afterAll(async () => {
  // A failed test must not leave its sandbox database on the server.
  for (const d of databases) await adminQuery(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`);
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function workspace(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rk-sandbox-hup-'));
  dirs.push(dir);
  return dir;
}

/** The sandbox's database, named in its stderr: kept for afterAll's drop before anything is asserted. */
function sandboxDatabase(stderr: string): string | undefined {
  const name = /database (rollback_kit_sandbox_[0-9a-f]+)/.exec(stderr)?.[1];
  if (name) databases.push(name);
  return name;
}

async function exists(name: string | undefined): Promise<boolean> {
  expect(name).toBeDefined();
  return (await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
}

it('SIGHUP: the sandbox stops, removes what it started, says so, and exits 129', async () => {
  const cwd = await workspace();
  let sent = false;
  const run = await runCli(['sandbox', '--report-dir', 'report'], {
    cwd,
    env: { DATABASE_URL: ADMIN_URL },
    timeoutMs: 170_000,
    onStderr: (text, child) => {
      if (!sent && text.includes('› Deployed v1')) sent = child.kill('SIGHUP');
    },
  });
  const database = sandboxDatabase(run.stderr);
  expect(sent).toBe(true);
  expect([run.code, run.signal], run.stderr).toEqual([129, null]);
  expect(run.stderr).toContain('SIGHUP: stopping the sandbox and removing what it started');
  expect(run.stderr).not.toContain('could not clean up');
  expect(run.stderr.trim().split('\n').at(-1)).toMatch(/^Stopped \(SIGHUP\) while the sandbox was being set up, before the rollback started: everything it started is removed\./);
  expect(await exists(database)).toBe(false);
});

it('stdout closed (`| head -1`): the sandbox stops, removes what it started, says the rest on stderr, and exits 141', async () => {
  const cwd = await workspace();
  let closed = false;
  const run = await runCli(['sandbox', '--report-dir', 'report'], {
    cwd,
    env: { DATABASE_URL: ADMIN_URL },
    timeoutMs: 170_000,
    // As `head -1` does: the first line read, the pipe is closed.
    onSpawn: (child) =>
      child.stdout!.once('data', () => {
        closed = true;
        child.stdout!.destroy();
      }),
  });
  const database = sandboxDatabase(run.stderr);
  expect(closed).toBe(true);
  expect([run.code, run.signal], run.stderr).toEqual([141, null]);
  // Nothing died of the write: no stack trace, and the run's closing lines reached stderr.
  expect(run.stderr).not.toContain('EPIPE');
  expect(run.stderr).toContain('SIGPIPE, stdout closed: stopping the sandbox and removing what it started');
  expect(run.stderr).toMatch(/^The app serves v1 again; dbmate status afterwards:$/m);
  expect(run.stderr).not.toContain('could not clean up');
  // The rollback goes on to its end (the lines above): once its report is written, the last line says
  // it finished and the stop came as it ended; before, that it was stopped. Which one depends on when
  // the closed pipe is noticed.
  expect(run.stderr.trim().split('\n').at(-1)).toMatch(/^(?:Stopped|The rollback finished; the sandbox was stopped) \(SIGPIPE, stdout closed\)(?: as it ended)?: everything it started is removed\./);
  expect(await exists(database)).toBe(false);
});
