// promote-previous with provider fly, through the bundle: a rollback updates machines and creates no
// release, so after the next deploy the release list alone would make the rolled-back release look
// like the previous good one. The note the rollback leaves on the machines keeps it out.
import { afterEach, describe, expect, it } from 'vitest';
import { expectNoLeaks } from '../helpers/leak-scan.js';
import { runAction } from '../helpers/run-action.js';
import { startFakeFly, type FakeFly } from '../platforms/fake-fly.js';

const TOKEN = 'FlyV1 fm2_lJPECAAAAAAAAhistory0secret0deploy==';

let fly: FakeFly | undefined;
afterEach(async () => {
  await fly?.close();
  fly = undefined;
});

async function run(f: FakeFly, extra: Record<string, string> = {}) {
  const r = await runAction('promote-previous', { provider: 'fly', 'fly-token': TOKEN, app: 'hotdash', 'api-url': f.url, 'machines-api-url': f.url, 'registry-url': f.url, 'timeout-seconds': '30', ...extra });
  await expectNoLeaks(r, [TOKEN]);
  return r;
}

describe('promote-previous (fly): previous after an earlier rollback', () => {
  it('never puts back the release an earlier rollback moved the app off, after the next deploy', async () => {
    const f = (fly = await startFakeFly());
    f.addToken(TOKEN, ['hotdash']);
    f.waitsBeforeUp = 0;
    const v1 = f.release({});
    const v2 = f.release({});
    f.machine(v2.imageRef);
    f.machine(v2.imageRef);
    // v2 is bad: back to v1.
    const first = await run(f, { from: 'v2' });
    expect(first.outputs).toMatchObject({ status: 'rolled-back', 'to-deployment-id': v1.id });
    expect(f.releases).toHaveLength(2);
    // The fix ships as v3 and is bad too. v2 is the newest release below it, complete and stable.
    const v3 = f.deploy();
    const second = await run(f, { from: 'v3' });
    expect(second.errors).toEqual([]);
    expect(second.outputs).toMatchObject({ status: 'rolled-back', 'from-deployment-id': v3.id, 'to-deployment-id': v1.id });
    expect(f.images()).toEqual([v1.imageRef, v1.imageRef]);
    expect(second.log).toMatch(/skipped v2: an earlier rollback moved the app off its image/);
    // The machines' own configs are kept: only the image and the note changed.
    for (const m of f.machines) expect(m.config.metadata).toMatchObject({ fly_process_group: 'app', rollback_kit_rolled_back_from: `${v2.imageRef} ${v3.imageRef}` });
  });

  it('goes back to a release it was rolled back from when it is named in target', async () => {
    const f = (fly = await startFakeFly());
    f.addToken(TOKEN, ['hotdash']);
    f.waitsBeforeUp = 0;
    f.release({});
    const v2 = f.release({});
    f.machine(v2.imageRef);
    expect((await run(f)).outputs.status).toBe('rolled-back');
    f.deploy();
    const named = await run(f, { target: 'v2' });
    expect(named.outputs).toMatchObject({ status: 'rolled-back', 'to-deployment-id': v2.id });
    // Chosen on purpose, it is no longer noted as bad.
    expect(String((f.machines[0]!.config.metadata as Record<string, string>).rollback_kit_rolled_back_from)).not.toContain(v2.imageRef);
  });
});
