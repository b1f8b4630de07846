// Every restore (restore-db, the CLI: both restoreSnapshot) keeps rollback-kit's ledger as it was.
// A snapshot taken after an earlier incident holds the ledger of that time: restored as it was, an
// incident marked done since came back 'started' or was gone, and a re-run of it did its work again
// (a second restore over every write since, migrations reverted twice). A target without a ledger
// keeps the snapshot's copy (migrations/ledger.ts says why). Real PostgreSQL, real pg_restore.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { restoreSnapshot } from '../../src/db/restore.js';
import { connect } from '../../src/db/session.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { writeLedger, type LedgerRow } from '../../src/migrations/ledger.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { restoreRequest } from './request.js';

let db: TestDatabase;
let ws: string;
beforeEach(async () => {
  db = await createTestDatabase('rk_restore_ledger');
  ws = await mkdtemp(join(tmpdir(), 'rk-restore-ledger-'));
  await db.query('CREATE TABLE public.orders (id int PRIMARY KEY); INSERT INTO public.orders SELECT generate_series(1, 100)');
});
afterEach(async () => {
  await rm(ws, { recursive: true, force: true });
});

async function ledgerRow(incidentKey: string, status: 'started' | 'done', method = 'restore'): Promise<void> {
  const row: LedgerRow = { incidentKey, method, planned: method === 'restore' ? [] : ['20260102'], kept: [], reverted: [], status };
  const s = await connect(parseConnectionString(db.url));
  try {
    await writeLedger(s, row);
  } finally {
    await s.end();
  }
}

async function snapshot(): Promise<string> {
  return (await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: join(ws, 'snap'), label: 'before-deploy' }), memoryLog())).path;
}

/** Every row, every column, as text: put back means exactly as it was. */
async function ledger(): Promise<string[]> {
  const { rows } = await db.query<{ r: string }>('SELECT to_jsonb(t)::text AS r FROM rollback_kit.rollbacks t ORDER BY incident_key');
  return rows.map((x) => x.r);
}

async function orders(): Promise<number> {
  return (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM public.orders')).rows[0]!.n;
}

it("a snapshot holding an older ledger: the target's newer rows stay, and the data is the snapshot's", async () => {
  await ledgerRow('production:a', 'done');
  await ledgerRow('production:b', 'started', 'down-migrations');
  const snap = await snapshot();
  // Since the snapshot: b finished, c rolled back, a's row deleted by hand (to plan it afresh).
  await ledgerRow('production:b', 'done', 'down-migrations');
  await ledgerRow('production:c', 'done');
  await db.query("DELETE FROM rollback_kit.rollbacks WHERE incident_key = 'production:a'");
  await db.query('INSERT INTO public.orders SELECT generate_series(101, 120)');
  const before = await ledger();

  const log = memoryLog();
  const result = await restoreSnapshot(await restoreRequest(db.url, snap), log);
  expect(await orders()).toBe(100);
  expect(await ledger()).toEqual(before);
  expect(before.map((r) => JSON.parse(r) as { incident_key: string; status: string }).map((r) => `${r.incident_key} ${r.status}`)).toEqual(['production:b done', 'production:c done']);
  // Kept as it was: not said to hold fewer rows (2 kept, where the snapshot has 2 others).
  expect(result.fewerRows.map((f) => f.table)).toEqual(['public.orders']);
});

it('a target whose ledger the snapshot does not have, restored by a role that may not delete from it: left as it is', async () => {
  const snap = await snapshot();
  await ledgerRow('production:c', 'done');
  const before = await ledger();
  await db.query(`CREATE FUNCTION public.rk_no_delete() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'permission denied for table rollbacks'; END $$;
    CREATE TRIGGER rk_no_delete BEFORE DELETE ON rollback_kit.rollbacks FOR EACH ROW EXECUTE FUNCTION public.rk_no_delete()`);

  await restoreSnapshot(await restoreRequest(db.url, snap), memoryLog());
  expect(await orders()).toBe(100);
  expect(await ledger()).toEqual(before);
});

it("a target without a ledger keeps the snapshot's: its 'done' rows stop a re-run from doing that work again", async () => {
  await ledgerRow('production:a', 'done');
  const snap = await snapshot();
  const inSnapshot = await ledger();
  await db.query('DROP SCHEMA rollback_kit CASCADE');

  await restoreSnapshot(await restoreRequest(db.url, snap), memoryLog());
  expect(await ledger()).toEqual(inSnapshot);
});

it('neither the target nor the snapshot has a ledger: the restore makes none', async () => {
  const snap = await snapshot();
  await db.query('INSERT INTO public.orders VALUES (500)');
  await restoreSnapshot(await restoreRequest(db.url, snap), memoryLog());
  expect(await orders()).toBe(100);
  expect((await db.query("SELECT to_regclass('rollback_kit.rollbacks') AS t")).rows[0]).toEqual({ t: null });
});

it("the target's ledger is an earlier version's, without the columns added since: put back with their defaults", async () => {
  await ledgerRow('production:a', 'started');
  const snap = await snapshot();
  await db.query("ALTER TABLE rollback_kit.rollbacks DROP COLUMN kept; UPDATE rollback_kit.rollbacks SET status = 'done'");

  await restoreSnapshot(await restoreRequest(db.url, snap), memoryLog());
  const { rows } = await db.query('SELECT incident_key, status, kept FROM rollback_kit.rollbacks');
  expect(rows).toEqual([{ incident_key: 'production:a', status: 'done', kept: [] }]);
});
