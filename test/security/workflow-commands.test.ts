// Workflow-command injection: a newline in any text we print must not start a line the runner
// obeys. A payload that forges an annotation, an output, a mask and a stop goes through every
// input of every action (and the outside text that is not an input: migration file names, check
// names, a command's output, a snapshot path), through the bundles; the runner's own parsing
// (actions/runner ActionCommand) is replayed on everything the step printed.
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inertLines } from '../../src/core/output.js';
import { codeSpan, escapeCell, table, text } from '../../src/report/markdown.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { ROOT, runAction, type ActionRun } from '../helpers/run-action.js';
import { applyMigrations, tables, workspace, writeMigrations } from '../migrations/fixtures.js';
import { shopFixture, vercelInputs, type ShopFixture } from '../promote-previous/fixture.js';
import { startServer, type ScriptedServer } from '../smoke/servers.js';

const PAYLOAD = 'x\n::error::forged\n::set-output name=status::forged\n::add-mask::true\r::stop-commands::halt\n \t::warning title=forged::forged\nend ##[add-mask]true';

/** The commands actions/runner registers (ActionCommandManager); names are case-insensitive. */
const REGISTERED = new Set(['set-env', 'set-output', 'save-state', 'add-mask', 'add-path', 'debug', 'warning', 'error', 'notice', 'group', 'endgroup', 'echo', 'add-matcher', 'remove-matcher', 'stop-commands']);

interface RunnerCommand {
  name: string;
  data: string;
  line: string;
}

/**
 * What the runner would act on: each line (split as .NET ReadLine splits) parsed as ActionCommand
 * does: `::name props::data` after leading whitespace, else `##[name props]data` anywhere.
 */
function runnerCommands(printed: string): RunnerCommand[] {
  const out: RunnerCommand[] = [];
  for (const line of printed.split(/\r\n|\r|\n/)) {
    const trimmed = line.replace(/^[\s\u0085]+/, '');
    let name: string | undefined;
    let data = '';
    if (trimmed.startsWith('::')) {
      const end = trimmed.indexOf('::', 2);
      if (end >= 0) {
        name = trimmed.slice(2, end).split(' ')[0];
        data = trimmed.slice(end + 2).replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
      }
    }
    if (name === undefined || !REGISTERED.has(name.toLowerCase())) {
      const at = line.indexOf('##[');
      const close = at >= 0 ? line.indexOf(']', at) : -1;
      if (close >= 0) {
        name = line.slice(at + 3, close).split(' ')[0];
        data = line.slice(close + 1);
      }
    }
    if (name !== undefined && REGISTERED.has(name.toLowerCase())) out.push({ name: name.toLowerCase(), data, line });
  }
  return out;
}

const outputsOf = async (action: string): Promise<string[]> => Object.keys(parse(await readFile(join(ROOT, 'actions', action, 'action.yml'), 'utf8')).outputs ?? {});
const inputsOf = async (action: string): Promise<string[]> => Object.keys(parse(await readFile(join(ROOT, 'actions', action, 'action.yml'), 'utf8')).inputs ?? {});

/** Our own commands only: annotations, debug lines and masks, none of them the forged ones; outputs as declared. */
async function expectNothingForged(run: ActionRun, action: string): Promise<void> {
  const commands = runnerCommands(`${run.stdout}\n${run.stderr}`);
  for (const c of commands) {
    expect(['error', 'warning', 'notice', 'debug', 'add-mask'], c.line).toContain(c.name);
    expect(c.data, c.line).not.toBe('forged');
    if (c.name === 'add-mask') expect(c.data, c.line).not.toBe('true');
    // An annotation's title is a property: escaped by @actions/core, never a second command.
    expect(c.line, c.line).not.toMatch(/^\s*::\w+ title=forged/);
  }
  const declared = await outputsOf(action);
  for (const [name, value] of Object.entries(run.outputs)) {
    expect(declared, `output ${name}`).toContain(name);
    expect(value, `output ${name}`).not.toBe('forged');
  }
  // A step that failed says so in exactly one ::error:: line; a forged one would make two.
  expect(commands.filter((c) => c.name === 'error' && c.data.startsWith('forged')).length).toBe(0);
}

describe('the one writer', () => {
  it('makes every line of outside text inert, keeping the text readable', () => {
    const lines = inertLines(PAYLOAD);
    expect(lines).toHaveLength(7);
    expect(runnerCommands(lines.join('\n'))).toEqual([]);
    expect(lines[1]).toBe('%3A%3Aerror::forged');
    expect(lines[6]).toBe('end ##%5Badd-mask]true');
    expect(inertLines('\u00a0\u0085::error::x')[0]).toBe('\u00a0\u0085%3A%3Aerror::x');
    expect(inertLines('plain: a::b')).toEqual(['plain: a::b']);
  });

  it('keeps outside text from breaking a summary table, starting a heading or adding HTML', () => {
    const md = table(['name', 'value'], [[text('a|b\n# heading <img src=x onerror=alert(1)> [link](http://evil) ![i](http://evil/i.png)'), codeSpan('p`a|t\nh`')]]);
    const rows = md.split('\n');
    expect(rows).toHaveLength(3);
    // A word holding a URL is a code span (unlinked), where `[` and `<` are inert: looked for outside them.
    expect(md.replace(/`[^`]*`/g, '')).not.toMatch(/<img|(^|[^\\])\[/);
    expect(rows[2]).toContain('a\\|b # heading &lt;img');
    expect(rows[2]).toContain('`` p`a\\|t h` ``');
    expect(text('# x')).toBe('\\# x');
    expect(escapeCell('a\r\nb\rc')).toBe('a b c');
  });
});

describe('workflow-command injection through the bundles', () => {
  let db: TestDatabase;
  let snapshotPath: string;
  let dirs: string[] = [];
  const tmp = async (prefix: string) => {
    const d = await mkdtemp(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };

  beforeAll(async () => {
    db = await createTestDatabase('rk_inject');
    await db.query('CREATE TABLE orders (id int PRIMARY KEY, note text); INSERT INTO orders SELECT g, $$n$$ FROM generate_series(1, 20) g');
    const snap = await runAction('snapshot-db', { 'database-url': db.url });
    expect(snap.errors).toEqual([]);
    snapshotPath = snap.outputs.path!;
  });

  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
    dirs = [];
  });

  it.each(['database-url', 'format', 'jobs', 'output-dir', 'label', 'schemas', 'exclude-schemas', 'exclude-table-data', 'export-since', 'export-tables', 'export-column', 'upload-artifact', 'retention-days', 'pg-dump-path'])(
    'snapshot-db: %s',
    async (name) => {
      const out = await tmp('rk-inject-snap-');
      const inputs: Record<string, string> = { 'database-url': db.url, 'output-dir': out, [name]: name === 'output-dir' ? join(out, PAYLOAD) : PAYLOAD };
      if (name.startsWith('export-') && name !== 'export-since') inputs['export-since'] = '2020-01-01T00:00:00Z';
      const run = await runAction('snapshot-db', inputs);
      await expectNothingForged(run, 'snapshot-db');
      if (name === 'output-dir') {
        // Accepted as given: the path is printed, inert, and the snapshot is taken.
        expect(run.errors).toEqual([]);
        expect(run.outputs.path).toContain('::error::forged');
        expect(run.log).toContain('%3A%3Aerror::forged');
      }
      expect(await inputsOf('snapshot-db')).toContain(name);
    },
  );

  it.each(['database-url', 'snapshot-path', 'confirm', 'pre-restore-snapshot', 'jobs', 'clean'])('restore-db: %s', async (name) => {
    const run = await runAction('restore-db', { 'database-url': db.url, 'snapshot-path': snapshotPath, confirm: db.name, [name]: PAYLOAD });
    expect(run.code).not.toBe(0);
    await expectNothingForged(run, 'restore-db');
    expect(await inputsOf('restore-db')).toContain(name);
  });

  it('restore-db: a snapshot path that holds the payload', async () => {
    const dir = join(await tmp('rk-inject-restore-'), PAYLOAD);
    await mkdir(dir, { recursive: true });
    const path = join(dir, 'snapshot.dump');
    await copyFile(snapshotPath, path);
    await copyFile(`${snapshotPath}.manifest.json`, `${path}.manifest.json`);
    const run = await runAction('restore-db', { 'database-url': db.url, 'snapshot-path': path, confirm: db.name, 'pre-restore-snapshot': 'false' });
    await expectNothingForged(run, 'restore-db');
    expect(run.log).toContain('%3A%3Aerror::forged');
  });

  describe('run-down-migrations', () => {
    let mdb: TestDatabase;
    let ws: string;
    beforeAll(async () => {
      mdb = await createTestDatabase('rk_inject_down');
      ws = await workspace();
      dirs.push(ws);
      const steps = tables(2);
      const dir = await writeMigrations(ws, 'dbmate', steps);
      await applyMigrations(mdb, 'dbmate', dir, steps);
      // A third migration whose file name carries the payload, applied as dbmate records it. dbmate
      // (and so we) reads no file whose name holds a line feed: the payload's breaks are carriage returns.
      await writeFile(join(dir, `20240101000003_${PAYLOAD.replaceAll('\n', '\r')}.sql`), '-- migrate:up\nCREATE TABLE t3 (id int);\n\n-- migrate:down\nDROP TABLE t3;\n');
      await mdb.query('CREATE TABLE t3 (id int)');
      await mdb.query(`INSERT INTO schema_migrations (version) VALUES ('20240101000003')`);
    });

    it('a migration file name', async () => {
      const run = await runAction('run-down-migrations', { 'database-url': mdb.url, format: 'dbmate', 'to-version': '20240101000001', 'dry-run': 'true', 'require-snapshot': 'false' }, { cwd: ws });
      await expectNothingForged(run, 'run-down-migrations');
      expect(run.errors).toEqual([]);
      expect(run.log).toContain('%3A%3Aerror::forged');
      expect(run.outputs.status).toBe('dry-run');
    });

    it.each(['database-url', 'migrations-dir', 'format', 'steps', 'to-version', 'since-ref', 'dry-run', 'snapshot-path', 'require-snapshot', 'lock-timeout-seconds', 'statement-timeout-seconds'])('%s', async (name) => {
      const base: Record<string, string> = { 'database-url': mdb.url, format: 'dbmate', 'dry-run': 'true', 'require-snapshot': 'false' };
      if (name !== 'steps' && name !== 'to-version' && name !== 'since-ref') base.steps = '1';
      const run = await runAction('run-down-migrations', { ...base, [name]: PAYLOAD }, { cwd: ws });
      await expectNothingForged(run, 'run-down-migrations');
      // A snapshot path is not checked when require-snapshot is false: the dry run goes ahead.
      expect(run.outputs.status).toBe(name === 'snapshot-path' ? 'dry-run' : 'failed');
      expect(await inputsOf('run-down-migrations')).toContain(name);
    });
  });

  describe('smoke-test', () => {
    let server: ScriptedServer;
    beforeAll(async () => {
      server = await startServer();
    });

    it('a check name and a failure reason that echo the payload', async () => {
      const checks = `- name: ${JSON.stringify(PAYLOAD)}\n  url: /health\n  json: { status: { equals: ${JSON.stringify(PAYLOAD)} } }\n`;
      const run = await runAction('smoke-test', { 'base-url': server.url, checks, attempts: '1', 'interval-seconds': '0' });
      await expectNothingForged(run, 'smoke-test');
      expect(run.outputs.decision).toBe('rollback');
      // The annotation carries the name as data (escaped), and the summary keeps its table whole.
      expect(run.errors.some((e) => e.includes('::error::forged'))).toBe(true);
      const rows = run.summary.split('\n').filter((l) => l.startsWith('| '));
      expect(rows.every((r) => !r.includes('\n'))).toBe(true);
      expect(run.summary).not.toMatch(/^::error::forged/m);
      expect(run.summary).not.toMatch(/^# /m);
    });

    it.each(['base-url', 'checks', 'checks-file', 'database-url', 'attempts', 'interval-seconds', 'backoff', 'timeout-seconds', 'samples', 'max-error-rate', 'max-p95-ms', 'baseline-url', 'bypass-token', 'deadline-seconds', 'fail-step'])('%s', async (name) => {
      const base: Record<string, string> = { 'base-url': server.url, checks: '- url: /health', attempts: '1', 'interval-seconds': '0' };
      if (name === 'checks-file') delete base.checks;
      const run = await runAction('smoke-test', { ...base, [name]: PAYLOAD });
      await expectNothingForged(run, 'smoke-test');
      expect(await inputsOf('smoke-test')).toContain(name);
    });

    afterAll(async () => {
      await server.close();
    });
  });

  describe('promote-previous', () => {
    let f: ShopFixture;
    beforeAll(async () => {
      f = await shopFixture({ historySize: 3 });
    });
    afterAll(async () => {
      await f.vercel.close();
    });

    it('command: target, from and reason reach the log, and so does what the command prints', async () => {
      const cwd = await tmp('rk-inject-cmd-');
      const script = join(cwd, 'say.sh');
      await writeFile(script, 'printf "%s\\n%s\\n" "$ROLLBACK_TARGET" "$ROLLBACK_REASON"; printf "%s" "$ROLLBACK_FROM" >&2\n');
      const run = await runAction('promote-previous', { provider: 'command', target: PAYLOAD, from: PAYLOAD, reason: PAYLOAD, command: `bash ${script}` }, { cwd });
      await expectNothingForged(run, 'promote-previous');
      expect(run.errors).toEqual([]);
      expect(run.outputs.status).toBe('rolled-back');
      expect(run.outputs['to-deployment-id']).toBe(PAYLOAD);
      // What the command printed is shown (to stdout and from stderr), every line inert.
      expect(run.log.match(/%3A%3Aerror::forged/g)?.length).toBeGreaterThanOrEqual(4);
      expect(run.summary.split('\n').filter((l) => l.startsWith('| to |'))).toHaveLength(1);
    });

    it.each(['provider', 'vercel-token', 'project', 'team', 'target', 'from', 'method', 'reason', 'timeout-seconds', 'dry-run', 'api-url', 'command', 'github-token'])('vercel: %s', async (name) => {
      const run = await runAction('promote-previous', { ...vercelInputs(f), 'dry-run': 'true', [name]: PAYLOAD });
      await expectNothingForged(run, 'promote-previous');
      expect(await inputsOf('promote-previous')).toContain(name);
    });
  });
});
