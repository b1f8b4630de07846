/**
 * How long a provider may spend paging through its list of releases or deploys: the step's
 * timeout-seconds, not a page count, so a last good one however far back is found when there is
 * time to reach it, and a listing that never ends still ends.
 */
import { RollbackKitError } from '../core/errors.js';

export interface ListingBound {
  /** Epoch milliseconds after which no further page is asked for. */
  deadline: number;
  /** timeout-seconds, for the message. */
  seconds: number;
  /** What is being listed ("the releases of app shop"), for the message. */
  what: string;
}

export function listingBound(timeoutSeconds: number, what: string): ListingBound {
  return { deadline: Date.now() + timeoutSeconds * 1000, seconds: timeoutSeconds, what };
}

/** Before each page after the first: past the deadline, a clear error saying how far it got. */
export function checkListingTime(bound: ListingBound | undefined, pagesRead: number): void {
  if (!bound || pagesRead === 0 || Date.now() < bound.deadline) return;
  throw new RollbackKitError(
    `Listing ${bound.what} took longer than timeout-seconds (${bound.seconds} s): ${pagesRead} page(s) read, and the list goes on.`,
    'Raise timeout-seconds to look further back, or name the target to return to.',
  );
}
