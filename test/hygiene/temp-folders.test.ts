// Test files remove the temporary folders they make: run on their own with a private TMPDIR, they
// leave it empty. test/cli/required-flags.test.ts once left one rk-cli-required-* folder per case
// in /tmp on every run (13 a run), and /tmp filled with thousands of rk-* folders. Folders a test
// keeps until its file ends come from test/helpers/temp-dir.ts, which removes them then; runAction's
// (test/helpers/run-action.ts) are made there too: upload-artifact.test.ts left 23 a run before.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ROOT } from '../helpers/run-action.js';

const made: string[] = [];
afterAll(() => Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true }))));

/** Runs `file` with vitest in a child process whose TMPDIR is a fresh folder; returns its exit code and what it left there. */
async function leftBy(file: string): Promise<{ code: number | null; left: string[]; output: string }> {
  const tmp = await mkdtemp(join(tmpdir(), 'rk-hygiene-'));
  made.push(tmp);
  const child = spawn(process.execPath, [join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', file, '--reporter=dot', `--outputFile.json=${join(tmp, '..', `${tmp.split('/').pop()}.json`)}`], {
    cwd: ROOT,
    env: { ...process.env, TMPDIR: tmp, FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += String(d)));
  child.stderr.on('data', (d) => (output += String(d)));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  made.push(`${tmp}.json`);
  return { code, left: await readdir(tmp), output };
}

it.each([
  'test/cli/required-flags.test.ts',
  'test/restore-db/verified-once.test.ts',
  'test/cli/snapshot-dry-run.test.ts',
  'test/cli/unmatched-names.test.ts',
  'test/report/summary-redaction.test.ts',
  // Through tempDir (test/helpers/temp-dir.ts): runAction's folders, and a test's own.
  'test/restore-db/no-clean-action.test.ts',
  'test/cli/flag-forms.test.ts',
  'test/restore-db/no-clean.test.ts',
])('%s leaves no folder behind', async (file) => {
  const { code, left, output } = await leftBy(file);
  expect(code, output).toBe(0);
  expect(left).toEqual([]);
});
