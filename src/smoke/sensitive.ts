/**
 * Secrets users put into the spec itself: an Authorization header, an API key in a query string.
 * GitHub masks `${{ secrets.* }}` in the runner's log, but not in files we write, so these values are
 * registered with the log and redacted from the summary, annotations and report files as well.
 */
import type { Log } from '../core/log.js';
import type { Check } from './spec.js';

const SENSITIVE_NAME = /auth|cookie|token|secret|password|passwd|api[-_]?key|apikey|^key$|signature|^sig$|session|credential/i;

export function registerSpecSecrets(checks: Check[], log: Log): void {
  for (const check of checks) {
    if (check.kind !== 'http') continue;
    for (const [name, value] of Object.entries(check.headers)) {
      if (!SENSITIVE_NAME.test(name)) continue;
      log.secret(value);
      // "Bearer abc…": the credential alone may show up elsewhere (an echo, an error).
      const credential = /^\S+\s+(\S.*)$/.exec(value)?.[1];
      log.secret(credential);
    }
    for (const [name, value] of new URL(check.url).searchParams) {
      if (SENSITIVE_NAME.test(name)) log.secret(value);
    }
  }
}
