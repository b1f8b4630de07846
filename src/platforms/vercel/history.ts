/**
 * What Vercel's last alias request (`lastAliasRequest` of the project, with rollbackInfo) tells about
 * production's recent past, which creation times cannot: which deployment served right before the
 * current one, and which one production was moved away from as bad. After "A good, C bad, rolled
 * back C -> A, fix D promoted", D's predecessor is A, while the newest older deployment is C, still
 * a rollback candidate: `previous` must never put C back.
 */
import { getDeployment } from './api.js';
import { VercelApiError, type VercelClient } from './client.js';
import type { Deployment, Project } from './model.js';

export interface ProductionHistory {
  /** The last request moved production back to the current deployment (a rollback, or a promotion to an older one). */
  movedBack?: { type: string; from: string; requestedAt?: number };
  /** The deployment that served production right before the current one, when the last request put the current one there going forward. */
  servedBefore?: Deployment;
  /** Deployments production was moved away from as bad, with the reason, for the search to pass over. */
  excluded: Map<string, string>;
}

/** " at <ISO time>" for a time Vercel gave, nothing without one. */
export const when = (at: number | undefined) => (at ? ` at ${new Date(at).toISOString()}` : '');

/** A deployment by id, or undefined when Vercel no longer has it (deleted). */
async function lookUp(client: VercelClient, id: string): Promise<Deployment | undefined> {
  try {
    return await getDeployment(client, id);
  } catch (err) {
    if (err instanceof VercelApiError && err.status === 404) return undefined;
    throw err;
  }
}

export async function productionHistory(client: VercelClient, project: Project, current: Deployment): Promise<ProductionHistory> {
  const excluded = new Map<string, string>();
  const last = project.lastAliasRequest;
  const done = last?.jobStatus === 'succeeded' || last?.jobStatus === 'skipped';
  const fromId = last?.fromDeploymentId;
  const toId = last?.toDeploymentId;
  if (!last || !done || !fromId || !toId || fromId === toId) return { excluded };
  const from = await lookUp(client, fromId);
  const to = toId === current.id ? current : await lookUp(client, toId);
  // A rollback always goes back; a promotion to a deployment older than the one it replaced is a
  // rollback by promotion (method: promote). Either way the one replaced was taken off as bad.
  const backwards = last.type === 'rollback' || (!!from && !!to && from.createdAt > to.createdAt);
  if (backwards) {
    const how = last.type === 'rollback' ? 'rolled back from it' : `moved off it by a promotion to the older ${toId}`;
    excluded.set(fromId, `production was ${how}${when(last.requestedAt)}`);
  }
  if (toId !== current.id) return { excluded };
  if (backwards) return { excluded, movedBack: { type: last.type ?? 'rollback', from: fromId, requestedAt: last.requestedAt } };
  return { excluded, servedBefore: from };
}
