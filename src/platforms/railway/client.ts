/**
 * The Railway GraphQL client. Railway has two token kinds with different headers (railwayapp/cli
 * `src/client.rs`): project tokens go in `Project-Access-Token`, account and workspace tokens in
 * `Authorization: Bearer`. One input holds either, and they look alike, so the first call tries the
 * project header and, if Railway says the token is not authorized, the bearer one; the kind that
 * works is kept for every later call.
 */
import type { Log } from '../../core/log.js';
import { HttpApiError, HttpClient } from '../http/client.js';
import { graphql, GraphQLError } from '../http/graphql.js';
import type { RetryPolicy } from '../http/retry.js';
import type { StepDeadline } from '../http/deadline.js';

export const RAILWAY_API_URL = 'https://backboard.railway.com/graphql/v2';

export type RailwayTokenKind = 'project' | 'account';

export interface RailwayClientOptions {
  token: string;
  /** The GraphQL endpoint itself. */
  apiUrl: string;
  /** Forces one header; by default both are tried, project first. */
  tokenKind?: RailwayTokenKind;
  log: Log;
  requestTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  deadline?: StepDeadline;
}

const isAuthFailure = (err: unknown): boolean =>
  (err instanceof HttpApiError && (err.status === 401 || err.status === 403) && !err.rateLimited) ||
  (err instanceof GraphQLError && (err.code === 'UNAUTHENTICATED' || /not authori[sz]ed|unauthori[sz]ed|invalid token/i.test(err.messages.join(' '))));

export class RailwayClient {
  private kind: RailwayTokenKind | undefined;
  private readonly clients: Record<RailwayTokenKind, HttpClient>;

  constructor(opts: RailwayClientOptions) {
    opts.log.secret(opts.token);
    this.kind = opts.tokenKind;
    const http = (headers: Record<string, string>) =>
      new HttpClient({ service: 'Railway', baseUrl: opts.apiUrl, headers, log: opts.log, requestTimeoutMs: opts.requestTimeoutMs, retry: opts.retry, sleep: opts.sleep, random: opts.random, deadline: opts.deadline });
    this.clients = { project: http({ 'Project-Access-Token': opts.token }), account: http({ Authorization: `Bearer ${opts.token}` }) };
  }

  /** The kind of token that worked, once a call has succeeded. */
  get tokenKind(): RailwayTokenKind | undefined {
    return this.kind;
  }

  async query(operation: string, query: string, variables: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    if (this.kind) return graphql(this.clients[this.kind], '', operation, query, variables);
    try {
      const data = await graphql(this.clients.project, '', operation, query, variables);
      this.kind = 'project';
      return data;
    } catch (err) {
      if (!isAuthFailure(err)) throw err;
    }
    const data = await graphql(this.clients.account, '', operation, query, variables);
    this.kind = 'account';
    return data;
  }
}
