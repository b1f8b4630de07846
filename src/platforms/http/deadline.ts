/**
 * The step's deadline as the HTTP client sees it: timeout-seconds from the start of each phase (the
 * search for the target, then the wait after the request, as timeout-seconds is documented), so no
 * retry, no wait a rate limit asks for, and no wait for an answer outlives the step.
 */
export class StepDeadline {
  private at: number;

  constructor(
    private readonly now: () => number,
    /** The input's value, for messages. */
    readonly seconds: number,
    /** The input that sets it, for messages: smoke-test's is deadline-seconds. */
    readonly input = 'timeout-seconds',
  ) {
    this.at = now() + seconds * 1000;
  }

  /** The next phase (the wait after the request) gets timeout-seconds of its own; returns its end. */
  restart(): number {
    this.at = this.now() + this.seconds * 1000;
    return this.at;
  }

  /** Brings the end forward to `ms` from now, when that is sooner (a stopped run's report: report/incident.ts). */
  shorten(ms: number): void {
    this.at = Math.min(this.at, this.now() + ms);
  }

  /** Milliseconds left, never below 0. */
  left(): number {
    return Math.max(0, this.at - this.now());
  }
}
