// promote-previous with provider fly, through the bundle, for an app whose images live in a registry
// other than Fly's (fly deploy --image ghcr.io/…): the check that the target image still exists
// must never hand that registry the Fly token, in any encoding.
import { afterEach, describe, expect, it } from 'vitest';
import { expectNoLeaks } from '../helpers/leak-scan.js';
import { runAction } from '../helpers/run-action.js';
import { startFakeFly, type FakeFly } from '../platforms/fake-fly.js';
import { startFakeRegistry, type FakeRegistry } from '../platforms/fake-registry.js';

const TOKEN = 'FlyV1 fm2_lJPECAAAAAAAAthirdparty0registry0secret==';
const BASIC = Buffer.from(`x:${TOKEN}`).toString('base64');

let fly: FakeFly | undefined;
let registry: FakeRegistry | undefined;
afterEach(async () => {
  await fly?.close();
  await registry?.close();
  fly = registry = undefined;
});

async function world() {
  registry = await startFakeRegistry();
  fly = await startFakeFly();
  fly.addToken(TOKEN, ['hotdash']);
  fly.waitsBeforeUp = 0;
  const good = fly.release({ image: `${registry.host}/acme/hotdash:good` });
  const bad = fly.release({ image: `${registry.host}/acme/hotdash:bad` });
  fly.machine(bad.imageRef);
  fly.machine(bad.imageRef);
  return { f: fly, reg: registry, good, bad };
}

async function run(f: FakeFly, reg: FakeRegistry, extra: Record<string, string> = {}) {
  // registry-url is left empty: the image's own host is asked, as in production.
  const r = await runAction(
    'promote-previous',
    { provider: 'fly', 'fly-token': TOKEN, app: 'hotdash', 'api-url': f.url, 'machines-api-url': f.url, 'timeout-seconds': '30', ...extra },
    { env: { NODE_EXTRA_CA_CERTS: reg.caFile } },
  );
  await expectNoLeaks(r, [TOKEN, BASIC]);
  return r;
}

describe('promote-previous (fly): an image in another registry', () => {
  it('asks that registry without the Fly token, and goes ahead with a warning when it wants credentials', async () => {
    const { f, reg, good } = await world();
    const r = await run(f, reg);
    expect(r.errors).toEqual([]);
    expect(r.outputs).toMatchObject({ status: 'rolled-back', 'to-deployment-id': good.id });
    expect(f.images()).toEqual([good.imageRef, good.imageRef]);
    // The registry was asked, and never with any credentials.
    expect(reg.requests.length).toBeGreaterThan(0);
    expect(reg.requests.map((q) => q.authorization)).toEqual(reg.requests.map(() => undefined));
    expect(r.log).toMatch(new RegExp(`::warning::Could not confirm that ${good.imageRef} is still in the registry \\(${reg.host} asks for credentials \\(401\\), and the Fly token is sent only to registry\\.fly\\.io or to registry-url, so the image could not be checked\\); going ahead\\.`));
  });

  it('trusts an anonymous "manifest unknown" and changes no machine', async () => {
    const { f, reg, good, bad } = await world();
    reg.anonymous = 404;
    const r = await run(f, reg);
    expect(r.code).toBe(1);
    expect(r.errors[0]).toContain(`The image of release v${good.version} (${good.imageRef}) is no longer in the registry`);
    expect(f.images()).toEqual([bad.imageRef, bad.imageRef]);
    expect(reg.requests.every((q) => q.authorization === undefined)).toBe(true);
  });
});
