// A local stand-in for the Netlify API, faithful to the reference (netlify/open-api): bearer
// tokens, the site by id or name.netlify.app with its `published_deploy`, deploys filtered by
// `production` and `state` with `page`/`per_page`, `POST …/deploys/{id}/restore` answering 201 and
// publishing a few site polls later, and `POST /deploys/{id}/lock`/`unlock` that stop or resume
// auto publishing (a locked site builds new deploys without publishing them). Each deploy carries
// `published_at`: when it was last published, null if it never was. Errors are `{code, message}`.
import { randomBytes } from 'node:crypto';
import { bearer, startFakeHttp, type Answer, type FakeHttp, type RecordedRequest } from './fake-http.js';

export interface FakeNetlifyDeploy {
  id: string;
  site_id: string;
  state: string;
  context: string;
  commit_ref: string;
  created_at: string;
  deploy_ssl_url: string;
  locked: boolean;
  published_at: string | null;
}

export interface FakeNetlify extends FakeHttp {
  site: { id: string; name: string; publishedId?: string; locked: boolean };
  /** Publishes a deploy as Netlify does (the site serves it; its published_at is now). */
  publish(d: FakeNetlifyDeploy): void;
  deploys: FakeNetlifyDeploy[];
  addToken(token: string): void;
  /** A new deploy; `site` makes it another site's (reachable by id, never listed for this one). */
  deploy(opts?: { state?: string; context?: string; commit?: string; id?: string; site?: string }): FakeNetlifyDeploy;
  /** Answers deploys without `published_at`, as an API that does not say. */
  omitPublishedAt: boolean;
  published(): FakeNetlifyDeploy | undefined;
  /** Site reads after a restore before it publishes; Infinity never. */
  publishAfterPolls: number;
}

export const SITE_ID = '5a1b2c3d-0000-4e5f-8a9b-0c1d2e3f4a5b';
const error = (code: number, message: string): Answer => ({ status: code, body: { code, message } });

export async function startFakeNetlify(): Promise<FakeNetlify> {
  const tokens = new Set<string>();
  const deploys: FakeNetlifyDeploy[] = [];
  let clock = Date.UTC(2026, 10, 20);
  let pending: { id: string; polls: number } | undefined;

  const siteView = () => ({
    id: fake.site.id,
    name: fake.site.name,
    ssl_url: `https://${fake.site.name}.netlify.app`,
    published_deploy: fake.published() ? view(fake.published()!) : null,
  });
  const view = (d: FakeNetlifyDeploy) => {
    if (!fake.omitPublishedAt) return d;
    const { published_at: _hidden, ...rest } = d;
    return rest;
  };
  const findSite = (id: string) => id === fake.site.id || id === `${fake.site.name}.netlify.app`;

  const handler = (r: RecordedRequest): Answer => {
    const b = bearer(r);
    if (!b || !tokens.has(b)) return error(401, 'Access Denied: Origin returned bad status 401');
    let m = /^\/api\/v1\/sites\/([^/]+)(\/deploys(?:\/([^/]+)\/restore)?)?$/.exec(r.path);
    if (m) {
      const [, id, list, restoreId] = m;
      if (!findSite(decodeURIComponent(id!))) return error(404, 'Not Found');
      if (!list) {
        if (pending && --pending.polls <= 0) {
          fake.publish(deploys.find((d) => d.id === pending!.id)!);
          pending = undefined;
        }
        return { status: 200, body: siteView() };
      }
      if (!restoreId) {
        let out = deploys.filter((d) => d.site_id === fake.site.id).sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at));
        if (r.query.production === 'true') out = out.filter((d) => d.context === 'production');
        if (r.query.state) out = out.filter((d) => d.state === r.query.state);
        const per = Number(r.query.per_page ?? 100);
        const page = Number(r.query.page ?? 1);
        return { status: 200, body: out.slice((page - 1) * per, page * per).map(view) };
      }
      if (r.method !== 'POST') return error(405, 'Method Not Allowed');
      const d = deploys.find((x) => x.id === restoreId);
      if (!d) return error(404, 'Not Found');
      if (d.state !== 'ready') return error(422, `Deploy ${d.id} is not ready`);
      pending = { id: d.id, polls: fake.publishAfterPolls };
      return { status: 201, body: view(d) };
    }
    m = /^\/api\/v1\/deploys\/([^/]+)(?:\/(lock|unlock))?$/.exec(r.path);
    if (!m) return error(404, 'Not Found');
    const d = deploys.find((x) => x.id === m![1]);
    if (!d) return error(404, 'Not Found');
    if (m[2]) {
      if (r.method !== 'POST') return error(405, 'Method Not Allowed');
      d.locked = m[2] === 'lock';
      fake.site.locked = d.locked;
    }
    return { status: 200, body: view(d) };
  };

  const http = await startFakeHttp(handler);
  const fake: FakeNetlify = Object.assign(http, {
    site: { id: SITE_ID, name: 'shop-front', publishedId: undefined as string | undefined, locked: false },
    deploys,
    publishAfterPolls: 2,
    addToken: (t: string) => void tokens.add(t),
    omitPublishedAt: false,
    deploy(opts: { state?: string; context?: string; commit?: string; id?: string; site?: string } = {}) {
      clock += 60_000;
      const id = opts.id ?? randomBytes(12).toString('hex');
      const d: FakeNetlifyDeploy = {
        id,
        site_id: opts.site ?? SITE_ID,
        state: opts.state ?? 'ready',
        context: opts.context ?? 'production',
        commit_ref: opts.commit ?? randomBytes(20).toString('hex'),
        created_at: new Date(clock).toISOString(),
        deploy_ssl_url: `https://${id}--shop-front.netlify.app`,
        locked: false,
        published_at: null,
      };
      deploys.push(d);
      if (d.state === 'ready' && d.context === 'production' && d.site_id === SITE_ID && !fake.site.locked) fake.publish(d);
      return d;
    },
    publish(d: FakeNetlifyDeploy) {
      fake.site.publishedId = d.id;
      d.published_at = new Date(Math.max(clock, Date.parse(d.created_at)) + 1000).toISOString();
    },
    published: () => deploys.find((d) => d.id === fake.site.publishedId),
  });
  return fake;
}
