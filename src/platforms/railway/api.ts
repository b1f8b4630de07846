/** The Railway GraphQL operations a rollback uses, one function each. */
import type { RailwayClient } from './client.js';
import { parseDeployment, parseDeploymentPage, type RailwayDeployment } from './model.js';
import { listingPage, PageGuard, type ListingBound } from '../listing.js';

export interface ServiceRef {
  projectId: string;
  environmentId: string;
  serviceId: string;
}

const FIELDS = 'id status createdAt canRollback staticUrl meta';
export const PAGE_SIZE = 50;

/** The deployments of one service in one environment, newest first, a page per iteration. */
export async function* deployments(client: RailwayClient, ref: ServiceRef, bound?: ListingBound): AsyncGenerator<RailwayDeployment[]> {
  const guard = new PageGuard(`the deployments of service ${ref.serviceId}`);
  let after: string | undefined;
  for (let page = 0; ; page++) {
    const data = await listingPage(bound, page, () => client.query(
      'deployments',
      `query deployments($input: DeploymentListInput!, $first: Int, $after: String) {
        deployments(input: $input, first: $first, after: $after) { edges { node { ${FIELDS} } } pageInfo { hasNextPage endCursor } }
      }`,
      { input: ref, first: PAGE_SIZE, after },
    ));
    const { deployments: list, next } = parseDeploymentPage(data);
    yield list;
    if (!next || list.length === 0) return;
    guard.check(next);
    after = next;
  }
}

export async function getDeployment(client: RailwayClient, id: string): Promise<RailwayDeployment & { serviceId?: string; environmentId?: string }> {
  const data = await client.query('deployment', `query deployment($id: String!) { deployment(id: $id) { ${FIELDS} serviceId environmentId } }`, { id });
  const raw = data.deployment as Record<string, unknown> | undefined;
  return { ...parseDeployment(raw), serviceId: raw?.serviceId as string | undefined, environmentId: raw?.environmentId as string | undefined };
}

export async function latestDeployment(client: RailwayClient, ref: ServiceRef): Promise<RailwayDeployment | undefined> {
  const data = await client.query(
    'serviceInstance',
    `query serviceInstance($environmentId: String!, $serviceId: String!) { serviceInstance(environmentId: $environmentId, serviceId: $serviceId) { latestDeployment { ${FIELDS} } } }`,
    { environmentId: ref.environmentId, serviceId: ref.serviceId },
  );
  const latest = (data.serviceInstance as Record<string, unknown> | undefined)?.latestDeployment;
  return latest ? parseDeployment(latest) : undefined;
}

/** Returns only a Boolean: success is seen by polling the service's latest deployment. */
export async function rollback(client: RailwayClient, id: string): Promise<boolean> {
  const data = await client.query('deploymentRollback', 'mutation deploymentRollback($id: String!) { deploymentRollback(id: $id) }', { id });
  return data.deploymentRollback === true;
}
