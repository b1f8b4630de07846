/**
 * An error the user can act on: `message` says what failed and why, `hint` what to do next.
 * Entry points print it as one `::error::` line; anything else is treated as a bug.
 */
export class RollbackKitError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'RollbackKitError';
  }

  /** The single line shown to the on-call engineer. */
  get line(): string {
    return this.hint ? `${this.message} ${this.hint}` : this.message;
  }
}

export function errorLine(err: unknown): string {
  if (err instanceof RollbackKitError) return err.line;
  if (err instanceof Error) return `Unexpected error: ${err.message}`;
  return `Unexpected error: ${String(err)}`;
}
