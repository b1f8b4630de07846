// withCleanup with real signals, in its own process (process.emit in with-cleanup.test.ts never
// reaches Node's default handler): a second and a third Ctrl-C must not kill the sandbox before
// what it started is removed. With process.once, the second one found no handler and Node's
// default killed the process (by SIGINT, nothing removed).
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

/** Runs the fixture; each time its output first contains a key of `send`, sends that signal. */
async function interrupted(send: [string, NodeJS.Signals][], fixture = 'interrupted-cleanup.ts', args: string[] = []) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', fixture), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  const pending = [...send];
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    while (pending.length && stdout.includes(pending[0]![0])) child.kill(pending.shift()![1]);
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on('close', (c, s) => r([c, s])));
  return { code, signal, lines: stdout.trim().split('\n'), unsent: pending.length };
}

it('a second Ctrl-C ends the wait for the work: everything is removed at once, exit 130', async () => {
  const run = await interrupted([
    ['working', 'SIGINT'],
    ['stopping the sandbox', 'SIGINT'],
  ]);
  expect([run.code, run.signal, run.unsent]).toEqual([130, null, 0]);
  expect(run.lines).toEqual(['working', 'SIGINT: stopping the sandbox and removing what it started…', 'removing', 'removed', 'Stopped (SIGINT): everything it started is removed.']);
});

it('a third signal while it cleans up is ignored: the cleanup still ends, exit 130 for the first signal', async () => {
  const run = await interrupted([
    ['working', 'SIGINT'],
    ['stopping the sandbox', 'SIGINT'],
    ['removing', 'SIGTERM'],
  ]);
  expect([run.code, run.signal, run.unsent]).toEqual([130, null, 0]);
  expect(run.lines.slice(-2)).toEqual(['removed', 'Stopped (SIGINT): everything it started is removed.']);
});

it('a Ctrl-C once the run has finished says the rollback finished and its report is whole, not what it wrote before the stop', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rk-finished-cleanup-'));
  try {
    const run = await interrupted([['removing', 'SIGINT']], 'finished-cleanup.ts', [dir]);
    expect([run.code, run.signal, run.unsent]).toEqual([130, null, 0]);
    const last = run.lines.at(-1)!;
    expect(last).toBe('The rollback finished; the sandbox was stopped (SIGINT) as it ended: everything it started is removed. Its whole report is kept in .: incident.md, report.html. Delete the folder when you no longer need it.');
    expect(last).not.toContain('before it was stopped');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

it('a drill stopped after back that still wrote its report: the last line says where it stopped, not that it finished, and the work read the signal by name', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rk-stopped-drill-'));
  const run = await interrupted([['working', 'SIGINT']], 'stopped-drill-report.ts', [dir]).finally(() => rm(dir, { recursive: true, force: true }));
  expect([run.code, run.signal]).toEqual([130, null]);
  expect(run.lines).toContain('work stopped by SIGINT');
  expect(run.lines.at(-1)).toMatch(/^Stopped \(SIGINT\) after back: everything it started is removed\. Kept in \.: drill\.md: the report up to the stop/);
  expect(run.lines.join('\n')).not.toContain('finished');
});

it('a drill stopped while its sandbox is set up says so in its own words: before the drill started, nothing of it written', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rk-stopped-drill-setup-'));
  const run = await interrupted([['setting up', 'SIGTERM']], 'stopped-drill-setup.ts', [dir]).finally(() => rm(dir, { recursive: true, force: true }));
  expect([run.code, run.signal]).toEqual([143, null]);
  expect(run.lines.at(-1)).toBe('Stopped (SIGTERM) while the sandbox was being set up, before the drill started: everything it started is removed. No report was written (. is empty).');
});
