// A Ctrl-C or SIGHUP while the command line still loads (before any command's handlers exist) ended
// `rollback-kit sandbox` with 129/130 and no word: the bin now says it stopped before it started.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

async function stopWhileLoading(signal: NodeJS.Signals, args: string[] = []) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures/early-stop.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    if (d.toString().includes('loading')) child.kill(signal);
  });
  const [code, by] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on('close', (c, s) => r([c, s])));
  return { code, by, stderr };
}

it('SIGHUP before the command started: exit 129 with the one closing line on stderr', async () => {
  const run = await stopWhileLoading('SIGHUP');
  expect([run.code, run.by]).toEqual([129, null]);
  expect(run.stderr).toBe('Stopped (SIGHUP) before it started: nothing was created or changed.\n');
});

it('Ctrl-C before the command started: exit 130, same line', async () => {
  const run = await stopWhileLoading('SIGINT');
  expect([run.code, run.by]).toEqual([130, null]);
  expect(run.stderr).toBe('Stopped (SIGINT) before it started: nothing was created or changed.\n');
});

it('once the command has started, these handlers are gone: its own say what a stop did', async () => {
  const run = await stopWhileLoading('SIGINT', ['started']);
  expect([run.code, run.by]).toEqual([null, 'SIGINT']);
  expect(run.stderr).toBe('');
});
