// The sandbox's messages name the database URL as the person gave it: --database-url when that flag
// was given (whatever DATABASE_URL the shell also holds), DATABASE_URL when it came from there, and
// both ways when neither was given. In-process from the source (main).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runMain } from '../cli/run-main.js';
import { ADMIN_URL } from '../helpers/pg.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function folder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rk-sandbox-source-'));
  dirs.push(dir);
  return dir;
}

const REMOTE = 'postgres://deploy@db.example.com:5432/shop';
// Port 1 on loopback: nothing listens there, so the server "does not answer".
const SILENT = 'postgres://postgres@127.0.0.1:1/postgres';

it('--database-url on another host: the refusal names --database-url and says to leave it out (exit 2)', async () => {
  const run = await runMain(['sandbox', '--database-url', REMOTE, '--report-dir', 'report'], { cwd: await folder(), env: { DATABASE_URL: ADMIN_URL } });
  expect(run.code).toBe(2);
  expect(run.stderr).toContain('The sandbox runs only on this machine, and --database-url points at db.example.com:5432/shop');
  expect(run.stderr).toContain('Leave out --database-url (the sandbox then uses the local server or a throwaway cluster), or point it at a local server.');
  expect(run.stderr).not.toContain('DATABASE_URL');
});

it('DATABASE_URL on another host: the refusal names DATABASE_URL and says to unset it (exit 2)', async () => {
  const run = await runMain(['sandbox', '--report-dir', 'report'], { cwd: await folder(), env: { DATABASE_URL: REMOTE } });
  expect(run.code).toBe(2);
  expect(run.stderr).toContain('The sandbox runs only on this machine, and DATABASE_URL points at db.example.com:5432/shop');
  expect(run.stderr).toContain('Unset DATABASE_URL (the sandbox then uses');
  expect(run.stderr).not.toContain('--database-url points');
  // What it accepts, as README says: all of 127.0.0.0/8, not 127.0.0.1 alone.
  expect(run.stderr).toContain('it refuses any host but a loopback address (127.0.0.0/8, ::1), localhost or a Unix socket.');
});

it('a host elsewhere in 127.0.0.0/8 is this machine: tried, not refused', async () => {
  const run = await runMain(['sandbox', '--database-url', 'postgres://postgres@127.0.0.2:1/postgres', '--report-dir', 'report'], { cwd: await folder() });
  expect(run.code).toBe(1);
  expect(run.stderr).toContain('The PostgreSQL server at --database-url (127.0.0.2:1/postgres) does not answer');
});

it('--database-url where nothing answers: the failure names --database-url, not DATABASE_URL', async () => {
  const run = await runMain(['sandbox', '--database-url', SILENT, '--report-dir', 'report'], { cwd: await folder() });
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(/The PostgreSQL server at --database-url \(127\.0\.0\.1:1\/postgres\) does not answer: .+ Start it or fix --database-url; leave out --database-url to let the sandbox use a local server or a throwaway cluster\./);
  expect(run.stderr).not.toContain('DATABASE_URL');
});

it('--database-url that works: the sandbox says it runs on --database-url', async () => {
  const run = await runMain(['sandbox', '--dry-run', '--database-url', ADMIN_URL, '--report-dir', 'report'], { cwd: await folder() });
  expect(run.code, run.stderr).toBe(0);
  expect(run.stderr).toMatch(/PostgreSQL: --database-url \(127\.0\.0\.1:5432\/postgres\), database rollback_kit_sandbox_/);
});

it('plan without any database URL, the database in scope: says neither was given (a rollback would stop there)', async () => {
  const cwd = await folder();
  const run = await runMain(['plan', '--provider', 'vercel', '--project', 'shop', '--scope', 'full', '--steps', '1'], { cwd, env: { VERCEL_TOKEN: 'vercel_plan_test_token' } });
  expect(run.code).toBe(2);
  expect(run.stderr).toContain('--database-url was not given and DATABASE_URL is not set');
});
