// After `rollback-kit smoke` fails, its last line is the command that rolls production back, ready
// to paste (the failed checks as its reason, the verdict's severity), and --json gives it as `next`.
// A run a confirming run disagreed with says to look first; a pass says nothing of the kind.
// Failed SQL checks are the database's: the command rolls the database back (scope db), or both
// when HTTP checks failed too (scope full).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { program } from '../../src/cli/main.js';
import { ADMIN_URL } from '../helpers/pg-env.js';
import { startServer } from '../smoke/servers.js';
import { runMain } from './run-main.js';
import { shellWords } from './shell-words.js';

const withPlan = mkdtempSync(join(tmpdir(), 'rk-smoke-next-'));
const withoutPlan = mkdtempSync(join(tmpdir(), 'rk-smoke-next-'));
writeFileSync(join(withPlan, 'rollback-kit.yml'), 'components:\n  - name: web\n    provider: vercel\n    project: shop\n');
afterAll(() => {
  rmSync(withPlan, { recursive: true, force: true });
  rmSync(withoutPlan, { recursive: true, force: true });
});

/** The `rollback-kit …` command inside a Next line's backticks. */
const commandIn = (text: string) => /`(rollback-kit [^`]+)`/.exec(text)?.[1];

/** The command as the real flag parser reads it: which command, and the flags it got. */
async function parsed(command: string): Promise<{ name?: string; opts: Record<string, unknown> }> {
  const words = shellWords(command);
  expect(words[0]).toBe('rollback-kit');
  const out: { name?: string; opts: Record<string, unknown> } = { opts: {} };
  const root = program(() => undefined, []);
  for (const cmd of root.commands) {
    cmd.action(() => {
      out.name = cmd.name();
      out.opts = cmd.opts();
    });
  }
  await root.parseAsync(words.slice(1), { from: 'user' });
  return out;
}

describe('rollback-kit smoke: what next', () => {
  it('a failed critical check: the rollback to paste, its reason the failed check, severity critical', async () => {
    const site = await startServer();
    const checks = "- {name: health, url: /health}\n- {name: 'checkout page', url: /status/503, critical: true}";
    const run = await runMain(['smoke', '--base-url', site.url, '--checks', checks, '--attempts', '1'], { cwd: withPlan });
    expect(run.code).toBe(1);
    const last = run.stdout.trimEnd().split('\n').at(-1)!;
    expect(last).toBe("Next: roll production back with `rollback-kit rollback --reason 'smoke checks failed: checkout page' --severity critical` (add --dry-run first to see what it would do).");
    const { name, opts } = await parsed(commandIn(last)!);
    expect(name).toBe('rollback');
    expect(opts).toMatchObject({ reason: 'smoke checks failed: checkout page', severity: 'critical' });

    const json = await runMain(['smoke', '--base-url', site.url, '--checks', checks, '--attempts', '1', '--json'], { cwd: withPlan });
    expect(JSON.parse(json.stdout).next).toEqual({ action: 'rollback', scope: 'app', command: commandIn(last) });
  });

  it('a major failure (no critical check) is rolled back as major', async () => {
    const site = await startServer();
    const run = await runMain(['smoke', '--base-url', site.url, '--checks', '- {name: api, url: /status/500}', '--attempts', '1', '--json'], { cwd: withPlan });
    expect(JSON.parse(run.stdout).next.command).toBe("rollback-kit rollback --reason 'smoke checks failed: api' --severity major");
  });

  it('without a plan file in the folder it says what the command still needs', async () => {
    const site = await startServer();
    const run = await runMain(['smoke', '--base-url', site.url, '--checks', '- {name: api, url: /status/500}', '--attempts', '1'], { cwd: withoutPlan });
    expect(run.stdout).toContain("Next: roll production back with `rollback-kit rollback --reason 'smoke checks failed: api' --severity major`, adding --config <plan file> or the component's flags: there is no rollback-kit.yml in this folder");
  });

  it('inconclusive (a confirming run disagreed): look first, then the same command if it fails again', async () => {
    const site = await startServer();
    const run = await runMain(['smoke', '--base-url', site.url, '--checks', '- {name: warmup, url: /flaky/next, critical: true}', '--attempts', '2', '--interval-seconds', '0.05', '--confirm-after-seconds', '0.2', '--json'], { cwd: withPlan });
    const doc = JSON.parse(run.stdout);
    expect(doc.decision).toBe('inconclusive');
    expect(doc.next.action).toBe('look');
    expect(doc.next.command).toMatch(/^rollback-kit rollback --reason 'smoke checks failed: warmup' --severity (critical|major)$/);
  });

  it('only SQL checks failed: the database is rolled back (scope db), not the app', async () => {
    const site = await startServer();
    const checks = "- {name: health, url: /health}\n- {name: 'orders table', query: 'select 1', expect-value: 2, critical: true}";
    const args = ['smoke', '--base-url', site.url, '--checks', checks, '--attempts', '1'];
    const run = await runMain(args, { cwd: withPlan, env: { DATABASE_URL: ADMIN_URL } });
    expect(run.code).toBe(1);
    const last = run.stdout.trimEnd().split('\n').at(-1)!;
    expect(last).toBe(
      "Next: roll the database back (down migrations, or a restore of the pre-deploy snapshot) with `rollback-kit rollback --reason 'smoke checks failed: orders table' --severity critical --scope db` (add --dry-run first to see what it would do).",
    );
    expect(last).not.toContain('roll production back');
    const { name, opts } = await parsed(commandIn(last)!);
    expect(name).toBe('rollback');
    expect(opts).toMatchObject({ reason: 'smoke checks failed: orders table', severity: 'critical', scope: 'db' });

    const json = await runMain([...args, '--json'], { cwd: withPlan, env: { DATABASE_URL: ADMIN_URL } });
    expect(JSON.parse(json.stdout).next).toEqual({ action: 'rollback', scope: 'db', command: commandIn(last) });

    const bare = await runMain(args, { cwd: withoutPlan, env: { DATABASE_URL: ADMIN_URL } });
    expect(bare.stdout).toContain(
      "--scope db`, adding --config <plan file> or the database's flags (--migrations-dir, or --db-method restore with --snapshot-path): there is no rollback-kit.yml in this folder",
    );
  });

  it('SQL and HTTP checks failed: both the app and the database are rolled back (scope full)', async () => {
    const site = await startServer();
    const checks = "- {name: api, url: /status/500}\n- {name: 'orders table', query: 'select 1', expect-value: 2}";
    const args = ['smoke', '--base-url', site.url, '--checks', checks, '--attempts', '1'];
    const run = await runMain(args, { cwd: withPlan, env: { DATABASE_URL: ADMIN_URL } });
    const last = run.stdout.trimEnd().split('\n').at(-1)!;
    expect(last).toBe(
      "Next: roll production back, the app and the database, with `rollback-kit rollback --reason 'smoke checks failed: api, orders table' --severity major --scope full` (add --dry-run first to see what it would do).",
    );
    expect((await parsed(commandIn(last)!)).opts).toMatchObject({ scope: 'full' });
    const json = await runMain([...args, '--json'], { cwd: withPlan, env: { DATABASE_URL: ADMIN_URL } });
    expect(JSON.parse(json.stdout).next).toEqual({ action: 'rollback', scope: 'full', command: commandIn(last) });
  });

  // A database that does not answer: no data was measured, and throwing it back to a snapshot or a
  // down migration is no answer to a connection that failed.
  it('a SQL check that reached no database: look at the database first, not "roll the database back"', async () => {
    const site = await startServer();
    const checks = "- {name: health, url: /health}\n- {name: 'orders table', query: 'select 1', expect-value: 1, critical: true}";
    const args = ['smoke', '--base-url', site.url, '--checks', checks, '--attempts', '1'];
    const run = await runMain(args, { cwd: withPlan, env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/postgres' } });
    expect(run.code).toBe(1);
    const last = run.stdout.trimEnd().split('\n').at(-1)!;
    expect(last).toMatch(/^Next: look at the database before rolling anything back: orders table measured nothing \(the database did not answer, or the time ran out\)/);
    expect(last).not.toMatch(/^Next: roll the database back/);
    const json = await runMain([...args, '--json'], { cwd: withPlan, env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/postgres' } });
    expect(JSON.parse(json.stdout).next).toMatchObject({ action: 'look', scope: 'db' });

    // An HTTP check failing beside it: the app is rolled back, and the database looked at too.
    const both = await runMain(['smoke', '--base-url', site.url, '--checks', "- {name: api, url: /status/500}\n- {name: 'orders table', query: 'select 1', expect-value: 1}", '--attempts', '1'], {
      cwd: withPlan,
      env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/postgres' },
    });
    const line = both.stdout.trimEnd().split('\n').at(-1)!;
    expect(line).toMatch(/^Next: roll production back with `rollback-kit rollback --reason 'smoke checks failed: api, orders table' --severity major`/);
    expect(line).toContain('Look at the database too: orders table measured nothing');
  });

  it('a pass has no next step', async () => {
    const site = await startServer();
    const text = await runMain(['smoke', '--base-url', site.url, '--checks', '- {name: health, url: /health}', '--attempts', '1'], { cwd: withPlan });
    expect(text.code).toBe(0);
    expect(text.stdout).not.toContain('Next:');
    const json = await runMain(['smoke', '--base-url', site.url, '--checks', '- {name: health, url: /health}', '--attempts', '1', '--json'], { cwd: withPlan });
    expect(JSON.parse(json.stdout).next).toBeNull();
  });
});
