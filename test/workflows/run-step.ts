/**
 * Runs one `run:` script of a workflow or composite action with bash as a GitHub runner does
 * (`bash --noprofile --norc -eo pipefail {0}`), with only the environment given (plus PATH), and
 * returns what it printed and wrote to GITHUB_OUTPUT.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseFileCommands } from '../helpers/run-action.js';

/** The runner's bash, found once: a step may be given a PATH without it. */
const BASH = execFileSync('bash', ['-c', 'command -v bash'], { encoding: 'utf8' }).trim();

export interface StepRun {
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
}

export async function runStep(script: string, env: Record<string, string>, opts: { cwd?: string; timeoutMs?: number } = {}): Promise<StepRun> {
  const dir = await mkdtemp(join(tmpdir(), 'rk-step-'));
  try {
    const output = join(dir, 'output');
    const file = join(dir, 'step.sh');
    await writeFile(output, '');
    await writeFile(file, script);
    const r = await promisify(execFile)(BASH, ['--noprofile', '--norc', '-eo', 'pipefail', file], {
      cwd: opts.cwd ?? dir,
      env: { PATH: process.env.PATH, GITHUB_OUTPUT: output, ...env },
      timeout: opts.timeoutMs ?? 20_000,
    }).then(
      (x) => ({ code: 0, stdout: x.stdout, stderr: x.stderr }),
      (err: { code?: number; stdout?: string; stderr?: string }) => ({ code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' }),
    );
    return { ...r, outputs: parseFileCommands(await readFile(output, 'utf8')) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
