// A snapshot stopped while pg_dump runs (the step being cancelled: SIGINT, then SIGTERM): pg_dump is
// ended, nothing it wrote is left where someone could trust it, and the error says no snapshot was
// made, rather than "pg_dump failed: no message" (pg_dump killed by a signal says nothing).
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { adminQuery, createTestDatabase, holdTableLock, waitForLockWaiter, type TestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';
import { tempDir } from '../helpers/temp-dir.js';

/** A database whose dump is busy long enough to be stopped: about 500 MB of COPY output from a small (compressed) table. */
async function bigDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase('rk_snapshot_stopped');
  await db.query('CREATE TABLE big AS SELECT g AS id, repeat(md5(g::text), 160) AS pad FROM generate_series(1, 100000) g');
  return db;
}

/** Resolves once pg_dump is copying the big table. */
async function dumping(db: TestDatabase): Promise<void> {
  for (;;) {
    const { rowCount } = await adminQuery("SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'COPY public.big%' AND state = 'active'", [db.name]);
    if (rowCount) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** pg_dump's sessions still on the server (a backend may take a moment to exit after its client). */
async function dumpSessions(db: TestDatabase): Promise<number> {
  const count = async () => (await adminQuery("SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'COPY public.big%'", [db.name])).rowCount ?? 0;
  for (let i = 0; i < 100 && (await count()); i++) await new Promise((r) => setTimeout(r, 50));
  return count();
}

const STOPPED = /^Snapshot of 127\.0\.0\.1:5432\/rk_snapshot_stopped_[0-9a-f]+ was stopped before it was verified, so no snapshot was made: pg_dump was ended \(or never started\) and what it had written was removed\.$/;

describe('snapshot stopped mid-dump', () => {
  it('library: aborted while pg_dump copies, it fails saying no snapshot was made, and leaves no file', async () => {
    const db = await bigDatabase();
    const log = memoryLog();
    const outputDir = await tempDir('rk-snapshot-stopped-');
    const stop = new AbortController();
    const taking = takeSnapshot({ ...wholeDatabaseSnapshot(parseConnectionString(db.url, log), { outputDir }), signal: stop.signal }, log);
    taking.catch(() => undefined);
    await dumping(db);
    stop.abort(new Error('stopped by SIGTERM'));
    const err = await taking.then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(STOPPED);
    expect(await readdir(outputDir)).toEqual([]);
    expect(await dumpSessions(db)).toBe(0);
  });

  it('library: aborted while it waits for a table lock, it ends the wait at once instead of at lock-timeout', async () => {
    const db = await createTestDatabase('rk_snapshot_stopped');
    await db.query('CREATE TABLE t (id int)');
    const blocker = await holdTableLock(db, 't', 'ACCESS EXCLUSIVE');
    try {
      const log = memoryLog();
      const outputDir = await tempDir('rk-snapshot-stopped-');
      const stop = new AbortController();
      // A lock-timeout far beyond the test's own timeout: only the stop can end this wait in time.
      const taking = takeSnapshot({ ...wholeDatabaseSnapshot(parseConnectionString(db.url, log), { outputDir, lockTimeoutSeconds: 3600 }), signal: stop.signal }, log);
      taking.catch(() => undefined);
      await waitForLockWaiter({ database: db.name }, { unless: taking });
      stop.abort(new Error('stopped by SIGTERM'));
      const err = await taking.then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err?.message).toMatch(STOPPED);
      expect(await readdir(outputDir)).toEqual([]);
    } finally {
      await blocker.release();
    }
  });

  // Runs dist/snapshot-db: needs the bundles rebuilt from this source.
  it('snapshot-db action: SIGTERM mid-dump exits non-zero, says so, and keeps no partial file', async () => {
    const db = await bigDatabase();
    const run = await runAction(
      'snapshot-db',
      { 'database-url': db.url },
      {
        whileRunning: async (child) => {
          await dumping(db);
          child.kill('SIGTERM');
        },
      },
    );
    expect(run.code).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(/^snapshot-db was stopped by SIGTERM: Snapshot of .* was stopped before it was verified, so no snapshot was made: .* Run it again when it can run to its end\.$/);
    expect(run.summary).toContain('### snapshot-db: failed');
    expect(run.outputs.path).toBeUndefined();
    // No partial file: the folders the action made held only its .gitignore, so they are gone too.
    expect(existsSync(`${run.runnerTemp}/rollback-kit`)).toBe(false);
    expect(await readdir(run.runnerTemp)).toEqual([]);
    expect(await dumpSessions(db)).toBe(0);
  });
});
