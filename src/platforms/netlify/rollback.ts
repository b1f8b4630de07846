/**
 * Puts the previous ready production deploy of a Netlify site back: find the published deploy,
 * choose the newest older ready production deploy with other code, restore it, confirm the site
 * publishes it, then lock it so that new builds stop publishing over the rollback. Safe to repeat:
 * a `from` that is no longer published, a target that is, or (without `from`) a published deploy
 * older than a ready one that was published before it (an earlier rollback) is reported as
 * already-current and nothing is changed. Newer deploys that were never published (built while
 * auto publishing was stopped) are no such evidence, and a `from` naming the published deploy says
 * it is bad whatever else the list shows. A run started by a deployment event never restores over a
 * deploy an earlier rollback published, whatever from and target say (the rollback cascade:
 * notPutBackAgain), but does lock it when that rollback could not.
 */
import { RollbackKitError } from '../../core/errors.js';
import type { Log } from '../../core/log.js';
import { guardedSleep } from '../change-guard.js';
import { sleep as realSleep } from '../http/client.js';
import { calling, type PlatformErrorContext } from '../http/errors.js';
import { describeSkipped, logPlan, nextPoll, notPutBackAgain, type Frozen, type ProviderOutcome, type ReleaseInfo, type SkippedRelease, type ProviderRunOptions } from '../outcome.js';
import { getDeploy, getSite, lockDeploy, netlifyClient, readyProductionDeploys, restore, type NetlifyDeploy, type NetlifySite } from './api.js';
import { listingBound } from '../listing.js';
import { StepDeadline } from '../http/deadline.js';
import { commitSha, compareCommit, NETLIFY_PERMALINK, urlHost, warnUnproven, type FromSays } from '../from-ref.js';

export interface NetlifyPromoteOptions extends ProviderRunOptions {
  token: string;
  apiUrl?: string;
  /** Site id or its Netlify domain (name.netlify.app). */
  site: string;
  /** "previous" or a deploy id. */
  target: string;
}

export const DEFAULT_POLL_INTERVAL_MS = 1000;

const unlockHint = (deployId: string) =>
  `When the fix is ready, start auto publishing again: Netlify → the site → Deploys → "Start auto publishing", or POST /api/v1/deploys/${deployId}/unlock.`;

function frozenState(siteName: string, published: NetlifyDeploy | undefined): Frozen {
  if (published?.locked) return { frozen: true, what: `Auto publishing of Netlify site ${siteName} is stopped (deploy ${published.id} is locked): new builds will not go live.`, undo: unlockHint(published.id) };
  return { frozen: false, what: `Auto publishing of Netlify site ${siteName} is on: the next production build goes live.` };
}

const info = (d: NetlifyDeploy | undefined): ReleaseInfo => ({ id: d?.id, url: d?.url, commitSha: d?.commitRef });
const describe = (d: NetlifyDeploy) => `${d.id} (${d.state}${d.commitRef ? `, commit ${d.commitRef.slice(0, 7)}` : ''}${d.createdAt ? `, created ${new Date(d.createdAt).toISOString()}` : ''})`;
const HEX_ID = /^[a-f0-9]{24}$/i;

type NetlifyFrom = { kind: 'id' | 'sha' | 'url'; value: string };

/**
 * `from` as a deploy id, or as a deployment event names it (from-ref.ts): the commit it was built
 * from, or a URL. A deploy's own URL (its permalink, https://<deploy id>--<site>.netlify.app, what
 * Netlify's deployment statuses point at) names it; any other (the site's domain) names none.
 */
function parseFrom(raw: string): NetlifyFrom {
  const v = raw.trim();
  if (HEX_ID.test(v)) return { kind: 'id', value: v.toLowerCase() };
  const host = urlHost(v);
  if (host) {
    const permalink = NETLIFY_PERMALINK.exec(host);
    return permalink ? { kind: 'id', value: permalink[1]! } : { kind: 'url', value: v };
  }
  const sha = commitSha(v);
  if (sha) return { kind: 'sha', value: sha };
  throw new RollbackKitError(`Input from must be a Netlify deploy id (24 hex characters), its URL, or the commit SHA it was built from; got "${raw}".`, 'Copy the deploy id from the deploy page URL, or give the commit SHA of the bad deploy.');
}

function compareFrom(from: NetlifyFrom, published: NetlifyDeploy): FromSays {
  if (from.kind === 'id') return from.value === published.id.toLowerCase() ? 'names-live' : 'not-live';
  return from.kind === 'sha' ? compareCommit(from.value, published.commitRef) : 'unproven';
}

/** Refuses a named deploy that is not this site's ready production deploy: publishing it would not be a rollback. */
function checkExplicitTarget(d: NetlifyDeploy, site: NetlifySite, name: string, log: Log): void {
  if (d.siteId && d.siteId !== site.id) {
    throw new RollbackKitError(`Deploy ${d.id} belongs to another site (${d.siteId}), not to ${name} (${site.id}).`, 'Check the target and site inputs: target must be a deploy of this site.');
  }
  if (!d.siteId) log.warning(`Netlify did not say which site deploy ${d.id} belongs to; going ahead because it was named explicitly.`);
  if (d.context && d.context !== 'production') {
    throw new RollbackKitError(
      `Deploy ${describe(d)} of site ${name} is a ${d.context} deploy, not a production one: publishing it would put code that never passed as production live, not roll back.`,
      'Choose a ready production deploy of this site as target (or leave target as previous).',
    );
  }
  if (d.state !== 'ready') throw new RollbackKitError(`Deploy ${describe(d)} of site ${name} is not ready, so it cannot be published.`, 'Choose a ready production deploy.');
}

/** Why an older deploy cannot be what "previous" means, or undefined when it can. */
export function skipReason(d: NetlifyDeploy, published: NetlifyDeploy): string | undefined {
  if (d.state !== 'ready') return `state ${d.state}, not ready`;
  if (d.context && d.context !== 'production') return `a ${d.context} deploy, not production`;
  if (d.commitRef && d.commitRef === published.commitRef) return 'same commit as the published deploy';
  return undefined;
}

/**
 * What the ready production deploys newer than the published one say of how it got there: one of
 * them was published before it (an earlier rollback, or a publish by hand of an older deploy; the
 * one published last is what that rollback was made from), Netlify does not say whether one was
 * ever published, or none was (built while auto publishing was stopped: no rollback's mark).
 */
type EarlierPublish = { put: 'rollback'; wasLive: NetlifyDeploy; replaced: NetlifyDeploy } | { put: 'unknown'; newer: NetlifyDeploy } | undefined;

function earlierPublish(newer: NetlifyDeploy[]): EarlierPublish {
  const replaced = newer.reduce<NetlifyDeploy | undefined>((a, d) => (typeof d.publishedAt === 'number' && (!a || d.publishedAt > (a.publishedAt as number)) ? d : a), undefined);
  if (replaced) return { put: 'rollback', wasLive: newer.find((d) => typeof d.publishedAt === 'number')!, replaced };
  const unknown = newer.find((d) => d.publishedAt === undefined);
  return unknown ? { put: 'unknown', newer: unknown } : undefined;
}

export async function promoteOnNetlify(opts: NetlifyPromoteOptions, log: Log): Promise<ProviderOutcome> {
  log.secret(opts.token);
  const siteId = opts.site.trim();
  if (!siteId) throw new RollbackKitError('Input site is required when provider is netlify.', 'Set site to the site id (Site configuration → Site details) or its name.netlify.app domain.');
  if (!/^[a-z0-9][a-z0-9.-]*$/i.test(siteId)) throw new RollbackKitError(`Input site must be a Netlify site id or domain; got "${opts.site}".`, 'Copy the site id from Site configuration → Site details.');
  const targetInput = (opts.target || 'previous').trim();
  const targetId = targetInput.toLowerCase() === 'previous' ? undefined : targetInput;
  if (targetId && !HEX_ID.test(targetId)) throw new RollbackKitError(`Input target must be a Netlify deploy id (24 hex characters); got "${targetId}".`, 'Copy the deploy id from the deploy page URL.');
  const from = opts.from?.trim() ? parseFrom(opts.from) : undefined;
  const sleep = guardedSleep(opts.stop, opts.sleep ?? realSleep);
  const now = opts.now ?? Date.now;
  const step = new StepDeadline(now, opts.timeoutSeconds, opts.timeoutInput);
  const c = netlifyClient({ token: opts.token, apiUrl: opts.apiUrl, log, retry: opts.retry, requestTimeoutMs: opts.requestTimeoutMs, sleep, deadline: step, stop: opts.stop });
  const ctx = (doing: string, deploy?: string): PlatformErrorContext => ({
    doing,
    tokenInput: 'netlify-token',
    notFound: deploy ? `Deploy ${deploy} of site ${siteId}` : `Site ${siteId}`,
    notFoundHint: deploy ? 'Check the target/from input: a deploy id of this site.' : 'Check the site input (site id or name.netlify.app) and that the token belongs to a member of its team.',
    statusPage: 'https://www.netlifystatus.com',
  });

  const site: NetlifySite = await calling(ctx(`looking up site ${siteId}`), () => getSite(c, siteId));
  const name = site.name ?? site.id;
  const published = site.published;
  if (!published) throw new RollbackKitError(`Site ${name} has no published deploy, so there is nothing to roll back.`, 'Check the site input.');
  log.info(`Netlify site ${name} publishes ${describe(published)}${published.locked ? ' (locked)' : ''}.`);
  const base = { skipped: [] as SkippedRelease[], frozen: frozenState(name, published) };

  // When the goal state is already reached (an earlier run restored but could not lock, or the
  // target is simply published), finish the freeze rather than report a site that still publishes.
  // The cascade guard does too (`guard`): locking changes nothing that serves and is undone with one
  // click, while a rollback left unlocked lets the next production build publish over it unchecked,
  // so an earlier rollback that failed half-way is finished, never walked further back.
  const alreadyCurrent = async (rolledBackFrom: string | undefined, note: string, guard = false): Promise<ProviderOutcome> => {
    if (guard) log.warning(note);
    else log.info(note);
    const put = guard ? { putThereByRollback: true } : {};
    if (published.locked) return { ...base, status: 'already-current', from: info(published), to: info(published), notes: [note], rolledBackFrom, ...put };
    if (opts.dryRun) {
      const unfinished = `lock deploy ${published.id}, so that new builds stop publishing over it`;
      return { ...base, status: 'already-current', from: info(published), to: info(published), notes: [note, `Dry run: it is not locked; a real run would ${unfinished}.`], rolledBackFrom, unfinished, ...put };
    }
    const locked = await calling(ctx(`locking deploy ${published.id}`), () => lockDeploy(c, published.id)).catch((err: unknown) => {
      throw new RollbackKitError(
        `${note} Deploy ${published.id} is not locked, and locking it failed, so the next production build will publish over it: ${(err as RollbackKitError).message}`,
        'Stop auto publishing now: Netlify → the site → Deploys → "Stop auto publishing", or re-run the step (it locks the published deploy).',
      );
    });
    const frozen = frozenState(name, { ...published, locked: locked.locked ?? true });
    log.warning(`${frozen.what} ${frozen.undo ?? ''}`.trim());
    return { ...base, frozen, status: 'already-current', from: info(published), to: info(published), notes: [note, `${frozen.what} ${frozen.undo ?? ''}`.trim()], rolledBackFrom, ...put };
  };

  const fromSays = from && compareFrom(from, published);
  if (fromSays === 'unproven') {
    warnUnproven(log, opts.from!, from!.kind === 'url' ? "is a URL that names no deploy (a deploy's own URL begins with its id)" : `is a commit, and the published deploy ${published.id} records none`);
  }
  const fromNamesPublished = fromSays === 'names-live';
  if (from && fromSays === 'not-live') {
    const note = `Site ${name} no longer publishes ${from.kind === 'sha' ? `commit ${from.value}` : from.value}; it publishes ${describe(published)}. Nothing to do.`;
    log.info(note);
    return { ...base, status: 'already-current', from: info(published), to: info(published), notes: [note] };
  }

  // One walk over the ready production deploys, newest first: those above the published one (newer,
  // not serving), then, for "previous", the older ones until the first fit. An explicit target needs
  // the walk only for an automatic run, and only as far as the published deploy.
  let target: NetlifyDeploy | undefined;
  const skipped: SkippedRelease[] = [];
  const newer: NetlifyDeploy[] = [];
  let seen = 0;
  if (!targetId || opts.automatic) {
    let below = false;
    await calling(ctx(`listing the ready production deploys of site ${name}`), async () => {
      for await (const page of readyProductionDeploys(c, site.id, listingBound(step, `the ready production deploys of site ${name}`))) {
        for (const d of page) {
          if (d.id === published.id) {
            below = true;
            if (targetId) return;
            continue;
          }
          if (!below) {
            if (d.createdAt > published.createdAt) newer.push(d);
            continue;
          }
          seen++;
          const reason = skipReason(d, published);
          if (!reason) {
            target = d;
            return;
          }
          skipped.push({ id: d.id, reason });
        }
      }
    });
  }
  const earlier = earlierPublish(newer);

  // The rollback cascade (vercel/rollback.ts): the deploy a rollback published failing its checks
  // for an outage that is not the deploy's must not start another restore, release by release. A
  // person may go further back: from naming the published deploy, or a target.
  if (opts.automatic && earlier?.put === 'rollback') {
    const { wasLive, replaced } = earlier;
    const how = `${wasLive.id}, newer, was published before it${replaced.id !== wasLive.id ? ` (${replaced.id} last)` : ''}, so an earlier rollback put it back`;
    return alreadyCurrent(replaced.id, notPutBackAgain(published.id, how, "Netlify's status page", { fromNamesIt: fromNamesPublished }), true);
  }
  if (opts.automatic && earlier?.put === 'unknown') {
    // Not knowing must not let an event walk production back: stop, and leave it to a person.
    throw new RollbackKitError(
      `Site ${name} publishes ${published.id} although ${earlier.newer.id} is newer and ready, and Netlify does not say whether that one was ever published, so this automatic run cannot tell whether an earlier rollback put ${published.id} there; rolling back from a rollback would walk production back release by release. Nothing was changed.`,
      `Check the site's deploys in the Netlify dashboard. If ${published.id} is the bad deploy, run the rollback by hand with from: ${published.id}; if a rollback put it there, the outage is likely not the deploy's: check the database, third-party services and Netlify's status page.`,
    );
  }

  if (targetId) {
    if (targetId === published.id) {
      return alreadyCurrent(undefined, `${describe(published)} is already published. Nothing to restore.`);
    }
    target = await calling(ctx('looking up the target deploy', targetId), () => getDeploy(c, targetId));
    checkExplicitTarget(target, site, name, log);
  } else {
    // A from naming the published deploy says it is bad: nothing in the list can overrule that.
    if (!fromNamesPublished && earlier?.put === 'rollback') {
      return alreadyCurrent(earlier.replaced.id,
        `Site ${name} publishes ${published.id} although ${earlier.wasLive.id}, newer, was published before it: an earlier rollback has already put it back. Nothing to restore; to go further back, name the deploy in target or set from to ${published.id}.`,
      );
    }
    if (!fromNamesPublished && earlier?.put === 'unknown') {
      throw new RollbackKitError(
        `Site ${name} publishes ${published.id} although ${earlier.newer.id} is newer and ready, and Netlify does not say whether that one was ever published: ${published.id} may be there because of an earlier rollback, or because auto publishing was stopped before the newer deploys. Nothing was changed.`,
        `If ${published.id} is the bad deploy, set from to ${published.id}: the step then rolls back from it. Or name the deploy to return to in target.`,
      );
    }
    if (!fromNamesPublished && newer.length) log.info(`${newer.length} newer ready deploy(s) were never published (auto publishing was stopped before them): not the mark of an earlier rollback.`);
    if (!target) {
      throw new RollbackKitError(
        `No earlier ready production deploy of site ${name} can take over from ${published.id}: ${seen} older one(s) read, none with other code.${describeSkipped(skipped)}`,
        'Name the deploy to return to in target, or use provider git-revert to build the previous code again.',
      );
    }
  }
  const to: NetlifyDeploy = target;

  const plan = [
    `Plan: restore Netlify site ${name}`,
    `  from ${describe(published)}`,
    `  to   ${describe(to)}`,
    ...skipped.map((s) => `  skipped ${s.id}: ${s.reason}`),
    '  then lock it so new builds stop publishing',
  ];
  logPlan(log, plan, { from: info(published).id, to: info(to).id }, opts.planLogged);
  if (opts.dryRun) {
    return { ...base, status: 'dry-run', from: info(published), to: info(to), skipped, notes: [`Dry run: nothing was changed. A real run would restore ${to.id} and lock it.`] };
  }

  const requestedAt = now();
  const deadline = step.restart();
  await calling(ctx('restoring the deploy', to.id), () => restore(c, site.id, to.id));
  log.info(`Netlify accepted the restore of ${to.id}; waiting for the site to publish it.`);
  for (;;) {
    const s = await calling(ctx(`checking what site ${name} publishes`), () => getSite(c, site.id));
    if (s.published?.id === to.id) break;
    if (now() >= deadline) {
      throw new RollbackKitError(
        `Site ${name} did not publish ${to.id} within ${opts.timeoutSeconds} s of the restore; it publishes ${s.published?.id ?? 'nothing'}.`,
        // Locking comes after the publish, so a build pushed meanwhile could still go live.
        `Nothing is locked yet. Check the site in the Netlify dashboard (Deploys), then re-run the step with target ${to.id}: it waits for the publish again and locks it.`,
      );
    }
    await sleep(nextPoll(opts.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS, deadline, now()));
  }
  const restored = `Site ${name} now publishes ${describe(to)} (restored from ${published.id} in ${((now() - requestedAt) / 1000).toFixed(1)} s).`;
  log.info(restored);

  const locked = await calling(ctx(`locking deploy ${to.id}`), () => lockDeploy(c, to.id)).catch((err: unknown) => {
    const e = err as RollbackKitError;
    throw new RollbackKitError(
      `${restored} But locking it failed, so the next production build will publish over it: ${e.message}`,
      `Stop auto publishing now: Netlify → the site → Deploys → "Stop auto publishing", or re-run the step (it locks the published deploy).`,
    );
  });
  const frozen = frozenState(name, { ...to, locked: locked.locked ?? true });
  log.warning(`${frozen.what} ${frozen.undo ?? ''}`.trim());
  return { status: 'rolled-back', from: info(published), to: info(to), skipped, frozen, notes: [restored, `${frozen.what}${frozen.undo ? ` ${frozen.undo}` : ''}`] };
}
