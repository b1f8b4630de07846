/**
 * A local stand-in for the Vercel REST API, faithful to the reference contract: bearer auth, team
 * scope by teamId or slug, paginated deployment lists (`until` / `pagination.next`), READY and
 * non-READY, preview and production deployments, readySubstate, alias jobs that move
 * pending → in-progress → succeeded/failed/skipped over several polls of
 * GET /v9/projects/{id}?rollbackInfo=true, 402 on Hobby beyond the deployment that served production
 * right before the current one (by what served, in order, not by creation time: after a rollback and
 * a promotion that is the rollback's target), 409 when the deployment is already current, and injectable faults: 429 + Retry-After, plain-text 500, `err`
 * bodies, dropped connections. It ships: `rollback-kit sandbox` serves its app's deployments from
 * it; the tests and benchmarks use this same one.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface FakeDeployment {
  uid: string;
  projectId: string;
  name: string;
  url: string;
  createdAt: number;
  readyState: string;
  readySubstate?: string;
  target: string | null;
  sha: string;
}

export interface FakeJob {
  pendingPolls: number;
  inProgressPolls: number;
  outcome: 'succeeded' | 'failed' | 'skipped' | 'stuck';
  failedAliases: string[];
  polls: number;
}

export interface FakeProject {
  id: string;
  name: string;
  owner: string;
  autoAssignCustomDomains: boolean;
  productionId?: string;
  /** Every deployment that went live, in the order it did (a rollback puts an older one at the end again). */
  served: string[];
  rollingRelease: boolean;
  domains: string[];
  lastAliasRequest?: { fromDeploymentId?: string; toDeploymentId: string; jobStatus: string; requestedAt: number; type: 'rollback' | 'promote' };
  rollbackDescription?: string | null;
  job: FakeJob;
  envs: FakeEnv[];
}

export interface FakeEnv {
  id: string;
  key: string;
  value: string;
  type: string;
  target: string | string[];
  createdAt: number;
  updatedAt: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** performance.timeOrigin + performance.now() when the request arrived. */
  at: number;
  status: number;
  authorization?: string;
}

export interface FaultAnswer {
  status?: number;
  /** Plain-text body. */
  text?: string;
  /** Answer `{err: {code, message}}` instead of `{error: …}`. */
  err?: string;
  code?: string;
  message?: string;
  retryAfter?: string | number;
  /** Appends this rendering of the request's Authorization header to the message or text, as a proxy or debug page may. */
  echoAuthorization?: (authorization: string) => string;
  /** Drop the connection without an answer. */
  reset?: boolean;
  /** Handle the request normally, then drop the connection instead of answering. */
  dropAfterHandling?: boolean;
  /** Runs when the fault fires: a change made by someone else at that moment. */
  effect?: () => void;
}

export interface FakeVercel {
  url: string;
  /** Milliseconds every answer waits: a far-away or slow API. */
  latencyMs: number;
  requests: RecordedRequest[];
  addToken(token: string, user: string, teams?: string[], meta?: { expiresAt?: number; fullAccount?: boolean }): void;
  addTeam(id: string, slug: string, plan?: 'hobby' | 'pro'): void;
  setUserPlan(user: string, plan: 'hobby' | 'pro'): void;
  addProject(opts: { name: string; owner: string; id?: string; domains?: string[] }): FakeProject;
  addDeployment(
    project: FakeProject,
    opts?: { id?: string; url?: string; sha?: string; state?: string; substate?: string; target?: string | null; createdAt?: number; production?: boolean },
  ): FakeDeployment;
  addEnv(project: FakeProject, opts: { key: string; value: string; type?: string; target?: string | string[]; createdAt?: number; updatedAt?: number }): FakeEnv;
  setProduction(project: FakeProject, d: FakeDeployment): void;
  production(project: FakeProject): FakeDeployment | undefined;
  fault(match: string | RegExp, answer: FaultAnswer, times?: number): void;
  requestsTo(pattern: RegExp): RecordedRequest[];
  /**
   * Holds the next request whose "METHOD /path" matches, unanswered (and not yet recorded or acted
   * on), until `release()`: `reached` settles when it arrives. A test stops the run at that point.
   */
  hold(match: string | RegExp): { reached: Promise<void>; release(): void };
  close(): Promise<void>;
}


type Answer = [number, unknown];
interface Scope {
  fail?: Answer;
  owner?: string;
  plan?: string;
}

const now = () => performance.timeOrigin + performance.now();

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  if (body === undefined) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json; charset=utf-8', ...headers });
  res.end(text);
}

const apiError = (code: string, message: string, extra: Record<string, unknown> = {}) => ({ error: { code, message, ...extra } });

export async function startFakeVercel(): Promise<FakeVercel> {
  const state = {
    /** token -> { user, teams: [team ids] } */
    tokens: new Map<string, { user: string; teams: string[]; meta: { expiresAt?: number; fullAccount?: boolean }; id: string; createdAt: number }>(),
    /** team id -> { id, slug, plan } */
    teams: new Map<string, { id: string; slug: string; plan: string }>(),
    /** user id -> { plan } */
    users: new Map<string, { plan: string }>(),
    projects: [] as FakeProject[],
    deployments: [] as FakeDeployment[],
  };
  const requests: RecordedRequest[] = [];
  const faults: { match: string | RegExp; answer: FaultAnswer; times: number }[] = [];
  const holds: { match: string | RegExp; arrived: () => void; released: Promise<void> }[] = [];
  const matches = (match: string | RegExp, key: string) => (typeof match === 'string' ? key.startsWith(match) : match.test(key));
  let seq = 0;
  let clock = Date.UTC(2026, 10, 1);

  const fake: FakeVercel & { state: typeof state } = {
    requests,
    state,
    url: '',
    latencyMs: 0,
    /** meta: `expiresAt` (ms), `fullAccount` (a user scope besides the team scopes; default: only without teams). */
    addToken(token, user, teams = [], meta = {}) {
      state.tokens.set(token, { user, teams, meta, id: `tok_${(++seq).toString(36).padStart(20, '0')}`, createdAt: clock });
      if (!state.users.has(user)) state.users.set(user, { plan: 'pro' });
    },
    addTeam(id, slug, plan = 'pro') {
      state.teams.set(id, { id, slug, plan });
    },
    setUserPlan(user, plan) {
      state.users.set(user, { plan });
    },
    addProject(opts) {
      const project: FakeProject = {
        id: opts.id ?? `prj_${(++seq).toString(36).padStart(8, '0')}`,
        name: opts.name,
        owner: opts.owner,
        autoAssignCustomDomains: true,
        productionId: undefined,
        served: [],
        rollingRelease: false,
        domains: opts.domains ?? [`${opts.name}.example.com`],
        lastAliasRequest: undefined,
        rollbackDescription: undefined,
        job: { pendingPolls: 2, inProgressPolls: 2, outcome: 'succeeded', failedAliases: [], polls: 0 },
        envs: [],
      };
      state.projects.push(project);
      return project;
    },
    /** Adds a deployment; each new one is one minute newer than the last unless createdAt is given. */
    addDeployment(project, opts = {}) {
      clock += 60_000;
      const n = ++seq;
      const d: FakeDeployment = {
        uid: opts.id ?? `dpl_${n.toString(36).padStart(10, 'x')}`,
        projectId: project.id,
        name: project.name,
        url: opts.url ?? `${project.name}-${n.toString(36)}-acme.vercel.app`,
        createdAt: opts.createdAt ?? clock,
        readyState: opts.state ?? 'READY',
        readySubstate: opts.substate ?? ((opts.state ?? 'READY') === 'READY' ? 'PROMOTED' : undefined),
        target: opts.target === undefined ? 'production' : opts.target,
        sha: opts.sha ?? n.toString(16).padStart(40, 'a'),
      };
      state.deployments.push(d);
      if (opts.production) fake.setProduction(project, d);
      return d;
    },
    /** An environment variable of the project; `target` is where it applies (production, preview, development). */
    addEnv(project, opts) {
      const at = opts.updatedAt ?? opts.createdAt ?? Date.now();
      const env: FakeEnv = {
        id: `env_${(++seq).toString(36).padStart(12, '0')}`,
        key: opts.key,
        value: opts.value,
        type: opts.type ?? 'encrypted',
        target: opts.target ?? ['production', 'preview'],
        createdAt: opts.createdAt ?? at,
        updatedAt: at,
      };
      project.envs.push(env);
      return env;
    },
    setProduction(project, d) {
      if (project.productionId !== d.uid) project.served.push(d.uid);
      project.productionId = d.uid;
      d.readySubstate = 'PROMOTED';
    },
    production(project) {
      return state.deployments.find((d) => d.uid === project.productionId);
    },
    /** The next `times` requests whose "METHOD /path" matches get this answer instead. */
    fault(match, answer, times = 1) {
      faults.push({ match, answer, times });
    },
    requestsTo(pattern) {
      return requests.filter((r) => pattern.test(`${r.method} ${r.path}`));
    },
    hold(match) {
      let arrived = (): void => undefined;
      let release = (): void => undefined;
      const reached = new Promise<void>((done) => (arrived = done));
      const released = new Promise<void>((done) => (release = done));
      holds.push({ match, arrived, released });
      return { reached, release };
    },
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };

  const listView = (d: FakeDeployment) => ({
    uid: d.uid,
    name: d.name,
    url: d.url,
    created: d.createdAt,
    createdAt: d.createdAt,
    buildingAt: d.createdAt - 30_000,
    ready: d.readyState === 'READY' ? d.createdAt + 45_000 : undefined,
    state: d.readyState,
    readyState: d.readyState,
    readySubstate: d.readySubstate,
    type: 'LAMBDAS',
    target: d.target,
    source: 'git',
    aliasAssigned: d.readySubstate === 'PROMOTED' ? d.createdAt + 50_000 : null,
    isRollbackCandidate: d.target === 'production' && d.readyState === 'READY' && d.readySubstate === 'PROMOTED',
    inspectorUrl: `https://vercel.com/acme/${d.name}/${d.uid.slice(4)}`,
    creator: { uid: 'user_creator', username: 'ci' },
    meta: { githubCommitSha: d.sha, githubCommitRef: 'main', githubCommitMessage: `commit ${d.sha.slice(0, 7)}` },
    // Fields a future API may add: clients must ignore them.
    checksState: 'completed',
    someFutureField: { nested: [1, 2, 3] },
  });

  const fullView = (d: FakeDeployment, project: FakeProject | undefined) => ({
    ...listView(d),
    id: d.uid,
    uid: undefined,
    projectId: d.projectId,
    alias: project && project.productionId === d.uid ? [...project.domains, `${project.name}.vercel.app`] : [],
  });

  const projectView = (project: FakeProject, rollbackInfo: boolean) => {
    const prod = fake.production(project);
    return {
      id: project.id,
      name: project.name,
      accountId: project.owner,
      framework: 'nextjs',
      autoAssignCustomDomains: project.autoAssignCustomDomains,
      targets: prod ? { production: { ...fullView(prod, project), uid: undefined } } : {},
      ...(rollbackInfo ? { lastAliasRequest: project.lastAliasRequest ?? null, rollbackDescription: project.rollbackDescription } : {}),
      lastRollbackTarget: null,
      futureFlag: 'UNKNOWN_ENUM_VALUE',
    };
  };

  /** Moves the alias job one step per status poll, as a real job moves with time. */
  const advanceJob = (project: FakeProject) => {
    const req = project.lastAliasRequest;
    if (!req || (req.jobStatus !== 'pending' && req.jobStatus !== 'in-progress')) return;
    const job = project.job;
    job.polls++;
    if (job.polls <= job.pendingPolls) req.jobStatus = 'pending';
    else if (job.polls <= job.pendingPolls + job.inProgressPolls || job.outcome === 'stuck') req.jobStatus = 'in-progress';
    else {
      req.jobStatus = job.outcome;
      if (job.outcome === 'succeeded' || job.outcome === 'skipped') {
        const to = state.deployments.find((d) => d.uid === req.toDeploymentId);
        if (to) fake.setProduction(project, to);
        // After a rollback Vercel stops assigning production domains to new deployments.
        project.autoAssignCustomDomains = req.type !== 'rollback';
      }
    }
  };

  /**
   * The deployment that served production just before the current one (Hobby's only target): what
   * went live before it, which after a rollback C -> A and a promotion of D is A, not the newer C.
   */
  const previousProduction = (project: FakeProject) => {
    const before = project.served.at(-1) === project.productionId ? project.served.at(-2) : undefined;
    return state.deployments.find((d) => d.uid === before);
  };

  function scope(req: IncomingMessage, url: URL): Scope {
    const auth = req.headers.authorization ?? '';
    const token = /^Bearer (.+)$/.exec(auth)?.[1];
    const who = token ? state.tokens.get(token) : undefined;
    if (!who) {
      return { fail: [403, apiError('forbidden', token ? 'Not authorized' : 'The request is missing an authentication token', { invalidToken: true })] };
    }
    const teamId = url.searchParams.get('teamId');
    const slug = url.searchParams.get('slug');
    if (teamId || slug) {
      const team = teamId ? state.teams.get(teamId) : [...state.teams.values()].find((t) => t.slug === slug);
      if (!team || !who.teams.includes(team.id)) return { fail: [403, apiError('forbidden', 'Not authorized', { invalidToken: false })] };
      return { owner: team.id, plan: team.plan };
    }
    return { owner: who.user, plan: state.users.get(who.user)?.plan ?? 'pro' };
  }

  function route(req: IncomingMessage, url: URL, body: { description?: string } | undefined): Answer {
    const path = url.pathname;
    const q = url.searchParams;
    const s = scope(req, url);
    if (s.fail) return s.fail;

    // Get Auth Token Metadata: "current" describes the token the request is authenticated with.
    // Its scopes say which account and teams it reaches, never what it may do there.
    if (req.method === 'GET' && path === '/v5/user/tokens/current') {
      const who = state.tokens.get(/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '')!;
      const scopeOf = (type: string, teamId?: string) => ({ type, ...(teamId ? { teamId } : {}), origin: 'manual', createdAt: who.createdAt, ...(who.meta.expiresAt ? { expiresAt: who.meta.expiresAt } : {}) });
      const scopes = [...(who.meta.fullAccount || !who.teams.length ? [scopeOf('user')] : []), ...who.teams.map((t) => scopeOf('team', t))];
      return [200, { token: { id: who.id, name: 'rollback-kit', type: 'token', origin: 'manual', activeAt: Date.now(), createdAt: who.createdAt, scopes, ...(who.meta.expiresAt ? { expiresAt: who.meta.expiresAt } : {}) } }];
    }
    const projectIn = (idOrName: string) => state.projects.find((p) => p.owner === s.owner && (p.id === idOrName || p.name === idOrName));
    const projectNotFound: Answer = [404, apiError('not_found', 'Project not found.')];
    let m: RegExpExecArray | null;

    if (req.method === 'GET' && (m = /^\/v9\/projects\/([^/]+)$/.exec(path))) {
      const project = projectIn(decodeURIComponent(m[1]!));
      if (!project) return projectNotFound;
      const rollbackInfo = q.get('rollbackInfo') === 'true';
      if (rollbackInfo) advanceJob(project);
      return [200, projectView(project, rollbackInfo)];
    }

    // The project's environment variables. Vercel returns encrypted values unless decrypt=true is
    // asked for (and the token may read them); the fields a client may rely on are key, target,
    // type, createdAt and updatedAt.
    if (req.method === 'GET' && (m = /^\/v10\/projects\/([^/]+)\/env$/.exec(path))) {
      const project = projectIn(decodeURIComponent(m[1]!));
      if (!project) return projectNotFound;
      const decrypt = q.get('decrypt') === 'true';
      return [200, { envs: project.envs.map((e) => ({ ...e, value: decrypt ? e.value : `enc:${Buffer.from(e.value).toString('base64')}`, decrypted: decrypt, configurationId: null })) }];
    }

    if (req.method === 'GET' && /^\/v[67]\/deployments$/.test(path)) {
      const limit = Number(q.get('limit') ?? 20);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) return [400, apiError('bad_request', 'Invalid request: `limit` should be <= 100.')];
      const projectId = q.get('projectId');
      const owned = new Set(state.projects.filter((p) => p.owner === s.owner).map((p) => p.id));
      let list = state.deployments.filter((d) => owned.has(d.projectId));
      if (projectId) {
        const project = projectIn(projectId);
        if (!project) return projectNotFound;
        list = list.filter((d) => d.projectId === project.id);
      }
      const target = q.get('target');
      if (target === 'production') list = list.filter((d) => d.target === 'production');
      else if (target === 'preview') list = list.filter((d) => d.target === null);
      const states = q.get('state')?.split(',');
      if (states) list = list.filter((d) => states.includes(d.readyState));
      if (q.get('sha')) list = list.filter((d) => d.sha === q.get('sha'));
      if (q.get('rollbackCandidate') === 'true') list = list.filter((d) => listView(d).isRollbackCandidate);
      if (q.get('until')) list = list.filter((d) => d.createdAt < Number(q.get('until')));
      if (q.get('since')) list = list.filter((d) => d.createdAt > Number(q.get('since')));
      list.sort((a, b) => b.createdAt - a.createdAt);
      const page = list.slice(0, limit);
      const more = list.length > limit;
      return [200, { deployments: page.map(listView), pagination: { count: page.length, next: more ? page.at(-1)!.createdAt : null, prev: page[0]?.createdAt ?? null } }];
    }

    if (req.method === 'GET' && (m = /^\/v13\/deployments\/([^/]+)$/.exec(path))) {
      const key = decodeURIComponent(m[1]!);
      const owned = new Set(state.projects.filter((p) => p.owner === s.owner).map((p) => p.id));
      const d = state.deployments.find((x) => owned.has(x.projectId) && (x.uid === key || x.url === key));
      if (!d) return [404, apiError('not_found', 'The deployment could not be found.')];
      return [200, fullView(d, state.projects.find((p) => p.id === d.projectId))];
    }

    if (req.method === 'POST' && (m = /^\/v(?:1|9)\/projects\/([^/]+)\/rollback\/([^/]+)$/.exec(path))) {
      return changeProduction('rollback', projectIn(decodeURIComponent(m[1]!)), decodeURIComponent(m[2]!), q.get('description') ?? body?.description);
    }
    if (req.method === 'POST' && (m = /^\/v10\/projects\/([^/]+)\/promote\/([^/]+)$/.exec(path))) {
      return changeProduction('promote', projectIn(decodeURIComponent(m[1]!)), decodeURIComponent(m[2]!));
    }

    if (req.method === 'GET' && (m = /^\/v9\/projects\/([^/]+)\/(rollback|promote)\/aliases$/.exec(path))) {
      const project = projectIn(decodeURIComponent(m[1]!));
      if (!project) return projectNotFound;
      const limit = Number(q.get('limit') ?? 20);
      let aliases = project.job.failedAliases.map((alias, i) => ({ id: `alias_${i}`, status: 'failed', createdAt: 1000 + i, alias: { alias, deploymentId: project.lastAliasRequest?.toDeploymentId } }));
      aliases.sort((a, b) => b.createdAt - a.createdAt);
      if (q.get('until')) aliases = aliases.filter((a) => a.createdAt < Number(q.get('until')));
      const page = aliases.slice(0, limit);
      const more = aliases.length > limit;
      return [200, { aliases: page.map(({ createdAt: _c, ...rest }) => rest), pagination: { count: page.length, next: more ? page.at(-1)!.createdAt : null, prev: null } }];
    }

    return [404, apiError('not_found', 'The requested path was not found.')];

    function changeProduction(type: 'rollback' | 'promote', project: FakeProject | undefined, deploymentId: string, description?: string | null): Answer {
      if (!project) return projectNotFound;
      const d = state.deployments.find((x) => x.uid === deploymentId && x.projectId === project.id);
      if (!d) return [404, apiError('not_found', 'Deployment not found.')];
      if (project.productionId === d.uid) {
        return [409, apiError('conflict', `The provided deploymentId (${d.uid}) is already the current production deployment.`)];
      }
      const job = project.lastAliasRequest?.jobStatus;
      if (job === 'pending' || job === 'in-progress') return [409, apiError('conflict', 'Another alias change is already in progress for this project.')];
      if (d.readyState !== 'READY') return [422, apiError('bad_request', `Deployment ${d.uid} is not ready (${d.readyState}).`)];
      if (d.target !== 'production') return [422, apiError('bad_request', 'Only production deployments can be used.')];
      if (type === 'rollback') {
        if (d.readySubstate !== 'PROMOTED') return [422, apiError('bad_request', 'This deployment is not eligible for rollback.')];
        if (s.plan === 'hobby' && previousProduction(project)?.uid !== d.uid) {
          return [402, apiError('payment_required', 'To roll back further than the previous production deployment, upgrade to pro')];
        }
      }
      project.job.polls = 0;
      project.lastAliasRequest = { fromDeploymentId: project.productionId, toDeploymentId: d.uid, jobStatus: 'pending', requestedAt: Date.now(), type };
      if (type === 'rollback') project.rollbackDescription = description ?? null;
      if (type === 'promote' && project.rollingRelease) return [202, undefined];
      return [201, undefined];
    }
  }

  function answerFault(res: ServerResponse, answer: FaultAnswer, req: IncomingMessage): number {
    answer.effect?.();
    if (answer.reset) {
      res.socket?.destroy();
      return answer.status ?? 0;
    }
    const headers: Record<string, string> = answer.retryAfter !== undefined ? { 'retry-after': String(answer.retryAfter) } : {};
    // A proxy or debug page in front of the API that repeats the request's Authorization header.
    const echo = answer.echoAuthorization ? answer.echoAuthorization(req.headers.authorization ?? '') : '';
    if (answer.text !== undefined) send(res, answer.status ?? 500, answer.text + echo, headers);
    else if (answer.status === 429) {
      send(res, 429, apiError('rate_limited', 'Rate limit exceeded', { limit: { remaining: 0, reset: Math.ceil(Date.now() / 1000) + 1, resetMs: Date.now() + 1000, total: 100 } }), headers);
    } else if (answer.err) send(res, answer.status ?? 500, { err: { code: answer.err, message: (answer.message ?? 'failed') + echo } }, headers);
    else send(res, answer.status ?? 500, apiError(answer.code ?? 'internal_server_error', (answer.message ?? 'An unexpected error occurred.') + echo), headers);
    return answer.status ?? 500;
  }

  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    const answer = () => (fake.latencyMs > 0 ? setTimeout(handle, fake.latencyMs) : handle());
    req.on('end', () => {
      const i = holds.findIndex((h) => matches(h.match, `${req.method} ${new URL(req.url ?? '/', 'http://localhost').pathname}`));
      if (i < 0) return answer();
      const [held] = holds.splice(i, 1);
      held!.arrived();
      void held!.released.then(answer);
    });
    const handle = () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const entry: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), at: now(), status: 0, authorization: req.headers.authorization };
      requests.push(entry);
      const key = `${req.method} ${url.pathname}`;
      const fault = faults.find((f) => f.times > 0 && (typeof f.match === 'string' ? key.startsWith(f.match) : f.match.test(key)));
      if (fault && !fault.answer.dropAfterHandling) {
        fault.times--;
        entry.status = answerFault(res, fault.answer, req);
        return;
      }
      let body: { description?: string } | undefined;
      try {
        body = raw ? (JSON.parse(raw) as { description?: string }) : undefined;
      } catch {
        entry.status = 400;
        send(res, 400, apiError('bad_request', 'Invalid JSON body'));
        return;
      }
      const [status, payload] = route(req, url, body);
      entry.status = status;
      if (fault) {
        // The request took effect but its answer is lost on the way back.
        fault.times--;
        entry.status = 0;
        res.socket?.destroy();
        return;
      }
      send(res, status, payload);
    };
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
