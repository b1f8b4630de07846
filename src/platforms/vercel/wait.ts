/**
 * Waits for Vercel's alias job after a rollback or promote request, the way `vercel rollback` does:
 * poll the project with rollbackInfo until `lastAliasRequest.jobStatus` for our target says
 * succeeded or skipped (done) or failed, and also until production actually serves the target,
 * because that is what the on-call engineer needs to be true.
 */
import { RollbackKitError } from '../../core/errors.js';
import type { Log } from '../../core/log.js';
import { failedAliases, getProject } from './api.js';
import type { VercelClient } from './client.js';
import { vercelError } from './errors.js';
import type { Deployment, Project } from './model.js';

export interface WaitOptions {
  kind: 'rollback' | 'promote';
  /** When the request was sent (ms); older alias requests belong to someone else. */
  requestedAt: number;
  deadline: number;
  pollIntervalMs: number;
  team?: string;
  sleep: (ms: number) => Promise<void>;
  now?: () => number;
}

/** Vercel's clock and ours differ: an alias request stamped a little before ours is still ours. */
const CLOCK_SKEW_MS = 3 * 60_000;

export async function waitForAliasJob(client: VercelClient, project: Project, target: Deployment, opts: WaitOptions, log: Log): Promise<Project> {
  const now = opts.now ?? Date.now;
  let lastStatus = 'not reported yet';
  for (let poll = 0; ; poll++) {
    let p: Project;
    try {
      p = await getProject(client, project.id, true);
    } catch (err) {
      throw vercelError(err, { doing: `checking the ${opts.kind} status`, project: project.name, team: opts.team });
    }
    const job = p.lastAliasRequest;
    const ours = job && job.toDeploymentId === target.id && (job.requestedAt === undefined || job.requestedAt >= opts.requestedAt - CLOCK_SKEW_MS);
    const serving = p.production?.id === target.id;
    const status = ours ? (job.jobStatus ?? 'unknown') : undefined;
    if (status && status !== lastStatus) {
      log.info(`Vercel ${opts.kind} job: ${status}.`);
      lastStatus = status;
    }
    if (status === 'failed') {
      const aliases = await failedAliases(client, project.id, opts.kind).catch((err: unknown) => {
        log.warning(`Could not list the failed aliases: ${(err as Error).message}`);
        return [];
      });
      const list = aliases.length ? aliases.map((a) => `${a.alias}${a.status ? ` (${a.status})` : ''}`).join(', ') : 'Vercel did not list them';
      throw new RollbackKitError(
        `Vercel's ${opts.kind} of project ${project.name} to ${target.id} failed: not every alias could be moved. Failed aliases: ${list}.`,
        `Check those domains in the Vercel dashboard (Project → Domains), then re-run the step; production currently serves ${p.production?.id ?? 'an unknown deployment'}.`,
      );
    }
    // Done means the job finished (skipped counts, as in the CLI) and production serves the target;
    // a missing or foreign job with production already switched is done as well.
    const jobDone = status === 'succeeded' || status === 'skipped' || status === undefined;
    if (jobDone && serving) return p;
    if (now() >= opts.deadline) {
      const where = serving ? '' : ` Production still serves ${p.production?.id ?? 'an unknown deployment'}.`;
      // The job says it finished, yet production is elsewhere: that is what went wrong, not the time.
      if (status && jobDone && !serving) {
        throw new RollbackKitError(
          `Vercel's ${opts.kind} job for project ${project.name} ended as ${status}, but production did not switch to ${target.id}: it still serves ${p.production?.id ?? 'an unknown deployment'}.`,
          'Check the project in the Vercel dashboard (Deployments, Domains), then re-run the step; re-running is safe (it reports already-current once production serves the target).',
        );
      }
      throw new RollbackKitError(
        `The ${opts.kind} of project ${project.name} to ${target.id} did not finish within the time limit (last job status: ${lastStatus}).${where}`,
        'Raise timeout-seconds or check the project in the Vercel dashboard; re-running the step is safe (it reports already-current once production serves the target).',
      );
    }
    if (poll > 0 && poll % 20 === 0) log.info(`Still waiting for the ${opts.kind} (job: ${lastStatus}).`);
    await opts.sleep(Math.max(0, Math.min(opts.pollIntervalMs, opts.deadline - now())));
  }
}
