// The Railway provider as a library against the local GraphQL stand-in: target choice with reasons,
// both token kinds, the rollback polled to SUCCESS, failures named by deployment, and the token in
// no log line or error.
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { NOT_ROLLED_BACK_AGAIN } from '../../src/platforms/outcome.js';
import { promoteOnRailway, type RailwayPromoteOptions } from '../../src/platforms/railway/rollback.js';
import { failure, fakeClock } from './fake-http.js';
import { ENVIRONMENT, PROJECT, SERVICE, startFakeRailway, type FakeDeployment, type FakeRailway } from './fake-railway.js';

const PROJECT_TOKEN = 'rwy-proj-6f1c0a9e-4b7d-4d0e-9a55-secret';
const ACCOUNT_TOKEN = 'rwy-acct-0b9d77aa-1c2e-4f3a-8e21-secret';

let fake: FakeRailway | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

interface History {
  f: FakeRailway;
  expired: FakeDeployment;
  good: FakeDeployment;
  crashed: FakeDeployment;
  failed: FakeDeployment;
  bad: FakeDeployment;
}

/** expired (past retention) → good → crashed → failed build → bad (live). */
async function history(): Promise<History> {
  const f = (fake = await startFakeRailway());
  f.addProjectToken(PROJECT_TOKEN, PROJECT, ENVIRONMENT);
  f.addAccountToken(ACCOUNT_TOKEN, [PROJECT]);
  const expired = f.deploy({ canRollback: false });
  const good = f.deploy({});
  const crashed = f.deploy({ status: 'CRASHED' });
  const failed = f.deploy({ status: 'FAILED' });
  const bad = f.deploy({});
  return { f, expired, good, crashed, failed, bad };
}

function run(f: FakeRailway, extra: Partial<RailwayPromoteOptions> = {}, log = memoryLog(), clock = fakeClock()) {
  return promoteOnRailway(
    { token: PROJECT_TOKEN, apiUrl: f.url, project: PROJECT, environment: ENVIRONMENT, service: SERVICE, target: 'previous', timeoutSeconds: 120, dryRun: false, pollIntervalMs: 1000, sleep: clock.sleep, now: clock.now, retry: { jitterMs: 0 }, ...extra },
    log,
  );
}


function expectNoToken(log: { lines: string[] }, ...texts: string[]) {
  const all = [...log.lines, ...texts].join('\n');
  expect(all).not.toContain(PROJECT_TOKEN);
  expect(all).not.toContain(ACCOUNT_TOKEN);
}

describe('promoteOnRailway', () => {
  it('rolls back to the newest older deployment Railway allows, with the reason for each skipped one, and waits for SUCCESS', async () => {
    const { f, good, crashed, failed, bad } = await history();
    const log = memoryLog();
    const clock = fakeClock();
    const r = await run(f, {}, log, clock);
    expect(r.status).toBe('rolled-back');
    expect(r.from.id).toBe(bad.id);
    expect(r.to).toMatchObject({ id: good.id, commitSha: good.meta.commitHash });
    expect(r.skipped).toEqual([
      { id: failed.id, reason: 'status FAILED: it never served well' },
      { id: crashed.id, reason: 'status CRASHED: it never served well' },
    ]);
    expect(r.frozen).toMatchObject({ frozen: false });
    expect(r.frozen.what).toMatch(/nothing to freeze/);
    // The new deployment runs the good code and is what serves now; it took several polls.
    const live = f.live()!;
    expect(live.id).not.toBe(good.id);
    expect(live.meta.commitHash).toBe(good.meta.commitHash);
    expect(bad.status).toBe('REMOVED');
    expect(f.operations().filter((o) => o === 'serviceInstance').length).toBeGreaterThanOrEqual(4);
    expect(f.requestsTo(/^deploymentRollback$/).map((q) => (q.body as { variables: { id: string } }).variables.id)).toEqual([good.id]);
    expect(clock.waits.every((w) => w === 1000)).toBe(true);
    // A project token goes in its own header, never as a bearer.
    expect(f.requests.every((q) => q.headers['project-access-token'] === PROJECT_TOKEN && q.headers.authorization === undefined)).toBe(true);
    expect(log.lines.join('\n')).toContain(`skipped ${failed.id}: status FAILED`);
    expectNoToken(log, JSON.stringify(r));
  });

  it('uses an account token as a bearer once Railway refuses it as a project token', async () => {
    const { f, good } = await history();
    const r = await run(f, { token: ACCOUNT_TOKEN });
    expect(r).toMatchObject({ status: 'rolled-back', to: { id: good.id } });
    expect(f.requests[0]!.headers['project-access-token']).toBe(ACCOUNT_TOKEN);
    expect(f.requests.slice(1).every((q) => q.headers.authorization === `Bearer ${ACCOUNT_TOKEN}` && q.headers['project-access-token'] === undefined)).toBe(true);
  });

  it('takes an explicit target id, and refuses one that cannot be rolled back to', async () => {
    const { f, good, expired, failed } = await history();
    f.deploy({}); // a newer good one that is now live would make "previous" the bad one: name the target instead
    const r = await run(f, { target: good.id });
    expect(r).toMatchObject({ status: 'rolled-back', to: { id: good.id }, skipped: [] });
    for (const [d, why] of [
      [expired, /canRollback is false/],
      [failed, /it is FAILED/],
    ] as const) {
      const err = await failure(run(f, { target: d.id }));
      expect(err.message).toMatch(why);
      expect(err.message).toContain(d.id);
    }
    const missing = await failure(run(f, { target: 'dep-does-not-exist' }));
    expect(missing.message).toMatch(/Deployment dep-does-not-exist of service .* was not found .*Deployment not found/);
  });

  it('an explicit target the live deployment is already a copy of is already-current; from naming the live one still rolls back', async () => {
    const { f, good } = await history();
    // The bad release is a redeploy of good's commit with other variables: the same code.
    const bad = f.deploy({ commit: (good.meta as { commitHash: string }).commitHash });
    const rollbacks = () => f.requestsTo(/^deploymentRollback$/).length;
    const same = await run(f, { target: good.id });
    expect(same).toMatchObject({ status: 'already-current', from: { id: bad.id } });
    expect(same.notes[0]).toContain(`made after ${good.id} with the same commit: an earlier rollback has put the target back`);
    expect(same.notes[0]).toContain(`run again with from: ${bad.id}`);
    expect(rollbacks()).toBe(0);

    expect(await run(f, { target: good.id, from: bad.id })).toMatchObject({ status: 'rolled-back', to: { id: good.id } });
    expect(rollbacks()).toBe(1);
    // Then the same request again: production serves the copy, from names no live deployment.
    expect((await run(f, { target: good.id, from: bad.id })).status).toBe('already-current');
    expect((await run(f, { target: good.id })).status).toBe('already-current');
    expect(rollbacks()).toBe(1);
  });

  it('an explicit target the live deployment redeployed right after it (a variables change, nothing between) is rolled back to', async () => {
    const f = (fake = await startFakeRailway());
    f.addProjectToken(PROJECT_TOKEN, PROJECT, ENVIRONMENT);
    f.addAccountToken(ACCOUNT_TOKEN, [PROJECT]);
    f.deploy({});
    const good = f.deploy({});
    // Railway redeploys the same commit when variables change: no other code ever served between
    // them, so the live deployment is no rollback's copy of good, and good's variables are the fix.
    const bad = f.deploy({ commit: (good.meta as { commitHash: string }).commitHash });
    const run1 = await run(f, { target: good.id });
    expect(run1).toMatchObject({ status: 'rolled-back', from: { id: bad.id }, to: { id: good.id } });
    expect(f.requestsTo(/^deploymentRollback$/)).toHaveLength(1);
  });

  it('is a no-op on a re-run: by from, by an explicit target that is live, and by a second "previous"', async () => {
    const { f, good, bad } = await history();
    const first = await run(f, { from: bad.id });
    expect(first.status).toBe('rolled-back');
    const rollbacks = () => f.requestsTo(/^deploymentRollback$/).length;
    expect(rollbacks()).toBe(1);

    const byFrom = await run(f, { from: bad.id });
    expect(byFrom.status).toBe('already-current');
    expect(byFrom.notes[0]).toMatch(new RegExp(`no longer serves ${bad.id}`));

    const again = await run(f);
    expect(again.status).toBe('already-current');
    expect(again.notes[0]).toMatch(new RegExp(`same code as ${good.id}, the release before ${bad.id}`));

    const live = f.live()!;
    expect((await run(f, { target: live.id })).status).toBe('already-current');
    expect(rollbacks()).toBe(1);
  });

  it('from may be the commit SHA the live deployment was built from (what a deploy workflow knows), full or short', async () => {
    const { f, good, bad } = await history();
    // Another commit: production no longer serves it, nothing is done.
    const other = await run(f, { from: 'a'.repeat(40) });
    expect(other.status).toBe('already-current');
    expect(other.notes[0]).toMatch(new RegExp(`no longer serves commit ${'a'.repeat(40)}; it serves ${bad.id}`));
    expect(f.requestsTo(/^deploymentRollback$/)).toHaveLength(0);
    // The live deployment's commit, in upper case and abbreviated: that is the bad deployment.
    const r = await run(f, { from: String(bad.meta.commitHash).slice(0, 12).toUpperCase() });
    expect(r).toMatchObject({ status: 'rolled-back', from: { id: bad.id }, to: { id: good.id } });
    // Re-delivered: the live deployment now runs the good commit, so the same from does nothing.
    expect((await run(f, { from: String(bad.meta.commitHash) })).status).toBe('already-current');
    expect(f.requestsTo(/^deploymentRollback$/)).toHaveLength(1);
  });

  it('refuses a from that can name no Railway deployment; a commit it cannot compare counts as no from, with a warning, as on Vercel', async () => {
    const { f, bad } = await history();
    for (const from of ['https://backend-production.up.railway.app', 'web=dep-0001', 'dep 0001']) {
      const err = await failure(run(f, { from }));
      expect(err.message).toContain(`Input from must be a Railway deployment id or the commit SHA it was built from; got "${from}"`);
    }
    expect(f.requestsTo(/^deploymentRollback$/)).toHaveLength(0);
    const imageOnly = f.deploy({ commit: '' });
    const log = memoryLog();
    const r = await run(f, { from: 'c'.repeat(40) }, log);
    expect(log.lines.join('\n')).toContain(`The live deployment ${imageOnly.id} carries no commit SHA, so from (${'c'.repeat(40)}) cannot be compared with it: it counts as no from.`);
    expect(r).toMatchObject({ status: 'rolled-back', from: { id: imageOnly.id }, to: { id: bad.id } });
  });

  it("never puts the bad release back, even with from naming the rollback's copy: previous goes by creation order", async () => {
    const { f, good } = await history();
    expect((await run(f)).status).toBe('rolled-back');
    const copy = f.live()!;
    expect(copy.meta).toEqual(good.meta);
    const r = await run(f, { from: copy.id });
    expect(r.status).toBe('already-current');
    expect(r.notes[0]).toContain('an earlier rollback has already put it back');
    expect(f.requestsTo(/^deploymentRollback$/)).toHaveLength(1);
  });

  it('refuses, changing nothing, when neither the live deployment nor the one below carries a commit or an image', async () => {
    const f = (fake = await startFakeRailway());
    f.addProjectToken(PROJECT_TOKEN, PROJECT, ENVIRONMENT);
    f.deploy({ commit: '' });
    const good = f.deploy({ commit: '' });
    const bad = f.deploy({ commit: '' });
    const err = await failure(run(f, { from: 'c'.repeat(40) }));
    expect(err.message).toContain(`Railway cannot tell whether the live deployment ${bad.id} is the bad release or a copy of`);
    expect(err.message).toContain(`from (${'c'.repeat(40)}) is a commit SHA that cannot be compared with it`);
    expect(err.hint).toContain(`run again with from: ${bad.id} (its deployment id)`);
    expect(f.requestsTo(/^deploymentRollback$/)).toHaveLength(0);
    // Named by its id, the bad deployment is rolled back from; the same run again does nothing.
    expect(await run(f, { from: bad.id })).toMatchObject({ status: 'rolled-back', to: { id: good.id } });
    expect((await run(f, { from: bad.id })).status).toBe('already-current');
    // Without from the live copy of good is just as unprovable: refused again, nothing changed.
    expect((await failure(run(f))).message).toContain('Railway cannot tell whether the live deployment');
    expect(f.requestsTo(/^deploymentRollback$/)).toHaveLength(1);
  });

  it("an automatic run never rolls back from a rollback's copy, whatever from and target say; a person still can with a target", async () => {
    const { f, good, bad } = await history();
    expect((await run(f, { from: String(bad.meta.commitHash), automatic: true })).status).toBe('rolled-back');
    const copy = f.live()!;
    const rollbacks = () => f.requestsTo(/^deploymentRollback$/).length;
    // The copy fails its checks too (the database is down): the event names it, by id or by commit.
    for (const [from, target] of [[copy.id, 'previous'], [String(good.meta.commitHash), good.id], [copy.id, f.deployments[0]!.id]]) {
      const log = memoryLog();
      const again = await run(f, { from, automatic: true, target }, log);
      expect(again).toMatchObject({ status: 'already-current', putThereByRollback: true, rolledBackFrom: bad.id, to: { id: copy.id } });
      expect(again.notes).toEqual([
        `${NOT_ROLLED_BACK_AGAIN} (${copy.id}: it runs the same commit ${String(good.meta.commitHash).slice(0, 7)} as ${good.id}, the release before ${bad.id}, and was made after both: an earlier rollback put it back); the outage is likely not the deploy's — check the database, third-party services (payments, auth, email) and Railway's status page first. A person decides whether to go further back: run the rollback by hand naming the release to go back to in target.`,
      ]);
      expect(log.lines).toContain(`warning: ${again.notes[0]}`);
    }
    expect(rollbacks()).toBe(1);
    // A person's run: "previous" stops at the re-run guard, a target goes further back.
    const person = await run(f, { from: copy.id });
    expect(person.status).toBe('already-current');
    expect(person.putThereByRollback).toBeUndefined();
    expect(await run(f, { from: copy.id, target: good.id })).toMatchObject({ status: 'rolled-back', from: { id: copy.id }, to: { id: good.id } });
    expect(rollbacks()).toBe(2);
  });

  it('a rollback to a named target (a copy of an older release than the one below "previous") is one too: left by an automatic run, and "previous" stops', async () => {
    const { f, good, bad } = await history();
    f.deploy({});
    const worse = f.deploy({});
    // A person rolled back past two bad releases, to good by name.
    expect(await run(f, { target: good.id })).toMatchObject({ status: 'rolled-back', to: { id: good.id } });
    const copy = f.live()!;
    expect(copy.meta).toEqual(good.meta);
    const rollbacks = () => f.requestsTo(/^deploymentRollback$/).length;
    // Its own event names the copy: it fails its checks too. Without the guard "previous" is worse, the release rolled back from.
    for (const [from, target] of [[copy.id, 'previous'], [String(good.meta.commitHash), bad.id]]) {
      const again = await run(f, { from, automatic: true, target });
      expect(again).toMatchObject({ status: 'already-current', putThereByRollback: true, rolledBackFrom: worse.id, to: { id: copy.id } });
      expect(again.notes[0]).toBe(
        `${NOT_ROLLED_BACK_AGAIN} (${copy.id}: it runs the same commit ${String(good.meta.commitHash).slice(0, 7)} as ${good.id}, older than ${worse.id}, and was made after both: an earlier rollback put it back); the outage is likely not the deploy's — check the database, third-party services (payments, auth, email) and Railway's status page first. A person decides whether to go further back: run the rollback by hand naming the release to go back to in target.`,
      );
    }
    // A person's "previous" would put worse back: it stops.
    const person = await run(f);
    expect(person).toMatchObject({ status: 'already-current', rolledBackFrom: worse.id });
    expect(person.notes[0]).toBe(`The live deployment ${copy.id} runs the same code as ${good.id}, older than ${worse.id}: an earlier rollback has already put it back. Nothing to do; to go elsewhere, name the deployment in target.`);
    expect(rollbacks()).toBe(1);
  });

  it('an automatic run that cannot tell whether an upload is a copy of an older upload (past the release below "previous") changes nothing and fails', async () => {
    const f = (fake = await startFakeRailway());
    f.addProjectToken(PROJECT_TOKEN, PROJECT, ENVIRONMENT);
    const upload = f.deploy({ commit: '' });
    f.deploy({});
    f.deploy({});
    const live = f.deploy({ commit: '' });
    const err = await failure(run(f, { from: live.id, automatic: true }));
    expect(err.message).toContain(`Railway cannot tell whether the live deployment ${live.id} is the bad release or a copy of ${upload.id} made by an earlier rollback`);
    expect(f.requestsTo(/^deploymentRollback$/)).toHaveLength(0);
  });

  it('an automatic run that cannot tell (no commit or image on either side) changes nothing and fails, whatever from says', async () => {
    const f = (fake = await startFakeRailway());
    f.addProjectToken(PROJECT_TOKEN, PROJECT, ENVIRONMENT);
    const first = f.deploy({ commit: '' });
    f.deploy({ commit: '' });
    const bad = f.deploy({ commit: '' });
    for (const extra of [{ from: bad.id }, { from: bad.id, target: first.id }]) {
      const err = await failure(run(f, { ...extra, automatic: true }));
      expect(err.message).toMatch(new RegExp(`^Railway cannot tell whether the live deployment ${bad.id} is the bad release or a copy of .* This run was started by a deployment event, .* so nothing was changed\\.$`));
      expect(err.hint).toContain(`run the rollback by hand with from: ${bad.id}`);
    }
    expect(f.requestsTo(/^deploymentRollback$/)).toHaveLength(0);
    // A person naming it goes ahead.
    expect((await run(f, { from: bad.id })).status).toBe('rolled-back');
  });

  it('an automatic run rolls back a deployment that went live normally, as before', async () => {
    const { f, good, bad } = await history();
    const r = await run(f, { from: bad.id, automatic: true, target: good.id });
    expect(r).toMatchObject({ status: 'rolled-back', to: { id: good.id } });
    expect(r.putThereByRollback).toBeUndefined();
  });

  it('plans only in a dry run', async () => {
    const { f, good, bad } = await history();
    const log = memoryLog();
    const r = await run(f, { dryRun: true }, log);
    expect(r).toMatchObject({ status: 'dry-run', from: { id: bad.id }, to: { id: good.id } });
    expect(f.requestsTo(/^deploymentRollback$/)).toHaveLength(0);
    expect(f.live()!.id).toBe(bad.id);
    expect(log.lines).toContain('Plan: roll back the service svc-backend-9f in environment env-prod-41 of project proj-7d2c');
  });

  it('says why nothing is eligible, naming what it passed over', async () => {
    const f = (fake = await startFakeRailway());
    f.addProjectToken(PROJECT_TOKEN, PROJECT, ENVIRONMENT);
    const old = f.deploy({ canRollback: false });
    const failed = f.deploy({ status: 'FAILED' });
    f.deploy({});
    const err = await failure(run(f));
    expect(err.message).toMatch(/No earlier deployment .* 2 older deployment\(s\) checked/);
    expect(err.message).toContain(`${failed.id} (status FAILED`);
    expect(err.message).toContain(`${old.id} (Railway does not allow a rollback to it`);
    expect(err.hint).toMatch(/target/);
  });

  it('walks past a full page of failed deployments to the good one', async () => {
    const f = (fake = await startFakeRailway());
    f.addProjectToken(PROJECT_TOKEN, PROJECT, ENVIRONMENT);
    const good = f.deploy({});
    for (let i = 0; i < 60; i++) f.deploy({ status: 'FAILED' });
    f.deploy({});
    const r = await run(f, { dryRun: true });
    expect(r.to.id).toBe(good.id);
    expect(r.skipped).toHaveLength(60);
    expect(f.requestsTo(/^deployments$/).map((q) => (q.body as { variables: { after?: string } }).variables.after === undefined)).toEqual([true, false]);
  });

  it('reports a token Railway refuses in both headers, without the token', async () => {
    const { f } = await history();
    const log = memoryLog();
    const wrong = 'rwy-wrong-token-7777';
    const err = await failure(run(f, { token: wrong }, log));
    expect(err.message).toMatch(/Railway rejected the token while listing the deployments .*Not Authorized/);
    expect(err.hint).toMatch(/railway-token/);
    expect(`${err.line}\n${log.lines.join('\n')}`).not.toContain(wrong);
    // Tried once per header, never retried: an auth failure is final.
    expect(f.requests).toHaveLength(2);
  });

  it('keeps the token out of an error when Railway echoes it back', async () => {
    const { f } = await history();
    f.fault(/^deployments$/, { graphqlErrors: [{ message: `Not Authorized: token ${PROJECT_TOKEN}` }] });
    f.fault(/^deployments$/, { status: 401, json: { errors: [{ message: `token ${PROJECT_TOKEN} is not valid` }] } });
    const log = memoryLog();
    const err = await failure(run(f, {}, log));
    expect(err.message).toContain('token *** is not valid');
    expectNoToken(log, err.line);
  });

  it('names an unknown service and checks ids before any request', async () => {
    const { f } = await history();
    const err = await failure(run(f, { service: 'svc-nope' }));
    expect(err.message).toMatch(/The service svc-nope in environment env-prod-41 of project proj-7d2c was not found .*Service not found/);
    const before = f.requests.length;
    await expect(run(f, { service: '' })).rejects.toThrow(/Input service is required/);
    await expect(run(f, { target: 'dep 1; drop' })).rejects.toThrow(/Input target must be a Railway deployment id/);
    expect(f.requests.length).toBe(before);
  });

  it('gives up at the deadline when the new deployment never finishes', async () => {
    const { f, good, bad } = await history();
    f.rollbackSteps = ['INITIALIZING', 'DEPLOYING'];
    const clock = fakeClock();
    const err = await failure(run(f, { timeoutSeconds: 30 }, memoryLog(), clock));
    const started = f.deployments[f.deployments.length - 1]!;
    expect(err.message).toMatch(new RegExp(`rollback .* to ${good.id} did not finish within 30 s: Railway deployment ${started.id} is DEPLOYING; ${bad.id} serves until it is SUCCESS\\.`));
    expect(err.hint).toContain(`Watch deployment ${started.id}`);
    expect(err.hint).toContain(`target ${good.id}`);
    expect(clock.waits.reduce((a, b) => a + b, 0)).toBe(30_000);
  });

  it('says so when Railway accepts the rollback but starts no deployment before the deadline', async () => {
    const { f, good, bad } = await history();
    f.queueRollbacks = true;
    const clock = fakeClock();
    const err = await failure(run(f, { timeoutSeconds: 10 }, memoryLog(), clock));
    expect(err.message).toBe(
      `The rollback of the service ${SERVICE} in environment ${ENVIRONMENT} of project ${PROJECT} to ${good.id} did not finish within 10 s: Railway accepted it but has not started a new deployment yet; ${bad.id} still serves.`,
    );
    expect(err.hint).toMatch(new RegExp(`do not request another rollback while it is queued.*target ${good.id}`));
    expect(f.live()!.id).toBe(bad.id);
  });

  it('fails with the deployment id when the rollback crashes midway', async () => {
    const { f, good } = await history();
    f.rollbackSteps = ['BUILDING', 'DEPLOYING', 'CRASHED'];
    const err = await failure(run(f));
    const crashed = f.live()!;
    expect(crashed.status).toBe('CRASHED');
    expect(err.message).toBe(`The rollback of the service ${SERVICE} in environment ${ENVIRONMENT} of project ${PROJECT} to ${good.id} failed: Railway deployment ${crashed.id} is CRASHED.`);
    expect(err.hint).toContain(crashed.id);
  });

  it('retries 429 after Retry-After and 5xx with backoff, never a 4xx, and treats GraphQL errors in a 200 as failures', async () => {
    const { f } = await history();
    const clock = fakeClock();
    f.fault(/^deployments$/, { status: 429, retryAfter: 7, json: { errors: [{ message: 'rate limited' }] } });
    f.fault(/^serviceInstance$/, { status: 502, text: '<html>bad gateway</html>' }, 2);
    const r = await run(f, { retry: { jitterMs: 0, baseDelayMs: 100 } }, memoryLog(), clock);
    expect(r.status).toBe('rolled-back');
    expect(clock.waits.slice(0, 1)).toEqual([7000]);
    expect(clock.waits).toContain(100);
    expect(clock.waits).toContain(200);

    const { f: g } = await (async () => {
      await f.close();
      return history();
    })();
    g.fault(/^deployments$/, { status: 400, json: { errors: [{ message: 'Problem processing request' }] } });
    const bad = await failure(run(g));
    expect(bad.message).toMatch(/Railway answered 400 .*Problem processing request/);
    expect(g.requestsTo(/^deployments$/)).toHaveLength(1);

    g.fault(/^deploymentRollback$/, { graphqlErrors: [{ message: 'Deployment rollback is already in progress' }] });
    const gql = await failure(run(g));
    expect(gql.message).toMatch(/Railway refused the request while requesting the rollback\. Railway said: "Deployment rollback is already in progress"/);
    expect(g.live()!.status).toBe('SUCCESS');
  });
});
