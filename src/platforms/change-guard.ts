/**
 * The run's stop (SIGINT, SIGTERM: Ctrl-C, a cancelled job) as a platform provider honours it.
 * Once the stop came, no NEW request that changes production is sent: the HTTP client asks
 * `beforeChange` right before each one, and the git-revert and command providers before their push,
 * pull request or command. A change already sent is let finish (its answer is read); a rollback
 * command, and git-revert's push and pull request, are ended at the stop instead (they could take
 * minutes), and count as sent all the same. Nothing else is waited on: reads, retry backoffs and
 * the polling after the request end at the stop (`sleep`, `check`, and the read requests' own fetch
 * signal). The provider's error is then replaced by the guard's (`error`),
 * which says what production is: not touched, when no change was sent; else sent and not confirmed,
 * naming what to check.
 */
import { RollbackKitError } from '../core/errors.js';
import { stopName } from '../core/stop-signals.js';

/** Thrown where the stop interrupts a provider; promotePrevious replaces it with ChangeGuard.error(). */
export class StoppedHere extends RollbackKitError {
  constructor(what: string) {
    super(`stopped before ${what}`, undefined, { stopped: true });
  }
}

/** A platform that can be asked what it serves: a re-run finds the rollback that went live. */
const RERUN_RECOGNISES = 'Re-running the same rollback continues it: a rollback that went live is recognised and left alone.';

export class ChangeGuard {
  /** What changes were sent to the platform before the stop, in order ("POST /v9/projects/x/rollback/y"). */
  readonly sent: string[] = [];
  /** The stop interrupted the provider: its error is the guard's. */
  private hit = false;

  constructor(
    readonly signal: AbortSignal | undefined,
    /** "web (Vercel project shop)": whose production, for the messages. */
    readonly subject: string,
    /** Where a person checks what production serves (the platform's dashboard, its CLI). */
    readonly checkWhere: string,
    /** What running the same rollback again does with a change sent and not confirmed (the provider knows). */
    readonly rerun = RERUN_RECOGNISES,
  ) {}

  get stopped(): boolean {
    return this.signal?.aborted === true;
  }

  /** The stop interrupted the provider (so its outcome is this guard's error). */
  get interrupted(): boolean {
    return this.hit;
  }

  /** Throws if the run was stopped: before a read, a poll, a retry. */
  check(what: string): void {
    if (!this.stopped) return;
    this.hit = true;
    throw new StoppedHere(what);
  }

  /** Right before a request or program that changes production: throws if stopped, else counts it as sent. */
  beforeChange(what: string): void {
    this.check(what);
    this.sent.push(what);
  }

  /** A wait (a poll interval, a retry backoff) that ends at the stop, throwing. */
  sleep(inner: (ms: number) => Promise<void>): (ms: number) => Promise<void> {
    return async (ms) => {
      this.check('a wait');
      const signal = this.signal;
      if (!signal) return inner(ms);
      let onAbort = (): void => undefined;
      const aborted = new Promise<void>((resolve) => {
        onAbort = resolve;
        signal.addEventListener('abort', onAbort, { once: true });
      });
      try {
        await Promise.race([inner(ms), aborted]);
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
      this.check('a wait');
    };
  }

  /** The signal a read request's fetch also ends on. */
  readSignal(timeout: AbortSignal): AbortSignal {
    return this.signal ? AbortSignal.any([timeout, this.signal]) : timeout;
  }

  /** What the stop left production in, with what to do next (changed: 'no' or 'unknown'). */
  error(): RollbackKitError {
    const by = stopName(this.signal);
    if (!this.sent.length) {
      return new RollbackKitError(
        `${this.subject}: the run was stopped (${by}) before any request that changes production was sent, so production was not touched: it still serves what it served before this run.`,
        'Run the rollback again when it can run to its end.',
        { changed: 'no', stopped: true },
      );
    }
    return new RollbackKitError(
      `${this.subject}: the run was stopped (${by}) after ${this.sent.join(', then ')} was sent, before the rollback was confirmed live: production may be rolled back or may still serve the bad release (sent, not confirmed).`,
      `Check what production serves in ${this.checkWhere}. ${this.rerun}`,
      { changed: 'unknown', stopped: true },
    );
  }
}

/** `inner`, ending at the stop when there is one. */
export function guardedSleep(stop: ChangeGuard | undefined, inner: (ms: number) => Promise<void>): (ms: number) => Promise<void> {
  return stop ? stop.sleep(inner) : inner;
}
