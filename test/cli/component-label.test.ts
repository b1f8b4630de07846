// A component is labelled by its name, whatever flag shares it: the command provider's single
// component is called "command", and the wording turned its label into the flag ("--command
// what serves now → v1" in the plan row, "--command finding the last good deployment" beside
// promote's spinner), where the other providers read "shop: …" and "vercel: finding …". The flag
// stays where a person must fix an input.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { Cli } from '../../src/cli/context.js';
import { output } from '../../src/core/output.js';
import { GIT_REVERT_NEEDS } from '../../src/pipeline/git-revert-access.js';
import type { RollbackRecord } from '../../src/pipeline/record.js';
import { runMain } from './run-main.js';

let ws: string;

beforeAll(async () => {
  ws = await mkdtemp(join(tmpdir(), 'rk-cli-label-'));
  await writeFile(join(ws, 'rollback.sh'), '#!/bin/sh\necho "back to $ROLLBACK_TARGET"\n');
  await chmod(join(ws, 'rollback.sh'), 0o755);
});

afterAll(async () => {
  await rm(ws, { recursive: true, force: true });
});

afterEach(() => vi.restoreAllMocks());

const COMMAND_COMPONENT = ['--provider', 'command', '--command', './rollback.sh', '--target', 'v1'];

it('rollback: the plan row names the command component "command", on the terminal and in --json', async () => {
  const run = await runMain(['rollback', 'app', '--reason', 'checkout 500s', ...COMMAND_COMPONENT, '--dry-run'], { cwd: ws });
  expect(run.code).toBe(0);
  expect(run.stderr).toMatch(/^○ plan +dry-run .* command: what serves now → v1; budget 15 min\.$/m);
  expect(run.stdout).toMatch(/^plan +dry-run .* command: what serves now → v1; budget 15 min\.$/m);
  expect(run.stdout + run.stderr).not.toContain('--command');

  const json = await runMain(['rollback', 'app', '--reason', 'checkout 500s', ...COMMAND_COMPONENT, '--dry-run', '--json'], { cwd: ws });
  const record = (JSON.parse(json.stdout) as { record: RollbackRecord }).record;
  expect(record.timeline[0]!.detail).toBe('command: what serves now → v1; budget 15 min.');
});

it('rollback: a missing --command is still named by its flag', async () => {
  const run = await runMain(['rollback', 'app', '--reason', 'x', '--provider', 'command'], { cwd: ws });
  expect(run.code).toBe(2);
  expect(run.stderr).toContain('--command: is required when --provider is command');
});

it('promote: the spinner labels the command provider as it labels the others', async () => {
  vi.spyOn(output, 'terminal').mockReturnValue({ stdin: false, stderr: true });
  const run = await runMain(['promote', ...COMMAND_COMPONENT], { cwd: ws, env: { NO_COLOR: '1' } });
  expect(run.code).toBe(0);
  expect(run.stderr).toMatch(/ command: finding the last good deployment…/);
  expect(run.stderr).not.toContain('--command');
  expect(run.stdout).toContain('Rolled back to v1');
});

it('only a name that is also a flag is kept out of the wording: the others, inside a sentence it rewrites, are worded as before', () => {
  let printed = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((printed += String(chunk)), true));
  const cli = new Cli('rollback', {}, { env: {}, cwd: ws, stdinIsTTY: false }, { tty: false, color: false, json: false, verbose: false });
  cli.ownNames(['git-revert', 'command']);
  cli.term.say(GIT_REVERT_NEEDS);
  cli.term.say('command: what serves now → v1; Set target: v1');
  expect(printed).toContain('A git-revert component needs push access to the repository from this clone');
  expect(printed).toContain('command: what serves now → v1; Set --target v1');
});
