// The drill issue against the local GitHub issues API: found again by label and marker, the trend
// read back from every page of comments, other comments and tampered markers ignored, refusals
// turned into warnings.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import type { DrillRecord, DrillTrendRow } from '../../src/pipeline/drill.js';
import { drillIssueMarker, parseResult, recordDrill, resultMarker } from '../../src/report/drill-issue.js';
import { drillReportMarkdown } from '../../src/report/drill-summary.js';
import { GITHUB_ACTIONS_BOT, startGitHubIssues, type FakeAuthor, type GitHubIssuesFake } from '../fakes/github-issues.js';

const TOKEN = 'ghs_' + 'DrillIssueUnitToken0123456789abcdefAB';
const REPO = 'acme/shop';

function record(over: Partial<DrillRecord> = {}): DrillRecord {
  return {
    environment: 'staging',
    dryRun: false,
    budgetMinutes: 15,
    wayBackBudgetMs: 450_000,
    startedAt: '2026-12-01T06:17:00.000Z',
    finishedAt: '2026-12-01T06:19:00.000Z',
    durationMs: 120_000,
    wayBackMs: 70_000,
    forwardMs: 40_000,
    status: 'passed',
    failures: [],
    timeline: [],
    readiness: [{ check: 'target', component: 'web', status: 'ok', detail: 'dpl_2 can go back to dpl_1' }],
    components: [],
    nextSteps: [],
    trend: [],
    ...over,
  };
}

const row = (month: number, status: DrillTrendRow['status'] = 'passed'): DrillTrendRow => ({
  at: new Date(Date.UTC(2024, month, 15, 6, 17)).toISOString(),
  status,
  wayBackMs: 60_000 + month,
  forwardMs: 30_000,
  totalMs: 100_000,
  budgetMs: 450_000,
});

let gh: GitHubIssuesFake;
beforeEach(async () => {
  gh = await startGitHubIssues({ token: TOKEN, repository: REPO });
});
afterEach(async () => {
  await gh.close();
});

describe('drill report', () => {
  it('marks a phase that ran over its budget in the phase table, as the rollback summary does', () => {
    const r = record({
      status: 'failed',
      failedPhase: 'back',
      failures: ['back took 200.0 s, over its budget of 180.0 s'],
      timeline: [
        { phase: 'readiness', started: '2026-12-01T06:17:00.000Z', 'duration-ms': 2_000, 'budget-ms': 30_000, status: 'ok', detail: 'ready' },
        { phase: 'back', component: 'web', started: '2026-12-01T06:17:02.000Z', 'duration-ms': 200_000, 'budget-ms': 180_000, status: 'ok', detail: 'dpl_2 → dpl_1' },
      ],
    });
    const md = drillReportMarkdown(r, []);
    expect(md).toContain('| back | web | 3 min 20 s / 3 min 0 s | ok (over budget) |');
    expect(md).toContain('| readiness |  | 2.0 s / 30.0 s | ok |');
  });

  it('a drill that failed in readiness gives no time for the way back it never tried, as the command line does', () => {
    const r = record({
      status: 'failed',
      failedPhase: 'readiness',
      wayBackMs: 0,
      forwardMs: 0,
      failures: ['The way back is broken: web target: no earlier production deployment'],
      readiness: [{ check: 'target', component: 'web', status: 'failed', detail: 'no earlier production deployment' }],
    });
    const md = drillReportMarkdown(r, []);
    expect(md).toContain('Drill failed in readiness: the way back was not tried, and nothing was changed.');
    expect(md).not.toMatch(/way back took|rolling forward took/);
  });
});

describe('drill issue', () => {
  it('shows a drill that failed in readiness as not timed, never as a timing: this one, earlier ones, and those an earlier version recorded', async () => {
    const issue = gh.addIssue({ title: 'Rollback drill (staging)', labels: ['rollback-drill'], body: `${drillIssueMarker('staging')}\n` });
    const unready = (over: Partial<DrillRecord>) =>
      record({ status: 'failed', failedPhase: 'readiness', wayBackMs: 1_900, forwardMs: 0, durationMs: 2_400, failures: ['The way back is broken: web target: no earlier production deployment'], ...over });
    // A timed drill, a readiness failure this version recorded, and one an earlier version recorded:
    // its marker has no untried, its report says the way back is broken (as every version's has).
    issue.comments.push({ id: 1, body: `drill\n${resultMarker(row(1))}`, html_url: 'a' });
    const thisVersion = unready({ startedAt: row(2).at });
    issue.comments.push({ id: 2, body: `${drillReportMarkdown(thisVersion, [])}\n${resultMarker({ ...row(2), status: 'failed', wayBackMs: 1_900, forwardMs: 0, totalMs: 2_400, untried: true })}`, html_url: 'b' });
    const earlierVersion = `${drillReportMarkdown(unready({ startedAt: row(3).at }), [])}\n<!-- rollback-kit:drill-result at=${row(3).at} status=failed back=2100 forward=0 total=2500 budget=450000 -->`;
    expect(earlierVersion).toContain('**Why it failed**\n\n- The way back is broken: ');
    issue.comments.push({ id: 3, body: earlierVersion, html_url: 'c' });
    // A drill that failed later (over budget) is timed: its way back was tried.
    issue.comments.push({ id: 4, body: `drill\n${resultMarker({ ...row(4), status: 'failed', wayBackMs: 500_000 })}`, html_url: 'd' });

    const done = await recordDrill({ apiUrl: gh.url, repository: REPO, token: TOKEN }, unready({}), memoryLog());
    expect(done!.trend.map((r) => r.untried ?? false)).toEqual([false, true, true, false, true]);
    const comment = issue.comments.at(-1)!.body;
    expect(comment).toContain('untried=readiness -->');
    const rows = comment.split('\n').filter((l) => /^\| 202\d-/.test(l));
    expect(rows).toHaveLength(5);
    for (const i of [1, 2, 4]) {
      expect(rows[i]).toContain('| ❌ failed | not timed: failed in readiness, the way back was not tried / 7 min 30 s | — | — |');
      expect(rows[i]).not.toMatch(/\d\.\d s/);
    }
    expect(rows[0]).toContain('| ✅ passed | 1 min 0 s / 7 min 30 s |');
    expect(rows[3]).toContain('| ❌ failed | 8 min 20 s / 7 min 30 s |');
    // Read back, the marker keeps it.
    expect(parseResult(comment)).toMatchObject({ status: 'failed', untried: true });
    expect(parseResult(resultMarker(row(5)))).not.toHaveProperty('untried');
  });

  it('shows a stopped drill as stopped, neither failed nor passed, with only the times it measured to their end; old markers read as before', async () => {
    const issue = gh.addIssue({ title: 'Rollback drill (staging)', labels: ['rollback-drill'], body: `${drillIssueMarker('staging')}\n` });
    // An earlier version's markers: no stopped field (nor untried): they read as they always did.
    issue.comments.push({ id: 1, body: `drill\n<!-- rollback-kit:drill-result at=${row(1).at} status=passed back=61000 forward=30000 total=100000 budget=450000 -->`, html_url: 'a' });
    issue.comments.push({ id: 2, body: `drill\n<!-- rollback-kit:drill-result at=${row(2).at} status=failed back=500000 forward=30000 total=600000 budget=450000 -->`, html_url: 'b' });
    // Stopped after its way back was timed (after verify-back), and stopped before it was (after back).
    issue.comments.push({ id: 3, body: `drill\n${resultMarker({ ...row(3), status: 'failed', wayBackMs: 90_000, stopped: { by: 'SIGTERM', after: 'verify-back' } })}`, html_url: 'c' });
    issue.comments.push({ id: 4, body: `drill\n${resultMarker({ ...row(4), status: 'failed', wayBackMs: 20_000, stopped: { by: 'SIGINT', after: 'back' } })}`, html_url: 'd' });
    // A stopped marker whose phase is no drill phase is no drill's.
    issue.comments.push({ id: 5, body: `drill\n<!-- rollback-kit:drill-result at=${row(5).at} status=failed back=1 forward=1 total=1 budget=1 stopped=SIGINT after=lunch -->`, html_url: 'e' });

    const stopped = record({ status: 'failed', failedPhase: 'snapshot', wayBackMs: 2_000, forwardMs: 0, durationMs: 3_000, stopped: { by: 'SIGINT', after: 'the start' }, failures: ['The drill was stopped (SIGINT) after the start.'] });
    const done = await recordDrill({ apiUrl: gh.url, repository: REPO, token: TOKEN }, stopped, memoryLog());
    expect(done!.trend.map((r) => r.stopped?.after ?? null)).toEqual([null, null, 'verify-back', 'back', 'the start']);
    const comment = issue.comments.at(-1)!.body;
    expect(comment).toContain(' stopped=SIGINT after=start -->');
    const rows = comment.split('\n').filter((l) => /^\| 202\d-/.test(l));
    expect(rows).toHaveLength(5);
    expect(rows[0]).toContain('| ✅ passed | 1 min 1 s / 7 min 30 s | 30.0 s | 1 min 40 s |');
    expect(rows[1]).toContain('| ❌ failed | 8 min 20 s / 7 min 30 s | 30.0 s | 10 min 0 s |');
    expect(rows[2]).toContain('| ⏹️ stopped (SIGTERM) after verify-back | 1 min 30 s / 7 min 30 s | — | — |');
    expect(rows[3]).toContain('| ⏹️ stopped (SIGINT) after back | — / 7 min 30 s | — | — |');
    expect(rows[4]).toContain('| ⏹️ stopped (SIGINT) after the start | — / 7 min 30 s | — | — |');
    for (const r of rows.slice(2)) expect(r).not.toMatch(/❌|✅|failed|passed/);
    // Read back, the marker keeps the stop; an old one has none.
    expect(parseResult(comment)).toMatchObject({ status: 'failed', stopped: { by: 'SIGINT', after: 'the start' } });
    expect(parseResult(issue.comments[0]!.body)).not.toHaveProperty('stopped');
  });

  it('reads the trend from every page of comments, ignoring people and tampered markers, and shows the last eight', async () => {
    gh.addIssue({ title: 'Rollback drill (production)', labels: ['rollback-drill'], body: drillIssueMarker('production') });
    const issue = gh.addIssue({ title: 'Rollback drill (staging)', labels: ['rollback-drill'], body: `${drillIssueMarker('staging')}\n` });
    for (let i = 0; i < 150; i++) issue.comments.push({ id: i + 1, body: i % 15 === 0 ? `drill\n${resultMarker(row(i / 15, i === 135 ? 'failed' : 'passed'))}` : 'LGTM, thanks', html_url: `${issue.html_url}#c${i}` });
    issue.comments.push({ id: 999, body: '<!-- rollback-kit:drill-result at=2026-01-01T00:00:00.000Z status=hacked back=1 forward=1 total=1 budget=1 -->', html_url: 'x' });
    const log = memoryLog();

    const done = await recordDrill({ apiUrl: gh.url, repository: REPO, token: TOKEN }, record(), log);
    expect(done?.url).toBe(issue.html_url);
    expect(gh.created()).toEqual([]);
    // Ten earlier drills over two pages; the trend keeps the newest seven and this one.
    expect(gh.requests.filter((r) => r.method === 'GET' && /comments$/.test(r.path))).toHaveLength(2);
    expect(done!.trend).toHaveLength(8);
    expect(done!.trend.map((r) => r.at.slice(0, 7))).toEqual(['2024-04', '2024-05', '2024-06', '2024-07', '2024-08', '2024-09', '2024-10', '2026-12']);
    expect(done!.trend.filter((r) => r.status === 'failed')).toHaveLength(1);
    const comment = issue.comments.at(-1)!.body;
    expect(comment).toContain('**Trend** (last 8 drills)');
    expect(parseResult(comment)).toEqual({ at: '2026-12-01T06:17:00.000Z', status: 'passed', wayBackMs: 70_000, forwardMs: 40_000, totalMs: 120_000, budgetMs: 450_000 });
    expect(JSON.stringify(gh.requests)).not.toContain('hacked');
  });

  it('trusts only the drills\' own comments: markers by anyone else, or dated later than posted, are ignored', async () => {
    const issue = gh.addIssue({ title: 'Rollback drill (staging)', labels: ['rollback-drill'], body: drillIssueMarker('staging') });
    const real = [row(1), row(2, 'failed'), row(3)];
    for (const [i, r] of real.entries()) issue.comments.push({ id: i + 1, body: `drill\n${resultMarker(r)}`, html_url: `${issue.html_url}#r${i}`, created_at: r.at });
    const mallory: FakeAuthor = { login: 'mallory', type: 'User', association: 'NONE' };
    const member: FakeAuthor = { login: 'octocat', type: 'User', association: 'MEMBER' };
    // Seven forged rows, enough to push every real one out of the table, by an outsider and by a member.
    for (let i = 0; i < 7; i++) {
      issue.comments.push({ id: 100 + i, author: i % 2 ? member : mallory, body: `nice drill! ${resultMarker({ ...row(5 + i), wayBackMs: 1000 })}`, html_url: `${issue.html_url}#f${i}` });
    }
    // The repro's: a result "from" 2099, which would always sort last.
    issue.comments.push({ id: 200, author: mallory, body: '<!-- rollback-kit:drill-result at=2099-01-01T00:00:00Z status=passed back=1000 forward=1000 total=2000 budget=450000 -->', html_url: 'x' });
    // The bot's own marker, but dated after GitHub says the comment was posted (and in the future).
    issue.comments.push({ id: 201, body: resultMarker({ ...row(8), at: '2099-01-01T00:00:00.000Z' }), html_url: 'y', created_at: row(8).at });
    issue.comments.push({ id: 202, body: resultMarker(row(9)), html_url: 'z', created_at: row(8).at });

    const done = await recordDrill({ apiUrl: gh.url, repository: REPO, token: TOKEN }, record(), memoryLog());
    expect(done!.trend.map((r) => r.at)).toEqual([...real.map((r) => r.at), '2026-12-01T06:17:00.000Z']);
    expect(done!.trend.every((r) => r.wayBackMs !== 1000)).toBe(true);
    // It asked who the token is: GITHUB_TOKEN may not say, so its comments are github-actions[bot]'s.
    expect(gh.requests.some((r) => r.method === 'GET' && r.path === '/user')).toBe(true);
  });

  it('with a personal access token, the token\'s own user is the drills\' author', async () => {
    await gh.close();
    const ops: FakeAuthor = { login: 'ops-automation', type: 'User', association: 'MEMBER' };
    gh = await startGitHubIssues({ token: TOKEN, repository: REPO, identity: ops });
    const issue = gh.addIssue({ title: 'Rollback drill (staging)', labels: ['rollback-drill'], body: drillIssueMarker('staging') });
    issue.comments.push({ id: 1, body: resultMarker(row(1)), html_url: 'a' });
    issue.comments.push({ id: 2, author: GITHUB_ACTIONS_BOT, body: resultMarker(row(2)), html_url: 'b' });
    const done = await recordDrill({ apiUrl: gh.url, repository: REPO, token: TOKEN }, record(), memoryLog());
    expect(done!.trend.map((r) => r.at)).toEqual([row(1).at, '2026-12-01T06:17:00.000Z']);
    // GitHub answers with the author of what was just posted: the same user.
    const posted = issue.comments.at(-1)!;
    expect(posted.author?.login).toBe('ops-automation');
  });

  it('with another GitHub App\'s token, that app\'s bot (which opened the issue) is the drills\' author', async () => {
    await gh.close();
    const app: FakeAuthor = { login: 'rollback-bot[bot]', type: 'Bot', association: 'NONE', app: { id: 901, slug: 'rollback-bot', name: 'Rollback Bot' } };
    gh = await startGitHubIssues({ token: TOKEN, repository: REPO, identity: app });
    const issue = gh.addIssue({ title: 'Rollback drill (staging)', labels: ['rollback-drill'], body: drillIssueMarker('staging') });
    issue.comments.push({ id: 1, body: resultMarker(row(1)), html_url: 'a' });
    issue.comments.push({ id: 2, author: { login: 'mallory', type: 'User', association: 'NONE' }, body: resultMarker(row(2)), html_url: 'b' });
    const done = await recordDrill({ apiUrl: gh.url, repository: REPO, token: TOKEN }, record(), memoryLog());
    expect(done!.trend.map((r) => r.at)).toEqual([row(1).at, '2026-12-01T06:17:00.000Z']);

    // An issue a person opened lends that person no trust.
    const byPerson = gh.addIssue({ title: 'Rollback drill (eu)', labels: ['rollback-drill'], body: drillIssueMarker('eu'), author: { login: 'octocat', type: 'User', association: 'OWNER' } });
    byPerson.comments.push({ id: 3, author: { login: 'octocat', type: 'User', association: 'OWNER' }, body: resultMarker(row(3)), html_url: 'c' });
    const eu = await recordDrill({ apiUrl: gh.url, repository: REPO, token: TOKEN }, record({ environment: 'eu' }), memoryLog());
    expect(eu!.trend).toHaveLength(1);
  });

  it('the fake answers comments with their authors as GitHub does', async () => {
    const issue = gh.addIssue({ title: 'Rollback drill (staging)', labels: ['rollback-drill'], body: drillIssueMarker('staging') });
    issue.comments.push({ id: 1, body: 'hi', html_url: 'a', author: { login: 'mallory', type: 'User', association: 'NONE' } });
    issue.comments.push({ id: 2, body: 'result', html_url: 'b' });
    const res = await fetch(`${gh.url}/repos/${REPO}/issues/${issue.number}/comments`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    const rows = (await res.json()) as { user: { login: string; type: string }; author_association: string; performed_via_github_app: { slug: string } | null; created_at: string }[];
    expect(rows.map((r) => [r.user.login, r.user.type, r.author_association, r.performed_via_github_app?.slug ?? null])).toEqual([
      ['mallory', 'User', 'NONE', null],
      ['github-actions[bot]', 'Bot', 'NONE', 'github-actions'],
    ]);
    expect(Number.isNaN(Date.parse(rows[0]!.created_at))).toBe(false);
    const user = await fetch(`${gh.url}/user`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(user.status).toBe(403);
    expect(((await user.json()) as { message: string }).message).toBe('Resource not accessible by integration');
  });

  it('opens the issue, labelled, when none is open for the environment', async () => {
    gh.addIssue({ title: 'Rollback drill (staging)', labels: ['rollback-drill'], body: drillIssueMarker('staging'), state: 'closed' });
    const done = await recordDrill({ apiUrl: gh.url, repository: REPO, token: TOKEN }, record(), memoryLog());
    expect(gh.created()).toHaveLength(1);
    expect(gh.created()[0]).toMatchObject({ title: 'Rollback drill (staging)', labels: ['rollback-drill'] });
    expect(gh.created()[0]!.comments).toHaveLength(1);
    expect(done!.trend).toHaveLength(1);
  });

  it('turns a token without issues: write into a warning, never an exception', async () => {
    gh.readOnly = true;
    const log = memoryLog();
    expect(await recordDrill({ apiUrl: gh.url, repository: REPO, token: TOKEN }, record(), log)).toBeUndefined();
    expect(log.lines.join('\n')).toMatch(/warning: The drill issue was not written \(opening the drill issue in acme\/shop: HTTP 403.*issues: write/);
    expect(log.lines.join('\n')).not.toContain(TOKEN);
  });

  it('a repository that is not owner/name, no token, or an API URL that is no URL: warnings that say which, no request', async () => {
    const log = memoryLog();
    const target = { apiUrl: gh.url, repository: REPO, token: TOKEN };
    expect(await recordDrill({ ...target, repository: 'just-a-name' }, record(), log)).toBeUndefined();
    expect(await recordDrill({ ...target, token: '' }, record(), log)).toBeUndefined();
    expect(await recordDrill({ ...target, apiUrl: 'not a url' }, record(), log)).toBeUndefined();
    expect(log.lines.filter((l) => l.startsWith('warning: '))).toEqual([
      'warning: The drill issue was not written: the repository must look like owner/name (got "just-a-name").',
      'warning: The drill issue was not written: no github-token was given.',
      'warning: The drill issue was not written: GITHUB_API_URL is not a URL.',
    ]);
    expect(gh.requests).toEqual([]);
  });

  it('reads only well-formed result markers', () => {
    expect(parseResult(resultMarker(row(1)))).toEqual(row(1));
    expect(parseResult('<!-- rollback-kit:drill-result at=yesterday status=passed back=1 forward=1 total=1 budget=1 -->')).toBeUndefined();
    expect(parseResult('<!-- rollback-kit:drill-result at=2026-01-01T00:00:00Z status=passed back=-1 forward=1 total=1 budget=1 -->')).toBeUndefined();
    expect(parseResult(`${'x'.repeat(80_000)}${resultMarker(row(1))}`)).toBeUndefined();
    // Later than now (the review's forged row), or than the time given.
    expect(parseResult('nice drill! <!-- rollback-kit:drill-result at=2099-01-01T00:00:00Z status=passed back=1000 forward=1000 total=2000 budget=450000 -->')).toBeUndefined();
    expect(parseResult(resultMarker(row(3)), Date.parse(row(2).at))).toBeUndefined();
  });
});
