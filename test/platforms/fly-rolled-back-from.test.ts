// What a Fly re-run says a finished rollback was made from (rolledBackFrom, the incident key of a
// command-line re-run): the release being served, the newest, even when a failed rolling deploy
// left the machines on mixed images and the first machine listed ran the older one. The machines'
// note keeps the images rolled back from oldest release first, so its last is that release.
import { afterEach, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { promoteOnFly } from '../../src/platforms/fly/rollback.js';
import { fakeClock } from './fake-http.js';
import { startFakeFly, type FakeFly } from './fake-fly.js';

const TOKEN = 'FlyV1 fm2_lJPECAAAAAAAAsecretdeploytoken==';

let fake: FakeFly | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

it('a re-run after rolling back mixed machines names the newest release rolled back from, as the first run did', async () => {
  const f = (fake = await startFakeFly());
  f.addToken(TOKEN, ['hotdash']);
  const good = f.release({});
  const half = f.release({});
  const bad = f.release({});
  // A rolling deploy of `bad` that stopped halfway: the first machine listed runs it, the second does not.
  f.machine(bad.imageRef);
  f.machine(half.imageRef);
  f.waitsBeforeUp = 0;
  const run = () => {
    const clock = fakeClock();
    return promoteOnFly({ token: TOKEN, app: 'hotdash', apiUrl: f.url, machinesApiUrl: f.url, registryUrl: f.url, target: good.id, timeoutSeconds: 120, dryRun: false, sleep: clock.sleep, now: clock.now, retry: { jitterMs: 0 } }, memoryLog());
  };
  const first = await run();
  expect(first).toMatchObject({ status: 'rolled-back', from: { id: bad.id }, to: { id: good.id } });
  // Without a target: "previous" on a re-run finds the app already moved back.
  const again = await promoteOnFly({ token: TOKEN, app: 'hotdash', apiUrl: f.url, machinesApiUrl: f.url, registryUrl: f.url, target: 'previous', timeoutSeconds: 120, dryRun: false, retry: { jitterMs: 0 } }, memoryLog());
  expect(again).toMatchObject({ status: 'already-current', rolledBackFrom: bad.id });
});
