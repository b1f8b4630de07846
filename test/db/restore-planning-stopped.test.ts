// A stop while the restore is still being planned, its catalogue queries waiting for a lock another
// session holds (VACUUM FULL pg_depend holds this one): the planning session only reads, so the stop
// closes it and the wait ends at once, where it used to go on until lock-timeout-seconds, past the
// stop's grace, and the step could only say that what it had changed was not known.
import { expect, it } from 'vitest';
import { errorFacts, RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { restoreSnapshot } from '../../src/db/restore.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { createTestDatabase, holdTableLock, waitForLockWaiter } from '../helpers/pg.js';
import { restoreRequest } from '../restore-db/request.js';
import { schemaDump } from './fixture.js';
import { tempDir } from '../helpers/temp-dir.js';

it('a stop while planning waits for a catalogue lock ends the restore at once: stopped, nothing changed', async () => {
  const db = await createTestDatabase('rk_restore_plan_stopped');
  await db.query('CREATE TABLE prices (id int, amount numeric); INSERT INTO prices VALUES (1, 10)');
  const snapshot = await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: await tempDir('rk-restore-plan-stopped-') }), memoryLog());
  await db.query('DELETE FROM prices');
  const before = await schemaDump(db);
  const holder = await holdTableLock(db, 'pg_catalog.pg_depend', 'ACCESS EXCLUSIVE');
  const stop = new AbortController();
  // A lock-timeout far past any stop's grace: only the stop can end this wait in time.
  const req = await restoreRequest(db.url, snapshot.path, { preRestoreSnapshot: false, lockTimeoutSeconds: 3600, signal: stop.signal });
  const running = restoreSnapshot(req, memoryLog()).then(
    () => undefined,
    (err: unknown) => err,
  );
  try {
    await waitForLockWaiter({ database: db.name, query: '%pg_depend%' }, { unless: running });
    stop.abort(new Error('stopped by SIGTERM'));
    const err = await running;
    expect(err).toBeInstanceOf(RollbackKitError);
    expect((err as RollbackKitError).message).toMatch(/^Restore into 127\.0\.0\.1:5432\/rk_restore_plan_stopped_\w+ was stopped before its transaction committed, so nothing of it was applied: the database is as it was before\./);
    expect(errorFacts(err)).toEqual({ changed: 'no', stopped: true });
  } finally {
    stop.abort();
    await running;
    await holder.release();
  }
  expect(await schemaDump(db)).toEqual(before);
  expect((await db.query('SELECT count(*)::int AS n FROM prices')).rows).toEqual([{ n: 0 }]);
});
