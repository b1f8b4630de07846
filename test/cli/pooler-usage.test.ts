// A transaction-mode pooler is told from the database URL alone (Supabase's port 6543,
// pgbouncer=true): a URL that cannot work is bad usage (exit 2, the usage line), refused before
// anything is asked, connected or changed, as the README's exit codes put every mistake the flags
// alone show. In-process from the source (main); nothing answers on port 6543, nor is it asked.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runMain } from './run-main.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A project folder with one dbmate migration. */
async function project(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rk-cli-pooler-'));
  dirs.push(dir);
  await mkdir(join(dir, 'db', 'migrations'), { recursive: true });
  await writeFile(join(dir, 'db', 'migrations', '20240101000000_create_a.sql'), '-- migrate:up\nCREATE TABLE a (id int);\n\n-- migrate:down\nDROP TABLE a;\n');
  return dir;
}

const POOLERS = ['postgres://app.ref:pw-pooler-123@aws-0-eu-west-1.pooler.supabase.com:6543/postgres', 'postgres://app@db.example.com:5432/shop?pgbouncer=true'];

it.each(
  POOLERS.flatMap((url) => [
    [['snapshot', '--output-dir', 'snaps'], url],
    [['restore', '--snapshot-path', 'shop.dump', '--yes'], url],
    [['restore', '--snapshot-path', 'shop.dump', '--dry-run'], url],
    [['down', '--steps', '1', '--no-require-snapshot', '--yes'], url],
    [['rollback', 'db', '--reason', 'bad migration', '--steps', '1', '--yes', '--incident-issue', 'false'], url],
  ] as const),
)('%j with a transaction-mode pooler (%s): exit 2, said before anything starts', async (argv, url) => {
  const cwd = await project();
  const run = await runMain([...argv, '--database-url', url], { cwd });
  expect(run.code, run.stderr).toBe(2);
  expect(run.stderr).toMatch(/^error: .+:(6543|5432)\/(postgres|shop) is a transaction-mode pooler: it hands each transaction to another server session, so .+ Use the session pooler or the direct connection \(port 5432; on Supabase the "Session pooler" connection string\)\. Nothing was changed\.$/m);
  expect(run.stderr).toContain(`Usage: rollback-kit ${argv[0]} `);
  expect(run.stderr).not.toContain('pw-pooler-123');
  // Nothing was started: no snapshot folder, no spinner row.
  expect((await readdir(cwd)).sort()).toEqual(['db']);
});
