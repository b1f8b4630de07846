/**
 * How long a provider may spend paging through its list of releases or deploys: the step's
 * timeout-seconds, not a page count, so a last good one however far back is found when there is
 * time to reach it, and a listing that never ends still ends. The time is the step's own deadline
 * (StepDeadline), the one clock of the search for the target that bounds its retries too, so the
 * listing cannot outlive the search it belongs to.
 */
import { RollbackKitError } from '../core/errors.js';
import { clip } from '../core/secrets.js';
import { OutOfTime } from './http/client.js';
import type { StepDeadline } from './http/deadline.js';

export interface ListingBound {
  /** The step's deadline: no page is asked for once it has passed. */
  deadline: StepDeadline;
  /** What is being listed ("the releases of app shop"), for the message. */
  what: string;
}

export function listingBound(deadline: StepDeadline, what: string): ListingBound {
  return { deadline, what };
}

/**
 * How far a listing got, for one that tells of its end itself (Vercel's messages say what was
 * searched and how far): pages read, and whether the deadline ended it rather than the list's end.
 */
export interface ListingProgress {
  pages: number;
  timedOut: boolean;
}

/** Past the deadline with a page read: the listing's time has run out. The first page is always asked for. */
function pastDeadline(bound: ListingBound | undefined, pagesRead: number): bound is ListingBound {
  return !!bound && pagesRead > 0 && bound.deadline.left() === 0;
}

/** Before each page after the first: past the deadline, a clear error saying how far it got. */
export function checkListingTime(bound: ListingBound | undefined, pagesRead: number): void {
  if (pastDeadline(bound, pagesRead)) throw outOfListingTime(bound, pagesRead);
}

/**
 * One page, asked for only in time; undefined when the listing's time has run out, before the page
 * or while it was on its way (the client cuts each request to the time left). The first page is
 * always asked for, and its request failing is that failure, not the listing's time running out.
 */
export async function pageInTime<T>(bound: ListingBound | undefined, pagesRead: number, read: () => Promise<T>): Promise<{ page: T } | undefined> {
  if (pastDeadline(bound, pagesRead)) return undefined;
  try {
    return { page: await read() };
  } catch (err) {
    if (bound && pagesRead > 0 && err instanceof OutOfTime) return undefined;
    throw err;
  }
}

/** One page, as pageInTime; the listing's time running out is a clear error saying how far it got. */
export async function listingPage<T>(bound: ListingBound | undefined, pagesRead: number, read: () => Promise<T>): Promise<T> {
  const got = await pageInTime(bound, pagesRead, read);
  if (!got) throw outOfListingTime(bound!, pagesRead);
  return got.page;
}

function outOfListingTime(bound: ListingBound, pagesRead: number): RollbackKitError {
  return new RollbackKitError(
    `Listing ${bound.what} took longer than ${bound.deadline.input} (${bound.deadline.seconds} s): ${pagesRead} page(s) read, and the list goes on.`,
    `Raise ${bound.deadline.input} to look further back, or name the target to return to.`,
  );
}

/** What a message quotes of a cursor: enough to recognise it (a longer one is cut to 40 characters and an ellipsis). */
const CURSOR_SHOWN = 41;

/**
 * Stops a listing whose API hands out a page it has given before (the same cursor again, or for
 * page-number paging the same page content), which would otherwise go round until timeout-seconds
 * and then blame the length of the list. Every paginated listing shares it: releases, deploys,
 * deployments, commit statuses.
 */
export class PageGuard {
  private readonly seen = new Set<string>();
  private pages = 0;

  constructor(private readonly what: string) {}

  /** Records the page just read by its next cursor (or, with page numbers, by what it held). */
  check(key: string, kind: 'cursor' | 'page' = 'cursor'): void {
    this.pages++;
    if (this.seen.has(key)) this.stuck(kind === 'cursor' ? `the same next-page cursor (${clip(key, CURSOR_SHOWN)}) as an earlier page` : 'a page it had already given');
    this.seen.add(key);
  }

  /** Ends the listing: the API's paging went wrong in the way `how` says. */
  stuck(how: string): never {
    throw new RollbackKitError(
      `Listing ${this.what} stopped after ${this.pages} page(s): the API answered with ${how}, so the list would never end.`,
      'Name the target to return to instead; if api-url points at a proxy, check that it passes the paging parameters on.',
    );
  }
}
