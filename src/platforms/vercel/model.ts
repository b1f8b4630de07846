/**
 * The few fields of Vercel's project and deployment objects a rollback needs, read tolerantly:
 * unknown fields are ignored, unknown enum values are kept as strings, missing fields stay
 * undefined. A response that lacks what we cannot do without (an id) is the only parse error.
 */
import { obj, str } from '../http/read.js';

export interface Deployment {
  id: string;
  /** Host name without scheme, as Vercel returns it. */
  url?: string;
  createdAt: number;
  /** READY, ERROR, BUILDING, QUEUED, CANCELED, … */
  readyState?: string;
  /** STAGED (never served production), PROMOTED (has served it), ROLLING, … */
  readySubstate?: string;
  /** production, staging, or null for a preview. */
  target?: string | null;
  isRollbackCandidate?: boolean;
  commitSha?: string;
  commitRef?: string;
  projectId?: string;
  aliases: string[];
}

export type JobStatus = 'pending' | 'in-progress' | 'succeeded' | 'failed' | 'skipped' | (string & {});

export interface AliasRequest {
  fromDeploymentId?: string;
  toDeploymentId?: string;
  jobStatus?: JobStatus;
  requestedAt?: number;
  type?: string;
}

export interface Project {
  id: string;
  name: string;
  production?: Deployment;
  autoAssignCustomDomains?: boolean;
  lastAliasRequest?: AliasRequest;
}

export interface FailedAlias {
  alias: string;
  deploymentId?: string;
  status?: string;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export class UnexpectedResponse extends Error {
  constructor(what: string) {
    super(`Vercel returned ${what} in an unexpected shape`);
    this.name = 'UnexpectedResponse';
  }
}

export function parseDeployment(raw: unknown): Deployment {
  const d = obj(raw);
  // The list view says `uid`, the single view `id`.
  const id = str(d?.id) ?? str(d?.uid);
  if (!d || !id) throw new UnexpectedResponse('a deployment');
  const meta = obj(d.meta);
  const target = d.target === null ? null : str(d.target);
  const aliases = Array.isArray(d.alias) ? d.alias.filter((a): a is string => typeof a === 'string') : [];
  return {
    id,
    url: str(d.url)?.replace(/^https?:\/\//, ''),
    createdAt: num(d.createdAt) ?? num(d.created) ?? 0,
    readyState: str(d.readyState) ?? str(d.state),
    readySubstate: str(d.readySubstate),
    target,
    isRollbackCandidate: typeof d.isRollbackCandidate === 'boolean' ? d.isRollbackCandidate : undefined,
    commitSha: str(meta?.githubCommitSha) ?? str(meta?.gitlabCommitSha) ?? str(meta?.bitbucketCommitSha),
    commitRef: str(meta?.githubCommitRef) ?? str(meta?.gitlabCommitRef) ?? str(meta?.bitbucketCommitRef),
    projectId: str(d.projectId),
    aliases,
  };
}

export function parseProject(raw: unknown): Project {
  const p = obj(raw);
  const id = str(p?.id);
  if (!p || !id) throw new UnexpectedResponse('a project');
  const prod = obj(obj(p.targets)?.production);
  const last = obj(p.lastAliasRequest);
  return {
    id,
    name: str(p.name) ?? id,
    production: prod && (str(prod.id) || str(prod.uid)) ? parseDeployment(prod) : undefined,
    autoAssignCustomDomains: typeof p.autoAssignCustomDomains === 'boolean' ? p.autoAssignCustomDomains : undefined,
    lastAliasRequest: last
      ? {
          fromDeploymentId: str(last.fromDeploymentId),
          toDeploymentId: str(last.toDeploymentId),
          jobStatus: str(last.jobStatus),
          requestedAt: num(last.requestedAt),
          type: str(last.type),
        }
      : undefined,
  };
}

export function parseDeploymentPage(raw: unknown): { deployments: Deployment[]; next?: number } {
  const page = obj(raw);
  if (!page || !Array.isArray(page.deployments)) throw new UnexpectedResponse('a deployment list');
  const next = num(obj(page.pagination)?.next);
  return { deployments: page.deployments.map(parseDeployment), next };
}

export function parseAliasPage(raw: unknown): { aliases: FailedAlias[]; next?: number } {
  const page = obj(raw);
  const list = Array.isArray(page?.aliases) ? page.aliases : [];
  const aliases: FailedAlias[] = [];
  for (const item of list) {
    const a = obj(item);
    const inner = obj(a?.alias);
    const name = str(inner?.alias) ?? str(a?.alias);
    if (name) aliases.push({ alias: name, deploymentId: str(inner?.deploymentId), status: str(a?.status) });
  }
  return { aliases, next: num(obj(page?.pagination)?.next) };
}

/** A readable one-line name for a deployment in logs and errors. */
export function describeDeployment(d: Deployment): string {
  const sha = d.commitSha ? ` commit ${d.commitSha.slice(0, 7)}` : '';
  const when = d.createdAt ? ` created ${new Date(d.createdAt).toISOString()}` : '';
  return `${d.id}${d.url ? ` (${d.url})` : ''}${sha}${when}`;
}
