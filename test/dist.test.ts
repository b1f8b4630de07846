// The runner executes dist/ as committed: a bundle that was not rebuilt after a source change must fail here.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { entryPoints, sourceHash } from '../scripts/build.mjs';
import { ROOT } from './helpers/run-action.js';

describe('dist/', () => {
  it('was built from the current sources (npm run build)', async () => {
    const stamp = join(ROOT, 'dist/source.sha256');
    expect(existsSync(stamp), 'dist/source.sha256 missing: run npm run build').toBe(true);
    expect(readFileSync(stamp, 'utf8').trim(), 'dist/ is older than src/: run npm run build and commit dist/').toBe(await sourceHash());
  });

  it('commits the CLI bin as executable (npm makes it so in a clone, which would leave the checkout changed)', () => {
    const staged = execFileSync('git', ['ls-files', '-s', 'dist/cli/index.js'], { cwd: ROOT, encoding: 'utf8' });
    expect(staged.split(' ')[0]).toBe('100755');
  });

  it('has an ESM bundle for every entry point, and every action.yml points at one', async () => {
    const entries = await entryPoints();
    expect(entries.length).toBeGreaterThan(0);
    for (const { name } of entries) {
      expect(existsSync(join(ROOT, 'dist', name, 'index.js')), `dist/${name}/index.js`).toBe(true);
      expect(JSON.parse(readFileSync(join(ROOT, 'dist', name, 'package.json'), 'utf8'))).toEqual({ type: 'module' });
    }
    for (const { name } of entries) {
      // The whole rollback is the repository's own action (`uses: owner/rollback-kit@v1`).
      const root = name === 'rollback';
      const yml = root ? join(ROOT, 'action.yml') : join(ROOT, 'actions', name, 'action.yml');
      expect(existsSync(yml), root ? 'action.yml' : `actions/${name}/action.yml`).toBe(true);
      // Parsed as the runner parses it: a plain description holding ": " is a YAML error there,
      // and the action would not load at all.
      const meta = parse(readFileSync(yml, 'utf8')) as { runs?: { using?: string; main?: string }; inputs?: Record<string, { description?: unknown }> };
      expect(meta.runs?.main).toBe(root ? 'dist/rollback/index.js' : `../../dist/${name}/index.js`);
      expect(meta.runs?.using).toBe('node24');
      for (const [input, spec] of Object.entries(meta.inputs ?? {})) expect(typeof spec.description, `${name}: input ${input} has a description`).toBe('string');
    }
  });
});
