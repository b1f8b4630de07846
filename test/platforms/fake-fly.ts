// A local stand-in for the three Fly services a rollback touches, faithful to the reference:
// the GraphQL API (`POST /graphql`, `app(name){ releasesUnprocessed(first, after){ nodes pageInfo } }`,
// errors as HTTP 200 with `errors`), the Machines API (`/v1/apps/{app}/machines`, updates that must
// carry the full config and make a new instance_id, `/wait?state=&instance_id=&timeout=` answering
// 408 until the new instance is up after several polls), and the registry's manifest endpoint
// (`HEAD /v2/{repo}/manifests/{ref}`, 404 once an image is gone). Bearer tokens are scoped to apps.
// `deploy` ships a new release as `fly deploy` does: a release, and every machine updated from its
// own config (flyctl's appconfig updateMachineConfig clones it and sets only its `fly_` metadata
// keys, so other metadata survives). Updating machines through the Machines API creates no release.
import { isDeepStrictEqual } from 'node:util';
import { bearer, startFakeHttp, type Answer, type FakeHttp, type RecordedRequest } from './fake-http.js';

export interface FakeRelease {
  id: string;
  version: number;
  status: string;
  stable: boolean;
  imageRef: string;
  createdAt: string;
}

export interface FakeMachine {
  id: string;
  name: string;
  state: string;
  region: string;
  instance_id: string;
  config: Record<string, unknown>;
  /** 408 answers still to give before the current instance reaches its state. */
  pendingWaits: number;
  /** The state the current instance is heading for. */
  heading?: string;
}

export interface FakeFly extends FakeHttp {
  app: string;
  releases: FakeRelease[];
  machines: FakeMachine[];
  /** Images present in the registry. */
  registry: Set<string>;
  addToken(token: string, apps: string[]): void;
  release(opts: { status?: string; stable?: boolean; image?: string }): FakeRelease;
  machine(image: string, state?: string): FakeMachine;
  /** `fly deploy`: a new release, and every machine moved to its image with the rest of its config kept. */
  deploy(opts?: { status?: string; stable?: boolean; image?: string }): FakeRelease;
  /** Machine ids that answer 422 to an update. */
  refuse: Set<string>;
  /** Wait answers (408) each updated machine gives before it is up; Infinity never. */
  waitsBeforeUp: number;
  images(): (string | undefined)[];
}

const IMAGE = (app: string, n: number) => `registry.fly.io/${app}:deployment-01J${String(n).padStart(6, '0')}`;

export async function startFakeFly(app = 'hotdash'): Promise<FakeFly> {
  const releases: FakeRelease[] = [];
  const machines: FakeMachine[] = [];
  const registry = new Set<string>();
  const tokens = new Map<string, string[]>();
  let seq = 0;
  let instance = 0;

  const canSee = (r: RecordedRequest, name: string) => {
    const b = bearer(r);
    return !!b && (tokens.get(b) ?? []).includes(name);
  };
  const known = (r: RecordedRequest) => {
    const b = bearer(r);
    return !!b && tokens.has(b);
  };
  const machineView = (m: FakeMachine) => ({ id: m.id, name: m.name, state: m.state, region: m.region, instance_id: m.instance_id, config: m.config, image_ref: { registry: 'registry.fly.io', repository: app } });

  const graphql = (r: RecordedRequest): Answer => {
    if (!known(r)) return { status: 200, body: { data: null, errors: [{ message: 'You must be authenticated to view this.', extensions: { code: 'UNAUTHORIZED' } }] } };
    const vars = ((r.body as { variables?: Record<string, unknown> })?.variables ?? {}) as { app?: string; first?: number; after?: string };
    if (vars.app !== app || !canSee(r, String(vars.app))) return { status: 200, body: { data: { app: null }, errors: [{ message: 'Could not find App', extensions: { code: 'NOT_FOUND' } }] } };
    const list = [...releases].sort((a, b) => b.version - a.version);
    const start = vars.after ? Number(vars.after) + 1 : 0;
    const page = list.slice(start, start + (vars.first ?? 25));
    const end = start + page.length - 1;
    return { status: 200, body: { data: { app: { releasesUnprocessed: { nodes: page, pageInfo: { hasNextPage: end < list.length - 1, endCursor: String(end) } } } } } };
  };

  const machinesApi = (r: RecordedRequest): Answer => {
    const m = /^\/v1\/apps\/([^/]+)\/machines(?:\/([^/]+)(\/wait)?)?$/.exec(r.path);
    if (!m) return { status: 404, body: { error: 'not found' } };
    if (!known(r)) return { status: 401, body: { error: 'unauthorized' } };
    const [, name, id, wait] = m;
    if (name !== app || !canSee(r, name!)) return { status: 404, body: { error: 'app not found' } };
    if (!id) return { status: 200, body: machines.map(machineView) };
    const machine = machines.find((x) => x.id === id);
    if (!machine) return { status: 404, body: { error: 'machine not found' } };
    if (wait) {
      if (r.query.instance_id && r.query.instance_id !== machine.instance_id) return { status: 400, body: { error: `machine ${id} has no instance ${r.query.instance_id}` } };
      if (machine.heading !== r.query.state && machine.state !== r.query.state) return { status: 408, body: { error: `deadline_exceeded: machine did not reach state ${r.query.state}` } };
      if (machine.pendingWaits > 0) {
        machine.pendingWaits--;
        return { status: 408, body: { error: `deadline_exceeded: machine did not reach state ${r.query.state}` } };
      }
      machine.state = r.query.state!;
      return { status: 200, body: { ok: true } };
    }
    if (r.method === 'GET') return { status: 200, body: machineView(machine) };
    const body = r.body as { config?: Record<string, unknown>; skip_launch?: boolean };
    // Metadata is the caller's to add to (only Fly's own `fly_` keys must stay as they were).
    const comparable = (c: Record<string, unknown> | undefined) => {
      const out = { ...c };
      delete out.image;
      out.metadata = Object.fromEntries(Object.entries((out.metadata as Record<string, unknown>) ?? {}).filter(([k]) => k.startsWith('fly_')));
      return out;
    };
    const sent = comparable(body?.config);
    const had = comparable(machine.config);
    // Fly replaces the whole config: a partial one would silently drop services, mounts, env.
    if (!isDeepStrictEqual(sent, had)) return { status: 400, body: { error: 'invalid config: the update must carry the full machine config' } };
    if (fake.refuse.has(id)) return { status: 422, body: { error: `failed to update VM ${id}: unable to reserve resources in region ${machine.region}` } };
    const image = String(body.config!.image);
    if (!registry.has(image)) return { status: 422, body: { error: `failed to get manifest ${image}: not found` } };
    machine.config = { ...body.config!, image };
    machine.instance_id = `01J${String(++instance).padStart(10, '0')}`;
    machine.heading = body.skip_launch ? 'stopped' : 'started';
    machine.state = 'replacing';
    machine.pendingWaits = fake.waitsBeforeUp;
    return { status: 200, body: machineView(machine) };
  };

  const registryApi = (r: RecordedRequest): Answer => {
    const m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(r.path);
    if (!m) return { status: 404, body: { errors: [{ code: 'NAME_UNKNOWN' }] } };
    const auth = String(r.headers.authorization ?? '');
    const password = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString().split(':').slice(1).join(':') : '';
    if (!tokens.has(password)) return { status: 401, body: { errors: [{ code: 'UNAUTHORIZED' }] } };
    const ref = `registry.fly.io/${m[1]}:${decodeURIComponent(m[2]!)}`;
    return registry.has(ref) ? { status: 200, headers: { 'docker-content-digest': 'sha256:0' } } : { status: 404, body: { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] } };
  };

  const http = await startFakeHttp((r) => (r.path === '/graphql' ? graphql(r) : r.path.startsWith('/v2/') ? registryApi(r) : machinesApi(r)));
  const fake: FakeFly = Object.assign(http, {
    app,
    releases,
    machines,
    registry,
    refuse: new Set<string>(),
    waitsBeforeUp: 2,
    addToken: (token: string, apps: string[]) => void tokens.set(token, apps),
    release(opts: { status?: string; stable?: boolean; image?: string }) {
      const n = ++seq;
      const r: FakeRelease = {
        id: `rel_${n.toString(36).padStart(8, 'q')}`,
        version: n,
        status: opts.status ?? 'complete',
        stable: opts.stable ?? true,
        imageRef: opts.image ?? IMAGE(app, n),
        createdAt: new Date(Date.UTC(2026, 10, 1) + n * 3_600_000).toISOString(),
      };
      releases.push(r);
      registry.add(r.imageRef);
      return r;
    },
    machine(image: string, state = 'started') {
      const m: FakeMachine = {
        id: `148e${(machines.length + 1).toString(16).padStart(10, '0')}`,
        name: `${app}-web-${machines.length + 1}`,
        state,
        region: ['ams', 'fra', 'iad'][machines.length % 3]!,
        instance_id: `01J${String(++instance).padStart(10, '0')}`,
        config: { image, guest: { cpu_kind: 'shared', cpus: 1, memory_mb: 512 }, services: [{ internal_port: 8080, protocol: 'tcp', ports: [{ port: 443, handlers: ['tls', 'http'] }] }], env: { PORT: '8080' }, metadata: { fly_process_group: 'app' } },
        pendingWaits: 0,
      };
      machines.push(m);
      return m;
    },
    images: () => machines.map((m) => m.config.image as string | undefined),
    deploy(opts: { status?: string; stable?: boolean; image?: string } = {}) {
      const r = fake.release(opts);
      for (const m of machines) {
        m.config = { ...m.config, image: r.imageRef, metadata: { ...(m.config.metadata as Record<string, unknown>), fly_release_id: r.id, fly_release_version: String(r.version) } };
        m.instance_id = `01J${String(++instance).padStart(10, '0')}`;
      }
      return r;
    },
  });
  return fake;
}
