// The runner checks out the action and runs dist/ with no node_modules anywhere. Bundles load some
// packages only when a path needs them (the pg driver, pg-copy-streams, @actions/exec,
// @actions/github, @actions/artifact): those must be chunks beside index.js, not requires that
// only resolve inside this repository. So every bundle is run here from a copy of dist/ in a
// temporary folder, on paths that load those chunks.
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from './helpers/pg.js';
import { ROOT, runAction } from './helpers/run-action.js';

let copy: string;
let dist: string;
beforeAll(async () => {
  copy = await mkdtemp(join(tmpdir(), 'rk-dist-copy-'));
  dist = join(copy, 'dist');
  await cp(join(ROOT, 'dist'), dist, { recursive: true });
});
afterAll(async () => {
  await rm(copy, { recursive: true, force: true });
});

describe('dist/ copied outside the repository', () => {
  it('requires nothing at run time but Node built-ins, in index.js and every chunk', async () => {
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    let files = 0;
    for (const name of await readdir(dist, { withFileTypes: true })) {
      if (!name.isDirectory()) continue;
      for (const file of (await readdir(join(dist, name.name))).filter((f) => f.endsWith('.js'))) {
        const code = await readFile(join(dist, name.name, file), 'utf8');
        files++;
        // How ncc's ESM output loads anything it left outside the bundle.
        const required = [...code.matchAll(/createRequire\(import\.meta\.url\)\("([^"]+)"\)/g)].map((m) => m[1]!);
        expect(required.filter((r) => !builtins.has(r)), `dist/${name.name}/${file}`).toEqual([]);
      }
    }
    expect(files).toBeGreaterThan(6);
  });

  it('snapshot-db loads the driver and pg-copy-streams from its own chunks', async () => {
    const db = await createTestDatabase('rk_distcopy');
    await db.query("CREATE TABLE tickets (id int PRIMARY KEY, created_at timestamptz NOT NULL); INSERT INTO tickets VALUES (1, '2026-01-02'), (2, '2026-01-04')");
    const out = await mkdtemp(join(copy, 'snaps-'));
    const run = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': out, 'export-since': '2026-01-03T00:00:00Z', 'export-tables': 'tickets' }, { dist });
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(await readFile(join(run.outputs['exports-dir']!, 'public.tickets.csv'), 'utf8')).toMatch(/^id,created_at\n2,/);
  });

  it('promote-previous (command) loads @actions/exec from its chunk', async () => {
    const cwd = await mkdtemp(join(copy, 'work-'));
    const run = await runAction('promote-previous', { provider: 'command', target: 'v1', command: 'echo "to $ROLLBACK_TARGET"' }, { dist, cwd });
    expect(run.errors).toEqual([]);
    expect(run.log).toContain('to v1');
  });

  it('every bundle starts and fails cleanly on missing inputs', async () => {
    for (const name of ['restore-db', 'run-down-migrations', 'rollback', 'smoke-test', 'snapshot-db', 'promote-previous']) {
      const run = await runAction(name, {}, { dist });
      expect(run.stderr, name).not.toMatch(/Cannot find (module|package)|ERR_MODULE_NOT_FOUND/);
      expect(run.code, name).not.toBe(0);
      expect(run.errors.length, name).toBe(1);
    }
  });
});
