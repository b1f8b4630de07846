// promote --provider command from a terminal: a failing command's output is shown (its tail,
// redacted) before the error that says "Its output is above", and a rollback whose starting point is
// unknown says where it went without a "?".
import { describe, expect, it } from 'vitest';
import { runMain } from './run-main.js';

const PASSWORD = 'pw-Zq81vLmx0Tt4';
const env = { DATABASE_URL: `postgres://app:${PASSWORD}@db.example.com/shop` };

describe('promote --provider command', () => {
  it('a failing command: its last lines, secrets masked, are above the error without --verbose', async () => {
    const lines = Array.from({ length: 30 }, (_, i) => `echo line-${i + 1}`).join('; ');
    const run = await runMain(['promote', '--provider', 'command', '--command', `${lines}; echo "url $DATABASE_URL" >&2; exit 3`, '--target', 'v41'], { env });
    expect(run.code).toBe(1);
    const shown = run.stderr.indexOf('line-30');
    expect(shown).toBeGreaterThan(-1);
    expect(run.stderr.indexOf('Its output is above')).toBeGreaterThan(shown);
    expect(run.stderr).toMatch(/│ url \*\*\*/);
    expect(run.stderr).not.toContain(PASSWORD);
    // A tail, not the whole output.
    expect(run.stderr).not.toMatch(/line-1\b/);
  });

  it('with --verbose the output is shown once, as it came', async () => {
    const run = await runMain(['promote', '--provider', 'command', '--command', "printf 'only%s\\n' -once; exit 3", '--target', 'v41', '--verbose'], { env });
    expect(run.code).toBe(1);
    expect(run.stderr.match(/only-once/g)).toHaveLength(1);
  });

  it('a command that succeeds prints nothing of its output without --verbose', async () => {
    const run = await runMain(['promote', '--provider', 'command', '--command', "printf 'quiet%s\\n' -output", '--target', 'v41']);
    expect(run.code).toBe(0);
    expect(run.stdout + run.stderr).not.toContain('quiet-output');
  });

  it('no --from: where it went, no "?" for what it came from', async () => {
    const run = await runMain(['promote', '--provider', 'command', '--command', 'true', '--target', 'v41']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Rolled back to v41');
    expect(run.stdout).not.toContain('?');
    const known = await runMain(['promote', '--provider', 'command', '--command', 'true', '--target', 'v41', '--from', 'v42']);
    expect(known.stdout).toContain('Rolled back v42 → v41');
  });

  it('target previous and nothing said of where it went: no "Rolled back to previous", but what is known and how the command can tell', async () => {
    const run = await runMain(['promote', '--provider', 'command', '--command', 'true']);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(/to previous/i);
    expect(run.stdout).toContain('Rolled back; the command did not say to which release');
    expect(run.stdout).toContain('with ROLLBACK_TARGET=previous; it did not say which release serves now (it can: to=<id> in $ROLLBACK_KIT_OUTCOME)');
    const said = await runMain(['promote', '--provider', 'command', '--command', 'echo to=app:v40 > "$ROLLBACK_KIT_OUTCOME"; echo status=rolled-back >> "$ROLLBACK_KIT_OUTCOME"']);
    expect(said.stdout).toContain('Rolled back to app:v40');
  });
});
