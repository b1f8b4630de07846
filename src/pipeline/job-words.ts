/**
 * What an error says it changed, in the words of the job that ran it. Errors made deep down (a
 * stopped ledger read, a lock wait, a restore refused before it began) say "nothing was changed":
 * true of their step, and of a rollback run in one job. In a later job of a split rollback (its
 * `timeline` input holds an earlier job's rows that changed production) it reads as if production
 * were untouched, and the earlier job did change it: there they say "this job changed nothing".
 * Only the pipeline knows which job this is (changedSomething of the earlier timeline), so every
 * error text it writes passes through here, whatever step made it.
 */
import { changedSomething, parseTimeline } from './timeline.js';

/** The sentences that claim nothing changed, as the errors write them (linear: no nested repeats). */
const NOTHING_CHANGED = /\b(?:nothing was (?:contacted or )?changed|(?:this|the) run changed nothing)\b/gi;

export function inThisJob(text: string, laterJob: boolean): string {
  if (!laterJob) return text;
  return text.replace(NOTHING_CHANGED, (said) => {
    // A dry run of scope verify's "nothing was contacted or changed": the earlier job contacted and changed production.
    const words = /contacted/i.test(said) ? 'this job contacted nothing and changed nothing' : 'this job changed nothing';
    return said[0] === said[0]!.toUpperCase() ? `T${words.slice(1)}` : words;
  });
}

/**
 * Whether a `timeline` (the root action's input, the CLI's --timeline) says an earlier job of this
 * rollback changed production: read before anything else, so that a refusal before the pipeline
 * starts says "this job changed nothing" (inThisJob), as the pipeline's own errors do. A timeline
 * that does not parse is refused where the request reads it.
 */
export function laterJob(timeline: string | undefined): boolean {
  try {
    return changedSomething(parseTimeline(timeline, (text) => text));
  } catch {
    return false;
  }
}
