// promote-previous with provider command, through the bundle: a real bash command.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findSecret, runAction } from '../helpers/run-action.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function workspace(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'rk-command-'));
  dirs.push(d);
  return d;
}

describe('promote-previous (command)', () => {
  it('runs the command with the target, from and reason in its environment and streams its output', async () => {
    const cwd = await workspace();
    const r = await runAction(
      'promote-previous',
      {
        provider: 'command',
        target: 'service-center:v1.4.2',
        from: 'service-center:v1.5.0',
        reason: 'tickets page 500s',
        command: 'echo "switching to $ROLLBACK_TARGET"; printf "%s|%s|%s" "$ROLLBACK_TARGET" "$ROLLBACK_FROM" "$ROLLBACK_REASON" > rolled-back.txt',
      },
      { cwd },
    );
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.log).toContain('switching to service-center:v1.4.2');
    expect(await readFile(join(cwd, 'rolled-back.txt'), 'utf8')).toBe('service-center:v1.4.2|service-center:v1.5.0|tickets page 500s');
    expect(r.outputs).toMatchObject({ status: 'rolled-back', 'to-deployment-id': 'service-center:v1.4.2', 'from-deployment-id': 'service-center:v1.5.0', 'auto-assign-disabled': 'false' });
  });

  it("does not hand the step's inputs (tokens) to the command", async () => {
    const cwd = await workspace();
    const token = 'vercel_tok_must_not_reach_the_command_42';
    const r = await runAction('promote-previous', { provider: 'command', 'vercel-token': token, command: 'env > seen-env.txt; echo "PATH is set: ${PATH:+yes}"' }, { cwd });
    expect(r.code).toBe(0);
    expect(r.log).toContain('PATH is set: yes');
    const seen = await readFile(join(cwd, 'seen-env.txt'), 'utf8');
    expect(seen).toContain('ROLLBACK_TARGET=previous');
    expect(seen).not.toMatch(/^INPUT_/m);
    expect(await findSecret(r, token, [cwd])).toEqual([]);
  });

  it('masks the tokens even when this provider does not use them', async () => {
    const cwd = await workspace();
    const token = 'ghs_unused_by_command_but_masked_77';
    const r = await runAction('promote-previous', { provider: 'command', 'github-token': token, command: `echo "oops ${token}"` }, { cwd });
    expect(r.code).toBe(0);
    expect(r.masked).toContain(token);
  });

  it('target previous, nothing said of where it went: no to-deployment-id, and the summary says what is known instead of "target previous"', async () => {
    const cwd = await workspace();
    const r = await runAction('promote-previous', { provider: 'command', command: 'echo rolling back' }, { cwd });
    expect(r.code).toBe(0);
    expect(r.outputs.status).toBe('rolled-back');
    expect(r.outputs['to-deployment-id'] ?? '').toBe('');
    expect(r.summary).not.toMatch(/target previous|`previous`/);
    expect(r.summary).toContain('with ROLLBACK_TARGET=previous; it did not say which release serves now');
  });

  it('to= alone in $ROLLBACK_KIT_OUTCOME (no status= line) is rolled-back, to that release, without a warning', async () => {
    const cwd = await workspace();
    const r = await runAction('promote-previous', { provider: 'command', command: 'echo to=v40 >> "$ROLLBACK_KIT_OUTCOME"' }, { cwd });
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.log).not.toMatch(/::warning::/);
    expect(r.outputs).toMatchObject({ status: 'rolled-back', 'to-deployment-id': 'v40' });
    expect(r.summary).not.toContain('did not say which release serves now');
  });

  it('a malformed outcome file is still ignored with a warning naming what is wrong', async () => {
    const cwd = await workspace();
    const r = await runAction('promote-previous', { provider: 'command', command: 'printf "to=v40\\nto=v41\\n" >> "$ROLLBACK_KIT_OUTCOME"' }, { cwd });
    expect(r.code).toBe(0);
    expect(r.log).toMatch(/::warning::.*ROLLBACK_KIT_OUTCOME file was ignored \(to given twice\)/);
    expect(r.outputs.status).toBe('rolled-back');
    expect(r.outputs['to-deployment-id'] ?? '').toBe('');
  });

  it('runs verify-command after the command and reports success only when it passes', async () => {
    const cwd = await workspace();
    const r = await runAction(
      'promote-previous',
      { provider: 'command', target: 'app:v7', command: 'echo "$ROLLBACK_TARGET" > current.txt', 'verify-command': 'test "$(cat current.txt)" = "$ROLLBACK_TARGET" && echo "verified $ROLLBACK_TARGET"' },
      { cwd },
    );
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.log).toContain('verified app:v7');
    expect(r.outputs).toMatchObject({ status: 'rolled-back', frozen: 'false', unfreeze: '' });
    expect(r.summary).toContain('The verify command passed (exit 0).');
    expect(r.summary).toContain('Nothing frozen: The command provider freezes nothing itself');
  });

  it('fails the step when verify-command fails, after the command ran', async () => {
    const cwd = await workspace();
    const r = await runAction('promote-previous', { provider: 'command', target: 'app:v7', command: 'touch rolled.txt', 'verify-command': 'echo "health check: 503"; exit 3' }, { cwd });
    expect(r.code).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/the verify command exited with status 3: the rollback is not confirmed/);
    expect(r.log).toContain('health check: 503');
    expect(await readFile(join(cwd, 'rolled.txt'), 'utf8')).toBe('');
    expect(r.outputs.status).toBe('failed');
    expect(r.summary).toContain('promote-previous: failed');
  });

  it('fails the step with the exit status when the command fails, including inside a pipeline', async () => {
    const cwd = await workspace();
    const r = await runAction('promote-previous', { provider: 'command', command: 'false | cat; echo "not reached" > after.txt' }, { cwd });
    expect(r.code).toBe(1);
    expect(r.errors).toEqual(['The rollback command exited with status 1. Its output is above; fix the cause and re-run the step.']);
    await expect(readFile(join(cwd, 'after.txt'), 'utf8')).rejects.toThrow();
    expect(r.outputs.status).toBe('failed');
  });

  it('stops a command that outlives timeout-seconds', async () => {
    const cwd = await workspace();
    const r = await runAction('promote-previous', { provider: 'command', command: 'sleep 30; touch finished.txt', 'timeout-seconds': '1' }, { cwd });
    expect(r.code).toBe(1);
    expect(r.errors[0]).toMatch(/did not finish within 1 s and was stopped/);
    await expect(readFile(join(cwd, 'finished.txt'), 'utf8')).rejects.toThrow();
  });

  it('dry-run prints the command and does not run it', async () => {
    const cwd = await workspace();
    const r = await runAction('promote-previous', { provider: 'command', command: 'touch ran.txt', 'dry-run': 'true' }, { cwd });
    expect(r.code).toBe(0);
    expect(r.outputs.status).toBe('dry-run');
    expect(r.log).toContain('touch ran.txt');
    await expect(readFile(join(cwd, 'ran.txt'), 'utf8')).rejects.toThrow();
  });

  it('refuses to run without a command', async () => {
    const r = await runAction('promote-previous', { provider: 'command' });
    expect(r.code).toBe(1);
    expect(r.errors[0]).toMatch(/Input command is required when provider is command/);
  });
});
