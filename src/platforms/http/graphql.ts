/**
 * GraphQL over the shared HTTP client. GraphQL APIs (Railway, Fly) report most failures as HTTP 200
 * with an `errors` array: those are failures here, never data.
 */
import type { HttpClient } from './client.js';

/** The server answered 200 with `errors` (and maybe partial data): the operation did not happen. */
export class GraphQLError extends Error {
  constructor(
    readonly service: string,
    readonly messages: string[],
    /** `extensions.code` of the first error when given (NOT_FOUND, UNAUTHENTICATED, …). */
    readonly code: string | undefined,
    readonly operation: string,
  ) {
    super(`${service} ${operation} failed: ${messages.join('; ')}`);
    this.name = 'GraphQLError';
  }
}

import type { Obj } from './read.js';

export async function graphql(client: HttpClient, path: string, operation: string, query: string, variables: Obj = {}): Promise<Obj> {
  // A query only reads; a mutation changes production (change-guard.ts: not sent after a stop).
  const res = await client.request('POST', path, { body: { query, variables }, reads: !/^\s*mutation\b/.test(query) });
  const body = (res.data && typeof res.data === 'object' ? res.data : {}) as Obj;
  if (Array.isArray(body.errors) && body.errors.length > 0) {
    const errors = body.errors as Obj[];
    const messages = errors.map((e) => client.redact(typeof e?.message === 'string' ? e.message : JSON.stringify(e)).slice(0, 300));
    const ext = errors[0]?.extensions as Obj | undefined;
    throw new GraphQLError(client.service, messages, typeof ext?.code === 'string' ? ext.code : undefined, operation);
  }
  const data = body.data;
  if (!data || typeof data !== 'object') throw new GraphQLError(client.service, ['the answer carried no data'], undefined, operation);
  return data as Obj;
}
