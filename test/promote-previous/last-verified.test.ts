// target: last-verified through the promote-previous bundle, against the local Vercel API and the
// GitHub commit-status stand-in; and the recording side, smoke-test's verified-sha, through its bundle.
import { afterEach, describe, expect, it } from 'vitest';
import { startGitHubStatuses, type GitHubStatusesFake } from '../fakes/github-statuses.js';
import { findSecret, runAction, type ActionRun } from '../helpers/run-action.js';
import { startServer } from '../smoke/servers.js';
import { OTHER_TOKEN, shopFixture, TOKEN, vercelInputs, type ShopFixture } from './fixture.js';

const GH_TOKEN = 'ghs_Verif1edStatusTok3nQ9wX2mR7pL4kN8';
const GH_READ_ONLY = 'ghs_ReadOnlyStatusTok3nA1bC2dE3fG4hI5';
const CONTEXT = 'rollback-kit/verified';

let fixture: ShopFixture | undefined;
let github: GitHubStatusesFake | undefined;
afterEach(async () => {
  await fixture?.vercel.close();
  await github?.close();
  fixture = undefined;
  github = undefined;
});

/** The shop fixture, each deployment's commit known to the GitHub stand-in (repository acme/shop). */
async function setup(): Promise<{ f: ShopFixture; gh: GitHubStatusesFake }> {
  fixture = await shopFixture({ historySize: 6 });
  github = await startGitHubStatuses({ owner: 'acme', repo: 'shop', token: GH_TOKEN, readOnlyToken: GH_READ_ONLY });
  for (const d of [...fixture.history, fixture.good, fixture.errored, fixture.preview, fixture.staged, fixture.sameCommit, fixture.bad, fixture.building]) github.addCommit(d.sha);
  return { f: fixture, gh: github };
}

async function promote(f: ShopFixture, gh: GitHubStatusesFake, extra: Record<string, string | undefined> = {}, env: Record<string, string | undefined> = {}): Promise<ActionRun> {
  const run = await runAction('promote-previous', vercelInputs(f, { target: 'last-verified', 'github-token': GH_TOKEN, ...extra }), { env: { GITHUB_API_URL: gh.url, ...env } });
  for (const secret of [TOKEN, OTHER_TOKEN, GH_TOKEN, GH_READ_ONLY]) expect(await findSecret(run, secret)).toEqual([]);
  return run;
}

const rollbackPosts = (f: ShopFixture) => f.vercel.requestsTo(/^POST \/v\d+\/projects\/[^/]+\/(rollback|promote)\//);

describe('promote-previous target: last-verified (vercel)', () => {
  it('returns to the newest deployment whose commit is verified, and says why each newer one was passed over', async () => {
    const { f, gh } = await setup();
    const verified = f.history[3]!;
    // The newest eligible one (good) failed its checks; the next has no status at all.
    gh.addStatus(f.good.sha, { state: 'success', context: CONTEXT, description: 'passed once' });
    gh.addStatus(f.good.sha, { state: 'failure', context: CONTEXT, description: 'health failed' });
    // The verified status is on the second page of the combined status: 120 other contexts are newer.
    gh.addStatus(verified.sha, { state: 'success', context: CONTEXT, description: '2 smoke checks passed' });
    for (let i = 0; i < 120; i++) gh.addStatus(verified.sha, { state: 'success', context: `ci/job-${i}` });

    const r = await promote(f, gh, { reason: 'checkout broken' });
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({ status: 'rolled-back', 'from-deployment-id': f.bad.uid, 'to-deployment-id': verified.uid, 'to-commit-sha': verified.sha });
    expect(f.vercel.production(f.project)?.uid).toBe(verified.uid);

    expect(r.summary).toContain(`last-verified: ${verified.uid} is the newest eligible production deployment whose commit ${verified.sha.slice(0, 7)} carries a successful rollback-kit/verified status`);
    expect(r.summary).toContain(`| ${f.good.uid} | commit ${f.good.sha.slice(0, 7)}'s rollback-kit/verified status is failure ("health failed") |`);
    expect(r.summary).toContain(`| ${f.history[5]!.uid} | commit ${f.history[5]!.sha.slice(0, 7)} carries no rollback-kit/verified status`);
    expect(r.summary).toContain(`| ${f.staged.uid} | never served production (STAGED) |`);

    // GitHub was asked with the token, for the combined status, page by page, only as far as needed.
    const reads = gh.requests.filter((q) => q.method === 'GET');
    expect(reads.every((q) => q.headers.authorization === `Bearer ${GH_TOKEN}`)).toBe(true);
    expect(reads.map((q) => [q.path.split('/')[5]!.slice(0, 7), q.query.page])).toEqual([
      [f.good.sha.slice(0, 7), '1'],
      [f.history[5]!.sha.slice(0, 7), '1'],
      [f.history[4]!.sha.slice(0, 7), '1'],
      [verified.sha.slice(0, 7), '1'],
      [verified.sha.slice(0, 7), '2'],
    ]);
    expect(reads.every((q) => q.query.per_page === '100' && q.path.endsWith('/status'))).toBe(true);
  });

  it('dry run names the deployment it would choose, and changes nothing', async () => {
    const { f, gh } = await setup();
    gh.addStatus(f.history[5]!.sha, { state: 'success', context: CONTEXT });
    const r = await promote(f, gh, { 'dry-run': 'true' });
    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({ status: 'dry-run', 'to-deployment-id': f.history[5]!.uid });
    expect(rollbackPosts(f)).toEqual([]);
    expect(gh.requests.every((q) => q.method === 'GET')).toBe(true);
  });

  it('no verified deployment: fails with one line before anything changes', async () => {
    const { f, gh } = await setup();
    gh.addStatus(f.good.sha, { state: 'pending', context: CONTEXT });
    const r = await promote(f, gh);
    expect(r.code).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/^No earlier production deployment of project shop carries the rollback-kit\/verified status: \d+ older production deployment\(s\) checked\. Passed over: .*status is pending.* Use target: previous/);
    expect(rollbackPosts(f)).toEqual([]);
    expect(f.vercel.production(f.project)?.uid).toBe(f.bad.uid);
  });

  it('a rejected github-token (401): one line naming github-token, nothing rolled back', async () => {
    const { f, gh } = await setup();
    const r = await promote(f, gh, { 'github-token': OTHER_TOKEN });
    expect(r.code).toBe(1);
    expect(r.errors).toEqual([expect.stringMatching(/^GitHub rejected the token \(401\) while reading the commit statuses of commit [0-9a-f]{12} in acme\/shop\. GitHub said: "Bad credentials"\. Check the github-token secret/)]);
    expect(rollbackPosts(f)).toEqual([]);
  });

  it('an unknown repository (404): one line, nothing rolled back', async () => {
    const { f, gh } = await setup();
    const r = await promote(f, gh, {}, { GITHUB_REPOSITORY: 'acme/elsewhere' });
    expect(r.code).toBe(1);
    expect(r.errors).toEqual([expect.stringMatching(/^Repository acme\/elsewhere or commit [0-9a-f]{12} was not found \(404\) while reading the commit statuses/)]);
    expect(rollbackPosts(f)).toEqual([]);
  });

  it('a rate limit (429 with Retry-After) is waited out', async () => {
    const { f, gh } = await setup();
    gh.addStatus(f.good.sha, { state: 'success', context: CONTEXT });
    gh.rateLimit(1, 1);
    const r = await promote(f, gh, { 'dry-run': 'true' });
    expect(r.code).toBe(0);
    expect(r.outputs['to-deployment-id']).toBe(f.good.uid);
    expect(gh.requests.map((q) => q.status)).toEqual([429, 200]);
  });

  it.each([
    ['the hourly limit used up (403, x-ratelimit-remaining 0), resetting in 2 s', 'primary' as const, 2],
    ['a secondary limit (403 with Retry-After 1)', 'secondary' as const, 1],
  ])('a 403 rate limit is a wait, not a refusal: %s', async (_name, kind, seconds) => {
    const { f, gh } = await setup();
    gh.addStatus(f.good.sha, { state: 'success', context: CONTEXT });
    gh.rateLimit403(1, kind, seconds);
    const r = await promote(f, gh, { 'dry-run': 'true', 'timeout-seconds': '30' });
    expect(r.errors).toEqual([]);
    expect(r.outputs['to-deployment-id']).toBe(f.good.uid);
    expect(gh.requests.map((q) => q.status)).toEqual([403, 200]);
    // Waited for what GitHub asked (the reset is on whole seconds, so at least one of the two).
    expect(gh.requests[1]!.at - gh.requests[0]!.at).toBeGreaterThanOrEqual(900);
  });

  it('a 403 rate limit longer than timeout-seconds fails at once, as a rate limit and not a permission', async () => {
    const { f, gh } = await setup();
    gh.addStatus(f.good.sha, { state: 'success', context: CONTEXT });
    gh.rateLimit403(1, 'primary', 3600);
    const r = await promote(f, gh, { 'dry-run': 'true', 'timeout-seconds': '30' });
    expect(r.code).toBe(1);
    expect(r.errors).toEqual([expect.stringMatching(/^GitHub asked to wait 3[56]\d\d s \(until its rate limit resets\) before GET \S+ again \(.*403.*API rate limit exceeded.*\), but only \d+ s of timeout-seconds \(30 s\) are left\./)]);
    expect(r.errors[0]).not.toMatch(/refused access|permission|statuses: read/);
    expect(gh.requests).toHaveLength(1);
  });

  it.each([
    ['no github-token', { 'github-token': undefined }, {}, /^Input github-token is required with target last-verified/],
    ['no GITHUB_REPOSITORY', {}, { GITHUB_REPOSITORY: undefined }, /^target last-verified needs the repository/],
    ['another provider', { provider: 'render', 'render-token': 'rnd_x', service: 'srv-1' }, {}, /^Input target last-verified works with provider vercel only; provider is render\./],
  ])('%s: refused before any request', async (_name, extra, env, line) => {
    const { f, gh } = await setup();
    const r = await promote(f, gh, extra as Record<string, string | undefined>, env as Record<string, string | undefined>);
    expect(r.code).toBe(1);
    expect(r.errors).toEqual([expect.stringMatching(line)]);
    expect(f.vercel.requests).toEqual([]);
    expect(gh.requests).toEqual([]);
  });
});

describe('recording verified: smoke-test verified-sha', () => {
  it('a pass records the commit; promote-previous last-verified then returns to it', async () => {
    const { f, gh } = await setup();
    const site = await startServer();
    const deployed = f.history[4]!;
    const smoke = await runAction(
      'smoke-test',
      { 'base-url': site.url, checks: '- {name: health, url: /health}', attempts: 1, 'verified-sha': deployed.sha, 'github-token': GH_TOKEN },
      { env: { GITHUB_API_URL: gh.url } },
    );
    expect(smoke.errors).toEqual([]);
    expect(smoke.outputs).toMatchObject({ passed: 'true', verified: 'true' });
    expect(await findSecret(smoke, GH_TOKEN)).toEqual([]);
    expect(gh.latest(deployed.sha, CONTEXT)).toMatchObject({ state: 'success', description: '1 smoke check passed after the deploy (rollback-kit)', target_url: 'https://github.com/acme/shop/actions/runs/4242' });
    expect(smoke.summary).toContain(`Recorded commit \`${deployed.sha.slice(0, 12)}\` as verified`);

    const r = await promote(f, gh);
    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({ status: 'rolled-back', 'to-deployment-id': deployed.uid });
  });

  it('a failed or inconclusive run records nothing', async () => {
    const { f, gh } = await setup();
    const site = await startServer();
    for (const checks of ['- {name: health, url: /status/503}', '- {name: health, url: /flaky/rec}']) {
      const smoke = await runAction(
        'smoke-test',
        { 'base-url': site.url, checks, attempts: 2, 'interval-seconds': 0.05, 'confirm-after-seconds': 0.1, 'fail-step': false, 'verified-sha': f.good.sha, 'github-token': GH_TOKEN },
        { env: { GITHUB_API_URL: gh.url } },
      );
      expect(smoke.code).toBe(0);
      expect(smoke.outputs.verified).toBe('false');
      expect(smoke.outputs.decision).toMatch(/^(rollback|inconclusive)$/);
    }
    expect(gh.requests).toEqual([]);
  });

  it('GitHub refusing the status (403, unknown commit 422) is a warning: the step still passes, verified false', async () => {
    const { gh } = await setup();
    const site = await startServer();
    const cases: [string, string, RegExp][] = [
      [GH_READ_ONLY, fixture!.good.sha, /refused \(403\) to set the rollback-kit\/verified status.*Grant the job permissions: statuses: write/],
      [GH_TOKEN, 'f'.repeat(40), /refused the rollback-kit\/verified status on commit ffffffffffff in acme\/shop \(422\): No commit found for SHA/],
    ];
    for (const [token, sha, warning] of cases) {
      const smoke = await runAction('smoke-test', { 'base-url': site.url, checks: '- {name: health, url: /health}', attempts: 1, 'verified-sha': sha, 'github-token': token }, { env: { GITHUB_API_URL: gh.url } });
      expect(smoke.code).toBe(0);
      expect(smoke.outputs).toMatchObject({ passed: 'true', verified: 'false' });
      expect(smoke.stdout).toMatch(new RegExp(`::warning::The checks passed, but commit ${sha.slice(0, 12)} could not be recorded as verified.*${warning.source}`));
      expect(await findSecret(smoke, token)).toEqual([]);
    }
  });

  it.each([
    ['a short SHA', { 'verified-sha': 'abc1234', 'github-token': GH_TOKEN }, /^Input verified-sha must be a full 40-character commit SHA; got "abc1234"/],
    ['no github-token', { 'verified-sha': 'a'.repeat(40) }, /^Input github-token is required with verified-sha/],
  ])('%s: refused before any check runs', async (_name, extra, line) => {
    const site = await startServer();
    const smoke = await runAction('smoke-test', { 'base-url': site.url, checks: '- {name: health, url: /health}', ...extra });
    expect(smoke.code).toBe(1);
    expect(smoke.errors).toEqual([expect.stringMatching(line)]);
    expect(site.requests).toEqual([]);
  });
});
