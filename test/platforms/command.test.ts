// The command provider's verify command as a library option: it runs after the command with the
// same ROLLBACK_* environment and within the same time limit, and its failure fails the rollback.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { NO_CASCADE_GUARD, runRollbackCommand, type CommandOptions } from '../../src/platforms/command/run.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function options(extra: Partial<CommandOptions>): Promise<CommandOptions> {
  const cwd = await mkdtemp(join(tmpdir(), 'rk-verify-'));
  dirs.push(cwd);
  return { command: 'true', target: 'app:v1.4.2', from: 'app:v1.5.0', timeoutSeconds: 20, dryRun: false, cwd, baseEnv: { ...process.env, INPUT_SECRET: 'x' }, ...extra };
}

describe('runRollbackCommand with verify-command', () => {
  it('runs the verify command after the command, with the same environment, and reports it passed', async () => {
    const o = await options({ command: 'echo "$ROLLBACK_TARGET" > deployed.txt', verifyCommand: 'test "$(cat deployed.txt)" = "$ROLLBACK_TARGET" && echo "$ROLLBACK_FROM|${INPUT_SECRET:-none}" > verified.txt' });
    const log = memoryLog();
    const r = await runRollbackCommand(o, log);
    expect(r).toMatchObject({ status: 'rolled-back', exitCode: 0, verified: true });
    expect(r.notes).toEqual(['The rollback command finished (exit 0) for target app:v1.4.2.', 'The verify command passed (exit 0).']);
    expect(await readFile(join(o.cwd!, 'verified.txt'), 'utf8')).toBe('app:v1.5.0|none\n');
  });

  it('fails the rollback when the verify command fails, after the command ran', async () => {
    const o = await options({ command: 'touch applied.txt', verifyCommand: 'echo unhealthy; exit 3' });
    const err = await runRollbackCommand(o, memoryLog()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RollbackKitError);
    expect((err as RollbackKitError).message).toBe('The rollback command finished, but the verify command exited with status 3: the rollback is not confirmed.');
    await expect(readFile(join(o.cwd!, 'applied.txt'), 'utf8')).resolves.toBe('');
  });

  it('does not run the verify command when the command fails', async () => {
    const o = await options({ command: 'exit 2', verifyCommand: 'touch verify-ran.txt' });
    await expect(runRollbackCommand(o, memoryLog())).rejects.toThrow('The rollback command exited with status 2.');
    await expect(readFile(join(o.cwd!, 'verify-ran.txt'), 'utf8')).rejects.toThrow();
  });

  it('stops a verify command that outlives what is left of the time limit', async () => {
    const o = await options({ command: 'true', verifyCommand: 'sleep 60; touch healthy.txt', timeoutSeconds: 2 });
    await expect(runRollbackCommand(o, memoryLog())).rejects.toThrow(/verify command did not pass within the 2 s limit and was stopped/);
    await expect(readFile(join(o.cwd!, 'healthy.txt'), 'utf8')).rejects.toThrow();
  });

  it('prints both in a dry run and runs neither', async () => {
    const o = await options({ command: 'touch ran.txt', verifyCommand: 'touch verified.txt', dryRun: true });
    const log = memoryLog();
    const r = await runRollbackCommand(o, log);
    expect(r).toMatchObject({ status: 'dry-run', verified: false, notes: ['Dry run: the command and the verify command were not run.'] });
    expect(log.lines).toContain('  touch verified.txt');
    await expect(readFile(join(o.cwd!, 'ran.txt'), 'utf8')).rejects.toThrow();
  });

  it('behaves as before without a verify command', async () => {
    const r = await runRollbackCommand(await options({ verifyCommand: '  ' }), memoryLog());
    expect(r).toMatchObject({ status: 'rolled-back', verified: false });
    expect(r.notes).toHaveLength(1);
  });
});

describe('runRollbackCommand started by a deployment event', () => {
  it('cannot tell whether a rollback put the release in production there: it says so, and the command decides', async () => {
    const log = memoryLog();
    const r = await runRollbackCommand(await options({ automatic: true }), log);
    expect(r.status).toBe('rolled-back');
    expect(r.notes).toEqual(['The rollback command finished (exit 0) for target app:v1.4.2.', NO_CASCADE_GUARD]);
    expect(NO_CASCADE_GUARD).toMatch(/^The command provider cannot tell whether the release in production was put there by a rollback, so the rollback-cascade guard does not apply .* write status=already-current to \$ROLLBACK_KIT_OUTCOME/);
    expect(log.lines).toContain(`warning: ${NO_CASCADE_GUARD}`);
    // The command's own guard: it says nothing needed changing.
    const own = await runRollbackCommand(await options({ automatic: true, command: 'echo status=already-current > "$ROLLBACK_KIT_OUTCOME"' }), memoryLog());
    expect(own.status).toBe('already-current');
    // A person's run says nothing of it.
    expect((await runRollbackCommand(await options({}), memoryLog())).notes).not.toContain(NO_CASCADE_GUARD);
  });
});
