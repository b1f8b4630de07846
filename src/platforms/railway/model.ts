/**
 * The fields of Railway deployments a rollback needs, read tolerantly: unknown fields ignored,
 * unknown statuses kept as strings; a deployment without an id is the only parse error.
 */
import { UnexpectedShape } from '../http/errors.js';
import { obj, str, type Obj } from '../http/read.js';

export interface RailwayDeployment {
  id: string;
  /** SUCCESS, REMOVED, FAILED, CRASHED, BUILDING, … */
  status: string;
  createdAt: number;
  canRollback?: boolean;
  commitHash?: string;
  image?: string;
  url?: string;
}

export function parseDeployment(raw: unknown): RailwayDeployment {
  const o = obj(raw);
  const id = str(o?.id);
  if (!o || !id) throw new UnexpectedShape('a Railway deployment');
  const meta = obj(o.meta) ?? {};
  const created = typeof o.createdAt === 'number' ? o.createdAt : Date.parse(String(o.createdAt ?? ''));
  return {
    id,
    status: str(o.status)?.toUpperCase() ?? 'UNKNOWN',
    createdAt: Number.isNaN(created) ? 0 : created,
    canRollback: typeof o.canRollback === 'boolean' ? o.canRollback : undefined,
    commitHash: str(meta.commitHash),
    image: str(meta.image),
    url: str(o.staticUrl) ? `https://${str(o.staticUrl)}` : undefined,
  };
}

export function parseDeploymentPage(data: Obj): { deployments: RailwayDeployment[]; next?: string } {
  const conn = obj(data.deployments);
  if (!conn || !Array.isArray(conn.edges)) throw new UnexpectedShape('the Railway deployment list');
  const deployments = conn.edges.map((e) => parseDeployment(obj(e)?.node));
  const page = obj(conn.pageInfo);
  return { deployments, next: page?.hasNextPage === true ? str(page.endCursor) : undefined };
}

/** What the code of a deployment is, to recognise a copy made by an earlier rollback. */
export const codeOf = (d: RailwayDeployment): string | undefined => d.commitHash ?? d.image;

export const describeDeployment = (d: RailwayDeployment): string =>
  `${d.id} (${d.status}${d.commitHash ? `, commit ${d.commitHash.slice(0, 7)}` : d.image ? `, image ${d.image}` : ''}${d.createdAt ? `, created ${new Date(d.createdAt).toISOString()}` : ''})`;
