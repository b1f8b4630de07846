/**
 * The sandbox's PostgreSQL, with nothing to configure: the server at the URL given (--database-url or
 * DATABASE_URL; loopback only), else the local
 * one at 127.0.0.1:5432, else a throwaway cluster made from the installed binaries (initdb and
 * pg_ctl, listening on loopback only, removed afterwards). Without any of them, one error line
 * saying what to install.
 */
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { RollbackKitError } from '../core/errors.js';
import { capitalized } from '../core/sentence.js';
import { runProcess } from '../core/process.js';
import { connectionUrl, describeTarget, parseConnectionString } from '../db/connection.js';
import { closeAtStop, closeSession, connect, ConnectionError, connectionError, type Session } from '../db/session.js';
import { SandboxStopped, type Cleanup } from './cleanup.js';

export const LOCAL_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const INSTALL_HINT = 'Install PostgreSQL (Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql), or give --database-url (or set DATABASE_URL) for a server you may create databases on.';

/** Where the URL came from when the caller does not say: the environment variable. */
const DEFAULT_FROM = 'DATABASE_URL';

/** How to stop using the URL, as it was given: a flag is left out, a variable unset. */
function withoutIt(from: string): string {
  return from.startsWith('--') ? `leave out ${from}` : `unset ${from}`;
}

export interface SandboxPostgres {
  /** A connection string to a database the sandbox may create databases from. */
  adminUrl: string;
  /** Where it came from, for the reader: "DATABASE_URL (host:port)" or "--database-url (…)", "the local server", "a throwaway cluster". */
  source: string;
}

/**
 * Connects and runs SELECT 1: undefined when it works, else why not (the library's connection error).
 * Its SELECT 1 has no deadline: the server is on this machine (assertLoopback ran first, or it is
 * 127.0.0.1), with nothing between to stall, and the connect timeout bounds a server that does not
 * answer. The sandbox's stop ends it, connecting (ConnectStopped) or waiting (closeAtStop: it only
 * reads), and throws SandboxStopped.
 */
async function connectProblem(url: string, signal?: AbortSignal): Promise<ConnectionError | undefined> {
  const target = parseConnectionString(url);
  let session: Session;
  try {
    session = await connect(target, { connectTimeoutMs: 3000, signal });
  } catch (err) {
    if (signal?.aborted) throw new SandboxStopped();
    // connect() words what the network or the server said as a ConnectionError already; anything
    // else (an sslcert file it cannot read) is worded as one here.
    return err instanceof ConnectionError ? err : connectionError(target, err);
  }
  const release = closeAtStop(session, signal);
  try {
    await session.query('SELECT 1');
    return undefined;
  } catch (err) {
    if (signal?.aborted) throw new SandboxStopped();
    return connectionError(target, err);
  } finally {
    release();
    void closeSession(session);
  }
}

/** The newest installed server binaries: /usr/lib/postgresql/<N>/bin (Debian), else initdb on PATH. */
export function findServerBinaries(searchPath: string): string | undefined {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(join(base, v, 'bin', 'initdb'))) return join(base, v, 'bin');
  for (const dir of searchPath.split(':').filter(Boolean)) if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** initdb refuses to run as root: then the cluster belongs to the postgres user, as packages set it up. */
async function runAs(binary: string, args: string[], asRoot: boolean, signal?: AbortSignal): Promise<void> {
  const [command, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', binary, ...args]] : [binary, args];
  const result = await runProcess(command, argv, { timeoutMs: 60_000, signal });
  if (result.code !== 0) throw new RollbackKitError(`${binary.split('/').pop()} failed: ${(result.stderr || result.stdout).trim().split('\n').slice(-3).join(' ')}`, INSTALL_HINT);
}

async function throwawayCluster(bin: string, cleanup: Cleanup): Promise<SandboxPostgres> {
  const asRoot = userInfo().uid === 0;
  const dir = await mkdtemp(join(tmpdir(), 'rollback-kit-pg-'));
  cleanup.add('the throwaway cluster’s folder', () => rm(dir, { recursive: true, force: true }));
  if (asRoot) {
    const id = await runProcess('id', ['-u', 'postgres'], { timeoutMs: 5000 });
    const gid = await runProcess('id', ['-g', 'postgres'], { timeoutMs: 5000 });
    if (id.code !== 0) throw new RollbackKitError('Running as root, and there is no postgres user to run a throwaway PostgreSQL cluster as.', INSTALL_HINT);
    await chown(dir, Number(id.stdout.trim()), Number(gid.stdout.trim()));
  }
  const data = join(dir, 'data');
  cleanup.check();
  await runAs(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync'], asRoot, cleanup.signal);
  cleanup.check();
  const port = await freePort();
  const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c full_page_writes=off`;
  // Registered before the start, and not ended by Ctrl-C: a start cut short could leave a server
  // running that nothing stops. The stop runs once a server is there (its postmaster.pid).
  const stop = async () => {
    if (existsSync(join(data, 'postmaster.pid'))) await runAs(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', '-t', '30', 'stop'], asRoot);
  };
  await cleanup.make('the throwaway PostgreSQL server', stop, () => runAs(join(bin, 'pg_ctl'), ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', '-t', '30', 'start'], asRoot));
  return { adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`, source: `a throwaway cluster (${bin.split('/').slice(-2, -1)[0] ?? 'PostgreSQL'}) on 127.0.0.1:${port}` };
}

/**
 * The admin connection as the reader may see it (`started.adminUrl`): user, host, port and database,
 * the password as `***`. The whole string given is a registered secret, so redacting it would show
 * nothing at all; the caller still passes this through its log's redaction for any other secret
 * the string carries (a `?sslpassword=`).
 */
export function shownAdminUrl(url: string): string {
  const target = parseConnectionString(url);
  return connectionUrl({ ...target, password: target.password ? '***' : undefined });
}

/** A loopback address or a Unix socket directory: somewhere only this machine answers. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h.startsWith('/') || h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  return Boolean(v4 && v4.slice(1).every((n) => Number(n) <= 255));
}

/**
 * The sandbox creates databases and drops them WITH (FORCE): only ever on this machine. Checked
 * before any connection, so a production DATABASE_URL left in the shell is refused, not touched.
 * `from` names how the URL was given (`--database-url`, or the variable).
 */
export function assertLoopback(databaseUrl: string, from = DEFAULT_FROM): void {
  const target = parseConnectionString(databaseUrl);
  // A multi-host string (host=a,b) and hostaddr= are where libpq really connects: every one must be local.
  const hosts = [...target.host.split(','), ...(target.params.hostaddr ? target.params.hostaddr.split(',') : [])];
  if (hosts.every(isLoopbackHost)) return;
  throw new RollbackKitError(
    `The sandbox runs only on this machine, and ${from} points at ${describeTarget(target)}: it creates and drops databases, so it refuses any host but a loopback address (127.0.0.0/8, ::1), localhost or a Unix socket. Nothing was touched.`,
    `${capitalized(withoutIt(from))} (the sandbox then uses the local server or a throwaway cluster), or point it at a local server.`,
  );
}

export async function sandboxPostgres(opts: { databaseUrl?: string; from?: string; searchPath: string; throwaway?: boolean }, cleanup: Cleanup): Promise<SandboxPostgres> {
  if (opts.databaseUrl && !opts.throwaway) {
    const from = opts.from ?? DEFAULT_FROM;
    assertLoopback(opts.databaseUrl, from);
    const where = describeTarget(parseConnectionString(opts.databaseUrl));
    const problem = await connectProblem(opts.databaseUrl, cleanup.signal);
    // A server that answered and refused (a password, pg_hba, a database) is running: the URL is what to fix.
    if (problem?.fromServer) throw new RollbackKitError(`The PostgreSQL server at ${from} (${where}) refused the sandbox: ${problem.message}`, `Fix ${from}, or ${withoutIt(from)} to let the sandbox use a local server or a throwaway cluster.`);
    if (problem) throw new RollbackKitError(`The PostgreSQL server at ${from} (${where}) does not answer: ${problem.message}`, `Start it or fix ${from}; ${withoutIt(from)} to let the sandbox use a local server or a throwaway cluster.`);
    return { adminUrl: opts.databaseUrl, source: `${from} (${where})` };
  }
  if (!opts.throwaway && !(await connectProblem(LOCAL_URL, cleanup.signal))) return { adminUrl: LOCAL_URL, source: 'the local server on 127.0.0.1:5432' };
  const bin = findServerBinaries(opts.searchPath);
  if (!bin) throw new RollbackKitError('No PostgreSQL for the sandbox: no --database-url was given and DATABASE_URL is not set, nothing answers on 127.0.0.1:5432, and no initdb is installed.', INSTALL_HINT);
  return throwawayCluster(bin, cleanup);
}
