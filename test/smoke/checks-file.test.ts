// checks-file names a file in the workspace, and a spec error names lines and fields, never what
// the file holds: the path is an input, and the file may be anything (a secrets file, /etc/passwd).
import { mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { findSecret, runAction, type ActionRun } from '../helpers/run-action.js';
import { startServer, type ScriptedServer } from './servers.js';

const SECRET = 'sk_live_5up3rS3cr3tV4lu3';
let server: ScriptedServer;
let workspace: string;
let outside: string;
beforeAll(async () => {
  server = await startServer();
  workspace = await mkdtemp(join(tmpdir(), 'rk-smoke-ws-'));
  outside = await mkdtemp(join(tmpdir(), 'rk-smoke-outside-'));
  await writeFile(join(outside, 'secrets.yml'), `- name: health\n  url: /health\n  headers: {authorization: Bearer ${SECRET}}\n`);
  await mkdir(join(workspace, '.github'));
});

const fast = { attempts: 1, 'timeout-seconds': 2, 'fail-step': false };

async function run(checksFile: string): Promise<ActionRun> {
  return runAction('smoke-test', { 'base-url': server.url, 'checks-file': checksFile, ...fast }, { cwd: workspace });
}

function expectRefused(r: ActionRun, message: RegExp): void {
  expect(r.code).toBe(1);
  expect(r.outputs).toEqual({});
  expect(r.errors).toHaveLength(1);
  expect(r.errors[0]).toMatch(message);
}

describe('checks-file must be inside the workspace', () => {
  it('/etc/passwd: refused, and none of it printed', async () => {
    const before = server.requests.length;
    const r = await run('/etc/passwd');
    expectRefused(r, /^Cannot read checks-file "\/etc\/passwd": it is outside the workspace\. checks-file must name a file in the repository/);
    const passwd = await readFile('/etc/passwd', 'utf8');
    for (const line of passwd.split('\n').filter(Boolean).slice(0, 3)) expect(await findSecret(r, line)).toEqual([]);
    expect(await findSecret(r, 'root:')).toEqual([]);
    expect(server.requests.length).toBe(before);
  });

  it('a relative path that climbs out: refused', async () => {
    const r = await run(join('..', outside.split('/').pop()!, 'secrets.yml'));
    expectRefused(r, /it is outside the workspace\./);
    expect(await findSecret(r, SECRET)).toEqual([]);
  });

  it('a symbolic link in the workspace that points outside: refused, its target never read', async () => {
    await symlink(join(outside, 'secrets.yml'), join(workspace, '.github', 'smoke-link.yml'));
    const before = server.requests.length;
    const r = await run('.github/smoke-link.yml');
    expectRefused(r, /^Cannot read checks-file "\.github\/smoke-link\.yml": it is outside the workspace\./);
    expect(await findSecret(r, SECRET)).toEqual([]);
    expect(server.requests.length).toBe(before);
  });

  it('a symbolic link that stays inside the workspace still works', async () => {
    await writeFile(join(workspace, '.github', 'smoke.yml'), '- {name: health, url: /health}\n');
    await symlink(join(workspace, '.github', 'smoke.yml'), join(workspace, 'smoke.yml'));
    const r = await run('smoke.yml');
    expect(r.errors).toEqual([]);
    expect(r.outputs.passed).toBe('true');
  });

  it('a directory: says so', async () => {
    expectRefused(await run('.github'), /^Cannot read checks-file "\.github": it is a directory\./);
  });
});

describe('a spec error never prints the file\'s contents', () => {
  const cases: [string, string, RegExp][] = [
    ['a bad escape in a quoted secret', `- name: health\n  url: /health\n  headers: {authorization: "Bearer ${SECRET}\\q"}\n`, /line 3: invalid YAML: a double-quoted string has an invalid escape sequence/],
    ['an unterminated quote', `- name: health\n  url: /health\n  headers:\n    authorization: "Bearer ${SECRET}\n`, /line \d+: invalid YAML/],
    ['a block scalar header with text after it', `- name: health\n  url: /health\n  method: POST\n  body: |${SECRET}\n    text\n`, /line 4: invalid YAML: something unexpected is here/],
    ['a stray line', `- name: health\n  url: /health\n${SECRET}: [\n`, /line \d+: invalid YAML/],
    ['a YAML file that is not a spec', `API_TOKEN: ${SECRET}\n${SECRET}: x\n`, /line 1: the spec must be a YAML list of checks, or a mapping with `checks:` holding that list; this mapping has no checks field/],
    ['a value in the wrong place', `- name: health\n  url: "${SECRET}"\n  status: "${SECRET}"\n  attempts: "${SECRET}"\n  body-matches: "(${SECRET}"\n`, /line 2, check "health", field "url": is relative, and the base-url input is not set/],
  ];
  for (const [title, yaml, message] of cases) {
    it(title, async () => {
      const file = `.github/${title.replace(/\W+/g, '-')}.yml`;
      await writeFile(join(workspace, file), yaml);
      const r = await runAction('smoke-test', { 'checks-file': file, ...fast }, { cwd: workspace });
      expectRefused(r, /^The smoke check spec \(checks-file \.github\/[\w-]+\.yml\) has \d+ problems?, so nothing was run: /);
      expect(r.errors[0]).toMatch(message);
      expect(r.summary).toContain('The check spec is invalid');
      expect(await findSecret(r, SECRET)).toEqual([]);
      expect(r.stderr).not.toContain(SECRET);
    });
  }
});
