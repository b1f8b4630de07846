// Every example --help prints is a command a person can paste: read as a POSIX shell reads it (a
// value the shell would expand, glob or split is quoted), parsed by the real program's flag parser
// (commander, as `rollback-kit` builds it: an unknown flag or a missing value fails here as there),
// and every snapshot path in it has the name `rollback-kit snapshot` gives one (snapshotBaseName).
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Command, CommanderError } from 'commander';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { program } from '../../src/cli/main.js';
import { snapshotBaseName } from '../../src/db/snapshot.js';
import { shellWords } from './shell-words.js';

const EXAMPLES = COMMANDS.flatMap((spec) => spec.examples.map((example) => ({ command: spec.name, example })));

/** The program `rollback-kit` runs, each command's action replaced by one that keeps what it parsed. */
function parser(): { root: Command; parsed: { command?: string; args: unknown[] } } {
  const parsed: { command?: string; args: unknown[] } = { args: [] };
  const root = program(() => undefined, []);
  root.configureOutput({ writeOut: () => undefined, writeErr: () => undefined, outputError: () => undefined });
  for (const cmd of root.commands) {
    cmd.configureOutput({ writeOut: () => undefined, writeErr: () => undefined, outputError: () => undefined });
    cmd.action((...args: unknown[]) => {
      parsed.command = cmd.name();
      parsed.args = args;
    });
  }
  return { root, parsed };
}

describe('--help examples', () => {
  it('there are some, for every command', () => {
    for (const spec of COMMANDS) expect(spec.examples.length, spec.name).toBeGreaterThan(0);
  });

  it.each(EXAMPLES)('$command: $example parses with the real flag parser', async ({ command, example }) => {
    const words = shellWords(example);
    expect(words[0]).toBe('rollback-kit');
    expect(words[1]).toBe(command);
    const { root, parsed } = parser();
    await root.parseAsync(words.slice(1), { from: 'user' });
    expect(parsed.command).toBe(command);
  });

  it.each(EXAMPLES.filter((e) => e.example.includes('--snapshot-path')))('$command: $example names a snapshot as snapshot names one', ({ example }) => {
    const words = shellWords(example);
    const path = words[words.indexOf('--snapshot-path') + 1]!;
    // The default folder, and <db>-<label>-<UTC time> with the custom format's extension.
    expect(path.startsWith('rollback-kit-snapshots/')).toBe(true);
    const m = /^(.+)-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z\.dump$/.exec(basename(path));
    expect(m, path).not.toBeNull();
    const [, name, y, mo, d, h, mi, s, ms] = m!;
    const at = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`);
    const [database, ...label] = name!.split('-');
    expect(`${snapshotBaseName(database!, label.join('-') || undefined, at)}.dump`).toBe(basename(path));
  });

  it('the test can fail: an unknown flag, a value left to the shell, a made-up snapshot name', async () => {
    const { root } = parser();
    await expect(root.parseAsync(['down', '--stpes', '1'], { from: 'user' })).rejects.toBeInstanceOf(CommanderError);
    expect(() => shellWords('rollback-kit promote --command "./deploy.sh $ROLLBACK_TARGET"')).toThrow(/expands/);
    expect(() => shellWords('rollback-kit smoke --checks - {name: health}')).toThrow(/unquoted/);
    expect(shellWords("A=b rollback-kit promote --command './deploy.sh \"$T\"'  # note")).toEqual(['rollback-kit', 'promote', '--command', './deploy.sh "$T"']);
    expect(/^(.+)-(\d{8})T(\d{9})Z\.dump$/.test('shop-before-deploy.dump')).toBe(false);
  });
});
