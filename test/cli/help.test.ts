// --help says what is true: each flag in the words of its command (--format is an archive format for
// snapshot, a migration tool for down), --yes only where something asks, and every environment
// variable the help offers for a value is the one that flag's value really comes from.
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { TOKEN_ENV } from '../../src/core/secret-input.js';
import { runMain } from './run-main.js';

const NAMES = COMMANDS.map((c) => c.name);

async function help(command?: string): Promise<string> {
  const run = await runMain(command ? [command, '--help'] : ['--help']);
  expect(run.code).toBe(0);
  return run.stdout;
}

/** Each option of a command's help with its description on one line (commander wraps long ones). */
function options(text: string): Map<string, string> {
  const section = text.split(/^Options:\n/m)[1]!.split(/\n\n/)[0]!;
  const entries = new Map<string, string>();
  let last = '';
  for (const line of section.split('\n')) {
    const m = /^ {2}((?:-\w, )?--[\w-]+)(?: <[^>]+>)?(?: {2,}(.*))?$/.exec(line);
    if (m) entries.set((last = m[1]!.replace(/^-\w, /, '')), m[2] ?? '');
    else entries.set(last, `${entries.get(last)} ${line.trim()}`);
  }
  return entries;
}

/** Variables the help names that no flag can replace, and why it names them. */
const NOT_FLAGS: Record<string, string> = {
  GITHUB_REPOSITORY: 'read from the environment, as GitHub Actions sets it: the repository of the issue or the commit',
  ROLLBACK_TARGET: 'set by promote for the rollback command (an example)',
  ROLLBACK_REASON: 'set by promote for the rollback command',
};

describe('--help is true', () => {
  it('--format: an archive format for snapshot, a migration tool elsewhere', async () => {
    const snapshot = options(await help('snapshot')).get('--format')!;
    expect(snapshot).toMatch(/custom.*directory.*plain/);
    expect(snapshot).not.toMatch(/migration|dbmate/);
    for (const command of ['down', 'plan', 'rollback', 'drill']) {
      const format = options(await help(command)).get('--format')!;
      expect(format, command).toMatch(/migration tool.*dbmate/);
      expect(format, command).not.toMatch(/snapshot|custom/);
    }
  });

  it('restore --jobs does not promise workers it does not use', async () => {
    const jobs = options(await help('restore')).get('--jobs')!;
    expect(jobs).toMatch(/^not used: a restore runs in one transaction/);
    expect(jobs).not.toMatch(/pg_dump|workers \(/);
    expect(options(await help('snapshot')).get('--jobs')).toMatch(/pg_dump workers \(needs --format directory\)/);
  });

  it('restore --no-clean: what it does, not the opposite (objects the snapshot lacks are kept either way)', async () => {
    const clean = options(await help('restore')).get('--no-clean')!;
    expect(clean).toMatch(/^create the snapshot’s objects without dropping them first: refused where any of them, or a name one of them needs, exists already, so for an empty database/);
    expect(clean).toContain('(default: drop and re-create them; objects the snapshot does not have are kept either way; a plain SQL snapshot drops its own objects whatever this says)');
    expect(clean).not.toMatch(/keep objects the snapshot does not have/);
  });

  it.each(NAMES)('%s: -y/--yes only where the command asks before changing a database', async (command) => {
    const asks = ['restore', 'down', 'rollback'].includes(command);
    expect(options(await help(command)).has('--yes')).toBe(asks);
    if (!asks) {
      const run = await runMain([command, '--yes', '--dry-run']);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("unknown option '--yes'");
    }
  });

  it('the root help names each secret’s variable with its real flag', async () => {
    const root = await help();
    const listed = [...root.matchAll(/^ {2}([A-Z][A-Z0-9_]+) +or (--[\w-]+)$/gm)].map((m) => [m[1]!, m[2]!] as const);
    expect(listed.map(([variable]) => variable).sort()).toEqual(Object.values(TOKEN_ENV).sort());
    const everyFlag = new Set<string>();
    for (const command of NAMES) for (const flag of options(await help(command)).keys()) everyFlag.add(flag);
    for (const [variable, flag] of listed) {
      expect(`--${Object.entries(TOKEN_ENV).find(([, v]) => v === variable)![0]}`, variable).toBe(flag);
      expect(everyFlag.has(flag), `${flag} is a flag of some command`).toBe(true);
    }
  });

  it.each(NAMES)('%s: each variable its help names is the one its flag reads', async (command) => {
    const text = await help(command);
    const flags = options(text);
    for (const [flag, description] of flags) {
      for (const [, variable] of description.matchAll(/\belse ([A-Z][A-Z0-9_]+)\b/g)) {
        expect(TOKEN_ENV[flag.slice(2) as keyof typeof TOKEN_ENV], `${command} ${flag}`).toBe(variable);
      }
    }
    for (const variable of new Set(text.match(/\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b/g) ?? [])) {
      const secretOf = Object.entries(TOKEN_ENV).find(([, v]) => v === variable)?.[0];
      if (secretOf) expect(flags.has(`--${secretOf}`), `${command}: ${variable} is named, so --${secretOf} must be a flag`).toBe(true);
      else if (variable === 'NO_COLOR') expect(flags.has('--no-color')).toBe(true);
      else expect(NOT_FLAGS, `${command}: ${variable} maps to no flag`).toHaveProperty(variable);
    }
  });
});

describe('--help wraps to the terminal, 80 columns when there is none', () => {
  const longest = (text: string) => Math.max(...text.split('\n').map((l) => l.length));

  it.each(['', ...NAMES])('%s --help: no line past 80 columns, its examples and descriptions included', async (command) => {
    const text = await help(command || undefined);
    expect(longest(text), text).toBeLessThanOrEqual(80);
  });

  it('a wider terminal gets longer lines, and none past its width', async () => {
    const stdout = process.stdout as { isTTY?: boolean; columns?: number };
    const was = { isTTY: stdout.isTTY, columns: stdout.columns };
    Object.assign(stdout, { isTTY: true, columns: 120 });
    try {
      for (const command of ['down', 'smoke']) {
        const text = await help(command);
        expect(longest(text), command).toBeGreaterThan(80);
        expect(longest(text), command).toBeLessThanOrEqual(120);
      }
    } finally {
      Object.assign(stdout, was);
    }
  });

  it('an example that goes on is indented under its start', async () => {
    const examples = (await help('smoke')).split('Examples:\n')[1]!;
    expect(examples).toMatch(/^ {2}rollback-kit smoke .*\n {6}\S/m);
  });
});

it('drill --reason, --incident-issue, --from and --dry-run say what the drill does with them, not what a rollback does', async () => {
  const drill = options(await help('drill'));
  const rollback = options(await help('rollback'));
  for (const flag of ['--reason', '--incident-issue', '--from', '--dry-run']) expect(drill.get(flag), flag).not.toBe(rollback.get(flag));
  // It goes only into a Vercel rollback's description: a drill sends no messages and opens no incident.
  expect(drill.get('--reason')).toMatch(/^why the drill runs: .*Vercel/);
  expect(drill.get('--reason')).not.toMatch(/incident|messages|rolling back/);
  // A comment on the environment's drill issue, not an incident issue.
  expect(drill.get('--incident-issue')).toMatch(/“Rollback drill” issue/);
  expect(drill.get('--incident-issue')).not.toMatch(/incident issue/);
  // runDrill drops a component's from: the drill goes back from what serves staging on the day.
  expect(drill.get('--from')).toMatch(/^not used: /);
  expect(drill.get('--dry-run')).toMatch(/^readiness only: /);
});

it('--report-dir’s default is the folder each sandbox really makes', async () => {
  expect(options(await help('sandbox')).get('--report-dir')).toContain('(default ./rollback-kit-sandbox/<time>)');
  expect(options(await help('drill')).get('--report-dir')).toContain('(default ./rollback-kit-sandbox/drill-<time>)');
});

it('every down example that changes the database passes its snapshot rule (--snapshot-path, or --no-require-snapshot)', async () => {
  const down = COMMANDS.find((c) => c.name === 'down')!;
  const changing = down.examples.filter((e) => !/--dry-run\b/.test(e));
  expect(changing.length).toBeGreaterThan(0);
  for (const example of changing) expect(example).toMatch(/--snapshot-path \S|--no-require-snapshot\b/);
});
