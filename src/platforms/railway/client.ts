/**
 * The Railway GraphQL client. Railway has two token kinds with different headers (railwayapp/cli
 * `src/client.rs`): project tokens go in `Project-Access-Token`, account and workspace tokens in
 * `Authorization: Bearer`. One input holds either, and they look alike, so the first call tries the
 * project header and, if Railway says the token is not authorized, the bearer one; the kind that
 * works is kept for every later call.
 */
import { HttpApiError, HttpClient, type HttpClientTuning } from '../http/client.js';
import { graphql, GraphQLError } from '../http/graphql.js';

export const RAILWAY_API_URL = 'https://backboard.railway.com/graphql/v2';

export type RailwayTokenKind = 'project' | 'account';

export interface RailwayClientOptions extends HttpClientTuning {
  token: string;
  /** The GraphQL endpoint itself. */
  apiUrl: string;
  /** Forces one header; by default both are tried, project first. */
  tokenKind?: RailwayTokenKind;
}

const isAuthFailure = (err: unknown): boolean =>
  (err instanceof HttpApiError && (err.status === 401 || err.status === 403) && !err.rateLimited) ||
  (err instanceof GraphQLError && (err.code === 'UNAUTHENTICATED' || /not authori[sz]ed|unauthori[sz]ed|invalid token/i.test(err.messages.join(' '))));

export class RailwayClient {
  private kind: RailwayTokenKind | undefined;
  private readonly clients: Record<RailwayTokenKind, HttpClient>;

  constructor(opts: RailwayClientOptions) {
    const { token, apiUrl, tokenKind, ...tuning } = opts;
    opts.log.secret(token);
    this.kind = tokenKind;
    const http = (headers: Record<string, string>) => new HttpClient({ ...tuning, service: 'Railway', baseUrl: apiUrl, headers });
    this.clients = { project: http({ 'Project-Access-Token': token }), account: http({ Authorization: `Bearer ${token}` }) };
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
