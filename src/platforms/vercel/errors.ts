/**
 * Turns a failed Vercel call into the one line the on-call engineer reads: the status mapped to its
 * likely cause, the project and deployment named, and the next step. Never the token: it is not in
 * anything these messages are built from.
 */
import { RollbackKitError } from '../../core/errors.js';
import { VercelApiError, VercelNetworkError } from './client.js';
import { UnexpectedResponse } from './model.js';

export interface ErrorContext {
  /** What we were doing, e.g. "looking up project shop". */
  doing: string;
  project: string;
  team?: string;
  deployment?: string;
}

/** " for project shop", unless what we were doing names it already ("looking up project shop"). */
const forProject = (ctx: ErrorContext) => (ctx.doing.includes(`project ${ctx.project}`) ? '' : ` for project ${ctx.project}`);

const scopeName = (ctx: ErrorContext) => (ctx.team ? `team ${ctx.team}` : 'the personal account of the token');

export function vercelError(err: unknown, ctx: ErrorContext): Error {
  if (err instanceof RollbackKitError) return err;
  if (err instanceof VercelNetworkError) {
    return new RollbackKitError(
      `Vercel could not be reached while ${ctx.doing}: ${err.message} (retried).`,
      'Check the runner network and api-url; re-running the step is safe.',
    );
  }
  if (err instanceof UnexpectedResponse) {
    return new RollbackKitError(`${err.message} while ${ctx.doing}.`, 'Check that api-url points at the Vercel API.');
  }
  if (!(err instanceof VercelApiError)) return err instanceof Error ? err : new Error(String(err));
  const said = err.serverMessage ? ` Vercel said: "${err.serverMessage}".` : '';
  if (err.rateLimited) {
    return new RollbackKitError(`Vercel kept rate-limiting the requests (${err.status}) while ${ctx.doing}${forProject(ctx)}.${said}`, 'Wait a minute and re-run the step; it is safe to repeat.');
  }
  switch (err.status) {
    case 401:
      return new RollbackKitError(`Vercel rejected the token (401) while ${ctx.doing}.${said}`, 'Check the vercel-token secret: it may be expired, revoked or empty.');
    case 403:
      return err.invalidToken
        ? new RollbackKitError(`Vercel rejected the token (403) while ${ctx.doing}.${said}`, 'Check the vercel-token secret: create a new token at https://vercel.com/account/tokens.')
        : // A valid token without access to the scope is the usual cause (a personal token, or one
          // scoped to other teams); a wrong team input gives the same answer, so name both, token first.
          new RollbackKitError(
            `Vercel refused access (403) to project ${ctx.project} in ${scopeName(ctx)} while ${ctx.doing}. Vercel did not call the token invalid, so most likely it has no access to that scope, or the team input names another team.${said}`,
            `Check the vercel-token secret first: it must belong to a member of ${ctx.team ? `team ${ctx.team}` : "the project's team"} or be scoped to it. Then check the team input: the team_… id or slug of the team that owns the project.`,
          );
    case 404:
      return ctx.deployment
        ? new RollbackKitError(`Deployment ${ctx.deployment} was not found in project ${ctx.project} (404) while ${ctx.doing}.${said}`, 'Check the target/from input: a deployment id (dpl_…), URL or commit SHA of this project.')
        : new RollbackKitError(
            `Project ${ctx.project} was not found in ${scopeName(ctx)} (404) while ${ctx.doing}.${said}`,
            'Check the project input (name or prj_… id) and the team input: a team project is invisible without team.',
          );
    case 402:
      return new RollbackKitError(
        `Vercel refused ${ctx.deployment ? `deployment ${ctx.deployment}` : 'the request'} for project ${ctx.project} because of the plan (402): the Hobby plan can roll back only to the immediately previous production deployment.${said}`,
        'Pick the previous production deployment as target, use method: promote, or upgrade the plan.',
      );
    case 409:
    case 422:
      return new RollbackKitError(
        `Vercel refused the change for project ${ctx.project}${ctx.deployment ? ` to deployment ${ctx.deployment}` : ''} (${err.status} conflict) while ${ctx.doing}.${said}`,
        'Another rollback or promotion may be running, or the deployment is not eligible: check the project in the Vercel dashboard, then re-run.',
      );
    default:
      if (err.status >= 500) {
        return new RollbackKitError(`Vercel failed with ${err.status} while ${ctx.doing}${forProject(ctx)}, after retries.${said}`, 'Check https://www.vercel-status.com and re-run the step; it is safe to repeat.');
      }
      return new RollbackKitError(`Vercel answered ${err.status} while ${ctx.doing}${forProject(ctx)}.${said}`, 'Check the inputs; re-running the step is safe.');
  }
}
