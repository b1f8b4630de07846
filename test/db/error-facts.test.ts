// The facts errors carry where they are made (RollbackKitError.changed, .stopped), which callers
// decide by instead of the errors' words: a restore that did not commit says changed 'no', from its
// own refusals and from whatever failed under it before the COMMIT; a stopped snapshot says stopped.
// Real PostgreSQL, pg_dump and pg_restore.
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorFacts, RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { lockCycleError, lockTimeoutError } from '../../src/db/lock-wait.js';
import { checkConfirmation, previewRestore, restoreSnapshot } from '../../src/db/restore.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { createTestDatabase, holdTableLock, type TestDatabase } from '../helpers/pg.js';
import { restoreRequest } from '../restore-db/request.js';
import { tempDir } from '../helpers/temp-dir.js';

async function shop(prefix: string): Promise<{ db: TestDatabase; snapshot: string }> {
  const db = await createTestDatabase(prefix);
  await db.query('CREATE TABLE public.orders (id int PRIMARY KEY); INSERT INTO public.orders SELECT generate_series(1, 50)');
  const snap = await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: await tempDir('rk-facts-'), label: 'good' }), memoryLog());
  return { db, snapshot: snap.path };
}

async function failure(p: Promise<unknown>): Promise<RollbackKitError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RollbackKitError);
  return err as RollbackKitError;
}

describe('restore', () => {
  it('its refusals say changed: no', async () => {
    const { db, snapshot } = await shop('rk_facts_refused');
    const other = await createTestDatabase('rk_facts_other');
    expect(errorFacts(await failure(restoreSnapshot(await restoreRequest(other.url, snapshot), memoryLog())))).toEqual({ changed: 'no' });
    expect(errorFacts(await failure(Promise.resolve().then(() => checkConfirmation(parseConnectionString(db.url), 'production'))))).toEqual({ changed: 'no' });
  });

  it('a table lock not granted: changed no', async () => {
    const { db, snapshot } = await shop('rk_facts_lock');
    const held = await holdTableLock(db, 'public.orders', 'ACCESS EXCLUSIVE');
    try {
      const err = await failure(restoreSnapshot(await restoreRequest(db.url, snapshot, { lockTimeoutSeconds: 1 }), memoryLog()));
      expect(err.message).toContain('a lock was not granted');
      expect(err.changed).toBe('no');
    } finally {
      await held.release();
    }
  });

  it('what fails under it before its COMMIT (a snapshot whose bytes changed) is given changed: no; a preview, which changes nothing ever, leaves it as made', async () => {
    const { db, snapshot } = await shop('rk_facts_bytes');
    const bytes = readFileSync(snapshot);
    bytes[bytes.length - 1]! ^= 0xff;
    writeFileSync(snapshot, bytes);
    const restored = await failure(restoreSnapshot(await restoreRequest(db.url, snapshot), memoryLog()));
    expect(restored.message).toContain('changed since it was taken');
    expect(restored.changed).toBe('no');
    const previewed = await failure(previewRestore(await restoreRequest(db.url, snapshot), memoryLog()));
    expect(previewed.message).toContain('changed since it was taken');
    expect(previewed.changed).toBeUndefined();
  });

  it('stopped before it began: changed no, and stopped', async () => {
    const { db, snapshot } = await shop('rk_facts_stopped');
    const stop = new AbortController();
    stop.abort(new Error('stopped by SIGTERM'));
    const err = await failure(restoreSnapshot({ ...(await restoreRequest(db.url, snapshot)), signal: stop.signal }, memoryLog()));
    expect(errorFacts(err)).toEqual({ changed: 'no', stopped: true });
  });
});

it('a snapshot stopped says stopped', async () => {
  const db = await createTestDatabase('rk_facts_snapshot');
  const stop = new AbortController();
  stop.abort(new Error('stopped by SIGTERM'));
  const req = { ...wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: await tempDir('rk-facts-'), label: 'x' }), signal: stop.signal };
  const err = await failure(takeSnapshot(req, memoryLog()));
  expect(err.stopped).toBe(true);
});

it('lock errors carry the facts their callers give with the state they describe', () => {
  const log = memoryLog();
  expect(lockTimeoutError('Restore into db', 1, [], 'Nothing was changed.', log, { changed: 'no' }).changed).toBe('no');
  expect(lockCycleError('Restore into db', [], 'Nothing was changed.', log, undefined, { changed: 'no' }).changed).toBe('no');
  // A snapshot's (Nothing was kept) says nothing of the database: no fact.
  expect(errorFacts(lockTimeoutError('Snapshot of db', 1, [], 'Nothing was kept.', log))).toEqual({});
});
