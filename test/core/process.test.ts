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
