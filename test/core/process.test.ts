// runProcess's own contract, where no action shows it reliably: every run it starts ends.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

it('a program whose stdout reader went away is still seen to end (its remaining output is dropped)', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures/stdout-reader-gone.ts')], { cwd: ROOT, encoding: 'utf8' });
  // Before: stdout stayed paused and unread, 'close' never came, and Node exited 13 with nothing said.
  expect(run.status, run.stderr).toBe(0);
  expect(run.stdout).toMatch(/^ended: 0\n$/);
});

it("a program that exits leaving a child of its own on its pipes is seen to end: the wait is the program's, not the child's", async () => {
  const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'rk-process-'));
  const pidFile = join(dir, 'pid');
  try {
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures/grandchild-holds-pipe.ts'), pidFile], { cwd: ROOT, encoding: 'utf8' });
    // Before: 'close' waited for the sleep, whose minute outlasted the 50 s race.
    expect(run.stdout, run.stderr).toBe('runProcess: 3 "started\\n"\n');
  } finally {
    try {
      process.kill(Number(readFileSync(pidFile, 'utf8')));
    } catch {
      // Already gone.
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

it('a program that ignores the signal it is stopped with is killed after the grace: a stop ends it whatever it does', async () => {
  const { runProcess } = await import('../../src/core/process.js');
  const stop = new AbortController();
  // psql stopped on abort gets SIGINT; one waiting on a stalled connection (or this one) never ends of itself.
  const script = "process.on('SIGINT', () => console.log('ignored SIGINT')); console.log('ready'); setInterval(() => undefined, 1000);";
  const run = runProcess(process.execPath, ['-e', script], {
    signal: stop.signal,
    killSignal: 'SIGINT',
    killGraceMs: 200,
    onStdout: (chunk) => {
      if (chunk.includes('ready')) stop.abort();
    },
  });
  const result = await run;
  expect(result.stdout).toContain('ignored SIGINT');
  expect(result.signal).toBe('SIGKILL');
});

it('output read as data is kept whole (wholeStdout); output kept as a log is cut at 1 MB, at a line end', async () => {
  const { runProcess } = await import('../../src/core/process.js');
  // 3 MB in lines of 100 characters, numbered, so that a missing line is seen.
  const script = "for (let i = 0; i < 30000; i++) process.stdout.write(String(i).padStart(99, '0') + '\\n');";
  const whole = await runProcess(process.execPath, ['-e', script], { wholeStdout: true });
  const lines = whole.stdout.split('\n').filter(Boolean);
  expect(lines).toHaveLength(30000);
  expect(lines.at(-1)).toBe(String(29999).padStart(99, '0'));
  const log = await runProcess(process.execPath, ['-e', script]);
  expect(log.stdout.length).toBeGreaterThanOrEqual(1 << 20);
  expect(log.stdout.length).toBeLessThan(30000 * 100);
  expect(log.stdout.endsWith('\n')).toBe(true);
});
