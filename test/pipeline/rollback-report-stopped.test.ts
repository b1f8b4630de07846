// The whole rollback stopped (a cancelled job, Ctrl-C) in its report phase, while GitHub holds the
// incident issue's search unanswered, and never answers it before the run has ended. The report used
// to wait for GitHub as long as it would unstopped (10 s a request, retries), past the stop's 5 s
// grace, and the run then ended saying what it changed was not known. Now the issue gets its short
// bound (incident.ts STOPPED_ISSUE_MS), the run ends on its own with the rollback's outcome intact,
// and the report row and the last next step say what was not recorded and where to record it.
// Stopped in the app phase instead, the final line still says production was not touched.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { runRollback, type RollbackRequest } from '../../src/pipeline/rollback.js';
import { tellingDeps } from '../../src/report/rollback-deps.js';
import { failedRunError } from '../../src/report/rollback-summary.js';
import { startGitHubIssues, type GitHubIssuesFake } from '../fakes/github-issues.js';
import { runAction } from '../helpers/run-action.js';
import { shopFixture, TEAM_ID, TOKEN, type ShopFixture } from '../promote-previous/fixture.js';

const GH_TOKEN = 'ghs_StoppedReportTok3nQ9wX2mR7pL4kN8';
const ISSUES_SEARCH = /^GET \/repos\/acme\/shop\/issues$/;

let shop: ShopFixture | undefined;
let gh: GitHubIssuesFake | undefined;
let ws: string | undefined;
afterEach(async () => {
  await shop?.vercel.close();
  await gh?.close();
  if (ws) await rm(ws, { recursive: true, force: true });
  shop = undefined;
  gh = undefined;
  ws = undefined;
});

function request(f: ShopFixture, signal: AbortSignal): RollbackRequest {
  return {
    plan: { source: 'inputs', environment: 'production', budgetMinutes: 15, labels: [], components: [{ name: 'web', provider: 'vercel', target: 'previous', timeoutSeconds: 60, project: 'shop', team: TEAM_ID, apiUrl: f.vercel.url, method: 'rollback' }] },
    scope: ['web'],
    reason: 'checkout returns 500',
    severity: 'critical',
    dryRun: false,
    earlierTimeline: [],
    secrets: { vercelToken: TOKEN, githubToken: GH_TOKEN },
    workspace: process.cwd(),
    snapshotDir: process.cwd(),
    github: { repository: 'acme/shop', apiUrl: gh!.url, runUrl: 'https://github.com/acme/shop/actions/runs/42' },
    commandEnv: {},
    vercelPollIntervalMs: 1,
    signal,
  };
}

async function setUp() {
  shop = await shopFixture({ historySize: 3 });
  gh = await startGitHubIssues({ token: GH_TOKEN, repository: 'acme/shop' });
  const log = memoryLog();
  const deps = tellingDeps({ githubToken: GH_TOKEN, repository: 'acme/shop', githubApiUrl: gh.url }, log);
  return { log, deps };
}

describe('the whole rollback, stopped while the incident issue is recorded', () => {
  it('the run ends at the bound while GitHub still holds the search; the rollback stands, and the report says what was not recorded and where', async () => {
    const { log, deps } = await setUp();
    const stop = new AbortController();
    const held = gh!.hold(ISSUES_SEARCH);
    const running = runRollback(request(shop!, stop.signal), deps, log);
    await held.reached;
    stop.abort(new Error('stopped by SIGTERM'));
    // Released only once the run has ended: had the run waited for GitHub's answer, it would never end.
    const record = await running;
    held.release();
    expect(record.status).toBe('rolled-back');
    expect(shop!.vercel.production(shop!.project)?.uid).toBe(shop!.good.uid);
    const report = record.timeline.find((e) => e.phase === 'report');
    expect(report?.status).toBe('warning');
    expect(report?.detail).toMatch(
      /^The incident issue was not recorded: the run was stopped while looking for an open incident issue in acme\/shop \(GitHub did not answer within 2\.0 s of the stop \(SIGTERM\)\)\. Record it by hand in https:\/\/github\.com\/acme\/shop\/issues with the facts of this run/,
    );
    expect(record.nextSteps.at(-1)).toBe(report?.detail);
    expect(record.incidentIssueUrl).toBeUndefined();
    // Nothing reached GitHub but the held search (it records a request once it answers it): no retry, no issue opened.
    expect(gh!.requests).toEqual([]);
    expect(gh!.created()).toEqual([]);
  });

  it('stopped in the app phase, with GitHub holding the search: the final line says production was not touched, and the incident is said missed after it', async () => {
    const { log, deps } = await setUp();
    const stop = new AbortController();
    // The plan lists the deployments first (a dry run); the app phase lists them again: held there.
    const plan = shop!.vercel.hold(/^GET \/v6\/deployments/);
    const search = gh!.hold(ISSUES_SEARCH);
    const running = runRollback(request(shop!, stop.signal), deps, log);
    await plan.reached;
    const app = shop!.vercel.hold(/^GET \/v6\/deployments/);
    plan.release();
    await app.reached;
    stop.abort(new Error('stopped by SIGINT'));
    app.release();
    await search.reached;
    const record = await running;
    search.release();
    expect(record.status).toBe('failed');
    expect(record.components[0]).toMatchObject({ status: 'failed', stopped: 'not-touched' });
    const { message, hint } = failedRunError(record);
    expect(message).toMatch(/^Rollback stopped in app: Vercel project shop: the run was stopped \(SIGINT\) before any request that changes production was sent, so production was not touched/);
    expect(hint).not.toContain('incident');
    expect(record.nextSteps.at(-1)).toMatch(/^The incident issue was not recorded: the run was stopped while looking for an open incident issue in acme\/shop \(GitHub did not answer within 2\.0 s of the stop \(SIGINT\)\)\./);
    expect(record.timeline.find((e) => e.phase === 'report')?.status).toBe('warning');
  });
});

// Runs dist/rollback: needs the bundles rebuilt from this source.
describe('the rollback action, SIGTERM while GitHub holds the incident issue', () => {
  it('ends within the stop grace saying the rollback stands (not "not known"), with what was not recorded in the summary', async () => {
    shop = await shopFixture({ historySize: 3 });
    gh = await startGitHubIssues({ token: GH_TOKEN, repository: 'acme/shop' });
    ws = await mkdtemp(join(tmpdir(), 'rk-report-stopped-'));
    await writeFile(join(ws, 'rollback-kit.yml'), ['components:', `  web: { provider: vercel, project: shop, team: ${TEAM_ID}, api-url: "${shop.vercel.url}" }`, ''].join('\n'));
    const held = gh.hold(ISSUES_SEARCH);
    try {
      const run = await runAction(
        'rollback',
        { reason: 'checkout returns 500', severity: 'critical', 'vercel-token': TOKEN, 'github-token': GH_TOKEN },
        {
          cwd: ws,
          env: { GITHUB_API_URL: gh.url },
          whileRunning: async (child) => {
            await held.reached;
            child.kill('SIGTERM');
          },
        },
      );
      expect(run.code).toBe(1);
      // The last line: where production is, which the stop did not change.
      expect(run.errors).toHaveLength(1);
      expect(run.errors[0]).toMatch(/^rollback was stopped by SIGTERM: Rollback complete: production runs web dpl_\w+ .* again.*\. The stop came after that was done: only telling people may have been cut short \(the job summary says what was not\)\.$/);
      expect(run.outputs.status).toBe('rolled-back');
      expect(shop.vercel.production(shop.project)?.uid).toBe(shop.good.uid);
      expect(run.summary).toContain('The incident issue was not recorded: the run was stopped while looking for an open incident issue in acme/shop');
      // The summary keeps outside text from linking with a code span (unlinked): the address copies as written.
      expect(run.summary).toContain('Record it by hand in `https://github.com/acme/shop/issues` ');
      expect(run.log).not.toContain('not known');
    } finally {
      held.release();
    }
  });
});
