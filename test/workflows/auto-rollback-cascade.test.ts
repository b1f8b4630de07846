// auto-rollback.yml's last job: when the rollback it called changed nothing because the deployment
// in production was put there by a rollback (the library's rollback-cascade guard), the summary says
// so plainly and what to check; any other nothing-to-do (a re-delivered event) adds nothing. Its
// script is run with bash as the runner would, on a timeline as the root action writes it.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from '../helpers/run-action.js';
import { NOT_ROLLED_BACK_AGAIN, PERHAPS_A_REPEAT, notPutBackAgain } from '../../src/platforms/outcome.js';

const workflow = parse(await readFile(join(ROOT, '.github', 'workflows', 'auto-rollback.yml'), 'utf8')) as {
  jobs: Record<string, { needs?: string | string[]; if?: string; steps?: { run?: string; env?: Record<string, string> }[] }>;
};
const job = workflow.jobs['not-rolled-back-again']!;
const step = job.steps![0]!;

async function summary(timeline: string): Promise<{ code: number; summary: string; stdout: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'rk-auto-cascade-'));
  const file = join(dir, 'step.sh');
  const out = join(dir, 'summary');
  await writeFile(out, '');
  await writeFile(file, step.run!);
  const r = await promisify(execFile)('bash', ['--noprofile', '--norc', '-eo', 'pipefail', file], { env: { PATH: process.env.PATH, GITHUB_STEP_SUMMARY: out, TIMELINE: timeline }, timeout: 10_000 }).then(
    (x) => ({ code: 0, stdout: x.stdout }),
    (err: { code?: number; stdout?: string }) => ({ code: err.code ?? 1, stdout: err.stdout ?? '' }),
  );
  return { ...r, summary: await readFile(out, 'utf8') };
}

const row = (phase: string, detail: string) => ({ phase, started: '2026-12-02T12:00:00.000Z', 'duration-ms': 0, 'budget-ms': 60_000, status: 'skipped', detail });

describe('auto-rollback: not rolled back again', () => {
  it('runs after the rollback job whenever it ended nothing-to-do, reading its timeline output', () => {
    expect(job.needs).toBe('rollback');
    expect(job.if).toContain("needs.rollback.outputs.status == 'nothing-to-do'");
    expect(step.env).toEqual({ TIMELINE: '${{ needs.rollback.outputs.timeline }}' });
    // The words it looks for are the library's.
    expect(step.run).toContain(`guard='${NOT_ROLLED_BACK_AGAIN}'`);
    expect(step.run).toContain(`repeat='${PERHAPS_A_REPEAT}'`);
  });

  it("the cascade guard's timeline: the summary says plainly it was not rolled back again, and what to check", async () => {
    const detail = notPutBackAgain('dpl_good1', 'production was rolled back to it from dpl_bad1', "Vercel's status page", { fromNamesIt: true });
    const r = await summary(JSON.stringify([row('plan', 'web: already current'), row('app', detail)]));
    expect(r.code).toBe(0);
    expect(r.summary).toContain('## Not rolled back again: this deployment was put there by a rollback');
    expect(r.summary).toContain("The smoke checks failed on the deployment an earlier rollback put into production, so the outage is likely not the deploy's: check the database, third-party services");
    expect(r.summary).not.toContain('this run only repeats');
    expect(r.stdout).toContain('::warning::Not rolled back again');
    // Fixed text only: nothing of the timeline (outside text) is printed.
    expect(r.summary).not.toContain('dpl_good1');
  });

  it('a from that did not name the deployment in production (a site URL): the summary says both what may have happened, not only "not the deploy\'s"', async () => {
    // A re-run, or a re-delivered event, of the incident an earlier run rolled back reads the same as
    // the event of the rollback's own deploy: from (the site's URL) names neither.
    const detail = notPutBackAgain('dep-good1', 'Render made it with trigger rollback, replacing dep-bad1', "Render's status page", { fromGoesFurther: false, fromNamesIt: false });
    expect(detail.startsWith(NOT_ROLLED_BACK_AGAIN)).toBe(true);
    expect(detail).toContain(`${PERHAPS_A_REPEAT}, as its from does not name dep-good1: either an earlier run of this same incident put it there and this run only repeats that one`);
    expect(detail).toContain("or another rollback did and dep-good1 failed its checks too, so the outage is likely not the deploy's");
    const r = await summary(JSON.stringify([row('plan', 'api: already current'), row('app', detail)]));
    expect(r.code).toBe(0);
    expect(r.summary).toContain('## Not rolled back again: this deployment was put there by a rollback');
    expect(r.summary).toContain('Either an earlier run of this same incident made it, and this run only repeats that one (a re-run, or a re-delivered event)');
    expect(r.summary).toContain("Or another rollback made it, and that deployment failed the smoke checks too: then the outage is likely not the deploy's");
    expect(r.summary).not.toContain('The smoke checks failed on the deployment an earlier rollback put into production');
    expect(r.stdout).toContain('::warning::Not rolled back again: this deployment was put there by a rollback; this run may only repeat the earlier run');
    expect(r.summary).not.toContain('dep-good1');
  });

  it.each([
    ['a re-delivered event', JSON.stringify([row('app', 'an earlier run already rolled this back; nothing to do')])],
    ['an empty output', ''],
    ['a malformed output', '{not json'],
  ])('%s: nothing is added, and the job still passes', async (_, timeline) => {
    const r = await summary(timeline);
    expect(r.code).toBe(0);
    expect(r.summary).toBe('');
  });
});
