/**
 * A check's path joined to base-url (or baseline-url) as a person reads it: the path goes after
 * base-url's own path (https://x/app + /health → https://x/app/health), never after its query
 * (https://x/?x-vercel-set-bypass-cookie=true + /health must not become a query value).
 */

/**
 * `path` is what the check wrote (`/api/health?verbose=1`). Its query is merged into base-url's:
 * base-url's parameters first, as written, then the path's, and a parameter the path names
 * replaces base-url's parameter of that name. A fragment in the path wins over base-url's (neither
 * is sent). The path stays a path: `//host/x` is not read as another host.
 */
export function joinUrl(base: string, path: string): string {
  const url = new URL(base);
  const { pathname, query, fragment } = splitPath(path.startsWith('/') ? path : `/${path}`);
  url.pathname = url.pathname.replace(/\/+$/, '') + pathname;
  if (query !== undefined) url.search = mergeQuery(url.search.slice(1), query);
  if (fragment !== undefined) url.hash = fragment;
  return url.href;
}

function splitPath(path: string): { pathname: string; query?: string; fragment?: string } {
  const hash = path.indexOf('#');
  const beforeHash = hash < 0 ? path : path.slice(0, hash);
  const fragment = hash < 0 ? undefined : path.slice(hash + 1);
  const question = beforeHash.indexOf('?');
  if (question < 0) return { pathname: beforeHash, fragment };
  return { pathname: beforeHash.slice(0, question), query: beforeHash.slice(question + 1), fragment };
}

/** Raw `name=value` parts are kept as written: re-encoding could change a signed value. */
function mergeQuery(base: string, own: string): string {
  const parts = (text: string) => text.split('&').filter(Boolean);
  const ownParts = parts(own);
  const ownNames = new Set(ownParts.map(nameOf));
  return [...parts(base).filter((p) => !ownNames.has(nameOf(p))), ...ownParts].join('&');
}

function nameOf(part: string): string {
  const eq = part.indexOf('=');
  const raw = (eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, ' ');
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
