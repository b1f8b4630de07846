/**
 * Secrets users put into the spec itself: an Authorization header, an API key in a query string, a
 * password in a check URL. GitHub masks `${{ secrets.* }}` in the runner's log, but not in files we
 * write, so these values are registered with the log and redacted from the summary, annotations
 * and report files as well. Which values are long enough to count is the log's rule, not ours.
 */
import type { Log } from '../core/log.js';
import { isSensitiveName } from '../core/url-secrets.js';
import type { Check } from './spec.js';

export function registerSpecSecrets(checks: Check[], log: Log): void {
  for (const check of checks) {
    if (check.kind !== 'http') continue;
    for (const value of check.secrets.declared) log.secret(value);
    for (const value of check.secrets.guessed) log.secret(value, 'guessed');
    for (const [name, value] of Object.entries(check.headers)) {
      if (!isSensitiveName(name)) continue;
      log.secret(value, 'guessed');
      // "Bearer abc…": the credential alone may show up elsewhere (an echo, an error).
      const credential = /^\S+\s+(\S.*)$/.exec(value)?.[1];
      log.secret(credential, 'guessed');
    }
  }
}
