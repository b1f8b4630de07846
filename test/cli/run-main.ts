/**
 * The command line from its source, in this process: `main` with the environment and folder given
 * (never this process's secrets: the same `cliEnv` as the bundle's runs), its stdout and stderr
 * captured apart. For what the committed bundle cannot show yet; run-cli.ts runs the bundle.
 */
import { vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { cliEnv } from './run-cli.js';

export interface MainRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runMain(argv: string[], opts: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<MainRun> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    const code = await main(argv, { env: cliEnv(opts.env), cwd: opts.cwd ?? process.cwd() });
    return { code, stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}
