// snapshot-db as a user that may not read everything, and as one whose password is the database's
// name: through the library, on real PostgreSQL.
import { randomBytes } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { compareSource, snapshotSource } from '../../src/db/server-identity.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { adminQuery, createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { tempDir } from '../helpers/temp-dir.js';

const ROLE = `rk_reader_${randomBytes(4).toString('hex')}`;
let db: TestDatabase;

function urlAs(user: string, password?: string): string {
  const u = new URL(db.url);
  u.username = user;
  u.password = password ?? '';
  return u.toString();
}

async function snapshotAs(url: string, log = memoryLog()) {
  const outputDir = await tempDir('rk-priv-');
  const attempt = takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(url, log), { outputDir }), log);
  return { attempt, outputDir, log };
}

async function failure(url: string): Promise<{ err: RollbackKitError; outputDir: string }> {
  const { attempt, outputDir } = await snapshotAs(url);
  const err = await attempt.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RollbackKitError);
  return { err: err as RollbackKitError, outputDir };
}

beforeAll(async () => {
  db = await createTestDatabase('rk_priv');
  await adminQuery(`CREATE ROLE ${ROLE} LOGIN`);
  await db.query(`
    CREATE TABLE public.open (id serial PRIMARY KEY);
    CREATE TABLE public.secret (id int);
    CREATE SCHEMA hidden;
    CREATE TABLE hidden.t (id int);
    GRANT SELECT ON public.open TO ${ROLE};`);
});

afterAll(async () => {
  await db.query(`DROP OWNED BY ${ROLE}`).catch(() => undefined);
  await adminQuery(`DROP ROLE IF EXISTS ${ROLE}`);
});

describe('a user that may not read everything', () => {
  it('is told, before any lock, which grants are missing and the GRANT that gives them; nothing is kept', async () => {
    const { err, outputDir } = await failure(urlAs(ROLE));
    expect(err.message).toBe(`User ${ROLE} cannot read everything the snapshot must hold: it lacks USAGE on schema hidden; SELECT on table public.secret; SELECT on sequence public.open_id_seq.`);
    expect(err.hint).toBe(`Grant it: GRANT USAGE ON SCHEMA hidden TO ${ROLE}; GRANT SELECT ON public.secret, public.open_id_seq TO ${ROLE}; Or leave those schemas out with exclude-schemas. Nothing was kept.`);
    expect(await readdir(outputDir)).toEqual([]);

    // The hint is what to run: with those grants (and hidden.t, which USAGE made visible), it works.
    await db.query(`GRANT USAGE ON SCHEMA hidden TO ${ROLE}; GRANT SELECT ON public.secret, public.open_id_seq TO ${ROLE}`);
    const { err: next } = await failure(urlAs(ROLE));
    expect(next.message).toContain('it lacks SELECT on table hidden.t.');
    await db.query(`GRANT SELECT ON hidden.t TO ${ROLE}`);
    const { attempt } = await snapshotAs(urlAs(ROLE));
    expect((await attempt).manifest.tables).toHaveLength(3);
  });

  it('a table under row-level security it cannot bypass: the hint says BYPASSRLS, not "unexpected error"', async () => {
    await db.query(`GRANT USAGE ON SCHEMA hidden TO ${ROLE}; GRANT SELECT ON ALL TABLES IN SCHEMA public, hidden TO ${ROLE}; GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO ${ROLE}`);
    await db.query(`CREATE TABLE public.guarded (id int); ALTER TABLE public.guarded ENABLE ROW LEVEL SECURITY; GRANT SELECT ON public.guarded TO ${ROLE}`);
    try {
      const { err } = await failure(urlAs(ROLE));
      expect(err.message).toMatch(/row-level security policy for table "guarded"/);
      expect(err.hint).toContain(`ALTER ROLE "${ROLE}" BYPASSRLS`);
    } finally {
      await db.query('DROP TABLE public.guarded');
    }
  });
});

describe('a password that is the database\'s name', () => {
  it('never shows in the manifest, which still matches the database it came from', async () => {
    const log = memoryLog();
    const { attempt, outputDir } = await snapshotAs(urlAs('postgres', db.name), log);
    const result = await attempt;
    expect(basename(result.path)).not.toContain(db.name);
    const text = await readFile(result.manifestPath, 'utf8');
    expect(text).not.toContain(db.name);
    expect(result.manifest).toMatchObject({ database: '***', target: '127.0.0.1:5432/***' });
    const same = compareSource(snapshotSource(result.manifest), { host: '127.0.0.1', port: 5432, database: db.name, systemIdentifier: result.manifest.server.systemIdentifier ?? null });
    expect(same.same).toBe(true);
    const other = compareSource(snapshotSource(result.manifest), { host: '127.0.0.1', port: 5432, database: '', systemIdentifier: result.manifest.server.systemIdentifier ?? null });
    expect(other.same).toBe(false);
    expect(outputDir).toBeTruthy();
  });
});
