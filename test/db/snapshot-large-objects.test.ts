// Large objects in a snapshot, through the library on real PostgreSQL: counted into the manifest,
// kept even when `schemas` names only some schemas (pg_dump alone would leave them all out), and a
// plain script, which restore-db cannot restore in one transaction with them, refused up front.
import { readdir } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { runProcess } from '../../src/core/process.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { takeSnapshot, wholeDatabaseSnapshot, type SnapshotRequest } from '../../src/db/snapshot.js';
import { snapshotSummary } from '../../src/report/snapshot-db-summary.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { tempDir } from '../helpers/temp-dir.js';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('rk_lobs');
  await db.query(`
    CREATE SCHEMA other;
    CREATE TABLE other.t (id int);
    CREATE TABLE public.documents (id int, body oid);
    INSERT INTO public.documents SELECT g, lo_from_bytea(0, convert_to('document ' || g, 'UTF8')) FROM generate_series(1, 3) g;`);
});

async function snapshot(extra: Partial<SnapshotRequest>) {
  const outputDir = await tempDir('rk-lobs-');
  const log = memoryLog();
  const attempt = takeSnapshot({ ...wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir }), ...extra }, log);
  return { attempt, outputDir, log };
}

/** The large objects pg_restore finds in an archive's table of contents. */
async function archivedLargeObjects(path: string): Promise<number> {
  const list = await runProcess('pg_restore', ['--list', path]);
  return list.stdout.split('\n').filter((line) => /^\d+;.* (BLOB|LARGE OBJECT) /.test(line)).length;
}

describe('large objects', () => {
  it('are counted into the manifest and kept when schemas names only some schemas', async () => {
    const { attempt, log } = await snapshot({ filter: { schemas: ['public'], excludeSchemas: [] } });
    const result = await attempt;
    expect(result.manifest.largeObjects).toBe(3);
    expect(result.manifest.filter.schemas).toEqual(['public']);
    expect(await archivedLargeObjects(result.path)).toBe(3);
    expect(log.lines.join('\n')).toContain("Also dumping the database's 3 large objects: they belong to no schema");
    expect(snapshotSummary(result)).toContain('| Large objects | 3 |');
  });

  it('are in a snapshot of every schema, as pg_dump keeps them there anyway', async () => {
    const { attempt } = await snapshot({});
    const result = await attempt;
    expect(result.manifest.largeObjects).toBe(3);
    expect(await archivedLargeObjects(result.path)).toBe(3);
  });

  it('refuse format: plain before pg_dump runs, saying why and what to use; nothing is kept', async () => {
    const { attempt, outputDir } = await snapshot({ format: 'plain' });
    const err = await attempt.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RollbackKitError);
    expect((err as RollbackKitError).line).toBe(
      "format: plain cannot hold this database's 3 large objects in a form restore-db can restore: a plain script writes them with statements that commit on their own, so it cannot be restored in one transaction. Use format: custom (the default) or directory, which restore-db restores with the large objects in the same transaction. Nothing was kept.",
    );
    expect(await readdir(outputDir)).toEqual([]);
  });
});
