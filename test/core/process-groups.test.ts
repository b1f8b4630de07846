// Ending a program ends what it started (core/process.ts, the process groups): a grandchild left by
// a timed-out or stopped program (a command's background job, git's HTTP helper) must not go on
// running after we reported the failure. And what the group's own session takes away is made up
// for: a signal sent to us reaches it, and our exit ends it.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, expect, it } from 'vitest';
import { heldProcessGroups, runProcess } from '../../src/core/process.js';

const ROOT = join(import.meta.dirname, '../..');
const started: number[] = [];

/** Whether `pid` is still running (a zombie waiting for its parent to reap it is not). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Whether `pid` has stopped running within a few seconds (a killed process is reaped in milliseconds). */
async function ends(pid: number): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (!running(pid)) return true;
    await sleep(50);
  }
  return false;
}

/** Whether every group runProcess held is let go within a few seconds (a grace is at most 300 ms here). */
async function released(): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (!heldProcessGroups().length) return true;
    await sleep(50);
  }
  return false;
}

afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone, as it should be.
    }
  }
});

/** Runs `script` under sh, hands the pid it prints ("grandchild N") to `seen`. */
function withGrandchild(script: string, opts: Parameters<typeof runProcess>[2], seen: (pid: number) => void = () => undefined) {
  return runProcess('sh', ['-c', script], {
    ...opts,
    onStdout: (chunk) => {
      const m = /grandchild (\d+)/.exec(chunk);
      if (!m) return;
      started.push(Number(m[1]));
      seen(Number(m[1]));
    },
  });
}

it('a program that times out is ended with what it started in the background', async () => {
  const result = await withGrandchild('sleep 300 & echo "grandchild $!"; sleep 300', { timeoutMs: 500, killGraceMs: 200 });
  expect(result.timedOut).toBe(true);
  expect(started).toHaveLength(1);
  // Before: only sh was killed; its sleep went on for five minutes.
  expect(await ends(started[0]!)).toBe(true);
});

it('a stopped program is ended with what it started in the background', async () => {
  const stop = new AbortController();
  const result = await withGrandchild('sleep 300 & echo "grandchild $!"; sleep 300', { signal: stop.signal, killGraceMs: 200 }, () => stop.abort());
  expect(result.signal).toBe('SIGTERM');
  expect(await ends(started[0]!)).toBe(true);
});

it('a background child that ignores SIGTERM is killed after the grace, though the program itself ended at once', async () => {
  const stop = new AbortController();
  const script = `(trap '' TERM; exec sleep 300) & echo "grandchild $!"; sleep 300`;
  const result = await withGrandchild(script, { signal: stop.signal, killGraceMs: 300 }, () => stop.abort());
  expect(result.signal).toBe('SIGTERM');
  expect(await ends(started[0]!)).toBe(true);
  // And the groups are let go once killed (the earlier tests' too, their grace over): nothing of
  // ours still watches our signals for them.
  expect(await released()).toBe(true);
});

it('a program that exits on its own leaves what it started on purpose, and its group is let go', async () => {
  const result = await withGrandchild('sleep 300 >/dev/null 2>&1 & echo "grandchild $!"', {});
  expect(result.code).toBe(0);
  expect(running(started[0]!)).toBe(true);
  expect(await released()).toBe(true);
  expect(process.listenerCount('SIGINT')).toBe(0);
});

/** Runs the fixture, returns the pid its program's background child has, and how the fixture ended. */
async function fixture(how: 'signal' | 'exit', sig?: NodeJS.Signals) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures/group-outlives-us.ts'), how], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const pid = await new Promise<number>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /pid (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
  });
  started.push(pid);
  if (sig) child.kill(sig);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on('close', (c, s) => r([c, s])));
  return { pid, code, signal };
}

it('SIGINT sent to us (the runner cancelling, Ctrl-C) reaches the group, and we still die of it as Node would', async () => {
  const run = await fixture('signal', 'SIGINT');
  expect(run.signal).toBe('SIGINT');
  // Before: the fixture died and its program's background child ran on.
  expect(await ends(run.pid)).toBe(true);
});

it('SIGTERM sent to us reaches the group too', async () => {
  const run = await fixture('signal', 'SIGTERM');
  expect(run.signal).toBe('SIGTERM');
  expect(await ends(run.pid)).toBe(true);
});

it('when we exit while a program still runs, it is killed with what it started', async () => {
  const run = await fixture('exit');
  expect(run.code).toBe(3);
  expect(await ends(run.pid)).toBe(true);
});
