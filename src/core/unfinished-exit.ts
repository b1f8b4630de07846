/**
 * Node exits, with code 0, once nothing is left that could wake the process. A run that awaits a
 * promise nothing can settle any more (an event that will not come, a wait on a socket unref'd so
 * that it cannot delay the exit) would end as if it had finished, its outputs and report unwritten
 * and its exit code saying success. While a run is under way, that exit is turned into a failure
 * that says so.
 */
import { RollbackKitError } from './errors.js';

export function unfinishedError(): RollbackKitError {
  return new RollbackKitError(
    'rollback-kit ended before its work did: it was left waiting for something that can no longer happen (a defect in rollback-kit; please report it).',
    'What it had changed by then is not known: check what the lines above say was done, and the platform and database themselves, before running it again.',
  );
}

/**
 * Calls `fail` if the event loop empties before the returned dispose is called. `fail` may be
 * async: its own work keeps the process alive until it is done, and the exit code is 1.
 */
export function failOnUnfinishedExit(fail: () => unknown): () => void {
  const onEmpty = () => {
    process.exitCode = 1;
    void Promise.resolve()
      .then(fail)
      .catch(() => undefined);
  };
  process.once('beforeExit', onEmpty);
  return () => process.off('beforeExit', onEmpty);
}
