// The command provider's way to say "nothing needed changing": ROLLBACK_KIT_OUTCOME names a file the
// command may write status=already-current (and to=<id>) into, as GITHUB_OUTPUT works. The file is
// outside text: only exactly that is understood; anything else is ignored with a warning that
// quotes none of it, and the outcome is rolled-back, as when nothing is written.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseOutcome, runRollbackCommand, type CommandOptions } from '../../src/platforms/command/run.js';
import { promotePrevious } from '../../src/platforms/promote.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function options(command: string, extra: Partial<CommandOptions> = {}): Promise<CommandOptions> {
  const cwd = await mkdtemp(join(tmpdir(), 'rk-outcome-'));
  const temp = await mkdtemp(join(tmpdir(), 'rk-outcome-temp-'));
  dirs.push(cwd, temp);
  return { command, target: 'app:v41', from: 'app:v42', timeoutSeconds: 20, dryRun: false, cwd, baseEnv: { ...process.env, RUNNER_TEMP: temp }, ...extra };
}

const warnings = (lines: string[]) => lines.filter((l) => l.startsWith('warning: '));

describe('ROLLBACK_KIT_OUTCOME', () => {
  it('status=already-current (and to=) makes the outcome already-current, naming what serves', async () => {
    const o = await options(`if [ "$(cat running 2>/dev/null)" = "$ROLLBACK_TARGET" ]; then printf 'status=already-current\\nto=app:v41@sha256:abc\\n' >> "$ROLLBACK_KIT_OUTCOME"; else echo "$ROLLBACK_TARGET" > running; fi`);
    const first = await runRollbackCommand(o, memoryLog());
    expect(first).toMatchObject({ status: 'rolled-back', verified: false });
    // Nothing said: the target it was given, which names a release.
    expect(first.to).toBe('app:v41');
    const log = memoryLog();
    const again = await runRollbackCommand(o, log);
    expect(again).toMatchObject({ status: 'already-current', to: 'app:v41@sha256:abc' });
    expect(again.notes[0]).toBe('The rollback command finished (exit 0) and said through ROLLBACK_KIT_OUTCOME that nothing needed changing: app:v41@sha256:abc already serves.');
    expect(warnings(log.lines)).toEqual([]);
    // The file and its directory are gone after the step.
    expect(await readdir(o.baseEnv.RUNNER_TEMP!)).toEqual([]);
  });

  it('reaches the provider outcome (summary, incident, outputs): already-current, to the id it gave', async () => {
    const o = await options(`echo status=already-current > "$ROLLBACK_KIT_OUTCOME"`);
    const r = await promotePrevious({ provider: 'command', command: o.command, target: 'app:v41', from: 'app:v42', timeoutSeconds: 20, dryRun: false, cwd: o.cwd, baseEnv: o.baseEnv }, memoryLog());
    expect(r).toMatchObject({ status: 'already-current', to: { id: 'app:v41' }, from: { id: 'app:v42' } });
  });

  it('the verify command still runs after already-current', async () => {
    const o = await options(`echo status=already-current > "$ROLLBACK_KIT_OUTCOME"`, { verifyCommand: 'exit 4' });
    await expect(runRollbackCommand(o, memoryLog())).rejects.toThrow(/verify command exited with status 4/);
  });

  it('nothing written, or status=rolled-back, is rolled-back without a warning', async () => {
    for (const command of ['true', 'echo status=rolled-back > "$ROLLBACK_KIT_OUTCOME"', 'rm "$ROLLBACK_KIT_OUTCOME"']) {
      const log = memoryLog();
      expect(await runRollbackCommand(await options(command), log)).toMatchObject({ status: 'rolled-back' });
      expect(warnings(log.lines)).toEqual([]);
    }
  });

  it('anything else is ignored with a warning that quotes none of it: rolled-back', async () => {
    const cases: [string, RegExp][] = [
      [`printf 'status=already-current\\n::set-output name=x::y\\n' > "$ROLLBACK_KIT_OUTCOME"`, /a line that is not status=… or to=…/],
      [`echo 'status=Already-Current' > "$ROLLBACK_KIT_OUTCOME"`, /a status other than/],
      [`printf 'status=already-current\\nstatus=already-current\\n' > "$ROLLBACK_KIT_OUTCOME"`, /status given twice/],
      [`printf 'to=app:v41\\nto=app:v40\\n' > "$ROLLBACK_KIT_OUTCOME"`, /to given twice/],
      [`printf 'status=already-current\\nto=app v41 <b>\\n' > "$ROLLBACK_KIT_OUTCOME"`, /a to= value that is not an id/],
      [`printf 'status=already-current\\001\\n' > "$ROLLBACK_KIT_OUTCOME"`, /control characters/],
      [`head -c 5000 /dev/zero | tr '\\0' 'a' > "$ROLLBACK_KIT_OUTCOME"`, /larger than 1024 bytes/],
      // A FIFO would block a plain read forever; a symlink could point anywhere.
      [`rm "$ROLLBACK_KIT_OUTCOME" && mkfifo "$ROLLBACK_KIT_OUTCOME"`, /not a regular file/],
      [`rm "$ROLLBACK_KIT_OUTCOME" && ln -s /dev/zero "$ROLLBACK_KIT_OUTCOME"`, /not a regular file/],
    ];
    for (const [command, why] of cases) {
      const log = memoryLog();
      const started = Date.now();
      expect(await runRollbackCommand(await options(command), log)).toMatchObject({ status: 'rolled-back' });
      expect(Date.now() - started).toBeLessThan(5000);
      const w = warnings(log.lines);
      expect(w).toHaveLength(1);
      expect(w[0]).toMatch(why);
      expect(w[0]).toContain('The step reports rolled-back.');
      expect(w[0]).not.toMatch(/set-output|<b>|Already-Current|aaaa/);
    }
  });

  it('parseOutcome accepts blank lines and CRLF, and nothing more', () => {
    expect(parseOutcome('\r\nstatus=already-current\r\nto=dpl_1\r\n\n')).toEqual({ status: 'already-current', to: 'dpl_1' });
    expect(parseOutcome('')).toEqual({ status: 'rolled-back' });
    // to= alone says what serves after the rollback the command made: no status line is rolled-back.
    expect(parseOutcome('to=v40\n')).toEqual({ status: 'rolled-back', to: 'v40' });
    expect(parseOutcome(' status=already-current')).toHaveProperty('invalid');
    expect(parseOutcome('status=already-current ')).toHaveProperty('invalid');
    expect(parseOutcome('status=already-current\nto=')).toHaveProperty('invalid');
  });
});
