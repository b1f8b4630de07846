/**
 * Runs the built command line (dist/cli/index.js) as a person or a script would: its own process,
 * no terminal unless asked (`tty`: under script(1), which gives it a pseudo-terminal), the
 * environment given and nothing of this process's secrets.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../helpers/run-action.js';

export const CLI = join(ROOT, 'dist/cli/index.js');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Variables a run never inherits: the documented secrets and anything of GitHub's. */
const DROP = /^(VERCEL_TOKEN|FLY_API_TOKEN|RAILWAY_TOKEN|RENDER_API_KEY|NETLIFY_AUTH_TOKEN|DATABASE_URL|GITHUB_.*|ROLLBACK_WEBHOOK_URL|NO_COLOR|FORCE_COLOR|INPUT_.*|RUNNER_.*)$/;

export function cliEnv(env: Record<string, string | undefined> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !DROP.test(k)) out[k] = v;
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

export function runCli(
  args: string[],
  opts: {
    cwd?: string;
    env?: Record<string, string | undefined>;
    tty?: boolean;
    timeoutMs?: number;
    onStderr?: (text: string, child: ReturnType<typeof spawn>) => void;
    /** This Node binary instead of the one running the tests (the runner's Node 24: test/helpers/node24.ts). */
    node?: string;
    /** The child process, as soon as it is started (to signal it at a moment its output does not mark). */
    onSpawn?: (child: ReturnType<typeof spawn>) => void;
  } = {},
): Promise<CliRun> {
  const node = opts.node ?? process.execPath;
  const quoted = [node, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const [command, argv] = opts.tty ? ['script', ['-qefc', quoted, '/dev/null']] : [node, [CLI, ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv as string[], { cwd: opts.cwd ?? ROOT, env: cliEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
    opts.onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      opts.onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
