/**
 * Connection strings, the one way every module learns where a database is. Parses URLs and libpq
 * key=value strings, registers the password as a secret before anything can print it, describes a
 * target as host:port/db for messages, and builds what node-postgres and the pg_* tools need,
 * passing the password through the environment so it never shows in a process list.
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ClientConfig } from 'pg';
import { RollbackKitError, systemErrorMeaning } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { registerUrlSecrets } from '../core/url-secrets.js';

export interface ConnectionTarget {
  host: string;
  port: number;
  database: string;
  user: string;
  password?: string;
  /** Other libpq parameters (sslmode, application_name, options, pgbouncer, …). */
  params: Record<string, string>;
}

const DEFAULT_PORT = 5432;

/** Parses a `postgres://` URL or a `key=value` string and masks its password in `log`. */
export function parseConnectionString(raw: string, log?: Log): ConnectionTarget {
  const text = raw.trim();
  // Mask the whole string too: users paste it into other inputs and messages.
  log?.secret(text);
  if (!text) throw new RollbackKitError('The connection string is empty.', 'Pass a URL such as postgres://user:password@host:5432/dbname.');
  const isUrl = /^postgres(ql)?:\/\//i.test(text);
  // The password as written (percent-encoded) and in the query (?password=), before any message can show it.
  if (isUrl && log) registerUrlSecrets(text, log);
  const target = isUrl ? parseUrl(text) : parseKeyValue(text);
  log?.secret(target.password);
  checkReferencedFiles(target);
  return target;
}

/** Connection parameters that name a file libpq (and we) will read. */
const FILE_PARAMS = ['sslrootcert', 'sslcert', 'sslkey', 'passfile'];

/**
 * A missing or unreadable certificate, key or password file fails here, up front and named,
 * instead of deep inside a connection attempt or a pg_dump run.
 */
function checkReferencedFiles(t: ConnectionTarget): void {
  for (const param of FILE_PARAMS) {
    const path = t.params[param];
    // sslrootcert=system means the system's certificate store (libpq 16), not a file.
    if (!path || (param === 'sslrootcert' && path === 'system')) continue;
    let problem: string | undefined;
    try {
      if (!statSync(path).isFile()) problem = 'it is not a file';
      else accessSync(path, constants.R_OK);
    } catch (err) {
      problem = systemErrorMeaning(err) ?? 'it cannot be read';
    }
    if (problem) {
      throw new RollbackKitError(
        `The connection string's ${param} file ${path} cannot be used: ${problem}.`,
        `Write the file to that path in an earlier step of the job (from a secret), or fix the ${param} parameter.`,
      );
    }
  }
}

const ENCODE_HINT = 'Percent-encode special characters in the user name and password (@ as %40, / as %2F, # as %23, ? as %3F, % as %25, : as %3A).';

/**
 * A password with a raw @, /, # or ? makes the URL mean something else (part of the password
 * becomes the host or the path), and the message would then show pieces of it. Refuse such a URL
 * without repeating any of it.
 */
function checkUserInfo(text: string): void {
  const rest = text.slice(text.indexOf('//') + 2);
  // An @ in the query after the path is a value's (`?user=ops@corp`), as libpq reads it.
  const slash = rest.indexOf('/');
  const query = slash >= 0 ? rest.indexOf('?', slash) : -1;
  const head = query >= 0 ? rest.slice(0, query) : rest;
  const lastAt = head.lastIndexOf('@');
  if (lastAt < 0) return;
  const authorityEnd = head.search(/[/?#]/);
  if (authorityEnd >= 0 && authorityEnd < lastAt) {
    throw new RollbackKitError('The connection string\'s password (or user name) holds a character that ends the host part of a URL, so it cannot be read safely.', ENCODE_HINT);
  }
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new RollbackKitError('The connection string has a % that does not start a percent-encoded character.', ENCODE_HINT);
  }
}

const NOT_A_URL = (why: string) => new RollbackKitError(`The connection string is not a valid URL: ${why}.`, `Expected postgres://user:password@host:5432/dbname. ${ENCODE_HINT}`);

/**
 * One `host[:port]` of the host list, `[v6]:port` bracketed: the host percent-decoded, as libpq
 * reads `postgresql://%2Fvar%2Frun%2Fpostgresql/db` (a Unix socket directory).
 */
function hostAndPort(spec: string): { host: string; port?: string } {
  let host = spec;
  let port: string | undefined;
  if (spec.startsWith('[')) {
    const close = spec.indexOf(']');
    if (close < 0) throw NOT_A_URL('an IPv6 host has no closing ]');
    host = spec.slice(1, close);
    const after = spec.slice(close + 1);
    if (after && !after.startsWith(':')) throw NOT_A_URL('unexpected text after an IPv6 host');
    port = after ? after.slice(1) : undefined;
  } else {
    const colon = spec.indexOf(':');
    if (colon >= 0) [host, port] = [spec.slice(0, colon), spec.slice(colon + 1)];
    host = decode(host);
  }
  if (/[\s<>"`{}|\\^]/.test(host)) throw NOT_A_URL('the host holds a space or a character no host name has');
  return { host, port: port || undefined };
}

/**
 * A `postgres://` URL read as libpq reads it, not as a web URL: the host may be empty (the local
 * server's Unix socket) or a percent-encoded socket directory, and the query's host, port, dbname,
 * user and password override the URL's own. Values are percent-decoded only (`+` stays `+`), and a
 * `#` is an ordinary character.
 */
function parseUrl(text: string): ConnectionTarget {
  checkUserInfo(text);
  const rest = text.replace(/^postgres(ql)?:\/\//i, '');
  const question = rest.indexOf('?');
  const beforeQuery = question >= 0 ? rest.slice(0, question) : rest;
  const query = question >= 0 ? rest.slice(question + 1) : '';
  const slash = beforeQuery.indexOf('/');
  const authority = slash >= 0 ? beforeQuery.slice(0, slash) : beforeQuery;
  const path = slash >= 0 ? beforeQuery.slice(slash + 1) : '';
  const at = authority.lastIndexOf('@');
  const userinfo = at >= 0 ? authority.slice(0, at) : '';
  const hostList = at >= 0 ? authority.slice(at + 1) : authority;
  const colon = userinfo.indexOf(':');

  // Several hosts (failover) keep one port: the target has one, and so do the pg_* tools' variables.
  const specs = hostList ? hostList.split(',').map(hostAndPort) : [];
  const ports = [...new Set(specs.map((h) => h.port).filter((p): p is string => p !== undefined))];
  if (ports.length > 1) throw new RollbackKitError('The connection string names several hosts with different ports.', 'Give all hosts the same port (host1:5432,host2:5432), or name one host.');

  const params: Record<string, string> = {};
  for (const pair of query.split('&').filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw NOT_A_URL(`the query parameter "${pair.slice(0, 40)}" has no =value`);
    params[decode(pair.slice(0, eq))] = decode(pair.slice(eq + 1));
  }
  const { host: queryHost, port: queryPort, dbname, user: queryUser, password: queryPassword, ...rest2 } = params;
  return finish({
    host: queryHost ?? specs.map((h) => h.host).join(','),
    port: queryPort ?? ports[0],
    database: dbname ?? decode(path),
    user: queryUser ?? decode(colon >= 0 ? userinfo.slice(0, colon) : userinfo),
    password: queryPassword ?? (colon >= 0 ? decode(userinfo.slice(colon + 1)) : undefined),
    params: rest2,
  });
}

/** libpq key=value syntax: values may be single-quoted, with backslash escapes. */
function parseKeyValue(text: string): ConnectionTarget {
  const params: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    const keyMatch = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*/.exec(text.slice(i));
    if (!keyMatch) {
      throw new RollbackKitError(
        'The connection string is neither a postgres:// URL nor key=value pairs.',
        'Expected postgres://user:password@host:5432/dbname or host=... port=... dbname=... user=... password=....',
      );
    }
    const key = keyMatch[1]!.toLowerCase();
    i += keyMatch[0].length;
    let value = '';
    if (text[i] === "'") {
      i++;
      while (i < text.length && text[i] !== "'") {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        value += text[i];
        i++;
      }
      if (text[i] !== "'") throw new RollbackKitError(`The connection string has an unterminated quote in the value of ${key}.`);
      i++;
    } else {
      while (i < text.length && !/\s/.test(text[i]!)) {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        value += text[i];
        i++;
      }
    }
    params[key] = value;
  }
  const { host = '', port, dbname = '', user = '', password, ...rest } = params;
  return finish({ host, port, database: dbname, user, password, params: rest });
}

function finish(t: { host: string; port?: string; database: string; user: string; password?: string; params: Record<string, string> }): ConnectionTarget {
  const port = t.port ? Number(t.port) : DEFAULT_PORT;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new RollbackKitError(`The connection string has an invalid port "${t.port}".`);
  }
  // libpq connects to hostaddr when no host is named; with neither, to the local Unix socket.
  const host = t.host || t.params.hostaddr || defaultSocketDir(port);
  const user = t.user || 'postgres';
  checkSslMode(t.params.sslmode);
  // libpq's default database is the user's name.
  const database = t.database || user;
  return { host, port, database, user, password: t.password || undefined, params: t.params };
}

/**
 * Where libpq looks for the local server's socket when no host is named: its compiled-in directory,
 * /var/run/postgresql in Debian's and Ubuntu's packages, /tmp in PostgreSQL's own builds (macOS).
 * The directory that holds this port's socket, else the first that exists.
 */
const SOCKET_DIRS = ['/var/run/postgresql', '/run/postgresql', '/tmp'];

function defaultSocketDir(port: number): string {
  return SOCKET_DIRS.find((dir) => existsSync(join(dir, `.s.PGSQL.${port}`))) ?? SOCKET_DIRS.find((dir) => existsSync(dir)) ?? '/tmp';
}

/** libpq's values: any other sslmode is refused by psql and pg_dump, so it is refused here too, before anything runs. */
const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

function checkSslMode(mode: string | undefined): void {
  if (mode === undefined || SSL_MODES.includes(mode)) return;
  throw new RollbackKitError(`The connection string has an invalid sslmode "${mode.slice(0, 40)}".`, `Use one of ${SSL_MODES.join(', ')}.`);
}

/** `host:port/db`, for every message that names the database; never contains a secret. */
export function describeTarget(t: ConnectionTarget): string {
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  return `${host}:${t.port}/${t.database}`;
}

/**
 * Transaction-mode poolers (Supabase's port 6543, pgbouncer with pool_mode=transaction) hand each
 * transaction to another server session: session advisory locks, SET and pg_dump do not hold there.
 */
export function isTransactionPooler(t: ConnectionTarget): boolean {
  return t.port === 6543 || t.params.pgbouncer?.toLowerCase() === 'true';
}

export function withDatabase(t: ConnectionTarget, database: string): ConnectionTarget {
  return { ...t, database };
}

/**
 * The target as one `postgres://` URL, for programs that take nothing else (dbmate): every part
 * percent-encoded, a Unix socket directory and its port in the query (`?host=/dir&port=5432`), which
 * libpq, node-postgres and dbmate all read. It holds the password: only for a child's environment.
 */
export function connectionUrl(t: ConnectionTarget): string {
  const enc = encodeURIComponent;
  const userinfo = `${enc(t.user)}${t.password ? `:${enc(t.password)}` : ''}@`;
  const socket = t.host.startsWith('/');
  const hosts = socket ? '' : t.host.split(',').map((h) => `${h.includes(':') ? `[${h}]` : enc(h)}:${t.port}`).join(',');
  const query = [...(socket ? [['host', t.host], ['port', String(t.port)]] : []), ...Object.entries(t.params)].map(([k, v]) => `${enc(k!)}=${enc(v!)}`);
  return `postgres://${userinfo}${hosts}/${enc(t.database)}${query.length ? `?${query.join('&')}` : ''}`;
}

/**
 * TCP keepalive probes after this long without traffic: a peer that vanished (a server that lost
 * power, a NAT entry dropped) ends the session with an error instead of leaving it waiting forever.
 */
const KEEPALIVE_IDLE_MS = 10_000;

/** Options for node-postgres. `connectTimeoutMs` bounds an unreachable host. */
export function pgClientConfig(t: ConnectionTarget, opts: { connectTimeoutMs?: number; applicationName?: string } = {}): ClientConfig {
  const config: ClientConfig = {
    host: t.host,
    port: t.port,
    database: t.database,
    user: t.user,
    password: t.password,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? connectTimeoutMs(t),
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_IDLE_MS,
    application_name: t.params.application_name ?? opts.applicationName ?? 'rollback-kit',
    ssl: sslConfig(t),
  };
  if (t.params.options) config.options = t.params.options;
  return config;
}

function connectTimeoutMs(t: ConnectionTarget): number {
  const seconds = Number(t.params.connect_timeout);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 10_000;
}

function sslConfig(t: ConnectionTarget): ClientConfig['ssl'] {
  const mode = (t.params.sslmode ?? '').toLowerCase();
  // libpq's "require" encrypts without checking the certificate; verify-* check it.
  if (mode === 'require') return { rejectUnauthorized: false };
  if (mode === 'verify-ca' || mode === 'verify-full') {
    const ca = t.params.sslrootcert ? readFileSync(t.params.sslrootcert, 'utf8') : undefined;
    return { rejectUnauthorized: true, ca, ...(mode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}) };
  }
  return false;
}

const LIBPQ_ENV: Record<string, string> = {
  sslmode: 'PGSSLMODE',
  sslrootcert: 'PGSSLROOTCERT',
  sslcert: 'PGSSLCERT',
  sslkey: 'PGSSLKEY',
  application_name: 'PGAPPNAME',
  options: 'PGOPTIONS',
  connect_timeout: 'PGCONNECT_TIMEOUT',
  target_session_attrs: 'PGTARGETSESSIONATTRS',
  gssencmode: 'PGGSSENCMODE',
};

/**
 * Environment for pg_dump, pg_restore and psql. Everything goes through variables, the password
 * included, so no secret is ever in an argument list.
 */
export function libpqEnv(t: ConnectionTarget): Record<string, string> {
  const env: Record<string, string> = {
    PGHOST: t.host,
    PGPORT: String(t.port),
    PGDATABASE: t.database,
    PGUSER: t.user,
    PGCONNECT_TIMEOUT: String(Math.round(connectTimeoutMs(t) / 1000)),
    PGAPPNAME: 'rollback-kit',
  };
  if (t.password) env.PGPASSWORD = t.password;
  for (const [param, name] of Object.entries(LIBPQ_ENV)) {
    const value = t.params[param];
    if (value) env[name] = value;
  }
  return env;
}
