// A restore brings rollback_kit.down_progress back as the snapshot had it, and keeps the ledger
// (rollback_kit.rollbacks) as the target had it (migrations/progress.ts, migrations/ledger.ts). End
// to end, through the bundles as GitHub runs them: a non-transactional down reverted part way, a
// restore of a snapshot taken before or after that, and the re-run. Statements without IF EXISTS:
// a re-run that ran again a statement that already ran would fail on it, and one that skipped a
// statement whose object the restore brought back would leave that object behind.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { statementHash } from '../../src/migrations/progress.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';
import { applyMigrations, trackingState, workspace, writeMigrations, type Step } from './fixtures.js';

const DOWN = ['DROP INDEX CONCURRENTLY items_a_idx', 'DROP INDEX CONCURRENTLY items_b_idx', 'DROP TABLE items'];
/** What down_progress records of each: the statement's sha256, without its semicolon. */
const HASHES = DOWN.map(statementHash);

function migrations(withEarlier: boolean): Step[] {
  const steps: Step[] = [
    { version: '001', name: 'base', up: 'CREATE TABLE keep_t (id int PRIMARY KEY);\nINSERT INTO keep_t VALUES (1);', down: 'DROP TABLE keep_t;' },
    {
      version: '002',
      name: 'items',
      up: 'CREATE TABLE items (id int PRIMARY KEY, a int, b int);\nINSERT INTO items SELECT g, g, g FROM generate_series(1, 50) g;\nCREATE INDEX items_a_idx ON items (a);\nCREATE INDEX items_b_idx ON items (b);',
      down: DOWN.map((d) => `${d};`).join('\n'),
    },
  ];
  // A non-transactional migration reverted in full before anything else: down_progress exists (empty) from then on.
  if (withEarlier) steps.push({ version: '003', name: 'keep_idx', up: 'CREATE INDEX keep_t_idx ON keep_t (id);', down: 'DROP INDEX CONCURRENTLY keep_t_idx;' });
  return steps;
}

/** A run of its own (GITHUB_RUN_ID): its plan is a ledger row of its own. */
const down = (db: TestDatabase, ws: string, runId: string) =>
  runAction('run-down-migrations', { 'database-url': db.url, 'require-snapshot': 'false', steps: '1' }, { cwd: ws, env: { GITHUB_RUN_ID: runId, GITHUB_JOB: 'rollback', GITHUB_ACTION: 'down' } });

const snapshot = async (db: TestDatabase, ws: string, label: string) => {
  const run = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': join(ws, 'snapshots', label) });
  expect(run.errors).toEqual([]);
  return run.outputs.path!;
};

const restore = async (db: TestDatabase, path: string) => {
  const run = await runAction('restore-db', { 'database-url': db.url, 'snapshot-path': path, confirm: db.name, 'pre-restore-snapshot': 'false' });
  expect(run.errors).toEqual([]);
  expect(run.code).toBe(0);
  return run;
};

async function state(db: TestDatabase) {
  const indexes = await db.query(`SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND indexname ~ '^items_[ab]_idx$' ORDER BY 1`);
  const items = await db.query(`SELECT to_regclass('public.items')::text AS t`);
  return { indexes: indexes.rows.map((r) => r.indexname as string), items: items.rows[0]!.t !== null };
}

async function progress(db: TestDatabase): Promise<{ migration: string; done: string[] }[] | 'no table'> {
  const exists = await db.query(`SELECT to_regclass('rollback_kit.down_progress')::text AS t`);
  if (exists.rows[0]!.t === null) return 'no table';
  return (await db.query(`SELECT migration, done FROM rollback_kit.down_progress ORDER BY migration`)).rows as { migration: string; done: string[] }[];
}

/** Every ledger row, every column, as text. */
async function ledger(db: TestDatabase): Promise<string[]> {
  const exists = await db.query(`SELECT to_regclass('rollback_kit.rollbacks')::text AS t`);
  if (exists.rows[0]!.t === null) return [];
  return (await db.query(`SELECT to_jsonb(t)::text AS r FROM rollback_kit.rollbacks t ORDER BY incident_key`)).rows.map((r) => r.r as string);
}

const keys = (rows: string[]) => rows.map((r) => JSON.parse(r) as { incident_key: string; status: string }).map((r) => `${r.incident_key.split(':')[1]} ${r.status}`);

/**
 * A view on items stops `DROP TABLE items` (statement 3): the run stops after statement 2. The view
 * is then dropped, the fix a re-run waits for (a restore would keep it: the snapshot has no such view).
 */
async function revertPartWay(db: TestDatabase, ws: string, runId: string) {
  await db.query('CREATE VIEW items_v AS SELECT id FROM items');
  const failed = await down(db, ws, runId);
  expect(failed.code).not.toBe(0);
  expect(failed.errors[0]).toContain('2 of 3 statement(s) ran');
  expect(await state(db)).toEqual({ indexes: [], items: true });
  expect(await progress(db)).toEqual([{ migration: '002', done: HASHES.slice(0, 2) }]);
  await db.query('DROP VIEW items_v');
  return failed;
}

describe('run-down-migrations progress across a restore', () => {
  for (const earlier of [false, true]) {
    it(`(a) snapshot before the partial revert${earlier ? ' (down_progress already in it)' : ' (no down_progress in it)'}: the re-run runs every statement again`, async () => {
      const db = await createTestDatabase('rk_progress_before');
      const ws = await workspace();
      const steps = migrations(earlier);
      await applyMigrations(db, 'plain', await writeMigrations(ws, 'plain', steps), steps);
      if (earlier) {
        const first = await down(db, ws, '100');
        expect(first.errors).toEqual([]);
        expect(await progress(db)).toEqual([]);
      }
      const before = await snapshot(db, ws, 'before');
      const snapshotLedger = await ledger(db);

      await revertPartWay(db, ws, '101');
      const targetLedger = await ledger(db);
      expect(keys(targetLedger)).toEqual([...(earlier ? ['100 done'] : []), '101 started']);

      await restore(db, before);
      // The snapshot's schema: both indexes, the table, no view; 002 still recorded.
      expect(await state(db)).toEqual({ indexes: ['items_a_idx', 'items_b_idx'], items: true });
      expect(await trackingState(db, 'plain')).toEqual(['001', '002']);
      // (c) the target's ledger, not the snapshot's.
      expect(await ledger(db)).toEqual(targetLedger);
      expect(targetLedger).not.toEqual(snapshotLedger);

      const rerun = await down(db, ws, '102');
      expect(rerun.errors).toEqual([]);
      expect(rerun.outputs.reverted).toBe('["002"]');
      expect(rerun.log).not.toContain('resuming');
      expect(await state(db)).toEqual({ indexes: [], items: false });
      expect(await trackingState(db, 'plain')).toEqual(['001']);
      expect(await progress(db)).toEqual([]);
    }, 120_000);
  }

  it('(b) snapshot after the partial revert: the re-run after its restore skips the statements its progress lists', async () => {
    const db = await createTestDatabase('rk_progress_after');
    const ws = await workspace();
    const steps = migrations(false);
    await applyMigrations(db, 'plain', await writeMigrations(ws, 'plain', steps), steps);

    await revertPartWay(db, ws, '201');
    const after = await snapshot(db, ws, 'after');
    const snapshotLedger = await ledger(db);

    // Since the snapshot: rows written, and another run's plan in the ledger.
    await db.query('INSERT INTO keep_t VALUES (2)');
    await db.query(`INSERT INTO rollback_kit.rollbacks (incident_key, method, status) VALUES ('run-down-migrations:202:x:y:t', 'run-down-migrations', 'done')`);
    const targetLedger = await ledger(db);
    expect(keys(targetLedger)).toEqual(['201 started', '202 done']);

    await restore(db, after);
    expect(await state(db)).toEqual({ indexes: [], items: true });
    expect((await db.query('SELECT count(*)::int AS n FROM keep_t')).rows[0]!.n).toBe(1);
    expect(await progress(db)).toEqual([{ migration: '002', done: HASHES.slice(0, 2) }]);
    expect(await ledger(db)).toEqual(targetLedger);
    expect(targetLedger).not.toEqual(snapshotLedger);

    const rerun = await down(db, ws, '203');
    expect(rerun.errors).toEqual([]);
    expect(rerun.log).toContain('resuming 002_items.down.sql at statement 3 of 3');
    expect(rerun.outputs.reverted).toBe('["002"]');
    expect(await state(db)).toEqual({ indexes: [], items: false });
    expect(await trackingState(db, 'plain')).toEqual(['001']);
    expect(await progress(db)).toEqual([]);
  }, 120_000);
});
