// Every input a command cannot run without, left out: the error names the flag (and, for a secret,
// its variable), exit 2, before anything runs. The shared code says "Input required and not
// supplied: database-url", which the command line once turned into "--required and not supplied".
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { TOKEN_ENV } from '../../src/core/secret-input.js';
import { COMMAND_FLAGS, FLAGS, flagOf } from '../../src/cli/flags.js';
import { wordingFor } from '../../src/cli/wording.js';
import { ROOT } from '../helpers/run-action.js';
import { runMain } from './run-main.js';

/** An empty folder to run in, removed once the file's tests are done. */
const made: string[] = [];
const empty = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rk-cli-required-'));
  made.push(dir);
  return dir;
};
afterAll(() => Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true }))));
const URL = 'postgres://postgres@127.0.0.1:1/shop';

/** Each command with an action: the action's required inputs are the command's. */
const ACTION_OF = { rollback: 'action.yml', snapshot: 'actions/snapshot-db/action.yml', restore: 'actions/restore-db/action.yml', down: 'actions/run-down-migrations/action.yml' };

/** What else a run needs so that `input` is the one missing (inputs are read in the action's order). */
const OTHERS: Record<string, { argv: string[]; env?: Record<string, string> }> = {
  'snapshot database-url': { argv: [] },
  'restore database-url': { argv: ['--snapshot-path', 'shop.dump'] },
  'restore snapshot-path': { argv: [], env: { DATABASE_URL: URL } },
  'down database-url': { argv: ['--steps', '1'] },
  'rollback reason': { argv: ['app'] },
};
/** restore-db's confirm is asked for at a terminal, or filled in by --yes (cli.test.ts: the refusal without either). */
const ASKED = ['restore confirm'];

/** Required of a rollback though action.yml leaves it optional: mode drill writes its own reason. */
const REQUIRED_BUT_FOR_DRILLS = ['rollback reason'];

const required = [
  ...Object.entries(ACTION_OF).flatMap(([command, yml]) =>
    Object.entries((parse(readFileSync(join(ROOT, yml), 'utf8')) as { inputs: Record<string, { required?: boolean }> }).inputs)
      .filter(([, spec]) => spec.required)
      .map(([input]) => `${command} ${input}`),
  ),
  ...REQUIRED_BUT_FOR_DRILLS,
];

describe('a required flag left out', () => {
  it('every required input of every action is covered here', () => {
    expect(required.filter((r) => !ASKED.includes(r)).sort()).toEqual(Object.keys(OTHERS).sort());
  });

  it.each(Object.entries(OTHERS))('%s: names the flag and its variable, exit 2', async (key, { argv, env }) => {
    const [command, input] = key.split(' ') as [string, string];
    const run = await runMain([command, ...argv], { cwd: await empty(), env });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    const variable = TOKEN_ENV[input as keyof typeof TOKEN_ENV];
    expect(run.stderr).toMatch(new RegExp(`^error: ${flagOf(input)} is required${variable ? `: give it or set ${variable}\\.` : '\\b'}`, 'm'));
    expect(run.stderr).toContain(`Usage: rollback-kit ${command} [options]`);
    expect(run.stderr).not.toMatch(/--required|Input /);
  });

  it('--json: the same words in the error field', async () => {
    const run = await runMain(['snapshot', '--json'], { cwd: await empty() });
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toEqual({ command: 'snapshot', ok: false, status: 'usage', error: '--database-url is required: give it or set DATABASE_URL.' });
  });

  it.each([
    [['promote', '--provider', 'vercel'], '--project is required when --provider is vercel. Set --project to the Vercel project name'],
    [['promote', '--provider', 'fly'], '--app is required when --provider is fly. Set --app to the Fly app name'],
    [['promote', '--provider', 'railway'], '--project is required when --provider is railway. Set --project to the project id'],
    [['promote', '--provider', 'render'], '--service is required when --provider is render. Set --service to the Render service id'],
    [['promote', '--provider', 'netlify'], '--site is required when --provider is netlify. Set --site to the site id'],
    [['promote', '--provider', 'command'], '--command is required when --provider is command. Set --command to the shell command'],
    [['smoke'], 'No checks given. Set --checks (YAML) or --checks-file'],
  ])('what a provider or a check run needs: %j', async (argv, message) => {
    const env = { VERCEL_TOKEN: 'x', FLY_API_TOKEN: 'x', RAILWAY_TOKEN: 'x', RENDER_API_KEY: 'x', NETLIFY_AUTH_TOKEN: 'x' };
    const run = await runMain(argv, { cwd: await empty(), env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`error: ${message}`);
  });

  it.each(Object.entries(COMMAND_FLAGS))('%s: the shared code’s "Input required" line for each of its flags', (_command, names) => {
    const words = wordingFor(names);
    // Only an input that takes a value can be required; a switch is off or on.
    for (const name of names.filter((n) => (FLAGS[n]!.kind ?? 'value') === 'value')) {
      const variable = TOKEN_ENV[name as keyof typeof TOKEN_ENV];
      expect(words(`Input required and not supplied: ${name}.`)).toBe(`${flagOf(name)} is required${variable ? `: give it or set ${variable}` : ''}.`);
    }
  });
});
