/**
 * The Render REST endpoints a rollback uses (api-docs.render.com), with the few fields it reads:
 * the service (its auto-deploy setting), its deploys newest first with cursor pagination, the
 * rollback call that starts a new deploy, and the PATCH that turns auto-deploy off.
 */
import type { Log } from '../../core/log.js';
import { HttpClient } from '../http/client.js';
import { UnexpectedShape } from '../http/errors.js';
import type { RetryPolicy } from '../http/retry.js';
import type { StepDeadline } from '../http/deadline.js';
import type { ChangeGuard } from '../change-guard.js';
import { obj, str } from '../http/read.js';
import { listingPage, PageGuard, type ListingBound } from '../listing.js';

export const RENDER_API_URL = 'https://api.render.com';

export interface RenderService {
  id: string;
  name?: string;
  /** "yes" or "no". */
  autoDeploy?: string;
}

export interface RenderDeploy {
  id: string;
  /** created, build_in_progress, update_in_progress, live, deactivated, build_failed, update_failed, canceled, … */
  status: string;
  /** new_commit, manual, api, rollback, … */
  trigger?: string;
  commitId?: string;
  image?: string;
  createdAt: number;
}

export function parseDeploy(raw: unknown): RenderDeploy {
  const o = obj(raw);
  const id = str(o?.id);
  if (!o || !id) throw new UnexpectedShape('a Render deploy');
  const created = Date.parse(String(o.createdAt ?? ''));
  return {
    id,
    status: (str(o.status) ?? 'unknown').toLowerCase(),
    trigger: str(o.trigger),
    commitId: str(obj(o.commit)?.id),
    image: str(obj(o.image)?.sha) ?? str(obj(o.image)?.ref),
    createdAt: Number.isNaN(created) ? 0 : created,
  };
}

export function renderClient(opts: { token: string; apiUrl?: string; log: Log; retry?: Partial<RetryPolicy>; requestTimeoutMs?: number; sleep?: (ms: number) => Promise<void>; deadline?: StepDeadline; stop?: ChangeGuard }): HttpClient {
  opts.log.secret(opts.token);
  return new HttpClient({ service: 'Render', baseUrl: opts.apiUrl || RENDER_API_URL, headers: { Authorization: `Bearer ${opts.token}` }, log: opts.log, retry: opts.retry, requestTimeoutMs: opts.requestTimeoutMs, sleep: opts.sleep, deadline: opts.deadline, stop: opts.stop });
}

const svc = (id: string) => `/v1/services/${encodeURIComponent(id)}`;

export async function getService(c: HttpClient, id: string): Promise<RenderService> {
  const o = obj(await c.get(svc(id)));
  if (!o || !str(o.id)) throw new UnexpectedShape('a Render service');
  return { id: str(o.id)!, name: str(o.name), autoDeploy: str(o.autoDeploy) };
}

export const PAGE_SIZE = 20;

/** Deploys newest first, a page per iteration; the list items are `{deploy, cursor}`. */
export async function* deploys(c: HttpClient, serviceId: string, bound?: ListingBound): AsyncGenerator<RenderDeploy[]> {
  const guard = new PageGuard(`the deploys of service ${serviceId}`);
  let cursor: string | undefined;
  for (let page = 0; ; page++) {
    const data = await listingPage(bound, page, () => c.get(`${svc(serviceId)}/deploys`, { limit: PAGE_SIZE, cursor }));
    if (!Array.isArray(data)) throw new UnexpectedShape('the Render deploy list');
    const list = data.map((item) => parseDeploy(obj(item)?.deploy ?? item));
    yield list;
    const last = str(obj(data[data.length - 1])?.cursor);
    if (list.length < PAGE_SIZE || !last) return;
    guard.check(last);
    cursor = last;
  }
}

export async function getDeploy(c: HttpClient, serviceId: string, deployId: string): Promise<RenderDeploy> {
  return parseDeploy(await c.get(`${svc(serviceId)}/deploys/${encodeURIComponent(deployId)}`));
}

/** Starts a new deploy of the target's build; answers with that new deploy. */
export async function rollback(c: HttpClient, serviceId: string, deployId: string): Promise<RenderDeploy> {
  return parseDeploy((await c.request('POST', `${svc(serviceId)}/rollback`, { body: { deployId } })).data);
}

export async function setAutoDeploy(c: HttpClient, serviceId: string, value: 'yes' | 'no'): Promise<RenderService> {
  const o = obj((await c.request('PATCH', svc(serviceId), { body: { autoDeploy: value } })).data);
  return { id: str(o?.id) ?? serviceId, name: str(o?.name), autoDeploy: str(o?.autoDeploy) };
}
