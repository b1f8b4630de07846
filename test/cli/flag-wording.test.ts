// The command line speaks of flags in spec and plan errors too ("--base-url is not set", "--provider:
// must be one of …", "(the flags)"), where it used to say "the base-url input", "set base-url" and
// "the root action inputs".
import { describe, expect, it } from 'vitest';
import { cliWording } from '../../src/cli/wording.js';
import { runCli } from './run-cli.js';
import { tempDir } from '../helpers/temp-dir.js';

/** An empty directory: no rollback-kit.yml, no checks file. */
const empty = () => tempDir('rk-cli-words-');

describe('spec and plan errors on the command line', () => {
  it('smoke: a relative check without --base-url, an SQL check without --database-url', async () => {
    const run = await runCli(['smoke', '--checks', '- {name: a, url: /health}\n- {name: b, query: select 1}'], { cwd: await empty() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('The smoke check spec (--checks) has 2 problems');
    expect(run.stderr).toContain('field "url": is relative, and --base-url is not set: set it, or write an absolute URL');
    expect(run.stderr).toContain('field "query": SQL checks need --database-url, which is not set');
    expect(run.stderr).not.toMatch(/\binputs?\b/);
  });

  it('smoke: both --checks and --checks-file, a missing checks file', async () => {
    const cwd = await empty();
    const both = await runCli(['smoke', '--checks', '- {name: a, url: https://x.example.com}', '--checks-file', 'smoke.yml'], { cwd });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--checks and --checks-file are both set. Give the checks inline (--checks) or in a YAML file (--checks-file), not both.');
    const missing = await runCli(['smoke', '--checks-file', 'smoke.yml'], { cwd });
    expect(missing.stderr).toContain('Cannot read --checks-file "smoke.yml": no such file.');
  });

  it('plan: the problems name flags, and the plan comes from "the flags"', async () => {
    const run = await runCli(['plan', '--provider', 'heroku', '--base-url', 'shop.example.com'], { cwd: await empty() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('The rollback plan (the flags) has 3 problems, so nothing was run: --provider: must be one of');
    expect(run.stderr).toContain('; --base-url: must be an absolute http(s) URL');
    expect(run.stderr).toContain('; flags: nothing to roll back');
    expect(run.stderr).toContain('or give the single-component flags');
    expect(run.stderr).not.toMatch(/\binputs?\b/);
    const ok = await runCli(['plan', '--provider', 'vercel', '--project', 'shop'], { cwd: await empty(), env: { VERCEL_TOKEN: 'vercel_plan_test_token' } });
    expect(ok.code).toBe(0);
    expect(ok.stdout + ok.stderr).toContain('Plan from the flags: environment production');
  });

  it('only flag names are rewritten', () => {
    expect(cliWording('pg_restore: error: input file does not appear to be a valid archive')).toBe('pg_restore: error: input file does not appear to be a valid archive');
    expect(cliWording('line 4, verify.checks-file: must be text')).toBe('line 4, verify.checks-file: must be text');
  });
});
