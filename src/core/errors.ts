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

function isSystemError(err: unknown): err is NodeJS.ErrnoException & { code: string } {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && /^E[A-Z]+$/.test((err as NodeJS.ErrnoException).code!);
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
  return `${meaning[0]!.toUpperCase()}${meaning.slice(1)}.`;
}

export function errorLine(err: unknown): string {
  if (err instanceof RollbackKitError) return err.line;
  const system = systemErrorLine(err);
  if (system) return system;
  if (err instanceof Error) return `Unexpected error: ${err.message}`;
  return `Unexpected error: ${String(err)}`;
}
