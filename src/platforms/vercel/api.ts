/** The Vercel endpoints a rollback uses (see the API reference): one function each, parsed tolerantly. */
import type { VercelClient } from './client.js';
import { parseAliasPage, parseDeployment, parseDeploymentPage, parseProject, type Deployment, type FailedAlias, type Project } from './model.js';
import { listingBound, pageInTime, PageGuard, type ListingProgress } from '../listing.js';
import type { StepDeadline } from '../http/deadline.js';

export async function getProject(client: VercelClient, idOrName: string, rollbackInfo = false): Promise<Project> {
  const data = await client.get(`/v9/projects/${encodeURIComponent(idOrName)}`, { rollbackInfo: rollbackInfo || undefined });
  return parseProject(data);
}

export async function getDeployment(client: VercelClient, idOrUrl: string): Promise<Deployment> {
  return parseDeployment(await client.get(`/v13/deployments/${encodeURIComponent(idOrUrl)}`));
}

export const PAGE_SIZE = 100;

/**
 * Production deployments of a project, newest first, one page per iteration; stops when Vercel
 * says there is no next page, or at the step's `deadline` (the one clock of the search, see
 * listing.ts), and fails clearly when a cursor does not move back in time (a listing that would
 * never end): bounded by time, not by a page count, so a target however deep is found when there
 * is time to reach it. `progress` says how far it got.
 */
export async function* productionDeployments(
  client: VercelClient,
  projectId: string,
  opts: { until?: number; deadline?: StepDeadline; progress?: ListingProgress } = {},
): AsyncGenerator<Deployment[]> {
  const progress = opts.progress ?? { pages: 0, timedOut: false };
  const what = `the production deployments of project ${projectId}`;
  const guard = new PageGuard(what);
  const bound = opts.deadline && listingBound(opts.deadline, what);
  let until = opts.until;
  for (;;) {
    const got = await pageInTime(bound, progress.pages, () => client.get('/v6/deployments', { projectId, target: 'production', limit: PAGE_SIZE, until }));
    if (!got) {
      progress.timedOut = true;
      return;
    }
    const { deployments, next } = parseDeploymentPage(got.page);
    progress.pages++;
    yield deployments;
    if (next === undefined || deployments.length === 0) return;
    guard.check(String(next));
    if (until !== undefined && next >= until) guard.stuck(`a next-page cursor (${next}) that does not move back in time from the last one (${until})`);
    until = next;
  }
}

/** Instant rollback; `description` is shown in the dashboard as the reason. */
export async function requestRollback(client: VercelClient, projectId: string, deploymentId: string, description?: string): Promise<number> {
  const res = await client.request('POST', `/v1/projects/${encodeURIComponent(projectId)}/rollback/${encodeURIComponent(deploymentId)}`, {
    query: { description: description || undefined },
    body: {},
  });
  return res.status;
}

/** Promotion without rebuild: 201 started, 202 queued behind a rolling release. */
export async function requestPromote(client: VercelClient, projectId: string, deploymentId: string): Promise<number> {
  const res = await client.request('POST', `/v10/projects/${encodeURIComponent(projectId)}/promote/${encodeURIComponent(deploymentId)}`, { body: {} });
  return res.status;
}

/** The aliases a failed alias job could not move, all pages. */
export async function failedAliases(client: VercelClient, projectId: string, kind: 'rollback' | 'promote'): Promise<FailedAlias[]> {
  const out: FailedAlias[] = [];
  const guard = new PageGuard(`the failed aliases of project ${projectId}`);
  let until: number | undefined;
  for (let page = 0; page < 20; page++) {
    const data = await client.get(`/v9/projects/${encodeURIComponent(projectId)}/${kind}/aliases`, { failedOnly: true, limit: 20, until });
    const { aliases, next } = parseAliasPage(data);
    out.push(...aliases);
    if (next === undefined || aliases.length === 0) break;
    guard.check(String(next));
    until = next;
  }
  return out;
}
