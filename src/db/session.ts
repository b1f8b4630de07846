/**
 * Opening a database session, with PostgreSQL's and the network's failures turned into messages
 * that name the target (host:port/db) and say what to check. Never includes the password.
 */
import type pg from 'pg';
import { RollbackKitError } from '../core/errors.js';
import { describeTarget, isTransactionPooler, pgClientConfig, type ConnectionTarget } from './connection.js';

export type Session = pg.Client;

/** A failure to open a session; `code` keeps the driver's or PostgreSQL's code (ECONNREFUSED, 28P01, …). */
export class ConnectionError extends RollbackKitError {
  constructor(
    message: string,
    hint: string | undefined,
    readonly code: string,
  ) {
    super(message, hint);
    this.name = 'ConnectionError';
  }

  /** The server answered and refused us: bad password or user (28P01, 28000) or no such database (3D000), not an outage. */
  get isConfiguration(): boolean {
    return ['28P01', '28000', '3D000'].includes(this.code);
  }
}

export interface ConnectOptions {
  connectTimeoutMs?: number;
  /**
   * Every transaction of the session is read-only unless it asks otherwise
   * (default_transaction_read_only=on as a startup option).
   */
  readOnly?: boolean;
}

const READ_ONLY_OPTION = '-c default_transaction_read_only=on';

export async function connect(target: ConnectionTarget, opts: ConnectOptions = {}): Promise<Session> {
  const config = pgClientConfig(target, opts);
  // A transaction pooler hands the session's startup options to server sessions others share
  // (or refuses them): there the caller's own READ ONLY transaction is what holds.
  if (!opts.readOnly || isTransactionPooler(target)) return open(target, config);
  try {
    // After the URL's own options, so that a `-c default_transaction_read_only=off` there loses.
    return await open(target, { ...config, options: [config.options, READ_ONLY_OPTION].filter(Boolean).join(' ') });
  } catch (err) {
    // Poolers such as pgbouncer refuse startup parameters they do not know. The caller's own
    // READ ONLY transaction still holds there; the session default is a second line only.
    if (err instanceof ConnectionError && /unsupported startup parameter/i.test(err.message)) return open(target, config);
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

async function open(target: ConnectionTarget, config: pg.ClientConfig): Promise<Session> {
  const client = new (await loadDriver()).Client(config);
  // A dropped connection must surface on the next query, not crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw connectionError(target, err);
  }
  return client;
}

/**
 * Ends a session as libpq's PQfinish does: Terminate sent and our side closed, without holding the
 * process until the server's backend has exited and closed its side, which pg's end() waits for
 * (20–40 ms of every run's end on a busy server, with nothing of ours left to do). Whatever must
 * land before the end (a commit, a lock released) is awaited before this is called.
 */
export function closeSession(session: Session): void {
  session.end().catch(() => undefined);
  (session.connection?.stream as { unref?: () => void } | undefined)?.unref?.();
}

/** Runs `fn` with a session and always closes it. */
export async function withSession<T>(target: ConnectionTarget, fn: (s: Session) => Promise<T>, opts: { connectTimeoutMs?: number } = {}): Promise<T> {
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
  const fail = (text: string, hint?: string) => new ConnectionError(text, hint, code);
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
      return fail(`PostgreSQL at ${where} rejected the password for user "${target.user}".`, 'Check the password in database-url (special characters must be percent-encoded).');
    case '28000':
      return fail(`PostgreSQL at ${where} refused user "${target.user}": ${message}.`, 'Check the user name and the server\'s pg_hba.conf / SSL requirements (sslmode=require).');
    case '3D000':
      return fail(`Database "${target.database}" does not exist on ${target.host}:${target.port}.`, 'Check the database name in database-url.');
    case '53300':
      return fail(`PostgreSQL at ${where} has no free connection slots.`, 'Use a session pooler or free connections, then retry.');
  }
  if (/timeout/i.test(message)) {
    return fail(`Cannot reach PostgreSQL at ${where}: no answer within the connect timeout.`, 'Check the host, port and firewall; GitHub-hosted runners reach only IPv4 addresses.');
  }
  return fail(`Cannot connect to PostgreSQL at ${where}: ${message}.`);
}
