// A server at DATABASE_URL that answers and refuses the sandbox (a wrong password) is said to refuse,
// with PostgreSQL's reason, not to "not answer": the on-call engineer must fix the URL, not start a
// server that is running. Nothing of the password is printed. In-process from the source (main).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runMain } from '../cli/run-main.js';
import { startPasswordServer, type PasswordServer } from '../helpers/password-pg.js';

let server: PasswordServer | undefined;
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  await server?.stop();
});

it('a wrong password: "rejected the password", exit 1, the password nowhere', async () => {
  server = await startPasswordServer();
  const cwd = await mkdtemp(join(tmpdir(), 'rk-sandbox-refused-'));
  dirs.push(cwd);
  const wrong = 'Wr0ng-sandbox-passw0rd';
  const run = await runMain(['sandbox', '--report-dir', 'report'], { cwd, env: { DATABASE_URL: server.urlWithPassword(wrong) } });
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(/error: The PostgreSQL server at DATABASE_URL \(.+\) refused the sandbox: PostgreSQL at .+ rejected the password for user "[^"]+"\./);
  expect(run.stderr).not.toContain('does not answer');
  expect(run.stdout + run.stderr).not.toContain(wrong);
});
