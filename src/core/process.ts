/** Running an external program (pg_dump, pg_restore, psql, git) with a bounded wait and captured output. */
import type { Readable, Writable } from 'node:stream';

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  timeoutMs?: number;
  /** Called with each chunk of stderr as it arrives (progress for long dumps). */
  onStderr?: (chunk: string) => void;
  /** Called with each chunk of stdout as it arrives, when it is captured (a marker a script prints). */
  onStdout?: (chunk: string) => void;
  /** Fed to the program's stdin (otherwise stdin is closed). */
  stdin?: Readable;
  /** Receives stdout instead of capturing it (a script streamed into another program). */
  stdout?: Writable;
  /** Ends the program when aborted, with `killSignal` (SIGTERM unless said), and SIGKILL if it is still running `killGraceMs` later. */
  signal?: AbortSignal;
  killSignal?: NodeJS.Signals;
  /** How long a program may take to end after `killSignal` (on abort or timeout) before it gets SIGKILL; KILL_GRACE_MS unless said. */
  killGraceMs?: number;
}

/**
 * How long a program asked to end may take before it is killed. A gentler signal lets it end its
 * own way (psql cancels its statement on SIGINT, so the server frees the locks at once), but a
 * program that ignores it, or waits on a connection that stalled for the cancel it sends, would
 * otherwise hold the run, and whatever it holds, for as long as it likes.
 */
export const KILL_GRACE_MS = 5000;

/** How long captured output may still come after the program exited (see 'exit' below). */
const EXIT_GRACE_MS = 2000;

/** Output beyond this is cut: pg_restore -v can be chatty, and memory is not a log store. */
const MAX_CAPTURE = 1 << 20;

export async function runProcess(command: string, args: string[], opts: RunOptions = {}): Promise<ProcessResult> {
  // Loaded on the first run, not with the bundle: most paths of promote-previous never start a
  // program, and node:child_process is about 10 ms of start-up before their first request.
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      // eslint-disable-next-line no-restricted-properties -- children inherit PATH and HOME, not inputs
      env: { ...process.env, ...opts.env } as NodeJS.ProcessEnv,
      stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      signal: opts.signal,
      killSignal: opts.killSignal,
    });
    if (opts.stdin) {
      // The program may exit before reading everything (an error stops psql): not our failure.
      child.stdin!.on('error', () => undefined);
      opts.stdin.pipe(child.stdin!);
    }
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const graceMs = opts.killGraceMs ?? KILL_GRACE_MS;
    // Only while it has not exited: its pid may be another program's by then.
    const killLater = () => setTimeout(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'), graceMs).unref();
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGTERM');
          killLater();
        }, opts.timeoutMs)
      : undefined;
    // The abort's own signal is sent by spawn (killSignal); this is the escalation after it.
    const onAbort = () => void killLater();
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    const cut = { stdout: false, stderr: false };
    if (opts.stdout) {
      const out = opts.stdout;
      child.stdout!.pipe(out);
      // A reader that goes away first (psql failed, so restore-db destroyed the script reading
      // pg_restore's) unpipes stdout and leaves it paused: unread, it never ends, 'close' never
      // comes, and once the program has exited nothing is left to wait on. The rest is dropped.
      out.once('close', () => {
        child.stdout!.unpipe(out);
        child.stdout!.resume();
      });
    } else
      child.stdout!.on('data', (d: Buffer) => {
        const text = d.toString();
        if (stdout.length < MAX_CAPTURE) stdout += text;
        else cut.stdout = true;
        opts.onStdout?.(text);
      });
    child.stderr!.on('data', (d: Buffer) => {
      const text = d.toString();
      if (stderr.length < MAX_CAPTURE) stderr += text;
      else cut.stderr = true;
      opts.onStderr?.(text);
    });
    child.on('error', (err) => {
      // An abort is reported by the exit below (signal SIGTERM), not as a failure to start.
      if ((err as NodeJS.ErrnoException).name === 'AbortError') return;
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      reject(err);
    });
    // 'close' waits for every holder of the output pipes, and a program's own children inherit them:
    // git's HTTP helper on a stalled remote, a hook's background job. Once the program has exited,
    // captured output is read as it comes, so anything still unsent after a short grace is theirs;
    // the pipes are closed then, or the wait (and its timeout, which ends only the program) would
    // last as long as they do. Output streamed to another program is left alone: there the rest is
    // still being read, as fast as that program takes it.
    let orphaned: NodeJS.Timeout | undefined;
    child.on('exit', () => {
      if (opts.stdout) return;
      orphaned = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, EXIT_GRACE_MS);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      clearTimeout(orphaned);
      resolve({ code, signal, stdout: wholeLines(stdout, cut.stdout), stderr: wholeLines(stderr, cut.stderr), timedOut });
    });
  });
}

/** Capture that was cut ends at a line end: a line cut mid-way could end in a secret's prefix, which no redaction matches. */
function wholeLines(text: string, wasCut: boolean): string {
  return wasCut ? text.slice(0, text.lastIndexOf('\n') + 1) : text;
}
