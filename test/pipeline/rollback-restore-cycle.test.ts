// A whole rollback by restore whose transaction and another session wait for each other after its
// snapshot was taken (the restore's DROP behind a reader that then writes to a table it holds):
// restore-db's lock watcher ends the restore's sessions, its transaction rolls back, and its error
// says so. The next step must then say the database is as it was before, not that whether the
// restore committed is unknown. Real PostgreSQL; its own deadlock check is put off for this
// database so that only the watcher ends the wait.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { runRollback } from '../../src/pipeline/rollback.js';
import { adminQuery, createTestDatabase, waitForLockWaiter, type TestDatabase } from '../helpers/pg.js';
import { databaseRollbackRequest } from './requests.js';

let db: TestDatabase;
let ws: string;
beforeEach(async () => {
  db = await createTestDatabase('rk_rollback_restore_cycle');
  await adminQuery(`ALTER DATABASE "${db.name}" SET deadlock_timeout = '10min'`);
  ws = await mkdtemp(join(tmpdir(), 'rk-rollback-restore-cycle-'));
});
afterEach(async () => {
  await rm(ws, { recursive: true, force: true });
});

describe('method restore: a lock cycle after the snapshot', () => {
  it('the next step says the restore did not commit', async () => {
    await db.query('CREATE TABLE public.orders (id int PRIMARY KEY); INSERT INTO public.orders SELECT generate_series(1, 100); CREATE TABLE public.items (id int PRIMARY KEY)');
    const good = await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: join(ws, 'good'), label: 'before-deploy' }), memoryLog());
    await db.query('INSERT INTO public.orders SELECT generate_series(101, 120)');
    const req = databaseRollbackRequest(
      // Far longer than the test waits: only the watcher seeing the cycle ends it early.
      { method: 'restore', format: 'auto', snapshotPath: good.path, lockTimeoutSeconds: 120 },
      { database: parseConnectionString(db.url), workspace: ws, snapshotDir: join(ws, 'rollback-kit-snapshots'), github: { repository: '', apiUrl: 'http://127.0.0.1:9' } },
    );

    const reader = new pg.Client({ connectionString: db.url });
    await reader.connect();
    try {
      await reader.query("SET deadlock_timeout = '10min'");
      await reader.query('BEGIN');
      await reader.query('LOCK TABLE public.orders IN ACCESS SHARE MODE');
      const running = runRollback(req, { keepSnapshot: async (s) => basename(s.path) }, memoryLog());
      // The restore's snapshot is taken, and its DROP now waits behind the reader.
      await waitForLockWaiter({ database: db.name, applicationName: 'rollback-kit-restore-%', query: '%DROP%' }, { unless: running });
      // The reader writes to another table the restore holds (on the same one PostgreSQL would end
      // the reader at once): it waits for the restore while the restore waits for it.
      const write = reader.query('INSERT INTO public.items VALUES (1)');
      const record = await running;
      await write;
      await reader.query('ROLLBACK');

      expect(record.failedPhase).toBe('database');
      expect(record.snapshot).toBeDefined();
      expect(record.database?.error).toContain('each waited for the other');
      const step = record.nextSteps.join('\n');
      expect(step).toContain('The restore runs in one transaction and did not commit: the database is as it was before this run.');
      expect(step).not.toContain('not known');
    } finally {
      await reader.end();
    }
    expect((await db.query('SELECT count(*)::int AS n FROM public.orders')).rows[0]).toEqual({ n: 120 });
  });
});
