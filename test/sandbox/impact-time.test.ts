// The sandbox's incident report dates the bad release when the sandbox shipped it: the impact runs
// from the bad deployment's creation, and the stand-in Vercel API's fixed test clock (November 2026)
// made a demo of a few seconds read as an impact of a month. In-process from the source (main).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runMain } from '../cli/run-main.js';
import { ADMIN_URL } from '../helpers/pg.js';

let dir = '';
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('the impact starts when the sandbox shipped the bad release, not at a fixed date', async () => {
  dir = await mkdtemp(join(tmpdir(), 'rk-sandbox-impact-'));
  // Whole seconds: the report gives times to the second.
  const before = Math.floor(Date.now() / 1000) * 1000;
  const run = await runMain(['sandbox', '--json', '--report-dir', join(dir, 'report')], { cwd: dir, env: { DATABASE_URL: ADMIN_URL } });
  expect(run.code, run.stderr).toBe(0);
  const incident = await readFile(join(dir, 'report', 'incident.md'), 'utf8');
  const impact = /impact (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC – (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC at most/.exec(incident);
  expect(impact, incident.slice(0, 800)).not.toBeNull();
  const [from, to] = [impact![1]!, impact![2]!].map((t) => Date.parse(`${t.replace(' ', 'T')}Z`));
  expect(from).toBeGreaterThanOrEqual(before);
  expect(from).toBeLessThanOrEqual(to!);
});
