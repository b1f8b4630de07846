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
  addToken(token: string, user: string, teams?: string[]): void;
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
  close(): Promise<void>;
}

export function startFakeVercel(): Promise<FakeVercel>;
