// The command line as people and scripts meet it: help, bad usage, missing secrets, --json, the
// refusal to change a database without --yes, colours, and no secret anywhere a run wrote.
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { listTree } from '../helpers/leak-scan.js';
import { ROOT } from '../helpers/run-action.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { applyMigrations, tables, writeMigrations } from '../migrations/fixtures.js';
import { appliedVersions, planYaml, startWorld, writePlan, type World } from '../pipeline/world.js';
import { TOKEN } from '../promote-previous/fixture.js';
import { runCli } from './run-cli.js';

const ACTION_OF: Record<string, string> = {
  rollback: 'action.yml',
  snapshot: 'actions/snapshot-db/action.yml',
  restore: 'actions/restore-db/action.yml',
  promote: 'actions/promote-previous/action.yml',
  down: 'actions/run-down-migrations/action.yml',
  smoke: 'actions/smoke-test/action.yml',
};
/** Inputs that only mean something on a GitHub runner (artifact uploads), and the root action's mode, which is a command here (`rollback-kit drill`). */
const RUNNER_ONLY = ['upload-artifact', 'retention-days', 'mode'];
const COMMANDS = ['plan', 'rollback', 'snapshot', 'restore', 'promote', 'down', 'smoke', 'drill', 'sandbox'];

describe('rollback-kit --help', () => {
  it('lists every command, the secret variables and the exit codes', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(0);
    for (const c of COMMANDS) expect(run.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    expect(run.stdout).toContain('VERCEL_TOKEN');
    // Wrapped at 80 columns like the rest of the help.
    expect(run.stdout.replace(/\s+/g, ' ')).toContain('Exit codes: 0 done, 1 failed, 2 bad usage, 130/143/129 stopped (Ctrl-C/SIGTERM/SIGHUP), 141 stdout closed.');
  });

  it('names the smoke decisions as they are, and prints the version', async () => {
    const help = await runCli(['--help']);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain('decide: rollback, fix-forward, none or inconclusive');
    expect(help.stdout).not.toMatch(/\bwatch\b/);
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  });

  it('a --no- flag’s help says what the --no- flag does', async () => {
    // Wrapped at 80 columns (down's descriptions go on under the first line): read as one line each.
    const run = await runCli(['down', '--help']);
    expect(run.stdout.replace(/\n {3,}/g, ' ')).toMatch(/^ +--no-require-snapshot +revert without a verified snapshot \(default: refuse\)$/m);
    const restore = await runCli(['restore', '--help']);
    expect(restore.stdout.replace(/\n {3,}/g, ' ')).toMatch(/^ +--no-clean +create the snapshot’s objects without dropping them first: refused where any of them, or a name one of them needs, exists already, so for an empty database \(default: drop and re-create them; objects the snapshot does not have are kept either way; a plain SQL snapshot drops its own objects whatever this says\)$/m);
  });

  it.each(COMMANDS)('%s --help shows its usage, examples and its action’s inputs as flags', async (command) => {
    const run = await runCli([command, '--help']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(new RegExp(`^Usage: rollback-kit ${command} `, 'm'));
    expect(run.stdout).toMatch(new RegExp(`Examples:\\n  (\\S+=\\S+ )?rollback-kit ${command}`));
    expect(run.stdout).toContain('--dry-run');
    expect(run.stdout).toContain('--json');
    const yml = ACTION_OF[command];
    if (!yml) return;
    const inputs = Object.keys((parse(readFileSync(join(ROOT, yml), 'utf8')) as { inputs: Record<string, unknown> }).inputs);
    for (const name of inputs.filter((i) => !RUNNER_ONLY.includes(i))) {
      expect(run.stdout, `--${name} in ${command} --help`).toMatch(new RegExp(`--(no-)?${name}\\b`));
    }
  });
});

describe('bad usage exits 2 with a usage line', () => {
  it.each([
    [['down', '--bogus'], "unknown option '--bogus'", 'Usage: rollback-kit down [options]'],
    [['snapshot', '--database-url'], "option '--database-url <url>' argument missing", 'Usage: rollback-kit snapshot [options]'],
    [['rollbak'], "unknown command 'rollbak'", 'Usage: rollback-kit <command> [options]'],
    [['down', '--steps', 'two', '--database-url', 'postgres://u@127.0.0.1:1/db'], 'error: --steps must be a whole number', 'Usage: rollback-kit down [options]'],
    [['rollback', 'full'], '--reason is required', 'Usage: rollback-kit rollback [options] [scope]'],
  ])('%j', async (args, message, usage) => {
    const run = await runCli(args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain(usage);
  });

  it.each([
    [['promote', '--vercel-tokn=vcp_Typo3dSecretValue9x8y7', '--json'], "unknown option '--vercel-tokn=…'"],
    [['vcp_Typo3dSecretValue9x8y7', '--json'], "unknown command '…'"],
  ])('a mistyped flag or command never prints its value: %j', async (args, message) => {
    const run = await runCli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, status: 'usage' });
    expect(run.stdout + run.stderr).not.toContain('Typo3dSecretValue');
  });

  it('no command at all prints the commands and exits 2', async () => {
    const run = await runCli([]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Usage: rollback-kit <command> [options]');
  });
});

describe('secrets', () => {
  it('a missing token is named with its variable and its flag, exit 2', async () => {
    const run = await runCli(['promote', '--project', 'shop']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('error: VERCEL_TOKEN is not set and --vercel-token was not given');
    expect(run.stderr).toContain('Usage: rollback-kit promote [options]');
  });

  it('rollback: a missing token is the same usage error as promote’s, exit 2, in the command line’s words', async () => {
    const ws = await mkdtemp(join(tmpdir(), 'rk-cli-secret-'));
    try {
      const run = await runCli(['rollback', 'app', '--reason', 'x', '--provider', 'vercel', '--project', 'shop'], { cwd: ws });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('error: VERCEL_TOKEN is not set and --vercel-token was not given');
      expect(run.stderr).toContain('Usage: rollback-kit rollback [options] [scope]');
      expect(run.stderr).not.toMatch(/\$\{\{|Input /);
    } finally {
      await rm(ws, { recursive: true, force: true });
    }
  });

  it('rollback: a plan row’s reason is on stdout’s table, in flags and variables rather than workflow inputs', async () => {
    const ws = await mkdtemp(join(tmpdir(), 'rk-cli-plan-row-'));
    try {
      // target last-verified needs a GitHub token: the plan row fails before any request is made.
      const run = await runCli(['rollback', 'app', '--reason', 'x', '--provider', 'vercel', '--project', 'shop', '--target', 'last-verified', '--api-url', 'http://127.0.0.1:9'], { cwd: ws, env: { VERCEL_TOKEN: TOKEN } });
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/^plan +failed .*--github-token is required with target last-verified.*Pass --github-token \(or export GITHUB_TOKEN\)/m);
      expect(run.stdout + run.stderr).not.toMatch(/\$\{\{|Input /);
      expect(run.stdout).toMatch(/^notify-start +skipped .*the rollback stopped while planning/m);
      expect(run.stdout).toMatch(/^notify-end +skipped .*no webhook configured/m);
      expect(run.stdout + run.stderr).not.toContain(TOKEN);
    } finally {
      await rm(ws, { recursive: true, force: true });
    }
  });

  it('a missing database URL says so before anything runs', async () => {
    const run = await runCli(['snapshot']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('database-url');
  });
});

describe('--json', () => {
  let ws: string;
  beforeAll(async () => {
    ws = await mkdtemp(join(tmpdir(), 'rk-cli-json-'));
    await writeFile(join(ws, 'rollback-kit.yml'), 'environment: production\ncomponents:\n  web: { provider: vercel, project: shop }\n  api: { provider: command, command: ./rollback.sh }\nverify:\n  base-url: https://shop.example.com\n  checks: "- {name: health, url: /api/health}"\n');
  });
  afterAll(() => rm(ws, { recursive: true, force: true }));

  it('prints one JSON document: the command, ok, status and its result', async () => {
    const run = await runCli(['plan', '--json', '--scope', 'web'], { cwd: ws, env: { VERCEL_TOKEN: 'vercel_plan_test_token' } });
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as { command: string; ok: boolean; status: string; scope: string[]; plan: { components: { name: string }[] } };
    expect(doc).toMatchObject({ command: 'plan', ok: true, status: 'ok', scope: ['web'] });
    expect(doc.plan.components.map((c) => c.name)).toEqual(['web', 'api']);
  });

  it('a parse error with --json is a JSON document too, exit 2', async () => {
    const run = await runCli(['rollback', '--json', '--bogus'], { cwd: ws });
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toEqual({ command: 'rollback', ok: false, status: 'usage', error: "unknown option '--bogus'" });
  });

  it('a failure is a JSON document too, with the error line', async () => {
    const run = await runCli(['plan', '--json', '--scope', 'checkout'], { cwd: ws });
    expect(run.code).toBe(2);
    const doc = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({ command: 'plan', ok: false, status: 'usage' });
    expect(doc.error).toContain('"checkout"');
  });
});

describe('destructive commands', () => {
  let db: TestDatabase;
  let ws: string;
  let snapshotPath: string;
  beforeAll(async () => {
    db = await createTestDatabase('rk_cli_refuse');
    ws = await mkdtemp(join(tmpdir(), 'rk-cli-refuse-'));
    const dir = await writeMigrations(ws, 'dbmate', tables(2));
    await applyMigrations(db, 'dbmate', dir, tables(2));
    // restore looks at the snapshot before it asks: a real one, so the question is reached.
    const taken = await runCli(['snapshot', '--json', '--output-dir', join(ws, 'taken')], { cwd: ws, env: { DATABASE_URL: db.url } });
    snapshotPath = (JSON.parse(taken.stdout) as { path: string }).path;
  });
  afterAll(async () => {
    await db.drop();
    await rm(ws, { recursive: true, force: true });
  });

  it.each([
    [['down', '--steps', '1', '--no-require-snapshot']],
    [['restore', '--snapshot-path', '<snapshot>']],
    [['rollback', 'db', '--reason', 'bad migration', '--steps', '1']],
  ])('%j refuses without --yes when there is no terminal to ask, and changes nothing', async (args) => {
    const run = await runCli(args.map((a) => (a === '<snapshot>' ? snapshotPath : a)), { cwd: ws, env: { DATABASE_URL: db.url } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('refusing without --yes, because there is no terminal to ask');
    expect(run.stderr).toContain('Nothing was changed.');
    expect(await appliedVersions(db)).toEqual(['20240101000001', '20240101000002']);
  });

  it('down --dry-run needs no --yes and changes nothing; --yes goes ahead', async () => {
    const dry = await runCli(['down', '--steps', '1', '--dry-run', '--json'], { cwd: ws, env: { DATABASE_URL: db.url } });
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ command: 'down', ok: true, status: 'dry-run' });
    expect(await appliedVersions(db)).toEqual(['20240101000001', '20240101000002']);
    const done = await runCli(['down', '--steps', '1', '--no-require-snapshot', '--yes', '--json'], { cwd: ws, env: { DATABASE_URL: db.url } });
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ status: 'reverted', reverted: ['20240101000002'] });
    expect(await appliedVersions(db)).toEqual(['20240101000001']);
  });
});

describe('colours', () => {
  it('on a terminal, colours; with NO_COLOR, none; without a terminal, none', async () => {
    const args = ['promote', '--project', 'shop'];
    const tty = await runCli(args, { tty: true });
    expect(tty.stdout).toContain('\x1b[31merror:');
    const noColor = await runCli(args, { tty: true, env: { NO_COLOR: '1' } });
    expect(noColor.stdout).toContain('error: VERCEL_TOKEN is not set');
    expect(noColor.stdout).not.toContain('\x1b[');
    const pipe = await runCli(args);
    expect(pipe.stderr).not.toContain('\x1b[');
  });
});

describe('a whole rollback from the command line', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld();
    await writePlan(w, planYaml(w, { api: false }));
  });
  afterAll(async () => {
    await w.close();
    await w.db.drop();
    await rm(w.workspace, { recursive: true, force: true });
  });

  it('rolls back app and database, verified, and no secret is in anything it printed or wrote', async () => {
    const run = await runCli(['rollback', 'full', '--reason', 'checkout 500s', '--yes', '--json'], {
      cwd: w.workspace,
      env: { VERCEL_TOKEN: TOKEN, DATABASE_URL: w.databaseUrl },
      timeoutMs: 170_000,
    });
    // stderr holds warnings only (Vercel's frozen domains), never an error.
    expect(run.stderr.split('\n').filter(Boolean).every((line) => line.startsWith('warning: '))).toBe(true);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as { status: string; record: { timeline: { phase: string }[]; database: { reverted: string[] }; snapshot: { path: string }; nextSteps: string[] } };
    expect(doc.status).toBe('rolled-back');
    expect(doc.record.database.reverted).toEqual(['20240101000003']);
    expect(doc.record.nextSteps).toContain('Migration 20240101000003 was reverted: remove or fix it before the next deploy, or the next deploy applies it again.');
    expect(await appliedVersions(w.db)).toEqual(['20240101000001', '20240101000002']);
    expect(w.app.healthy()).toBe(true);

    const password = new URL(w.databaseUrl).password;
    const secrets = [TOKEN, password, encodeURIComponent(password), w.databaseUrl];
    const channels: [string, string | Buffer][] = [
      ['stdout', run.stdout],
      ['stderr', run.stderr],
    ];
    for (const path of await listTree(w.workspace)) {
      channels.push([`file name ${path}`, path]);
      if (!path.endsWith('/')) channels.push([`file ${path}`, await readFile(path).catch(() => Buffer.alloc(0))]);
    }
    const leaks = channels.flatMap(([where, text]) => secrets.filter((s) => text.includes(s)).map(() => where));
    expect(leaks).toEqual([]);
    expect(channels.some(([where]) => where.includes('rollback-kit-snapshots'))).toBe(true);
  });

  it('in text mode: one row per phase, the final table and the time against the budget', async () => {
    const run = await runCli(['rollback', 'app', '--reason', 'again'], { cwd: w.workspace, env: { VERCEL_TOKEN: TOKEN, DATABASE_URL: w.databaseUrl }, timeoutMs: 170_000 });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^✓ plan +ok +[\d.]+ m?s of 30\.0 s +web: already current/m);
    expect(run.stderr).toMatch(/^– app \(web\) +skipped +an earlier run already rolled this back/m);
    expect(run.stdout).toMatch(/^phase +status +time +budget +share of total +detail$/m);
    expect(run.stdout).toMatch(/^app \(web\) +skipped .*an earlier run already rolled this back/m);
    expect(run.stdout).toMatch(/Nothing to roll back: production already runs /);
    expect(run.stdout).toMatch(/^Total: .* of 15 min 0 s budget \(within budget\): the whole rollback, all of it in this run.*\.$/m);
    expect(run.stdout).not.toContain(TOKEN);
  });
});

describe('sandbox', () => {
  // A host list is refused as a connection string rollback-kit cannot honour (it connects to one server only).
  const remote = [
    ['postgres://postgres@192.0.2.1:5432/postgres', /^error: The sandbox runs only on this machine, and DATABASE_URL points at 192\.0\.2\.1.*Nothing was touched\./m],
    ['host=192.0.2.1,127.0.0.1 dbname=postgres user=postgres', /^error: The connection string's host list \(2 hosts: 192\.0\.2\.1, 127\.0\.0\.1\) cannot be honoured.*Nothing was touched\./m],
  ] as const;
  it.each([['sandbox'], ['drill', '--sandbox']].flatMap((argv) => remote.map(([url, refusal]) => [argv, url, refusal] as const)))(
    '%j refuses a DATABASE_URL that is not on this machine, before connecting: %s',
    async (argv, url, refusal) => {
      // 192.0.2.1 is TEST-NET-1: nothing answers, so a connection attempt would hang until its timeout.
      const ws = await mkdtemp(join(tmpdir(), 'rk-cli-sandbox-'));
      try {
        const run = await runCli([...argv], { cwd: ws, env: { DATABASE_URL: url }, timeoutMs: 30_000 });
        expect(run.signal).toBeNull();
        expect(run.code).toBe(2);
        expect(run.stdout).toBe('');
        expect(run.stderr).toMatch(refusal);
        expect(run.stderr).not.toMatch(/does not answer/);
        expect(await listTree(ws)).toEqual([]);
      } finally {
        await rm(ws, { recursive: true, force: true });
      }
    },
  );
});
