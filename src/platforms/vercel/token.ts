/**
 * What a drill can learn about a Vercel token without using it to change anything. Vercel's
 * "Get Auth Token Metadata" (`GET /v5/user/tokens/current`, public API docs; not in the shared
 * reference) tells whether the token is valid, which account or teams it reaches, and when it
 * expires. No endpoint says what the token's owner may do to a project: whether a rollback or a
 * promotion would be allowed is proven only by doing one (which the drill does on staging). So the
 * answer lists what was proven and what was not, rather than calling a readable project "ready".
 */
import type { Log } from '../../core/log.js';
import { StepDeadline } from '../http/deadline.js';
import { VercelApiError, VercelClient } from './client.js';
import { vercelError } from './errors.js';

export interface TokenReadiness {
  /** Facts established, one sentence each. */
  proven: string[];
  /** What could not be established without a real rollback. */
  unproven: string[];
  /** Why a rollback would fail with this token (empty when none found). */
  problems: string[];
  /** Worth acting on before the next drill, but not a failure. */
  warnings: string[];
}

export interface TokenCheck {
  token: string;
  apiUrl: string;
  team?: string;
  project: string;
  /** Warn when the token expires within this many days (the next quarterly drill). */
  warnDays: number;
  now: number;
  /** The component's timeout-seconds: the request, its retries and its waits end within it. */
  timeoutSeconds: number;
  requestTimeoutMs?: number;
}

interface Scope {
  type?: unknown;
  teamId?: unknown;
  expiresAt?: unknown;
}

const DAY_MS = 86_400_000;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export async function vercelTokenReadiness(opts: TokenCheck, log: Log): Promise<TokenReadiness> {
  const out: TokenReadiness = { proven: [], unproven: [], problems: [], warnings: [] };
  const deadline = new StepDeadline(Date.now, opts.timeoutSeconds);
  const client = new VercelClient({ token: opts.token, apiUrl: opts.apiUrl, team: opts.team, log, requestTimeoutMs: opts.requestTimeoutMs, deadline });
  let data: unknown;
  try {
    data = await client.get('/v5/user/tokens/current');
  } catch (err) {
    if (err instanceof VercelApiError && (err.status === 401 || (err.status === 403 && err.invalidToken))) {
      out.problems.push(`Vercel rejected the token (${err.status}): a rollback with it would fail at the first request. Create a new token and update the secret.`);
      return out;
    }
    // Some tokens may not read their own metadata; the project look-up still proved they work.
    out.unproven.push(`the token's scope and expiry (Vercel did not describe the token: ${log.redact(vercelError(err, { doing: 'reading the token metadata', project: opts.project, team: opts.team }).message)})`);
    data = undefined;
  }
  const token = (data as { token?: { expiresAt?: unknown; scopes?: unknown } } | undefined)?.token;
  if (token) {
    out.proven.push('the token is valid (Vercel described it)');
    const expiresAt = typeof token.expiresAt === 'number' ? token.expiresAt : undefined;
    if (expiresAt !== undefined && expiresAt <= opts.now) out.problems.push(`the token expired on ${day(expiresAt)}: create a new one and update the secret`);
    else if (expiresAt !== undefined && expiresAt - opts.now < opts.warnDays * DAY_MS) {
      out.warnings.push(`the token expires on ${day(expiresAt)}, within ${opts.warnDays} days: before the next drill (and any real rollback after that date) it must be replaced`);
    } else out.proven.push(expiresAt === undefined ? 'the token does not expire' : `the token is valid until ${day(expiresAt)}`);
    const scopes = Array.isArray(token.scopes) ? (token.scopes as Scope[]) : [];
    const teams = scopes.filter((s) => s.type === 'team' && typeof s.teamId === 'string').map((s) => s.teamId as string);
    const user = scopes.some((s) => s.type === 'user');
    const team = opts.team?.trim();
    if (team && team.startsWith('team_')) {
      if (teams.includes(team)) out.proven.push(`the token is scoped to team ${team}`);
      else if (user) out.proven.push(`the token has full-account scope (it reaches team ${team} if its owner is a member)`);
      else out.problems.push(`the token is scoped to ${teams.length ? `other teams (${teams.join(', ')})` : 'no team'}, not to team ${team}`);
    } else if (team) {
      out.unproven.push(`that the token's scope covers team "${team}" (a slug; Vercel lists scopes by team id: use the team_… id to have this checked)`);
    } else if (!user && teams.length) {
      out.problems.push(`the token is scoped to teams (${teams.join(', ')}) but no team is configured: set team, or the project is looked up in the personal account`);
    }
  }
  out.unproven.push(
    "that the token's owner may roll back and promote production of the project (Vercel has no endpoint that reports a token's permissions on a project: only a real rollback proves it, as the full drill does; a team member needs a role that may deploy to production)",
  );
  return out;
}
