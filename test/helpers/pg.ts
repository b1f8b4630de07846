/**
 * Real PostgreSQL for tests: DATABASE_URL if set, else 127.0.0.1:5432 as postgres. Each test file
 * gets databases of its own, created here and dropped when the file ends.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll } from 'vitest';

import { ADMIN_URL, HOW_TO_START } from './pg-env.js';

export { ADMIN_URL, HOW_TO_START };

function urlFor(database: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function adminQuery<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<T>> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`${HOW_TO_START} (${(err as Error).message})`);
  }
  try {
    return await client.query<T>(sql, params);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<T>>;
  drop(): Promise<void>;
}

const created: TestDatabase[] = [];

// Registered when a test file imports this module (collection time): a hook added later, from
// inside beforeAll or a test, would never run and leave databases behind.
afterAll(async () => {
  for (const d of created.splice(0)) await d.drop();
});

/**
 * Creates an empty database, dropped after the test file's last test. `encoding` (LATIN1, say) makes
 * it one whose dumps are not UTF-8.
 */
export async function createTestDatabase(prefix = 'rk_test', encoding?: string): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  await adminQuery(`CREATE DATABASE "${name}"${encoding ? ` ENCODING '${encoding}' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0` : ''}`);
  const url = urlFor(name);
  const db: TestDatabase = {
    name,
    url,
    async query(sql, params = []) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return await client.query(sql, params);
      } finally {
        await client.end();
      }
    },
    async drop() {
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
  created.push(db);
  return db;
}

export interface HeldLock {
  /** The holding session's backend pid. */
  pid: number;
  release(): Promise<void>;
}

/**
 * Another session holding a table lock and sitting idle in its transaction, as a busy production or
 * a stuck migration would; `release` rolls it back. ACCESS SHARE blocks DROP and ALTER; ACCESS
 * EXCLUSIVE blocks even reads (pg_dump).
 */
export async function holdTableLock(db: TestDatabase, table: string, mode = 'ACCESS SHARE'): Promise<HeldLock & (() => Promise<void>)> {
  const blocker = new pg.Client({ connectionString: db.url });
  // A test that fails before releasing it drops its database, which ends this session: an error
  // event then, not an uncaught exception that vitest blames on whichever test runs next.
  blocker.on('error', () => undefined);
  await blocker.connect();
  const pid = (await blocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  await blocker.query('BEGIN');
  // Its last query, as pg_stat_activity shows it to whoever it blocks.
  await blocker.query(`LOCK TABLE ${table} IN ${mode} MODE`);
  const release = async () => {
    await blocker.query('ROLLBACK');
    await blocker.end();
  };
  return Object.assign(release, { pid, release });
}

/** Which sessions `lockWaiters` and `waitForLockWaiter` look for; every field given must match. */
export interface LockWaitFilter {
  /** In this database (its name). */
  database?: string;
  /** Whose application_name is LIKE this pattern (`rollback-kit-restore-%`). */
  applicationName?: string;
  /** This backend. */
  pid?: number;
  /** Whose current query is ILIKE this pattern (`%DROP%`). */
  query?: string;
}

export interface LockWaiter {
  pid: number;
  query: string;
}

/** The sessions matching `filter` that wait on a heavyweight lock now (pg_stat_activity's wait_event_type 'Lock'). */
export async function lockWaiters(filter: LockWaitFilter): Promise<LockWaiter[]> {
  const conditions = ["wait_event_type = 'Lock'"];
  const params: unknown[] = [];
  const match = (sql: string, value: unknown) => {
    if (value === undefined) return;
    params.push(value);
    conditions.push(`${sql} $${params.length}`);
  };
  match('datname =', filter.database);
  match('application_name LIKE', filter.applicationName);
  match('pid =', filter.pid);
  match('query ILIKE', filter.query);
  const { rows } = await adminQuery<LockWaiter>(`SELECT pid, query FROM pg_stat_activity WHERE ${conditions.join(' AND ')} ORDER BY pid`, params);
  return rows;
}

/** How long `waitForLockWaiter` polls by default: well under a test's limit, so its own error is what fails. */
const LOCK_WAIT_TIMEOUT_MS = 30_000;
const LOCK_WAIT_POLL_MS = 20;

/**
 * The first session matching `filter` that waits on a lock, once there is one. Bounded: rejects
 * after `timeoutMs` (default 30 s) saying what it looked for. `unless` is the work that should come
 * to wait: if it ends first, polling stops and its outcome is this one's (a run that fails before it
 * waits is that failure, not a wait for ever; one that succeeds resolves undefined).
 */
export async function waitForLockWaiter(filter: LockWaitFilter, opts: { timeoutMs?: number; unless?: Promise<unknown> } = {}): Promise<LockWaiter | undefined> {
  const timeoutMs = opts.timeoutMs ?? LOCK_WAIT_TIMEOUT_MS;
  let ended: { ok: true } | { ok: false; err: unknown } | undefined;
  opts.unless?.then(
    () => (ended = { ok: true }),
    (err: unknown) => (ended = { ok: false, err }),
  );
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (ended) {
      if (ended.ok) return undefined;
      throw ended.err;
    }
    const [first] = await lockWaiters(filter);
    if (first) return first;
    if (Date.now() >= deadline) throw new Error(`No session ${JSON.stringify(filter)} waited for a lock within ${timeoutMs / 1000} s.`);
    await new Promise((r) => setTimeout(r, LOCK_WAIT_POLL_MS));
  }
}
