/** Running an external program (pg_dump, pg_restore, psql, git) with a bounded wait and captured output. */
import { spawn } from 'node:child_process';

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
}

/** Output beyond this is cut: pg_restore -v can be chatty, and memory is not a log store. */
const MAX_CAPTURE = 1 << 20;

export function runProcess(command: string, args: string[], opts: RunOptions = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      // eslint-disable-next-line no-restricted-properties -- children inherit PATH and HOME, not inputs
      env: { ...process.env, ...opts.env } as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 5000).unref();
        }, opts.timeoutMs)
      : undefined;
    const cut = { stdout: false, stderr: false };
    child.stdout.on('data', (d: Buffer) => {
      if (stdout.length < MAX_CAPTURE) stdout += d.toString();
      else cut.stdout = true;
    });
    child.stderr.on('data', (d: Buffer) => {
      const text = d.toString();
      if (stderr.length < MAX_CAPTURE) stderr += text;
      else cut.stderr = true;
      opts.onStderr?.(text);
    });
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout: wholeLines(stdout, cut.stdout), stderr: wholeLines(stderr, cut.stderr), timedOut });
    });
  });
}

/** Capture that was cut ends at a line end: a line cut mid-way could end in a secret's prefix, which no redaction matches. */
function wholeLines(text: string, wasCut: boolean): string {
  return wasCut ? text.slice(0, text.lastIndexOf('\n') + 1) : text;
}
