// The rollback cascade: auto-rollback rolls a bad deployment back; Vercel reports the deployment
// the rollback promoted (vercel.deployment.promoted) and auto-rollback smoke-tests it; when the
// outage is not the deploy's (the database is down), that test fails too, and an automatic run with
// from naming that deployment must not roll back again, walking production back release by release.
// The library guard (promote-previous on Vercel, and the whole rollback on top of it) on the fake
// Vercel API: an automatic run leaves a deployment a rollback put there, says so, and reports on the
// incident the first rollback opened; a person's run still goes further back when asked. The whole
// rollback on Render too: the same guard on another platform's own mark (each provider's own tests
// under test/platforms and test/promote-previous cover the rest).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { startedByDeploymentEvent } from '../../src/pipeline/automatic.js';
import type { RollbackPlan } from '../../src/pipeline/plan-file.js';
import { runRollback, type RollbackRequest } from '../../src/pipeline/rollback.js';
import { NOT_ROLLED_BACK_AGAIN } from '../../src/platforms/outcome.js';
import { promotePrevious, type VercelPromoteRequest } from '../../src/platforms/promote.js';
import { tellingDeps } from '../../src/report/rollback-deps.js';
import { startGitHubIssues, type GitHubIssuesFake } from '../fakes/github-issues.js';
import { SERVICE_ID, startFakeRender } from '../platforms/fake-render.js';
import { shopFixture, TEAM_ID, TOKEN, type ShopFixture } from '../promote-previous/fixture.js';

const GH_TOKEN = 'ghs_Test0Token1For2Cascade3Guard456789';

let shop: ShopFixture;
let issues: GitHubIssuesFake;
beforeEach(async () => {
  shop = await shopFixture({ historySize: 3 });
  issues = await startGitHubIssues({ token: GH_TOKEN, repository: 'acme/shop' });
});
afterEach(async () => {
  await Promise.all([shop.vercel.close(), issues.close()]);
});

/** What Vercel was asked to put into production, in order. */
const moves = () => shop.vercel.requests.filter((r) => r.method === 'POST' && /\/(rollback|promote)\/[^/]+$/.test(r.path) && r.status < 300).map((r) => r.path.split('/').at(-1));

const promote = (opts: { from?: string; automatic?: boolean; method?: 'rollback' | 'promote'; target?: string }) => {
  const request: VercelPromoteRequest = {
    provider: 'vercel',
    token: TOKEN,
    project: 'shop',
    team: TEAM_ID,
    apiUrl: shop.vercel.url,
    method: opts.method ?? 'rollback',
    target: opts.target ?? 'previous',
    from: opts.from,
    timeoutSeconds: 30,
    dryRun: false,
    automatic: opts.automatic,
    pollIntervalMs: 10,
  };
  return promotePrevious(request, memoryLog());
};

describe('promote-previous on Vercel: an automatic run never rolls back from a deployment a rollback put there', () => {
  it('the promoted event of our own rollback: left in production, with the reason and what to check', async () => {
    const first = await promote({ from: shop.bad.uid, automatic: true });
    expect(first).toMatchObject({ status: 'rolled-back', to: { id: shop.good.uid } });
    // auto-rollback's next run: the event names the deployment the rollback promoted.
    const again = await promote({ from: shop.good.uid, automatic: true });
    expect(again).toMatchObject({ status: 'already-current', putThereByRollback: true, rolledBackFrom: shop.bad.uid, to: { id: shop.good.uid } });
    expect(again.notes[0]).toMatch(new RegExp(`^${NOT_ROLLED_BACK_AGAIN} \\(${shop.good.uid}: production was rolled back to it from ${shop.bad.uid} at .*\\); the outage is likely not the deploy's — check the database, third-party services`));
    expect(moves()).toEqual([shop.good.uid]);
    expect(shop.vercel.production(shop.project)?.uid).toBe(shop.good.uid);
  });

  it('a person naming that deployment as bad still goes further back (the guard is for events only)', async () => {
    await promote({ from: shop.bad.uid, automatic: true });
    const person = await promote({ from: shop.good.uid });
    expect(person.status).toBe('rolled-back');
    expect(moves()).toHaveLength(2);
  });

  it('a promotion to an older deployment (method promote) is a rollback too', async () => {
    await promote({ from: shop.bad.uid, method: 'promote' });
    const again = await promote({ from: shop.good.uid, automatic: true });
    expect(again).toMatchObject({ status: 'already-current', putThereByRollback: true, rolledBackFrom: shop.bad.uid });
    expect(moves()).toEqual([shop.good.uid]);
  });

  it('with no last alias request left, automatic domain assignment off (only a rollback turns it off) is enough', async () => {
    await promote({ from: shop.bad.uid });
    shop.project.lastAliasRequest = undefined;
    expect(shop.project.autoAssignCustomDomains).toBe(false);
    const again = await promote({ from: shop.good.uid, automatic: true, target: shop.history[0]!.uid });
    expect(again).toMatchObject({ status: 'already-current', putThereByRollback: true });
    expect(again.notes[0]).toContain('Vercel has automatic production domain assignment off for the project, which only an instant rollback does');
    expect(moves()).toEqual([shop.good.uid]);
  });

  it('a project that keeps automatic domain assignment off (staged production): a release a person promoted forward is rolled back automatically', async () => {
    // Every release of such a project goes live by a promotion, and assignment stays off: off is
    // then no mark of a rollback, and the last alias request (a forward promotion) says so.
    const next = shop.vercel.addDeployment(shop.project, { substate: 'STAGED' });
    const promoted = await promote({ method: 'promote', target: next.uid });
    expect(promoted.status).not.toBe('failed');
    shop.project.autoAssignCustomDomains = false;
    const run = await promote({ from: next.uid, automatic: true });
    expect(run.putThereByRollback).toBeUndefined();
    expect(run.status).toBe('rolled-back');
    expect(moves()).toHaveLength(2);
  });

  it('the first deploy after a rollback, put live by something other than an alias request while assignment is still off, is rolled back automatically', async () => {
    await promote({ from: shop.bad.uid });
    expect(shop.project.autoAssignCustomDomains).toBe(false);
    // The fix, aliased to production by hand (vercel alias set): the last alias request is still
    // the rollback, to another deployment, and assignment is still off.
    const fix = shop.vercel.addDeployment(shop.project);
    shop.vercel.setProduction(shop.project, fix);
    shop.project.autoAssignCustomDomains = false;
    const run = await promote({ from: fix.uid, automatic: true, target: shop.good.uid });
    expect(run.putThereByRollback).toBeUndefined();
    expect(run.status).toBe('rolled-back');
    expect(moves()).toEqual([shop.good.uid, shop.good.uid]);
  });

  it('a deploy that went live normally is rolled back automatically as before', async () => {
    const run = await promote({ from: shop.bad.uid, automatic: true });
    expect(run.status).toBe('rolled-back');
    expect(run.putThereByRollback).toBeUndefined();
  });
});

describe('the whole rollback started by a deployment event', () => {
  const plan: RollbackPlan = {
    source: 'rollback-kit.yml',
    environment: 'production',
    budgetMinutes: 15,
    components: [{ name: 'web', provider: 'vercel', project: 'shop', team: TEAM_ID, target: 'previous', method: 'rollback', apiUrl: '', timeoutSeconds: 30 }],
    labels: ['incident'],
  };
  const run = (from: string, runId: string) => {
    const request: RollbackRequest = {
      plan: { ...plan, components: [{ ...plan.components[0]!, apiUrl: shop.vercel.url, from }] },
      scope: ['web'],
      reason: 'Automatic: the smoke checks failed twice after the deploy',
      severity: 'critical',
      dryRun: false,
      earlierTimeline: [],
      secrets: { vercelToken: TOKEN, githubToken: GH_TOKEN },
      workspace: process.cwd(),
      snapshotDir: '/nonexistent',
      github: { repository: 'acme/shop', apiUrl: issues.url, runId },
      commandEnv: {},
      vercelPollIntervalMs: 10,
      automatic: startedByDeploymentEvent('repository_dispatch'),
    };
    const log = memoryLog();
    return runRollback(request, tellingDeps({ githubToken: GH_TOKEN, repository: 'acme/shop', githubApiUrl: issues.url }, log), log);
  };

  it('the promoted deployment is not rolled back again: nothing-to-do, saying why, on the first incident issue', async () => {
    const first = await run(shop.bad.uid, '1001');
    expect(first.status).toBe('rolled-back');
    expect(issues.issues).toHaveLength(1);

    const cascade = await run(shop.good.uid, '1002');
    expect(cascade.status).toBe('nothing-to-do');
    expect(cascade.components[0]).toMatchObject({ status: 'already-current' });
    expect(cascade.nextSteps[0]).toMatch(new RegExp(`^${NOT_ROLLED_BACK_AGAIN} .*the outage is likely not the deploy's — check the database`));
    // What rollback.yml hands auto-rollback (the timeline output) says it too.
    expect(cascade.timeline.find((e) => e.phase === 'app')!.detail).toMatch(new RegExp(`^${NOT_ROLLED_BACK_AGAIN}`));
    // The incident the first rollback was made for: a comment there, no second issue.
    expect(cascade.incidentKey).toBe(first.incidentKey);
    expect(issues.issues).toHaveLength(1);
    expect(issues.issues[0]!.comments).toHaveLength(1);
    expect(issues.issues[0]!.comments[0]!.body).toContain(NOT_ROLLED_BACK_AGAIN);
    expect(moves()).toEqual([shop.good.uid]);
  });

  // auto-rollback's workflow_run trigger names the bad deployment by its commit, deployment_status
  // by its URL; the cascade run's guard names it by Vercel's id (the last alias request's
  // fromDeploymentId). Each is the same incident: one issue.
  it.each([
    ['its commit SHA (workflow_run)', () => shop.bad.sha],
    ['its URL (deployment_status)', () => `https://${shop.bad.url}`],
  ])('the first run named the bad deployment by %s: the cascade run still comments on the first issue', async (_how, from) => {
    const first = await run(from(), '1001');
    expect(first.status).toBe('rolled-back');
    expect(issues.issues).toHaveLength(1);

    const cascade = await run(shop.good.uid, '1002');
    expect(cascade.status).toBe('nothing-to-do');
    expect(issues.issues).toHaveLength(1);
    expect(issues.issues[0]!.comments).toHaveLength(1);
    expect(issues.issues[0]!.comments[0]!.body).toContain(NOT_ROLLED_BACK_AGAIN);
    // And a re-run of the first run (the same from) finds it as before.
    expect((await run(from(), '1001')).status).toBe('nothing-to-do');
    expect(issues.issues).toHaveLength(1);
    expect(issues.issues[0]!.comments).toHaveLength(2);
  });

  it('on Render too: the rollback deploy is not rolled back again, and the first incident issue gets the comment', async () => {
    const render = await startFakeRender();
    const RENDER_KEY = 'rnd_Zx81secretApiKeyForCascade000';
    render.addToken(RENDER_KEY);
    try {
      render.deploy();
      const bad = render.deploy();
      const api: RollbackPlan = { ...plan, components: [{ name: 'api', provider: 'render', service: SERVICE_ID, target: 'previous', method: 'rollback', apiUrl: render.url, timeoutSeconds: 30 }] };
      const runRender = (from: string, runId: string) => {
        const request: RollbackRequest = {
          plan: { ...api, components: [{ ...api.components[0]!, from }] },
          scope: ['api'],
          reason: 'Automatic: the smoke checks failed twice after the deploy',
          severity: 'critical',
          dryRun: false,
          earlierTimeline: [],
          secrets: { renderToken: RENDER_KEY, githubToken: GH_TOKEN },
          workspace: process.cwd(),
          snapshotDir: '/nonexistent',
          github: { repository: 'acme/shop', apiUrl: issues.url, runId },
          commandEnv: {},
          pollIntervalMs: 10,
          automatic: startedByDeploymentEvent('workflow_run'),
        };
        const log = memoryLog();
        return runRollback(request, tellingDeps({ githubToken: GH_TOKEN, repository: 'acme/shop', githubApiUrl: issues.url }, log), log);
      };
      const first = await runRender(bad.id, '2001');
      expect(first.status).toBe('rolled-back');
      const rollbackDeploy = render.live()!;
      expect(rollbackDeploy.trigger).toBe('rollback');

      const cascade = await runRender(rollbackDeploy.id, '2002');
      expect(cascade.status).toBe('nothing-to-do');
      // Beside what stays frozen (Render's auto-deploy, off since the first rollback).
      expect(cascade.nextSteps.find((n) => n.startsWith(NOT_ROLLED_BACK_AGAIN))).toMatch(new RegExp(`^${NOT_ROLLED_BACK_AGAIN} \\(${rollbackDeploy.id}: Render made it with trigger rollback, replacing ${bad.id}`));
      expect(cascade.timeline.find((e) => e.phase === 'app')!.detail).toMatch(new RegExp(`^${NOT_ROLLED_BACK_AGAIN}`));
      expect(cascade.incidentKey).toBe(first.incidentKey);
      expect(issues.issues).toHaveLength(1);
      expect(issues.issues[0]!.comments[0]!.body).toContain(NOT_ROLLED_BACK_AGAIN);
      expect(render.requestsTo(/^POST \/v1\/services\/[^/]+\/rollback$/)).toHaveLength(1);
    } finally {
      await render.close();
    }
  });

  it('which events are automatic: deployment signals, never a person', () => {
    for (const e of ['deployment_status', 'repository_dispatch', 'workflow_run']) expect(startedByDeploymentEvent(e)).toBe(true);
    for (const e of ['workflow_dispatch', undefined, '']) expect(startedByDeploymentEvent(e)).toBe(false);
  });
});
