// promote-previous with provider vercel, through the bundle, against the local Vercel API server.
import { afterEach, describe, expect, it } from 'vitest';
import { findSecret, runAction, type ActionRun } from '../helpers/run-action.js';
import { cliEnv, runCli } from '../cli/run-cli.js';
import { OTHER_TOKEN, shopFixture, TEAM_ID, TOKEN, vercelInputs, type ShopFixture } from './fixture.js';

let fixture: ShopFixture | undefined;
afterEach(async () => {
  await fixture?.vercel.close();
  fixture = undefined;
});

async function setup(opts: Parameters<typeof shopFixture>[0] = {}): Promise<ShopFixture> {
  fixture = await shopFixture(opts);
  return fixture;
}

/** Every run, passing or failing, is searched for the token. */
async function run(inputs: Record<string, string | undefined>): Promise<ActionRun> {
  const result = await runAction('promote-previous', inputs);
  expect(await findSecret(result, TOKEN)).toEqual([]);
  expect(await findSecret(result, OTHER_TOKEN)).toEqual([]);
  return result;
}

const rollbackPosts = (f: ShopFixture) => f.vercel.requestsTo(/^POST \/v\d+\/projects\/[^/]+\/(rollback|promote)\//);

describe('promote-previous (vercel): rolling back', () => {
  it('rolls back to the last good deployment, paging past 100+ newer ones it must skip', async () => {
    const f = await setup({ stagedAfterGood: 120 });
    const r = await run(vercelInputs(f, { reason: 'checkout 500s after deploy' }));
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({
      status: 'rolled-back',
      'from-deployment-id': f.bad.uid,
      'from-url': `https://${f.bad.url}`,
      'from-commit-sha': f.bad.sha,
      'to-deployment-id': f.good.uid,
      'to-url': `https://${f.good.url}`,
      'to-commit-sha': f.good.sha,
      'auto-assign-disabled': 'true',
      frozen: 'true',
    });
    expect(r.outputs.unfreeze).toMatch(/promote-previous with method: promote/);
    expect(r.summary).toContain('Frozen: Vercel has switched off automatic production domain assignment');
    expect(Number(r.outputs['duration-ms'])).toBeGreaterThan(0);
    expect(f.vercel.production(f.project)?.uid).toBe(f.good.uid);
    expect(f.project.rollbackDescription).toBe('checkout 500s after deploy');
    // The good deployment was on the second page: the listing followed pagination.next as until.
    const lists = f.vercel.requestsTo(/^GET \/v6\/deployments$/);
    expect(lists.length).toBe(2);
    expect(lists[0]!.query.until).toBe(String(f.bad.createdAt));
    expect(Number(lists[1]!.query.until)).toBeLessThan(Number(lists[0]!.query.until));
    // Polled the alias job through pending and in-progress.
    expect(f.vercel.requestsTo(/^GET \/v9\/projects\/[^/]+$/).filter((q) => q.query.rollbackInfo === 'true').length).toBeGreaterThanOrEqual(5);
    expect(r.log).toContain('Vercel rollback job: pending.');
    expect(r.log).toContain('Vercel rollback job: in-progress.');
    expect(r.log).toContain('Vercel rollback job: succeeded.');
    // Every request carried the token and the team scope.
    for (const q of f.vercel.requests) {
      expect(q.authorization).toBe(`Bearer ${TOKEN}`);
      expect(q.query.teamId).toBe(TEAM_ID);
    }
    expect(r.log).toMatch(/switched off automatic domain assignment.*method: promote, target: <deployment id>/);
    expect(r.summary).toContain('rolled-back');
    expect(r.summary).toContain(f.good.uid);
  });

  it('skips same-commit, never-promoted, failed and preview deployments, and says why in a dry run', async () => {
    const f = await setup();
    const r = await run(vercelInputs(f, { 'dry-run': 'true', team: 'acme' }));
    expect(r.errors).toEqual([]);
    expect(r.outputs).toMatchObject({ status: 'dry-run', 'from-deployment-id': f.bad.uid, 'to-deployment-id': f.good.uid, 'auto-assign-disabled': 'false', frozen: 'false', unfreeze: '' });
    expect(r.log).toContain(`skipped ${f.sameCommit.uid}`);
    expect(r.log).toMatch(new RegExp(`skipped ${f.sameCommit.uid}.*same commit`));
    expect(r.log).toMatch(new RegExp(`skipped ${f.staged.uid}.*never served production`));
    expect(r.log).toMatch(new RegExp(`skipped ${f.errored.uid}.*ERROR, not READY`));
    expect(r.log).not.toContain(f.preview.uid);
    // Nothing changed: no rollback or promote request, production untouched.
    expect(rollbackPosts(f)).toEqual([]);
    expect(f.vercel.production(f.project)?.uid).toBe(f.bad.uid);
    // Team given as slug.
    expect(f.vercel.requests.every((q) => q.query.slug === 'acme' && q.query.teamId === undefined)).toBe(true);
  });

  it('is idempotent: a second run with from reports already-current and changes nothing', async () => {
    const f = await setup();
    const first = await run(vercelInputs(f, { from: f.bad.uid }));
    expect(first.outputs.status).toBe('rolled-back');
    const posts = rollbackPosts(f).length;
    const second = await run(vercelInputs(f, { from: f.bad.uid }));
    expect(second.code).toBe(0);
    expect(second.outputs).toMatchObject({ status: 'already-current', 'to-deployment-id': f.good.uid, 'auto-assign-disabled': 'true' });
    expect(rollbackPosts(f).length).toBe(posts);
    expect(f.vercel.production(f.project)?.uid).toBe(f.good.uid);
    // Same with from as a commit SHA and as the URL of the bad deployment.
    for (const from of [f.bad.sha.slice(0, 10), `https://${f.bad.url}`]) {
      const again = await run(vercelInputs(f, { from }));
      expect(again.outputs.status).toBe('already-current');
    }
    expect(rollbackPosts(f).length).toBe(posts);
  });

  it('does not roll back a second step when re-run with target previous and no from', async () => {
    const f = await setup();
    expect((await run(vercelInputs(f))).outputs.status).toBe('rolled-back');
    const second = await run(vercelInputs(f));
    expect(second.code).toBe(0);
    expect(second.outputs).toMatchObject({ status: 'already-current', 'to-deployment-id': f.good.uid });
    expect(second.log).toContain('was already rolled back to');
    expect(rollbackPosts(f)).toHaveLength(1);
    // Going further back takes an explicit target.
    const further = f.history.at(-1)!;
    const third = await run(vercelInputs(f, { target: further.uid }));
    expect(third.outputs).toMatchObject({ status: 'rolled-back', 'from-deployment-id': f.good.uid, 'to-deployment-id': further.uid });
    // After a promotion (automatic assignment back on), previous means previous again.
    const promoted = await run(vercelInputs(f, { method: 'promote', target: f.good.uid }));
    expect(promoted.outputs).toMatchObject({ status: 'promoted', 'auto-assign-disabled': 'false' });
    const again = await run(vercelInputs(f, { 'dry-run': 'true' }));
    expect(again.outputs).toMatchObject({ status: 'dry-run', 'from-deployment-id': f.good.uid, 'to-deployment-id': further.uid });
  });

  it('reports already-current when the explicit target serves production already', async () => {
    const f = await setup();
    const r = await run(vercelInputs(f, { target: f.bad.uid }));
    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({ status: 'already-current', 'to-deployment-id': f.bad.uid });
    expect(rollbackPosts(f)).toEqual([]);
  });

  it('treats a 409 "already the current production deployment" as already-current', async () => {
    const f = await setup();
    // Someone else promoted the same deployment between our look-up and our request.
    f.vercel.fault(/^POST \/v10\/projects\/[^/]+\/promote\//, {
      status: 409,
      code: 'conflict',
      message: `The provided deploymentId (${f.good.uid}) is already the current production deployment.`,
      effect: () => f.vercel.setProduction(f.project, f.good),
    });
    const r = await run(vercelInputs(f, { method: 'promote', target: f.good.uid }));
    expect(r.errors).toEqual([]);
    expect(r.outputs).toMatchObject({ status: 'already-current', 'to-deployment-id': f.good.uid });
  });

  it('accepts an explicit deployment id, deployment URL or commit SHA as target', async () => {
    for (const target of ['id', 'url', 'host', 'sha'] as const) {
      const f = await setup();
      const value = { id: f.good.uid, url: `https://${f.good.url}/some/path`, host: f.good.url, sha: f.good.sha.slice(0, 7) }[target];
      const r = await run(vercelInputs(f, { target: value }));
      expect(r.errors, target).toEqual([]);
      expect(r.outputs['to-deployment-id'], target).toBe(f.good.uid);
      expect(f.vercel.production(f.project)?.uid, target).toBe(f.good.uid);
      await f.vercel.close();
      fixture = undefined;
    }
  });

  it('promotes a staged deployment with method promote, which turns automatic assignment back on', async () => {
    const f = await setup();
    f.project.autoAssignCustomDomains = false;
    const r = await run(vercelInputs(f, { method: 'promote', target: f.staged.uid }));
    expect(r.errors).toEqual([]);
    expect(r.outputs).toMatchObject({ status: 'promoted', 'to-deployment-id': f.staged.uid, 'auto-assign-disabled': 'false' });
    expect(f.vercel.production(f.project)?.uid).toBe(f.staged.uid);
    expect(rollbackPosts(f).map((q) => q.path)).toEqual([`/v10/projects/${f.project.id}/promote/${f.staged.uid}`]);
  });

  it('fails the step on a 202 queued promotion, with no output claiming the target serves', async () => {
    const f = await setup();
    f.project.rollingRelease = true;
    const r = await run(vercelInputs(f, { method: 'promote', target: f.good.uid }));
    expect(r.code).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toContain(`Vercel queued the promotion of ${f.good.uid} behind a rolling release (202 queued): production still serves ${f.bad.uid}`);
    expect(r.errors[0]).toContain(`The rollback of project shop is not done until production serves ${f.good.uid}.`);
    expect(r.errors[0]).toMatch(/Finish \(or abort\) the rolling release in Vercel/);
    expect(r.outputs.status).toBe('failed');
    expect(r.outputs['to-deployment-id']).toBeUndefined();
    expect(r.outputs['to-url']).toBeUndefined();
    expect(r.summary).toContain('promote-previous: failed');
    expect(r.summary).toMatch(/queued/);
    expect(f.vercel.production(f.project)?.uid).toBe(f.bad.uid);
  });

  it('fails rollback-kit promote the same way on a 202 queued promotion', async () => {
    const f = await setup();
    f.project.rollingRelease = true;
    const cli = await runCli(['promote', '--project', 'shop', '--team', TEAM_ID, '--api-url', f.vercel.url, '--method', 'promote', '--target', f.good.uid], { env: cliEnv({ VERCEL_TOKEN: TOKEN }) });
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain(`The rollback of project shop is not done until production serves ${f.good.uid}.`);
    expect(cli.stdout).not.toMatch(/Promoted/);
    expect(cli.stderr).not.toContain(TOKEN);
    expect(f.vercel.production(f.project)?.uid).toBe(f.bad.uid);
  });

  it('retries through 429 with Retry-After, plain-text 500, err-shaped 503 and a dropped connection', async () => {
    const f = await setup();
    f.vercel.fault(/^GET \/v9\/projects\/shop$/, { status: 429, retryAfter: 1 }, 2);
    f.vercel.fault(/^GET \/v6\/deployments$/, { status: 500, text: 'Internal Server Error' });
    f.vercel.fault(/^GET \/v6\/deployments$/, { reset: true });
    f.vercel.fault(/^POST \/v1\/projects\/[^/]+\/rollback\//, { status: 503, err: 'service_unavailable', message: 'try later', retryAfter: 0 });
    f.vercel.fault(/^GET \/v9\/projects\/prj_[^/]+$/, { status: 429, retryAfter: 0 });
    const r = await run(vercelInputs(f));
    expect(r.errors).toEqual([]);
    expect(r.outputs.status).toBe('rolled-back');
    expect(f.vercel.production(f.project)?.uid).toBe(f.good.uid);
    expect(f.vercel.requests.filter((q) => q.status === 429).length).toBe(3);
    expect(r.log).toMatch(/429 rate_limited.*retrying/);
    expect(r.log).toMatch(/500: Internal Server Error; retrying/);
    expect(r.log).toMatch(/503 service_unavailable: try later; retrying/);
    // The 429s were waited out: the second request came at least a second after the first.
    const project = f.vercel.requestsTo(/^GET \/v9\/projects\/shop$/);
    expect(project[1]!.at - project[0]!.at).toBeGreaterThanOrEqual(1000);
  });

  it('fails at once when a Retry-After reaches past timeout-seconds, saying how long the API asked to wait', async () => {
    const f = await setup({ historySize: 3 });
    f.vercel.fault(/^GET \/v9\/projects\/shop$/, { status: 429, retryAfter: 60 }, 10);
    const r = await run(vercelInputs(f, { 'timeout-seconds': '2' }));
    expect(r.code).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/^Vercel asked to wait 60 s \(Retry-After\) before GET \/v9\/projects\/shop again \(.*429 rate_limited.*\), but only [0-2] s of timeout-seconds \(2 s\) are left\..*raise timeout-seconds/);
    // One request: no retry was started that the step could not wait for.
    expect(f.vercel.requestsTo(/^GET \/v9\/projects\/shop$/)).toHaveLength(1);
    expect(rollbackPosts(f)).toEqual([]);
  });

  it('waits for its own job when a retried rollback request meets 409 because the first one got through', async () => {
    const f = await setup();
    f.vercel.fault(/^POST \/v1\/projects\/[^/]+\/rollback\//, { dropAfterHandling: true });
    const r = await run(vercelInputs(f));
    expect(r.errors).toEqual([]);
    expect(r.outputs).toMatchObject({ status: 'rolled-back', 'to-deployment-id': f.good.uid });
    expect(rollbackPosts(f).map((q) => q.status)).toEqual([0, 409]);
    expect(r.log).toContain('already in progress (Vercel answered 409); waiting for it');
  });

  it('treats a skipped alias job as done once production serves the target', async () => {
    const f = await setup();
    f.project.job.outcome = 'skipped';
    const r = await run(vercelInputs(f));
    expect(r.errors).toEqual([]);
    expect(r.outputs).toMatchObject({ status: 'rolled-back', 'to-deployment-id': f.good.uid });
    expect(r.log).toContain('Vercel rollback job: skipped.');
  });

  it('fails the step and lists every failed alias (paged) when the alias job fails', async () => {
    const f = await setup();
    f.project.job.outcome = 'failed';
    f.project.job.failedAliases = Array.from({ length: 22 }, (_, i) => `shop-${i}.example.com`);
    const r = await run(vercelInputs(f));
    expect(r.code).not.toBe(0);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/rollback of project shop to .* failed: not every alias could be moved/);
    for (const alias of f.project.job.failedAliases) expect(r.errors[0]).toContain(`${alias} (failed)`);
    expect(r.errors[0]).toContain(`production currently serves ${f.bad.uid}`);
    const pages = f.vercel.requestsTo(/^GET \/v9\/projects\/[^/]+\/rollback\/aliases$/);
    expect(pages).toHaveLength(2);
    expect(pages[0]!.query).toMatchObject({ failedOnly: 'true', limit: '20' });
    expect(pages[1]!.query.until).toBeDefined();
    expect(r.outputs.status).toBe('failed');
  });

  it('fails clearly when the alias job outlives timeout-seconds', async () => {
    const f = await setup();
    f.project.job.outcome = 'stuck';
    const r = await run(vercelInputs(f, { 'timeout-seconds': '2' }));
    expect(r.code).not.toBe(0);
    expect(r.errors[0]).toMatch(/did not finish within the time limit \(last job status: in-progress\)\. Production still serves/);
    expect(r.errors[0]).toContain('timeout-seconds');
  });
});

describe('promote-previous (vercel): refusals', () => {
  const cases: [string, (f: ShopFixture) => Record<string, string | undefined>, RegExp][] = [
    ['missing token', (f) => vercelInputs(f, { 'vercel-token': undefined }), /vercel-token is required when provider is vercel/],
    ['bad token', (f) => vercelInputs(f, { 'vercel-token': 'vercel_tok_not_a_real_token_123' }), /Vercel rejected the token \(403\).*vercel-token/],
    ['token without the team', (f) => vercelInputs(f, { 'vercel-token': OTHER_TOKEN }), /refused access \(403\) to project shop in team team_acme0123456789 while .*\. Vercel did not call the token invalid, so most likely it has no access to that scope, or the team input names another team\..*Check the vercel-token secret first: it must belong to a member of team team_acme0123456789.*Then check the team input/],
    ['unknown team', (f) => vercelInputs(f, { team: 'nope' }), /refused access \(403\) to project shop in team nope.*vercel-token secret first.*team input/],
    ['unknown project', (f) => vercelInputs(f, { project: 'shoop' }), /Project shoop was not found in team team_acme0123456789 \(404\)/],
    ['team project without team', (f) => vercelInputs(f, { team: undefined }), /Project shop was not found in the personal account of the token \(404\)/],
    ['unknown deployment', (f) => vercelInputs(f, { target: 'dpl_doesnotexist' }), /Deployment dpl_doesnotexist was not found in project shop \(404\)/],
    ['target not READY', (f) => vercelInputs(f, { target: f.errored.uid }), /is ERROR, not READY/],
    ['target still building', (f) => vercelInputs(f, { target: f.building.uid }), /is BUILDING, not READY/],
    ['target is a preview', (f) => vercelInputs(f, { target: f.preview.uid }), /is a preview deployment of project shop, not a production one/],
    ['target never served production', (f) => vercelInputs(f, { target: f.staged.uid }), /never served production.*method: promote/],
    ['malformed target', (f) => vercelInputs(f, { target: 'last good one' }), /Input target must be "previous", "last-verified", a deployment id/],
    ['malformed from', (f) => vercelInputs(f, { from: 'the bad one' }), /Input from must be a deployment id/],
    ['SHA nobody deployed', (f) => vercelInputs(f, { target: 'abcdef1234' }), /No production deployment of project shop was built from commit abcdef1234/],
    ['bad method', (f) => vercelInputs(f, { method: 'revert' }), /Input method must be one of rollback, promote; got "revert"/],
    ['bad provider', (f) => vercelInputs(f, { provider: 'heroku' }), /Input provider must be one of vercel, fly, railway, render, netlify, git-revert, command/],
    ['bad timeout', (f) => vercelInputs(f, { 'timeout-seconds': 'soon' }), /Input timeout-seconds must be a whole number/],
    ['bad dry-run', (f) => vercelInputs(f, { 'dry-run': 'yes' }), /Input dry-run must be true or false/],
    ['bad api-url', (f) => vercelInputs(f, { 'api-url': 'api.vercel.com' }), /Input api-url must be an http\(s\) URL/],
  ];
  for (const [name, inputs, message] of cases) {
    it(`refuses: ${name}`, async () => {
      const f = await setup({ historySize: 3 });
      const r = await run(inputs(f));
      expect(r.code).toBe(1);
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]).toMatch(message);
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
      expect(rollbackPosts(f)).toEqual([]);
      expect(f.vercel.production(f.project)?.uid).toBe(f.bad.uid);
      expect(r.outputs.status).toBe('failed');
      expect(r.summary).toContain('promote-previous: failed');
      expect(r.summary).toContain(r.errors[0]!.split(' ')[0]);
    });
  }

  it('refuses when no earlier deployment can serve production', async () => {
    const f = await setup({ historySize: 0 });
    // Only deployments that cannot take over remain before the bad one.
    f.good.readyState = 'ERROR';
    const r = await run(vercelInputs(f));
    expect(r.code).toBe(1);
    expect(r.errors[0]).toMatch(/No earlier production deployment of project shop can take over from .*: checked 4 older production deployment\(s\) on 1 page\(s\) of the list, all there are/);
    expect(rollbackPosts(f)).toEqual([]);
  });

  it('explains the Hobby limit (402) when the target is beyond the previous production deployment', async () => {
    const f = await setup({ plan: 'hobby' });
    const r = await run(vercelInputs(f));
    expect(r.code).toBe(1);
    expect(r.errors[0]).toMatch(/because of the plan \(402\): the Hobby plan can roll back only to the immediately previous production deployment/);
    expect(r.errors[0]).toContain('upgrade to pro');
    expect(f.vercel.production(f.project)?.uid).toBe(f.bad.uid);
  });

  it('gives up on a server that keeps failing, naming the project', async () => {
    const f = await setup({ historySize: 3 });
    f.vercel.fault(/^GET \/v9\/projects\/shop$/, { status: 502, text: '<html>Bad Gateway</html>' }, 10);
    const r = await run(vercelInputs(f));
    expect(r.code).toBe(1);
    expect(r.errors[0]).toMatch(/Vercel failed with 502 while looking up project shop, after retries/);
    expect(f.vercel.requestsTo(/^GET \/v9\/projects\/shop$/)).toHaveLength(4);
  });
});
