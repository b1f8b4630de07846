// A command component in a drill: the command provider cannot be asked what serves, so the drill
// could run the command back but had nothing to roll forward to, and left staging rolled back (even
// with a `from` in the plan). Readiness now refuses it, as it refuses git-revert: nothing runs.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runMain } from './run-main.js';

let cwd: string;
let app: Server;
let baseUrl: string;
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'rk-drill-command-'));
  app = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => app.close(resolve));
  await rm(cwd, { recursive: true, force: true });
});

it.each([
  ['without from', ''],
  ['with from', '    from: v2\n'],
])('a command component fails readiness and its command never runs (%s)', async (_what, from) => {
  const plan = [
    'environment: staging',
    'components:',
    '  web:',
    '    provider: command',
    '    command: echo rolling to "$ROLLBACK_TARGET" >> ran.txt',
    '    target: v1',
    `${from}verify:`,
    `  base-url: ${baseUrl}`,
    '  checks: "- {name: health, url: /}"',
    '  attempts: 1',
    '  interval-seconds: 0',
    '',
  ].join('\n');
  await writeFile(join(cwd, 'rollback-kit.staging.yml'), plan);
  const run = await runMain(['drill', '--config', 'rollback-kit.staging.yml'], { cwd });
  expect(run.code, run.stdout + run.stderr).toBe(1);
  expect(run.stdout).toMatch(/^ {2}✗ web target: a command component cannot be drilled: .*could not roll forward again/m);
  expect(run.stdout).toContain('Drill failed in readiness: the way back was not tried, and nothing was changed.');
  expect(run.stdout + run.stderr).not.toContain('is left on');
  expect(existsSync(join(cwd, 'ran.txt'))).toBe(false);
});
