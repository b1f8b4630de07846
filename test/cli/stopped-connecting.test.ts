// A stop (Ctrl-C, SIGTERM) while the database does not answer the connection, the likeliest moment
// for one: a server that accepts the TCP connection and never says a word. The connection attempt
// ends at the stop (session.ts ConnectStopped), and the command says plainly that nothing was changed
// because it was still connecting, where it used to wait out the whole grace time and then say that
// what it had changed was not known. The built command line and bundle, a real signal to each.
import type { ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runAction } from '../helpers/run-action.js';
import { createTestDatabase } from '../helpers/pg.js';
import { runCli } from './run-cli.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Accepts connections and answers nothing; at each one's first byte (the startup message) it calls what waits for that. */
let server: Server;
let url: string;
const sockets: Socket[] = [];
const waiting: (() => void)[] = [];

beforeAll(async () => {
  server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    socket.once('data', () => {
      for (const w of waiting.splice(0)) w();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `postgres://u:p@127.0.0.1:${(server.address() as AddressInfo).port}/db`;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
});

/** Sends `signal` to the child once it has sent the server its startup message. */
function stopWhenConnecting(signal: NodeJS.Signals): (child: ChildProcess) => void {
  return (child) => {
    waiting.push(() => child.kill(signal));
  };
}

const NOT_KNOWN = /is not known|did not end within/;

it('rollback-kit snapshot, SIGINT while connecting: ends at once, exit 130, no snapshot and nothing changed', async () => {
  const cwd = await tempDir('rk-stop-connect-');
  const run = await runCli(['snapshot'], { cwd, env: { DATABASE_URL: url }, onSpawn: stopWhenConnecting('SIGINT') });
  expect(run.code, run.stderr).toBe(130);
  expect(run.stderr).toMatch(/rollback-kit snapshot was stopped by SIGINT: Snapshot of 127\.0\.0\.1:\d+\/db was stopped while still connecting to the database, so no snapshot was made: nothing had been sent to the database, so nothing was changed\./);
  expect(run.stderr).not.toMatch(NOT_KNOWN);
});

it('rollback-kit rollback db, SIGTERM while planning connects: the plan row says it was still connecting, nothing changed', async () => {
  const cwd = await tempDir('rk-stop-connect-');
  await mkdir(join(cwd, 'db/migrations'), { recursive: true });
  await writeFile(join(cwd, 'db/migrations/20240101000000_a.sql'), '-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n');
  const run = await runCli(['rollback', 'db', '--reason', 'x', '--steps', '1', '--yes'], { cwd, env: { DATABASE_URL: url }, onSpawn: stopWhenConnecting('SIGTERM') });
  expect(run.code, run.stderr).toBe(143);
  expect(run.stdout).toMatch(/^plan +failed .*Stopped while still connecting to PostgreSQL at 127\.0\.0\.1:\d+\/db: nothing had been sent to the database, so nothing was changed\./m);
  expect(run.stdout).toContain('The rollback was stopped while planning, before it changed anything: run it again when it can run to its end.');
  expect(run.stdout + run.stderr).not.toMatch(NOT_KNOWN);
});

it('rollback-kit down, SIGTERM while connecting: nothing changed, exit 143', async () => {
  const cwd = await tempDir('rk-stop-connect-');
  await mkdir(join(cwd, 'db/migrations'), { recursive: true });
  await writeFile(join(cwd, 'db/migrations/20240101000000_a.sql'), '-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n');
  const run = await runCli(['down', '--steps', '1', '--yes', '--no-require-snapshot'], { cwd, env: { DATABASE_URL: url }, onSpawn: stopWhenConnecting('SIGTERM') });
  expect(run.code, run.stderr).toBe(143);
  expect(run.stderr).toMatch(/rollback-kit down was stopped by SIGTERM: Stopped while still connecting to PostgreSQL at 127\.0\.0\.1:\d+\/db: nothing had been sent to the database, so nothing was changed\./);
  expect(run.stderr).not.toMatch(NOT_KNOWN);
});

it('rollback-kit restore, SIGINT while its planning connects: nothing changed, exit 130', async () => {
  // A real snapshot to restore: the restore reads and checks it before it connects.
  const db = await createTestDatabase('rk_stop_connect');
  await db.query('CREATE TABLE t (id int)');
  const cwd = await tempDir('rk-stop-connect-');
  const snap = await runCli(['snapshot', '--output-dir', cwd, '--json'], { cwd, env: { DATABASE_URL: db.url } });
  expect(snap.code, snap.stderr).toBe(0);
  const path = (JSON.parse(snap.stdout) as { path: string }).path;
  const run = await runCli(['restore', '--snapshot-path', path, '--from-another-database', '--no-pre-restore-snapshot', '--confirm', 'db', '--yes'], {
    cwd,
    env: { DATABASE_URL: url },
    onSpawn: stopWhenConnecting('SIGINT'),
  });
  expect(run.code, run.stderr).toBe(130);
  expect(run.stderr).toMatch(/rollback-kit restore was stopped by SIGINT: Restore into 127\.0\.0\.1:\d+\/db was stopped while still connecting to the database, before anything was sent to it: nothing was changed, the database is as it was before\./);
  expect(run.stderr).not.toMatch(NOT_KNOWN);
});

it('the snapshot-db bundle, SIGTERM while connecting: one ::error:: line saying no snapshot was made and nothing changed', async () => {
  const run = await runAction('snapshot-db', { 'database-url': url }, { whileRunning: stopWhenConnecting('SIGTERM') });
  expect(run.code).not.toBe(0);
  expect(run.errors).toHaveLength(1);
  expect(run.errors[0]).toMatch(/^snapshot-db was stopped by SIGTERM: Snapshot of 127\.0\.0\.1:\d+\/db was stopped while still connecting to the database, so no snapshot was made: nothing had been sent to the database, so nothing was changed\./);
  expect(run.log).not.toMatch(NOT_KNOWN);
});
