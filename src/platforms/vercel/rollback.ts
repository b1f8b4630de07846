/**
 * Puts a good deployment back into Vercel production: find what serves production now, choose the
 * target, ask Vercel for an instant rollback (or a promotion), wait for the alias job, and confirm
 * production serves the target. Safe to repeat: a target that already serves production, or a
 * `from` deployment that no longer does, is reported as already-current and nothing is changed.
 */
import { RollbackKitError } from '../../core/errors.js';
import { capitalized } from '../../core/sentence.js';
import type { Log } from '../../core/log.js';
import { getDeployment, getProject, productionDeployments, requestPromote, requestRollback } from './api.js';
import type { ListingProgress } from '../listing.js';
import { guardedSleep } from '../change-guard.js';
import { sleep as realSleep, VercelApiError, VercelClient } from './client.js';
import { vercelError, type ErrorContext } from './errors.js';
import { describeDeployment, type Deployment, type Project } from './model.js';
import { logPlan, notPutBackAgain, type ProviderRunOptions } from '../outcome.js';
import { checkExplicitTarget, describeKinds, describeRef, findLastVerified, findPrevious, MAX_VERIFIED_LOOKUPS, parseDeploymentRef, refMatches, skipReason, type DeploymentRef, type Skipped, type VerifiedLookup } from './target.js';
import { productionHistory, when, type ProductionHistory } from './history.js';
import { waitForAliasJob } from './wait.js';
import { StepDeadline } from '../http/deadline.js';

/** Skipped deployments named one per line in the log; the rest are counted by reason. */
const SKIPPED_LOGGED = 20;

export interface VercelPromoteOptions extends Omit<ProviderRunOptions, 'now'> {
  token: string;
  /** Project name or id. */
  project: string;
  team?: string;
  apiUrl: string;
  /** "previous", "last-verified", a deployment id, URL or commit SHA. */
  target: string;
  /**
   * Reads a commit's rollback-kit/verified status; required for target last-verified. Given the
   * step's deadline, so the look-ups' retries end with the search they belong to.
   */
  verified?: (deadline: StepDeadline) => VerifiedLookup;
  method: 'rollback' | 'promote';
  reason?: string;
  /**
   * Started by a deployment event, not a person (auto-rollback): a deployment a rollback put into
   * production is never rolled back from, whatever from says (notPutBackAgain).
   */
  automatic?: boolean;
  /** How often to poll the alias job; the CLI uses 250 ms. */
  pollIntervalMs?: number;
}

export const DEFAULT_POLL_INTERVAL_MS = 250;

export interface DeploymentInfo {
  id?: string;
  url?: string;
  commitSha?: string;
  /** ISO time Vercel created (built) the deployment. */
  createdAt?: string;
}

export interface VercelPromoteResult {
  status: 'rolled-back' | 'promoted' | 'already-current' | 'dry-run';
  from: DeploymentInfo;
  to: DeploymentInfo;
  /** Vercel turned automatic production domain assignment off (after a rollback). */
  autoAssignDisabled: boolean;
  /** A promotion Vercel queued behind a rolling release (202): not live yet. */
  queued: boolean;
  skipped: Skipped[];
  /** Plain sentences for the job summary. */
  notes: string[];
  /** Production was already moved back: the deployment it was moved back from (the last alias request's fromDeploymentId). */
  rolledBackFrom?: string;
  /** An automatic run found the deployment in production put there by a rollback, and left it (notPutBackAgain). */
  putThereByRollback?: boolean;
  /**
   * from matched the deployment in production through one of its aliases (a production domain, a
   * URL that follows production), not by its id or its own URL: it names whatever serves, so every
   * incident on the project would share it (pipeline/rollback.ts names the incident by the
   * deployment rolled back from instead, as for a Render service URL).
   */
  fromFollowsProduction?: boolean;
}

const info = (d: Deployment | undefined): DeploymentInfo => ({
  id: d?.id,
  url: d?.url ? `https://${d.url}` : undefined,
  commitSha: d?.commitSha,
  createdAt: d?.createdAt ? new Date(d.createdAt).toISOString() : undefined,
});

export async function promoteOnVercel(opts: VercelPromoteOptions, log: Log): Promise<VercelPromoteResult> {
  log.secret(opts.token);
  // Every input is checked before the first request, so a typo never half-runs anything.
  const targetRef = parseDeploymentRef(opts.target || 'previous', 'target');
  if (targetRef.kind === 'last-verified' && !opts.verified) {
    throw new RollbackKitError('target last-verified needs GitHub access to read the rollback-kit/verified commit statuses, and none was given.', 'Pass github-token: ${{ secrets.GITHUB_TOKEN }} (permissions: statuses: read) and run in GitHub Actions (GITHUB_REPOSITORY).');
  }
  const fromRef = opts.from ? parseDeploymentRef(opts.from, 'from') : undefined;
  const sleep = guardedSleep(opts.stop, opts.sleep ?? realSleep);
  const step = new StepDeadline(Date.now, opts.timeoutSeconds, opts.timeoutInput);
  const client = new VercelClient({ token: opts.token, apiUrl: opts.apiUrl, team: opts.team, log, retry: opts.retry, requestTimeoutMs: opts.requestTimeoutMs, sleep, deadline: step, stop: opts.stop });
  const ctx = (doing: string, deployment?: string): ErrorContext => ({ doing, project: opts.project, team: opts.team, deployment });
  const call = async <T>(c: ErrorContext, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw vercelError(err, c);
    }
  };

  const project = await call(ctx(`looking up project ${opts.project}`), () => getProject(client, opts.project, true));
  const current = project.production;
  if (!current) {
    throw new RollbackKitError(`Project ${project.name} has no production deployment yet, so there is nothing to roll back.`, 'Deploy to production first, or check the project input.');
  }
  // "Production of shop", or "Staging of shop-staging" in a drill: the environment the run is on.
  const environment = opts.environmentName || 'production';
  const served = `${capitalized(environment)} of ${project.name}`;
  log.info(`${served} serves ${describeDeployment(current)}.`);
  const base: Omit<VercelPromoteResult, 'status' | 'from' | 'to'> = { autoAssignDisabled: project.autoAssignCustomDomains === false, queued: false, skipped: [], notes: [] };

  const shaUncompared = fromRef?.kind === 'sha' && !current.commitSha;
  if (shaUncompared) {
    log.warning(`The deployment in production (${current.id}) carries no commit SHA, so from (${fromRef.sha}) cannot be compared with it; going ahead.`);
  } else if (fromRef && !refMatches(fromRef, current)) {
    const note = `Production no longer serves ${describeRef(fromRef)}; it serves ${current.id}. Nothing to do.`;
    log.info(note);
    return { ...base, status: 'already-current', from: info(current), to: info(current), notes: [note] };
  }

  // Whether from names the deployment in production itself, rather than only whatever serves: a SHA
  // that could not be compared, or a URL that matched one of its aliases (a production domain moves
  // with every rollback), proves nothing about it, so it must not lift the re-run guard below.
  const byAlias = fromRef?.kind === 'url' && current.url?.toLowerCase() !== fromRef.host;
  const fromNamesCurrent = !!fromRef && !shaUncompared && !byAlias;
  if (byAlias) base.fromFollowsProduction = true;
  const relative = targetRef.kind === 'previous' || targetRef.kind === 'last-verified';
  const history = relative || opts.automatic ? await call(ctx(`reading what served production before ${current.id}`), () => productionHistory(client, project, current)) : undefined;
  // The rollback cascade: our own rollback promotes an older deployment, Vercel reports that as a
  // deployment event, its smoke test fails for the same outage (a database, a third party) and
  // an automatic run would roll back again, release by release. A person may still go further
  // back (from naming the deployment in production, or a target); an event never does.
  // Assignment off marks a rollback only when no finished alias request says how production got
  // where it is: a project can keep it off (staged production, every release promoted), and a
  // deployment aliased by hand after a rollback leaves it off; there the last request decides.
  const lastDone = project.lastAliasRequest?.jobStatus === 'succeeded' || project.lastAliasRequest?.jobStatus === 'skipped';
  if (opts.automatic && (history?.movedBack || (project.autoAssignCustomDomains === false && !lastDone))) {
    const back = history?.movedBack;
    const how = back
      ? `production was ${back.type === 'rollback' ? 'rolled back' : 'moved back by a promotion'} to it from ${back.from}${when(back.requestedAt)}`
      : 'Vercel has automatic production domain assignment off for the project, which only an instant rollback does';
    const note = notPutBackAgain(current.id, how, 'Vercel\'s status page (https://www.vercel-status.com)', { fromNamesIt: fromNamesCurrent });
    log.warning(note);
    return { ...base, status: 'already-current', from: info(current), to: info(current), notes: [note], rolledBackFrom: back?.from, putThereByRollback: true };
  }
  // A second "roll back to previous" must not walk one more step back: when production is where
  // the last alias request moved it back to (a rollback, or a promotion to an older deployment),
  // and nothing has gone live since, it already is "previous". Going further back takes an explicit
  // target, or a from that names the deployment now in production as bad.
  if (history?.movedBack && !fromNamesCurrent) {
    const back = history.movedBack;
    const how = back.type === 'rollback' ? 'rolled back' : 'moved back by a promotion';
    const note = `${served} was already ${how} to ${current.id} from ${back.from}${when(back.requestedAt)} and nothing has gone live since. Nothing to do; to go further back, name the deployment in target.`;
    log.info(note);
    return { ...base, status: 'already-current', from: info(current), to: info(current), notes: [note], rolledBackFrom: back.from };
  }

  const { target, skipped, skippedKinds, why } = await chooseTarget(client, project, current, targetRef, opts, step, ctx, log, history);
  if (target.id === current.id) {
    const note = `${describeDeployment(target)} already serves production. Nothing to do.`;
    log.info(note);
    return { ...base, status: 'already-current', from: info(current), to: info(target), skipped, notes: [note] };
  }

  const skippedCount = skippedKinds ? [...skippedKinds.values()].reduce((a, b) => a + b, 0) : skipped.length;
  const plan = [
    `Plan: ${opts.method} project ${project.name}`,
    `  from ${describeDeployment(current)}`,
    `  to   ${describeDeployment(target)}`,
    ...skipped.slice(0, SKIPPED_LOGGED).map((s) => `  skipped ${describeDeployment(s.deployment)}: ${s.reason}`),
    ...(skippedCount > SKIPPED_LOGGED ? [`  and ${(skippedCount - SKIPPED_LOGGED).toLocaleString('en-US')} more skipped (${describeKinds(skippedKinds!)})`] : []),
  ];
  logPlan(log, plan, { from: current.id, to: target.id }, opts.planLogged);
  if (opts.dryRun) {
    return { ...base, status: 'dry-run', from: info(current), to: info(target), skipped, notes: [`Dry run: nothing was changed. A real run would ${opts.method} to ${target.id}.`, ...(why ? [why] : [])] };
  }

  const requestedAt = Date.now();
  const deadline = step.restart();
  let answer: number;
  try {
    answer = opts.method === 'rollback' ? await requestRollback(client, project.id, target.id, opts.reason) : await requestPromote(client, project.id, target.id);
    log.info(`Vercel accepted the ${opts.method} request (${answer}).`);
  } catch (err) {
    if (!(err instanceof VercelApiError && err.status === 409)) throw vercelError(err, ctx(`requesting the ${opts.method}`, target.id));
    // Look at the project rather than trust the wording of the 409.
    const now = await call(ctx('checking production after a 409'), () => getProject(client, project.id, true));
    const job = now.lastAliasRequest;
    if (now.production?.id === target.id) {
      const note = `${describeDeployment(target)} already serves production (Vercel answered 409). Nothing to do.`;
      log.info(note);
      return { ...base, autoAssignDisabled: now.autoAssignCustomDomains === false, status: 'already-current', from: info(now.production), to: info(target), skipped, notes: [note] };
    }
    if (job?.toDeploymentId === target.id && (job.jobStatus === 'pending' || job.jobStatus === 'in-progress')) {
      // Our own earlier attempt got through before its answer was lost: wait for that job.
      log.info(`A ${opts.method} to ${target.id} is already in progress (Vercel answered 409); waiting for it.`);
      answer = 201;
    } else {
      throw vercelError(err, ctx(`requesting the ${opts.method}`, target.id));
    }
  }

  const notes: string[] = why ? [why] : [];
  if (answer === 202) {
    const note = `Vercel queued the promotion of ${target.id} behind a rolling release (202 queued): production still serves ${current.id} until the release moves on.`;
    log.warning(note);
    notes.push(note);
    return { ...base, status: 'promoted', queued: true, from: info(current), to: info(target), skipped, notes };
  }

  const final = await waitForAliasJob(client, project, target, { kind: opts.method, requestedAt, deadline, pollIntervalMs: opts.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS, team: opts.team, sleep }, log);
  const verb = opts.method === 'rollback' ? 'rolled back' : 'promoted';
  notes.push(`${served} now serves ${describeDeployment(target)} (${verb} from ${current.id} in ${((Date.now() - requestedAt) / 1000).toFixed(1)} s).`);
  log.info(notes.at(-1)!);
  const autoAssignDisabled = final.autoAssignCustomDomains === false;
  if (autoAssignDisabled) {
    const warning =
      `Vercel has switched off automatic domain assignment for ${project.name} after the rollback: new pushes will build but will NOT go live until a deployment is promoted. ` +
      `When a fixed deployment is ready, promote it with this action (method: promote, target: <deployment id>), or run \`vercel promote <deployment>\`.`;
    log.warning(warning);
    notes.push(warning);
  }
  return { ...base, status: opts.method === 'rollback' ? 'rolled-back' : 'promoted', autoAssignDisabled, from: info(current), to: info(target), skipped, notes };
}

async function chooseTarget(
  client: VercelClient,
  project: Project,
  current: Deployment,
  ref: DeploymentRef,
  opts: VercelPromoteOptions,
  /** The step's deadline: the search for the target, listing and GitHub look-ups alike, ends with it. */
  deadline: StepDeadline,
  ctx: (doing: string, deployment?: string) => ErrorContext,
  log: Log,
  history: ProductionHistory | undefined,
): Promise<{ target: Deployment; skipped: Skipped[]; skippedKinds?: Map<string, number>; why?: string }> {
  const doing = `choosing the ${opts.method} target`;
  try {
    if (ref.kind === 'previous') {
      // What served right before the current deployment is "previous" by definition (and on Hobby
      // the only deployment a rollback may go to), however many newer ones were built in between.
      const before = history?.servedBefore;
      if (before && !skipReason(before, current, history.excluded)) {
        const why = `previous: ${before.id} served production right before ${current.id} (Vercel's last alias request moved production from it to ${current.id}).`;
        log.info(why);
        return { target: before, skipped: [], why };
      }
      // Only deployments older than production's are candidates: start the listing there. However
      // deep the last good one is, the search goes on until timeout-seconds is spent.
      const progress: ListingProgress = { pages: 0, timedOut: false };
      const found = await findPrevious(current, productionDeployments(client, project.id, { until: current.createdAt, deadline, progress }), history?.excluded);
      if (!found.chosen) {
        const looked = `${found.seen.toLocaleString('en-US')} older production deployment(s) on ${progress.pages} page(s) of the list`;
        const where = progress.timedOut ? `${looked} read in ${opts.timeoutSeconds} s (${deadline.input}) before the time ran out, and the list goes on` : `${looked}, all there are`;
        // Nothing counted as passed over (none was read, or none was set aside for a reason it counts): no empty list.
        const why = found.seen && found.skippedKinds.size ? ` Passed over: ${describeKinds(found.skippedKinds)}.` : '';
        const first = found.skipped.length ? ` Newest passed over: ${found.skipped.slice(0, 3).map((s) => `${s.deployment.id} (${s.reason})`).join('; ')}.` : '';
        throw new RollbackKitError(
          `No earlier production deployment of project ${project.name} can take over from ${current.id}: checked ${where}; none is READY, has served production before and was built from another commit.${why}${first}`,
          progress.timedOut
            ? `Raise ${deadline.input} to look further back, or name the deployment to return to in target (deployment id, URL or commit SHA).`
            : 'Name the deployment to return to in target (deployment id, URL or commit SHA), or use provider git-revert to build the previous code again.',
        );
      }
      return { target: found.chosen, skipped: found.skipped, skippedKinds: found.skippedKinds };
    }
    if (ref.kind === 'last-verified') {
      const progress: ListingProgress = { pages: 0, timedOut: false };
      const found = await findLastVerified(current, productionDeployments(client, project.id, { until: current.createdAt, deadline, progress }), opts.verified!(deadline), MAX_VERIFIED_LOOKUPS, history?.excluded);
      if (!found.chosen) {
        const why = found.skipped.length ? ` Passed over: ${found.skipped.slice(0, 5).map((s) => `${s.deployment.id} (${s.reason})`).join('; ')}${found.skipped.length > 5 ? `; and ${found.skipped.length - 5} more` : ''}.` : '';
        const stopped = `${found.lookups >= MAX_VERIFIED_LOOKUPS ? ` Stopped after asking GitHub about ${found.lookups} commits.` : ''}${progress.timedOut ? ` The list went on past ${deadline.input} (${opts.timeoutSeconds} s).` : ''}`;
        throw new RollbackKitError(
          `No earlier production deployment of project ${project.name} carries the rollback-kit/verified status: ${found.seen} older production deployment(s) checked.${stopped}${why}`,
          'Use target: previous (the newest eligible one, verified or not) or name the deployment in target; record passes with smoke-test verified-sha so that later rollbacks find one.',
        );
      }
      const why = `last-verified: ${found.chosen.id} is the newest eligible production deployment whose commit ${found.chosen.commitSha!.slice(0, 7)} carries a successful rollback-kit/verified status${found.skipped.length ? ` (${found.skipped.length} newer passed over, listed below)` : ''}.`;
      log.info(why);
      return { target: found.chosen, skipped: found.skipped, why };
    }
    let target: Deployment | undefined;
    if (ref.kind === 'sha') {
      let matched: Deployment | undefined;
      const listed: ListingProgress = { pages: 0, timedOut: false };
      for await (const page of productionDeployments(client, project.id, { deadline, progress: listed })) {
        for (const d of page) {
          if (!refMatches(ref, d)) continue;
          matched ??= d;
          if (d.readyState === 'READY') {
            target = d;
            break;
          }
        }
        if (target) break;
      }
      if (!target && matched) target = matched; // reported as not READY by the check below
      if (!target) {
        if (listed.timedOut) {
          throw new RollbackKitError(
            `No production deployment of project ${project.name} built from commit ${ref.sha} was found in ${listed.pages} page(s) of the list read in ${opts.timeoutSeconds} s (${deadline.input}), and the list goes on.`,
            `Raise ${deadline.input} to look further back, or give the deployment id or URL instead.`,
          );
        }
        throw new RollbackKitError(`No production deployment of project ${project.name} was built from commit ${ref.sha}.`, 'Check the SHA, or give the deployment id or URL instead.');
      }
    } else {
      const key = ref.kind === 'id' ? ref.id : ref.host;
      try {
        target = await getDeployment(client, key);
      } catch (err) {
        throw vercelError(err, ctx(doing, key));
      }
      if (target.projectId && target.projectId !== project.id) {
        throw new RollbackKitError(`Deployment ${target.id} belongs to another project (${target.projectId}), not to ${project.name}.`, 'Check the target and project inputs.');
      }
    }
    if (target.id !== current.id) checkExplicitTarget(target, project.name, opts.method);
    log.debug(`target resolved: ${describeDeployment(target)}`);
    return { target, skipped: [] };
  } catch (err) {
    throw vercelError(err, ctx(doing));
  }
}
