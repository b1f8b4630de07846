// A snapshot given to run-down-migrations must hold the rows of every table the database has now.
// An old snapshot-db snapshot, taken before tables that hold rows now, is refused before anything
// changes, naming them and their rows; one that lacks only empty tables is allowed, and the "Way
// back" line says which it lacks instead of "every table's rows". Real snapshots by the snapshot-db
// bundle, the run-down-migrations bundle spawned as the runner spawns it, real dbmate, the real server.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { runAction, type ActionRun } from '../helpers/run-action.js';
import { applyMigrations, trackingState, workspace, writeMigrations, type Step } from './fixtures.js';

const ORDERS: Step = { version: '20260101000000', name: 'orders', up: 'CREATE TABLE orders (id int PRIMARY KEY);\nINSERT INTO orders VALUES (1), (2);', down: 'DROP TABLE orders;' };
const COUPONS: Step = { version: '20260103000000', name: 'coupons', up: "CREATE TABLE coupons (code text PRIMARY KEY);\nINSERT INTO coupons VALUES ('SPRING'), ('VIP');", down: 'drop table coupons;' };
const EMPTY_COUPONS: Step = { ...COUPONS, up: 'CREATE TABLE coupons (code text PRIMARY KEY);' };

async function snapshotNow(db: TestDatabase, ws: string): Promise<string> {
  const snap = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': join(ws, 'snapshots') });
  expect(snap.errors).toEqual([]);
  return snap.outputs.path!;
}

const down = (db: TestDatabase, ws: string, snapshotPath: string, inputs: Record<string, string> = {}, env: Record<string, string> = {}) =>
  runAction('run-down-migrations', { 'database-url': db.url, steps: '1', 'snapshot-path': snapshotPath, 'require-snapshot': 'true', ...inputs }, { cwd: ws, env });

async function count(db: TestDatabase, table: string): Promise<number | null> {
  if (!(await db.query('SELECT to_regclass($1) AS t', [table])).rows[0]?.t) return null;
  return (await db.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]?.n as number;
}

function wayBackLine(run: ActionRun): string | undefined {
  return run.log.split('\n').find((l) => l.startsWith('Way back: snapshot '));
}

describe('run-down-migrations with a snapshot that predates tables of the database', () => {
  it('refuses an old snapshot when a table it does not list holds rows, naming them and what to do; a fresh one goes on', async () => {
    const db = await createTestDatabase('rk_snapshot_cover_old');
    const ws = await workspace();
    await db.query('CREATE TABLE items (id int PRIMARY KEY); INSERT INTO items SELECT generate_series(1, 105)');
    // Taken when the database had only items: its manifest lists no other table.
    const old = await snapshotNow(db, ws);
    await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', [ORDERS, COUPONS]), [ORDERS, COUPONS]);

    const refused = await down(db, ws, old);
    expect(refused.code).not.toBe(0);
    expect(refused.errors).toHaveLength(1);
    const error = refused.errors[0]!;
    expect(error).toContain(`Snapshot ${old} (taken `);
    expect(error).toContain('is no way back for tables public.coupons (2 rows), public.orders (2 rows), public.schema_migrations (2 rows): its manifest does not list them, so the snapshot predates them and holds none of their rows.');
    expect(error).toContain('Take a fresh snapshot now with the snapshot-db action and pass its path as snapshot-path; or, if those rows may be lost, set require-snapshot: false to revert without a snapshot. Nothing was changed.');
    expect(refused.outputs.status).toBe('failed');
    expect(refused.outputs.count).toBe('0');
    // Never the claim it used to make, anywhere.
    expect(`${refused.log}\n${refused.summary}`).not.toContain("every table's rows");
    expect(wayBackLine(refused)).toBeUndefined();
    // Nothing changed: the coupons and the tracking table are as they were, and no ledger row was written.
    expect(await count(db, 'coupons')).toBe(2);
    expect(await trackingState(db, 'dbmate')).toEqual([ORDERS.version, COUPONS.version]);
    expect(await count(db, 'rollback_kit.rollbacks')).toBeNull();

    // A snapshot taken now holds them all: the run goes on, as it always did.
    const fresh = await snapshotNow(db, ws);
    const ok = await down(db, ws, fresh);
    expect(ok.errors).toEqual([]);
    expect(ok.code).toBe(0);
    expect(wayBackLine(ok)).toMatch(new RegExp(`^Way back: snapshot ${fresh.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, taken .+ UTC, \\d+ s before this run; it holds every table's rows\\.$`));
    expect(ok.summary).toMatch(/Way back: snapshot `[^`]+` \(sha256 [0-9a-f]{12}…\), taken .+, verified before the run; it holds every table's rows\./);
    expect(await count(db, 'coupons')).toBeNull();
    expect(await trackingState(db, 'dbmate')).toEqual([ORDERS.version]);
  });

  it('allows a snapshot that lacks only an empty table (made by the migration reverted), and says it lacks it', async () => {
    const db = await createTestDatabase('rk_snapshot_cover_empty');
    const ws = await workspace();
    await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', [ORDERS]), [ORDERS]);
    const before = await snapshotNow(db, ws);
    // The deploy after the snapshot: coupons made, and nothing written to it yet.
    await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', [ORDERS, EMPTY_COUPONS]), [ORDERS, EMPTY_COUPONS]);

    const run = await down(db, ws, before);
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.outputs.status).toBe('reverted');
    const says = "it holds every table's rows but that of table public.coupons, which it does not have (made since it was taken) and which was empty before this run changed anything.";
    expect(wayBackLine(run)).toContain(`; ${says}`);
    expect(run.summary).toContain(`, verified before the run; ${says}`);
    expect(`${run.log}\n${run.summary}`).not.toMatch(/every table's rows[.;]/);
    expect(await count(db, 'coupons')).toBeNull();
    expect(await count(db, 'orders')).toBe(2);
  });

  it('does not refuse a re-run for the bookkeeping its first attempt wrote after the snapshot, nor for the table that attempt dropped', async () => {
    const db = await createTestDatabase('rk_snapshot_cover_rerun');
    const ws = await workspace();
    const broken: Step = { ...ORDERS, down: 'DROP TABLE orders;\nSELECT 1/0;' };
    await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', [broken, COUPONS]), [broken, COUPONS]);
    // Taken before rollback-kit wrote anything here: no rollback_kit schema in it.
    const snap = await snapshotNow(db, ws);
    const attempt = (n: number) => ({ GITHUB_RUN_ID: '77', GITHUB_RUN_ATTEMPT: String(n), GITHUB_JOB: 'rollback', GITHUB_ACTION: 'down' });

    const first = await down(db, ws, snap, { steps: '2' }, attempt(1));
    expect(first.code).not.toBe(0);
    // coupons went, orders' down failed and was rolled back; the plan is in the ledger.
    expect(await count(db, 'coupons')).toBeNull();
    expect(await count(db, 'orders')).toBe(2);
    expect(await count(db, 'rollback_kit.rollbacks')).toBe(1);

    await writeMigrations(ws, 'dbmate', [ORDERS, COUPONS]);
    const second = await down(db, ws, snap, { steps: '2' }, attempt(2));
    expect(second.errors).toEqual([]);
    expect(second.code).toBe(0);
    expect(wayBackLine(second)).toMatch(/; it holds every table's rows\.$/);
    expect(await count(db, 'orders')).toBeNull();
    expect(await trackingState(db, 'dbmate')).toEqual([]);
  });
});
