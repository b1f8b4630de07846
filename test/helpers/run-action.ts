/**
 * Runs a bundle the way the GitHub runner does: `node dist/<name>/index.js` with inputs as
 * INPUT_<NAME> variables (hyphens kept) and temp files for the file commands. Returns the parsed
 * outputs, exit code, logs and summary, and everything the run wrote (searched by leak-scan.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tempDir } from './temp-dir.js';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout without the runner's own commands that the runner never shows (::add-mask::). */
  log: string;
  outputs: Record<string, string>;
  summary: string;
  env: string;
  state: string;
  /** Secrets the action asked the runner to mask. */
  masked: string[];
  /** `::error::` lines, decoded. */
  errors: string[];
  runnerTemp: string;
  workDir: string;
}

export interface RunActionOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  timeoutMs?: number;
  /** Use this RUNNER_TEMP instead of a fresh one (to inspect or reuse what a run left). */
  runnerTemp?: string;
  /** Run the bundle from this copy of dist/ instead of the repository's (no node_modules beside it). */
  dist?: string;
  /**
   * Run the action from its TypeScript source (src/actions/<name>.ts, through tsx) instead of the
   * bundle: for a test of a change dist/ does not have yet. Same process, inputs and files.
   */
  source?: boolean;
  /** Run the bundle with this Node binary instead of the one running the tests (the runner's Node 24: node24.ts). */
  node?: string;
  /** Called once the action has started, with its process (to signal it while it runs). */
  whileRunning?: (child: ChildProcess) => void | Promise<void>;
}

/** Parses `name<<delimiter` blocks and `name=value` lines of GITHUB_OUTPUT / GITHUB_ENV / GITHUB_STATE. */
export function parseFileCommands(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc;
      const value: string[] = [];
      i++;
      while (i < lines.length && lines[i] !== delimiter) value.push(lines[i++]!);
      out[name!] = value.join('\n');
    } else if (line.includes('=')) {
      const at = line.indexOf('=');
      out[line.slice(0, at)] = line.slice(at + 1);
    }
  }
  return out;
}

function decodeCommandValue(v: string): string {
  return v.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}

export async function runAction(name: string, inputs: Record<string, string | number | boolean | undefined>, opts: RunActionOptions = {}): Promise<ActionRun> {
  const bundle = opts.source ? join(ROOT, 'src', 'actions', `${name}.ts`) : join(opts.dist ?? join(ROOT, 'dist'), name, 'index.js');
  if (!existsSync(bundle)) throw new Error(`${bundle} does not exist: run npm run build`);
  // The repository's tsx by its path: the action runs in a folder of its own, where `tsx` is not to be found.
  const args = opts.source ? ['--import', pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href, bundle] : [bundle];
  const workDir = await tempDir(`rk-${name}-`);
  const runnerTemp = opts.runnerTemp ?? join(workDir, 'runner-temp');
  const files = {
    GITHUB_OUTPUT: join(workDir, 'output'),
    GITHUB_STEP_SUMMARY: join(workDir, 'summary.md'),
    GITHUB_ENV: join(workDir, 'env'),
    GITHUB_STATE: join(workDir, 'state'),
    GITHUB_PATH: join(workDir, 'path'),
  };
  for (const f of Object.values(files)) await writeFile(f, '');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(runnerTemp, { recursive: true });

  const env: Record<string, string> = {};
  // A clean environment like the runner's: nothing of the test process's own INPUT_ or GITHUB_ leaks in.
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('INPUT_') && !k.startsWith('GITHUB_') && !k.startsWith('ACTIONS_') && !k.startsWith('RUNNER_')) env[k] = v;
  }
  Object.assign(env, files, {
    RUNNER_TEMP: runnerTemp,
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: opts.cwd ?? workDir,
    GITHUB_REPOSITORY: 'acme/shop',
    GITHUB_RUN_ID: '4242',
    GITHUB_SERVER_URL: 'https://github.com',
  });
  for (const [key, value] of Object.entries(inputs)) {
    if (value !== undefined) env[`INPUT_${key.replace(/ /g, '_').toUpperCase()}`] = String(value);
  }
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }

  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done, fail) => {
    const child = spawn(opts.node ?? process.execPath, args, { env, cwd: opts.cwd ?? workDir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 110_000);
    child.on('error', fail);
    void Promise.resolve(opts.whileRunning?.(child)).catch(fail);
    child.on('close', (c) => {
      clearTimeout(timer);
      done({ code: c, stdout: out, stderr: err });
    });
  });

  const read = (f: string) => readFile(f, 'utf8');
  const masked = stdout
    .split('\n')
    .filter((l) => l.startsWith('::add-mask::'))
    .map((l) => decodeCommandValue(l.slice('::add-mask::'.length)));
  return {
    code,
    stdout,
    stderr,
    log: stdout
      .split('\n')
      .filter((l) => !l.startsWith('::add-mask::'))
      .join('\n'),
    outputs: parseFileCommands(await read(files.GITHUB_OUTPUT)),
    summary: await read(files.GITHUB_STEP_SUMMARY),
    env: await read(files.GITHUB_ENV),
    state: await read(files.GITHUB_STATE),
    masked,
    errors: stdout
      .split('\n')
      .filter((l) => l.startsWith('::error'))
      .map((l) => decodeCommandValue(l.replace(/^::error[^:]*::/, ''))),
    runnerTemp,
    workDir,
  };
}

// The secret search lives in leak-scan.ts; re-exported for the tests that import it from here.
export { findSecret, listTree } from './leak-scan.js';
