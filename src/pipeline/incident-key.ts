/**
 * The incident key's shape, written and read in one place: `environment:name@ref,name@ref…`, or
 * `environment:run-<id>`, `environment:database`, `environment:unresolved`. A ref is what names the
 * component's bad deployment: a `from` as given, or a platform's id. A `from` may be a URL
 * (auto-rollback's deployment_status target URL), which may hold a `,` or an `@` of its own, and a
 * user name and password: the key is stored in the ledger row, printed in logs and carried by the
 * incident issue's markers, so a URL is written without its secrets (displayUrl: no userinfo,
 * secret parameter values as ***) and without a bare comma (%2C), and a part is read up to its
 * first `@` (a component name has none).
 */
import { displayUrl } from '../core/url-secrets.js';

/** An http(s) URL, however written: one deployment, never name=ref pairs. */
export const URL_SHAPED = /^https?:\/\//i;

/** A ref as the key writes it: a URL without its secrets, and never a bare comma (the parts' separator). */
export function keyRef(ref: string): string {
  const v = ref.trim();
  return (URL_SHAPED.test(v) ? displayUrl(v) : v).replace(/,/g, '%2C');
}

export interface KeyPart {
  name: string;
  ref: string;
}

export function componentKey(environment: string, parts: KeyPart[]): string {
  return `${environment}:${parts.map((p) => `${p.name}@${keyRef(p.ref)}`).join(',')}`;
}

/** The component parts of a key of this environment; undefined for a key that names none (run-…, database). */
export function keyParts(key: string, environment: string): KeyPart[] | undefined {
  const env = `${environment}:`;
  if (!key.startsWith(env)) return undefined;
  const parts = key.slice(env.length).split(',').map((p) => {
    const at = p.indexOf('@');
    return at > 0 && at < p.length - 1 ? { name: p.slice(0, at), ref: p.slice(at + 1) } : undefined;
  });
  return parts.length && parts.every(Boolean) ? (parts as KeyPart[]) : undefined;
}

/** A part's ref made incident-specific by the workflow run: a service URL no deploy was found for (rollback.ts serviceFrom). */
export const runRef = (ref: string, runId: string): string => `${ref}|run-${runId}`;
const RUN_REF = /\|run-[^|]+$/;

/**
 * A key the workflow run names, wholly (`environment:run-<id>`) or in a part (runRef): only a re-run
 * of that run is the same incident; a new workflow run is a new one, and plans afresh.
 */
export function namesRun(key: string, environment: string): boolean {
  // `run-<id>` and nothing else: a component may be named run-something.
  return /^run-[^@,]+$/.test(key.startsWith(`${environment}:`) ? key.slice(environment.length + 1) : '') || (keyParts(key, environment)?.some((p) => RUN_REF.test(p.ref)) ?? false);
}

/**
 * The `from` (`name=ref` pairs) that names the same incident as this key, for a later job to pass
 * as its from input (rollback.yml: the incident job's look-up, for the database job that holds no
 * platform token). A from names a key part by part (rollback.ts incidentKey: a ref is keyRef'd, so
 * it has no bare comma and a second keyRef leaves it as it is). Empty when the key names no
 * deployment of some part: the workflow run (`run-…`, runRef), a component that could not say (`?`),
 * the database alone or an unresolved plan; a from made of the rest would name another incident.
 */
export function keyFrom(key: string, environment: string): string {
  const parts = keyParts(key, environment);
  if (!parts || namesRun(key, environment) || parts.some((p) => p.ref === '?')) return '';
  return parts.map((p) => `${p.name}=${p.ref}`).join(',');
}
