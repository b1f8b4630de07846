// `rollback-kit drill --sandbox`: the rehearsal on the sandbox's shop as staging: back to v1,
// verified, forward to v2, verified, against the budget; everything it started removed afterwards.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { DRILL_PHASES } from '../../src/pipeline/drill.js';
import { adminQuery, ADMIN_URL } from '../helpers/pg.js';
import { runCli } from './run-cli.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

it('drill --sandbox goes back to v1 and forward to v2, both verified, and leaves nothing behind', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rk-drill-test-'));
  dirs.push(dir);
  const run = await runCli(['drill', '--sandbox', '--json', '--report-dir', 'report'], { cwd: dir, env: { DATABASE_URL: ADMIN_URL }, timeoutMs: 170_000 });
  expect(run.code, run.stdout + run.stderr).toBe(0);
  // Its own roll-forward turned automatic domain assignment back on: nothing to warn about.
  expect(run.stderr).not.toContain('automatic domain assignment');
  const doc = JSON.parse(run.stdout) as {
    command: string;
    status: string;
    serving: string;
    started: { database: string };
    files: { markdown: string };
    record: { timeline: { phase: string; status: string; detail: string }[]; components: { name: string; back: string; forward: string }[]; verifyBack: { decision: string }; verifyForward: { decision: string }; };
  };
  expect(doc).toMatchObject({ command: 'drill', status: 'passed', serving: 'v2' });
  expect(doc.record.timeline.map((e) => e.phase)).toEqual([...DRILL_PHASES]);
  expect(doc.record.components).toEqual([expect.objectContaining({ name: 'web', back: 'rolled-back', forward: 'promoted' })]);
  // The sandbox's shop is its staging: the rows say so, not "Production of".
  expect(doc.record.timeline.find((e) => e.phase === 'back')!.detail).toMatch(/^\S+ → \S+: Staging of shop now serves /);
  expect(run.stdout + run.stderr).not.toContain('Production of');
  expect(doc.record.verifyBack.decision).toBe('none');
  expect(doc.record.verifyForward.decision).toBe('none');
  expect(existsSync(doc.files.markdown)).toBe(true);
  expect(readFileSync(doc.files.markdown, 'utf8')).toContain('Rollback drill');
  expect((await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [doc.started.database])).rowCount).toBe(0);
});
