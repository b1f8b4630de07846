// Ctrl-C (or SIGTERM) while the command line still loads, before any command has started: one line,
// "Stopped (SIGINT) before rollback-kit drill started: nothing was changed.", exit 130 (143), never
// a stack or Node's silent default. The bin's first act is a handler with no imports
// (src/cli/early-stop.ts); the full one (signals.ts) and the command line load after it.
//
// From the source entry (tsx), with the import of stop-first.js (signals.ts) held back by a module
// hook (fixtures/hold-stop-first.mjs): the signal is sent once the process catches SIGHUP
// (/proc/<pid>/status, SigCgt: Node itself catches none until then), so only the early handler can
// hear it. Without it the process would die of the signal, silently.
import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { constants } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/run-action.js';
import { cliEnv } from './run-cli.js';

const ENTRY = join(ROOT, 'src/cli/index.ts');
const HOLD = join(ROOT, 'test/cli/fixtures/hold-stop-first.mjs');

/** Whether process `pid` catches SIGHUP (bit 0 of SigCgt): the bin's first handler is installed. */
function catchesHangup(pid: number): boolean {
  try {
    const mask = /SigCgt:\s*([0-9a-f]+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return mask !== undefined && (BigInt(`0x${mask}`) & 1n) === 1n;
  } catch {
    return false;
  }
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  sent: boolean;
}

/** Runs the source entry with `args`, stop-first.js held back unless `hold` is false, sending `signal` once the first handler is in. */
function run(args: string[], signal: NodeJS.Signals | undefined, hold = true): Promise<Run> {
  const node = ['--import', 'tsx', ...(hold ? ['--import', HOLD] : []), ENTRY, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, node, { cwd: ROOT, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    // Bounded: a run that never catches SIGHUP, or never ends, is killed and fails the test.
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      resolve({ code, signal: sig, stdout, stderr, sent });
    });
    if (!signal) return;
    const poll = (): void => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (catchesHangup(child.pid!)) sent = child.kill(signal);
      else setTimeout(poll, 5);
    };
    poll();
  });
}

describe('stopped while the command line loads (source entry)', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s: one line saying nothing was changed, exit %i, no stack', async (signal, code) => {
    const r = await run(['drill', '--dry-run'], signal);
    expect(r.sent).toBe(true);
    expect([r.code, r.signal]).toEqual([code, null]);
    expect(code).toBe(128 + constants.signals[signal]);
    expect(r.stderr).toBe(`Stopped (${signal}) before rollback-kit drill started: nothing was changed.\n`);
    expect(r.stdout).toBe('');
  });

  it('with --json, the one JSON document says it too', async () => {
    const r = await run(['rollback', 'app', '--reason', 'checkout returns 500', '--json'], 'SIGINT');
    expect([r.code, r.stderr]).toEqual([130, 'Stopped (SIGINT) before rollback-kit rollback started: nothing was changed.\n']);
    expect(JSON.parse(r.stdout)).toEqual({ command: 'rollback', ok: false, status: 'failed', error: 'Stopped (SIGINT) before rollback-kit rollback started: nothing was changed.' });
  });

  it('a later job of a split rollback (a --timeline given): "this job changed nothing", true of any job', async () => {
    const r = await run(['rollback', 'db', '--reason', 'x', '--timeline', '[]x'], 'SIGTERM');
    expect([r.code, r.stderr]).toEqual([143, 'Stopped (SIGTERM) before rollback-kit rollback started: this job changed nothing.\n']);
  });

  it('no command named: says so without one', async () => {
    const r = await run(['--version'], 'SIGINT');
    expect([r.code, r.stderr]).toEqual([130, 'Stopped (SIGINT) before rollback-kit started: nothing was changed.\n']);
  });

  it('not stopped: the early handler lets go, and the command runs to its own end', async () => {
    const r = await run(['drill', '--dry-run'], undefined, false);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('nothing to roll back');
  });
});

describe('the first chunk stays small', () => {
  it('early-stop.ts imports nothing at run time, and the entry installs it before it loads anything else', async () => {
    const early = await readFile(join(ROOT, 'src/cli/early-stop.ts'), 'utf8');
    expect(early.match(/^\s*(import|export)\b(?!\s+type\b)[^;]*\bfrom\s/gm) ?? []).toEqual([]);
    expect(early).not.toMatch(/\bimport\s*\(/);
    const entry = await readFile(join(ROOT, 'src/cli/index.ts'), 'utf8');
    const code = entry.split('\n').filter((l) => l.trim() && !l.trim().startsWith('//') && !l.startsWith('#!'));
    expect(code[0]).toBe("import { holdEarlyStops } from './early-stop.js';");
    expect(code[1]).toMatch(/= holdEarlyStops\(/);
    // Everything else is a dynamic import, after the handler: a chunk of its own in the bundle.
    expect(code.slice(1).filter((l) => /^\s*import\s/.test(l))).toEqual([]);
  });

  // Needs dist/ rebuilt from this source (the lead's build): the bundle's first chunk is what runs
  // before the handler, so it must hold no more than the handler and the bundler's runtime.
  it('dist/cli/index.js, the first chunk, holds the early handler and neither a package nor the full handler, under 40 KB', async () => {
    const file = join(ROOT, 'dist/cli/index.js');
    const text = await readFile(file, 'utf8');
    expect(text).toContain('before rollback-kit');
    expect(text).not.toContain('node_modules/');
    expect(text).not.toContain('holdStopsFromTheStart');
    expect((await stat(file)).size).toBeLessThan(40_000);
  });
});
