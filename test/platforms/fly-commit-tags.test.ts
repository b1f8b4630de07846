// `from` as a commit SHA on Fly, whose releases record no commit: the release is the one whose image
// tag names it. Teams tag with short SHAs, sha-<sha>, <branch>-<sha>; the SHA a deployment event
// gives (auto-rollback's workflow_run) is the full one. Only an exact full-SHA tag matched, so a
// short-SHA tag left from "unproven" (no from), and a re-delivered event for a release no machine
// runs any more rolled production back once more. Several releases of different images that the SHA
// names are refused, nothing changed: never a guess. The local releases API, Machines API and registry.
import { afterEach, describe, expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { promoteOnFly, tagNamesCommit, type FlyPromoteOptions } from '../../src/platforms/fly/rollback.js';
import { fakeClock } from './fake-http.js';
import { startFakeFly, type FakeFly } from './fake-fly.js';

const TOKEN = 'FlyV1 fm2_lJPECAAAAAAAAsecretdeploytoken==';
const GOOD_SHA = '5e0c2b7a91d44f0e8c3b6a7d2e1f09a8b7c6d5e4';
const BAD_SHA = 'c0ffee1d2e3f405162738495a6b7c8d9e0f1a2b3';
const image = (tag: string) => `registry.fly.io/hotdash:${tag}`;

let fake: FakeFly | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function run(f: FakeFly, extra: Partial<FlyPromoteOptions>, log = memoryLog()) {
  const clock = fakeClock();
  return promoteOnFly(
    { token: TOKEN, app: 'hotdash', apiUrl: f.url, machinesApiUrl: f.url, registryUrl: f.url, target: 'previous', timeoutSeconds: 300, dryRun: false, sleep: clock.sleep, now: clock.now, retry: { jitterMs: 0 }, ...extra },
    log,
  );
}

const updates = (f: FakeFly) => f.requestsTo(/^POST \/v1\/apps\/hotdash\/machines\/[^/]+$/);

/** v1 old, v2 good, v3 bad (tagged `tag(sha)`), served by two machines. */
async function tagged(tag: (sha: string) => string): Promise<FakeFly> {
  const f = (fake = await startFakeFly());
  f.addToken(TOKEN, ['hotdash']);
  f.release({});
  f.release({ image: image(tag(GOOD_SHA)) });
  const bad = f.release({ image: image(tag(BAD_SHA)) });
  for (let i = 0; i < 2; i++) f.machine(bad.imageRef);
  f.waitsBeforeUp = 0;
  return f;
}

const TAGS: [string, (sha: string) => string][] = [
  ['a 7-character SHA', (sha) => sha.slice(0, 7)],
  ['a 12-character SHA', (sha) => sha.slice(0, 12)],
  ['sha-<short SHA>', (sha) => `sha-${sha.slice(0, 8)}`],
  ['<branch>-<short SHA>', (sha) => `main-${sha.slice(0, 7)}`],
  ['<branch>_<full SHA>', (sha) => `release_${sha}`],
  ['<version>-<short SHA>', (sha) => `1.4.0-${sha.slice(0, 10)}`],
];

describe('Fly: from as a commit SHA', () => {
  it.each(TAGS)('names the release whose image tag is %s', async (_name, tag) => {
    const f = await tagged(tag);
    // The event's full SHA of the good release, which no machine runs: nothing to do (a re-delivered event).
    const log = memoryLog();
    const notServed = await run(f, { from: GOOD_SHA }, log);
    expect(notServed.status).toBe('already-current');
    expect(notServed.notes.join(' ')).toContain(`(${image(tag(GOOD_SHA))}) any more`);
    expect(log.lines.join('\n')).not.toContain('counts as no from');
    expect(updates(f)).toHaveLength(0);

    // The bad release's, which serves: rolled back, from that release.
    const back = await run(f, { from: BAD_SHA });
    expect(back).toMatchObject({ status: 'rolled-back', from: { version: 3, image: image(tag(BAD_SHA)) }, to: { version: 2 } });
    // A short SHA given names a tag with the full one too.
    expect((await run(f, { from: BAD_SHA.slice(0, 7) })).status).toBe('already-current');
  });

  it('refuses a SHA that names releases of different images, changing nothing', async () => {
    const f = (fake = await startFakeFly());
    f.addToken(TOKEN, ['hotdash']);
    f.release({});
    // Another commit sharing the bad one's first 7 hex digits, then the bad commit, then a rebuild of it under another tag.
    const other = f.release({ image: image(`sha-${BAD_SHA.slice(0, 7)}0a9b8c`) });
    const bad = f.release({ image: image(`main-${BAD_SHA.slice(0, 10)}`) });
    f.machine(bad.imageRef);
    const refused = async (from: string) => {
      const err = await run(f, { from }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RollbackKitError);
      expect((err as RollbackKitError).hint).toMatch(/its version \(v12\) or its image/);
      return (err as Error).message;
    };
    expect(await refused(BAD_SHA.slice(0, 7))).toContain(`from (${BAD_SHA.slice(0, 7)}) names more than one image of app hotdash: releases v${bad.version} (image ${bad.imageRef}); v${other.version} (image ${other.imageRef})`);
    // The full SHA names the bad commit only.
    expect((await run(f, { from: BAD_SHA, dryRun: true })).from).toMatchObject({ version: bad.version });

    // The same commit built again under another tag: two images of the one commit.
    const rebuilt = f.release({ image: image(`sha-${BAD_SHA.slice(0, 7)}`) });
    expect(await refused(BAD_SHA)).toContain(`releases v${rebuilt.version} (image ${rebuilt.imageRef}); v${bad.version} (image ${bad.imageRef}) all have image tags that name commit ${BAD_SHA}. Nothing was changed.`);
    expect(updates(f)).toHaveLength(0);
  });

  it('the same image released twice is one answer, the newest release', async () => {
    const f = (fake = await startFakeFly());
    f.addToken(TOKEN, ['hotdash']);
    f.release({});
    f.release({ image: image(`sha-${GOOD_SHA.slice(0, 7)}`) });
    f.release({ image: image(`sha-${BAD_SHA.slice(0, 7)}`) });
    const again = f.release({ image: image(`sha-${BAD_SHA.slice(0, 7)}`) });
    f.machine(again.imageRef);
    f.waitsBeforeUp = 0;
    expect(await run(f, { from: BAD_SHA })).toMatchObject({ status: 'rolled-back', to: { version: 2 } });
  });

  it('reads only tag components of at least 7 hex digits, never a digest or a word', () => {
    expect(tagNamesCommit(image('c0ffee1'), BAD_SHA)).toBe(true);
    expect(tagNamesCommit(image(`sha-${BAD_SHA}`), BAD_SHA.slice(0, 7))).toBe(true);
    expect(tagNamesCommit(image('c0ffee'), BAD_SHA)).toBe(false);
    expect(tagNamesCommit(image('c0ffee2'), BAD_SHA)).toBe(false);
    expect(tagNamesCommit(image('deployment-01J000003'), BAD_SHA)).toBe(false);
    expect(tagNamesCommit(`registry.fly.io/hotdash@sha256:${BAD_SHA}${BAD_SHA.slice(0, 24)}`, BAD_SHA)).toBe(false);
    expect(tagNamesCommit(undefined, BAD_SHA)).toBe(false);
  });
});
