/**
 * Opening a database session, with PostgreSQL's and the network's failures turned into messages
 * that name the target (host:port/db) and say what to check. Never includes the password.
 */
import { finished, Readable, Writable } from 'node:stream';
import type pg from 'pg';
import { RollbackKitError } from '../core/errors.js';
import { describeTarget, isTransactionPooler, passwordHint, pgClientConfig, type ConnectionTarget } from './connection.js';

export type Session = pg.Client;

/**
 * A failure to open a session; `code` keeps the driver's or PostgreSQL's code (ECONNREFUSED, 28P01, …),
 * `fromServer` whether PostgreSQL (or a pooler in front of it) answered the startup with an error or
 * a refusal of SSL, rather than the network failing.
 */
export class ConnectionError extends RollbackKitError {
  constructor(
    message: string,
    hint: string | undefined,
    readonly code: string,
    readonly fromServer = false,
  ) {
    super(message, hint);
    this.name = 'ConnectionError';
  }

  /**
   * The server answered and refused what the connection string asks for: a password, user, database,
   * startup option, SSL requirement or pg_hba rule. That server is up and the URL is wrong, not an
   * outage. A server that is down, starting, shutting down or out of connections is an outage.
   */
  get isConfiguration(): boolean {
    return this.fromServer && !isOutageCode(this.code);
  }
}

/**
 * What a server answers at startup when it cannot serve anyone right now: out of resources (class 53:
 * too many connections, disk full, out of memory), shutting down, crashed or starting up (57P01–57P03),
 * a system or internal error (58, XX). Everything else it answers means the connection string is wrong.
 */
function isOutageCode(code: string): boolean {
  return /^(53|57P0[1-3]|58|XX)/.test(code);
}

/** PostgreSQL's ErrorResponse, as node-postgres hands it on: a five-character SQLSTATE and a severity. */
function isServerError(err: unknown): err is { code: string; message: string; severity: string } {
  const e = err as { code?: unknown; severity?: unknown } | undefined;
  return typeof e?.severity === 'string' && typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code);
}

/** The server answered "N" to the SSL request: it has no SSL, and the connection string requires it. */
const NO_SSL = /^The server does not support SSL connections$/;
/** The server asks for a password and the connection string has none. */
const NO_PASSWORD = /client password must be a (non-empty )?string/;
/** Node's TLS verification failures (sslmode=verify-ca / verify-full against a certificate that does not match). */
const TLS_VERIFY = /^(ERR_TLS_CERT_ALTNAME_INVALID|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|CERT_UNTRUSTED|CERT_SIGNATURE_FAILURE)$/;

/**
 * How long a query's answer may take before the connection is given up: the server's own bound
 * on each statement (statement_timeout), once per statement the query holds, plus room for the
 * answer to come back. Only a connection that stalls without closing (a proxy or NAT box that
 * stops forwarding) ever reaches it: the server answers every statement within its timeout.
 */
export interface QueryDeadline {
  statementMs: number;
  marginMs: number;
}

export interface ConnectOptions {
  connectTimeoutMs?: number;
  /**
   * Every transaction of the session is read-only unless it asks otherwise
   * (default_transaction_read_only=on as a startup option).
   */
  readOnly?: boolean;
  /** Bound every query's wait for its answer (see QueryDeadline); a query past it fails with QueryDeadlineExceeded. */
  queryDeadline?: QueryDeadline;
  /**
   * The run's stop (SIGTERM, SIGINT): a connection still being opened is given up at once, failing
   * with ConnectStopped. A server that does not answer would otherwise hold the stopped run for the
   * whole connect timeout, past its grace, and the run could only say that what it changed is not known.
   */
  signal?: AbortSignal;
  /**
   * Told once the server has been asked for the session (the socket connected and pg's startup, or
   * its SSL request, written), or once the attempt has ended either way. Until then the startup is
   * not on its way: a caller that holds the event loop with work of its own meanwhile (reading a
   * folder) delays the server's side of the startup by as long. Told at least once; maybe twice.
   */
  onAsked?: () => void;
}

/**
 * The stop came while the session was still being opened: nothing had been sent to the database
 * but the startup, so nothing was changed (and nothing read).
 */
export class ConnectStopped extends RollbackKitError {
  constructor(readonly where: string) {
    super(`Stopped while still connecting to PostgreSQL at ${where}: nothing had been sent to the database, so nothing was changed.`, 'Run it again when it can run to its end.', { stopped: true, changed: 'no' });
    this.name = 'ConnectStopped';
  }
}

/** A query got no answer within its deadline; the connection was closed, the query's outcome is unknown. */
export class QueryDeadlineExceeded extends Error {
  /** The code a lost connection has: code that tells connection loss apart treats it as one. */
  readonly code = 'ETIMEDOUT';

  constructor(ms: number, statements: number, marginMs: number) {
    super(`no answer within ${seconds(ms)} s (the statement timeout for each of the query's ${statements} statement(s), plus ${seconds(marginMs)} s for the answer to come back), so the connection was closed`);
    this.name = 'QueryDeadlineExceeded';
  }
}

export function seconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}

interface DeadlineState {
  deadline: QueryDeadline;
  /** Statements each query holds; undefined = no deadline. */
  statements: number | undefined;
}

const deadlines = new WeakMap<Session, DeadlineState>();

function isStream(value: unknown): value is Readable | Writable {
  return value instanceof Readable || value instanceof Writable;
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as Promise<unknown> | undefined)?.then === 'function';
}

/**
 * Every query the session sends races its deadline. At the deadline the connection is closed: the
 * query is still in flight, so nothing else could be sent on it, and its answer may never come.
 */
function enforceDeadlines(client: pg.Client, deadline: QueryDeadline): void {
  const state: DeadlineState = { deadline, statements: 1 };
  deadlines.set(client, state);
  const send = client.query.bind(client) as (...args: unknown[]) => unknown;
  const bounded = (...args: unknown[]): unknown => {
    const result = send(...args);
    if (state.statements === undefined) return result;
    const statements = state.statements;
    const ms = statements * deadline.statementMs + deadline.marginMs;
    // A COPY (pg-copy-streams) is a stream, not a promise: it must have ended by the deadline too.
    if (isStream(result)) {
      const timer = setTimeout(() => {
        dropConnection(client);
        result.destroy(new QueryDeadlineExceeded(ms, statements, deadline.marginMs));
      }, ms);
      finished(result, () => clearTimeout(timer));
      return result;
    }
    if (!isPromise(result)) return result;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        dropConnection(client);
        reject(new QueryDeadlineExceeded(ms, statements, deadline.marginMs));
      }, ms);
    });
    return Promise.race([result, expired]).finally(() => clearTimeout(timer));
  };
  Object.assign(client, { query: bounded });
}

/**
 * Runs `fn` with room for `statements` statements in each of its queries (one query holding a
 * whole migration), or with no deadline (undefined: SQL that sets statement_timeout itself, which
 * the deadline would otherwise cut short). A session without a deadline just runs `fn`.
 */
export async function withQueryDeadline<T>(session: Session, statements: number | undefined, fn: () => Promise<T>): Promise<T> {
  const state = deadlines.get(session);
  if (!state) return fn();
  const before = state.statements;
  state.statements = statements;
  try {
    return await fn();
  } finally {
    state.statements = before;
  }
}

const READ_ONLY_OPTION = '-c default_transaction_read_only=on';

export async function connect(target: ConnectionTarget, opts: ConnectOptions = {}): Promise<Session> {
  try {
    const session = await openWithOptions(target, pgClientConfig(target, opts), opts);
    if (opts.queryDeadline) enforceDeadlines(session, opts.queryDeadline);
    return session;
  } finally {
    opts.onAsked?.();
  }
}

async function openWithOptions(target: ConnectionTarget, config: pg.ClientConfig, opts: ConnectOptions): Promise<Session> {
  // A transaction pooler hands the session's startup options to server sessions others share
  // (or refuses them): there the caller's own READ ONLY transaction is what holds.
  if (!opts.readOnly || isTransactionPooler(target)) return open(target, config, opts.signal, opts.onAsked);
  try {
    // After the URL's own options, so that a `-c default_transaction_read_only=off` there loses.
    return await open(target, { ...config, options: [config.options, READ_ONLY_OPTION].filter(Boolean).join(' ') }, opts.signal, opts.onAsked);
  } catch (err) {
    // Poolers such as pgbouncer refuse startup parameters they do not know. The caller's own
    // READ ONLY transaction still holds there; the session default is a second line only.
    if (err instanceof ConnectionError && /unsupported startup parameter/i.test(err.message)) return open(target, config, opts.signal, opts.onAsked);
    throw err;
  }
}

let driver: Promise<typeof pg> | undefined;

/**
 * The driver, loaded with the first session, not with the bundle: a step that fails on its inputs
 * never needs it. As it loads, pg asks whether it runs in a Cloudflare Worker: where there is no
 * `navigator` (Node 20; Node 21 and later have one) it builds a fetch `Response` to find out, which
 * loads Node's bundled HTTP client, undici: about 50 ms of every step's start, for a class never
 * used. A `navigator` such as later Node versions have answers the question instead, for the
 * length of the import only.
 */
function loadDriver(): Promise<typeof pg> {
  driver ??= (async () => {
    const global = globalThis as { navigator?: unknown };
    const stand = global.navigator === undefined;
    if (stand) Object.defineProperty(global, 'navigator', { value: { userAgent: `Node.js/${process.versions.node}` }, configurable: true, writable: true });
    try {
      return (await import('pg')).default;
    } finally {
      if (stand) delete global.navigator;
    }
  })();
  return driver;
}

/** The parameters the server reported (ParameterStatus) for each session: at startup, and each time one changes. */
const reported = new WeakMap<Session, Map<string, string>>();

/** Keeps what the server reports of its parameters; node-postgres reads them but does not keep them. */
function keepReportedParameters(client: pg.Client): void {
  const parameters = new Map<string, string>();
  reported.set(client, parameters);
  client.connection.on('parameterStatus', (msg: { parameterName: string; parameterValue: string }) => {
    parameters.set(msg.parameterName, msg.parameterValue);
  });
}

/**
 * The session's standard_conforming_strings now: off, a backslash in a '…' string escapes the next
 * character. PostgreSQL reports it at the start and whenever it changes (a SET, RESET, or the end of
 * the transaction of a SET LOCAL), before the query that changed it completes, so this asks the
 * server only when it never did (a proxy that does not pass the reports on).
 */
export async function standardConformingStrings(session: Session): Promise<boolean> {
  const value =
    reported.get(session)?.get('standard_conforming_strings') ??
    (await session.query<{ standard_conforming_strings: string }>('SHOW standard_conforming_strings')).rows[0]!.standard_conforming_strings;
  return value === 'on';
}

async function open(target: ConnectionTarget, config: pg.ClientConfig, signal: AbortSignal | undefined, onAsked?: () => void): Promise<Session> {
  const { Client } = await loadDriver();
  if (signal?.aborted) throw new ConnectStopped(describeTarget(target));
  const client = new Client(config);
  // A dropped connection must surface on the next query, not crash the process.
  client.on('error', () => undefined);
  // Before connecting: the server reports every parameter's starting value during the startup.
  keepReportedParameters(client);
  // As pg's own connect timeout ends an attempt: the socket closed, so connect() fails at once.
  const giveUp = () => dropConnection(client);
  signal?.addEventListener('abort', giveUp, { once: true });
  try {
    const connecting = client.connect();
    // After pg's own listener, which writes the startup (or the SSL request) as the socket connects.
    if (onAsked) client.connection.once('connect', onAsked);
    await connecting;
  } catch (err) {
    if (signal?.aborted) {
      // Not awaited: the socket is already gone, and the stopped run has no time to wait on it.
      void client.end().catch(() => undefined);
      throw new ConnectStopped(describeTarget(target));
    }
    await client.end().catch(() => undefined);
    throw connectionError(target, err);
  } finally {
    signal?.removeEventListener('abort', giveUp);
  }
  return client;
}

/**
 * Ends a session as libpq's PQfinish does: Terminate sent and our side closed, without holding the
 * process until the server's backend has exited and closed its side, which pg's end() waits for
 * (20–40 ms of every run's end on a busy server, with nothing of ours left to do). Whatever must
 * land before the end (a commit, a lock released) is awaited before this is called.
 */
export function closeSession(session: Session): Promise<void> {
  const ended = session.end().catch(() => undefined);
  (session.connection?.stream as { unref?: () => void } | undefined)?.unref?.();
  // Resolves once the server has closed its side, its backend gone: for a caller that must stay
  // within a connection limit before it opens another (restore-db's lock watcher).
  return ended;
}

/**
 * Closes a session's socket at once, sending nothing: for a connection that may be stalled (a query
 * past its deadline, a connect or a wait a stop ends), where end() would wait on it. Its query in
 * flight, if any, then fails as the connection closes.
 */
export function dropConnection(session: Session): void {
  (session.connection?.stream as { destroy?: () => void } | undefined)?.destroy?.();
}

/**
 * Closes a session at the run's stop (at once if it already came), for a session that only reads
 * before anything is changed (a plan): whatever it waits for then (a table lock, up to
 * lock-timeout) ends at once, instead of outlasting the stop's grace so that the run could only say
 * its state is not known. Never for a session whose work must not be cut anywhere. Returns what
 * removes the listener.
 */
export function closeAtStop(session: Session, signal: AbortSignal | undefined): () => void {
  if (!signal) return () => undefined;
  const close = () => dropConnection(session);
  if (signal.aborted) close();
  else signal.addEventListener('abort', close, { once: true });
  return () => signal.removeEventListener('abort', close);
}

/** Runs `fn` with a session and always closes it. */
export async function withSession<T>(target: ConnectionTarget, fn: (s: Session) => Promise<T>, opts: Pick<ConnectOptions, 'connectTimeoutMs' | 'queryDeadline' | 'signal'> = {}): Promise<T> {
  const session = await connect(target, opts);
  try {
    return await fn(session);
  } finally {
    closeSession(session);
  }
}

export function connectionError(target: ConnectionTarget, err: unknown): ConnectionError {
  const where = describeTarget(target);
  const e = err as { code?: string; message?: string };
  const code = e?.code ?? '';
  const message = e?.message ?? String(err);
  const fromServer = isServerError(err);
  const fail = (text: string, hint?: string, refused = fromServer) => new ConnectionError(text, hint, code, refused);
  switch (code) {
    case 'ECONNREFUSED':
      return fail(`Cannot reach PostgreSQL at ${where}: connection refused.`, 'Check the host and port in database-url and that the server is running.');
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return fail(`Cannot reach PostgreSQL at ${where}: host "${target.host}" not found.`, 'Check the host name in database-url.');
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return fail(`Cannot reach PostgreSQL at ${where}: no answer (${code}).`, 'Check the host, port and firewall; GitHub-hosted runners reach only IPv4 addresses.');
    case '28P01':
      return fail(`PostgreSQL at ${where} rejected the password for user "${target.user}".`, `Check the password in database-url: ${passwordHint(target)}.`);
    case '28000':
      return fail(`PostgreSQL at ${where} refused user "${target.user}": ${message}.`, 'Check the user name and the server\'s pg_hba.conf / SSL requirements (sslmode=require).');
    case '3D000':
      return fail(`Database "${target.database}" does not exist on ${target.host}:${target.port}.`, 'Check the database name in database-url.');
    case '53300':
      return fail(`PostgreSQL at ${where} has no free connection slots.`, 'Use a session pooler or free connections, then retry.');
  }
  if (NO_SSL.test(message)) {
    return fail(`PostgreSQL at ${where} does not accept SSL, and database-url requires it (sslmode=${target.params.sslmode ?? 'require'}).`, 'Turn SSL on at the server, or use sslmode=prefer (or disable) for a server that has none.', true);
  }
  if (NO_PASSWORD.test(message)) {
    return fail(`PostgreSQL at ${where} asks user "${target.user}" for a password, and database-url has none.`, target.keyValue ? `Put the password in database-url: ${passwordHint(target)}.` : 'Put the password in database-url (postgres://user:password@host/db, percent-encoded).', true);
  }
  if (TLS_VERIFY.test(code)) {
    return fail(`PostgreSQL at ${where}: its certificate does not pass sslmode=${target.params.sslmode ?? 'verify-full'} (${code}).`, 'Check sslrootcert and the host name in database-url against the server\'s certificate.', true);
  }
  if (fromServer && !isOutageCode(code)) {
    return fail(`PostgreSQL at ${where} refused the connection: ${message} (SQLSTATE ${code}).`, 'Check the parameters of database-url (options, sslmode, user, database) against what the server accepts.');
  }
  if (/timeout/i.test(message)) {
    return fail(`Cannot reach PostgreSQL at ${where}: no answer within the connect timeout.`, 'Check the host, port and firewall; GitHub-hosted runners reach only IPv4 addresses.');
  }
  // Something answered at that port and then hung up without a word of PostgreSQL's protocol: most
  // often not a PostgreSQL server at all (an HTTP port), a proxy or load balancer that cuts the
  // session, or a server that takes only TLS. Said as the refused and timeout cases are: what to check.
  if (code === 'ECONNRESET' || /connection terminated unexpectedly|socket hang up/i.test(message)) {
    const tls = !target.params.sslmode || /^(disable|allow|prefer)$/.test(target.params.sslmode) ? '; or it requires TLS: add sslmode=require to database-url' : '';
    return fail(
      `Cannot connect to PostgreSQL at ${where}: the server closed the connection before it answered (${message.replace(/\.$/, '')}).`,
      `Check that ${target.host}:${target.port} is a PostgreSQL server (not an HTTP port, an SSH tunnel that is down, or a proxy or load balancer that cuts the session)${tls}.`,
    );
  }
  return fail(`Cannot connect to PostgreSQL at ${where}: ${message}.`);
}
