/**
 * A check that cannot be run as written: a SQL check that tries to write or to leave its read-only
 * transaction, a request fetch refuses to send (a blocked port, a URL it cannot use), a regular
 * expression too slow to evaluate, a database-url the server rejects. None of these says anything
 * about the service's health, so it is never an observation and never a rollback decision: the run
 * stops and the step fails with no verdict, whatever fail-step says.
 */
import { RollbackKitError } from '../core/errors.js';

export const NO_VERDICT = 'This is a configuration error, not an outage: nothing was decided (no verdict, no decision output).';

export class CheckConfigError extends RollbackKitError {
  constructor(problem: string, hint?: string) {
    super(`${problem.replace(/\.$/, '')}. ${NO_VERDICT}`, hint);
    this.name = 'CheckConfigError';
  }
}
