// A local stand-in for the Render REST API, faithful to the reference: bearer API keys, services
// with `autoDeploy` "yes"/"no" (PATCH changes it; an API rollback does not), deploys listed newest
// first as `{deploy, cursor}` with `limit` and `cursor`, `POST /v1/services/{id}/rollback` with
// `{deployId}` answering 201 with a new deploy (trigger "rollback") that goes build_in_progress →
// update_in_progress → live over several polls, the old live one turning deactivated; error
// bodies `{id, message}`. A deploy from a Docker image carries `image {ref, sha}` (and no commit);
// a rollback deploy carries its target's commit and image.
import { bearer, startFakeHttp, type Answer, type FakeHttp, type RecordedRequest } from './fake-http.js';

export interface FakeDeploy {
  id: string;
  status: string;
  trigger: string;
  commit: { id: string; message: string };
  image?: { ref: string; sha: string };
  createdAt: string;
  finishedAt?: string;
}

export interface FakeRender extends FakeHttp {
  service: { id: string; name: string; autoDeploy: string };
  deploys: FakeDeploy[];
  addToken(token: string): void;
  deploy(opts?: { status?: string; commit?: string; trigger?: string; image?: string | FakeDeploy['image'] }): FakeDeploy;
  live(): FakeDeploy | undefined;
  /** Statuses the next rollback deploy reports poll after poll (the last one sticks). */
  rollbackSteps: string[];
}

export const SERVICE_ID = 'srv-cq1h3k5ds78s73d4ho2g';
const error = (status: number, message: string): Answer => ({ status, body: { id: `err-${status}`, message } });

export async function startFakeRender(): Promise<FakeRender> {
  const tokens = new Set<string>();
  const deploys: FakeDeploy[] = [];
  let seq = 0;
  let clock = Date.UTC(2026, 10, 20);
  const steps = new Map<string, string[]>();

  const newestFirst = () => [...deploys].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
  const makeLive = (d: FakeDeploy) => {
    for (const x of deploys) if (x !== d && x.status === 'live') x.status = 'deactivated';
    d.status = 'live';
  };

  const handler = (r: RecordedRequest): Answer => {
    const b = bearer(r);
    if (!b || !tokens.has(b)) return error(401, 'unauthorized');
    const m = /^\/v1\/services\/([^/]+)(?:\/(deploys|rollback)(?:\/([^/]+))?)?$/.exec(r.path);
    if (!m) return error(404, 'not found');
    const [, id, sub, deployId] = m;
    if (id !== SERVICE_ID) return error(404, 'service not found');
    if (!sub) {
      if (r.method === 'PATCH') {
        const v = (r.body as { autoDeploy?: string })?.autoDeploy;
        if (v !== 'yes' && v !== 'no') return error(400, 'autoDeploy must be "yes" or "no"');
        fake.service.autoDeploy = v;
      }
      return { status: 200, body: { ...fake.service, type: 'web_service', repo: 'https://github.com/acme/backend', branch: 'main' } };
    }
    if (sub === 'deploys' && !deployId) {
      const limit = Math.min(Number(r.query.limit ?? 20), 100);
      const list = newestFirst();
      const start = r.query.cursor ? list.findIndex((d) => d.id === Buffer.from(r.query.cursor!, 'base64url').toString()) + 1 : 0;
      return { status: 200, body: list.slice(start, start + limit).map((d) => ({ deploy: d, cursor: Buffer.from(d.id).toString('base64url') })) };
    }
    if (sub === 'deploys') {
      const d = deploys.find((x) => x.id === deployId);
      if (!d) return error(404, 'deploy not found');
      const left = steps.get(d.id);
      if (left?.length) {
        const s = left.length > 1 ? left.shift()! : left[0]!;
        if (s === 'live') makeLive(d);
        else d.status = s;
        if (left.length === 1 && s === left[0] && ['live', 'update_failed', 'build_failed', 'canceled'].includes(s)) steps.delete(d.id);
      }
      return { status: 200, body: d };
    }
    if (r.method !== 'POST') return error(405, 'method not allowed');
    const target = deploys.find((x) => x.id === (r.body as { deployId?: string })?.deployId);
    if (!target) return error(404, 'deploy not found');
    if (!['deactivated', 'live'].includes(target.status)) return error(400, `deploy ${target.id} cannot be rolled back to: status ${target.status}`);
    const d = fake.deploy({ status: 'build_in_progress', commit: target.commit.id, trigger: 'rollback', image: target.image });
    steps.set(d.id, [...fake.rollbackSteps]);
    return { status: 201, body: d };
  };

  const http = await startFakeHttp(handler);
  const fake: FakeRender = Object.assign(http, {
    service: { id: SERVICE_ID, name: 'backend', autoDeploy: 'yes' },
    deploys,
    rollbackSteps: ['build_in_progress', 'update_in_progress', 'live'],
    addToken: (t: string) => void tokens.add(t),
    deploy(opts: { status?: string; commit?: string; trigger?: string; image?: string | FakeDeploy['image'] } = {}) {
      clock += 60_000;
      const n = ++seq;
      const d: FakeDeploy = {
        id: `dep-${n.toString(36).padStart(20, 'c')}`,
        status: 'created',
        trigger: opts.trigger ?? 'new_commit',
        commit: { id: opts.commit ?? n.toString(16).padStart(40, 'e'), message: `change ${n}` },
        ...(opts.image ? { image: typeof opts.image === 'string' ? { ref: opts.image, sha: `sha256:${n.toString(16).padStart(64, 'a')}` } : opts.image } : {}),
        createdAt: new Date(clock).toISOString(),
      };
      deploys.push(d);
      const status = opts.status ?? 'live';
      if (status === 'live') makeLive(d);
      else d.status = status;
      return d;
    },
    live: () => deploys.find((d) => d.status === 'live'),
  });
  return fake;
}
