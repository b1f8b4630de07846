/**
 * `from` in the forms a deployment event gives it, for the platforms whose own ids the events do
 * not carry (Fly, Render, Netlify): auto-rollback.yml passes a workflow_run's head commit SHA, and
 * a deployment_status's target URL. Each provider first reads its own id shapes, then these: a SHA
 * is compared with the commit the serving release records, and a URL that cannot be traced to one
 * release (a production domain serves whatever is live) proves nothing. As on Vercel and Railway,
 * a from that proves nothing counts as no from: it neither ends the run nor vouches for what
 * serves, and the provider's own re-run and rollback-cascade guards decide.
 */
import type { Log } from '../core/log.js';

/** How `from` compares with what serves now. */
export type FromSays = 'names-live' | 'not-live' | 'unproven';

/** A commit SHA, full or abbreviated (git's shortest is 7). */
const COMMIT_SHA = /^[0-9a-f]{7,40}$/i;

export function commitSha(raw: string): string | undefined {
  const v = raw.trim();
  return COMMIT_SHA.test(v) ? v.toLowerCase() : undefined;
}

/** The host of an http(s) URL, lower case; undefined for anything else. */
export function urlHost(raw: string): string | undefined {
  const v = raw.trim();
  if (!/^https?:\/\//i.test(v)) return undefined;
  try {
    return new URL(v).host.toLowerCase() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * An http(s) URL as two spellings of one address compare equal: scheme and host in lower case (as
 * the URL parser writes them), the default port dropped, no trailing slash on the path. The path,
 * query and fragment keep their case: they may name different things. Undefined for anything else.
 */
export function comparableUrl(raw: string): string | undefined {
  const v = raw.trim();
  if (!/^https?:\/\//i.test(v)) return undefined;
  try {
    const url = new URL(v);
    if (!url.host) return undefined;
    url.pathname = url.pathname.replace(/\/+$/, '');
    return url.href.replace(/\/$/, '');
  } catch {
    return undefined;
  }
}

/** A SHA against the commit the serving release records: none recorded proves nothing. */
export function compareCommit(sha: string, served: string | undefined): FromSays {
  if (!served) return 'unproven';
  return served.toLowerCase().startsWith(sha) ? 'names-live' : 'not-live';
}

/** Says, once, why from counts as no from. */
export function warnUnproven(log: Log, from: string, why: string): void {
  log.warning(`from (${from.trim()}) ${why}, so it cannot be compared with what serves: it counts as no from.`);
}

/** A Netlify deploy's own URL (its permalink): https://<deploy id>--<site>.netlify.app. */
export const NETLIFY_PERMALINK = /^([a-f0-9]{24})--/;

/**
 * Whether `from` is a URL that names a service, never one of its deploys: Render's service URL,
 * Fly's app URL, a Netlify site's domain (not a deploy's permalink). It is the same for every
 * deploy, so it cannot name an incident (pipeline/rollback.ts keyFrom): the provider finds the
 * deploy it rolls back from instead. Known from the plan alone, so a job that does not roll the
 * component back (the database job of a split rollback) knows it too.
 */
export function namesServiceNotDeploy(provider: string, from: string | undefined): boolean {
  const host = from ? urlHost(from) : undefined;
  if (!host) return false;
  if (provider === 'render' || provider === 'fly') return true;
  return provider === 'netlify' && !NETLIFY_PERMALINK.test(host);
}
