// The Render provider as a library against the local REST stand-in: previous live deploy, the new
// deploy polled to live, auto-deploy turned off (and how to undo it said), failures named by deploy.
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { NOT_ROLLED_BACK_AGAIN, PERHAPS_A_REPEAT } from '../../src/platforms/outcome.js';
import { promoteOnRender, type RenderPromoteOptions } from '../../src/platforms/render/rollback.js';
import { failure, fakeClock } from './fake-http.js';
import { SERVICE_ID, startFakeRender, type FakeDeploy, type FakeRender } from './fake-render.js';

const TOKEN = 'rnd_Zx81secretApiKeyForRender0000';
let fake: FakeRender | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function history(): Promise<{ f: FakeRender; good: FakeDeploy; failed: FakeDeploy; canceled: FakeDeploy; bad: FakeDeploy }> {
  const f = (fake = await startFakeRender());
  f.addToken(TOKEN);
  f.deploy();
  const good = f.deploy();
  const failed = f.deploy({ status: 'build_failed' });
  const canceled = f.deploy({ status: 'canceled' });
  const bad = f.deploy();
  return { f, good, failed, canceled, bad };
}

function run(f: FakeRender, extra: Partial<RenderPromoteOptions> = {}, log = memoryLog(), clock = fakeClock()) {
  return promoteOnRender({ token: TOKEN, apiUrl: f.url, service: SERVICE_ID, target: 'previous', timeoutSeconds: 120, dryRun: false, pollIntervalMs: 1000, sleep: clock.sleep, now: clock.now, retry: { jitterMs: 0 }, ...extra }, log);
}

const rollbacks = (f: FakeRender) => f.requestsTo(/^POST \/v1\/services\/[^/]+\/rollback$/);

describe('promoteOnRender', () => {
  it('rolls back to the previous live deploy, turns auto-deploy off first and says how to undo it', async () => {
    const { f, good, failed, canceled, bad } = await history();
    const log = memoryLog();
    const r = await run(f, {}, log);
    expect(r).toMatchObject({ status: 'rolled-back', from: { id: bad.id }, to: { id: good.id, commitSha: good.commit.id } });
    expect(r.skipped).toEqual([
      { id: canceled.id, reason: 'status canceled: it never went live' },
      { id: failed.id, reason: 'status build_failed: it never went live' },
    ]);
    expect(r.frozen).toMatchObject({ frozen: true, what: 'Auto-deploy of Render service backend is off: new pushes will not deploy.' });
    expect(r.frozen.undo).toContain(`PATCH /v1/services/${SERVICE_ID} with {"autoDeploy":"yes"}`);
    expect(f.service.autoDeploy).toBe('no');
    const live = f.live()!;
    expect(live).toMatchObject({ trigger: 'rollback', commit: { id: good.commit.id } });
    expect(bad.status).toBe('deactivated');
    const order = f.requests.map((q) => `${q.method} ${q.path}`);
    expect(order.indexOf(`PATCH /v1/services/${SERVICE_ID}`)).toBeLessThan(order.indexOf(`POST /v1/services/${SERVICE_ID}/rollback`));
    expect(f.requestsTo(new RegExp(`^GET /v1/services/${SERVICE_ID}/deploys/${live.id}$`)).length).toBe(3);
    expect(log.lines.join('\n')).not.toContain(TOKEN);
  });

  it('a freeze that keeps failing (PATCH 500) says nothing was rolled back and the bad deploy is still live', async () => {
    const { f, bad } = await history();
    f.fault(/^PATCH /, { status: 500, json: { id: 'internal', message: 'internal error' } }, 100);
    const err = await failure(run(f, { retry: { jitterMs: 0, baseDelayMs: 10 } }));
    expect(err.message).toMatch(/Render failed with 500 while turning auto-deploy off .*after retries\./);
    expect(err.message).toContain(`Nothing was rolled back: service backend (${SERVICE_ID}) still serves ${bad.id}, the deploy this step was to replace;`);
    expect(rollbacks(f)).toHaveLength(0);
    expect(f.live()!.id).toBe(bad.id);
  });

  it('a freeze the API key may not make (PATCH 403): the error says how to roll back anyway, and the re-run it names does', async () => {
    const { f, good, bad } = await history();
    f.fault(/^PATCH /, { status: 403, json: { id: 'forbidden', message: 'Forbidden' } });
    const err = await failure(run(f));
    expect(err.message).toContain(`Nothing was rolled back: service backend (${SERVICE_ID}) still serves ${bad.id}, the deploy this step was to replace; the rollback stops when auto-deploy cannot be turned off first, as the next push would undo it.`);
    expect(err.hint).toContain(
      `To roll back anyway, either turn auto-deploy off by hand (Render dashboard → service backend (${SERVICE_ID}) → Settings → Auto-Deploy: No) and re-run the step, which then skips this freeze and rolls back to ${good.id}; ` +
        `or roll back in the Render dashboard (service backend (${SERVICE_ID}) → Events → deploy ${good.id} → Rollback), which turns auto-deploy off itself. Until auto-deploy is off, the next push re-ships the bad code.`,
    );
    expect(rollbacks(f)).toHaveLength(0);
    // The first way, as the hint says it: auto-deploy off by hand, then the step again.
    f.service.autoDeploy = 'no';
    const again = await run(f);
    expect(again).toMatchObject({ status: 'rolled-back', from: { id: bad.id }, to: { id: good.id }, frozen: { frozen: true } });
    expect(f.requestsTo(/^PATCH /)).toHaveLength(1);
  });

  it('takes an explicit target, and refuses one that never went live', async () => {
    const { f, failed } = await history();
    const first = f.deploys[0]!;
    expect((await run(f, { target: first.id })).to.id).toBe(first.id);
    await expect(run(f, { target: failed.id })).rejects.toThrow(/never went live/);
    const missing = await failure(run(f, { target: 'dep-doesnotexist' }));
    expect(missing.message).toMatch(/Deploy dep-doesnotexist of service .* was not found \(404\).*deploy not found/);
  });

  it('is a no-op on a re-run: by from, by a live rollback deploy, and by a target already live', async () => {
    const { f, bad } = await history();
    await run(f, { from: bad.id });
    expect(rollbacks(f)).toHaveLength(1);
    expect((await run(f, { from: bad.id })).status).toBe('already-current');
    const again = await run(f);
    expect(again).toMatchObject({ status: 'already-current', frozen: { frozen: true } });
    expect(again.frozen.what).toMatch(/\(it already was\)/);
    expect(again.notes[0]).toMatch(/a rollback, and nothing has been deployed since/);
    expect((await run(f, { target: f.live()!.id })).status).toBe('already-current');
    expect(rollbacks(f)).toHaveLength(1);
  });

  it('an automatic run never rolls back from a live rollback deploy, whatever the target; a person still can with a target', async () => {
    const { f, good, bad } = await history();
    await run(f, { from: bad.id, automatic: true });
    const rolledBack = f.live()!;
    expect(rolledBack.trigger).toBe('rollback');
    // The rollback's own deploy fails its checks (the database is down): the event names it.
    for (const target of ['previous', f.deploys[0]!.id]) {
      const log = memoryLog();
      const again = await run(f, { from: rolledBack.id, automatic: true, target }, log);
      expect(again).toMatchObject({ status: 'already-current', putThereByRollback: true, rolledBackFrom: bad.id, to: { id: rolledBack.id } });
      expect(again.notes[0]).toMatch(new RegExp(`^${NOT_ROLLED_BACK_AGAIN} \\(${rolledBack.id}: Render made it with trigger rollback, replacing ${bad.id} at .*\\); the outage is likely not the deploy's — check the database, third-party services \\(payments, auth, email\\) and Render's status page first\\. A person decides whether to go further back: run the rollback by hand naming the release to go back to in target\\.$`));
      expect(log.lines).toContain(`warning: ${again.notes[0]}`);
    }
    expect(rollbacks(f)).toHaveLength(1);
    // A person's run: previous is still the re-run guard (it would re-ship the bad deploy), a target goes further back.
    const person = await run(f, { from: rolledBack.id });
    expect(person).toMatchObject({ status: 'already-current' });
    expect(person.putThereByRollback).toBeUndefined();
    const further = await run(f, { from: rolledBack.id, target: f.deploys[0]!.id });
    expect(further).toMatchObject({ status: 'rolled-back', from: { id: rolledBack.id }, to: { id: f.deploys[0]!.id } });
    expect(good.status).toBe('deactivated');
  });

  it("with the service URL as from (a deployment_status event), a repeated event is left, and the note says it may only repeat the earlier run, not only \"not the deploy's\"", async () => {
    const { f, bad } = await history();
    const from = 'https://backend.onrender.com';
    expect((await run(f, { from, automatic: true })).status).toBe('rolled-back');
    const rolledBack = f.live()!;
    // The same event again (re-delivered, or the run re-run): from names no deploy.
    const again = await run(f, { from, automatic: true });
    expect(again).toMatchObject({ status: 'already-current', putThereByRollback: true, rolledBackFrom: bad.id, to: { id: rolledBack.id } });
    expect(again.notes[0]).toMatch(new RegExp(`^${NOT_ROLLED_BACK_AGAIN} \\(${rolledBack.id}: Render made it with trigger rollback, replacing ${bad.id} at [^)]*\\)\\. ${PERHAPS_A_REPEAT}, as its from does not name ${rolledBack.id}: either an earlier run of this same incident put it there and this run only repeats that one \\(a re-run, or a re-delivered event: what that run did is on its incident issue\\), or another rollback did and ${rolledBack.id} failed its checks too, so the outage is likely not the deploy's — `));
    expect(rollbacks(f)).toHaveLength(1);
  });

  it('an automatic run rolls back a deploy that went live normally, as before', async () => {
    const { f, good, bad } = await history();
    const r = await run(f, { from: bad.id, automatic: true });
    expect(r).toMatchObject({ status: 'rolled-back', to: { id: good.id } });
    expect(r.putThereByRollback).toBeUndefined();
  });

  it('plans only in a dry run, auto-deploy untouched', async () => {
    const { f, good } = await history();
    const r = await run(f, { dryRun: true });
    expect(r).toMatchObject({ status: 'dry-run', to: { id: good.id }, frozen: { frozen: false } });
    expect(f.requests.every((q) => q.method === 'GET')).toBe(true);
    expect(f.service.autoDeploy).toBe('yes');
  });

  it('says why nothing is eligible, across pages', async () => {
    const f = (fake = await startFakeRender());
    f.addToken(TOKEN);
    for (let i = 0; i < 25; i++) f.deploy({ status: 'build_failed' });
    f.deploy();
    const err = await failure(run(f));
    expect(err.message).toMatch(/No earlier deploy of service backend \(srv-[a-z0-9]+\) can take over .* 25 older deploy\(s\) read/);
    expect(err.message).toMatch(/and 20 more/);
    expect(f.requestsTo(/deploys$/).length).toBe(2);
  });

  it("stops listing when the step's timeout-seconds is spent, on the same clock as the retries' waits", async () => {
    const f = (fake = await startFakeRender());
    f.addToken(TOKEN);
    for (let i = 0; i < 45; i++) f.deploy({ status: 'build_failed' });
    f.deploy();
    // The first page is rate limited twice for 5 s: the step's 10 s are gone once it is read.
    f.fault(/deploys$/, { status: 429, retryAfter: 5, json: { id: 'rate', message: 'rate limit exceeded' } }, 2);
    const clock = fakeClock();
    const err = await failure(run(f, { timeoutSeconds: 10 }, memoryLog(), clock));
    expect(err.message).toMatch(/^Listing the deploys of service backend \(srv-[a-z0-9]+\) took longer than timeout-seconds \(10 s\): 1 page\(s\) read, and the list goes on\.$/);
    expect(err.hint).toMatch(/Raise timeout-seconds/);
    expect(clock.waits).toEqual([5000, 5000]);
    expect(f.requestsTo(/deploys$/)).toHaveLength(3);
  });

  it('reports a bad API key and an unknown service, without the key', async () => {
    const { f } = await history();
    const log = memoryLog();
    const wrong = 'rnd_wrongwrongwrong';
    const err = await failure(run(f, { token: wrong }, log));
    expect(err.message).toMatch(/Render rejected the token \(401\) while looking up service/);
    expect(err.hint).toMatch(/render-token/);
    expect(`${err.line}${log.lines.join('')}`).not.toContain(wrong);
    f.fault(/^GET /, { status: 403, json: { id: 'forbidden', message: `key ${TOKEN} has no access` } });
    const echoed = await failure(run(f));
    expect(echoed.message).toContain('key *** has no access');
    expect(echoed.line).not.toContain(TOKEN);
    const unknown = await failure(run(f, { service: 'srv-nope' }));
    expect(unknown.message).toMatch(/Service srv-nope was not found \(404\).*service not found/);
    await expect(run(f, { service: 'backend' })).rejects.toThrow(/Input service must be a Render service id/);
  });

  it('fails with the deploy id when the rollback deploy fails midway, keeping auto-deploy off and saying so', async () => {
    const { f, good, bad } = await history();
    f.rollbackSteps = ['build_in_progress', 'update_failed'];
    const err = await failure(run(f));
    const started = f.deploys[f.deploys.length - 1]!;
    expect(err.message).toBe(`The rollback of service backend (${SERVICE_ID}) to ${good.id} failed: Render deploy ${started.id} is update_failed.`);
    expect(err.hint).toMatch(/Auto-deploy stays off\. When the fix is ready, turn auto-deploy back on/);
    expect(f.live()!.id).toBe(bad.id);
  });

  it('gives up at the deadline', async () => {
    const { f } = await history();
    f.rollbackSteps = ['build_in_progress'];
    const clock = fakeClock();
    const err = await failure(run(f, { timeoutSeconds: 20 }, memoryLog(), clock));
    expect(err.message).toMatch(/did not finish within 20 s \(deploy dep-[a-z0-9]+ is build_in_progress\)/);
    expect(clock.waits.reduce((a, b) => a + b, 0)).toBe(20_000);
  });

  it('retries 429 after Retry-After and 5xx, never 4xx', async () => {
    const { f } = await history();
    const clock = fakeClock();
    f.fault(/^GET \/v1\/services\/[^/]+$/, { status: 429, retryAfter: 3, json: { id: 'rate', message: 'rate limit exceeded' } });
    f.fault(/^POST .*\/rollback$/, { status: 502, text: 'Bad Gateway' });
    expect((await run(f, { retry: { jitterMs: 0, baseDelayMs: 10 } }, memoryLog(), clock)).status).toBe('rolled-back');
    expect(clock.waits.slice(0, 1)).toEqual([3000]);
    expect(clock.waits).toContain(10);

    const g = await history();
    g.f.fault(/^PATCH /, { status: 400, json: { id: 'bad', message: 'invalid autoDeploy' } });
    const err = await failure(run(g.f));
    expect(err.message).toMatch(/Render answered 400 while turning auto-deploy off .*invalid autoDeploy/);
    expect(g.f.requestsTo(/^PATCH /)).toHaveLength(1);
    expect(rollbacks(g.f)).toHaveLength(0);
    await f.close();
  });
});
