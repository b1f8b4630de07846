/**
 * dbmate, which deploys the sandbox app's migrations as a real release would: the binary npm
 * installs (@dbmate/<platform>-<arch>), found from here or the current folder upwards, else on PATH.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RollbackKitError } from '../core/errors.js';
import { runProcess } from '../core/process.js';
import { connectionUrl, parseConnectionString } from '../db/connection.js';

export function findDbmate(searchPath: string, cwd: string): string {
  const pkg = join('node_modules', '@dbmate', `${process.platform}-${process.arch}`, 'bin', 'dbmate');
  for (const start of [dirname(fileURLToPath(import.meta.url)), cwd]) {
    for (let dir = start; ; dir = dirname(dir)) {
      if (existsSync(join(dir, pkg))) return join(dir, pkg);
      if (dirname(dir) === dir) break;
    }
  }
  for (const dir of searchPath.split(':').filter(Boolean)) if (existsSync(join(dir, 'dbmate'))) return join(dir, 'dbmate');
  throw new RollbackKitError('dbmate is not installed: the sandbox deploys its migrations with it.', `Run npm ci in the rollback-kit folder (it installs @dbmate/${process.platform}-${process.arch}), or install dbmate on your PATH.`);
}

/** Runs dbmate on the sandbox database (URL in the environment, never in the arguments); `signal` ends it. */
export async function dbmate(binary: string, databaseUrl: string, migrationsDir: string, args: string[], signal?: AbortSignal): Promise<string> {
  const target = parseConnectionString(databaseUrl);
  // dbmate's driver (lib/pq) knows no sslmode=prefer, and the sandbox's server is this machine's.
  const url = connectionUrl({ ...target, params: { ...target.params, sslmode: 'disable' } });
  const result = await runProcess(binary, ['--migrations-dir', migrationsDir, '--no-dump-schema', ...args], { env: { DATABASE_URL: url }, timeoutMs: 60_000, signal });
  if (result.code !== 0) throw new RollbackKitError(`dbmate ${args.join(' ')} failed: ${(result.stderr || result.stdout).trim().split('\n').slice(-3).join(' ')}`);
  return result.stdout.trim();
}
