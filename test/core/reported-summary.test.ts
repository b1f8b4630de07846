// A failed step's job summary starts with "### <action>: failed" and its error line, as the README
// says of every action, also when the action had written its report first (smoke-test's table of
// checks, the rollback's report): that report used to come first, with the failure appended.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ROOT } from '../helpers/run-action.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rk-reported-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(fails: boolean): Promise<{ status: number | null; stdout: string; summary: string }> {
  const summaryFile = join(dir, 'summary.md');
  await writeFile(summaryFile, '');
  const child = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures/reported-action.ts')], {
    cwd: ROOT,
    env: { ...process.env, GITHUB_STEP_SUMMARY: summaryFile, GITHUB_ACTIONS: 'true', FIXTURE_FAILS: String(fails) },
    encoding: 'utf8',
  });
  return { status: child.status, stdout: child.stdout, summary: await readFile(summaryFile, 'utf8') };
}

it('failed: the heading and the error line first, then the details, then the report', async () => {
  const r = await run(true);
  expect(r.status).toBe(1);
  expect(r.stdout.split('\n').filter((l) => l.startsWith('::error'))).toEqual(['::error::Fixture failed: 2 of 3 things went wrong. Look at the report.']);
  expect(r.summary).toBe('### fixture: failed\n\nFixture failed: 2 of 3 things went wrong. Look at the report.\n\ndetails were written\n\n### Fixture report\n\n2 of 3 things went wrong.\n');
});

it('done: the report alone', async () => {
  const r = await run(false);
  expect(r.status).toBe(0);
  expect(r.summary).toBe('### Fixture report\n\n2 of 3 things went wrong.\n');
});
