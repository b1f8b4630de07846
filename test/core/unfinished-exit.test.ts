// A run left waiting on something that can no longer happen (a promise nothing settles, nothing
// else alive) is a failure that says so: before, Node exited 0 at the empty event loop, with no
// outputs, no summary and no error, as if the step had succeeded.
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from '../helpers/run-action.js';
import { tempDir } from '../helpers/temp-dir.js';

it('an action whose work can never end fails with one ::error:: line and a failed summary', async () => {
  const dir = await tempDir('rk-unfinished-');
  const summaryFile = join(dir, 'summary.md');
  await writeFile(summaryFile, '');
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures/unfinished-action.ts')], {
    cwd: ROOT,
    env: { ...process.env, GITHUB_STEP_SUMMARY: summaryFile, GITHUB_ACTIONS: 'true' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(run.stdout).toContain('working');
  const errors = run.stdout.split('\n').filter((l) => l.startsWith('::error::'));
  expect(errors).toHaveLength(1);
  expect(errors[0]).toContain('rollback-kit ended before its work did');
  expect(errors[0]).toContain('What it had changed by then is not known');
  expect(run.status).toBe(1);
  const summary = await readFile(summaryFile, 'utf8');
  expect(summary).toContain('### fixture: failed');
  expect(summary).toContain('details were written');
});
