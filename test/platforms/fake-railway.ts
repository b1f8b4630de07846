// A local stand-in for Railway's public GraphQL API (backboard /graphql/v2), faithful to the
// reference: project tokens in `Project-Access-Token` (scoped to one project and environment),
// account tokens as `Authorization: Bearer`; errors as HTTP 200 with `errors`; `deployments`
// newest first with relay pagination; `deploymentRollback(id)` returning only a Boolean and
// creating a new deployment, with a new id and a copy of the source's meta (its commit, its image),
// that moves through INITIALIZING → BUILDING → DEPLOYING → SUCCESS over
// several polls of `serviceInstance.latestDeployment` (or ends CRASHED/FAILED), the replaced one
// turning REMOVED.
import { startFakeHttp, bearer, type FakeHttp, type RecordedRequest, type Answer } from './fake-http.js';

export interface FakeDeployment {
  id: string;
  projectId: string;
  environmentId: string;
  serviceId: string;
  status: string;
  createdAt: number;
  canRollback: boolean;
  meta: Record<string, unknown>;
  staticUrl?: string;
}

export interface FakeRailway extends FakeHttp {
  deployments: FakeDeployment[];
  /**
   * Adds a deployment, one minute newer than the last. A SUCCESS one replaces the live one. `commit`
   * '' makes one without a commit (a `railway up` upload), `image` one from a Docker image.
   */
  deploy(opts: { service?: string; status?: string; commit?: string; image?: string; canRollback?: boolean; id?: string }): FakeDeployment;
  addAccountToken(token: string, projects: string[]): void;
  addProjectToken(token: string, projectId: string, environmentId: string): void;
  /** How the next rollback goes: statuses it reports poll after poll (the last one sticks). */
  rollbackSteps: string[];
  /** Accept rollbacks (true) but leave them queued: no new deployment appears. */
  queueRollbacks: boolean;
  live(service?: string): FakeDeployment | undefined;
  /** Operation names of the requests, in order. */
  operations(): string[];
}

export const PROJECT = 'proj-7d2c';
export const ENVIRONMENT = 'env-prod-41';
export const SERVICE = 'svc-backend-9f';

const operationOf = (r: RecordedRequest): string => {
  const q = String((r.body as { query?: string })?.query ?? '');
  const m = /(?:query|mutation)\s+(\w+)/.exec(q);
  return m?.[1] ?? 'unknown';
};

const gqlError = (message: string, code?: string): Answer => ({ status: 200, body: { data: null, errors: [{ message, ...(code ? { extensions: { code } } : {}) }] } });

export async function startFakeRailway(): Promise<FakeRailway> {
  const deployments: FakeDeployment[] = [];
  const accountTokens = new Map<string, string[]>();
  const projectTokens = new Map<string, { projectId: string; environmentId: string }>();
  const services = new Set([SERVICE]);
  let clock = Date.UTC(2026, 10, 20);
  let seq = 0;
  /** The rollback in progress: its deployment and the steps still to report. */
  let rolling: { d: FakeDeployment; steps: string[]; replaced?: FakeDeployment } | undefined;

  const allowed = (r: RecordedRequest, projectId: string, environmentId: string): boolean => {
    const pt = r.headers['project-access-token'];
    if (typeof pt === 'string') {
      const scope = projectTokens.get(pt);
      return !!scope && scope.projectId === projectId && scope.environmentId === environmentId;
    }
    const b = bearer(r);
    return !!b && (accountTokens.get(b) ?? []).includes(projectId);
  };
  const authenticated = (r: RecordedRequest): boolean => {
    const pt = r.headers['project-access-token'];
    if (typeof pt === 'string') return projectTokens.has(pt);
    const b = bearer(r);
    return !!b && accountTokens.has(b);
  };
  const view = (d: FakeDeployment) => ({
    id: d.id,
    status: d.status,
    createdAt: new Date(d.createdAt).toISOString(),
    canRollback: d.canRollback,
    staticUrl: d.staticUrl ?? null,
    meta: d.meta,
    serviceId: d.serviceId,
    environmentId: d.environmentId,
  });
  const newestFirst = (service: string) =>
    deployments.filter((d) => d.serviceId === service && d.environmentId === ENVIRONMENT).sort((a, b) => b.createdAt - a.createdAt);

  const advance = () => {
    if (!rolling) return;
    const step = rolling.steps.length > 1 ? rolling.steps.shift()! : rolling.steps[0]!;
    rolling.d.status = step;
    if (step === 'SUCCESS' || step === 'CRASHED') {
      if (rolling.replaced && rolling.replaced.status === 'SUCCESS') rolling.replaced.status = 'REMOVED';
      rolling.d.canRollback = step === 'SUCCESS';
    }
    if (rolling.steps.length === 1 && ['SUCCESS', 'CRASHED', 'FAILED'].includes(step)) rolling = undefined;
  };

  const handler = (r: RecordedRequest): Answer => {
    if (r.method !== 'POST' || r.path !== '/graphql/v2') return { status: 404, body: 'Not Found' };
    if (!authenticated(r)) return gqlError('Not Authorized', 'UNAUTHENTICATED');
    const body = r.body as { query?: string; variables?: Record<string, unknown> };
    const vars = body?.variables ?? {};
    switch (operationOf(r)) {
      case 'deployments': {
        const input = vars.input as { projectId: string; environmentId: string; serviceId: string };
        if (!allowed(r, input.projectId, input.environmentId)) return gqlError('Not Authorized', 'UNAUTHENTICATED');
        if (input.projectId !== PROJECT || input.environmentId !== ENVIRONMENT) return gqlError('Project not found', 'NOT_FOUND');
        if (!services.has(input.serviceId)) return gqlError('Service not found', 'NOT_FOUND');
        const list = newestFirst(input.serviceId);
        const first = Number(vars.first ?? 20);
        const start = vars.after ? Number(Buffer.from(String(vars.after), 'base64').toString()) + 1 : 0;
        const page = list.slice(start, start + first);
        const end = start + page.length - 1;
        return {
          status: 200,
          body: {
            data: {
              deployments: {
                edges: page.map((d, i) => ({ cursor: Buffer.from(String(start + i)).toString('base64'), node: view(d) })),
                pageInfo: { hasNextPage: end < list.length - 1, endCursor: page.length ? Buffer.from(String(end)).toString('base64') : null },
              },
            },
          },
        };
      }
      case 'deployment': {
        const d = deployments.find((x) => x.id === vars.id);
        if (!d || !allowed(r, d.projectId, d.environmentId)) return gqlError('Deployment not found', 'NOT_FOUND');
        return { status: 200, body: { data: { deployment: view(d) } } };
      }
      case 'serviceInstance': {
        if (!allowed(r, PROJECT, String(vars.environmentId))) return gqlError('Not Authorized', 'UNAUTHENTICATED');
        if (!services.has(String(vars.serviceId))) return gqlError('ServiceInstance not found', 'NOT_FOUND');
        advance();
        const latest = newestFirst(String(vars.serviceId))[0];
        return { status: 200, body: { data: { serviceInstance: { latestDeployment: latest ? view(latest) : null } } } };
      }
      case 'deploymentRollback': {
        const src = deployments.find((x) => x.id === vars.id);
        if (!src || !allowed(r, src.projectId, src.environmentId)) return gqlError('Deployment not found', 'NOT_FOUND');
        if (!src.canRollback) return gqlError('Deployment cannot be rolled back');
        if (fake.queueRollbacks) return { status: 200, body: { data: { deploymentRollback: true } } };
        const replaced = fake.live(src.serviceId);
        clock += 60_000;
        const d: FakeDeployment = { ...src, id: `dep-${(++seq).toString().padStart(4, '0')}-rb`, status: 'INITIALIZING', createdAt: clock, canRollback: false, meta: { ...src.meta } };
        deployments.push(d);
        rolling = { d, steps: [...fake.rollbackSteps], replaced };
        return { status: 200, body: { data: { deploymentRollback: true } } };
      }
      default:
        return gqlError('Cannot query field on type "Query"');
    }
  };

  const http = await startFakeHttp(handler, (r) => (r.method === 'POST' ? operationOf(r) : `${r.method} ${r.path}`));
  const fake: FakeRailway = Object.assign(http, {
    url: `${http.url}/graphql/v2`,
    deployments,
    rollbackSteps: ['INITIALIZING', 'BUILDING', 'DEPLOYING', 'SUCCESS'],
    queueRollbacks: false,
    deploy(opts: { service?: string; status?: string; commit?: string; image?: string; canRollback?: boolean; id?: string }) {
      clock += 60_000;
      const n = ++seq;
      const status = opts.status ?? 'SUCCESS';
      const service = opts.service ?? SERVICE;
      services.add(service);
      if (status === 'SUCCESS') for (const d of deployments) if (d.serviceId === service && d.status === 'SUCCESS') d.status = 'REMOVED';
      const d: FakeDeployment = {
        id: opts.id ?? `dep-${n.toString().padStart(4, '0')}`,
        projectId: PROJECT,
        environmentId: ENVIRONMENT,
        serviceId: service,
        status,
        createdAt: clock,
        canRollback: opts.canRollback ?? !['FAILED', 'CRASHED'].includes(status),
        // Railway's meta holds only what the source recorded: an upload has no commit or branch.
        meta: opts.commit === '' ? { ...(opts.image ? { image: opts.image } : {}) } : { commitHash: opts.commit ?? n.toString(16).padStart(40, 'c'), branch: 'main', ...(opts.image ? { image: opts.image } : {}) },
        staticUrl: 'backend-production.up.railway.app',
      };
      deployments.push(d);
      return d;
    },
    addAccountToken: (token: string, projects: string[]) => void accountTokens.set(token, projects),
    addProjectToken: (token: string, projectId: string, environmentId: string) => void projectTokens.set(token, { projectId, environmentId }),
    live: (service = SERVICE) => newestFirst(service).find((d) => ['SUCCESS', 'SLEEPING', 'CRASHED'].includes(d.status)),
    operations: () => http.requests.map(operationOf),
  });
  return fake;
}
