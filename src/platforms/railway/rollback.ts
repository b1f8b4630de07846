/**
 * Puts an earlier Railway deployment of a service back: find the live deployment, choose the
 * target (the newest older deployment Railway allows a rollback to), ask for `deploymentRollback`,
 * then poll the service's latest deployment until it is SUCCESS. Safe to repeat: a `from` that is no
 * longer live, a target that already is, or a live deployment that already runs the code of one below
 * the target (an earlier rollback, to "previous" or to a named deployment) is reported as already-current and nothing is changed. A rollback is a
 * new deployment copying the target's meta (commit, image), so a copy is known only by that code:
 * when neither the live deployment nor the one it could be a copy of carries any, and `from` does
 * not name the live deployment, the step refuses rather than risk putting the bad release back. An
 * explicit target that the live deployment is already a copy of (same code, made after it, a
 * release of other code between them) is already-current too: a re-run of the same request does
 * not make another copy. A run started by a deployment event never rolls back from a live
 * deployment that is an earlier rollback's copy, whatever from and target say, and, when it cannot
 * tell (no code on either side), changes nothing and fails (the rollback cascade: notPutBackAgain).
 */
import { RollbackKitError } from '../../core/errors.js';
import type { Log } from '../../core/log.js';
import { guardedSleep } from '../change-guard.js';
import { sleep as realSleep } from '../http/client.js';
import { calling, type PlatformErrorContext } from '../http/errors.js';
import { describeSkipped, logPlan, nextPoll, notPutBackAgain, type Frozen, type ProviderOutcome, type ReleaseInfo, type SkippedRelease, type ProviderRunOptions } from '../outcome.js';
import { deployments, getDeployment, latestDeployment, rollback, type ServiceRef } from './api.js';
import { RAILWAY_API_URL, RailwayClient, type RailwayTokenKind } from './client.js';
import { codeOf, describeDeployment, type RailwayDeployment } from './model.js';
import { listingBound } from '../listing.js';
import { StepDeadline } from '../http/deadline.js';

export interface RailwayPromoteOptions extends ProviderRunOptions {
  token: string;
  tokenKind?: RailwayTokenKind;
  /** The GraphQL endpoint; Railway's own unless a proxy or test server stands in. */
  apiUrl?: string;
  /** Project, environment and service ids (as in the dashboard URL). */
  project: string;
  environment: string;
  service: string;
  /** "previous" or a deployment id. */
  target: string;
  /** The deployment believed bad (its id, or the commit SHA it was built from): when it no longer is live, nothing is done. */
  from?: string;
}

export const DEFAULT_POLL_INTERVAL_MS = 2000;

/** A deployment in one of these has replaced its predecessor (CRASHED did, then died). */
const TOOK_OVER = new Set(['SUCCESS', 'SLEEPING', 'CRASHED']);
const FAILED = new Set(['FAILED', 'CRASHED']);
const IN_FLIGHT = new Set(['BUILDING', 'DEPLOYING', 'INITIALIZING', 'QUEUED', 'WAITING', 'NEEDS_APPROVAL']);

export const RAILWAY_NOTHING_FROZEN: Frozen = {
  frozen: false,
  what: 'Railway has nothing to freeze: the next push or `railway up` to this service deploys and goes live as usual, so hold merges to the deploy branch until the fix is ready.',
};

const ID = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

function checkId(value: string, input: string, what: string): string {
  const v = value.trim();
  if (!v) throw new RollbackKitError(`Input ${input} is required when provider is railway.`, `Set ${input} to the ${what} id (from the Railway dashboard URL or \`railway status --json\`).`);
  if (!ID.test(v)) throw new RollbackKitError(`Input ${input} must be a Railway ${what} id; got "${value}".`, `Copy the ${what} id from the Railway dashboard URL.`);
  return v;
}

/** A commit SHA, full or abbreviated: Railway's deployment ids are UUIDs, never hex alone. */
const COMMIT = /^[0-9a-f]{7,40}$/i;

/**
 * `from` names the bad deployment by its id or by the commit it was built from (what a deploy
 * workflow knows: auto-rollback.yml's workflow_run trigger passes the run's head SHA). Anything
 * else cannot name a Railway deployment, and comparing it would only ever say "no longer live".
 */
function parseFrom(raw: string): { kind: 'commit' | 'id'; value: string } {
  const v = raw.trim();
  if (COMMIT.test(v)) return { kind: 'commit', value: v.toLowerCase() };
  if (ID.test(v)) return { kind: 'id', value: v };
  throw new RollbackKitError(`Input from must be a Railway deployment id or the commit SHA it was built from; got "${raw}".`, 'Copy the deployment id from the Railway dashboard, or give the commit SHA of the bad deploy.');
}

/**
 * What `from` says about the live deployment: it names it (by id, or by the commit it carries), it
 * names another one (production has moved off it), or nothing, when it is a SHA and the live
 * deployment carries no commit (an image, or `railway up`). As on Vercel, an unproven from counts as
 * no from: it neither ends the run nor vouches for the live deployment when its code cannot.
 */
function compareFrom(from: { kind: 'commit' | 'id'; value: string }, live: RailwayDeployment): 'names-live' | 'not-live' | 'unproven' {
  if (from.kind === 'id') return from.value === live.id ? 'names-live' : 'not-live';
  if (!live.commitHash) return 'unproven';
  return live.commitHash.toLowerCase().startsWith(from.value) ? 'names-live' : 'not-live';
}

/**
 * Whether the live deployment could be an earlier rollback's copy of `older` (one older than the
 * release "previous" would pick, so a release of other code lies between them). A copy carries its
 * source's commit and image, so equal code says yes and code on one side only says no; with no code
 * on either side nothing can be told.
 */
export function copyOf(live: RailwayDeployment, older: RailwayDeployment | undefined): 'yes' | 'no' | 'unknown' {
  if (!older) return 'no';
  const [a, b] = [codeOf(live), codeOf(older)];
  if (a && b) return a === b ? 'yes' : 'no';
  return a || b ? 'no' : 'unknown';
}

/** `live` is a copy of `target` (a rollback to it, or a redeploy of its code): newer, with the same commit or image. Without code nothing can be told. */
export function madeFrom(live: RailwayDeployment, target: RailwayDeployment): boolean {
  const code = codeOf(live);
  return !!code && code === codeOf(target) && live.createdAt > target.createdAt;
}

const info = (d: RailwayDeployment | undefined): ReleaseInfo => ({ id: d?.id, url: d?.url, commitSha: d?.commitHash, image: d?.image });

/** Why an older deployment cannot be what "previous" means, or undefined when it can. */
export function skipReason(d: RailwayDeployment, live: RailwayDeployment): string | undefined {
  if (FAILED.has(d.status)) return `status ${d.status}: it never served well`;
  if (d.canRollback === false) return `Railway does not allow a rollback to it (status ${d.status}; past the plan's retention or never deployed)`;
  if (d.canRollback === undefined && d.status !== 'REMOVED') return `status ${d.status}: it never served`;
  const code = codeOf(d);
  if (code && code === codeOf(live)) return 'same code as the live deployment';
  return undefined;
}

/** The next older deployment, newest first. */
type Reader = () => Promise<IteratorResult<RailwayDeployment>>;

/** What "previous" means from the live deployment, and whether the live one is an earlier rollback's copy. */
interface Previous {
  /** The newest older deployment Railway allows a rollback to with other code. */
  target?: RailwayDeployment;
  skipped: SkippedRelease[];
  seen: number;
  /** yes: the live deployment runs the code of `source`, older than `target`; unknown: neither carries code. */
  copy: 'yes' | 'no' | 'unknown';
  /** The deployment the live one is (or, unknown, may be) a copy of. */
  source?: RailwayDeployment;
  /** The release right below `target`, the first that did not fail: the source of a rollback to "previous". */
  below?: RailwayDeployment;
}

/**
 * What "previous" means from the live deployment: the newest older one Railway allows a rollback
 * to with other code (with those passed over and why). Then whether the live deployment is a copy
 * an earlier rollback made: a rollback to "previous" copies the release right below that target, a
 * rollback to a named target any older one, so every older deployment that did not fail is compared
 * until one has the live deployment's code (or, when the live one has none, none either: then it
 * cannot be told). Reads only as far as it must: to the end of the list when the live deployment is
 * no copy.
 */
async function previousOf(read: Reader, live: RailwayDeployment): Promise<Previous> {
  const skipped: SkippedRelease[] = [];
  let seen = 0;
  let target: RailwayDeployment | undefined;
  for (let r = await read(); !r.done; r = await read()) {
    seen++;
    const reason = skipReason(r.value, live);
    if (!reason) {
      target = r.value;
      break;
    }
    skipped.push({ id: r.value.id, reason });
  }
  if (!target) return { skipped, seen, copy: 'no' };
  let below: RailwayDeployment | undefined;
  for (let r = await read(); !r.done; r = await read()) {
    if (FAILED.has(r.value.status)) continue;
    below ??= r.value;
    const copy = copyOf(live, r.value);
    if (copy !== 'no') return { target, skipped, seen, copy, source: r.value, below };
  }
  return { target, skipped, seen, copy: 'no', below };
}

export async function promoteOnRailway(opts: RailwayPromoteOptions, log: Log): Promise<ProviderOutcome> {
  log.secret(opts.token);
  // Every input is checked before the first request, so a typo never half-runs anything.
  const ref: ServiceRef = { projectId: checkId(opts.project, 'project', 'project'), environmentId: checkId(opts.environment, 'environment', 'environment'), serviceId: checkId(opts.service, 'service', 'service') };
  const targetInput = (opts.target || 'previous').trim();
  const targetId = targetInput.toLowerCase() === 'previous' ? undefined : checkId(targetInput, 'target', 'deployment');
  const from = opts.from?.trim() ? parseFrom(opts.from) : undefined;
  const sleep = guardedSleep(opts.stop, opts.sleep ?? realSleep);
  const now = opts.now ?? Date.now;
  const step = new StepDeadline(now, opts.timeoutSeconds, opts.timeoutInput);
  const client = new RailwayClient({ token: opts.token, tokenKind: opts.tokenKind, apiUrl: opts.apiUrl || RAILWAY_API_URL, log, retry: opts.retry, requestTimeoutMs: opts.requestTimeoutMs, sleep, deadline: step, stop: opts.stop });
  const where = `service ${ref.serviceId} in environment ${ref.environmentId} of project ${ref.projectId}`;
  const ctx = (doing: string, deployment?: string): PlatformErrorContext => ({
    doing,
    tokenInput: 'railway-token',
    notFound: deployment ? `Deployment ${deployment} of ${where}` : `The ${where}`,
    notFoundHint: deployment ? 'Check the target/from input: a deployment id of this service.' : 'Check the project, environment and service inputs (ids), and that the token belongs to that project or workspace.',
    statusPage: 'https://status.railway.com',
  });
  const base = { skipped: [] as SkippedRelease[], frozen: RAILWAY_NOTHING_FROZEN };

  // One walk over the listing, newest first: what is newer than the live one, the live one, then
  // the older ones until the first fit and the one below it.
  const listing = deployments(client, ref, listingBound(step, `the deployments of ${where}`));
  const walk = async function* (): AsyncGenerator<RailwayDeployment> {
    for await (const page of listing) yield* page;
  };
  const it = walk();
  const next = () => calling(ctx(`listing the deployments of ${where}`), () => it.next());
  // The deployments older than the live one, each read once, then replayed: the search for
  // "previous" and an explicit target's check each read them from the live one down.
  const older: RailwayDeployment[] = [];
  const olderReader = (): Reader => {
    let i = 0;
    return async () => {
      if (i < older.length) return { done: false, value: older[i++]! };
      const r = await next();
      if (!r.done) {
        older.push(r.value);
        i++;
      }
      return r;
    };
  };
  let live: RailwayDeployment | undefined;
  let newest: RailwayDeployment | undefined;
  const newer: RailwayDeployment[] = [];
  for (let r = await next(); !r.done; r = await next()) {
    newest ??= r.value;
    if (TOOK_OVER.has(r.value.status)) {
      live = r.value;
      break;
    }
    newer.push(r.value);
  }
  if (!live) {
    throw new RollbackKitError(`The ${where} has no live deployment (${newer.length} deployment(s) listed, none SUCCESS), so there is nothing to roll back.`, 'Check the project, environment and service inputs.');
  }
  log.info(`Railway ${where} serves ${describeDeployment(live)}${live.status === 'CRASHED' ? ' — it has crashed' : ''}.`);
  for (const d of newer) if (IN_FLIGHT.has(d.status)) log.warning(`A newer deployment ${describeDeployment(d)} is in progress: when it finishes it replaces whatever this step puts back. Cancel it in the Railway dashboard if it carries the bad code.`);

  const fromSays = from ? compareFrom(from, live) : undefined;
  if (fromSays === 'unproven') {
    log.warning(`The live deployment ${live.id} carries no commit SHA, so from (${from!.value}) cannot be compared with it: it counts as no from.`);
  }
  if (from && fromSays === 'not-live') {
    const note = `The ${where} no longer serves ${from.kind === 'commit' ? `commit ${from.value}` : from.value}; it serves ${describeDeployment(live)}. Nothing to do.`;
    log.info(note);
    return { ...base, status: 'already-current', from: info(live), to: info(live), notes: [note] };
  }

  const skipped: SkippedRelease[] = newer.map((d) => ({ id: d.id, reason: `newer than the live deployment, status ${d.status}` }));
  // "previous", and the releases below it: a live deployment with the code of one of them is an
  // earlier rollback's copy (a rollback is a new deployment carrying its source's code).
  const previous = !targetId || opts.automatic ? await previousOf(olderReader(), live) : undefined;
  const copy = previous?.copy ?? 'no';
  // What the copy is of, as the notes name it: the release below "previous", or an older one a rollback named.
  const copied = (source: RailwayDeployment) => `${source.id}, ${source === previous?.below ? 'the release before' : 'older than'} ${previous!.target!.id}`;

  // The rollback cascade (vercel/rollback.ts): the copy an earlier rollback made failing its checks
  // for an outage that is not the deploy's must not start another rollback, release by release. A
  // person may go further back with a target ("previous" from the copy is the release rolled back from).
  if (opts.automatic && copy === 'yes') {
    const how = `it runs the same ${live.commitHash ? `commit ${live.commitHash.slice(0, 7)}` : `image ${live.image}`} as ${copied(previous!.source!)}, and was made after both: an earlier rollback put it back`;
    const note = notPutBackAgain(live.id, how, "Railway's status page", { fromGoesFurther: false, fromNamesIt: fromSays === 'names-live' });
    log.warning(note);
    return { ...base, status: 'already-current', from: info(live), to: info(live), notes: [note], rolledBackFrom: previous!.target!.id, putThereByRollback: true };
  }
  if (opts.automatic && copy === 'unknown') {
    // Not knowing must not let an event walk production back. Not even a from naming the live
    // deployment settles it here: the event of a rollback's copy names the copy.
    throw new RollbackKitError(
      `Railway cannot tell whether the live deployment ${live.id} is the bad release or a copy of ${previous!.source!.id} made by an earlier rollback: neither carries a commit or an image (a \`railway up\` upload records none). This run was started by a deployment event, and rolling back from a rollback's copy would walk production back release by release, so nothing was changed.`,
      `Check ${live.id} in the Railway dashboard. If it is the bad deployment itself, run the rollback by hand with from: ${live.id} (its deployment id); if a rollback made it, the outage is likely not the deploy's: check the database, third-party services and Railway's status page.`,
    );
  }

  let target: RailwayDeployment | undefined;
  if (targetId) {
    if (targetId === live.id) {
      const note = `${describeDeployment(live)} is already live. Nothing to do.`;
      log.info(note);
      return { ...base, status: 'already-current', from: info(live), to: info(live), notes: [note] };
    }
    const found = await calling(ctx('looking up the target deployment', targetId), () => getDeployment(client, targetId));
    if ((found.serviceId && found.serviceId !== ref.serviceId) || (found.environmentId && found.environmentId !== ref.environmentId)) {
      throw new RollbackKitError(`Deployment ${found.id} belongs to another service or environment, not to the ${where}.`, 'Check the target, service and environment inputs.');
    }
    // A rollback is a new deployment carrying its source's code: a live deployment made after the
    // target with the target's code is that target put back, by an earlier run of this same request.
    // Asking again would only make another copy. A from naming the live deployment says it is bad
    // all the same (a variables-only change keeps the code): then the rollback goes ahead. So does
    // one with no other code between the target and the live deployment: Railway redeploys the same
    // commit when variables change, and with nothing else served between them the live one is that
    // redeploy, not a rollback's copy (which replaced a release of other code). Going ahead when in
    // doubt only copies the target again; stopping would leave a bad release serving.
    const otherCodeBetween = async (): Promise<boolean> => {
      const read = olderReader();
      for (let r = await read(); !r.done; r = await read()) {
        if (r.value.id === found.id || r.value.createdAt <= found.createdAt) return false;
        const code = codeOf(r.value);
        if (code && code !== codeOf(found)) return true;
      }
      return false;
    };
    if (fromSays !== 'names-live' && madeFrom(live, found) && (await otherCodeBetween())) {
      const note = `The ${where} already serves ${describeDeployment(live)}, made after ${found.id} with the same ${live.commitHash ? 'commit' : 'image'}: an earlier rollback has put the target back. Nothing to do; if the live deployment is bad all the same (its variables changed), run again with from: ${live.id}.`;
      log.info(note);
      return { ...base, status: 'already-current', from: info(live), to: info(live), notes: [note] };
    }
    if (FAILED.has(found.status) || found.canRollback === false) {
      throw new RollbackKitError(
        `Railway cannot roll the ${where} back to ${describeDeployment(found)}: ${FAILED.has(found.status) ? `it is ${found.status}` : 'canRollback is false (past the plan\'s retention, or it never deployed)'}.`,
        'Choose a deployment the dashboard offers to roll back to, or leave target as previous.',
      );
    }
    target = found;
  } else {
    target = previous!.target;
    skipped.push(...previous!.skipped);
    if (!target) {
      throw new RollbackKitError(
        `No earlier deployment of the ${where} can take over from ${live.id}: ${previous!.seen} older deployment(s) checked, none that Railway allows a rollback to with other code.${describeSkipped(skipped)}`,
        'Name the deployment to return to in target, or use provider git-revert to build the previous code again.',
      );
    }
    // A rollback leaves the live deployment running the code of a release below the bad one (the one
    // right below for "previous", any for a named target). A second "previous" would then pick the
    // bad release again: stop, and ask for an explicit target.
    // This holds even for a from naming the live deployment: "previous" goes by creation order, so
    // past a rollback's copy it would find the release rolled back from, not an older one.
    const source = previous!.source;
    if (copy === 'yes') {
      const note = `The live deployment ${live.id} runs the same code as ${copied(source!)}: an earlier rollback has already put it back. Nothing to do; to go elsewhere, name the deployment in target.`;
      log.info(note);
      // "previous" found the deployment the copy replaced: the rollback was made from it.
      return { ...base, status: 'already-current', from: info(live), to: info(live), skipped, notes: [note], rolledBackFrom: target.id };
    }
    // Without code on either side only a from naming the live deployment by itself (its id, or a
    // commit it carries) says it is the bad release and not an earlier rollback's copy.
    if (copy === 'unknown' && fromSays !== 'names-live') {
      throw new RollbackKitError(
        `Railway cannot tell whether the live deployment ${live.id} is the bad release or a copy of ${source!.id} made by an earlier rollback: neither carries a commit or an image (a \`railway up\` upload records none), and ${from ? `from (${from.value}) is a commit SHA that cannot be compared with it` : 'no from names the bad release'}. If it is such a copy, "previous" (${target.id}) is the release that rollback replaced, so nothing was changed.`,
        `Check ${live.id} in the Railway dashboard. If it is the bad deployment itself, not a rollback, run again with from: ${live.id} (its deployment id); if it is a rollback, nothing needs doing. To put a given deployment back, name it in target (target: <deployment id>).`,
      );
    }
  }

  const plan = [`Plan: roll back the ${where}`, `  from ${describeDeployment(live)}`, `  to   ${describeDeployment(target)}`, ...skipped.map((s) => `  skipped ${s.id}: ${s.reason}`)];
  logPlan(log, plan, { from: info(live).id, to: info(target).id }, opts.planLogged);
  if (opts.dryRun) {
    return { ...base, status: 'dry-run', from: info(live), to: info(target), skipped, notes: [`Dry run: nothing was changed. A real run would roll back to ${target.id}.`] };
  }

  const requestedAt = now();
  const deadline = step.restart();
  const accepted = await calling(ctx('requesting the rollback', target.id), () => rollback(client, target.id));
  if (!accepted) {
    throw new RollbackKitError(`Railway did not accept the rollback of the ${where} to ${target.id} (deploymentRollback returned false).`, 'Check the deployment in the Railway dashboard; re-running the step is safe.');
  }
  log.info(`Railway accepted the rollback to ${target.id}; waiting for the new deployment to be SUCCESS.`);

  const before = newest?.id;
  let last = 'not started yet';
  let started: string | undefined;
  for (;;) {
    const latest = await calling(ctx('checking the rollback'), () => latestDeployment(client, ref));
    const ours = latest && (latest.id !== before || latest.id === target.id);
    if (ours) started = latest.id;
    if (ours && latest.status !== last) {
      log.info(`Railway deployment ${latest.id}: ${latest.status}.`);
      last = latest.status;
    }
    if (ours && latest.status === 'SUCCESS') {
      const note = `The ${where} now serves deployment ${latest.id}, a rollback to ${target.id} (from ${live.id} in ${((now() - requestedAt) / 1000).toFixed(1)} s).`;
      log.info(note);
      return { ...base, status: 'rolled-back', from: info(live), to: info(target), skipped, notes: [note, RAILWAY_NOTHING_FROZEN.what] };
    }
    if (ours && (FAILED.has(latest.status) || latest.status === 'REMOVED' || latest.status === 'REMOVING' || latest.status === 'SKIPPED')) {
      throw new RollbackKitError(
        `The rollback of the ${where} to ${target.id} failed: Railway deployment ${latest.id} is ${latest.status}.`,
        `Read the deployment's logs in the Railway dashboard (deployment ${latest.id}); the service may be down. Re-run the step with target ${target.id}, or pick another target.`,
      );
    }
    if (now() >= deadline) {
      // Railway keeps the old deployment serving until the new one is healthy, so say which is which:
      // a second rollback requested now would only queue behind this one.
      if (!started) {
        throw new RollbackKitError(
          `The rollback of the ${where} to ${target.id} did not finish within ${opts.timeoutSeconds} s: Railway accepted it but has not started a new deployment yet; ${live.id} still serves.`,
          `Watch the service in the Railway dashboard; do not request another rollback while it is queued. If nothing starts, re-run the step with target ${target.id} and a larger timeout-seconds.`,
        );
      }
      throw new RollbackKitError(
        `The rollback of the ${where} to ${target.id} did not finish within ${opts.timeoutSeconds} s: Railway deployment ${started} is ${last}; ${live.id} serves until it is SUCCESS.`,
        `Watch deployment ${started} in the Railway dashboard and do not request another rollback while it deploys. If it ends FAILED or CRASHED, re-run the step with target ${target.id} and a larger timeout-seconds.`,
      );
    }
    await sleep(nextPoll(opts.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS, deadline, now()));
  }
}
