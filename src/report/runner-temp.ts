/**
 * The warning for a snapshot left only under RUNNER_TEMP and not uploaded: GitHub deletes that
 * folder when the job ends, so a step that reports success there would otherwise leave nothing to
 * restore from. restore-db's pre-restore snapshot and snapshot-db's say it in the same words.
 */
import { isInside } from '../core/files.js';

/**
 * `what`: the snapshot's name ("pre-restore snapshot"); `of`: what it is the only copy of; `toKeep`:
 * the step's own ways to keep it, before the one every step has (copy it in a later step).
 * Undefined when `path` is not under `runnerTemp`.
 */
export function deletedWithJobWarning(path: string, runnerTemp: string | undefined, words: { what: string; of: string; toKeep: string }): string | undefined {
  if (!isInside(path, runnerTemp)) return undefined;
  return (
    `The ${words.what} ${path} is the only copy of ${words.of}, and it is in RUNNER_TEMP, which GitHub deletes when this job ends. ` +
    `To keep it, ${words.toKeep}, or copy it in a later step of this job with if: always().`
  );
}
