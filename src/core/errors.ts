import { capitalized, ended } from './sentence.js';

/**
 * An error the user can act on: `message` says what failed and why, `hint` what to do next.
 * Entry points print it as one `::error::` line; anything else is treated as a bug.
 */
export class RollbackKitError extends Error {
  /**
   * What the step that failed changed, for callers that decide what comes next (never read from
   * the words, which may change): 'no', nothing; 'unknown', it cannot tell (a COMMIT sent, and no
   * answer). Unset: the error does not say. An error made with 'no' says so in its own words too;
   * one given it later (withFacts) may not.
   */
  changed?: Changed;
  /** Ended by a stop (SIGTERM, SIGINT: a cancelled job, Ctrl-C), not by a fault someone must fix. */
  stopped?: true;
  /**
   * Another session held what it needed (a lock not granted in time, a lock cycle given way to):
   * nothing is wrong with the request itself, and the same request may pass once that session is done.
   */
  blocked?: true;

  constructor(
    message: string,
    readonly hint?: string,
    facts: ErrorFacts = {},
  ) {
    super(message);
    this.name = 'RollbackKitError';
    if (facts.changed) this.changed = facts.changed;
    if (facts.stopped) this.stopped = true;
    if (facts.blocked) this.blocked = true;
  }

  /** The single line shown to the on-call engineer: the message ends its sentence before the hint. */
  get line(): string {
    return this.hint ? `${ended(this.message)} ${this.hint}` : this.message;
  }
}

export type Changed = 'no' | 'unknown';

/** What an error knows beyond its words (RollbackKitError.changed, .stopped). */
export interface ErrorFacts {
  changed?: Changed;
  stopped?: true;
  blocked?: true;
}

/** The facts `err` carries: none for an error that is not ours. */
export function errorFacts(err: unknown): ErrorFacts {
  if (!(err instanceof RollbackKitError)) return {};
  return { ...(err.changed ? { changed: err.changed } : {}), ...(err.stopped ? { stopped: true as const } : {}) };
}

/**
 * Adds to `err` the facts it does not state itself, which the caller knows and its maker did not
 * (a restore whose COMMIT was never sent knows that whatever failed under it changed nothing).
 * Returns `err`, to throw; an error that is not ours is left as it is (it says nothing it can stand by).
 */
export function withFacts<E>(err: E, facts: ErrorFacts): E {
  if (!(err instanceof RollbackKitError)) return err;
  if (facts.changed) err.changed ??= facts.changed;
  if (facts.stopped) err.stopped = true;
  return err;
}

/** What a Node system error code means, in words an on-call engineer can act on. */
const SYSTEM_ERRORS: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EACCES: 'permission denied',
  EPERM: 'the operation is not permitted',
  EROFS: 'the file system is read-only',
  ENOENT: 'it does not exist',
  EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'part of the path is a file, not a folder',
  EEXIST: 'it already exists',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files',
  EIO: 'an input/output error',
  EBUSY: 'it is busy',
};

const OPERATIONS: Record<string, string> = {
  open: 'open',
  read: 'read',
  write: 'write to',
  mkdir: 'create the folder',
  rename: 'move into place',
  unlink: 'remove',
  rmdir: 'remove',
  stat: 'read',
  lstat: 'read',
  scandir: 'list',
  access: 'access',
  copyfile: 'copy',
  realpath: 'resolve',
};

/**
 * Node's own system errors name the call that failed (`syscall`). An error of ours that only borrows
 * such a code so that callers treat it alike (session.ts's QueryDeadlineExceeded: ETIMEDOUT) is not
 * one: its message is its own, never to be cut at a comma as a system error's is.
 */
function isSystemError(err: unknown): err is NodeJS.ErrnoException & { code: string } {
  const e = err as NodeJS.ErrnoException;
  return err instanceof Error && typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code) && typeof e.syscall === 'string';
}

/** "the disk is full (ENOSPC)" for a Node system error, or undefined when `err` is not one. */
export function systemErrorMeaning(err: unknown): string | undefined {
  if (!isSystemError(err)) return undefined;
  const meaning = SYSTEM_ERRORS[err.code] ?? err.message.replace(/^E[A-Z]+: /, '').split(',')[0] ?? err.code;
  return `${meaning} (${err.code})`;
}

/**
 * A Node system error (fs, spawn) as "Could not <operation> <path>: <meaning> (<code>).", or
 * undefined when `err` is not one.
 */
export function systemErrorLine(err: unknown): string | undefined {
  const meaning = systemErrorMeaning(err);
  if (!meaning || !isSystemError(err)) return undefined;
  const operation = err.syscall ? (OPERATIONS[err.syscall] ?? err.syscall.replace(/^spawn$/, 'start')) : undefined;
  if (operation && err.path) return `Could not ${operation} ${err.path}: ${meaning}.`;
  if (operation) return `Could not ${operation}: ${meaning}.`;
  return `${capitalized(meaning)}.`;
}

export function errorLine(err: unknown): string {
  if (err instanceof RollbackKitError) return err.line;
  const system = systemErrorLine(err);
  if (system) return system;
  if (err instanceof Error) return `Unexpected error: ${err.message}`;
  return `Unexpected error: ${String(err)}`;
}
