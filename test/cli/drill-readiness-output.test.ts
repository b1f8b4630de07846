// A drill that fails in readiness: each failed check is listed once (not again as "The way back is
// broken: …"), and no time of a way back that was never tried is given.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runMain } from './run-main.js';

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'rk-drill-readiness-'));
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

it('a malformed check spec is said once', async () => {
  const run = await runMain(['drill', '--provider', 'command', '--command', 'true', '--environment', 'staging', '--checks', '{{{', '--base-url', 'http://127.0.0.1:9', '--dry-run'], { cwd });
  expect(run.code).toBe(1);
  expect(run.stdout.match(/The smoke check spec/g)).toHaveLength(1);
  expect(run.stdout).toMatch(/^ {2}✗ checks: The smoke check spec/m);
  expect(run.stdout).toContain('Drill failed in readiness: the way back was not tried');
  expect(run.stdout).not.toContain('the way back took');
  // The command provider cannot say what serves, so the drill could not roll it forward: refused beside the spec.
  expect(run.stdout).toMatch(/^ {2}✗ command target: a command component cannot be drilled/m);
});
