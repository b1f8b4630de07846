/**
 * Puts the previous live deploy of a Render service back: find the live deploy, choose the newest
 * older deploy that was live before (deactivated), turn auto-deploy off (an API rollback leaves it
 * on, so the next push would re-ship the bad code), ask Render to roll back, and poll the new deploy
 * until it is live. Safe to repeat: a `from` that is no longer live, a target that is, or a live
 * deploy that is itself a rollback (of the named target, when one is named) is reported as
 * already-current and nothing is changed. A run started by a deployment event never rolls back
 * from a live rollback deploy, whatever the target (the rollback cascade: notPutBackAgain).
 */
import { errorFacts, RollbackKitError } from '../../core/errors.js';
import type { Log } from '../../core/log.js';
import type { HttpClient } from '../http/client.js';
import { guardedSleep } from '../change-guard.js';
import { sleep as realSleep } from '../http/client.js';
import { calling, type PlatformErrorContext } from '../http/errors.js';
import { describeSkipped, logPlan, nextPoll, notPutBackAgain, type Frozen, type ProviderOutcome, type ReleaseInfo, type SkippedRelease, type ProviderRunOptions } from '../outcome.js';
import { deploys, getDeploy, getService, renderClient, rollback, setAutoDeploy, type RenderDeploy, type RenderService } from './api.js';
import { listingBound } from '../listing.js';
import { StepDeadline } from '../http/deadline.js';
import { commitSha, compareCommit, urlHost, warnUnproven, type FromSays } from '../from-ref.js';

export interface RenderPromoteOptions extends ProviderRunOptions {
  token: string;
  apiUrl?: string;
  /** Service id (srv-…). */
  service: string;
  /** "previous" or a deploy id (dep-…). */
  target: string;
}

export const DEFAULT_POLL_INTERVAL_MS = 3000;
const FAILED = new Set(['build_failed', 'update_failed', 'pre_deploy_failed', 'canceled', 'deactivated']);
const NEVER_LIVE = new Set(['build_failed', 'update_failed', 'pre_deploy_failed', 'canceled', 'created', 'build_in_progress', 'update_in_progress', 'pre_deploy_in_progress']);

const undoHint = (serviceId: string) =>
  `When the fix is ready, turn auto-deploy back on: Render dashboard → the service → Settings → Auto-Deploy: Yes, or PATCH /v1/services/${serviceId} with {"autoDeploy":"yes"}.`;

function frozenState(service: RenderService, changedNow: boolean): Frozen {
  if (service.autoDeploy === 'no') {
    return { frozen: true, what: `Auto-deploy of Render service ${service.name ?? service.id} is off${changedNow ? '' : ' (it already was)'}: new pushes will not deploy.`, undo: undoHint(service.id) };
  }
  return { frozen: false, what: `Auto-deploy of Render service ${service.name ?? service.id} is ${service.autoDeploy ?? 'in an unknown state'}: the next push deploys.` };
}

const info = (d: RenderDeploy | undefined): ReleaseInfo => ({ id: d?.id, commitSha: d?.commitId, image: d?.image });
const describe = (d: RenderDeploy) => `${d.id} (${d.status}${d.trigger ? `, trigger ${d.trigger}` : ''}${d.commitId ? `, commit ${d.commitId.slice(0, 7)}` : ''})`;

function checkId(value: string, input: string, prefix: string, what: string): string {
  const v = value.trim();
  if (!v) throw new RollbackKitError(`Input ${input} is required when provider is render.`, `Set ${input} to the ${what} id (${prefix}-…), shown in the Render dashboard URL.`);
  if (!new RegExp(`^${prefix}-[a-z0-9]+$`, 'i').test(v)) throw new RollbackKitError(`Input ${input} must be a Render ${what} id (${prefix}-…); got "${value}".`, `Copy the ${what} id from the Render dashboard.`);
  return v;
}

type RenderFrom = { kind: 'id' | 'sha' | 'url'; value: string };

/**
 * `from` as a deploy id, or as a deployment event names it (from-ref.ts): the commit it was built
 * from, or a URL, which on Render is the service's own and so names no deploy.
 */
function parseFrom(raw: string): RenderFrom {
  const v = raw.trim();
  if (/^dep-[a-z0-9]+$/i.test(v)) return { kind: 'id', value: v };
  const sha = commitSha(v);
  if (sha) return { kind: 'sha', value: sha };
  if (urlHost(v)) return { kind: 'url', value: v };
  throw new RollbackKitError(`Input from must be a Render deploy id (dep-…), the commit SHA it was built from, or a URL; got "${raw}".`, 'Copy the deploy id from the Render dashboard, or give the commit SHA of the bad deploy.');
}

function compareFrom(from: RenderFrom, live: RenderDeploy): FromSays {
  if (from.kind === 'id') return from.value === live.id ? 'names-live' : 'not-live';
  return from.kind === 'sha' ? compareCommit(from.value, live.commitId) : 'unproven';
}

/** The same code: the same image when either has one, else the same commit; nothing known is not the same. */
export function sameCode(a: RenderDeploy, b: RenderDeploy): boolean {
  if (a.image || b.image) return a.image === b.image;
  return !!a.commitId && a.commitId === b.commitId;
}

/** Why an older deploy cannot be what "previous" means, or undefined when it can. */
export function skipReason(d: RenderDeploy, live: RenderDeploy): string | undefined {
  if (NEVER_LIVE.has(d.status)) return `status ${d.status}: it never went live`;
  if (d.status !== 'deactivated') return `status ${d.status}`;
  if (d.commitId && d.commitId === live.commitId && !d.image) return 'same commit as the live deploy';
  return undefined;
}

/**
 * The deploy a live rollback deploy replaced: the newest older one that was live (deactivated).
 * Render names no source on a rollback deploy, so this is what the rollback was made from.
 */
const replacedDeploy = (all: RenderDeploy[], live: RenderDeploy): RenderDeploy | undefined => all.slice(all.indexOf(live) + 1).find((d) => d.status === 'deactivated');

/**
 * A failed freeze stops the step before the rollback is asked for: its error says so, and that the
 * bad deploy is still live, so the reader of "re-run the step" knows production is not back yet.
 * A person on call may need production back before the freeze works, so the hint gives the two ways
 * to roll back anyway that still leave auto-deploy off: turn it off by hand and re-run (the step
 * skips a freeze that is already in place), or roll back in the dashboard, which turns it off itself
 * (an API rollback does not). No input skips the freeze: a rollback the next push undoes is not one.
 */
function notRolledBack(name: string, liveId: string, toId: string): (err: unknown) => never {
  return (err) => {
    if (!(err instanceof RollbackKitError)) throw err;
    const anyway =
      `To roll back anyway, either turn auto-deploy off by hand (Render dashboard → service ${name} → Settings → Auto-Deploy: No) and re-run the step, which then skips this freeze and rolls back to ${toId}; ` +
      `or roll back in the Render dashboard (service ${name} → Events → deploy ${toId} → Rollback), which turns auto-deploy off itself. ` +
      'Until auto-deploy is off, the next push re-ships the bad code.';
    throw new RollbackKitError(
      `${err.message} Nothing was rolled back: service ${name} still serves ${liveId}, the deploy this step was to replace; the rollback stops when auto-deploy cannot be turned off first, as the next push would undo it.`,
      `${err.hint ? `${err.hint} ` : ''}${anyway}`,
      errorFacts(err),
    );
  };
}

export async function promoteOnRender(opts: RenderPromoteOptions, log: Log): Promise<ProviderOutcome> {
  log.secret(opts.token);
  const serviceId = checkId(opts.service, 'service', 'srv', 'service');
  const targetInput = (opts.target || 'previous').trim();
  const targetId = targetInput.toLowerCase() === 'previous' ? undefined : checkId(targetInput, 'target', 'dep', 'deploy');
  const from = opts.from?.trim() ? parseFrom(opts.from) : undefined;
  const sleep = guardedSleep(opts.stop, opts.sleep ?? realSleep);
  const now = opts.now ?? Date.now;
  const step = new StepDeadline(now, opts.timeoutSeconds, opts.timeoutInput);
  const c: HttpClient = renderClient({ token: opts.token, apiUrl: opts.apiUrl, log, retry: opts.retry, requestTimeoutMs: opts.requestTimeoutMs, sleep, deadline: step, stop: opts.stop });
  const ctx = (doing: string, deploy?: string): PlatformErrorContext => ({
    doing,
    tokenInput: 'render-token',
    notFound: deploy ? `Deploy ${deploy} of service ${serviceId}` : `Service ${serviceId}`,
    notFoundHint: deploy ? 'Check the target/from input: a deploy id (dep-…) of this service.' : 'Check the service input (srv-…) and that the API key belongs to the workspace that owns it.',
    statusPage: 'https://status.render.com',
  });

  const service = await calling(ctx(`looking up service ${serviceId}`), () => getService(c, serviceId));
  const name = service.name ? `${service.name} (${service.id})` : service.id;
  const all: RenderDeploy[] = [];
  let live: RenderDeploy | undefined;
  let target: RenderDeploy | undefined;
  const skipped: SkippedRelease[] = [];
  // Read pages until the live deploy and (for "previous") the first fit one below it are known; an
  // automatic run finding a rollback deploy live reads on to the deploy it replaced (its incident).
  const enough = () => !!live && !!targetId && !(opts.automatic && live.trigger === 'rollback' && !replacedDeploy(all, live));
  await calling(ctx(`listing the deploys of service ${name}`), async () => {
    for await (const page of deploys(c, serviceId, listingBound(step, `the deploys of service ${name}`))) {
      for (const d of page) {
        all.push(d);
        if (!live) {
          if (d.status === 'live') live = d;
          continue;
        }
        if (targetId) continue;
        const reason = skipReason(d, live);
        if (!reason) {
          target = d;
          return;
        }
        skipped.push({ id: d.id, reason });
      }
      if (enough()) return;
    }
  });
  if (!live) throw new RollbackKitError(`Service ${name} has no live deploy (${all.length} deploy(s) listed), so there is nothing to roll back.`, 'Check the service input, or deploy it first.');
  log.info(`Render service ${name} serves ${describe(live)}.`);
  const base = { skipped: [] as SkippedRelease[], frozen: frozenState(service, false) };

  const fromSays = from && compareFrom(from, live);
  if (fromSays === 'unproven') warnUnproven(log, opts.from!, from!.kind === 'url' ? 'is a URL, which names a Render service, not one of its deploys' : `is a commit, and the live deploy ${live.id} records none (an image deploy)`);
  if (from && fromSays === 'not-live') {
    const note = `Service ${name} no longer serves ${from.kind === 'sha' ? `commit ${from.value}` : from.value}; it serves ${describe(live)}. Nothing to do.`;
    log.info(note);
    return { ...base, status: 'already-current', from: info(live), to: info(live), notes: [note] };
  }
  // The rollback cascade (vercel/rollback.ts): a rollback's deploy failing its checks for an outage
  // that is not the deploy's must not start another rollback, release by release. Render marks the
  // deploy itself (trigger rollback, from the API or the dashboard). A person may go further back
  // with a target; from cannot help: "previous" from a rollback deploy is the deploy it replaced.
  if (opts.automatic && live.trigger === 'rollback') {
    const replaced = replacedDeploy(all, live);
    const how = `Render made it with trigger rollback${replaced ? `, replacing ${replaced.id}` : ''}${live.createdAt ? ` at ${new Date(live.createdAt).toISOString()}` : ''}`;
    const note = notPutBackAgain(live.id, how, "Render's status page", { fromGoesFurther: false, fromNamesIt: fromSays === 'names-live' });
    log.warning(note);
    return { ...base, status: 'already-current', from: info(live), to: info(live), notes: [note], rolledBackFrom: replaced?.id, putThereByRollback: true };
  }
  if (targetId) {
    if (targetId === live.id) {
      const note = `${describe(live)} is already live. Nothing to do.`;
      log.info(note);
      return { ...base, status: 'already-current', from: info(live), to: info(live), notes: [note] };
    }
    target = await calling(ctx('looking up the target deploy', targetId), () => getDeploy(c, serviceId, targetId));
    // A rollback deploy carries its target's commit and image: a live one made after the target with
    // its code is that target put back by an earlier run of this request; another would only copy it
    // again. A from naming the live deploy says it is bad all the same (a variables-only change).
    if (fromSays !== 'names-live' && live.trigger === 'rollback' && live.createdAt > target.createdAt && sameCode(live, target)) {
      const note = `Service ${name} already serves ${describe(live)}, a rollback made after ${target.id} with the same ${live.image ? 'image' : 'commit'}: an earlier rollback has put the target back. Nothing to do; if the live deploy is bad all the same, run again with from: ${live.id}.`;
      log.info(note);
      // What that rollback was made from names its incident, as on the "previous" path below.
      return { ...base, status: 'already-current', from: info(live), to: info(live), notes: [note], rolledBackFrom: replacedDeploy(all, live)?.id };
    }
    if (NEVER_LIVE.has(target.status)) throw new RollbackKitError(`Deploy ${describe(target)} of service ${name} never went live, so Render cannot roll back to it.`, 'Choose a deploy that was live before (status deactivated).');
  } else {
    // A rollback deploy that is live already is "previous": going on would re-ship the bad deploy.
    if (live.trigger === 'rollback') {
      const note = `Service ${name} already serves ${live.id}, a rollback, and nothing has been deployed since. Nothing to do; to go further back, name the deploy in target.`;
      log.info(note);
      return { ...base, status: 'already-current', from: info(live), to: info(live), notes: [note], rolledBackFrom: replacedDeploy(all, live)?.id };
    }
    if (!target) {
      throw new RollbackKitError(
        `No earlier deploy of service ${name} can take over from ${live.id}: none of the ${all.length - 1} older deploy(s) read was live before with other code.${describeSkipped(skipped)}`,
        'Name the deploy to return to in target (dep-…), or use provider git-revert to build the previous code again.',
      );
    }
  }

  const to: RenderDeploy = target;
  const plan = [
    `Plan: roll back Render service ${name}`,
    `  from ${describe(live)}`,
    `  to   ${describe(to)}`,
    ...skipped.map((s) => `  skipped ${s.id}: ${s.reason}`),
    `  then keep auto-deploy off (now ${service.autoDeploy ?? 'unknown'})`,
  ];
  logPlan(log, plan, { from: info(live).id, to: info(to).id }, opts.planLogged);
  if (opts.dryRun) {
    return { ...base, status: 'dry-run', from: info(live), to: info(to), skipped, notes: [`Dry run: nothing was changed. A real run would turn auto-deploy off and roll back to ${to.id}.`] };
  }

  // Freeze first: a push that lands while the rollback builds would otherwise replace it.
  let frozen = base.frozen;
  if (service.autoDeploy !== 'no') {
    const after = await calling(ctx(`turning auto-deploy off for service ${name}`), () => setAutoDeploy(c, serviceId, 'no')).catch(notRolledBack(name, live.id, to.id));
    frozen = frozenState({ ...service, autoDeploy: after.autoDeploy ?? 'no' }, true);
    log.info(frozen.what);
  }
  const frozenNote = frozen.frozen ? ` Auto-deploy stays off. ${undoHint(serviceId)}` : '';
  const failing = (err: unknown): never => {
    if (err instanceof RollbackKitError) throw new RollbackKitError(err.message, `${err.hint ?? ''}${frozenNote}`.trim());
    throw err;
  };

  const requestedAt = now();
  const deadline = step.restart();
  const started = await calling(ctx('requesting the rollback', to.id), () => rollback(c, serviceId, to.id)).catch(failing);
  log.info(`Render started deploy ${started.id} (a rollback to ${to.id}); waiting for it to be live.`);
  let last = started.status;
  for (;;) {
    if (last === 'live') break;
    if (FAILED.has(last)) {
      failing(
        new RollbackKitError(
          `The rollback of service ${name} to ${to.id} failed: Render deploy ${started.id} is ${last}.`,
          `Read deploy ${started.id}'s logs in the Render dashboard; the service still serves ${live.id} unless that says otherwise. Re-run the step to try again.`,
        ),
      );
    }
    if (now() >= deadline) {
      failing(
        new RollbackKitError(
          `The rollback of service ${name} to ${to.id} did not finish within ${opts.timeoutSeconds} s (deploy ${started.id} is ${last}).`,
          'Raise timeout-seconds or watch the deploy in the Render dashboard; re-running the step is safe.',
        ),
      );
    }
    await sleep(nextPoll(opts.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS, deadline, now()));
    const d = await calling(ctx('checking the rollback deploy', started.id), () => getDeploy(c, serviceId, started.id)).catch(failing);
    if (d.status !== last) log.info(`Render deploy ${d.id}: ${d.status}.`);
    last = d.status;
  }
  const note = `Service ${name} now serves deploy ${started.id}, a rollback to ${to.id} (from ${live.id} in ${((now() - requestedAt) / 1000).toFixed(1)} s).`;
  log.info(note);
  if (frozen.frozen) log.warning(`${frozen.what} ${frozen.undo}`);
  return { status: 'rolled-back', from: info(live), to: info(to), skipped, frozen, notes: [note, `${frozen.what}${frozen.undo ? ` ${frozen.undo}` : ''}`] };
}
