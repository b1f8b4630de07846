// A later job of a split rollback run from the command line (--timeline: the earlier job's rows, which
// rolled the app back): a refusal before the pipeline starts said "Nothing was changed", as if
// production were untouched, where the root action already says "this job changed nothing"
// (job-words.ts). The command line now words its refusals by the same rule. From the source.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runMain } from './run-main.js';

const row = (status: string) => ({ phase: 'app', component: 'web', started: '2026-12-03T10:00:00.000Z', 'duration-ms': 900, 'budget-ms': 60000, status, detail: 'dpl_bad → dpl_good' });
const APP_ROLLED_BACK = JSON.stringify([row('ok')]);
const APP_NOT_RUN = JSON.stringify([row('skipped')]);
// No connection is made: the rollback asks before it starts, and with no terminal it refuses.
const env = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/rk_later_job_refusal' };
const DB = ['rollback', 'db', '--reason', 'bad migration', '--steps', '1'];

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'rk-later-job-refusal-'));
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

it('refused without --yes in the database job, after the app job rolled back: "This job changed nothing", exit 2', async () => {
  const run = await runMain([...DB, '--timeline', APP_ROLLED_BACK], { cwd, env });
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(/^error: .*refusing without --yes, because there is no terminal to ask\. Run it again with --yes to go ahead, or with --dry-run to see what it would do\. This job changed nothing\.\n/);
  expect(run.stderr).not.toMatch(/nothing was changed/i);
});

it('the same with --json: its error says it too', async () => {
  const run = await runMain([...DB, '--json', `--timeline=${APP_ROLLED_BACK}`], { cwd, env });
  expect(run.code).toBe(2);
  const doc = JSON.parse(run.stdout) as { status: string; error: string };
  expect(doc.status).toBe('usage');
  expect(doc.error).toMatch(/This job changed nothing\.$/);
  expect(doc.error).not.toMatch(/nothing was changed/i);
});

it('an earlier job that changed nothing, or none: "Nothing was changed" still', async () => {
  for (const timeline of [['--timeline', APP_NOT_RUN], []]) {
    const run = await runMain([...DB, ...timeline], { cwd, env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('or with --dry-run to see what it would do. Nothing was changed.');
  }
});
