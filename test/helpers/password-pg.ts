/**
 * A PostgreSQL server that checks passwords, for "wrong password" tests. The shared server here uses
 * trust auth (any password gets in), so when it does not reject a bad password we start a private
 * cluster with scram-sha-256 from the server binaries (initdb/pg_ctl), on a free loopback port.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ADMIN_URL } from './pg-env.js';

export interface PasswordServer {
  /** A URL with the right password. */
  url: string;
  /** The same URL with this password instead. */
  urlWithPassword(password: string): string;
  stop(): Promise<void>;
}

async function rejectsWrongPassword(url: string): Promise<boolean> {
  const u = new URL(url);
  u.password = 'definitely-not-the-password';
  const client = new pg.Client({ connectionString: u.toString(), connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.end();
    return false;
  } catch (err) {
    return (err as { code?: string }).code === '28P01';
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function serverBin(name: string): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const p = join(root, v, 'bin', name);
    if (existsSync(p)) return p;
  }
  throw new Error(`${name} not found under ${root}: the wrong-password tests need PostgreSQL server binaries, or DATABASE_URL pointing at a server with password auth.`);
}

export async function startPasswordServer(): Promise<PasswordServer> {
  if (await rejectsWrongPassword(ADMIN_URL)) {
    return { url: ADMIN_URL, urlWithPassword: (p) => withPassword(ADMIN_URL, p), stop: async () => undefined };
  }
  const password = 'the-right-password-9f2c';
  const server = await startPrivateServer({ password });
  return { url: server.url, urlWithPassword: (p) => withPassword(server.url, p), stop: server.stop };
}

export interface PrivateServer {
  /** postgres://postgres[:password]@127.0.0.1:<port>/postgres */
  url: string;
  stop(): Promise<void>;
}

/**
 * A throwaway cluster of our own, from the server binaries (initdb/pg_ctl), on a free loopback port:
 * scram-sha-256 with `password`, trust without; `settings` are passed as -c name=value (say, a small
 * max_locks_per_transaction, which the shared server cannot be restarted with).
 */
export async function startPrivateServer(opts: { password?: string; settings?: Record<string, string> } = {}): Promise<PrivateServer> {
  const dir = mkdtempSync(join(tmpdir(), 'rk-pwpg-'));
  const data = join(dir, 'data');
  const pwfile = join(dir, 'pw');
  if (opts.password) writeFileSync(pwfile, `${opts.password}\n`);
  const asRoot = process.getuid?.() === 0;
  // initdb and postgres refuse to run as root: hand the cluster to the postgres user.
  const run = (bin: string, args: string[]) =>
    asRoot ? execFileSync('runuser', ['-u', 'postgres', '--', bin, ...args], { stdio: 'pipe' }) : execFileSync(bin, args, { stdio: 'pipe' });
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
    if (opts.password) chownSync(pwfile, uid, gid);
  }
  const auth = opts.password ? ['-A', 'scram-sha-256', `--pwfile=${pwfile}`] : ['-A', 'trust'];
  run(serverBin('initdb'), ['-D', data, '-U', 'postgres', ...auth, '--no-sync']);
  const port = await freePort();
  const settings = Object.entries(opts.settings ?? {}).map(([k, v]) => ` -c ${k}=${v}`).join('');
  run(serverBin('pg_ctl'), ['-D', data, '-w', '-l', join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off${settings}`, 'start']);
  const user = opts.password ? `postgres:${opts.password}` : 'postgres';
  return {
    url: `postgres://${user}@127.0.0.1:${port}/postgres`,
    async stop() {
      try {
        run(serverBin('pg_ctl'), ['-D', data, '-m', 'immediate', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function withPassword(url: string, password: string): string {
  const u = new URL(url);
  u.password = encodeURIComponent(password);
  return u.toString();
}
