// actions/postgres-client, the one way both rollback.yml's database job and the drill get a
// pg_dump that fits the server: its script run with bash as the runner would, against fake
// versioned installs and a fake sudo that records what would be installed; and both workflows held
// to using it the same way, so the drill rehearses the real rollback's client.
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from '../helpers/run-action.js';
import { runStep } from './run-step.js';

type Step = { name?: string; uses?: string; run?: string; shell?: string; env?: Record<string, string>; with?: Record<string, unknown>; 'timeout-minutes'?: number; 'continue-on-error'?: boolean };
const action = parse(readFileSync(join(ROOT, 'actions/postgres-client/action.yml'), 'utf8')) as { inputs: Record<string, { required?: boolean }>; runs: { using: string; steps: Step[] } };
const [step] = action.runs.steps;
const workflow = (file: string) => parse(readFileSync(join(ROOT, '.github/workflows', file), 'utf8')) as { jobs: Record<string, { steps?: Step[] }> };

const URL = 'postgres://app:client-secret-7q2@db.example.com:5432/shop';
let dir: string;
let bin: string;
let sudoLog: string;

/** A pg_dump that answers --version as PostgreSQL's does. */
async function fakeDump(path: string, version: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, `#!/bin/sh\necho "pg_dump (PostgreSQL) ${version} (Ubuntu ${version}-1.pgdg24.04+1)"\n`);
  await chmod(path, 0o755);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rk-pg-client-'));
  bin = join(dir, 'bin');
  sudoLog = join(dir, 'sudo.log');
  await mkdir(bin);
  // The only program the script runs besides pg_dump and sudo; no system pg_dump on PATH.
  await symlink(execFileSync('bash', ['-c', 'command -v timeout'], { encoding: 'utf8' }).trim(), join(bin, 'timeout'));
  // sudo records its arguments and runs nothing.
  await writeFile(join(bin, 'sudo'), `#!/bin/sh\necho "$*" >> "${sudoLog}"\n`);
  await chmod(join(bin, 'sudo'), 0o755);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * The script with fake versioned installs of `versions`, and a pg_dump of `onPath` on PATH; with
 * `server`, a database URL and a psql on PATH that answers SHOW server_version_num with it (or
 * fails, for 'down') and records how it was called.
 */
async function install(major: string, versions: string[], onPath?: string, server?: string): Promise<{ code: number; stdout: string; stderr: string; sudo: string[]; psql: string }> {
  const root = await mkdtemp(join(dir, 'root-'));
  for (const v of versions) await fakeDump(join(root, v.split('.')[0]!, 'bin', 'pg_dump'), v);
  const path = [bin];
  if (onPath) {
    const p = await mkdtemp(join(dir, 'path-'));
    await fakeDump(join(p, 'pg_dump'), onPath);
    path.push(p);
  }
  const psqlLog = join(root, 'psql.log');
  await writeFile(psqlLog, '');
  if (server !== undefined) {
    const p = await mkdtemp(join(dir, 'psql-'));
    const answer = server === 'down' ? 'echo "psql: error: connection to server failed" >&2; exit 2' : `echo ${server}`;
    await writeFile(join(p, 'psql'), `#!/bin/sh\necho "$*" >> "${psqlLog}"\n${answer}\n`);
    await chmod(join(p, 'psql'), 0o755);
    path.push(p);
  }
  await writeFile(sudoLog, '');
  const env: Record<string, string> = { PG_MAJOR: major, PG_CLIENT_ROOT: root, PATH: path.join(':'), DATABASE_URL: server === undefined ? '' : URL };
  const r = await runStep(step!.run!, env);
  const sudo = (await readFile(sudoLog, 'utf8')).split('\n').filter(Boolean);
  return { code: r.code, stdout: r.stdout, stderr: r.stderr, sudo, psql: await readFile(psqlLog, 'utf8') };
}

describe('actions/postgres-client', () => {
  it('is a composite action with one bash step that reads its input only through env', () => {
    expect(action.runs.using).toBe('composite');
    expect(action.inputs.major?.required).toBe(false);
    expect(step!.shell).toBe('bash');
    expect(step!.env).toEqual({ PG_MAJOR: '${{ inputs.major }}', DATABASE_URL: '${{ inputs.database-url }}' });
    expect(step!.run).not.toContain('${{');
  });

  it('installs the client of the server major from PGDG when the runner has only an older one', async () => {
    const r = await install('17', ['16.4']);
    expect(r.code).toBe(0);
    expect(r.sudo).toEqual(['/usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y', 'apt-get install -y postgresql-client-17']);
    expect(r.stdout).toContain('No pg_dump of version 17 or newer on this runner: installing postgresql-client-17');
  });

  it.each([
    ['the stock client is the server major', '16', ['16.4'], undefined],
    ['the stock client is newer than the server', '14', ['16.4'], undefined],
    ['a newer client is on PATH only', '17', [], '17.2'],
    ['one of several versioned installs fits', '17', ['15.8', '17.6', '16.4'], undefined],
  ])('installs nothing when %s (no apt time)', async (_name, major, versions, onPath) => {
    const r = await install(major, versions, onPath);
    expect(r.code).toBe(0);
    expect(r.sudo).toEqual([]);
    expect(r.stdout).toMatch(/^pg_dump \d+ \(.+\) fits a PostgreSQL \d+ server: nothing to install\.$/m);
  });

  it.each([
    ['a PostgreSQL 17 server, the runner on 16: installs 17', '170002', ['16.4'], ['/usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y', 'apt-get install -y postgresql-client-17']],
    ['a PostgreSQL 16 server, the runner on 16: installs nothing', '160004', ['16.4'], []],
    ['a PostgreSQL 14 server: installs nothing', '140011', ['16.4'], []],
  ])('with no major, asks the server: %s', async (_name, server, versions, sudo) => {
    const r = await install('', versions, undefined, server);
    expect(r.code).toBe(0);
    expect(r.sudo).toEqual(sudo);
    expect(r.stdout).toContain(`The database server is PostgreSQL ${Number(server) / 10000 | 0}.`);
    // Asked with the URL as a -d value (never an option of its own), and the password printed nowhere.
    expect(r.psql).toContain(`-d ${URL} -c SHOW server_version_num`);
    expect(r.stdout + r.stderr).not.toContain('client-secret-7q2');
  });

  it.each([
    ['no DATABASE_URL', undefined],
    ['a server that cannot be asked', 'down'],
  ])('with no major and %s: installs nothing, says so, and leaves the judgement to the rollback step', async (_name, server) => {
    const r = await install('', ['16.4'], undefined, server);
    expect(r.code).toBe(0);
    expect(r.sudo).toEqual([]);
    expect(r.stdout).toContain("::notice::The database server's version is not known here");
    expect(r.stdout + r.stderr).not.toContain('client-secret-7q2');
  });

  it.each(['17; rm -rf /', 'seventeen', '17.2'])('refuses a ROLLBACK_PG_MAJOR of %j and installs nothing', async (major) => {
    const r = await install(major, ['16.4']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain("::error::The major input (the ROLLBACK_PG_MAJOR variable) must be the database server's major version");
    expect(r.sudo).toEqual([]);
  });
});

describe('the real rollback installs the client the way the drill does', () => {
  const uses = 'rollback-kit/rollback-kit/actions/postgres-client@v1';
  const database = workflow('rollback.yml').jobs.database!.steps!;
  const drill = workflow('rollback-drill.yml').jobs.drill!.steps!;

  it.each([
    ['rollback.yml database job', database],
    ['rollback-drill.yml drill job', drill],
  ])('%s: the shared action before the root action, the same variable, its own 10 minutes, and a failed install left to the action to judge', (_name, steps) => {
    const at = steps.findIndex((s) => s.uses === uses);
    const root = steps.findIndex((s) => s.uses === 'rollback-kit/rollback-kit@v1');
    expect(at).toBeGreaterThan(-1);
    expect(at).toBeLessThan(root);
    const s = steps[at]!;
    expect(s.with).toEqual({ major: '${{ vars.ROLLBACK_PG_MAJOR }}', 'database-url': '${{ secrets.DATABASE_URL }}' });
    expect(s['timeout-minutes']).toBe(10);
    expect(s['continue-on-error']).toBe(true);
  });

  it('no workflow installs a PostgreSQL client any other way', () => {
    for (const file of ['rollback.yml', 'rollback-drill.yml', 'auto-rollback.yml']) {
      for (const job of Object.values(workflow(file).jobs)) for (const s of job.steps ?? []) expect(s.run ?? '', file).not.toMatch(/apt-get|postgresql-client|apt\.postgresql\.org/);
    }
  });
});
