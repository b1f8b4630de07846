// A rollback command that is stopped (the step cancelled) or runs out of time is ended with
// everything it started: a background job of the user's script must not go on acting on production
// after the step said the rollback failed (core/process.ts, the process groups).
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { ChangeGuard } from '../../src/platforms/change-guard.js';
import { runRollbackCommand, type CommandOptions } from '../../src/platforms/command/run.js';
import { runAction } from '../helpers/run-action.js';

const dirs: string[] = [];
const pids: number[] = [];
afterEach(async () => {
  for (const pid of pids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone, as it should be.
    }
  }
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A deploy script's background job: writes a heartbeat every 100 ms, its pid in bg.pid. */
const COMMAND = `(while :; do date +%s%N > heartbeat; sleep 0.1; done) & echo $! > bg.pid; echo started; sleep 300`;

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

/** Polls `test` every 50 ms, a few seconds at most. */
async function eventually(test: () => boolean): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (test()) return true;
    await sleep(50);
  }
  return false;
}

/**
 * The background job's pid, once the command has written it and the job its first heartbeat: the pid
 * is written as the job forks, so a stop right after it could end the job before it ever wrote one,
 * and heartbeatStopped would have no file to compare.
 */
async function backgroundPid(dir: string): Promise<number> {
  const file = join(dir, 'bg.pid');
  expect(await eventually(() => existsSync(file) && readFileSync(file, 'utf8').endsWith('\n') && existsSync(join(dir, 'heartbeat')))).toBe(true);
  const pid = Number(readFileSync(file, 'utf8'));
  pids.push(pid);
  return pid;
}

/** Whether the heartbeat stays still: nothing of the command still runs. */
async function heartbeatStopped(dir: string): Promise<boolean> {
  const before = readFileSync(join(dir, 'heartbeat'), 'utf8');
  await sleep(400);
  return readFileSync(join(dir, 'heartbeat'), 'utf8') === before;
}

async function options(extra: Partial<CommandOptions>): Promise<CommandOptions> {
  const cwd = await mkdtemp(join(tmpdir(), 'rk-command-stopped-'));
  dirs.push(cwd);
  return { command: COMMAND, target: 'app:v1', timeoutSeconds: 60, dryRun: false, cwd, baseEnv: { ...process.env }, ...extra };
}

describe('the command provider, library', () => {
  it('a stop ends the command and its background job, and the rollback fails as stopped', async () => {
    const stop = new AbortController();
    const o = await options({ stop: new ChangeGuard(stop.signal, 'the rollback command', 'what it changes') });
    const ran = runRollbackCommand(o, memoryLog());
    const pid = await backgroundPid(o.cwd!);
    stop.abort();
    // Before: the command took no stop at all, and ran its five minutes with its job.
    await expect(ran).rejects.toThrow('The rollback command was stopped before it finished, with everything it had started.');
    expect(await eventually(() => !running(pid))).toBe(true);
    expect(await heartbeatStopped(o.cwd!)).toBe(true);
  });

  it('the time limit ends the command and its background job', async () => {
    const o = await options({ timeoutSeconds: 1 });
    const ran = runRollbackCommand(o, memoryLog());
    const pid = await backgroundPid(o.cwd!);
    await expect(ran).rejects.toThrow('The rollback command did not finish within 1 s and was stopped, with everything it had started.');
    expect(await eventually(() => !running(pid))).toBe(true);
  });

  it('output split inside a multi-byte character reaches the log whole', async () => {
    const o = await options({ command: `printf '\\xc3'; sleep 0.2; printf '\\xa9t\\xc3\\xa9\\n'` });
    const log = memoryLog();
    await runRollbackCommand(o, log);
    expect(log.lines.join('\n')).toContain('été');
  });
});

describe('the command provider, through the rollback bundle (needs npm run build)', () => {
  it('SIGTERM to the action (the run cancelled) ends the command and its background job', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'rk-command-stopped-dist-'));
    dirs.push(cwd);
    let pid = 0;
    const run = await runAction(
      'rollback',
      { reason: 'checkout 500s', provider: 'command', command: COMMAND, 'incident-issue': 'false' },
      {
        cwd,
        whileRunning: async (child) => {
          pid = await backgroundPid(cwd);
          child.kill('SIGTERM');
        },
      },
    );
    expect(run.code).toBe(1);
    expect(run.errors[0]).toMatch(/^rollback was stopped by SIGTERM: .*The rollback command was stopped before it finished, with everything it had started\./);
    // Before: the action gave up after its grace and exited, and the command and its job ran on.
    expect(await eventually(() => !running(pid))).toBe(true);
    expect(await heartbeatStopped(cwd)).toBe(true);
  });
});
