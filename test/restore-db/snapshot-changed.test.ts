// restore-db hashes the snapshot once, and psql and pg_restore read it apart from the hash. A file
// replaced or rewritten after the hash (an artifact download or another snapshot still writing the
// same path) had its good bytes hashed and other bytes committed. The snapshot's files must be as
// they were before the hash once every read is done, before the COMMIT is sent.
// The swap is made by the pre-restore snapshot's hook (onPreRestoreSnapshot): after the hash was
// checked (a pre-restore snapshot waits for it) and before psql reads the plain script.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import type { SnapshotFormat } from '../../src/db/archive.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { restoreSnapshot } from '../../src/db/restore.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { restoreRequest } from './request.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function snapshotOf(db: TestDatabase, format: SnapshotFormat): Promise<string> {
  const outputDir = await mkdtemp(join(tmpdir(), 'rk-restore-changed-'));
  dirs.push(outputDir);
  const snap = await takeSnapshot({ ...wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir, lockTimeoutSeconds: 10 }), format }, memoryLog());
  return snap.path;
}

const notes = async (db: TestDatabase) => (await db.query<{ note: string }>('SELECT DISTINCT note FROM t ORDER BY 1')).rows.map((r) => r.note);

describe('restore-db: a snapshot whose file changes while it is restored', () => {
  it('a plain script swapped for another after its sha256 was checked: nothing commits', async () => {
    const db = await createTestDatabase('rk_restore_changed');
    await db.query("CREATE TABLE t (id int PRIMARY KEY, note text); INSERT INTO t SELECT g, 'good' FROM generate_series(1, 10) g");
    const good = await snapshotOf(db, 'plain');
    // Other bytes with the same tables and row counts: the row check before the COMMIT passes them.
    await db.query("UPDATE t SET note = 'other'");
    const other = await snapshotOf(db, 'plain');
    await db.query("UPDATE t SET note = 'current'");

    const req = await restoreRequest(db.url, good, {
      onPreRestoreSnapshot: () => {
        renameSync(other, good);
        return Promise.resolve();
      },
    });
    dirs.push(req.preRestoreDir);
    const err = await restoreSnapshot(req, memoryLog()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RollbackKitError);
    expect((err as RollbackKitError).message).toBe(
      `Snapshot ${good} changed while it was restored: its files were replaced, written or cut short after they were checked, so the restore did not commit and nothing was changed.`,
    );
    expect((err as RollbackKitError).hint).toMatch(/^Restore it again from the artifact, once nothing else writes to that path .* The restore ran in one transaction, so the database is as it was before\./);
    expect(await notes(db)).toEqual(['current']);
  });

  it('a custom archive rewritten in place (even with its own bytes) while it is read: nothing commits', async () => {
    const db = await createTestDatabase('rk_restore_changed');
    await db.query("CREATE TABLE t (id int PRIMARY KEY, note text); INSERT INTO t SELECT g, 'good' FROM generate_series(1, 10) g");
    const good = await snapshotOf(db, 'custom');
    await db.query("UPDATE t SET note = 'current'");
    const req = await restoreRequest(db.url, good, {
      // Written while pg_restore's data read waits for psql: the same bytes, but not known to be.
      onPreRestoreSnapshot: () => {
        writeFileSync(good, readFileSync(good));
        return Promise.resolve();
      },
    });
    dirs.push(req.preRestoreDir);
    const err = await restoreSnapshot(req, memoryLog()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RollbackKitError);
    expect((err as RollbackKitError).message).toMatch(/changed while it was restored: .* the restore did not commit and nothing was changed\.$/);
    expect(await notes(db)).toEqual(['current']);
  });

  it('a custom archive cut short while it is read: reported as changed, and nothing commits', async () => {
    const db = await createTestDatabase('rk_restore_changed');
    await db.query("CREATE TABLE t (id int PRIMARY KEY, note text); INSERT INTO t SELECT g, 'good' FROM generate_series(1, 10) g");
    const good = await snapshotOf(db, 'custom');
    await db.query("UPDATE t SET note = 'current'");
    const req = await restoreRequest(db.url, good, {
      // Truncated in place (as a download that starts again would), before pg_restore reads the data.
      onPreRestoreSnapshot: () => {
        writeFileSync(good, readFileSync(good).subarray(0, 200));
        return Promise.resolve();
      },
    });
    dirs.push(req.preRestoreDir);
    const err = await restoreSnapshot(req, memoryLog()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RollbackKitError);
    expect((err as RollbackKitError).message).toMatch(/changed while it was restored: /);
    expect(await notes(db)).toEqual(['current']);
  });

  it('one left alone is restored', async () => {
    const db = await createTestDatabase('rk_restore_changed');
    await db.query("CREATE TABLE t (id int PRIMARY KEY, note text); INSERT INTO t SELECT g, 'good' FROM generate_series(1, 10) g");
    const good = await snapshotOf(db, 'custom');
    await db.query("UPDATE t SET note = 'current'");
    const req = await restoreRequest(db.url, good);
    dirs.push(req.preRestoreDir);
    await expect(restoreSnapshot(req, memoryLog())).resolves.toMatchObject({ verified: true });
    expect(await notes(db)).toEqual(['good']);
  });
});
