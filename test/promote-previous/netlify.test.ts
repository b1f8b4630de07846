// promote-previous with provider netlify, through the bundle: what counts as "an earlier rollback
// already put it back" (only a newer deploy that was published before), a from naming the published
// deploy (always rolled back from), and the deploys an explicit target may name.
import { afterEach, describe, expect, it } from 'vitest';
import { expectNoLeaks } from '../helpers/leak-scan.js';
import { runAction } from '../helpers/run-action.js';
import { SITE_ID, startFakeNetlify, type FakeNetlify } from '../platforms/fake-netlify.js';

const TOKEN = 'nfp_Secret4bundle7PersonalAccessToken';

let fake: FakeNetlify | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function run(f: FakeNetlify, extra: Record<string, string> = {}) {
  const r = await runAction('promote-previous', { provider: 'netlify', 'netlify-token': TOKEN, site: SITE_ID, 'api-url': f.url, 'timeout-seconds': '30', ...extra });
  await expectNoLeaks(r, [TOKEN]);
  return r;
}

/** G good, then P published (bad); auto publishing stopped on P, and N built since, never published. */
async function stoppedPublishing() {
  const f = (fake = await startFakeNetlify());
  f.addToken(TOKEN);
  f.deploy();
  const good = f.deploy();
  const bad = f.deploy();
  bad.locked = true;
  f.site.locked = true;
  const unpublished = f.deploy();
  expect(f.published()?.id).toBe(bad.id);
  return { f, good, bad, unpublished };
}

const restores = (f: FakeNetlify) => f.requestsTo(/\/restore$/).length;

describe('promote-previous (netlify): an earlier rollback needs evidence', () => {
  it('rolls back from the published deploy named in from, whatever newer deploys exist', async () => {
    const { f, good, bad } = await stoppedPublishing();
    const r = await run(f, { from: bad.id });
    expect(r.errors).toEqual([]);
    expect(r.outputs).toMatchObject({ status: 'rolled-back', 'from-deployment-id': bad.id, 'to-deployment-id': good.id });
    expect(f.published()?.id).toBe(good.id);
    expect(restores(f)).toBe(1);
  });

  it('does not take newer deploys that were never published for an earlier rollback', async () => {
    const { f, good, bad } = await stoppedPublishing();
    const r = await run(f);
    expect(r.errors).toEqual([]);
    expect(r.outputs).toMatchObject({ status: 'rolled-back', 'from-deployment-id': bad.id, 'to-deployment-id': good.id });
    expect(r.log).toContain('1 newer ready deploy(s) were never published');
  });

  it('still sees its own earlier rollback: a newer deploy that was published', async () => {
    const { f, good, bad } = await stoppedPublishing();
    expect((await run(f, { from: bad.id })).outputs.status).toBe('rolled-back');
    f.deploy(); // built after the rollback, held back by the lock
    const again = await run(f);
    expect(again.errors).toEqual([]);
    expect(again.outputs).toMatchObject({ status: 'already-current', 'to-deployment-id': good.id });
    expect(again.log).toContain(`although ${bad.id}, newer, was published before it: an earlier rollback has already put it back`);
    expect(restores(f)).toBe(1);
  });

  it('refuses to guess when Netlify does not say whether the newer deploys were published', async () => {
    const { f, bad } = await stoppedPublishing();
    f.omitPublishedAt = true;
    const r = await run(f);
    expect(r.code).toBe(1);
    expect(r.errors[0]).toMatch(/Netlify does not say whether that one was ever published.*Nothing was changed\..*set from to/);
    expect(r.errors[0]).toContain(bad.id);
    expect(restores(f)).toBe(0);
    // Naming the bad deploy settles it.
    expect((await run(f, { from: bad.id })).outputs.status).toBe('rolled-back');
  });
});

describe('promote-previous (netlify): an explicit target', () => {
  it.each([
    ['a deploy of another site', { site: '9f8e7d6c-0000-4b3a-8c1d-aaaaaaaaaaaa' }, /belongs to another site \(9f8e7d6c-0000-4b3a-8c1d-aaaaaaaaaaaa\), not to shop-front/],
    ['a deploy preview', { context: 'deploy-preview' }, /is a deploy-preview deploy, not a production one/],
    ['a branch deploy', { context: 'branch-deploy' }, /is a branch-deploy deploy, not a production one/],
  ])('refuses %s, before anything changes', async (_name, opts, message) => {
    const f = (fake = await startFakeNetlify());
    f.addToken(TOKEN);
    f.deploy();
    const bad = f.deploy();
    const other = f.deploy(opts);
    const r = await run(f, { target: other.id });
    expect(r.code).toBe(1);
    expect(r.errors).toEqual([expect.stringMatching(message)]);
    expect(restores(f)).toBe(0);
    expect(f.requestsTo(/\/lock$/)).toHaveLength(0);
    expect(f.published()?.id).toBe(bad.id);
  });
});
