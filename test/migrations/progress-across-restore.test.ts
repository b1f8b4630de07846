// A restore brings rollback_kit.down_progress back as the snapshot had it, and keeps the ledger
// (rollback_kit.rollbacks) as the target had it (migrations/progress.ts, migrations/ledger.ts). End
// to end: a non-transactional down reverted part way, a restore of a snapshot taken before or after
// that, and the re-run; through the bundles as GitHub runs them, and through the same library
// calls, which run the sources as they are now. Statements without IF EXISTS: a re-run that ran
// again a statement that already ran fails on it, and one that skipped a statement whose object the
// restore brought back would say "resuming".
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { restoreSnapshot } from '../../src/db/restore.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { progressAcrossRestore, startProgressSql, statementHash } from '../../src/migrations/progress.js';
import { revertMigrations } from '../../src/migrations/revert.js';
import { rowVersionsSql } from '../../src/migrations/tracking.js';
import { adminQuery, createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';
import { restoreRequest } from '../restore-db/request.js';
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

interface DownRun {
  errors: string[];
  log: string;
  reverted: string[];
}

/** run-down-migrations (steps: 1, a workflow run of its own: its plan is a ledger row of its own), snapshot-db and restore-db. */
interface Way {
  down(db: TestDatabase, ws: string, runId: string): Promise<DownRun>;
  snapshot(db: TestDatabase, ws: string, label: string): Promise<string>;
  restore(db: TestDatabase, path: string): Promise<void>;
}

const bundles: Way = {
  async down(db, ws, runId) {
    const run = await runAction('run-down-migrations', { 'database-url': db.url, 'require-snapshot': 'false', steps: '1' }, { cwd: ws, env: { GITHUB_RUN_ID: runId, GITHUB_JOB: 'rollback', GITHUB_ACTION: 'down' } });
    expect(run.code === 0).toBe(run.errors.length === 0);
    return { errors: run.errors, log: run.log, reverted: JSON.parse(run.outputs.reverted ?? '[]') as string[] };
  },
  async snapshot(db, ws, label) {
    const run = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': join(ws, 'snapshots', label) });
    expect(run.errors).toEqual([]);
    return run.outputs.path!;
  },
  async restore(db, path) {
    const run = await runAction('restore-db', { 'database-url': db.url, 'snapshot-path': path, confirm: db.name, 'pre-restore-snapshot': 'false' });
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
  },
};

const library: Way = {
  async down(db, ws, runId) {
    const log = memoryLog();
    const run = revertMigrations(
      {
        target: parseConnectionString(db.url),
        root: ws,
        format: 'plain',
        choice: { steps: 1 },
        dryRun: false,
        requireSnapshot: false,
        lockTimeoutSeconds: 30,
        statementTimeoutSeconds: 60,
        run: { id: runId, attempt: 1, job: 'rollback', step: 'down' },
      },
      log,
    );
    return run.then(
      (r) => ({ errors: [], log: log.lines.join('\n'), reverted: r.reverted.map((m) => m.version) }),
      (err: unknown) => ({ errors: [(err as Error).message], log: log.lines.join('\n'), reverted: [] }),
    );
  },
  async snapshot(db, ws, label) {
    return (await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: join(ws, 'snapshots', label), label }), memoryLog())).path;
  },
  async restore(db, path) {
    await restoreSnapshot(await restoreRequest(db.url, path, { preRestoreSnapshot: false }), memoryLog());
  },
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

/** Each ledger row as "<run id> <status>". */
const runs = (rows: string[]) => rows.map((r) => JSON.parse(r) as { incident_key: string; status: string }).map((r) => `${r.incident_key.split(':')[1]} ${r.status}`);

async function setUp(way: Way, prefix: string, withEarlier: boolean): Promise<{ db: TestDatabase; ws: string }> {
  const db = await createTestDatabase(prefix);
  const ws = await workspace();
  const steps = migrations(withEarlier);
  await applyMigrations(db, 'plain', await writeMigrations(ws, 'plain', steps), steps);
  if (withEarlier) {
    const first = await way.down(db, ws, '100');
    expect(first.errors).toEqual([]);
    expect(await progress(db)).toEqual([]);
  }
  return { db, ws };
}

/**
 * A view on items stops `DROP TABLE items` (statement 3): the run stops after statement 2. The view
 * is then dropped, the fix a re-run waits for (a restore would keep it: the snapshot has no such view).
 */
async function revertPartWay(way: Way, db: TestDatabase, ws: string, runId: string): Promise<void> {
  await db.query('CREATE VIEW items_v AS SELECT id FROM items');
  const failed = await way.down(db, ws, runId);
  expect(failed.errors[0]).toContain('2 of 3 statement(s) ran');
  expect(await state(db)).toEqual({ indexes: [], items: true });
  expect(await progress(db)).toEqual([{ migration: '002', done: HASHES.slice(0, 2) }]);
  await db.query('DROP VIEW items_v');
}

/** The re-run ran every statement of 002 (none was skipped) and finished it. */
async function expectRanEveryStatement(db: TestDatabase, rerun: DownRun): Promise<void> {
  expect(rerun.errors).toEqual([]);
  expect(rerun.reverted).toEqual(['002']);
  expect(rerun.log).not.toContain('resuming');
  expect(await state(db)).toEqual({ indexes: [], items: false });
  expect(await trackingState(db, 'plain')).toEqual(['001']);
  expect(await progress(db)).toEqual([]);
}

for (const [name, way] of [
  ['bundles', bundles],
  ['library', library],
] as const) {
  describe(`down_progress across a restore (${name})`, () => {
    for (const earlier of [false, true]) {
      it(`(a) snapshot before the partial revert${earlier ? ', down_progress already in it' : ', no down_progress in it'}: the re-run runs every statement again; the ledger stays the target's`, async () => {
        const { db, ws } = await setUp(way, 'rk_progress_before', earlier);
        const before = await way.snapshot(db, ws, 'before');
        const snapshotLedger = await ledger(db);

        await revertPartWay(way, db, ws, '101');
        const targetLedger = await ledger(db);
        expect(runs(targetLedger)).toEqual([...(earlier ? ['100 done'] : []), '101 started']);

        await way.restore(db, before);
        // The snapshot's schema: both indexes back, 002 still recorded.
        expect(await state(db)).toEqual({ indexes: ['items_a_idx', 'items_b_idx'], items: true });
        expect(await trackingState(db, 'plain')).toEqual(['001', '002']);
        // (c) the target's ledger, not the snapshot's.
        expect(await ledger(db)).toEqual(targetLedger);
        expect(targetLedger).not.toEqual(snapshotLedger);

        await expectRanEveryStatement(db, await way.down(db, ws, '102'));
      }, 120_000);
    }

    it("(b) snapshot after the partial revert, more written since: the re-run after its restore skips exactly the statements its progress lists; the ledger stays the target's", async () => {
      const { db, ws } = await setUp(way, 'rk_progress_after', false);
      await revertPartWay(way, db, ws, '201');
      const after = await way.snapshot(db, ws, 'after');
      const snapshotLedger = await ledger(db);

      // Since the snapshot: a row written, and another run's plan in the ledger.
      await db.query('INSERT INTO keep_t VALUES (2)');
      await db.query(`INSERT INTO rollback_kit.rollbacks (incident_key, method, status) VALUES ('run-down-migrations:202:rollback:down:rollback_kit.schema_migrations', 'run-down-migrations', 'done')`);
      const targetLedger = await ledger(db);
      expect(runs(targetLedger)).toEqual(['201 started', '202 done']);

      await way.restore(db, after);
      expect(await state(db)).toEqual({ indexes: [], items: true });
      expect((await db.query('SELECT count(*)::int AS n FROM keep_t')).rows[0]!.n).toBe(1);
      expect(await progress(db)).toEqual([{ migration: '002', done: HASHES.slice(0, 2) }]);
      // (c)
      expect(await ledger(db)).toEqual(targetLedger);
      expect(targetLedger).not.toEqual(snapshotLedger);

      const rerun = await way.down(db, ws, '203');
      expect(rerun.errors).toEqual([]);
      expect(rerun.log).toContain('resuming 002_items.down.sql at statement 3 of 3: the first 2 ran in an earlier run');
      expect(rerun.reverted).toEqual(['002']);
      expect(await state(db)).toEqual({ indexes: [], items: false });
      expect(await trackingState(db, 'plain')).toEqual(['001']);
      expect(await progress(db)).toEqual([]);
    }, 120_000);

    it('a snapshot holding progress that a restore before it made stale: restored, its re-run still runs every statement', async () => {
      const { db, ws } = await setUp(way, 'rk_progress_stale', false);
      const before = await way.snapshot(db, ws, 'before');
      await revertPartWay(way, db, ws, '301');
      // The snapshot has no down_progress: the target's row stays, while 002's tracking row and indexes come back.
      await way.restore(db, before);
      expect(await progress(db)).toEqual([{ migration: '002', done: HASHES.slice(0, 2) }]);
      expect(await state(db)).toEqual({ indexes: ['items_a_idx', 'items_b_idx'], items: true });
      // Taken now, the snapshot holds that row beside the tracking row; its restore writes both in one transaction.
      const later = await way.snapshot(db, ws, 'later');
      await way.restore(db, later);
      expect(await state(db)).toEqual({ indexes: ['items_a_idx', 'items_b_idx'], items: true });

      const rerun = await way.down(db, ws, '302');
      expect(rerun.log).toContain('discarding the progress an earlier run recorded for 002_items.down.sql (2 statement(s) done)');
      await expectRanEveryStatement(db, rerun);
    }, 120_000);
  });
}

describe("the restore's mark on the progress it keeps (progressAcrossRestore)", () => {
  it('marks only kept rows whose tracking table the transaction wrote; a schema the role may not use, or a name that is no table, fails nothing', async () => {
    const db = await createTestDatabase('rk_progress_mark');
    const role = `rk_progress_${randomBytes(4).toString('hex')}`;
    await adminQuery(`CREATE ROLE ${role} NOLOGIN`);
    try {
      await db.query(`CREATE SCHEMA app; CREATE SCHEMA hidden;
        CREATE TABLE app.tr (version text); CREATE TABLE app.other (version text); CREATE TABLE hidden.t (version text);
        INSERT INTO app.tr VALUES ('1'); INSERT INTO app.other VALUES ('3'); INSERT INTO hidden.t VALUES ('2')`);
      const start = (tracking: string, migration: string, schema: string, name: string) => startProgressSql(tracking, migration, rowVersionsSql({ schema, name }), false).join(';\n');
      await db.query(start('app.tr', 'm1', 'app', 'tr'));
      await db.query(start('hidden.t', 'm2', 'hidden', 't'));
      await db.query(start('app.other', 'm3', 'app', 'other'));
      await db.query(start('app.tr; DROP TABLE app.tr', 'm4', 'app', 'tr'));
      await db.query(`GRANT USAGE ON SCHEMA rollback_kit, app TO ${role}; GRANT SELECT, INSERT, UPDATE ON rollback_kit.down_progress TO ${role};
        GRANT SELECT, INSERT ON app.tr, app.other TO ${role}`);
      const before = (await db.query(`SELECT migration, tracking_rows FROM rollback_kit.down_progress ORDER BY migration`)).rows;

      // As a restore: app.tr written anew, and a progress row of its own (m5) brought with it.
      await db.query(`BEGIN; SET LOCAL ROLE ${role}; INSERT INTO app.tr VALUES ('1');
        INSERT INTO rollback_kit.down_progress (tracking, migration, tracking_rows) VALUES ('app.tr', 'm5', '1234');
        ${progressAcrossRestore()}
        COMMIT`);
      const after = (await db.query(`SELECT migration, tracking_rows FROM rollback_kit.down_progress ORDER BY migration`)).rows;
      expect(after).toEqual([
        { migration: 'm1', tracking_rows: 'restored over' },
        ...before.slice(1),
        { migration: 'm5', tracking_rows: '1234' },
      ]);
      expect((await db.query(`SELECT count(*)::int AS n FROM app.tr`)).rows[0]!.n).toBe(2);
    } finally {
      await db.query(`DROP OWNED BY ${role}`);
      await adminQuery(`DROP ROLE ${role}`);
    }
  });
});
