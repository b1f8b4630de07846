// A CONCURRENTLY index statement commits its invalid index before its work is done: CREATE INDEX
// CONCURRENTLY and REINDEX CONCURRENTLY create it, then wait for older transactions to end (a Lock
// wait); DROP INDEX CONCURRENTLY marks its index invalid, then waits. Ended in that wait (a stop's
// cancel, lock_timeout), the statement left an invalid index that progress never recorded: a re-run
// failed on it ("already exists") or, with IF NOT EXISTS, kept it and counted the migration
// reverted. The error now names what was left and the statement that clears it; a re-run refuses to
// keep one in its way.
import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { RevertFailed, revertMigrations, type RevertOptions } from '../../src/migrations/revert.js';
import { createTestDatabase, holdTableLock, type TestDatabase } from '../helpers/pg.js';
import { startWireLog } from '../helpers/wire-log.js';
import { applyMigrations, trackingState, workspace, writeMigrations, type Step } from './fixtures.js';

const APP = 'rollback-kit run-down-migrations';

/** t1 with an index t1_id_idx; then a non-transactional migration (`up`, `down`). */
function steps(up: string, down: string): Step[] {
  return [
    { version: '20240101000001', name: 'create_t1', up: 'CREATE TABLE t1 (id int);\nINSERT INTO t1 SELECT generate_series(1, 1000);\nCREATE INDEX t1_id_idx ON t1 (id);', down: 'DROP TABLE t1;' },
    { version: '20240101000002', name: 'index', up, down, noTransaction: true },
  ];
}

/** The second migration dropped t1_id_idx: its down builds it again. */
const DROPPED = 'DROP INDEX CONCURRENTLY t1_id_idx;';

const opened: pg.Client[] = [];
afterEach(async () => {
  for (const c of opened.splice(0)) await c.end().catch(() => undefined);
});

/**
 * Another session's transaction holding a snapshot (as pg_dump's or a long report's does), open
 * until `release`: CONCURRENTLY waits for it once its index is built, before it marks it valid.
 */
async function olderTransaction(db: TestDatabase): Promise<{ release(): Promise<void> }> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  opened.push(c);
  await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
  await c.query('SELECT txid_current()');
  return { release: () => c.query('ROLLBACK').then(() => undefined) };
}

/** The indexes of t1 (and of `table`), with whether each is valid. */
async function indexes(db: TestDatabase, table = 't1'): Promise<{ name: string; valid: boolean }[]> {
  const r = await db.query(`SELECT indexrelid::regclass::text AS name, indisvalid AS valid FROM pg_index WHERE indrelid = to_regclass($1) ORDER BY 1`, [table]);
  return r.rows as { name: string; valid: boolean }[];
}

/** Resolves once the run's session waits for a lock and an invalid index of t1 exists: the statement has committed its first part. */
async function waitingAfterFirstCommit(db: TestDatabase): Promise<void> {
  for (;;) {
    const { rowCount } = await db.query(
      `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1 AND wait_event_type = 'Lock'
          AND EXISTS (SELECT 1 FROM pg_index WHERE indrelid = to_regclass('t1') AND NOT indisvalid)`,
      [APP],
    );
    if (rowCount) return;
    await sleep(20);
  }
}

async function setUp(prefix: string, up: string, down: string): Promise<{ db: TestDatabase; options: RevertOptions }> {
  const db = await createTestDatabase(prefix);
  const ws = await workspace();
  const s = steps(up, down);
  await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', s), s);
  const options: RevertOptions = { target: parseConnectionString(db.url), root: ws, format: 'dbmate', choice: { steps: 1 }, dryRun: false, requireSnapshot: false, lockTimeoutSeconds: 30, statementTimeoutSeconds: 120 };
  return { db, options };
}

const failed = (p: Promise<unknown>) => p.then(
  () => {
    throw new Error('the run succeeded');
  },
  (e: unknown) => e as RevertFailed,
);

describe('run-down-migrations and the invalid index a CONCURRENTLY statement leaves', () => {
  it('a stop while CREATE INDEX CONCURRENTLY waits: the error names the index and its DROP; the re-run will not keep it; after the DROP it builds it', async () => {
    const { db, options } = await setUp('rk_down_cic_stop', DROPPED, 'CREATE INDEX CONCURRENTLY IF NOT EXISTS t1_id_idx ON t1 (id);');
    const older = await olderTransaction(db);
    const stop = new AbortController();
    const running = failed(revertMigrations({ ...options, signal: stop.signal }, memoryLog()));
    await Promise.race([waitingAfterFirstCommit(db), running]);
    const stoppedAt = Date.now();
    stop.abort(new Error('stopped by SIGTERM'));
    const err = await running;
    // Cancelled 2 s after the stop, well within the grace, rather than waiting for the other transaction.
    expect(Date.now() - stoppedAt).toBeLessThan(4_500);
    expect(err).toBeInstanceOf(RevertFailed);
    // The cancel was the step's own stop: said as one.
    expect(err.message).toMatch(/^Stopped \(SIGTERM\) while reverting 20240101000002_index\.sql, at .*: the stop cancelled it\./);
    expect(err.message).toContain('Statement 1 left the invalid index public.t1_id_idx behind, recorded nowhere');
    expect(err.hint).toMatch(/^First drop what statement 1 left: DROP INDEX CONCURRENTLY IF EXISTS public\.t1_id_idx; Then: The stop cancelled it, not a fault/);
    expect(err.partial.stoppedIn?.state).toContain('public.t1_id_idx');
    expect(await indexes(db)).toEqual([{ name: 't1_id_idx', valid: false }]);
    await older.release();

    // Re-run as is: IF NOT EXISTS would skip the invalid index and mark the migration reverted. It is not sent.
    const again = await failed(revertMigrations(options, memoryLog()));
    expect(again.message).toMatch(/line 5, statement "CREATE INDEX CONCURRENTLY IF NOT EXISTS t1_id_idx ON t1 \(id\)": not sent: the index public\.t1_id_idx is there already and is invalid/);
    expect(again.message).toContain('Statement 1 did not run: the invalid index public.t1_id_idx must go first.');
    expect(again.hint).toContain('DROP INDEX CONCURRENTLY IF EXISTS public.t1_id_idx; Then re-run');
    expect(await trackingState(db, 'dbmate')).toEqual(['20240101000001', '20240101000002']);
    expect(await indexes(db)).toEqual([{ name: 't1_id_idx', valid: false }]);

    // As the error says: the DROP, then the re-run, which builds the index whole.
    await db.query('DROP INDEX CONCURRENTLY IF EXISTS public.t1_id_idx;');
    const done = await revertMigrations(options, memoryLog());
    expect(done.status).toBe('reverted');
    expect(await indexes(db)).toEqual([{ name: 't1_id_idx', valid: true }]);
    expect(await trackingState(db, 'dbmate')).toEqual(['20240101000001']);
  }, 60_000);

  it('a lock timeout in REINDEX CONCURRENTLY names the _ccnew copy it left, not an invalid index that was there before', async () => {
    const { db, options } = await setUp('rk_down_reindex_timeout', 'SELECT 1;', 'REINDEX INDEX CONCURRENTLY t1_id_idx;');
    // Someone else's failed build, invalid before the run: not this statement's to name.
    await db.query('CREATE TABLE dup (v int); INSERT INTO dup VALUES (1), (1);');
    await db.query('CREATE UNIQUE INDEX CONCURRENTLY dup_v_idx ON dup (v)').catch(() => undefined);
    expect(await indexes(db, 'dup')).toEqual([{ name: 'dup_v_idx', valid: false }]);
    const older = await olderTransaction(db);
    try {
      const err = await failed(revertMigrations({ ...options, lockTimeoutSeconds: 1 }, memoryLog()));
      expect(err.message).toContain('canceling statement due to lock timeout [55P03]');
      expect(err.message).toContain('Statement 1 left the invalid index public.t1_id_idx_ccnew behind');
      expect(err.message).not.toContain('dup_v_idx');
      expect(err.hint).toMatch(/^First drop what statement 1 left: DROP INDEX CONCURRENTLY IF EXISTS public\.t1_id_idx_ccnew; Then: A table lock was not granted/);
      expect(err.hint).not.toContain('dup_v_idx');
      expect(await indexes(db)).toEqual([
        { name: 't1_id_idx', valid: true },
        { name: 't1_id_idx_ccnew', valid: false },
      ]);
    } finally {
      await older.release();
    }
  }, 60_000);

  it('DROP INDEX CONCURRENTLY ended by lock_timeout leaves its index half dropped: the error says the re-run finishes it, and it does', async () => {
    const { db, options } = await setUp('rk_down_dic_timeout', 'CREATE INDEX t1_other_idx ON t1 (id);', 'DROP INDEX CONCURRENTLY t1_other_idx;');
    // Its lock on t1 is one DROP INDEX CONCURRENTLY waits for once it has marked the index invalid.
    const blocker = await holdTableLock(db, 't1');
    let err: RevertFailed;
    try {
      err = await failed(revertMigrations({ ...options, lockTimeoutSeconds: 1 }, memoryLog()));
    } finally {
      await blocker.release();
    }
    expect(err.message).toContain('canceling statement due to lock timeout [55P03]');
    expect(err.message).toContain('Statement 1 left the index public.t1_other_idx invalid and half dropped (queries no longer use it): the re-run runs statement 1 again, which finishes the drop.');
    // Nothing to drop by hand: a DROP without IF EXISTS would fail in the re-run.
    expect(`${err.message} ${err.hint}`).not.toContain('DROP INDEX CONCURRENTLY IF EXISTS');
    expect(await indexes(db)).toEqual([
      { name: 't1_id_idx', valid: true },
      { name: 't1_other_idx', valid: false },
    ]);
    const done = await revertMigrations(options, memoryLog());
    expect(done.status).toBe('reverted');
    expect(await indexes(db)).toEqual([{ name: 't1_id_idx', valid: true }]);
  }, 60_000);

  it('a connection lost while CREATE INDEX CONCURRENTLY waits: the error says an invalid index may be left and how to find it', async () => {
    const { db, options } = await setUp('rk_down_cic_lost', DROPPED, 'CREATE INDEX CONCURRENTLY t1_id_idx ON t1 (id);');
    const older = await olderTransaction(db);
    try {
      const running = failed(revertMigrations(options, memoryLog()));
      await Promise.race([waitingAfterFirstCommit(db), running]);
      await db.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1', [APP]);
      const err = await running;
      expect(err.message).toMatch(/^Lost the connection to .* while reverting 20240101000002_index\.sql/);
      expect(err.message).toContain('can leave an invalid index behind when it ends early, and that could not be checked (the connection went): SELECT indexrelid::regclass FROM pg_index WHERE NOT indisvalid; lists them.');
      expect(await indexes(db)).toEqual([{ name: 't1_id_idx', valid: false }]);
    } finally {
      await older.release();
    }
  });

  it('a CREATE UNIQUE INDEX CONCURRENTLY that fails on its own (a duplicate key) names the invalid index it left', async () => {
    const { db, options } = await setUp('rk_down_cic_dup', 'INSERT INTO t1 VALUES (1);', 'CREATE UNIQUE INDEX CONCURRENTLY t1_id_key ON t1 (id);');
    const err = await failed(revertMigrations(options, memoryLog()));
    expect(err.message).toContain('[23505]');
    expect(err.message).toContain('Statement 1 left the invalid index public.t1_id_key behind');
    expect(err.hint).toMatch(/^First drop what statement 1 left: DROP INDEX CONCURRENTLY IF EXISTS public\.t1_id_key; Then: If the down SQL is wrong, fix it in \S+, push the fix and start a new run/);
    expect(await indexes(db)).toEqual([
      { name: 't1_id_idx', valid: true },
      { name: 't1_id_key', valid: false },
    ]);
  });

  it('reads the invalid indexes only around a CONCURRENTLY statement: an ordinary non-transactional migration pays nothing', async () => {
    const { db, options } = await setUp('rk_down_cic_trips', DROPPED, 'VACUUM t1;\nCREATE INDEX CONCURRENTLY t1_id_idx ON t1 (id);');
    const wire = await startWireLog();
    try {
      const url = new URL(db.url);
      url.host = `127.0.0.1:${wire.port}`;
      await revertMigrations({ ...options, target: parseConnectionString(url.toString()) }, memoryLog());
      const reads = wire.queries.filter((q) => q.includes('indisvalid'));
      // One, just before the CREATE: none before the VACUUM, none after a statement that succeeded.
      expect(reads).toHaveLength(1);
      expect(wire.queries.indexOf(reads[0]!)).toBe(wire.queries.findIndex((q) => q.includes('CREATE INDEX CONCURRENTLY')) - 1);
    } finally {
      await wire.stop();
    }
    expect(await indexes(db)).toEqual([{ name: 't1_id_idx', valid: true }]);
  });
});
