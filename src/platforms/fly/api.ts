/**
 * The Fly endpoints a rollback uses: releases from the GraphQL API (`<api-url>/graphql`), machines
 * from the Machines API (`<machines-api-url>/v1`), and the registry's manifest endpoint to learn
 * whether an image still exists before any machine is touched.
 */
import type { Log } from '../../core/log.js';
import { HttpApiError, HttpClient } from '../http/client.js';
import { graphql } from '../http/graphql.js';
import type { RetryPolicy } from '../http/retry.js';
import type { StepDeadline } from '../http/deadline.js';
import type { ChangeGuard } from '../change-guard.js';
import { parseMachine, parseRelease, splitImage, type FlyMachine, type FlyRelease } from './model.js';
import { listingPage, PageGuard, type ListingBound } from '../listing.js';

export const FLY_API_URL = 'https://api.fly.io';
export const FLY_MACHINES_API_URL = 'https://api.machines.dev';
/** Fly's own registry: the only host the Fly token goes to unasked (registry-url names any other). */
export const FLY_REGISTRY_HOST = 'registry.fly.io';

export interface FlyClients {
  api: HttpClient;
  machines: HttpClient;
  /** The registry an image lives in, and whether the Fly token goes with the request. */
  registry: (host: string | undefined) => { client: HttpClient; withToken: boolean };
}

export interface FlyClientOptions {
  token: string;
  apiUrl?: string;
  machinesApiUrl?: string;
  /** Registry base; by default `https://<host of the image>`. The token goes only here or to registry.fly.io. */
  registryUrl?: string;
  log: Log;
  retry?: Partial<RetryPolicy>;
  requestTimeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  deadline?: StepDeadline;
  stop?: ChangeGuard;
}

export function flyClients(opts: FlyClientOptions): FlyClients {
  opts.log.secret(opts.token);
  const common = { log: opts.log, retry: opts.retry, requestTimeoutMs: opts.requestTimeoutMs, sleep: opts.sleep, deadline: opts.deadline, stop: opts.stop };
  const bearer = { Authorization: `Bearer ${opts.token}` };
  // The registry takes the same token as a password (as `flyctl auth docker` sets it up).
  const basic = `Basic ${Buffer.from(`x:${opts.token}`).toString('base64')}`;
  opts.log.secret(basic.slice('Basic '.length));
  return {
    api: new HttpClient({ service: 'Fly', baseUrl: opts.apiUrl || FLY_API_URL, headers: bearer, ...common }),
    machines: new HttpClient({ service: 'Fly Machines', baseUrl: opts.machinesApiUrl || FLY_MACHINES_API_URL, headers: bearer, ...common }),
    registry: (host) => {
      // An image may name any registry (ghcr.io, docker.io, a vendor's): the Fly token is a
      // credential for Fly's registry alone, so another host is asked without it.
      const withToken = !!opts.registryUrl || (host ?? FLY_REGISTRY_HOST).toLowerCase() === FLY_REGISTRY_HOST;
      const baseUrl = opts.registryUrl || `https://${host ?? FLY_REGISTRY_HOST}`;
      return { client: new HttpClient({ service: 'Fly registry', baseUrl, headers: withToken ? { Authorization: basic } : {}, ...common }), withToken };
    },
  };
}

export const RELEASE_PAGE = 50;

/** Releases, newest first, one page per iteration, for as long as `bound` allows. */
export async function* releases(c: FlyClients, app: string, bound?: ListingBound): AsyncGenerator<FlyRelease[]> {
  const guard = new PageGuard(`the releases of app ${app}`);
  let after: string | undefined;
  for (let page = 0; ; page++) {
    const data = await listingPage(bound, page, () => graphql(
      c.api,
      'graphql',
      'releases',
      `query releases($app: String!, $first: Int, $after: String) {
        app(name: $app) { releasesUnprocessed(first: $first, after: $after) { nodes { id version status imageRef stable createdAt } pageInfo { hasNextPage endCursor } } }
      }`,
      { app, first: RELEASE_PAGE, after },
    ));
    const conn = (data.app as { releasesUnprocessed?: { nodes?: unknown[]; pageInfo?: { hasNextPage?: boolean; endCursor?: string } } } | null)?.releasesUnprocessed;
    const list = (conn?.nodes ?? []).map(parseRelease).sort((a, b) => b.version - a.version);
    yield list;
    if (!conn?.pageInfo?.hasNextPage || !conn.pageInfo.endCursor || list.length === 0) return;
    guard.check(conn.pageInfo.endCursor);
    after = conn.pageInfo.endCursor;
  }
}

const appPath = (app: string) => `/v1/apps/${encodeURIComponent(app)}/machines`;

export async function listMachines(c: FlyClients, app: string): Promise<FlyMachine[]> {
  const data = await c.machines.get(appPath(app));
  return (Array.isArray(data) ? data : []).map(parseMachine);
}

/**
 * Sends the machine's full config (as read, or with the rollback note: model.ts) with only the image
 * changed; Fly gives it a new instance.
 */
export async function updateImage(c: FlyClients, app: string, m: FlyMachine, image: string, skipLaunch: boolean, config: Record<string, unknown> = m.config): Promise<FlyMachine> {
  const res = await c.machines.request('POST', `${appPath(app)}/${encodeURIComponent(m.id)}`, { body: { config: { ...config, image }, ...(skipLaunch ? { skip_launch: true } : {}) } });
  return parseMachine(res.data);
}

/**
 * One bounded wait for a machine instance to reach a state. True when it did, false when Fly's
 * wait timed out (408) and the caller should ask again.
 */
export async function waitForState(c: FlyClients, app: string, machineId: string, instanceId: string | undefined, state: string, timeoutSeconds: number): Promise<boolean> {
  try {
    await c.machines.request('GET', `${appPath(app)}/${encodeURIComponent(machineId)}/wait`, { query: { state, timeout: timeoutSeconds, instance_id: instanceId } });
    return true;
  } catch (err) {
    if (err instanceof HttpApiError && err.status === 408) return false;
    throw err;
  }
}

export type ImageCheck = { found: true } | { found: false } | { found: 'unknown'; why: string };

/**
 * Asks the registry for the image's manifest (Docker Registry HTTP API v2). A registry other than
 * Fly's is asked without credentials: its 401 or 403 means it could not be checked, never "gone".
 */
export async function imageInRegistry(c: FlyClients, image: string): Promise<ImageCheck> {
  const parts = splitImage(image);
  if (!parts) return { found: 'unknown', why: `cannot read the image reference ${image}` };
  const { client, withToken } = c.registry(parts.host);
  try {
    await client.request('HEAD', `/v2/${parts.repository}/manifests/${encodeURIComponent(parts.reference)}`, {
      headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json' },
    });
    return { found: true };
  } catch (err) {
    if (err instanceof HttpApiError && err.status === 404) return { found: false };
    if (!withToken && err instanceof HttpApiError && (err.status === 401 || err.status === 403)) {
      return {
        found: 'unknown',
        why: `${client.host} asks for credentials (${err.status}), and the Fly token is sent only to ${FLY_REGISTRY_HOST} or to registry-url, so the image could not be checked`,
      };
    }
    return { found: 'unknown', why: (err as Error).message };
  }
}
