// What the sandboxes print is what happened: a drill's readiness rows keep their check names (the
// command line's flag wording is for messages, and "checks: 3 smoke check(s) loaded" is a row, not
// a flag), a dry run does not say the app serves v2 "again", and Vercel's warning names the command
// that promotes a fix (in the sandbox: the drill's roll-forward undoes what it warns of). In-process
// from the source (main).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ADMIN_URL } from '../helpers/pg.js';
import { runMain } from './run-main.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function folder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rk-sandbox-output-'));
  dirs.push(dir);
  return dir;
}

it('drill --sandbox: each readiness row is "<check>: <detail>", the check named as it is', async () => {
  const run = await runMain(['drill', '--sandbox', '--report-dir', 'report'], { cwd: await folder(), env: { DATABASE_URL: ADMIN_URL } });
  expect(run.code, run.stderr).toBe(0);
  expect(run.stdout).toMatch(/^ {2}✓ checks: 3 smoke check\(s\) loaded$/m);
  expect(run.stdout).toMatch(/^ {2}✓ web target: /m);
  expect(run.stdout).not.toContain('--checks 3');
  // The drill's own roll-forward turns Vercel's auto-assignment back on: no warning that it is off.
  expect(run.stderr).not.toContain('automatic domain assignment');
});

it('sandbox: Vercel\'s switched-off auto-assignment names the command that promotes the fix', async () => {
  const run = await runMain(['sandbox', '--report-dir', 'report'], { cwd: await folder(), env: { DATABASE_URL: ADMIN_URL } });
  expect(run.code, run.stderr).toBe(0);
  // The command to promote the fix, not "this action (method: promote, …)".
  expect(run.stderr).toContain('promote it with `rollback-kit promote --method promote --target <deployment id>`');
  expect(run.stderr).not.toContain('this action');
});

it('sandbox --dry-run: the app still serves v2, and nothing says it is back', async () => {
  const run = await runMain(['sandbox', '--dry-run', '--report-dir', 'report'], { cwd: await folder(), env: { DATABASE_URL: ADMIN_URL } });
  expect(run.code, run.stderr).toBe(0);
  expect(run.stdout).toContain('Dry run: the app still serves v2; dbmate status afterwards:');
  expect(run.stdout).not.toMatch(/serves v\d again/);
});

// The shared server trusts every local connection, so any password gets in: it must not be printed.
const admin = new URL(ADMIN_URL);
const SHOWN = `postgres://${admin.username}:***@${admin.host}${admin.pathname}`;
it.each([
  ['a URL', () => Object.assign(new URL(ADMIN_URL), { password: 'sandbox-admin-pw-4821' }).href, 'sandbox-admin-pw-4821'],
  ['key=value', () => `host=${admin.hostname} port=${admin.port || 5432} user=${admin.username} password='kv-admin-pw-9931' dbname=${admin.pathname.slice(1)}`, 'kv-admin-pw-9931'],
])('sandbox --json, DATABASE_URL as %s: started.adminUrl names the user, host, port and database, and hides only the password', async (_, url, password) => {
  const run = await runMain(['sandbox', '--dry-run', '--json', '--report-dir', 'report'], { cwd: await folder(), env: { DATABASE_URL: url() } });
  expect(run.code, run.stderr).toBe(0);
  const doc = JSON.parse(run.stdout) as { started: { adminUrl: string } };
  expect(doc.started.adminUrl).toBe(SHOWN);
  expect(`${run.stdout}${run.stderr}`).not.toContain(password);
});
