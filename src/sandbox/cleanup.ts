/**
 * What the sandbox started, undone in reverse order on success, on failure and on Ctrl-C: each
 * step runs once and a failing step never stops the ones after it. Once cleaning up has begun
 * (`stop`, or `run`), the sandbox's own steps stop at the next `check`, and anything still being
 * made is undone the moment it exists: nothing can outlive the cleanup by starting during it.
 */

import { stopReason } from '../core/stop-signals.js';

/** Thrown by `check` once the sandbox is stopping: the step it guards never starts. */
export class SandboxStopped extends Error {
  constructor() {
    super('The sandbox was stopped.');
    this.name = 'SandboxStopped';
  }
}

interface Step {
  what: string;
  undo: () => Promise<void>;
}

export class Cleanup {
  private readonly steps: Step[] = [];
  private readonly late: Promise<void>[] = [];
  private readonly problems: string[] = [];
  private running: Promise<string[]> | undefined;
  private readonly stopper = new AbortController();
  /** Aborted when the sandbox is stopping: its child processes (dbmate, initdb) are ended with it. */
  readonly signal: AbortSignal = this.stopper.signal;

  /**
   * Tells the sandbox's work to stop (Ctrl-C: `signal` names it, and every stop text below says it
   * from this signal's reason): the steps it has not begun never begin.
   */
  stop(signal?: NodeJS.Signals): void {
    if (!this.signal.aborted) this.stopper.abort(signal ? stopReason(signal) : undefined);
  }

  /** Throws SandboxStopped when the sandbox is stopping. */
  check(): void {
    if (this.signal.aborted) throw new SandboxStopped();
  }

  /** Registers an undo; after cleaning up has begun, runs it at once (run() waits for it too). */
  add(what: string, undo: () => Promise<void>): void {
    if (this.running) this.late.push(this.undo({ what, undo }));
    else this.steps.push({ what, undo });
  }

  /**
   * Makes something with its undo registered first, so an interrupt at any moment removes it: also
   * one that lands while it is being made (a CREATE DATABASE in flight, which a DROP DATABASE IF
   * EXISTS run at that moment cannot see), for which the undo runs again once the making is over.
   */
  async make<T>(what: string, undo: () => Promise<void>, make: () => Promise<T>): Promise<T> {
    this.add(what, undo);
    try {
      return await make();
    } finally {
      if (this.running) this.add(what, undo);
    }
  }

  /** Undoes everything; returns what could not be undone (one line each). */
  run(): Promise<string[]> {
    this.stop();
    this.running ??= (async () => {
      while (this.steps.length) await this.undo(this.steps.pop()!);
      // Undos registered while those ran were started at once; they belong to this cleanup too.
      while (this.late.length) await this.late.shift();
      return this.problems;
    })();
    return this.running;
  }

  private async undo(step: Step): Promise<void> {
    try {
      await step.undo();
    } catch (err) {
      this.problems.push(`${step.what}: ${(err as Error).message}`);
    }
  }
}
