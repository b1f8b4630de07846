// The command line's rewording of workflow messages, and the sandbox's loopback rule, case by case.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../../src/cli/version.js';
import { cliWording } from '../../src/cli/wording.js';
import { assertLoopback, isLoopbackHost } from '../../src/sandbox/postgres.js';
import { ROOT } from '../helpers/run-action.js';

describe('cliWording', () => {
  it.each([
    ['Input vercel-token is required when provider is vercel. Pass a Vercel access token from a secret: vercel-token: ${{ secrets.VERCEL_TOKEN }}.', '--vercel-token is required when --provider is vercel. Pass a Vercel access token: export VERCEL_TOKEN or give --vercel-token.'],
    ['Pass github-token: ${{ secrets.GITHUB_TOKEN }} and grant statuses: read.', 'Pass --github-token (or export GITHUB_TOKEN) and grant statuses: read.'],
    ['Input steps must be a whole number, got "two".', '--steps must be a whole number, got "two".'],
    ['components.web.project in rollback-kit.yml is required', 'components.web.project in rollback-kit.yml is required'],
    ['With steps, finish this plan with `to-version: 20240101000002`: `steps: 3` would count from what is still applied.', 'With steps, finish this plan with `--to-version 20240101000002`: `--steps 3` would count from what is still applied.'],
    ['Run `migrate force <version>` first; set since-ref: v1 and re-run.', 'Run `migrate force <version>` first; set --since-ref v1 and re-run.'],
    // The real command for another scope (`rollback-kit rollback db`: the rollback command's argument), never "scope db".
    ['Fix the snapshot error and re-run with scope db.', 'Fix the snapshot error and run `rollback-kit rollback db`.'],
    ['The run was stopped while the snapshot was taken. Re-run with scope db when it can run to its end.', 'The run was stopped while the snapshot was taken. Run `rollback-kit rollback db` when it can run to its end.'],
    ['roll it back with scope db (in a split rollback, the database job) if the bad deploy changed it.', 'roll it back with `rollback-kit rollback db` if the bad deploy changed it.'],
    ['and only if the database must go back too, start a new run with scope db (or re-run this one', 'and only if the database must go back too, run `rollback-kit rollback db` (or re-run this one'],
    // A new incident is named with the flag: "pass --from", not "no from was given" nor both forms.
    ['Name the new incident: pass from (--from on the command line) with the release that went bad.', 'Name the new incident: pass --from with the release that went bad.'],
    ['(it names no deployment: a command component cannot say what it serves, and only from names one)', '(it names no deployment: a command component cannot say what it serves, and only --from names one)'],
    ['If this is a new incident, name it: pass from: <deployment> (the deployment that went bad).', 'If this is a new incident, name it: pass --from <deployment> (the deployment that went bad).'],
    // A choice of scopes is not one command: left as it is.
    ['Select that component with scope app or full, or call it something else.', 'Select that component with scope app or full, or call it something else.'],
    // Left alone: a from that is not the setting, and another flag's own words.
    ['a copy made from the previous deployment', 'a copy made from the previous deployment'],
  ])('%s', (from, to) => {
    expect(cliWording(from)).toBe(to);
  });
});

describe('the sandbox’s loopback rule', () => {
  it.each(['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '/var/run/postgresql'])('%s is this machine', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });
  it.each(['192.0.2.1', 'db.example.com', '10.0.0.1', '127.0.0.1.example.com', '128.0.0.1', '::2', '0.0.0.0', '127.0.0.256'])('%s is not', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
  it('refuses a multi-host string, and a hostaddr beside another host, before anything', () => {
    // Refused as connection strings rollback-kit cannot honour (it connects to one server only).
    expect(() => assertLoopback('host=127.0.0.1,db.example.com dbname=x user=u')).toThrow(/host list \(2 hosts: 127\.0\.0\.1, db\.example\.com\) cannot be honoured/);
    expect(() => assertLoopback('postgres://u@localhost:5432/x?hostaddr=192.0.2.1')).toThrow(/hostaddr \(192\.0\.2\.1, with host localhost\) cannot be honoured/);
    expect(() => assertLoopback('hostaddr=192.0.2.1 dbname=x user=u')).toThrow(/only on this machine/);
    expect(() => assertLoopback('postgres://u@127.0.0.1:5432/x')).not.toThrow();
  });
});

it('--version is the package’s version', () => {
  expect(VERSION).toBe((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
});
