/**
 * Node's fetch (undici) refuses to connect to the ports the Fetch standard blocks ("bad port": ports
 * of other protocols, such as 1, 7, 9, 6000, 6665-6669 and 10080). The refusal is decided by the URL
 * alone, before anything is sent, so it is no network failure: trying again cannot help, and the
 * only way on is another port. Every fetch rollback-kit makes (platform and GitHub API clients,
 * chat webhooks, smoke checks) tells it apart by this one classification. The artifact upload is
 * no fetch (github/artifact.ts): its client connects to these ports.
 */

/** Whether `err` is fetch's refusal of a blocked port: a TypeError whose cause says "bad port" (it carries no error code). */
export function isBlockedPortError(err: unknown): boolean {
  if (!(err instanceof TypeError)) return false;
  const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
  if (cause && cause.code !== undefined) return false;
  return (cause?.message ?? err.message) === 'bad port';
}

/** The port a URL names, or its scheme's default when it names none. */
function portOf(url: URL): string {
  return url.port || (url.protocol === 'https:' ? '443' : '80');
}

/** "Node's fetch refuses to connect to port 1 of 127.0.0.1 (…)": the refusal, named, for any message. */
export function blockedPortText(url: URL): string {
  return `Node's fetch refuses to connect to port ${portOf(url)} of ${url.hostname} (a port the Fetch standard blocks, "bad port")`;
}

/** What to do about it, for the setting that holds the URL. */
export function blockedPortWay(setting: string): string {
  return `Use another port in ${setting}: run the server, stand-in or proxy on one fetch allows (8080, say).`;
}
