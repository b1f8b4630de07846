// What a run loads is part of how long a rollback step takes: Node's own start nearly equals
// psql's whole run at 10 migrations (BENCHMARKS.md). These checks keep costs out of the path:
// pg's Cloudflare probe, which on Node 20 loads Node's bundled undici (~50 ms), the snapshot
// verifier's child processes and archive reader when no snapshot is verified, and Node modules
// only other paths use (zlib for golang-migrate's lock key, readline for the command line's
// questions, perf_hooks for durations that Date.now gives), a few milliseconds each. And
// node:fs/promises (with the readline modules it brings) and node:crypto, about 10 ms of every
// action's start on Node 24: loaded only when a path uses them (core/lazy-builtins.ts); a revert
// needs crypto only for the driver's authentication and the outputs' delimiters.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';
import { applyMigrations, existingTables, tables, workspace, writeMigrations } from './fixtures.js';

/** Preloaded into the bundle's process: records what was loaded, and `navigator` before and after. */
const HOOK = `
import { writeFileSync } from 'node:fs';
const before = typeof globalThis.navigator;
process.on('exit', () => writeFileSync(process.env.RK_LOADED_FILE, JSON.stringify({ before, after: typeof globalThis.navigator, modules: process.moduleLoadList })));
`;

describe('run-down-migrations start-up', () => {
  it('reverts without loading undici, the snapshot verifier or modules only other paths use, and leaves the global scope as it found it', async () => {
    const db = await createTestDatabase('rk_down_lean');
    const ws = await workspace();
    const steps = tables(2);
    const dir = await writeMigrations(ws, 'plain', steps);
    await applyMigrations(db, 'plain', dir, steps);
    const hook = join(ws, 'hook.mjs');
    const loadedFile = join(ws, 'loaded.json');
    await writeFile(hook, HOOK);

    const run = await runAction(
      'run-down-migrations',
      { 'database-url': db.url, 'migrations-dir': 'migrations', format: 'plain', steps: '1', 'require-snapshot': 'false' },
      { cwd: ws, env: { NODE_OPTIONS: `--import ${pathToFileURL(hook).href}`, RK_LOADED_FILE: loadedFile } },
    );

    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.outputs.count).toBe('1');
    expect(await existingTables(db)).toEqual(['t1']);
    const loaded = JSON.parse(await readFile(loadedFile, 'utf8')) as { before: string; after: string; modules: string[] };
    // The driver was loaded and used (a session was opened), without undici.
    expect(loaded.modules).toContain('NativeModule net');
    expect(loaded.modules.filter((m) => /undici/.test(m))).toEqual([]);
    // The stand-in navigator lasts only as long as the driver's import.
    expect(loaded.after).toBe(loaded.before);
    // No snapshot to verify: no pg_restore, so neither child_process nor zlib's archive reader.
    expect(loaded.modules).not.toContain('NativeModule child_process');
    expect(loaded.modules).not.toContain('NativeModule zlib');
    expect(loaded.modules).not.toContain('NativeModule readline/promises');
    expect(loaded.modules).not.toContain('NativeModule perf_hooks');
    expect(loaded.modules).not.toContain('NativeModule fs/promises');
  });

  it('starts without node:crypto or node:fs/promises: a run stopped at its inputs loads neither', async () => {
    const ws = await workspace();
    const hook = join(ws, 'hook.mjs');
    const loadedFile = join(ws, 'loaded.json');
    await writeFile(hook, HOOK);
    // No file commands: the outputs go to the log, so nothing after the start needs a random delimiter.
    const run = await runAction(
      'run-down-migrations',
      { format: 'plain' },
      { cwd: ws, env: { NODE_OPTIONS: `--import ${pathToFileURL(hook).href}`, RK_LOADED_FILE: loadedFile, GITHUB_OUTPUT: undefined, GITHUB_STEP_SUMMARY: undefined } },
    );

    expect(run.code).not.toBe(0);
    expect(run.errors.join('\n')).toContain('database-url');
    const loaded = JSON.parse(await readFile(loadedFile, 'utf8')) as { modules: string[] };
    expect(loaded.modules).not.toContain('NativeModule crypto');
    expect(loaded.modules).not.toContain('NativeModule fs/promises');
  });
});
