// The Fly provider as a library against the local releases API, Machines API and registry: what
// serves is what the machines run, every machine moves with its full config, a refused machine
// leaves a half-rolled-back app that a re-run finishes, and the token is in no log line or error.
import { afterEach, describe, expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { movedBackOf, parseReleaseRef, promoteOnFly, type FlyPromoteOptions } from '../../src/platforms/fly/rollback.js';
import { splitImage } from '../../src/platforms/fly/model.js';
import { NOT_ROLLED_BACK_AGAIN, PERHAPS_A_REPEAT } from '../../src/platforms/outcome.js';
import { failure, fakeClock } from './fake-http.js';
import { startFakeFly, type FakeFly, type FakeRelease } from './fake-fly.js';

const TOKEN = 'FlyV1 fm2_lJPECAAAAAAAAsecretdeploytoken==';

let fake: FakeFly | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

interface History {
  f: FakeFly;
  good: FakeRelease;
  unstable: FakeRelease;
  failed: FakeRelease;
  bad: FakeRelease;
}

/** v1 old → v2 good → v3 not stable → v4 failed → v5 bad, served by three machines. */
async function history(): Promise<History> {
  const f = (fake = await startFakeFly());
  f.addToken(TOKEN, ['hotdash']);
  f.release({});
  const good = f.release({});
  const unstable = f.release({ stable: false });
  const failed = f.release({ status: 'failed', stable: false });
  const bad = f.release({});
  for (let i = 0; i < 3; i++) f.machine(bad.imageRef);
  return { f, good, unstable, failed, bad };
}

function run(f: FakeFly, extra: Partial<FlyPromoteOptions> = {}, log = memoryLog(), clock = fakeClock()) {
  return promoteOnFly(
    { token: TOKEN, app: 'hotdash', apiUrl: f.url, machinesApiUrl: f.url, registryUrl: f.url, target: 'previous', timeoutSeconds: 300, dryRun: false, sleep: clock.sleep, now: clock.now, retry: { jitterMs: 0 }, ...extra },
    log,
  );
}


const updates = (f: FakeFly) => f.requestsTo(/^POST \/v1\/apps\/hotdash\/machines\/[^/]+$/);

describe('promoteOnFly', () => {
  it('moves every machine to the newest complete, stable release below the served one, waiting for each new instance', async () => {
    const { f, good, unstable, failed, bad } = await history();
    const before = f.machines.map((m) => ({ id: m.id, instance: m.instance_id, config: structuredClone(m.config) }));
    const log = memoryLog();
    const r = await run(f, {}, log);
    expect(r).toMatchObject({ status: 'rolled-back', from: { version: 5, image: bad.imageRef }, to: { version: 2, id: good.id, image: good.imageRef } });
    expect(r.skipped).toEqual([
      { id: `v${failed.version}`, reason: 'status failed, not complete' },
      { id: `v${unstable.version}`, reason: 'not marked stable' },
    ]);
    expect(r.frozen).toMatchObject({ frozen: false });
    expect(r.frozen.what).toMatch(/Fly has nothing to freeze/);
    expect(f.images()).toEqual([good.imageRef, good.imageRef, good.imageRef]);
    // Full config back with only the image changed (and the note of what it was rolled back from);
    // a new instance each; waited on that instance.
    for (const [i, m] of f.machines.entries()) {
      const metadata = { ...(before[i]!.config.metadata as Record<string, unknown>), rollback_kit_rolled_back_from: bad.imageRef };
      expect(m.config).toEqual({ ...before[i]!.config, image: good.imageRef, metadata });
      expect(m.instance_id).not.toBe(before[i]!.instance);
      expect(m.state).toBe('started');
      const waits = f.requestsTo(new RegExp(`^GET /v1/apps/hotdash/machines/${m.id}/wait$`));
      expect(waits.length).toBe(3);
      expect(waits.every((w) => w.query.instance_id === m.instance_id && w.query.state === 'started')).toBe(true);
    }
    // The registry was asked before the first machine changed.
    const order = f.requests.map((q) => `${q.method} ${q.path}`);
    expect(order.findIndex((k) => k.startsWith('HEAD /v2/'))).toBeLessThan(order.findIndex((k) => /^POST \/v1/.test(k)));
    expect(log.lines.join('\n')).not.toContain(TOKEN);
    expect(log.lines.join('\n')).not.toContain(Buffer.from(`x:${TOKEN}`).toString('base64'));
  });

  it('takes an explicit release version or id', async () => {
    const { f } = await history();
    const first = f.releases[0]!;
    expect((await run(f, { target: 'v1' })).to).toMatchObject({ version: 1 });
    expect(f.images().every((i) => i === first.imageRef)).toBe(true);
    const good = f.releases[1]!;
    expect((await run(f, { target: good.id })).to).toMatchObject({ version: 2 });
    await expect(run(f, { target: 'v99' })).rejects.toThrow(/Release v99 is not among the 5 releases of app hotdash/);
    await expect(run(f, { target: 'v4' })).rejects.toThrow(/did not complete/);
  });

  it('is a no-op on a re-run: by from, by a second "previous", and by a target already served', async () => {
    const { f, bad, good } = await history();
    expect((await run(f, { from: `v${bad.version}` })).status).toBe('rolled-back');
    const n = updates(f).length;
    const byFrom = await run(f, { from: `v${bad.version}` });
    expect(byFrom.status).toBe('already-current');
    expect(byFrom.notes[0]).toMatch(/No machine of app hotdash runs v5/);
    const again = await run(f);
    expect(again.status).toBe('already-current');
    expect(again.notes[0]).toMatch(/serves release v2 although release v5 is newer/);
    expect((await run(f, { target: `v${good.version}` })).status).toBe('already-current');
    expect((await run(f, { from: bad.imageRef })).status).toBe('already-current');
    expect(updates(f)).toHaveLength(n);
  });

  it('an automatic run never moves machines a rollback moved back, whatever the target; a person still can with a target', async () => {
    const { f, bad, good } = await history();
    expect((await run(f, { from: `v${bad.version}`, automatic: true })).status).toBe('rolled-back');
    const n = updates(f).length;
    // The release put back fails its checks too (the database is down): the event names it.
    for (const target of ['previous', 'v1']) {
      const log = memoryLog();
      const again = await run(f, { from: `v${good.version}`, automatic: true, target }, log);
      expect(again).toMatchObject({ status: 'already-current', putThereByRollback: true, rolledBackFrom: bad.id, to: { version: good.version } });
      expect(again.notes[0]).toBe(
        `${NOT_ROLLED_BACK_AGAIN} (v2: the machines run it although v5 is newer: rollback-kit's note on them says they were rolled back from ${bad.imageRef} (v5)); the outage is likely not the deploy's — check the database, third-party services (payments, auth, email) and Fly.io's status page first. A person decides whether to go further back: run the rollback by hand naming the release to go back to in target.`,
      );
      expect(log.lines).toContain(`warning: ${again.notes[0]}`);
    }
    expect(updates(f)).toHaveLength(n);
    // A person's run: "previous" stops at the re-run guard, a target goes further back.
    const person = await run(f, { from: `v${good.version}` });
    expect(person.status).toBe('already-current');
    expect(person.putThereByRollback).toBeUndefined();
    expect((await run(f, { from: `v${good.version}`, target: 'v1' })).to).toMatchObject({ version: 1 });
    expect(f.images().every((i) => i === f.releases[0]!.imageRef)).toBe(true);
  });

  it('machines moved back by hand (no rollback-kit note) are left by an automatic run too, saying so', async () => {
    const f = (fake = await startFakeFly());
    f.addToken(TOKEN, ['hotdash']);
    const good = f.release({});
    f.release({});
    f.machine(good.imageRef);
    const again = await run(f, { automatic: true });
    expect(again).toMatchObject({ status: 'already-current', putThereByRollback: true });
    expect(again.rolledBackFrom).toBeUndefined();
    expect(again.notes[0]).toContain('(v1: the machines run it although v2 is newer, and no deploy moves machines back: something rolled them back (no rollback-kit note on them))');
    expect(updates(f)).toHaveLength(0);
  });

  it('a rollback by hand with `fly deploy --image <older image>` (a new release, an old image) is one too: left by an automatic run, and "previous" stops', async () => {
    const { f, good, bad } = await history();
    // Fly's rollback guide: a new release v6 that deploys v2's image again, over v5.
    const redeploy = f.deploy({ image: good.imageRef });
    // Its event names it (v6): the checks fail on it too, for an outage that is not the deploy's.
    for (const target of ['previous', 'v1']) {
      const log = memoryLog();
      const again = await run(f, { from: `v${redeploy.version}`, automatic: true, target }, log);
      expect(again).toMatchObject({ status: 'already-current', putThereByRollback: true, rolledBackFrom: bad.id, to: { version: redeploy.version } });
      expect(again.notes[0]).toBe(
        `${NOT_ROLLED_BACK_AGAIN} (v6: it deploys again the image of v2 (${good.imageRef}) after v5 replaced it, as \`fly deploy --image <older image>\` does to roll back); the outage is likely not the deploy's — check the database, third-party services (payments, auth, email) and Fly.io's status page first. A person decides whether to go further back: run the rollback by hand naming the release to go back to in target.`,
      );
    }
    expect(updates(f)).toHaveLength(0);
    // A person's "previous" would put v5 back: it stops, and a target goes further back.
    const person = await run(f);
    expect(person).toMatchObject({ status: 'already-current', rolledBackFrom: bad.id });
    expect(person.notes[0]).toBe(`App hotdash serves release v6, which deploys again the image of release v2 (${good.imageRef}) after v5 replaced it: an earlier rollback has already moved it back. Nothing to do; to go further back, name the release in target.`);
    expect(updates(f)).toHaveLength(0);
    expect((await run(f, { target: 'v1' })).to).toMatchObject({ version: 1 });
  });

  it('releases that record no image are never taken for one deploying an older image again', () => {
    const rel = (version: number, imageRef?: string) => ({ id: `rel_${version}`, version, status: 'complete', stable: true, imageRef });
    const all = [rel(3), rel(2, 'registry.fly.io/hotdash:deployment-2'), rel(1)];
    expect(movedBackOf(all, all[0]!)).toBeUndefined();
    // With images, the same shape is a rollback by `fly deploy --image`.
    const imaged = [rel(3, 'registry.fly.io/hotdash:deployment-1'), rel(2, 'registry.fly.io/hotdash:deployment-2'), rel(1, 'registry.fly.io/hotdash:deployment-1')];
    expect(movedBackOf(imaged, imaged[0]!)).toMatchObject({ from: { version: 2 } });
  });

  it('a new release of the image it replaced (`fly secrets set`, a config change) is no rollback: an automatic run rolls back from it', async () => {
    const { f, good, bad } = await history();
    const secrets = f.deploy({ image: bad.imageRef });
    const r = await run(f, { from: `v${secrets.version}`, automatic: true });
    expect(r).toMatchObject({ status: 'rolled-back', from: { version: secrets.version }, to: { version: good.version } });
    expect(r.putThereByRollback).toBeUndefined();
  });

  it('with a from that names no release (the app URL), a repeated event is left, and the note says it may repeat the earlier run of the same incident', async () => {
    const { f, bad, good } = await history();
    const from = 'https://hotdash.fly.dev';
    expect((await run(f, { from, automatic: true })).status).toBe('rolled-back');
    const n = updates(f).length;
    const again = await run(f, { from, automatic: true });
    expect(again).toMatchObject({ status: 'already-current', putThereByRollback: true, rolledBackFrom: bad.id, to: { version: good.version } });
    expect(again.notes[0]).toContain(`${PERHAPS_A_REPEAT}, as its from does not name v2: either an earlier run of this same incident put it there and this run only repeats that one (a re-run, or a re-delivered event: what that run did is on its incident issue), or another rollback did and v2 failed its checks too, so the outage is likely not the deploy's`);
    expect(updates(f)).toHaveLength(n);
  });

  it('an automatic run rolls back a release that was deployed, as before', async () => {
    const { f, good, bad } = await history();
    const r = await run(f, { from: `v${bad.version}`, automatic: true });
    expect(r).toMatchObject({ status: 'rolled-back', to: { version: good.version } });
    expect(r.putThereByRollback).toBeUndefined();
  });

  it('plans only in a dry run', async () => {
    const { f, bad } = await history();
    const log = memoryLog();
    const r = await run(f, { dryRun: true }, log);
    expect(r).toMatchObject({ status: 'dry-run', to: { version: 2 } });
    expect(updates(f)).toHaveLength(0);
    expect(f.images().every((i) => i === bad.imageRef)).toBe(true);
    expect(log.lines.some((l) => l.startsWith('  machines to update: '))).toBe(true);
  });

  it('says why nothing is eligible', async () => {
    const f = (fake = await startFakeFly());
    f.addToken(TOKEN, ['hotdash']);
    f.release({ status: 'failed' });
    const bad = f.release({});
    f.machine(bad.imageRef);
    const err = await failure(run(f));
    expect(err.message).toMatch(/No earlier release of app hotdash can take over from v2.*Passed over: v1 \(status failed, not complete\)/);
  });

  it('walks release pages', async () => {
    const f = (fake = await startFakeFly());
    f.addToken(TOKEN, ['hotdash']);
    const good = f.release({});
    for (let i = 0; i < 60; i++) f.release({ status: 'failed' });
    const bad = f.release({});
    f.machine(bad.imageRef);
    const r = await run(f, { dryRun: true });
    expect(r.to.version).toBe(good.version);
    expect(f.requestsTo(/^POST \/graphql$/)).toHaveLength(2);
  });

  it('refuses a bad token and an unknown app without the token, before any change', async () => {
    const { f } = await history();
    const log = memoryLog();
    const wrong = 'fm2_wrongwrongwrong';
    const bad = await failure(run(f, { token: wrong }, log));
    expect(bad.message).toMatch(/Fly Machines rejected the token \(401\) while listing the machines of app hotdash/);
    expect(bad.hint).toMatch(/fly-token/);
    expect(`${bad.line}${log.lines.join('')}`).not.toContain(wrong);
    const unknown = await failure(run(f, { app: 'nodash' }));
    expect(unknown.message).toMatch(/App nodash was not found \(404\) .*app not found/);
    f.addToken('fm2_only_machines_other', ['hotdash']);
    await expect(run(f, { app: 'bad app!' })).rejects.toThrow(/Input app must be a Fly app name/);
    expect(updates(f)).toHaveLength(0);
  });

  it('treats GraphQL errors in a 200 as failures', async () => {
    const { f } = await history();
    f.fault(/^POST \/graphql$/, { graphqlErrors: [{ message: 'Could not find App', extensions: { code: 'NOT_FOUND' } }] });
    const err = await failure(run(f));
    expect(err.message).toMatch(/App hotdash was not found while listing the releases .*Could not find App/);
  });

  it('names the release whose image left the registry, before any machine changes', async () => {
    const { f, good } = await history();
    f.registry.delete(good.imageRef);
    const err = await failure(run(f));
    expect(err.message).toBe(`The image of release v2 (${good.imageRef}) is no longer in the registry, so app hotdash cannot be rolled back to it. No machine was changed.`);
    expect(updates(f)).toHaveLength(0);
  });

  it('reports a half-rolled-back app by machine id when one machine refuses, and a re-run finishes it', async () => {
    const { f, good, bad } = await history();
    const refused = f.machines[1]!.id;
    f.refuse.add(refused);
    const err = await failure(run(f));
    expect(err.message).toContain('App hotdash is half rolled back to release v2: 2 of 3 machine(s) run it');
    expect(err.message).toContain(`${refused} (still on ${bad.imageRef}: Fly Machines answered 422: failed to update VM ${refused}`);
    expect(err.hint).toMatch(/Re-run the step with target v2: it updates only the machines left/);
    expect(f.images()).toEqual([good.imageRef, bad.imageRef, good.imageRef]);

    // The next run, without naming anything, sees v5 still served on one machine and finishes.
    f.refuse.clear();
    const n = updates(f).length;
    const r = await run(f);
    expect(r).toMatchObject({ status: 'rolled-back', to: { version: 2 } });
    expect(updates(f).length - n).toBe(1);
    expect(f.images().every((i) => i === good.imageRef)).toBe(true);
  });

  it('keeps a stopped machine stopped, and gives up at the deadline on one that never starts', async () => {
    const { f, good } = await history();
    f.machines[0]!.state = 'stopped';
    f.waitsBeforeUp = 1;
    const r = await run(f);
    expect(r.status).toBe('rolled-back');
    expect(f.machines[0]!.state).toBe('stopped');
    expect((updates(f)[0]!.body as { skip_launch?: boolean }).skip_launch).toBe(true);

    f.machines.forEach((m) => (m.config = { ...m.config, image: f.releases[4]!.imageRef }));
    f.waitsBeforeUp = Infinity;
    const clock = fakeClock();
    const err = await failure(run(f, { timeoutSeconds: 40 }, memoryLog(), clock));
    expect(err.message).toMatch(/half rolled back .*on the target image but: updated, but not (started|stopped) on its new instance within the time limit/);
    expect(err.message).toContain(`${f.machines[2]!.id} (still on ${f.releases[4]!.imageRef}: not updated: the time limit was reached first)`);
    expect(clock.now() - fakeClock().now()).toBeLessThanOrEqual(40_000);
    expect(f.images()).toEqual([good.imageRef, f.releases[4]!.imageRef, f.releases[4]!.imageRef]);
  });

  it('retries 429 after Retry-After and 5xx, never 4xx', async () => {
    const { f } = await history();
    const clock = fakeClock();
    f.fault(/^GET \/v1\/apps\/hotdash\/machines$/, { status: 429, retryAfter: 4, json: { error: 'rate limited' } });
    f.fault(/^POST \/graphql$/, { status: 503, text: 'upstream connect error' });
    f.fault(/^POST \/v1\/apps\/hotdash\/machines\/[^/]+$/, { status: 500, json: { error: 'internal' } });
    const r = await run(f, { retry: { jitterMs: 0, baseDelayMs: 50 } }, memoryLog(), clock);
    expect(r.status).toBe('rolled-back');
    expect(clock.waits).toContain(4000);
    expect(clock.waits).toContain(50);
    expect(f.requestsTo(/^POST \/graphql$/)).toHaveLength(2);
  });

  it('fails at once when a Retry-After reaches past timeout-seconds, before any machine changes', async () => {
    const { f, bad } = await history();
    const clock = fakeClock();
    f.fault(/^POST \/graphql$/, { status: 429, retryAfter: 400, json: { error: 'rate limited' } }, 10);
    const err = await failure(run(f, { timeoutSeconds: 300 }, memoryLog(), clock));
    expect(err.message).toMatch(/^Fly asked to wait 400 s \(Retry-After\) before POST \/graphql again \(.*429.*\), but only 300 s of timeout-seconds \(300 s\) are left\./);
    expect(err.hint).toMatch(/raise timeout-seconds/);
    expect(clock.waits).toEqual([]);
    expect(f.requestsTo(/^POST \/graphql$/)).toHaveLength(1);
    expect(f.images().every((i) => i === bad.imageRef)).toBe(true);
  });

  it('reads release references and image names', () => {
    expect(parseReleaseRef('previous', 'target')).toEqual({ kind: 'previous' });
    expect(parseReleaseRef('v12', 'target')).toEqual({ kind: 'version', version: 12 });
    expect(parseReleaseRef('12', 'from')).toEqual({ kind: 'version', version: 12 });
    expect(parseReleaseRef('registry.fly.io/hotdash:deployment-01J', 'from')).toEqual({ kind: 'image', image: 'registry.fly.io/hotdash:deployment-01J' });
    expect(() => parseReleaseRef('v1; rm', 'target')).toThrow(RollbackKitError);
    expect(splitImage('registry.fly.io/hotdash:deployment-01J')).toEqual({ host: 'registry.fly.io', repository: 'hotdash', reference: 'deployment-01J' });
    expect(splitImage('registry.fly.io/hotdash@sha256:abc')).toEqual({ host: 'registry.fly.io', repository: 'hotdash', reference: 'sha256:abc' });
    expect(splitImage('library/nginx')).toEqual({ host: undefined, repository: 'library/nginx', reference: 'latest' });
  });
});
