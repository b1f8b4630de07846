/**
 * Production environment variables changed after a deployment was built. An instant rollback
 * serves the old build with the values it was built with, but the next redeploy picks up today's:
 * the on-call engineer needs the names (never the values) to check before anything is redeployed.
 * `GET /v10/projects/{idOrName}/env` answers `{envs: [{key, target, createdAt, updatedAt, …}]}`,
 * with `pagination.next` on long lists; only the fields read here are trusted to exist.
 */
import type { Log } from '../../core/log.js';
import { StepDeadline } from '../http/deadline.js';
import { VercelClient } from './client.js';
import { vercelError } from './errors.js';
import { PageGuard } from '../listing.js';

export interface EnvChangeRequest {
  token: string;
  project: string;
  team?: string;
  apiUrl: string;
  /** ISO time the deployment now in production was built. */
  since: string;
  /** The component's timeout-seconds: the listing, its retries and its waits end within it. */
  timeoutSeconds: number;
  requestTimeoutMs?: number;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const MAX_PAGES = 20;

function isProduction(target: unknown): boolean {
  if (typeof target === 'string') return target === 'production';
  return Array.isArray(target) && target.includes('production');
}

/** Names of production variables created or updated after `since`, sorted; values are never read. */
export async function changedProductionEnv(req: EnvChangeRequest, log: Log): Promise<string[]> {
  log.secret(req.token);
  const since = Date.parse(req.since);
  const deadline = new StepDeadline(Date.now, req.timeoutSeconds);
  const client = new VercelClient({ token: req.token, apiUrl: req.apiUrl, team: req.team, log, requestTimeoutMs: req.requestTimeoutMs, deadline });
  const names = new Set<string>();
  const guard = new PageGuard(`the environment variables of project ${req.project}`);
  let until: number | undefined;
  try {
    for (let page = 0; page < MAX_PAGES; page++) {
      const data = obj(await client.get(`/v10/projects/${encodeURIComponent(req.project)}/env`, { until }));
      const envs = Array.isArray(data?.envs) ? data.envs : [];
      for (const raw of envs) {
        const e = obj(raw);
        if (!e || typeof e.key !== 'string' || !isProduction(e.target)) continue;
        const changed = Math.max(typeof e.createdAt === 'number' ? e.createdAt : 0, typeof e.updatedAt === 'number' ? e.updatedAt : 0);
        if (changed > since) names.add(e.key);
      }
      const next = obj(data?.pagination)?.next;
      if (typeof next !== 'number' || envs.length === 0) break;
      guard.check(String(next));
      until = next;
    }
  } catch (err) {
    throw vercelError(err, { doing: `listing the environment variables of project ${req.project}`, project: req.project, team: req.team });
  }
  return [...names].sort();
}
