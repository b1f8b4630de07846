/**
 * What the sandbox started, undone in reverse order on success, on failure and on Ctrl-C: each
 * step runs once and a failing step never stops the ones after it.
 */
export class Cleanup {
  private readonly steps: { what: string; undo: () => Promise<void> }[] = [];
  private running: Promise<string[]> | undefined;

  add(what: string, undo: () => Promise<void>): void {
    this.steps.push({ what, undo });
  }

  /** Undoes everything; returns what could not be undone (one line each). */
  run(): Promise<string[]> {
    this.running ??= (async () => {
      const problems: string[] = [];
      while (this.steps.length) {
        const step = this.steps.pop()!;
        try {
          await step.undo();
        } catch (err) {
          problems.push(`${step.what}: ${(err as Error).message}`);
        }
      }
      return problems;
    })();
    return this.running;
  }
}
