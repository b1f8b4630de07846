// The README's first command, `npm run demo` = `rollback-kit sandbox`: a bad release rolled back end
// to end on this machine, everything it started gone afterwards, its report readable.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, type DefaultTreeAdapterMap } from 'parse5';
import { afterAll, describe, expect, it } from 'vitest';
import { PHASES } from '../src/pipeline/record.js';
import { listTree } from './helpers/leak-scan.js';
import { adminQuery, ADMIN_URL } from './helpers/pg.js';
import { ROOT } from './helpers/run-action.js';
import { runCli, type CliRun } from './cli/run-cli.js';

type Node = DefaultTreeAdapterMap['node'];
type Element = DefaultTreeAdapterMap['element'];

interface SandboxDoc {
  ok: boolean;
  status: string;
  serving: string;
  dbmateStatus: string;
  started: { adminUrl: string; database: string; vercelUrl: string; appUrl: string };
  before: { decision: string; checks: { name: string; passed: boolean }[] };
  files: { markdown: string; html: string; incident: string };
  record: {
    status: string;
    scope: string[];
    timeline: { phase: string; status: string; detail: string }[];
    components: { name: string; from: { id: string }; to: { id: string }; status: string }[];
    database: { reverted: string[]; status: string };
    snapshot: { path: string };
    verify: { decision: string; checks: { name: string; passed: boolean }[] };
  };
}

function elements(node: Node, name: string): Element[] {
  const out: Element[] = [];
  const walk = (n: Node) => {
    if ('tagName' in n && n.tagName === name) out.push(n);
    if ('childNodes' in n) n.childNodes.forEach(walk);
    if ('content' in n && n.content) walk(n.content as Node);
  };
  walk(node);
  return out;
}

const attr = (e: Element, name: string) => e.attrs.find((a) => a.name === name)?.value;

/** Whether anything still accepts connections at host:port. */
function listening(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.setTimeout(2000);
    socket.on('connect', () => (socket.destroy(), resolve(true)));
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => (socket.destroy(), resolve(false)));
  });
}

async function databaseExists(name: string): Promise<boolean> {
  return (await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function sandbox(args: string[], env: Record<string, string | undefined> = {}): Promise<{ run: CliRun; doc: SandboxDoc; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'rk-sandbox-test-'));
  dirs.push(dir);
  const run = await runCli(['sandbox', '--json', '--report-dir', 'report', ...args], { cwd: dir, env: { DATABASE_URL: ADMIN_URL, ...env }, timeoutMs: 170_000 });
  return { run, doc: JSON.parse(run.stdout) as SandboxDoc, dir };
}

describe('rollback-kit sandbox (npm run demo)', () => {
  it('catches v2, rolls app and database back to v1, verified, reports it, and leaves nothing running', async () => {
    const { run, doc, dir } = await sandbox([]);
    // With --json, stderr holds warnings only (Vercel's frozen domains after a rollback).
    expect(run.stderr.split('\n').filter(Boolean).every((line) => line.startsWith('warning: '))).toBe(true);
    expect(run.code).toBe(0);
    expect(doc.ok).toBe(true);

    // The smoke checks caught v2's broken checkout before the rollback.
    expect(doc.before.decision).toBe('rollback');
    expect(doc.before.checks.find((c) => c.name === 'checkout')?.passed).toBe(false);

    // The whole pipeline ran with scope full and every phase did its part.
    expect(doc.record.status).toBe('rolled-back');
    expect(doc.record.scope).toEqual(['web', 'database']);
    expect(doc.record.timeline.map((e) => e.phase)).toEqual([...PHASES]);
    // The sandbox has no chat webhook: the notify phases say so instead of claiming the team was told.
    expect(doc.record.timeline.filter((e) => !e.phase.startsWith('notify-')).every((e) => e.status === 'ok')).toBe(true);
    expect(doc.record.timeline.filter((e) => e.phase.startsWith('notify-')).map((e) => [e.status, e.detail])).toEqual([
      ['skipped', 'no webhook configured'],
      ['skipped', 'no webhook configured'],
    ]);
    expect(doc.record.components[0]).toMatchObject({ name: 'web', status: 'rolled-back' });

    // The app answers healthy from v1: the pipeline's own checks after the rollback.
    expect(doc.serving).toBe('v1');
    expect(doc.record.verify.decision).toBe('none');
    expect(doc.record.verify.checks.map((c) => [c.name, c.passed])).toEqual([
      ['health', true],
      ['checkout', true],
      ['orders are readable', true],
    ]);

    // v2's migration is gone, and dbmate (its own status, run afterwards) agrees.
    expect(doc.record.database.reverted).toEqual(['20260102000000']);
    expect(doc.dbmateStatus).toMatch(/\[X\] 20260101000000_create_orders\.sql\n\[ \] 20260102000000_add_discount_codes\.sql/);

    // The report: Markdown, the incident record, and one HTML page whose SVG has a bar per phase.
    const report = join(dir, 'report');
    expect(doc.files).toEqual({ markdown: join(report, 'report.md'), html: join(report, 'report.html'), incident: join(report, 'incident.md') });
    expect(readFileSync(doc.files.markdown, 'utf8')).toContain('20260102000000');
    expect(readFileSync(doc.files.incident, 'utf8')).toContain('checkout');
    expect(existsSync(doc.record.snapshot.path)).toBe(true);
    const html = readFileSync(doc.files.html, 'utf8');
    const page = parse(html, { onParseError: (e) => expect.fail(`report.html does not parse: ${e.code} at line ${e.startLine}`) });
    const svgs = elements(page, 'svg');
    expect(svgs).toHaveLength(1);
    const bars = elements(svgs[0]!, 'rect').filter((r) => attr(r, 'class') === 'bar');
    const phases = elements(svgs[0]!, 'g').map((g) => attr(g, 'data-phase'));
    expect(bars).toHaveLength(doc.record.timeline.length);
    expect(phases).toEqual([...PHASES]);
    expect(html).not.toMatch(/<script|<link|src="http/);
    for (const heading of ['Timeline against the budget', 'What changed', 'Checks after the rollback', 'The plan']) expect(html).toContain(heading);

    // The sandbox's Vercel token (random, registered as a secret) is nowhere it printed or wrote.
    const written = [run.stdout, run.stderr];
    for (const path of await listTree(report)) written.push(path, statSync(path).isFile() ? readFileSync(path, 'latin1') : '');
    expect(written.length).toBeGreaterThan(4);
    expect(written.filter((text) => /sandbox_[0-9a-f]{48}/.test(text))).toEqual([]);

    // Nothing it started is left: its database, the local Vercel API, the app.
    expect(await databaseExists(doc.started.database)).toBe(false);
    expect(await listening(doc.started.vercelUrl)).toBe(false);
    expect(await listening(doc.started.appUrl)).toBe(false);
  });

  it('with a throwaway cluster: made from the installed binaries, stopped and removed afterwards', async () => {
    const { run, doc } = await sandbox(['--throwaway-postgres']);
    expect(run.code).toBe(0);
    expect(doc.record.status).toBe('rolled-back');
    expect(doc.started.adminUrl).not.toBe(ADMIN_URL);
    expect(await listening(doc.started.adminUrl)).toBe(false);
  });

  it('Ctrl-C midway removes everything it started and exits 130', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rk-sandbox-int-'));
    dirs.push(dir);
    let sent = false;
    const run = await runCli(['sandbox', '--report-dir', 'report'], {
      cwd: dir,
      env: { DATABASE_URL: ADMIN_URL },
      timeoutMs: 170_000,
      onStderr: (text, child) => {
        if (!sent && text.includes('Deployed v2')) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(sent).toBe(true);
    expect(run.code).toBe(130);
    expect(run.stderr).toContain('SIGINT: stopping the sandbox and removing what it started');
    const database = /database (rollback_kit_sandbox_[0-9a-f]+)/.exec(run.stderr)?.[1];
    const urls = [...run.stderr.matchAll(/http:\/\/127\.0\.0\.1:\d+/g)].map((m) => m[0]);
    expect(database).toBeDefined();
    expect(urls).toHaveLength(2);
    expect(await databaseExists(database!)).toBe(false);
    for (const url of urls) expect(await listening(url)).toBe(false);
  });
});

it('package.json: npm run demo runs the sandbox, and the bin is the built command line', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string> };
  expect(pkg.bin).toEqual({ 'rollback-kit': 'dist/cli/index.js' });
  expect(pkg.scripts.demo).toBe('node dist/cli/index.js sandbox');
  expect(readFileSync(join(ROOT, pkg.bin['rollback-kit']!), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
});
