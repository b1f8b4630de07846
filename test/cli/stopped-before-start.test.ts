// A signal in the command line's first moments, while it still loads, before any command's stop
// logic exists: Node's default ended it with 129/130/143 and no word. The bin now holds the one stop
// handler from its first line (signals.ts): before the command has begun it says so in one line,
// exit 128 + the signal's number. From the bundle (dist/cli/index.js: it needs a rebuilt dist).
//
// The moment: the handler is in place once the process catches SIGHUP (/proc/<pid>/status, SigCgt:
// Node itself catches none until then); the signal is sent then, while the rest of the command line
// still loads. A run that loaded first anyway (a slow test process) ended on its own refusal, the
// signal taken as it ended: tried again, a few times.
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runCli, type CliRun } from './run-cli.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function workspace(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rk-stopped-before-start-'));
  dirs.push(dir);
  return dir;
}

/** Whether process `pid` catches SIGHUP (bit 0 of SigCgt): the bin's stop handler is installed. */
function catchesHangup(pid: number): boolean {
  try {
    const mask = /SigCgt:\s*([0-9a-f]+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return mask !== undefined && (BigInt(`0x${mask}`) & 1n) === 1n;
  } catch {
    return false;
  }
}

/** Runs the bundle with `args`, sending `signal` as soon as its stop handler is installed. */
function stoppedEarly(args: string[], signal: NodeJS.Signals, cwd: string): Promise<CliRun & { sent: boolean }> {
  let sent = false;
  return runCli(args, {
    cwd,
    timeoutMs: 60_000,
    onSpawn: (child) => {
      const poll = (): void => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        if (catchesHangup(child.pid!)) sent = child.kill(signal);
        else setImmediate(poll);
      };
      poll();
    },
  }).then((run) => ({ ...run, sent }));
}

/** Up to five runs, until one is stopped before it started; every run must be one of the two endings. */
async function untilStoppedEarly(args: string[], signal: 'SIGHUP' | 'SIGINT' | 'SIGTERM', line: string, loaded: (run: CliRun) => void): Promise<CliRun> {
  const cwd = await workspace();
  for (let attempt = 1; ; attempt++) {
    const run = await stoppedEarly(args, signal, cwd);
    expect(run.sent).toBe(true);
    if (run.stderr.startsWith('Stopped (')) {
      expect([run.code, run.signal, run.stderr]).toEqual([128 + constants.signals[signal], null, `${line}\n`]);
      return run;
    }
    loaded(run);
    if (attempt === 5) throw new Error(`five runs loaded before the signal was handled; the last said: ${run.stderr}`);
  }
}

// No plan: the rollback refuses with exit 2 once it has loaded (nothing to roll back; with --json, on stdout).
const ROLLBACK = ['rollback', 'app', '--reason', 'checkout returns 500', '--dry-run'];
const refused = (run: CliRun) => {
  expect(run.code, run.stderr).toBe(2);
  expect(run.stderr + run.stdout).toContain('nothing to roll back');
};

it.each([
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const)('%s while the command line loads: one line saying nothing was changed, exit %i', async (signal, code) => {
  const run = await untilStoppedEarly(ROLLBACK, signal, `Stopped (${signal}) before rollback-kit rollback started: nothing was changed.`, refused);
  expect([run.code, run.stdout]).toEqual([code, '']);
});

it('with --json, the one JSON document says it too', async () => {
  const run = await untilStoppedEarly([...ROLLBACK, '--json'], 'SIGINT', 'Stopped (SIGINT) before rollback-kit rollback started: nothing was changed.', refused);
  expect(JSON.parse(run.stdout)).toEqual({ command: 'rollback', ok: false, status: 'failed', error: 'Stopped (SIGINT) before rollback-kit rollback started: nothing was changed.' });
});

it('a later job of a split rollback (its --timeline says an earlier job changed production): "this job changed nothing"', async () => {
  const earlier = JSON.stringify([{ phase: 'app', component: 'web', started: '2026-01-05T10:00:00.000Z', 'duration-ms': 1200, 'budget-ms': 180000, status: 'ok', detail: 'rolled back to dpl_2' }]);
  await untilStoppedEarly([...ROLLBACK, `--timeline=${earlier}`], 'SIGTERM', 'Stopped (SIGTERM) before rollback-kit rollback started: this job changed nothing.', refused);
});

it('the sandbox stopped as it starts (a SIGHUP at its first moments) never runs on: stopped before it started, or by its own stop', async () => {
  // The earlier attempt removed its handlers as the command started, and lost a signal caught then: the sandbox ran to its end, exit 0.
  const cwd = await workspace();
  const run = await stoppedEarly(['sandbox', '--report-dir', 'report', '--dry-run'], 'SIGHUP', cwd);
  expect(run.sent).toBe(true);
  expect([run.code, run.signal], run.stderr).toEqual([129, null]);
  expect(run.stderr.trim().split('\n').at(-1)).toMatch(/^Stopped \(SIGHUP\)/);
  // Either way nothing is left: stopped before it started, or everything it started removed. (A
  // stop just as it made the report folder, before it began, leaves that folder, empty, as it did.)
  for (const entry of await readdir(cwd)) expect(await readdir(join(cwd, entry))).toEqual([]);
});
