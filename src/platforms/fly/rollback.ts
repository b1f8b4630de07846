/**
 * Puts an earlier Fly release back. Fly has no rollback call: what serves is whatever image the
 * app's machines run (updating machines creates no release), so this compares the machines' images
 * with the release list, picks the newest completed, stable release below the one being served,
 * checks its image is still in the registry, then updates every machine to that image (full config,
 * only the image changed) and waits for each to start on its new instance. A machine left on
 * another image makes the app half rolled back: reported by machine id, and a re-run updates only
 * the machines still left. Because no release records a rollback, each machine carries a note of the
 * images it was rolled back from (model.ts), and "previous" never picks one of those again. A run
 * started by a deployment event never moves machines already moved back to an older release, by
 * rollback-kit or by `fly deploy --image <older image>` (the rollback cascade: notPutBackAgain).
 */
import { RollbackKitError } from '../../core/errors.js';
import type { Log } from '../../core/log.js';
import { guardedSleep, StoppedHere } from '../change-guard.js';
import { HttpApiError, sleep as realSleep } from '../http/client.js';
import { calling, platformError, type PlatformErrorContext } from '../http/errors.js';
import { describeSkipped, logPlan, notPutBackAgain, type Frozen, type ProviderOutcome, type ReleaseInfo, type SkippedRelease, type ProviderRunOptions } from '../outcome.js';
import { flyClients, imageInRegistry, listMachines, releases, updateImage, waitForState, type FlyClients } from './api.js';
import { describeRelease, RELEASE_DONE, rolledBackFrom, splitImage, withRollbackNote, type FlyMachine, type FlyRelease } from './model.js';
import { commitSha, urlHost, warnUnproven } from '../from-ref.js';
import { listingBound } from '../listing.js';
import { StepDeadline } from '../http/deadline.js';

export interface FlyPromoteOptions extends ProviderRunOptions {
  token: string;
  app: string;
  /** Base of the GraphQL API that lists releases (`https://api.fly.io`). */
  apiUrl?: string;
  /** Base of the Machines API (`https://api.machines.dev`). */
  machinesApiUrl?: string;
  /** Registry base for the image check; by default the image's own host over https. */
  registryUrl?: string;
  /** "previous", a release version (v12 or 12) or a release id. */
  target: string;
  /** The release (version or id) or image believed bad: when no machine runs it, nothing is done. */
  from?: string;
  /** Longest single wait call; flyctl caps it at 60 s, ours stays below the request timeout. */
  waitSliceSeconds?: number;
}

export const FLY_NOTHING_FROZEN: Frozen = {
  frozen: false,
  what: 'Fly has nothing to freeze: the next `fly deploy` (or deploy workflow run) ships a new release to every machine as usual, so hold deploys until the fix is ready.',
};

/**
 * `sha` and `url` are from only, as a deployment event names the bad release (from-ref.ts). Fly
 * releases record no commit: a SHA names the release whose image tag names it (`fly deploy
 * --image-label <sha>`, or a short SHA in a tag: tagNamesCommit), or whose id it is; a URL (the
 * app's) names none.
 */
type ReleaseRef =
  | { kind: 'previous' }
  | { kind: 'version'; version: number }
  | { kind: 'id'; id: string }
  | { kind: 'image'; image: string }
  | { kind: 'sha'; sha: string; raw: string }
  | { kind: 'url'; url: string };

export function parseReleaseRef(raw: string, input: 'target' | 'from'): ReleaseRef {
  const v = raw.trim();
  if (input === 'target' && (v === '' || v.toLowerCase() === 'previous')) return { kind: 'previous' };
  const version = /^v?(\d{1,9})$/i.exec(v);
  if (version) return { kind: 'version', version: Number(version[1]) };
  if (input === 'from' && urlHost(v)) return { kind: 'url', url: v };
  if (input === 'from' && /^[a-z0-9.:-]+(\/[a-z0-9._-]+)+([:@][A-Za-z0-9._:-]+)?$/i.test(v)) return { kind: 'image', image: v };
  const sha = input === 'from' ? commitSha(v) : undefined;
  if (sha) return { kind: 'sha', sha, raw: v };
  if (/^[A-Za-z0-9_-]{4,}$/.test(v)) return { kind: 'id', id: v };
  throw new RollbackKitError(
    `Input ${input} must be ${input === 'target' ? '"previous", ' : ''}a Fly release version (v12), a release id${input === 'from' ? ', an image reference, a commit SHA or a URL' : ''}; got "${raw}".`,
    'Copy it from `fly releases --image`.',
  );
}

const imageTag = (image: string | undefined): string | undefined => (image ? splitImage(image)?.reference.toLowerCase() : undefined);

/** A tag component that can be a commit SHA: git's shortest abbreviation (7) to a full one. */
const SHA_PART = /^[0-9a-f]{7,40}$/;

/**
 * Whether the image's tag names commit `sha` (lower case, 7 to 40 hex digits). Fly releases record
 * no commit: teams tag the image with it, whole or abbreviated, alone or joined to a word
 * (`abc1234f`, `sha-abc1234f`, `main-abc1234f`, `main_abc1234f`, `1.4.0-abc1234f`). A component of
 * the tag (split at - _ . +) names the commit when one of the two is a prefix of the other, both
 * being at least 7 hex digits long. A digest (`@sha256:…`) is no tag, and never a commit.
 */
export function tagNamesCommit(image: string | undefined, sha: string): boolean {
  const tag = imageTag(image);
  if (!tag || tag.includes(':')) return false;
  return tag.split(/[-_.+]/).some((part) => SHA_PART.test(part) && (sha.startsWith(part) || part.startsWith(sha)));
}

const matches = (ref: ReleaseRef, r: FlyRelease): boolean =>
  (ref.kind === 'version' && r.version === ref.version) ||
  (ref.kind === 'id' && r.id === ref.id) ||
  (ref.kind === 'image' && r.imageRef === ref.image) ||
  (ref.kind === 'sha' && (r.id === ref.raw || tagNamesCommit(r.imageRef, ref.sha)));

/**
 * The release `from` names. A commit SHA may name several releases: the same image deployed again
 * (one image, so one answer: the newest), or images of different commits that share the prefix
 * given, or different images of the one commit. The last two are refused, naming them: a guess
 * could end the run as "nothing to do" while the bad image serves, or move the wrong machines.
 */
function fromRelease(ref: ReleaseRef, all: FlyRelease[], app: string, raw: string): FlyRelease | undefined {
  const found = all.filter((r) => matches(ref, r));
  const images = [...new Set(found.map((r) => r.imageRef))];
  if (ref.kind === 'sha' && images.length > 1) {
    const listed = images.map((image) => {
      const rs = found.filter((r) => r.imageRef === image).map((r) => `v${r.version}`);
      return `${rs.join(', ')} (image ${image ?? 'none recorded'})`;
    });
    throw new RollbackKitError(
      `from (${raw}) names more than one image of app ${app}: releases ${listed.join('; ')} all have image tags that name commit ${ref.sha}. Nothing was changed.`,
      'Give from as the bad release itself: its version (v12) or its image, from `fly releases --image`; or a longer commit SHA that only one of those tags names.',
    );
  }
  return found[0];
}

const info = (r: FlyRelease | undefined, image?: string): ReleaseInfo => ({ id: r?.id, version: r?.version, image: r?.imageRef ?? image });

/** Why an older release cannot be what "previous" means, or undefined when it can. `rolledBack`: images an earlier rollback moved off. */
export function skipReason(r: FlyRelease, current: FlyRelease, rolledBack: ReadonlySet<string> = new Set()): string | undefined {
  if (r.imageRef && rolledBack.has(r.imageRef)) return 'an earlier rollback moved the app off its image (noted on the machines)';
  if (!RELEASE_DONE.has(r.status)) return `status ${r.status}, not complete`;
  if (!r.stable) return 'not marked stable';
  if (!r.imageRef) return 'no image recorded';
  if (r.imageRef === current.imageRef) return 'same image as the release being served';
  return undefined;
}

const STOPPED = new Set(['stopped', 'suspended']);

/** How a rollback put `current` there: what the notes say (`how`, `serves`), and the release it moved production off. */
export interface MovedBack {
  current: FlyRelease;
  /** For the cascade guard's note: what Fly records that says a rollback did it. */
  how: string;
  /** For a person's "previous": what follows "serves release v2" to say so. */
  serves: string;
  from?: FlyRelease;
}

/**
 * Whether the release every machine runs (`current`, the newest release with their image) was put
 * there by a rollback, and from what. Two ways: the machines run a release older than the newest
 * completed one, which no deploy does (rollback-kit updates machines, making no release; its note on
 * them names what it moved them off: `noted`); or `current` deployed again the image of an older
 * release after a completed release of another image had replaced it, which is how Fly's own
 * rollback guide rolls back (`fly deploy --image <older image>` makes a new release with the old
 * image). A new release with the image it replaced (`fly secrets set`, a config change) is not one:
 * the release between must carry another image.
 */
export function movedBackOf(all: FlyRelease[], current: FlyRelease, noted?: FlyRelease): MovedBack | undefined {
  const newest = all.find((r) => RELEASE_DONE.has(r.status));
  if (newest && newest.version > current.version) {
    return {
      current,
      from: noted,
      serves: ` although release v${newest.version} is newer`,
      how: noted
        ? `the machines run it although v${newest.version} is newer: rollback-kit's note on them says they were rolled back from ${noted.imageRef} (v${noted.version})`
        : `the machines run it although v${newest.version} is newer, and no deploy moves machines back: something rolled them back (no rollback-kit note on them)`,
    };
  }
  if (!current.imageRef) return undefined;
  const older = all.filter((r) => r.version < current.version);
  const replaced = older.find((r) => RELEASE_DONE.has(r.status) && r.imageRef && r.imageRef !== current.imageRef);
  const source = replaced && older.find((r) => r.version < replaced.version && r.imageRef === current.imageRef);
  if (!replaced || !source) return undefined;
  return {
    current,
    from: replaced,
    serves: `, which deploys again the image of release v${source.version} (${current.imageRef}) after v${replaced.version} replaced it`,
    how: `it deploys again the image of v${source.version} (${current.imageRef}) after v${replaced.version} replaced it, as \`fly deploy --image <older image>\` does to roll back`,
  };
}

export async function promoteOnFly(opts: FlyPromoteOptions, log: Log): Promise<ProviderOutcome> {
  log.secret(opts.token);
  const app = opts.app.trim();
  if (!app) throw new RollbackKitError('Input app is required when provider is fly.', 'Set app to the Fly app name (as in fly.toml).');
  if (!/^[a-z0-9][a-z0-9-]*$/i.test(app)) throw new RollbackKitError(`Input app must be a Fly app name; got "${opts.app}".`, 'Use the app name from fly.toml.');
  const targetRef = parseReleaseRef(opts.target || 'previous', 'target');
  const fromRef = opts.from?.trim() ? parseReleaseRef(opts.from, 'from') : undefined;
  const sleep = guardedSleep(opts.stop, opts.sleep ?? realSleep);
  const now = opts.now ?? Date.now;
  const step = new StepDeadline(now, opts.timeoutSeconds, opts.timeoutInput);
  const c = flyClients({ token: opts.token, apiUrl: opts.apiUrl, machinesApiUrl: opts.machinesApiUrl, registryUrl: opts.registryUrl, log, retry: opts.retry, requestTimeoutMs: opts.requestTimeoutMs, sleep, deadline: step, stop: opts.stop });
  const ctx = (doing: string): PlatformErrorContext => ({ doing, tokenInput: 'fly-token', notFound: `App ${app}`, notFoundHint: 'Check the app input and that the token (a deploy token is scoped to one app) belongs to it.', statusPage: 'https://status.flyio.net' });
  const base = { skipped: [] as SkippedRelease[], frozen: FLY_NOTHING_FROZEN };

  const machines = await calling(ctx(`listing the machines of app ${app}`), () => listMachines(c, app));
  if (!machines.length) throw new RollbackKitError(`App ${app} has no machines, so nothing serves and there is nothing to roll back.`, 'Check the app input.');
  const all: FlyRelease[] = [];
  await calling(ctx(`listing the releases of app ${app}`), async () => {
    for await (const page of releases(c, app, listingBound(step, `the releases of app ${app}`))) all.push(...page);
  });
  all.sort((a, b) => b.version - a.version);
  const releaseOf = (image: string | undefined) => all.find((r) => r.imageRef === image);
  const images = [...new Set(machines.map((m) => m.image))];
  const served = images.map((image) => ({ image, release: releaseOf(image) }));
  for (const s of served) {
    const on = machines.filter((m) => m.image === s.image).map((m) => m.id);
    log.info(`Machines ${on.join(', ')} run ${s.release ? `release ${describeRelease(s.release)}` : `image ${s.image ?? '(none)'}, which matches no release`}.`);
  }
  // The newest code still serving is what is being rolled back from.
  const current = served.map((s) => s.release).filter((r): r is FlyRelease => !!r).sort((a, b) => b.version - a.version)[0];

  // The image from names, when it names a release (or an image) at all: proven, unlike a URL or an unmatched SHA.
  let fromImage: string | undefined;
  if (fromRef) {
    const from = fromRelease(fromRef, all, app, opts.from!.trim());
    fromImage = fromRef.kind === 'image' ? fromRef.image : from?.imageRef;
    if (fromRef.kind === 'url') warnUnproven(log, opts.from!, 'is a URL, which names a Fly app, not one of its releases');
    else if (fromRef.kind === 'sha' && !fromImage) warnUnproven(log, opts.from!, `is a commit, and no release of app ${app} has an image tag that names it (Fly releases record no commit; deploy with --image-label <sha>, or a tag such as sha-<sha> or <branch>-<sha>, to name them so)`);
    else if (!fromImage) throw new RollbackKitError(`Release ${opts.from} (input from) is not among the ${all.length} releases of app ${app}.`, 'Check the from input: a release version (v12), id or image.');
    if (fromImage && !machines.some((m) => m.image === fromImage)) {
      const note = `No machine of app ${app} runs ${opts.from!.trim()} (${fromImage}) any more. Nothing to do.`;
      log.info(note);
      return { ...base, status: 'already-current', from: info(current, images[0]), to: info(current, images[0]), notes: [note] };
    }
  }

  const movedBack = images.length === 1 && current ? movedBackOf(all, current, releaseOf([...rolledBackFrom(machines)].at(-1))) : undefined;
  // The rollback cascade (vercel/rollback.ts): the release a rollback put back failing its checks
  // for an outage that is not the deploy's must not start another rollback, release by release. A
  // person may go further back with a target ("previous" stops at the re-run guard below).
  if (opts.automatic && movedBack) {
    const note = notPutBackAgain(`v${movedBack.current.version}`, movedBack.how, "Fly.io's status page", { fromGoesFurther: false, fromNamesIt: !!fromImage });
    log.warning(note);
    return { ...base, status: 'already-current', from: info(current), to: info(current), notes: [note], rolledBackFrom: movedBack.from?.id, putThereByRollback: true };
  }

  let target: FlyRelease | undefined;
  const skipped: SkippedRelease[] = [];
  if (targetRef.kind !== 'previous') {
    target = all.find((r) => matches(targetRef, r));
    if (!target) throw new RollbackKitError(`Release ${opts.target.trim()} is not among the ${all.length} releases of app ${app}.`, 'Check the target input against `fly releases --image`.');
    if (!RELEASE_DONE.has(target.status) || !target.imageRef) {
      throw new RollbackKitError(`Release ${describeRelease(target)} of app ${app} did not complete${target.imageRef ? '' : ' and has no image'}: it cannot be put back.`, 'Choose a completed release as target.');
    }
    if (!target.stable) log.warning(`Release v${target.version} is not marked stable; going ahead because it was named explicitly.`);
  } else {
    if (!current) {
      throw new RollbackKitError(`The machines of app ${app} run images that match no release (${images.join(', ')}), so "previous" has no meaning here.`, 'Name the release to put back in target (v12).');
    }
    if (movedBack) {
      const note = `App ${app} serves release v${current.version}${movedBack.serves}: an earlier rollback has already moved it back. Nothing to do; to go further back, name the release in target.`;
      log.info(note);
      // What that rollback moved production off (movedBackOf).
      return { ...base, status: 'already-current', from: info(current), to: info(current), notes: [note], rolledBackFrom: movedBack.from?.id };
    }
    const rolledBack = rolledBackFrom(machines);
    for (const r of all) {
      if (r.version >= current.version) continue;
      const reason = skipReason(r, current, rolledBack);
      if (!reason) {
        target = r;
        break;
      }
      skipped.push({ id: `v${r.version}`, reason });
    }
    if (!target) {
      throw new RollbackKitError(
        `No earlier release of app ${app} can take over from v${current.version}: none below it completed, is stable and has another image.${describeSkipped(skipped)}`,
        'Name the release to put back in target, or deploy a fix.',
      );
    }
  }
  const image = target.imageRef!;
  const todo = machines.filter((m) => m.image !== image);
  if (!todo.length) {
    const note = `Every machine of app ${app} already runs release ${describeRelease(target)}. Nothing to do.`;
    log.info(note);
    // Put there by an earlier rollback: what it moved production off names its incident (movedBackOf).
    return { ...base, status: 'already-current', from: info(current), to: info(target), skipped, notes: [note], ...(movedBack?.from ? { rolledBackFrom: movedBack.from.id } : {}) };
  }

  const plan = [
    `Plan: roll back app ${app}`,
    `  from ${current ? describeRelease(current) : images.join(', ')}`,
    `  to   ${describeRelease(target)}`,
    `  machines to update: ${todo.map((m) => m.id).join(', ')}${todo.length < machines.length ? ` (already on it: ${machines.filter((m) => m.image === image).map((m) => m.id).join(', ')})` : ''}`,
    ...skipped.map((s) => `  skipped ${s.id}: ${s.reason}`),
  ];
  logPlan(log, plan, { from: info(current).id, to: info(target).id }, opts.planLogged);
  if (opts.dryRun) {
    return { ...base, status: 'dry-run', from: info(current), to: info(target), skipped, notes: [`Dry run: nothing was changed. A real run would update ${todo.length} machine(s) to release v${target.version}.`] };
  }

  // Before any machine changes: an image gone from the registry would leave machines unable to start.
  const check = await imageInRegistry(c, image);
  if (check.found === false) {
    throw new RollbackKitError(
      `The image of release v${target.version} (${image}) is no longer in the registry, so app ${app} cannot be rolled back to it. No machine was changed.`,
      'Choose an older release whose image still exists (target: v<N>), or rebuild and deploy the good commit.',
    );
  }
  if (check.found === 'unknown') log.warning(`Could not confirm that ${image} is still in the registry (${check.why}); going ahead.`);

  const startedAt = now();
  const deadline = step.restart();
  const problems = new Map<string, string>();
  // What is being rolled back from: every image served now other than the target.
  // Oldest release first, so the note's last image is the release this rollback is from (its incident: promote.ts rolledBackFrom).
  const badImages = images.filter((i): i is string => !!i && i !== image).sort((a, b) => (releaseOf(a)?.version ?? -1) - (releaseOf(b)?.version ?? -1));
  for (const m of todo) {
    if (now() >= deadline) {
      problems.set(m.id, 'not updated: the time limit was reached first');
      continue;
    }
    const problem = await rollMachine(c, app, m, image, withRollbackNote(m.config, badImages, image), { deadline, now, sleep, slice: opts.waitSliceSeconds ?? 15 }, log).catch((err: unknown) => {
      // The stop is not one machine's problem: the machines left are not touched (change-guard.ts).
      if (err instanceof StoppedHere) throw err;
      if (err instanceof HttpApiError) return `${err.service} answered ${err.status}: ${err.serverMessage}`;
      return platformError(err, ctx(`updating machine ${m.id}`)).message;
    });
    if (problem) {
      problems.set(m.id, problem);
      log.warning(`Machine ${m.id}: ${problem}`);
    }
  }

  // Confirm from Fly's own view, not from what we sent.
  const after = await calling(ctx(`checking the machines of app ${app}`), () => listMachines(c, app));
  const left = after.filter((m) => m.image !== image || problems.has(m.id));
  if (left.length) {
    const done = after.filter((m) => !left.includes(m));
    const lines = left.map((m) => `${m.id} (${m.image === image ? 'on the target image but' : `still on ${m.image ?? 'no image'}`}${problems.has(m.id) ? `: ${problems.get(m.id)}` : ''})`);
    throw new RollbackKitError(
      `App ${app} is half rolled back to release v${target.version}: ${done.length} of ${after.length} machine(s) run it (${done.map((m) => m.id).join(', ') || 'none'}); not done: ${lines.join('; ')}.`,
      `Re-run the step with target v${target.version}: it updates only the machines left. Check them with \`fly machine status <id> -a ${app}\`.`,
    );
  }
  const note = `App ${app} now serves release ${describeRelease(target)} on all ${after.length} machine(s) (rolled back from ${current ? `v${current.version}` : images.join(', ')} in ${((now() - startedAt) / 1000).toFixed(1)} s).`;
  log.info(note);
  return { ...base, status: 'rolled-back', from: info(current), to: info(target), skipped, notes: [note, FLY_NOTHING_FROZEN.what] };
}

/** Updates one machine and waits for its new instance; returns a problem, or undefined when it is up. */
async function rollMachine(
  c: FlyClients,
  app: string,
  m: FlyMachine,
  image: string,
  config: Record<string, unknown>,
  t: { deadline: number; now: () => number; sleep: (ms: number) => Promise<void>; slice: number },
  log: Log,
): Promise<string | undefined> {
  // A machine that was stopped (autostop) stays stopped: starting it is Fly's proxy's job.
  const wasStopped = STOPPED.has(m.state);
  const updated = await updateImage(c, app, m, image, wasStopped, config);
  const state = wasStopped ? 'stopped' : 'started';
  log.info(`Machine ${m.id} updated to ${image} (instance ${updated.instanceId ?? 'unknown'}); waiting for it to be ${state}.`);
  for (;;) {
    const remaining = Math.floor((t.deadline - t.now()) / 1000);
    if (remaining <= 0) return `updated, but not ${state} on its new instance within the time limit`;
    const slice = Math.min(t.slice, remaining);
    const asked = t.now();
    if (await waitForState(c, app, m.id, updated.instanceId, state, slice)) return undefined;
    // Fly held the call for the slice before its 408; one that answers sooner is not asked again
    // before the slice is over, so the loop never spins.
    await t.sleep(Math.max(0, asked + slice * 1000 - t.now()));
  }
}
