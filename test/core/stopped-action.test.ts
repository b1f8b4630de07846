// Every action, stopped by SIGTERM or SIGINT (core/action.ts): one ::error:: line that says so,
// with what the action knew of its own state, a failed summary, and a non-zero exit; never Node's
// silent exit by signal.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

/** Runs the fixture, sends `signals` once it says "working", and returns its exit, stdout and summary. */
async function stopped(how: string, signals: NodeJS.Signals[], dir?: string) {
  dir ??= await mkdtemp(join(tmpdir(), 'rk-stopped-action-'));
  const summaryFile = join(dir, 'summary.md');
  await writeFile(summaryFile, '');
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures/stopped-action.ts'), how, dir], {
    cwd: ROOT,
    env: { ...process.env, GITHUB_STEP_SUMMARY: summaryFile, GITHUB_ACTIONS: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let sent = false;
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (sent || !stdout.includes('working')) return;
    sent = true;
    for (const s of signals) child.kill(s);
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on('close', (c, s) => r([c, s])));
  const errors = stdout.split('\n').filter((l) => l.startsWith('::error::')).map((l) => l.slice('::error::'.length));
  return { code, signal, errors, summary: await readFile(summaryFile, 'utf8') };
}

it('work that ends when stopped: its own words, prefixed with the signal', async () => {
  const run = await stopped('stops', ['SIGTERM']);
  expect([run.code, run.signal]).toEqual([1, null]);
  expect(run.errors).toEqual(['fixture was stopped by SIGTERM: The change was rolled back before it committed. Run it again.']);
  expect(run.summary).toContain('### fixture: failed');
  // Its details read its own error (a partial result), not the stop's rewording of it.
  expect(run.summary).toContain("details given the body's own error: true");
});

it('work that ignores the stop: a second signal reports at once that its state is not known', async () => {
  const run = await stopped('ignores', ['SIGINT', 'SIGTERM']);
  expect([run.code, run.signal]).toEqual([1, null]);
  expect(run.errors).toHaveLength(1);
  // Sent together, the two may be handled in either order.
  expect(run.errors[0]).toMatch(/^fixture was stopped by SIG(INT|TERM) and its work did not end within 5 s: what it had changed by then is not known\./);
});

it('work that was done when the stop came: said so, still a failure', async () => {
  const run = await stopped('finishes', ['SIGTERM']);
  expect([run.code, run.signal]).toEqual([1, null]);
  expect(run.errors).toEqual(['fixture was stopped by SIGTERM as its work ended: that work was done, and what it reports stands (its report follows in the summary).']);
  // Its failure details are not asked for: they write the failure outputs (status=failed,
  // verified=false) over the ones the finished work wrote.
  expect(run.summary).not.toContain('details given');
});

// A snapshot-db or rollback step stopped while its snapshot folder holds only the .gitignore it gave
// it: the folder goes again, as the command line's does (MadeRecord); one with a snapshot stays.
it('what the step made and left empty is removed; what holds a snapshot is kept', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rk-stopped-action-made-'));
  const run = await stopped('makes', ['SIGTERM'], dir);
  expect([run.code, run.signal]).toEqual([1, null]);
  expect((await readdir(dir)).sort()).toEqual(['kept', 'summary.md']);
  expect(await readdir(join(dir, 'kept'))).toEqual(['before-rollback.dump']);
  await rm(dir, { recursive: true, force: true });
});
