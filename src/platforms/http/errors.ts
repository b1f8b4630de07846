/**
 * Turns a failed platform call into the one line the on-call engineer reads: what we were doing,
 * the status mapped to its likely cause, the platform's own words, and the next step. Built only
 * from the platform's answer and names we chose, never from the token.
 */
import { RollbackKitError } from '../../core/errors.js';
import { sentence } from '../../core/sentence.js';
import { HttpApiError, HttpNetworkError } from './client.js';
import { GraphQLError } from './graphql.js';

export interface PlatformErrorContext {
  /** What we were doing, e.g. "listing the deployments of service api". */
  doing: string;
  /** The input that holds the token, e.g. "railway-token". */
  tokenInput: string;
  /** What a 404 means here, e.g. "Service api in environment production". */
  notFound: string;
  /** Which inputs name that thing, for the hint. */
  notFoundHint: string;
  /** Where the platform reports incidents. */
  statusPage?: string;
  /**
   * The API called and the setting that names its address, for a call that got no answer or an
   * answer no such API gives: "the platform API" and the provider's api-url unless said otherwise
   * (the GitHub API's address is GITHUB_API_URL, which smoke-test, say, has no input for).
   */
  api?: { name: string; urlSetting: string };
}

const PLATFORM_API = { name: 'the platform API', urlSetting: 'api-url' };

/** A response that lacks what we cannot do without (an id): the API is not the one we expect. */
export class UnexpectedShape extends Error {
  constructor(what: string) {
    super(`unexpected shape of ${what}`);
    this.name = 'UnexpectedShape';
  }
}

const SAFE = 'Re-running the step is safe.';

export function platformError(err: unknown, ctx: PlatformErrorContext): Error {
  if (err instanceof RollbackKitError) return err;
  const api = ctx.api ?? PLATFORM_API;
  if (err instanceof HttpNetworkError) {
    return new RollbackKitError(sentence(`${api.name} could not be reached while ${ctx.doing}: ${err.message} (retried).`), `Check the runner network and ${api.urlSetting}. ${SAFE}`);
  }
  if (err instanceof UnexpectedShape) {
    return new RollbackKitError(`The API answered with an ${err.message} while ${ctx.doing}.`, `Check that ${api.urlSetting} points at ${api.name}.`);
  }
  if (err instanceof GraphQLError) {
    const said = `${err.service} said: "${err.messages.join('; ')}".`;
    const text = err.messages.join(' ').toLowerCase();
    if (err.code === 'UNAUTHENTICATED' || /not authori[sz]ed|unauthori[sz]ed|invalid token|authenticat/.test(text)) {
      return new RollbackKitError(`${err.service} rejected the token while ${ctx.doing}. ${said}`, `Check the ${ctx.tokenInput} secret: it may be expired, revoked, empty, or of a kind without access to this project.`);
    }
    if (err.code === 'NOT_FOUND' || /not found|could not find|does not exist/.test(text)) {
      return new RollbackKitError(`${ctx.notFound} was not found while ${ctx.doing}. ${said}`, ctx.notFoundHint);
    }
    return new RollbackKitError(`${err.service} refused the request while ${ctx.doing}. ${said}`, `Check the inputs and the platform dashboard. ${SAFE}`);
  }
  if (!(err instanceof HttpApiError)) return err instanceof Error ? err : new Error(String(err));
  const said = err.serverMessage ? ` ${err.service} said: "${err.serverMessage}".` : '';
  if (err.rateLimited) {
    return new RollbackKitError(`${err.service} kept rate-limiting the requests (${err.status}) while ${ctx.doing}.${said}`, `Wait for the limit to reset and re-run the step; it is safe to repeat.`);
  }
  switch (err.status) {
    case 401:
      return new RollbackKitError(`${err.service} rejected the token (401) while ${ctx.doing}.${said}`, `Check the ${ctx.tokenInput} secret: it may be expired, revoked or empty.`);
    case 403:
      return new RollbackKitError(`${err.service} refused access (403) while ${ctx.doing}.${said}`, `Check that the ${ctx.tokenInput} secret has access to it (a token scoped to another app, project or team is refused).`);
    case 404:
      return new RollbackKitError(`${ctx.notFound} was not found (404) while ${ctx.doing}.${said}`, ctx.notFoundHint);
    case 409:
    case 422:
      return new RollbackKitError(`${err.service} refused the change (${err.status}) while ${ctx.doing}.${said}`, `Another deploy or rollback may be running: check the platform dashboard, then re-run the step.`);
    default:
      if (err.status >= 500) {
        return new RollbackKitError(`${err.service} failed with ${err.status} while ${ctx.doing}, after retries.${said}`, `${ctx.statusPage ? `Check ${ctx.statusPage} and re-run` : 'Re-run'} the step; it is safe to repeat.`);
      }
      return new RollbackKitError(`${err.service} answered ${err.status} while ${ctx.doing}.${said}`, `Check the inputs. ${SAFE}`);
  }
}

/** Runs one platform call and maps its failure with the given context. */
export async function calling<T>(ctx: PlatformErrorContext, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw platformError(err, ctx);
  }
}
