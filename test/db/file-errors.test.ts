// What a user can get wrong about where files go, or where the disk is full, ends in a clear
// error naming the path and what to do: never "Unexpected error", never a hang, never a
// truncated manifest beside a snapshot. A full disk and a read-only one are real: small tmpfs
// mounts (the test needs root or CAP_SYS_ADMIN to mount them).
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorLine } from '../../src/core/errors.js';
import { runProcess } from '../../src/core/process.js';
import { QueryDeadlineExceeded } from '../../src/db/session.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { runAction, type ActionRun } from '../helpers/run-action.js';

const mounts: string[] = [];
const dirs: string[] = [];

async function tmp(prefix: string): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** A tmpfs of `bytes` (rounded up to pages) at a fresh folder. */
async function tinyDisk(bytes: number, readOnly = false): Promise<string> {
  const dir = await tmp('rk-disk-');
  const r = await runProcess('mount', ['-t', 'tmpfs', '-o', `size=${bytes}${readOnly ? ',ro' : ''}`, 'tmpfs', dir]);
  if (r.code !== 0) throw new Error(`This test mounts a small tmpfs and needs root or CAP_SYS_ADMIN: ${r.stderr.trim()}`);
  mounts.push(dir);
  return dir;
}

function expectClearFailure(run: ActionRun, pattern: RegExp): void {
  expect(run.code).not.toBe(0);
  expect(run.errors).toHaveLength(1);
  expect(run.errors[0]).toMatch(pattern);
  expect(run.errors[0]).not.toMatch(/Unexpected error/);
}

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('rk_files');
  // Enough tables that the manifest needs several pages of disk.
  await db.query(`DO $$BEGIN FOR i IN 1..120 LOOP EXECUTE format('CREATE TABLE t%s (id int PRIMARY KEY, a text)', i); END LOOP; END$$`);
});

afterAll(async () => {
  for (const m of mounts.splice(0)) await runProcess('umount', [m]);
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('snapshot-db output-dir', () => {
  it.each(['/proc/rollback-kit/snapshots', '/proc/1/snapshots', '/sys/snapshots', '/dev/shm/../snapshots'])('refuses %s at once, naming it', async (dir) => {
    const run = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': dir });
    expectClearFailure(run, new RegExp(`output-dir ${dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is under /(proc|sys|dev), a kernel file system`));
  });

  it('refuses a symbolic link into /proc', async () => {
    const base = await tmp('rk-link-');
    const { symlink } = await import('node:fs/promises');
    await symlink('/proc/self', join(base, 'linked'));
    const run = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': join(base, 'linked', 'snapshots') });
    expectClearFailure(run, /is under \/proc/);
  });

  it('names a file that stands where a folder should be', async () => {
    const base = await tmp('rk-file-');
    await writeFile(join(base, 'plain-file'), 'x');
    const run = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': join(base, 'plain-file', 'snapshots') });
    expectClearFailure(run, /Cannot create output-dir \S+\/plain-file\/snapshots: \S+\/plain-file is a file, not a folder\. Point output-dir at a writable folder/);
  });

  it('names a read-only disk before dumping anything', async () => {
    const disk = await tinyDisk(64 * 1024, true);
    const run = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': disk });
    expectClearFailure(run, new RegExp(`Cannot write files in output-dir ${disk}: the file system is read-only \\(EROFS\\)\\. Point output-dir at a writable folder`));
  });

  it('a disk that fills up while the manifest is written: a clear error, and no snapshot or truncated manifest left', async () => {
    // Measure this database's snapshot, then give it a disk with room for the dump and one spare page.
    const probe = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': await tmp('rk-measure-') });
    expect(probe.errors).toEqual([]);
    const dumpBytes = (await stat(probe.outputs.path!)).size;
    const manifestBytes = (await stat(probe.outputs['manifest-path']!)).size;
    const page = 4096;
    expect(manifestBytes).toBeGreaterThan(page);
    const disk = await tinyDisk(Math.ceil(dumpBytes / page) * page + page);

    const run = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': disk });
    expectClearFailure(run, new RegExp(`Could not write to ${disk}/\\S+: the disk is full \\(ENOSPC\\)\\. Free space on that disk`));
    expect(run.outputs.path).toBeUndefined();
    // Nothing half-done: no snapshot, no manifest (empty or not), no temporary file.
    expect(await readdir(disk)).toEqual([]);
  });
});

describe('files a connection string refers to', () => {
  it.each([
    ['snapshot-db', {}],
    ['run-down-migrations', { steps: '1', 'require-snapshot': 'false' }],
    ['smoke-test', { checks: '- query: SELECT 1' }],
    ['restore-db', { 'snapshot-path': '/nonexistent.dump', confirm: 'x' }],
  ] as const)('%s names a missing sslrootcert', async (action, extra) => {
    const missing = join(tmpdir(), 'rk-no-such-dir', 'root.crt');
    const run = await runAction(action, { 'database-url': `${db.url}?sslmode=verify-full&sslrootcert=${encodeURIComponent(missing)}`, ...extra });
    expectClearFailure(run, new RegExp(`sslrootcert file ${missing} cannot be used: it does not exist \\(ENOENT\\)\\. Write the file to that path`));
  });

  // sslmode=require: a client certificate is refused without it, as passfile is always (connection.ts).
  it.each(['sslcert', 'sslkey'])('names an unusable %s (a folder)', async (param) => {
    const folder = await tmp('rk-cert-');
    const run = await runAction('snapshot-db', { 'database-url': `${db.url}?sslmode=require&${param}=${encodeURIComponent(folder)}` });
    expectClearFailure(run, new RegExp(`${param} file ${folder} cannot be used: it is not a file\\.`));
  });
});

describe('errorLine for Node system errors', () => {
  it('names the operation, the path and the meaning instead of "Unexpected error"', () => {
    const err = Object.assign(new Error("ENOSPC: no space left on device, write '/x/y'"), { code: 'ENOSPC', syscall: 'write', path: '/x/y' });
    expect(errorLine(err)).toBe('Could not write to /x/y: the disk is full (ENOSPC).');
    const eacces = Object.assign(new Error('EACCES'), { code: 'EACCES', syscall: 'mkdir', path: '/srv/s' });
    expect(errorLine(eacces)).toBe('Could not create the folder /srv/s: permission denied (EACCES).');
    expect(errorLine(new Error('boom'))).toBe('Unexpected error: boom');
  });

  it('leaves whole an error of ours that only borrows a system code (a query deadline: ETIMEDOUT)', () => {
    const err = new QueryDeadlineExceeded(30_000, 1, 5_000);
    expect(errorLine(err)).toBe(`Unexpected error: ${err.message}`);
    expect(err.message).toMatch(/, so the connection was closed$/);
  });
});
