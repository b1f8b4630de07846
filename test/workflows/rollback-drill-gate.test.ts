// rollback-drill.yml's gate and report jobs, their scripts run with bash as the runner would:
// the gate lets a drill start only when no rollback is running (waiting for one, bounded), and lets
// a scheduled run in a repository without a staging plan end green with a notice; the report job
// puts a failure that left no drill comment on the drill issue, where the drill itself finds it.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from '../helpers/run-action.js';
import { memoryLog } from '../../src/core/log.js';
import type { DrillRecord } from '../../src/pipeline/drill.js';
import { DRILL_LABEL, drillIssueMarker, recordDrill } from '../../src/report/drill-issue.js';
import { startGitHubIssues, type GitHubIssuesFake } from '../fakes/github-issues.js';
import { FILTERED_LIST_CAP, startGitHubRuns, type FakeRun, type GitHubRunsFake } from '../fakes/github-runs.js';
import { runStep } from './run-step.js';

type Step = { id?: string; run?: string; env?: Record<string, string> };
type Job = { if?: string; needs?: string[]; steps: Step[] };
const workflow = parse(readFileSync(join(ROOT, '.github/workflows/rollback-drill.yml'), 'utf8')) as { jobs: Record<string, Job> };
const gate = workflow.jobs.gate!.steps.find((s) => s.id === 'gate')!;
const report = workflow.jobs.report!.steps.find((s) => s.run)!;
const TOKEN = 'ghs_drilltoken123';
const REPO = 'acme/shop';
const RUN_ID = '9001';
/** The unfinished statuses, in the order the gate asks about them. */
const STATUSES = ['requested', 'queued', 'pending', 'waiting', 'in_progress'];

let actions: GitHubRunsFake;
let api = '';
beforeAll(async () => {
  actions = await startGitHubRuns({ repo: REPO, token: TOKEN });
  api = actions.url;
});
afterAll(() => actions.close());
beforeEach(() => actions.reset());

let workspace: string;
beforeEach(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'rk-drill-gate-'));
});
afterEach(async () => {
  await rm(workspace, { recursive: true, force: true });
});

/**
 * The gate with the workflow's API_RESERVE and short waits (the pause stops doubling at 2 s), long
 * enough for a few looks on a busy machine: a look begun at the end of the wait has 2 × POLL_SECONDS.
 */
/**
 * A bound on the whole step, not a speed limit: the gate ends by itself (its wait and the cut-off of
 * its last look), and on a loaded machine a look of ten pages can take several seconds.
 */
const STEP_BOUND_MS = 100_000;
/** For a gate expected to start: it starts as soon as two looks agree, so a long wait costs nothing and leaves room for a slow machine. */
const ROOMY = { WAIT_SECONDS: '60', POLL_SECONDS: '1' };
/**
 * For a gate expected to wait to the end and say what its last look found: that look is cut off
 * 2 × POLL_SECONDS after the end of the wait, and a look of several pages needs that long on a slow machine.
 */
const LAST_LOOK_WHOLE = { WAIT_SECONDS: '6', POLL_SECONDS: '5' };

async function runGate(env: Record<string, string>, wait: Record<string, string> = { WAIT_SECONDS: '6', POLL_SECONDS: '2' }) {
  const step = { API_RESERVE: gate.env!.API_RESERVE!, POLL_MAX_SECONDS: '2', ...wait };
  return runStep(gate.run!, { CONFIG: 'rollback-kit.staging.yml', EVENT: 'schedule', GH_TOKEN: TOKEN, GITHUB_API_URL: api, GITHUB_REPOSITORY: REPO, GITHUB_RUN_ID: RUN_ID, ...step, ...env }, { cwd: workspace, timeoutMs: STEP_BOUND_MS });
}
/** The pauses the gate announced after a look that found a rollback or no answer, in seconds. */
const pauses = (stdout: string) => [...stdout.matchAll(/next look in (\d+) s\./g)].map((m) => Number(m[1]));
const withPlan = () => writeFile(join(workspace, 'rollback-kit.staging.yml'), 'environment: staging\n');

describe('rollback-drill.yml gate', () => {
  it('passes the wait through env only, bounded', () => {
    expect(Object.keys(gate.env!).sort()).toEqual(['API_RESERVE', 'CONFIG', 'EVENT', 'GH_TOKEN', 'POLL_MAX_SECONDS', 'POLL_SECONDS', 'WAIT_SECONDS']);
    expect(Number(gate.env!.WAIT_SECONDS)).toBe(1800);
    expect(Number(gate.env!.POLL_SECONDS)).toBe(30);
    expect(Number(gate.env!.POLL_MAX_SECONDS)).toBe(240);
    expect(Number(gate.env!.API_RESERVE)).toBe(250);
  });

  it('a scheduled run without a staging plan (the library repository) ends green with a notice, drills nothing and asks GitHub nothing', async () => {
    const r = await runGate({});
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('::notice::No drill: this repository has no staging plan');
    expect(r.outputs).toEqual({ start: 'false' });
    expect(actions.requests).toEqual([]);
  });

  it('a drill someone asked for without a plan goes on: the drill itself says the plan is missing', async () => {
    const r = await runGate({ EVENT: 'workflow_dispatch' }, ROOMY);
    expect(r.outputs).toEqual({ start: 'true' });
  });

  it('no rollback running: the drill starts; its own run and other workflows do not count', async () => {
    await withPlan();
    actions.runs = [
      { id: Number(RUN_ID), status: 'in_progress', path: '.github/workflows/drill-caller.yml', referenced_workflows: [{ path: 'rollback-kit/rollback-kit/.github/workflows/rollback-drill.yml@v1', sha: 'a'.repeat(40) }] },
      { id: 11, status: 'in_progress', path: '.github/workflows/ci.yml' },
      { id: 12, status: 'completed', path: '.github/workflows/rollback.yml' },
      { id: 13, status: 'queued', path: '.github/workflows/rollback-drill.yml' },
    ];
    const r = await runGate({}, ROOMY);
    expect(r.code).toBe(0);
    expect(r.outputs).toEqual({ start: 'true' });
    // Every unfinished status is asked about, with the token, in two looks in a row.
    expect(actions.requests.map((q) => new URL(q.split(' ')[1]!, 'http://x').searchParams.get('status'))).toEqual([...STATUSES, ...STATUSES]);
    expect(r.stdout).toContain('No rollback is running: the drill looks once more in ');
  });

  it.each([
    ['rollback.yml itself, pending in its group', { id: 21, status: 'pending', path: '.github/workflows/rollback.yml' }],
    ['auto-rollback.yml, which calls rollback.yml', { id: 22, status: 'in_progress', path: '.github/workflows/auto-rollback.yml', referenced_workflows: [{ path: 'acme/shop/.github/workflows/rollback.yml@refs/heads/main', sha: 'b'.repeat(40), ref: 'refs/heads/main' }] }],
    ["a caller of the library's rollback.yml, waiting for database reviewers", { id: 23, status: 'waiting', path: '.github/workflows/incident.yml', referenced_workflows: [{ path: 'rollback-kit/rollback-kit/.github/workflows/rollback.yml@v1', sha: 'c'.repeat(40) }] }],
  ])('waits while %s runs, then starts once it has finished', async (_name, run) => {
    await withPlan();
    actions.runs = [run];
    // Finished after the first look, which stopped at the status the rollback is in.
    actions.onRequest = (n, url) => {
      if (n > 1 && url.searchParams.get('status') === 'requested') actions.runs = [];
    };
    // The gate starts as soon as it has looked twice: the wait is only a bound, ample for a loaded machine.
    const r = await runGate({}, { WAIT_SECONDS: '60', POLL_SECONDS: '1' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`a rollback is running in this repository (run ${run.id}): the drill waits`);
    expect(r.outputs).toEqual({ start: 'true' });
    // The two looks after it ask about every status.
    expect(actions.requests.length).toBe(STATUSES.indexOf(run.status) + 1 + 2 * STATUSES.length);
  });

  it('a rollback running for the whole wait: the drill does not start, and says why and what to do', async () => {
    await withPlan();
    actions.runs = [{ id: 31, status: 'in_progress', path: '.github/workflows/rollback.yml' }];
    const r = await runGate({});
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain('::error::The drill did not start: a rollback is running in this repository (run 31), for the whole 0 minutes it waited. Nothing was changed. Run the drill again (Run workflow) once no rollback is running.');
    expect(r.outputs).toEqual({});
  });

  it('GitHub not answering is not taken for "no rollback": the drill waits, then does not start', async () => {
    await withPlan();
    actions.failing = 1_000;
    const r = await runGate({});
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain('::error::The drill did not start: GitHub did not say which rollbacks are running');
    expect(r.outputs).toEqual({});
  });

  /** n runs of other workflows in one status, newest first, ids from `from`. */
  const others = (n: number, status: string, from = 100_000): FakeRun[] => Array.from({ length: n }, (_, i) => ({ id: from + i, status, path: '.github/workflows/ci.yml' }));
  const pagesAsked = (status: string) =>
    actions.requests
      .map((q) => new URL(q.split(' ')[1]!, 'http://x').searchParams)
      .filter((p) => p.get('status') === status)
      .map((p) => `${p.get('page')}/${p.get('per_page')}`);

  it('reads every page: a rollback on page 2 of in_progress keeps the drill waiting', async () => {
    await withPlan();
    actions.runs = [...others(100, 'in_progress'), { id: 51, status: 'in_progress', path: '.github/workflows/rollback.yml' }];
    const r = await runGate({}, LAST_LOOK_WHOLE);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain('::error::The drill did not start: a rollback is running in this repository (run 51)');
    expect(r.outputs).toEqual({});
    expect(pagesAsked('in_progress').slice(0, 2)).toEqual(['1/100', '2/100']);
  });

  it('999 runs in one status, below what GitHub lists: read to the end (10 pages), and the drill starts', async () => {
    await withPlan();
    actions.runs = others(999, 'in_progress');
    // Long enough for two looks of 10 pages on a busy machine (the gate starts once they agree).
    const r = await runGate({}, { WAIT_SECONDS: '60', POLL_SECONDS: '1' });
    expect(r.code).toBe(0);
    expect(r.outputs).toEqual({ start: 'true' });
    const tenPages = Array.from({ length: 10 }, (_, i) => `${i + 1}/100`);
    expect(pagesAsked('in_progress')).toEqual([...tenPages, ...tenPages]);
  });

  const beyondCap = 'GitHub did not say which rollbacks are running (1000 or more in_progress runs, and it lists no more than 1000)';
  const crowdedError = `::error::The drill did not start: ${beyondCap}, for the whole 0 minutes it waited. Nothing was changed. Run the drill again (Run workflow) once fewer than 1000 runs are in_progress (the Actions tab lists them by status: cancel those no longer needed), and no rollback is running.`;

  it('the stand-in lists no more than GitHub does: 1,000 runs of a filtered list, total_count cut there, 422 past it', async () => {
    actions.runs = others(1500, 'in_progress');
    const get = (query: string) => fetch(`${api}/repos/${REPO}/actions/runs?${query}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const tenth = await get('status=in_progress&per_page=100&page=10');
    expect(tenth.status).toBe(200);
    const body = (await tenth.json()) as { total_count: number; workflow_runs: FakeRun[] };
    expect(body.total_count).toBe(FILTERED_LIST_CAP);
    expect(body.workflow_runs.map((run) => run.id)).toEqual(others(100, 'in_progress', 100_900).map((run) => run.id));
    expect(tenth.headers.get('link')).not.toContain('rel="next"');
    const eleventh = await get('status=in_progress&per_page=100&page=11');
    expect(eleventh.status).toBe(422);
    expect(((await eleventh.json()) as { message: string }).message).toBe('In order to keep the API fast for everyone, pagination is limited for this resource.');
    // Unfiltered, the cap is not this one.
    expect(((await (await get('per_page=100')).json()) as { total_count: number }).total_count).toBe(1500);
  });

  it('exactly 1,000 runs in one status, as many as GitHub lists, cannot be told from more: the drill waits, then does not start, and says what to do', async () => {
    await withPlan();
    actions.runs = others(1000, 'in_progress');
    const r = await runGate({}, LAST_LOOK_WHOLE);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain(`${beyondCap}: the drill waits`);
    expect(r.stdout).toContain(crowdedError);
    expect(r.outputs).toEqual({});
    // Page 1's total_count says so: no page that could not change the answer is read.
    expect(new Set(pagesAsked('in_progress'))).toEqual(new Set(['1/100']));
  });

  it('a rollback past the 1,000 runs GitHub lists of its status is not taken for "no rollback": the drill does not start', async () => {
    await withPlan();
    // The oldest in_progress run, the 1,001st: on no page GitHub gives.
    actions.runs = [...others(1000, 'in_progress'), { id: 52, status: 'in_progress', path: '.github/workflows/rollback.yml' }];
    const r = await runGate({}, LAST_LOOK_WHOLE);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain(crowdedError);
    expect(r.outputs).toEqual({});
  });

  it('a list that grows to the cap while its pages are read: the page that says so stops the look, and the drill does not start', async () => {
    await withPlan();
    actions.runs = others(999, 'in_progress');
    actions.onRequest = (_n, url) => {
      if (url.searchParams.get('status') === 'in_progress' && url.searchParams.get('page') === '10' && actions.runs.length === 999) actions.runs = [...others(5, 'in_progress', 1), ...actions.runs];
    };
    // Long enough for a look of 10 pages on a busy machine to end before the wait does (the run waits it all).
    const r = await runGate({}, { WAIT_SECONDS: '25', POLL_SECONDS: '1' });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain(`${beyondCap}: the drill waits`);
    expect(pagesAsked('in_progress')).not.toContain('11/100');
    expect(r.outputs).toEqual({});
  });

  it('a run finishing between two pages, which moves a rollback up onto the page already read, is not taken for "no rollback"', async () => {
    await withPlan();
    actions.runs = [...others(100, 'in_progress'), { id: 61, status: 'in_progress', path: '.github/workflows/rollback.yml' }];
    let finished = false;
    actions.onRequest = (_n, url) => {
      if (!finished && url.searchParams.get('status') === 'in_progress' && url.searchParams.get('page') === '2') {
        finished = true;
        actions.runs = actions.runs.filter((run) => run.id !== 100_005);
      }
    };
    // Room for the second look, which finds it, on a slow machine.
    const r = await runGate({}, { WAIT_SECONDS: '20', POLL_SECONDS: '5' });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain('GitHub did not say which rollbacks are running (the in_progress runs changed while their pages were read): the drill waits');
    // The next look finds the rollback on page 1.
    expect(r.stdout).toContain('::error::The drill did not start: a rollback is running in this repository (run 61)');
  });

  it('a GitHub answering too slowly to read every page before the end of the wait: the step says so itself rather than start', async () => {
    await withPlan();
    actions.runs = others(250, 'queued');
    actions.delayMs = 700;
    const r = await runGate({}, { WAIT_SECONDS: '0', POLL_SECONDS: '1' });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain('::error::The drill did not start: GitHub did not say which rollbacks are running (it answered too slowly)');
    expect(r.outputs).toEqual({});
    // A whole look is 7 pages: it stopped before them.
    expect(actions.requests.length).toBeLessThan(7);
  });

  it('a rollback that changes status during a look, into one already read, is found by the second look: one clean look is not enough to start', async () => {
    await withPlan();
    // Pending in its concurrency group, it is let through to queued just as the gate, having read
    // queued, asks about pending: the first look lists it nowhere.
    actions.runs = [{ id: 71, status: 'pending', path: '.github/workflows/rollback.yml' }];
    let moved = false;
    actions.onRequest = (_n, url) => {
      const status = url.searchParams.get('status');
      if (!moved && status === 'pending') {
        moved = true;
        actions.runs = [{ ...actions.runs[0]!, status: 'queued' }];
      }
      // Once the second look has found it in queued, the rollback runs to its end.
      if (pagesAsked('queued').length >= 2 && status !== 'queued') actions.runs = [];
    };
    const r = await runGate({}, ROOMY);
    expect(r.stdout).toContain('No rollback is running: the drill looks once more in 1 s before it starts');
    expect(r.stdout).toContain('a rollback is running in this repository (run 71): the drill waits');
    expect(r.code).toBe(0);
    expect(r.outputs).toEqual({ start: 'true' });
    // It started only after two clean looks in a row, the last two.
    expect(actions.requests.slice(-2 * STATUSES.length).map((q) => new URL(q.split(' ')[1]!, 'http://x').searchParams.get('status'))).toEqual([...STATUSES, ...STATUSES]);
  });

  it('a clean look, then one that finds a rollback: the count starts again, and two more clean looks are needed', async () => {
    await withPlan();
    // A rollback queued just after the first clean look.
    actions.onRequest = (n) => {
      if (n === STATUSES.length + 1) actions.runs = [{ id: 72, status: 'requested', path: '.github/workflows/rollback.yml' }];
      if (n === STATUSES.length + 2) actions.runs = [];
    };
    const r = await runGate({}, ROOMY);
    expect(r.stdout).toContain('a rollback is running in this repository (run 72): the drill waits');
    expect(r.stdout.match(/the drill looks once more/g)).toHaveLength(2);
    expect(r.outputs).toEqual({ start: 'true' });
    expect(actions.requests).toHaveLength(STATUSES.length + 1 + 2 * STATUSES.length);
  });

  it('waits longer after each look that finds a rollback, doubling up to POLL_MAX_SECONDS, and never pauses past the end of the wait', async () => {
    await withPlan();
    actions.runs = [{ id: 81, status: 'in_progress', path: '.github/workflows/rollback.yml' }];
    const r = await runGate({}, { WAIT_SECONDS: '15', POLL_SECONDS: '1', POLL_MAX_SECONDS: '4' });
    // The last look may have been cut short on a busy machine: the error says why, whichever it is.
    expect(r.stdout).toContain('a rollback is running in this repository (run 81): the drill waits');
    expect(r.stdout).toMatch(/::error::The drill did not start: .*, (for the whole 0 minutes it waited|past the end of its 0 minutes wait)\./);
    expect(r.outputs).toEqual({});
    const waits = pauses(r.stdout);
    // 1, 2, 4, 4, …, then whatever is left of the 15 seconds (none when the looks themselves took it).
    expect(waits.slice(0, 2)).toEqual([1, 2]);
    for (const [i, w] of waits.entries()) expect(w).toBeLessThanOrEqual([1, 2, 4][i] ?? 4);
    expect(waits.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(15);
    // One look a pause, and one at the end: 5 requests each, the rollback being in the last status.
    expect(actions.requests.length).toBeGreaterThan(STATUSES.length * waits.length);
    expect(actions.requests.length).toBeLessThanOrEqual(STATUSES.length * (waits.length + 1));
  });

  it('the shipped pauses: a rollback running for the whole 30 minutes costs 11 looks, not 61', () => {
    const pausesOf = (wait: number, poll: number, max: number) => {
      const out: number[] = [];
      for (let t = 0, p = poll; t < wait; p = Math.min(p * 2, max)) {
        const w = Math.min(p, wait - t);
        out.push(w);
        t += w;
      }
      return out;
    };
    const waits = pausesOf(Number(gate.env!.WAIT_SECONDS), Number(gate.env!.POLL_SECONDS), Number(gate.env!.POLL_MAX_SECONDS));
    expect(waits).toEqual([30, 60, 120, 240, 240, 240, 240, 240, 240, 150]);
    // At most 5 requests a look (one page of each status) when the runs fit on one page each.
    expect((waits.length + 1) * STATUSES.length).toBe(55);
  });

  it("the repository's API budget running low: the gate stops before it eats into what the rollbacks need, and says so", async () => {
    await withPlan();
    actions.runs = [{ id: 91, status: 'in_progress', path: '.github/workflows/rollback.yml' }];
    // One look (5 actions.requests) leaves exactly the reserve; the first answer of the next one is below it.
    actions.rate = { limit: 1000, remaining: Number(gate.env!.API_RESERVE) + STATUSES.length };
    const r = await runGate({}, { WAIT_SECONDS: '10', POLL_SECONDS: '1' });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain("::error::The drill did not start: the repository's GitHub API budget is low (249 requests left this hour, and the gate leaves the last 250 to the rollbacks). Nothing was changed.");
    expect(actions.requests).toHaveLength(STATUSES.length + 1);
    expect(r.outputs).toEqual({});
  });

  it.each([403, 429] as const)('a budget already used up (%i, x-ratelimit-remaining 0): the gate stops at its first answer, and does not start', async (status) => {
    await withPlan();
    actions.rate = { limit: 1000, remaining: 0 };
    actions.exceededStatus = status;
    const r = await runGate({});
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain("::error::The drill did not start: the repository's GitHub API budget is low (0 requests left this hour");
    expect(actions.requests).toHaveLength(1);
    expect(r.outputs).toEqual({});
  });

  it('a secondary rate limit with retry-after: no request before that many seconds, then the looks go on', async () => {
    await withPlan();
    actions.secondary = [{ status: 403, retryAfter: 2 }];
    const r = await runGate({}, ROOMY);
    expect(r.stdout).toContain('GitHub did not say which rollbacks are running (it asked for no request in the next 2 seconds): the drill waits');
    expect(pauses(r.stdout)).toEqual([2]);
    expect(r.outputs).toEqual({ start: 'true' });
  });

  it('a secondary rate limit without retry-after asks for a minute: past the end of the wait, the gate stops at once and says so', async () => {
    await withPlan();
    actions.secondary = [{ status: 429 }];
    const r = await runGate({}, { WAIT_SECONDS: '10', POLL_SECONDS: '1' });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain('::error::The drill did not start: GitHub did not say which rollbacks are running (it asked for no request in the next 60 seconds), past the end of its 0 minutes wait.');
    expect(actions.requests).toHaveLength(1);
    expect(r.outputs).toEqual({});
  });

  it('keeps the token off the command line and out of the output', async () => {
    expect(gate.run).not.toMatch(/-H "Authorization/);
    await withPlan();
    actions.runs = [{ id: 41, status: 'queued', path: '.github/workflows/rollback.yml' }];
    const r = await runGate({});
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
  });
});

describe('rollback-drill.yml report: a failure that left no drill comment', () => {
  let gh: GitHubIssuesFake;
  beforeEach(async () => {
    gh = await startGitHubIssues({ token: TOKEN, repository: REPO });
  });
  afterEach(async () => {
    await gh.close();
  });

  const runReport = (env: Record<string, string>) =>
    runStep(report.run!, { ENVIRONMENT: 'staging', GATE: 'success', GH_TOKEN: TOKEN, GITHUB_API_URL: gh.url, GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: REPO, GITHUB_RUN_ID: RUN_ID, ...env });

  it('runs on a failure of the gate or the drill that wrote no comment, never in a cancelled run or a dry run', () => {
    const job = workflow.jobs.report!;
    expect(job.needs).toEqual(['gate', 'drill']);
    expect(job.if).toBe("${{ failure() && !inputs.dry-run && needs.drill.outputs.issue-url == '' }}");
    expect(report.env).toEqual({ ENVIRONMENT: "${{ inputs.environment || 'staging' }}", GATE: '${{ needs.gate.result }}', GH_TOKEN: '${{ github.token }}' });
  });

  it('a drill that failed before its report: a comment on the open drill issue, with the run and what to do', async () => {
    const issue = gh.addIssue({ title: 'Rollback drill (staging)', body: `${drillIssueMarker('staging')}\n\n# Rollback drill: staging\n`, labels: [DRILL_LABEL] });
    gh.addIssue({ title: 'Rollback drill (eu)', body: `${drillIssueMarker('eu')}\n`, labels: [DRILL_LABEL] });
    const r = await runReport({ GATE: 'success' });
    expect(r.code).toBe(0);
    expect(gh.issues).toHaveLength(2);
    expect(issue.comments).toHaveLength(1);
    const body = issue.comments[0]!.body;
    expect(body).toContain('## Rollback drill failed');
    expect(body).toContain('The drill failed before it could write its own report');
    expect(body).toContain(`Run: https://github.com/${REPO}/actions/runs/${RUN_ID}`);
    expect(r.stdout).toContain(`The drill issue (#${issue.number}) has a comment.`);
  });

  it('the gate gave up: the comment says the drill did not start because of a rollback, and changed nothing', async () => {
    const issue = gh.addIssue({ title: 'Rollback drill (staging)', body: `${drillIssueMarker('staging')}\n`, labels: [DRILL_LABEL] });
    await runReport({ GATE: 'failure' });
    expect(issue.comments[0]!.body).toContain('The drill did not start: it waited for a rollback running in this repository');
    expect(issue.comments[0]!.body).toContain('Nothing was changed.');
    // The gate also stops when the hour's API budget runs low: the comment must not send a person
    // looking for a rollback that is not there.
    expect(issue.comments[0]!.body).toContain('API budget for the hour ran low');
    expect(issue.comments[0]!.body).toContain('in an hour if the API budget ran low');
  });

  it.each(['staging', 'eu staging/2'])('no drill issue yet (%s): it opens one the drill itself finds and comments on next time', async (environment) => {
    const r = await runReport({ ENVIRONMENT: environment });
    expect(r.code, r.stderr + JSON.stringify(gh.requests.map((q) => [q.method, q.path, q.headers['content-type']]))).toBe(0);
    expect(gh.issues).toHaveLength(1);
    const opened = gh.issues[0]!;
    expect(opened.labels).toEqual([DRILL_LABEL]);
    expect(opened.body).toContain(drillIssueMarker(environment));
    expect(opened.comments).toHaveLength(1);
    const record = { environment, dryRun: false, budgetMinutes: 15, wayBackBudgetMs: 450_000, startedAt: new Date().toISOString(), durationMs: 1, wayBackMs: 1, forwardMs: 0, status: 'passed', failures: [], timeline: [], readiness: [], components: [], nextSteps: [], trend: [] } satisfies DrillRecord;
    const done = await recordDrill({ apiUrl: gh.url, repository: REPO, token: TOKEN }, record, memoryLog());
    expect(done?.url).toBe(opened.html_url);
    expect(gh.issues).toHaveLength(1);
    expect(opened.comments).toHaveLength(2);
  });

  it('a token that may not write issues: the step fails saying the drill issue could not be written either', async () => {
    gh.addIssue({ title: 'x', body: `${drillIssueMarker('staging')}\n`, labels: [DRILL_LABEL] });
    gh.readOnly = true;
    const r = await runReport({});
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain('::error::The drill issue could not be written either');
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
  });

  it('puts no outside text in the comment: an environment name with markup stays out of it', async () => {
    gh.addIssue({ title: 'x', body: `${drillIssueMarker('st<b>x</b>')}\n`, labels: [DRILL_LABEL] });
    await runReport({ ENVIRONMENT: 'st<b>x</b>' });
    const comment = gh.issues[0]!.comments[0]!.body;
    expect(comment).not.toContain('<b>');
    expect(comment).not.toContain('st_b_x_');
  });
});
