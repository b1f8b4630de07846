// The Netlify provider as a library against the local API stand-in: the previous ready production
// deploy restored, the site's published deploy confirmed, the deploy locked (and how to unlock said).
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { NOT_ROLLED_BACK_AGAIN, PERHAPS_A_REPEAT } from '../../src/platforms/outcome.js';
import { promoteOnNetlify, type NetlifyPromoteOptions } from '../../src/platforms/netlify/rollback.js';
import { failure, fakeClock } from './fake-http.js';
import { SITE_ID, startFakeNetlify, type FakeNetlify, type FakeNetlifyDeploy } from './fake-netlify.js';

const TOKEN = 'nfp_Secret9aXy7PersonalAccessToken';
let fake: FakeNetlify | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function history(): Promise<{ f: FakeNetlify; good: FakeNetlifyDeploy; preview: FakeNetlifyDeploy; failed: FakeNetlifyDeploy; bad: FakeNetlifyDeploy }> {
  const f = (fake = await startFakeNetlify());
  f.addToken(TOKEN);
  f.deploy();
  const good = f.deploy();
  const preview = f.deploy({ context: 'deploy-preview' });
  const failed = f.deploy({ state: 'error' });
  const sameCommit = f.deploy({ commit: 'c0ffee'.padEnd(40, '0') });
  const bad = f.deploy({ commit: sameCommit.commit_ref });
  return { f, good, preview, failed, bad };
}

function run(f: FakeNetlify, extra: Partial<NetlifyPromoteOptions> = {}, log = memoryLog(), clock = fakeClock()) {
  return promoteOnNetlify({ token: TOKEN, apiUrl: f.url, site: SITE_ID, target: 'previous', timeoutSeconds: 60, dryRun: false, pollIntervalMs: 500, sleep: clock.sleep, now: clock.now, retry: { jitterMs: 0 }, ...extra }, log);
}

const restores = (f: FakeNetlify) => f.requestsTo(/\/restore$/);

describe('promoteOnNetlify', () => {
  it('restores the previous ready production deploy, confirms it is published, and locks it', async () => {
    const { f, good, bad } = await history();
    const log = memoryLog();
    const r = await run(f, {}, log);
    expect(r).toMatchObject({ status: 'rolled-back', from: { id: bad.id }, to: { id: good.id, commitSha: good.commit_ref } });
    // Only ready production deploys are listed; the one with the bad deploy's commit is passed over.
    expect(r.skipped).toHaveLength(1);
    expect(r.skipped[0]!.reason).toBe('same commit as the published deploy');
    expect(f.requestsTo(/deploys$/)[0]!.query).toMatchObject({ production: 'true', state: 'ready' });
    expect(f.published()!.id).toBe(good.id);
    expect(good.locked).toBe(true);
    expect(r.frozen).toMatchObject({ frozen: true });
    expect(r.frozen.undo).toContain(`POST /api/v1/deploys/${good.id}/unlock`);
    expect(f.requestsTo(/^GET \/api\/v1\/sites\/[^/]+$/).length).toBeGreaterThanOrEqual(3);
    // The lock holds: a new production build does not publish.
    f.deploy();
    expect(f.published()!.id).toBe(good.id);
    expect(log.lines.join('\n')).not.toContain(TOKEN);
  });

  it('takes an explicit deploy id and the site by its domain', async () => {
    const { f } = await history();
    const first = f.deploys[0]!;
    const r = await run(f, { target: first.id, site: 'shop-front.netlify.app' });
    expect(r.to.id).toBe(first.id);
    expect(f.published()!.id).toBe(first.id);
    await expect(run(f, { target: f.deploys[3]!.id })).rejects.toThrow(/is not ready/);
    await expect(run(f, { target: 'not-a-deploy' })).rejects.toThrow(/Input target must be a Netlify deploy id/);
  });

  it('is a no-op on a re-run, and a re-run finishes a lock that failed', async () => {
    const { f, bad, good } = await history();
    f.fault(/\/lock$/, { status: 500, json: { code: 500, message: 'Internal Server Error' } }, 4);
    const err = await failure(run(f, { retry: { jitterMs: 0, baseDelayMs: 1 } }));
    expect(err.message).toMatch(new RegExp(`Site shop-front now publishes ${good.id}.* But locking it failed, so the next production build will publish over it`));
    expect(good.locked).toBe(false);

    // A dry run says the lock is left to do, and changes nothing.
    const posts = f.requests.filter((q) => q.method === 'POST').length;
    const preview = await run(f, { dryRun: true });
    expect(preview).toMatchObject({ status: 'already-current', unfinished: `lock deploy ${good.id}, so that new builds stop publishing over it` });
    expect(preview.notes[1]).toBe(`Dry run: it is not locked; a real run would lock deploy ${good.id}, so that new builds stop publishing over it.`);
    expect(f.requests.filter((q) => q.method === 'POST')).toHaveLength(posts);
    expect(good.locked).toBe(false);

    const again = await run(f);
    expect(again).toMatchObject({ status: 'already-current', frozen: { frozen: true } });
    expect(again.unfinished).toBeUndefined();
    expect((await run(f, { dryRun: true })).unfinished).toBeUndefined();
    expect(again.notes[0]).toMatch(/an earlier rollback has already put it back/);
    expect(good.locked).toBe(true);
    expect((await run(f, { from: bad.id })).status).toBe('already-current');
    expect((await run(f, { target: good.id })).status).toBe('already-current');
    expect(restores(f)).toHaveLength(1);
  });

  it('an automatic run never restores over a deploy a rollback published, whatever from and target say; a person still can', async () => {
    const { f, good, bad } = await history();
    expect((await run(f, { from: bad.id, automatic: true })).status).toBe('rolled-back');
    // The restored deploy fails its checks too (the database is down): the event names it.
    for (const target of ['previous', f.deploys[0]!.id]) {
      const log = memoryLog();
      const again = await run(f, { from: good.id, automatic: true, target }, log);
      expect(again).toMatchObject({ status: 'already-current', putThereByRollback: true, rolledBackFrom: bad.id, to: { id: good.id } });
      expect(again.notes).toEqual([
        `${NOT_ROLLED_BACK_AGAIN} (${good.id}: ${bad.id}, newer, was published before it, so an earlier rollback put it back); the outage is likely not the deploy's — check the database, third-party services (payments, auth, email) and Netlify's status page first. A person decides whether to go further back: run the rollback by hand with from naming ${good.id}, or name the deployment in target.`,
      ]);
      expect(log.lines).toContain(`warning: ${again.notes[0]}`);
    }
    expect(restores(f)).toHaveLength(1);
    // A person's run, from naming the published deploy: further back, to the deploy before it.
    const person = await run(f, { from: good.id });
    expect(person).toMatchObject({ status: 'rolled-back', from: { id: good.id }, to: { id: f.deploys[0]!.id } });
    expect(person.putThereByRollback).toBeUndefined();
  });

  it("an automatic run stopped by the guard still finishes an earlier rollback's lock that failed: it restores nothing, and locks the published deploy", async () => {
    const { f, good, bad } = await history();
    f.fault(/\/lock$/, { status: 500, json: { code: 500, message: 'Internal Server Error' } }, 4);
    const err = await failure(run(f, { from: bad.id, automatic: true, retry: { jitterMs: 0, baseDelayMs: 1 } }));
    expect(err.message).toContain('But locking it failed');
    expect(good.locked).toBe(false);
    // The next event (the site URL: a re-delivery, or the restored deploy failing too) meets the guard.
    const from = 'https://shop-front.netlify.app';
    const preview = await run(f, { from, automatic: true, dryRun: true });
    expect(preview).toMatchObject({ status: 'already-current', putThereByRollback: true, unfinished: `lock deploy ${good.id}, so that new builds stop publishing over it` });
    expect(good.locked).toBe(false);
    const log = memoryLog();
    const again = await run(f, { from, automatic: true }, log);
    expect(again).toMatchObject({ status: 'already-current', putThereByRollback: true, rolledBackFrom: bad.id, to: { id: good.id }, frozen: { frozen: true } });
    expect(again.notes[0]!.startsWith(NOT_ROLLED_BACK_AGAIN)).toBe(true);
    expect(again.notes[0]).toContain(`${PERHAPS_A_REPEAT}, as its from does not name ${good.id}`);
    expect(again.notes[1]).toContain(`Auto publishing of Netlify site shop-front is stopped (deploy ${good.id} is locked)`);
    expect(again.frozen.undo).toContain(`POST /api/v1/deploys/${good.id}/unlock`);
    expect(log.lines).toContain(`warning: ${again.notes[0]}`);
    expect(good.locked).toBe(true);
    expect(restores(f)).toHaveLength(1);
    // Locked now: the same event again changes nothing more.
    expect(await run(f, { from, automatic: true })).toMatchObject({ status: 'already-current', putThereByRollback: true, notes: [again.notes[0]] });
    expect(f.requestsTo(/\/lock$/).length).toBe(5);
  });

  it('the guard says plainly when locking fails too: nothing restored, and the site still unlocked', async () => {
    const { f, good, bad } = await history();
    f.fault(/\/lock$/, { status: 500, json: { code: 500, message: 'Internal Server Error' } }, 8);
    await failure(run(f, { from: bad.id, automatic: true, retry: { jitterMs: 0, baseDelayMs: 1 } }));
    const err = await failure(run(f, { from: good.id, automatic: true, retry: { jitterMs: 0, baseDelayMs: 1 } }));
    expect(err.message).toMatch(new RegExp(`^${NOT_ROLLED_BACK_AGAIN} .* Deploy ${good.id} is not locked, and locking it failed, so the next production build will publish over it: `));
    expect(err.hint).toContain('Stop auto publishing now');
    expect(good.locked).toBe(false);
    expect(restores(f)).toHaveLength(1);
  });

  it('an automatic run cannot tell when Netlify does not say whether newer deploys were published: it changes nothing and fails, saying why', async () => {
    const { f, good, bad } = await history();
    await run(f, { from: bad.id });
    f.omitPublishedAt = true;
    const err = await failure(run(f, { from: good.id, automatic: true, target: f.deploys[0]!.id }));
    expect(err.message).toMatch(new RegExp(`Netlify does not say whether that one was ever published, so this automatic run cannot tell whether an earlier rollback put ${good.id} there; .* Nothing was changed\\.$`));
    expect(err.hint).toContain(`run the rollback by hand with from: ${good.id}`);
    expect(restores(f)).toHaveLength(1);
    // A person naming the target goes ahead.
    expect((await run(f, { from: good.id, target: f.deploys[0]!.id })).status).toBe('rolled-back');
  });

  it('an automatic run restores over a deploy that was published normally, as before', async () => {
    const { f, good, bad } = await history();
    const r = await run(f, { from: bad.id, automatic: true, target: good.id });
    expect(r).toMatchObject({ status: 'rolled-back', to: { id: good.id } });
    expect(r.putThereByRollback).toBeUndefined();
  });

  it('plans only in a dry run', async () => {
    const { f, good, bad } = await history();
    const r = await run(f, { dryRun: true });
    expect(r).toMatchObject({ status: 'dry-run', to: { id: good.id }, frozen: { frozen: false } });
    expect(f.requests.every((q) => q.method === 'GET')).toBe(true);
    expect(f.published()!.id).toBe(bad.id);
  });

  it('says why nothing is eligible, across pages', async () => {
    const f = (fake = await startFakeNetlify());
    f.addToken(TOKEN);
    const commit = 'ab'.repeat(20);
    for (let i = 0; i < 60; i++) f.deploy({ commit });
    const err = await failure(run(f));
    expect(err.message).toMatch(/No earlier ready production deploy of site shop-front can take over .*: 59 older one\(s\) read, none with other code/);
    expect(f.requestsTo(/deploys$/).map((q) => q.query.page)).toEqual(['1', '2']);
  });

  it('reports a bad token and an unknown site without the token', async () => {
    const { f } = await history();
    const log = memoryLog();
    const wrong = 'nfp_wrongwrongwrong';
    const err = await failure(run(f, { token: wrong }, log));
    expect(err.message).toMatch(/Netlify rejected the token \(401\) while looking up site .*Access Denied/);
    expect(err.hint).toMatch(/netlify-token/);
    expect(`${err.line}${log.lines.join('')}`).not.toContain(wrong);
    const unknown = await failure(run(f, { site: 'nope.netlify.app' }));
    expect(unknown.message).toMatch(/Site nope\.netlify\.app was not found \(404\)/);
  });

  it('gives up at the deadline when the site never publishes the restored deploy', async () => {
    const { f, good, bad } = await history();
    f.publishAfterPolls = Infinity;
    const clock = fakeClock();
    const err = await failure(run(f, { timeoutSeconds: 10 }, memoryLog(), clock));
    expect(err.message).toBe(`Site shop-front did not publish ${good.id} within 10 s of the restore; it publishes ${bad.id}.`);
    expect(clock.waits.reduce((a, b) => a + b, 0)).toBe(10_000);
  });

  it('fails clearly when the restore is refused, retrying 429 and 5xx first', async () => {
    const { f, bad } = await history();
    const clock = fakeClock();
    f.fault(/^GET \/api\/v1\/sites\/[^/]+$/, { status: 429, retryAfter: 2, json: { code: 429, message: 'Too Many Requests' } });
    f.fault(/\/restore$/, { status: 503, text: 'Service Unavailable' });
    f.fault(/\/restore$/, { status: 422, json: { code: 422, message: 'Deploy cannot be restored' } });
    const err = await failure(run(f, {}, memoryLog(), clock));
    expect(err.message).toMatch(/Netlify refused the change \(422\) while restoring the deploy.*Deploy cannot be restored/);
    expect(restores(f)).toHaveLength(2);
    expect(clock.waits[0]).toBe(2000);
    expect(f.published()!.id).toBe(bad.id);
  });
});
