// What the benches share: a runner-like environment for spawning a bundle, and medians.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * File commands in a temp dir (also RUNNER_TEMP and GITHUB_WORKSPACE), inputs as INPUT_<NAME> with
 * hyphens kept, nothing of this process's own INPUT_/GITHUB_/RUNNER_ variables.
 */
export async function runnerEnv(inputs) {
  const dir = await mkdtemp(join(tmpdir(), 'rk-bench-'));
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(INPUT_|GITHUB_|RUNNER_)/.test(k)) env[k] = v;
  for (const name of ['GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY', 'GITHUB_ENV', 'GITHUB_STATE']) {
    env[name] = join(dir, name.toLowerCase());
    await writeFile(env[name], '');
  }
  env.RUNNER_TEMP = dir;
  env.GITHUB_WORKSPACE = dir;
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  return { env, dir };
}

/**
 * A library module as `npm run build` compiled it (node_modules/.cache/rollback-kit-build): the
 * benches load the same code the bundles hold without a TypeScript loader, e.g. the local Vercel
 * API (src/sandbox/vercel-api.ts), the one stand-in the tests and the sandbox use too.
 */
export async function compiledModule(path) {
  const { existsSync } = await import('node:fs');
  const { pathToFileURL, fileURLToPath } = await import('node:url');
  const { dirname } = await import('node:path');
  const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules/.cache/rollback-kit-build', path);
  if (!existsSync(file)) throw new Error(`${path} is not compiled: run npm run build first.`);
  return import(pathToFileURL(file).href);
}
