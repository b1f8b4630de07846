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
import { libpqPairs } from '../core/libpq-pairs.js';
import { POSTGRES_URL, registerConnectionSecrets } from '../core/url-secrets.js';

export interface ConnectionTarget {
  host: string;
  port: number;
  database: string;
  user: string;
  password?: string;
  /** Other libpq parameters (sslmode, application_name, options, pgbouncer, …). */
  params: Record<string, string>;
  /**
   * Written as libpq key=value pairs, not as a URL: its values are taken as written (quoted with '…',
   * \ escaping), never percent-decoded, so a hint about the password must say so (passwordHint).
   */
  keyValue?: true;
}

const DEFAULT_PORT = 5432;

/** Parses a `postgres://` URL or a `key=value` string and masks its password in `log`. */
export function parseConnectionString(raw: string, log?: Log): ConnectionTarget {
  const text = raw.trim();
  // The whole string (users paste it into other inputs and messages) and the password in every form
  // (as written, percent-encoded, in the query), before any message can show it.
  if (log) registerConnectionSecrets(text, log);
  if (!text) throw new RollbackKitError('The connection string is empty.', 'Pass a URL such as postgres://user:password@host:5432/dbname.');
  const isUrl = POSTGRES_URL.test(text);
  const target = isUrl ? parseUrl(text) : parseKeyValue(text);
  log?.secret(target.password, 'declared', 'the password in the connection string');
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
  const authorityEnd = head.search(/[/?#]/);
  // A query parameter with an @ before any = (`/db?rest@host`) is no value's: a raw / then ? in the
  // password ended the path there, and what the URL holds after it is the password's end and the host.
  const queryAt = query >= 0 && rest.slice(query + 1).split('&').some((pair) => pair.includes('@') && !pair.slice(0, pair.indexOf('@')).includes('='));
  if (queryAt || (lastAt >= 0 && authorityEnd >= 0 && authorityEnd < lastAt)) {
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
  const rest = text.replace(POSTGRES_URL, '');
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
    // Not quoted: a malformed URL's pieces may be its password's (checkUserInfo).
    if (eq <= 0) throw NOT_A_URL('a query parameter (after the ?) has no name=value');
    params[decode(pair.slice(0, eq))] = decode(pair.slice(eq + 1));
  }
  // libpq reads JDBC's ssl=true in a URL as sslmode=require.
  if (params.ssl === 'true') {
    delete params.ssl;
    params.sslmode ??= 'require';
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
  const params = libpqPairs(text);
  const { host = '', port, dbname = '', user = '', password, ...rest } = params;
  return { ...finish({ host, port, database: dbname, user, password, params: rest }, true), keyValue: true };
}

/**
 * How to write the password in the form of connection string the user gave: percent-encoding is
 * right for a URL and wrong for key=value pairs, where libpq decodes nothing (following it would
 * turn a right password into a wrong one).
 */
export function passwordHint(target: Pick<ConnectionTarget, 'keyValue'>): string {
  return target.keyValue
    ? "in key=value form, write it as password='…', with each ' and \\ in it escaped by a \\ (\\' and \\\\); it is taken as written, never percent-decoded"
    : 'in a URL, special characters must be percent-encoded (@ as %40, / as %2F, # as %23, ? as %3F, % as %25, : as %3A)';
}

function finish(t: { host: string; port?: string; database: string; user: string; password?: string; params: Record<string, string> }, keyValue = false): ConnectionTarget {
  const port = t.port ? Number(t.port) : DEFAULT_PORT;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    // Not quoted: with no @ before the host, the user name and password are read as host and port.
    throw new RollbackKitError(
      'The connection string has an invalid port: it must be a number from 1 to 65535.',
      'If the URL has no @ before the host, its user name and password were read as the host and the port: write postgres://user:password@host:5432/dbname.',
    );
  }
  refuseUnhonoured(t.host, t.params, keyValue);
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

const ONE_SERVER = 'Name the one server to use (the primary) as the only host: postgres://user:password@host:5432/dbname.';
const SPELL_IT_OUT = 'Give the connection as a URL with its host, port, dbname and user: postgres://user:password@host:5432/dbname.';

/**
 * libpq parameters that rollback-kit's own sessions (node-postgres) do not read the way pg_dump,
 * pg_restore and psql do. A connection string that relies on one would have those reach another
 * server than the sessions that check, count and lock, or reach it another way; so it is refused
 * before anything connects, naming the parameter and what to give instead. `accepts`: the values
 * that ask for nothing beyond what the sessions do anyway (mostly libpq's defaults). Parameters that
 * are not libpq's (a migration tool's own, such as search_path or Prisma's schema) are left to the
 * tools that read them. Values are never repeated: sslpassword and oauth_client_secret are secrets.
 */
const UNHONOURED: Record<string, { why: string; instead: string | ((keyValue: boolean) => string); accepts?: string[] }> = {
  service: { why: 'rollback-kit\'s own sessions do not read pg_service.conf', instead: SPELL_IT_OUT },
  servicefile: { why: 'rollback-kit\'s own sessions do not read pg_service.conf', instead: SPELL_IT_OUT },
  passfile: { why: 'rollback-kit\'s own sessions read only ~/.pgpass or the file PGPASSFILE names', instead: (keyValue) => `Put the password in the connection string, from a secret: ${passwordHint({ keyValue: keyValue || undefined })}.` },
  target_session_attrs: { why: 'it picks among several hosts by their role, and rollback-kit connects to one server without asking its role', instead: ONE_SERVER, accepts: ['any'] },
  load_balance_hosts: { why: 'it spreads connections over several servers, and every session of a rollback must reach the same one', instead: ONE_SERVER, accepts: ['disable'] },
  requiressl: { why: 'it is libpq\'s old spelling of sslmode=require', instead: 'Use sslmode=require (or verify-full).' },
  sslpassword: { why: 'rollback-kit\'s own sessions cannot open an encrypted client key', instead: 'Use an unencrypted key file (written from a secret in an earlier step) in sslkey.' },
  sslcrl: { why: 'rollback-kit\'s own sessions do not check certificate revocation lists', instead: 'Leave it out, or connect with sslmode=verify-full and a current sslrootcert.' },
  sslcrldir: { why: 'rollback-kit\'s own sessions do not check certificate revocation lists', instead: 'Leave it out, or connect with sslmode=verify-full and a current sslrootcert.' },
  sslcertmode: { why: 'rollback-kit\'s own sessions send the client certificate whenever sslcert names one', instead: 'Leave it out.', accepts: ['allow'] },
  sslsni: { why: 'rollback-kit\'s own sessions always send the host name (SNI)', instead: 'Leave it out.', accepts: ['1'] },
  sslnegotiation: { why: 'rollback-kit\'s own sessions negotiate SSL the PostgreSQL way only', instead: 'Leave it out.', accepts: ['postgres'] },
  sslcompression: { why: 'SSL compression is not available', instead: 'Leave it out.', accepts: ['0'] },
  ssl_min_protocol_version: { why: 'rollback-kit\'s own sessions use Node.js\'s TLS versions', instead: 'Leave it out.' },
  ssl_max_protocol_version: { why: 'rollback-kit\'s own sessions use Node.js\'s TLS versions', instead: 'Leave it out.' },
  min_protocol_version: { why: 'rollback-kit\'s own sessions speak protocol 3.0 only', instead: 'Leave it out.' },
  max_protocol_version: { why: 'rollback-kit\'s own sessions speak protocol 3.0 only', instead: 'Leave it out.' },
  require_auth: { why: 'rollback-kit\'s own sessions do not limit the authentication methods the server may ask for', instead: 'Leave it out.' },
  channel_binding: { why: 'rollback-kit\'s own sessions do not use SCRAM channel binding', instead: 'Leave it out (or use channel_binding=prefer).', accepts: ['disable', 'prefer'] },
  requirepeer: { why: 'rollback-kit\'s own sessions do not check the server process\'s user', instead: 'Leave it out.' },
  gssencmode: { why: 'rollback-kit\'s own sessions have no GSSAPI encryption', instead: 'Use sslmode=require (or verify-full) instead.', accepts: ['disable', 'prefer'] },
  krbsrvname: { why: 'rollback-kit\'s own sessions have no Kerberos (GSSAPI) authentication', instead: 'Use password authentication over SSL.' },
  gsslib: { why: 'rollback-kit\'s own sessions have no GSSAPI authentication', instead: 'Use password authentication over SSL.' },
  gssdelegation: { why: 'rollback-kit\'s own sessions have no GSSAPI authentication', instead: 'Leave it out.', accepts: ['0'] },
  keepalives: { why: 'rollback-kit\'s own sessions always turn TCP keepalive on', instead: 'Leave it out.', accepts: ['1'] },
  keepalives_idle: { why: 'rollback-kit\'s own sessions set their own TCP keepalive (10 s)', instead: 'Leave it out.' },
  keepalives_interval: { why: 'rollback-kit\'s own sessions set their own TCP keepalive (10 s)', instead: 'Leave it out.' },
  keepalives_count: { why: 'rollback-kit\'s own sessions set their own TCP keepalive (10 s)', instead: 'Leave it out.' },
  tcp_user_timeout: { why: 'rollback-kit\'s own sessions do not set it', instead: 'Leave it out.' },
  client_encoding: { why: 'rollback-kit\'s own sessions read and write UTF-8', instead: 'Leave it out.', accepts: ['UTF8', 'utf8', 'UTF-8', 'utf-8'] },
  replication: { why: 'a replication connection cannot run the queries rollback-kit needs', instead: 'Leave it out.' },
  oauth_issuer: { why: 'rollback-kit\'s own sessions have no OAuth authentication', instead: 'Use password authentication over SSL.' },
  oauth_client_id: { why: 'rollback-kit\'s own sessions have no OAuth authentication', instead: 'Use password authentication over SSL.' },
  oauth_client_secret: { why: 'rollback-kit\'s own sessions have no OAuth authentication', instead: 'Use password authentication over SSL.' },
  oauth_scope: { why: 'rollback-kit\'s own sessions have no OAuth authentication', instead: 'Use password authentication over SSL.' },
};

/** sslcert and sslkey go with an SSL session: libpq's prefer and allow would send them where rollback-kit's sessions use none. */
const SSL_SESSION_MODES = ['require', 'verify-ca', 'verify-full'];

/** Refuses every libpq parameter (and host list) whose meaning rollback-kit would not keep exactly; see UNHONOURED. */
function refuseUnhonoured(host: string, params: Record<string, string>, keyValue: boolean): void {
  const refuse = (what: string, why: string, instead: string) => new RollbackKitError(`The connection string's ${what} cannot be honoured: ${why}, so pg_dump, pg_restore and psql would connect otherwise than rollback-kit's own sessions.`, `${instead} Nothing was touched.`);
  const hosts = host.split(',');
  if (hosts.length > 1) throw refuse(`host list (${hosts.length} hosts: ${hosts.join(', ')})`, 'libpq tries the hosts in turn, and rollback-kit connects to one server only', ONE_SERVER);
  const hostaddr = params.hostaddr;
  if (hostaddr !== undefined) {
    if (hostaddr.includes(',')) throw refuse('hostaddr list', 'libpq tries the addresses in turn, and rollback-kit connects to one server only', ONE_SERVER);
    // Alone it is simply where to connect (finish() takes it as the host); beside another host name,
    // libpq connects to it and checks the certificate against the name, which rollback-kit cannot do.
    if (host && hostaddr !== host) throw refuse(`hostaddr (${hostaddr}, with host ${host})`, 'libpq connects to hostaddr and keeps host for the certificate check, and rollback-kit connects to host', 'Give the address to connect to as the host, and leave hostaddr out.');
  }
  for (const [param, value] of Object.entries(params)) {
    const rule = UNHONOURED[param];
    if (!rule || rule.accepts?.includes(value)) continue;
    const allowed = rule.accepts ? ` (only ${rule.accepts.map((v) => `${param}=${v}`).join(' or ')} is)` : '';
    throw refuse(param, `${rule.why}${allowed}`, typeof rule.instead === 'string' ? rule.instead : rule.instead(keyValue));
  }
  for (const param of ['sslcert', 'sslkey']) {
    if (params[param] && !SSL_SESSION_MODES.includes(params.sslmode ?? '')) {
      throw refuse(`${param} without sslmode=require`, `with sslmode ${params.sslmode ?? 'prefer (the default)'} libpq may send the client certificate over SSL, and rollback-kit's own sessions use SSL only with sslmode require, verify-ca or verify-full`, 'Add sslmode=require (or verify-full with sslrootcert).');
    }
  }
}

/** libpq's values: any other sslmode is refused by psql and pg_dump, so it is refused here too, before anything runs. */
const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

function checkSslMode(mode: string | undefined): void {
  if (mode === undefined || SSL_MODES.includes(mode)) return;
  // Quoted only when it reads as a mode name: a malformed URL's value may hold part of its password.
  const shown = /^[A-Za-z-]{1,20}$/.test(mode) ? ` "${mode}"` : '';
  throw new RollbackKitError(`The connection string has an invalid sslmode${shown}.`, `Use one of ${SSL_MODES.join(', ')}.`);
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

/**
 * The one refusal of a transaction-mode pooler, for every step and the CLI: `what` is what would not
 * hold there ("pg_dump's one session for the whole dump"). Undefined when the target is not one.
 * Made before anything is asked, so nothing was changed.
 */
export function transactionPoolerRefusal(t: ConnectionTarget, what: string): RollbackKitError | undefined {
  if (!isTransactionPooler(t)) return undefined;
  return new RollbackKitError(
    `${describeTarget(t)} is a transaction-mode pooler: it hands each transaction to another server session, so ${what} would not hold.`,
    'Use the session pooler or the direct connection (port 5432; on Supabase the "Session pooler" connection string). Nothing was changed.',
    { changed: 'no' },
  );
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

/** The application_name a node-postgres session of ours sends at startup: the connection string's, else `name`, else rollback-kit. */
export function clientApplicationName(t: ConnectionTarget, name?: string): string {
  return t.params.application_name ?? name ?? 'rollback-kit';
}

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
    application_name: clientApplicationName(t, opts.applicationName),
    ssl: sslConfig(t),
  };
  if (t.params.options) config.options = t.params.options;
  return config;
}

function connectTimeoutMs(t: ConnectionTarget): number {
  const seconds = Number(t.params.connect_timeout);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 10_000;
}

/**
 * How long a pg_* tool may take to open its connection: its PGCONNECT_TIMEOUT (libpqEnv writes it from connectTimeoutMs), which
 * libpq takes as at least 2 s. That is for each address it tries (a name with several, an SSL
 * attempt then one without): the stall time that follows this covers a few of those.
 */
export function toolConnectMs(t: ConnectionTarget): number {
  return Math.max(2, Math.round(connectTimeoutMs(t) / 1000)) * 1000;
}

function sslConfig(t: ConnectionTarget): ClientConfig['ssl'] {
  const mode = (t.params.sslmode ?? '').toLowerCase();
  // The client certificate, as libpq sends it (refuseUnhonoured lets sslcert through only with these modes).
  const client = {
    ...(t.params.sslcert ? { cert: readFileSync(t.params.sslcert, 'utf8') } : {}),
    ...(t.params.sslkey ? { key: readFileSync(t.params.sslkey, 'utf8') } : {}),
  };
  // libpq's "require" encrypts without checking the certificate; verify-* check it.
  if (mode === 'require') return { rejectUnauthorized: false, ...client };
  if (mode === 'verify-ca' || mode === 'verify-full') {
    // sslrootcert=system is the system's certificate store (libpq 16): Node.js's own store here.
    const root = t.params.sslrootcert;
    const ca = root && root !== 'system' ? readFileSync(root, 'utf8') : undefined;
    return { rejectUnauthorized: true, ca, ...client, ...(mode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}) };
  }
  return false;
}

/**
 * What pg_dump and psql connect with besides libpqEnv's variables, as the conninfo string given for
 * their database (`--dbname`); the rest (host, port, database, user) still comes from those
 * variables. libpq turns TCP keepalive on by default but leaves its timing to the system (two hours
 * on Linux), and has no variable for it: a connection whose peer vanished (a server that lost
 * power, a NAT entry dropped) would leave a dump or a restore, and the locks the restore's
 * transaction holds on the server's side until it notices, waiting for hours. With these the
 * tool's connection fails after about 40 s without an answer to a probe (keepalives_*), or 60 s
 * with data unacknowledged (tcp_user_timeout, PostgreSQL 12 and later), as rollback-kit's own
 * sessions do (KEEPALIVE_IDLE_MS). The connection string may not set them itself (UNHONOURED).
 * A Unix socket ignores them. A peer that answers TCP but forwards nothing (a proxy that stalls)
 * is not caught by these: the tool's own timeout is the bound there.
 */
export function toolConninfo(toolMajor: number): string {
  const keepalive = `keepalives=1 keepalives_idle=${KEEPALIVE_IDLE_MS / 1000} keepalives_interval=10 keepalives_count=3`;
  return toolMajor >= 12 ? `${keepalive} tcp_user_timeout=60000` : keepalive;
}

/** The connection string's parameters that reach the pg_* tools, and the variable each goes in. */
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
  channel_binding: 'PGCHANNELBINDING',
  load_balance_hosts: 'PGLOADBALANCEHOSTS',
};

/**
 * libpq's variables that node-postgres does not read: one left in the runner's environment would
 * steer the pg_* tools and not rollback-kit's own sessions. PGSERVICE is the worst: the service
 * file's host and dbname win over PGHOST and PGDATABASE, so psql would restore into the service's
 * database while every check ran on database-url's. PGCLIENTENCODING would have pg_dump write in
 * another encoding than the database's, which restore-db reads its scripts in. Each is set from the
 * connection string or removed from the child's environment. (PGPASSWORD, PGPASSFILE and PGOPTIONS
 * are read by both, so they stay as they are when the string does not set them.)
 */
const TOOL_ONLY_VARIABLES = [
  'PGHOSTADDR', 'PGSERVICE', 'PGSERVICEFILE', 'PGREQUIRESSL', 'PGSSLMODE', 'PGSSLNEGOTIATION', 'PGSSLCOMPRESSION', 'PGSSLCERT', 'PGSSLKEY',
  'PGSSLCERTMODE', 'PGSSLROOTCERT', 'PGSSLCRL', 'PGSSLCRLDIR', 'PGSSLSNI', 'PGSSLMINPROTOCOLVERSION', 'PGSSLMAXPROTOCOLVERSION',
  'PGMINPROTOCOLVERSION', 'PGMAXPROTOCOLVERSION', 'PGREQUIREPEER', 'PGREQUIREAUTH', 'PGCHANNELBINDING', 'PGGSSENCMODE', 'PGKRBSRVNAME',
  'PGGSSLIB', 'PGGSSDELEGATION', 'PGTARGETSESSIONATTRS', 'PGLOADBALANCEHOSTS', 'PGCLIENTENCODING',
] as const;

/** The variables a pg_* tool is started with: an undefined one is removed from its environment. */
export type LibpqEnv = Partial<Record<(typeof TOOL_ONLY_VARIABLES)[number], string>> & Record<'PGHOST' | 'PGPORT' | 'PGDATABASE' | 'PGUSER' | 'PGCONNECT_TIMEOUT' | 'PGAPPNAME', string> & { PGPASSWORD?: string };

/**
 * Environment for pg_dump, pg_restore and psql. Everything goes through variables, the password
 * included, so no secret is ever in an argument list; and only what the connection string says
 * reaches them, so they connect exactly where and how rollback-kit's own sessions do.
 */
export function libpqEnv(t: ConnectionTarget): LibpqEnv {
  const env: Record<string, string | undefined> = Object.fromEntries(TOOL_ONLY_VARIABLES.map((name) => [name, undefined]));
  Object.assign(env, {
    PGHOST: t.host,
    PGPORT: String(t.port),
    PGDATABASE: t.database,
    PGUSER: t.user,
    PGCONNECT_TIMEOUT: String(Math.round(connectTimeoutMs(t) / 1000)),
    PGAPPNAME: 'rollback-kit',
  });
  if (t.password) env.PGPASSWORD = t.password;
  for (const [param, name] of Object.entries(LIBPQ_ENV)) {
    const value = t.params[param];
    if (value) env[name] = value;
  }
  return env as LibpqEnv;
}
