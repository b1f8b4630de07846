/**
 * The Netlify endpoints a rollback uses (netlify/open-api): the site and its published deploy, the
 * ready production deploys (page/per_page), restoring a deploy, and locking a deploy so that new
 * builds stop publishing.
 */
import type { Log } from '../../core/log.js';
import { HttpClient } from '../http/client.js';
import { UnexpectedShape } from '../http/errors.js';
import type { RetryPolicy } from '../http/retry.js';
import type { StepDeadline } from '../http/deadline.js';
import type { ChangeGuard } from '../change-guard.js';
import { obj, str } from '../http/read.js';
import { listingPage, PageGuard, type ListingBound } from '../listing.js';

export const NETLIFY_API_URL = 'https://api.netlify.com';

export interface NetlifyDeploy {
  id: string;
  /** ready, error, building, … */
  state: string;
  /** production, deploy-preview, branch-deploy */
  context?: string;
  commitRef?: string;
  url?: string;
  createdAt: number;
  locked?: boolean;
  /**
   * When it was last published (ms); null when Netlify says it never was (built while auto
   * publishing was stopped), undefined when the answer does not say.
   */
  publishedAt?: number | null;
  siteId?: string;
}

export interface NetlifySite {
  id: string;
  name?: string;
  url?: string;
  published?: NetlifyDeploy;
}

export function parseDeploy(raw: unknown): NetlifyDeploy {
  const o = obj(raw);
  const id = str(o?.id);
  if (!o || !id) throw new UnexpectedShape('a Netlify deploy');
  const created = Date.parse(String(o.created_at ?? ''));
  const published = o.published_at === null ? null : str(o.published_at) ? Date.parse(str(o.published_at)!) : undefined;
  return {
    id,
    state: (str(o.state) ?? 'unknown').toLowerCase(),
    context: str(o.context),
    commitRef: str(o.commit_ref),
    url: str(o.deploy_ssl_url) ?? str(o.deploy_url),
    createdAt: Number.isNaN(created) ? 0 : created,
    locked: typeof o.locked === 'boolean' ? o.locked : undefined,
    publishedAt: published === null || published === undefined || !Number.isNaN(published) ? published : undefined,
    siteId: str(o.site_id),
  };
}

export function netlifyClient(opts: { token: string; apiUrl?: string; log: Log; retry?: Partial<RetryPolicy>; requestTimeoutMs?: number; sleep?: (ms: number) => Promise<void>; deadline?: StepDeadline; stop?: ChangeGuard }): HttpClient {
  opts.log.secret(opts.token);
  return new HttpClient({ service: 'Netlify', baseUrl: opts.apiUrl || NETLIFY_API_URL, headers: { Authorization: `Bearer ${opts.token}` }, log: opts.log, retry: opts.retry, requestTimeoutMs: opts.requestTimeoutMs, sleep: opts.sleep, deadline: opts.deadline, stop: opts.stop });
}

const site = (id: string) => `/api/v1/sites/${encodeURIComponent(id)}`;

export async function getSite(c: HttpClient, id: string): Promise<NetlifySite> {
  const o = obj(await c.get(site(id)));
  if (!o || !str(o.id)) throw new UnexpectedShape('a Netlify site');
  const published = obj(o.published_deploy);
  return { id: str(o.id)!, name: str(o.name), url: str(o.ssl_url) ?? str(o.url), published: published?.id ? parseDeploy(published) : undefined };
}

export const PER_PAGE = 50;

/** Ready production deploys, newest first, a page per iteration. */
export async function* readyProductionDeploys(c: HttpClient, siteId: string, bound?: ListingBound): AsyncGenerator<NetlifyDeploy[]> {
  const guard = new PageGuard(`the ready production deploys of site ${siteId}`);
  for (let page = 1; ; page++) {
    const data = await listingPage(bound, page - 1, () => c.get(`${site(siteId)}/deploys`, { production: true, state: 'ready', page, per_page: PER_PAGE }));
    if (!Array.isArray(data)) throw new UnexpectedShape('the Netlify deploy list');
    const list = data.map(parseDeploy);
    yield list;
    if (list.length < PER_PAGE) return;
    // Page numbers always advance, so a server that ignores them shows as the same page again.
    guard.check(list.map((d) => d.id).join(' '), 'page');
  }
}

export async function getDeploy(c: HttpClient, deployId: string): Promise<NetlifyDeploy> {
  return parseDeploy(await c.get(`/api/v1/deploys/${encodeURIComponent(deployId)}`));
}

export async function restore(c: HttpClient, siteId: string, deployId: string): Promise<NetlifyDeploy> {
  return parseDeploy((await c.request('POST', `${site(siteId)}/deploys/${encodeURIComponent(deployId)}/restore`)).data);
}

export async function lockDeploy(c: HttpClient, deployId: string): Promise<NetlifyDeploy> {
  return parseDeploy((await c.request('POST', `/api/v1/deploys/${encodeURIComponent(deployId)}/lock`)).data);
}
