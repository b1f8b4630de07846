// What goes wrong in a real rollback: a failing statement, CONCURRENTLY, a missing down file, two
// runs at once, a connection killed mid-migration. Each must leave the database consistent and
// the re-run must finish the job.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { ROLLBACK_KIT_LOCK_KEY } from '../../src/migrations/lock.js';
import { createTestDatabase, holdTableLock, waitForLockWaiter, type TestDatabase } from '../helpers/pg.js';
import { findSecret, runAction } from '../helpers/run-action.js';
import { applyMigrations, existingTables, git, tables, trackingState, workspace, writeMigrations, type Step } from './fixtures.js';

const APP = 'rollback-kit run-down-migrations';

// Local PostgreSQL trusts every password: each run carries one, to prove no failure message leaks it.
const PASSWORD = 'Failing-Down-P4ssword';
const withPassword = (url: string) => Object.assign(new URL(url), { password: PASSWORD }).toString();

const down = (db: TestDatabase, ws: string, inputs: Record<string, string>, env?: Record<string, string>) =>
  runAction('run-down-migrations', { 'database-url': withPassword(db.url), 'require-snapshot': 'false', ...inputs }, { cwd: ws, env });

async function columns(db: TestDatabase, table: string): Promise<string[]> {
  const r = await db.query(`SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`, [table]);
  return r.rows.map((row) => row.column_name);
}

/** Polls until `sql` returns a row (no time limit: the test's own timeout bounds it). */
async function waitFor(db: TestDatabase, sql: string): Promise<pg.QueryResultRow> {
  for (;;) {
    const r = await db.query(sql);
    if (r.rows.length) return r.rows[0]!;
    await sleep(50);
  }
}


describe('run-down-migrations failures', () => {
  it('stops in the middle of the third of five: that one rolled back whole, the two before stay reverted; the re-run continues', async () => {
    const db = await createTestDatabase('rk_down_fail');
    const ws = await workspace();
    const steps = tables(5);
    // The third to run is version 3: its second statement fails after the first changed t3.
    steps[2]!.down = 'ALTER TABLE t3 ADD COLUMN note text;\nSELECT no_such_column\n  FROM t3;\nDROP TABLE t3;';
    const dir = await writeMigrations(ws, 'dbmate', steps);
    await applyMigrations(db, 'dbmate', dir, steps);

    const run = await down(db, ws, { 'to-version': steps[0]!.version });
    expect(run.code).not.toBe(0);
    expect(run.errors).toHaveLength(1);
    const error = run.errors[0]!;
    expect(error).toContain(`${steps[2]!.version}_create_t3.sql line 7`);
    expect(error).toContain('SELECT no_such_column');
    expect(error).toContain('column "no_such_column" does not exist [42703]');
    expect(error).toContain('transaction was rolled back');
    expect(JSON.parse(run.outputs.reverted!)).toEqual([steps[4]!.version, steps[3]!.version]);
    expect(run.outputs.count).toBe('2');
    // Two were reverted, but the step failed: the status says so, reverted says what was done.
    expect(run.outputs.status).toBe('failed');
    expect(run.summary).toContain('Failed');
    expect(await findSecret(run, PASSWORD)).toEqual([]);
    // Nothing of the third is left: not the column its first statement added, not its bookkeeping.
    expect(await existingTables(db)).toEqual(['t1', 't2', 't3']);
    expect(await columns(db, 't3')).toEqual(['id']);
    expect(await trackingState(db, 'dbmate')).toEqual(steps.slice(0, 3).map((s) => s.version));

    steps[2]!.down = 'ALTER TABLE t3 ADD COLUMN note text;\nDROP TABLE t3;';
    await writeMigrations(ws, 'dbmate', steps);
    const rerun = await down(db, ws, { 'to-version': steps[0]!.version });
    expect(rerun.errors).toEqual([]);
    expect(JSON.parse(rerun.outputs.reverted!)).toEqual([steps[2]!.version, steps[1]!.version]);
    expect(await existingTables(db)).toEqual(['t1']);
    expect(await trackingState(db, 'dbmate')).toEqual([steps[0]!.version]);
  });

  it('says status=failed, not reverted, when the first down fails (a later if: always() step reads it)', async () => {
    const db = await createTestDatabase('rk_down_status');
    const ws = await workspace();
    const steps = tables(3);
    steps[2]!.down = 'drop tabel three;';
    const dir = await writeMigrations(ws, 'dbmate', steps);
    await applyMigrations(db, 'dbmate', dir, steps);
    const snap = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': join(ws, 'snapshots') });
    expect(snap.errors).toEqual([]);

    const run = await runAction('run-down-migrations', { 'database-url': withPassword(db.url), steps: '2', 'snapshot-path': snap.outputs.path! }, { cwd: ws });
    expect(run.code).not.toBe(0);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toContain('syntax error at or near "tabel" [42601]');
    expect(run.outputs.status).toBe('failed');
    expect(JSON.parse(run.outputs.reverted!)).toEqual([]);
    expect(run.outputs.count).toBe('0');
    expect(JSON.parse(run.outputs.plan!).map((p: { version: string }) => p.version)).toEqual([steps[2]!.version, steps[1]!.version]);
    expect(await findSecret(run, PASSWORD)).toEqual([]);
    expect(await existingTables(db)).toEqual(['t1', 't2', 't3']);
    expect(await trackingState(db, 'dbmate')).toEqual(steps.map((s) => s.version));
  });

  it('names the failing statement when PostgreSQL gives no position, and keeps trailing comments harmless', async () => {
    const db = await createTestDatabase('rk_down_nopos');
    const ws = await workspace();
    const steps = tables(2);
    steps[1]!.down = 'ALTER TABLE t2 ADD COLUMN c int -- a trailing comment\n;\n-- the next one fails without a position\nDROP TABLE missing_table;\nDROP TABLE t2;';
    const dir = await writeMigrations(ws, 'plain', steps);
    await applyMigrations(db, 'plain', dir, steps);
    const run = await down(db, ws, { steps: '1' });
    expect(run.code).not.toBe(0);
    expect(run.errors[0]).toContain(`${steps[1]!.version}_create_t2.down.sql line 4, statement "DROP TABLE missing_table"`);
    expect(run.errors[0]).toContain('table "missing_table" does not exist [42P01]');
    expect(run.outputs.count).toBe('0');
    expect(run.outputs.reverted).toBe('[]');
    expect(await columns(db, 't2')).toEqual(['id']);
    expect(await trackingState(db, 'plain')).toEqual(steps.map((s) => s.version));
  });

  it('runs a migration holding CREATE/DROP INDEX CONCURRENTLY statement by statement, resumes after a failure, and keeps golang-migrate dirty meanwhile', async () => {
    const db = await createTestDatabase('rk_down_conc');
    const ws = await workspace();
    const steps: Step[] = tables(3, String);
    steps[2]!.up = 'CREATE TABLE t3 (id int PRIMARY KEY, email text);\nCREATE INDEX t3_email_idx ON t3 (email);';
    steps[2]!.down = 'DROP INDEX CONCURRENTLY t3_email_idx;\nDROP TABLE missing_table;\nDROP TABLE t3;';
    const dir = await writeMigrations(ws, 'golang-migrate', steps);
    await applyMigrations(db, 'golang-migrate', dir, steps);

    const run = await down(db, ws, { steps: '1' });
    expect(run.code).not.toBe(0);
    expect(run.errors[0]).toContain('3_create_t3.down.sql line 2');
    expect(run.errors[0]).toContain('table "missing_table" does not exist');
    expect(run.errors[0]).toContain('1 of 3 statement(s) ran');
    // The index went (CONCURRENTLY cannot be undone); golang-migrate's own view: version 2, dirty.
    expect((await db.query(`SELECT 1 FROM pg_indexes WHERE indexname = 't3_email_idx'`)).rows).toEqual([]);
    expect(await trackingState(db, 'golang-migrate')).toEqual([{ version: '2', dirty: true }]);

    // Fixed: the statement that ran is not run again (it would fail: the index is gone).
    steps[2]!.down = 'DROP INDEX CONCURRENTLY t3_email_idx;\nDROP TABLE IF EXISTS missing_table;\nDROP TABLE t3;';
    await writeMigrations(ws, 'golang-migrate', steps);
    const rerun = await down(db, ws, { steps: '1' });
    expect(rerun.errors).toEqual([]);
    expect(rerun.log).toContain('resuming');
    expect(await existingTables(db)).toEqual(['t1', 't2']);
    expect(await trackingState(db, 'golang-migrate')).toEqual([{ version: '2', dirty: false }]);
    expect((await db.query('SELECT count(*)::int AS n FROM rollback_kit.down_progress')).rows[0]!.n).toBe(0);

    // Back to no version at all: golang-migrate empties its table. A step of its own: run again in
    // the same step, it would finish the plan above (done), not count two more.
    const all = await down(db, ws, { steps: '2' }, { GITHUB_ACTION: 'down-all' });
    expect(all.errors).toEqual([]);
    expect(await trackingState(db, 'golang-migrate')).toEqual([]);
  });

  it('refuses a since-ref that would leave a newer migration applied above a reverted one (golang-migrate keeps one version)', async () => {
    const db = await createTestDatabase('rk_down_gap');
    const ws = await workspace();
    const steps = tables(3, String);
    await git(ws, 'init', '-q');
    const dir = await writeMigrations(ws, 'golang-migrate', [steps[0]!, steps[2]!]);
    await git(ws, 'add', '.');
    await git(ws, 'commit', '-q', '-m', 'good');
    await git(ws, 'tag', 'good');
    // The deploy added version 2, older than version 3 that was already there.
    await writeMigrations(ws, 'golang-migrate', steps);
    await git(ws, 'add', '.');
    await git(ws, 'commit', '-q', '-m', 'bad');
    await applyMigrations(db, 'golang-migrate', dir, steps);
    const run = await down(db, ws, { 'since-ref': 'good' });
    expect(run.code).not.toBe(0);
    expect(run.errors[0]).toContain('selects 2_create_t2.up.sql, but 3_create_t3.up.sql');
    expect(run.errors[0]).toContain('to-version');
    expect(await existingTables(db)).toEqual(['t1', 't2', 't3']);
  });

  it('refuses a database golang-migrate itself left dirty', async () => {
    const db = await createTestDatabase('rk_down_dirty');
    const ws = await workspace();
    const steps = tables(3, String);
    const dir = await writeMigrations(ws, 'golang-migrate', steps);
    await applyMigrations(db, 'golang-migrate', dir, steps);
    await db.query('UPDATE schema_migrations SET dirty = true');
    const run = await down(db, ws, { steps: '1' });
    expect(run.code).not.toBe(0);
    expect(run.errors[0]).toContain('dirty at version 3');
    expect(run.errors[0]).toContain('migrate force');
    expect(await existingTables(db)).toEqual(['t1', 't2', 't3']);
  });

  it('stops before anything runs when a migration to revert has no down file, naming it', async () => {
    const db = await createTestDatabase('rk_down_nodown');
    const ws = await workspace();
    const steps = tables(5, String);
    delete steps[3]!.down;
    const dir = await writeMigrations(ws, 'golang-migrate', steps);
    await applyMigrations(db, 'golang-migrate', dir, steps);
    const run = await down(db, ws, { steps: '2' });
    expect(run.code).not.toBe(0);
    expect(run.errors[0]).toContain('4_create_t4.up.sql (no down SQL)');
    expect(run.errors[0]).toContain('Nothing was run');
    expect(await existingTables(db)).toEqual(['t1', 't2', 't3', 't4', 't5']);
    expect(await trackingState(db, 'golang-migrate')).toEqual([{ version: '5', dirty: false }]);
  });

  it('lets two runs at once never both revert: the second waits for the lock and then has nothing to do', async () => {
    const db = await createTestDatabase('rk_down_race');
    const ws = await workspace();
    const steps = tables(5);
    steps[4]!.down = 'SELECT pg_sleep(0.5);\nDROP TABLE t5;';
    const dir = await writeMigrations(ws, 'dbmate', steps);
    await applyMigrations(db, 'dbmate', dir, steps);

    // Hold dbmate's lock (ours: dbmate has none) until both runs are connected and waiting for it.
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock($1::bigint)', [ROLLBACK_KIT_LOCK_KEY]);
    const inputs = { 'to-version': steps[2]!.version, 'lock-timeout-seconds': '100' };
    const runs = Promise.all([down(db, ws, inputs), down(db, ws, inputs)]);
    await waitFor(db, `SELECT 1 FROM pg_stat_activity WHERE application_name = '${APP}' AND datname = current_database() HAVING count(*) = 2`);
    await holder.end();
    const [a, b] = await runs;

    expect([a.code, b.code]).toEqual([0, 0]);
    expect(a.log).toContain('Waiting up to 100 s for the migration lock');
    expect(b.log).toContain('Waiting up to 100 s for the migration lock');
    expect([a.outputs.status, b.outputs.status].sort()).toEqual(['nothing-to-do', 'reverted']);
    const winner = a.outputs.status === 'reverted' ? a : b;
    expect(JSON.parse(winner.outputs.reverted!)).toEqual([steps[4]!.version, steps[3]!.version]);
    expect(await existingTables(db)).toEqual(['t1', 't2', 't3']);
    expect(await trackingState(db, 'dbmate')).toEqual(steps.slice(0, 3).map((s) => s.version));
  });

  it('leaves the database consistent when its connection is killed mid-migration; the re-run completes', async () => {
    const db = await createTestDatabase('rk_down_kill');
    const ws = await workspace();
    const steps = tables(5);
    const dir = await writeMigrations(ws, 'plain', steps);
    await applyMigrations(db, 'plain', dir, steps);

    // Another session holds t4, so the rollback's DROP TABLE t4 waits: we kill it there.
    const release = await holdTableLock(db, 't4');
    const running = down(db, ws, { 'to-version': steps[2]!.version, 'lock-timeout-seconds': '100' });
    const victim = (await waitForLockWaiter({ database: db.name, applicationName: APP }))!;
    await db.query('SELECT pg_terminate_backend($1)', [victim.pid]);
    const run = await running;
    await release();

    expect(run.code).not.toBe(0);
    expect(run.errors[0]).toContain('Lost the connection');
    expect(await findSecret(run, PASSWORD)).toEqual([]);
    expect(run.errors[0]).toContain(`${steps[3]!.version}_create_t4.down.sql`);
    expect(JSON.parse(run.outputs.reverted!)).toEqual([steps[4]!.version]);
    // t5 reverted and recorded so; t4 untouched and still recorded as applied.
    expect(await existingTables(db)).toEqual(['t1', 't2', 't3', 't4']);
    expect(await trackingState(db, 'plain')).toEqual(steps.slice(0, 4).map((s) => s.version));
    // No lock left behind: the session lock died with the session.
    expect((await db.query(`SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`)).rows).toEqual([]);

    const rerun = await down(db, ws, { 'to-version': steps[2]!.version });
    expect(rerun.errors).toEqual([]);
    expect(JSON.parse(rerun.outputs.reverted!)).toEqual([steps[3]!.version]);
    expect(await existingTables(db)).toEqual(['t1', 't2', 't3']);
    expect(await trackingState(db, 'plain')).toEqual(steps.slice(0, 3).map((s) => s.version));
  });

  it('gives up on a table lock after lock-timeout-seconds instead of queueing production behind it', async () => {
    const db = await createTestDatabase('rk_down_locktimeout');
    const ws = await workspace();
    const steps = tables(2);
    const dir = await writeMigrations(ws, 'supabase', steps);
    await applyMigrations(db, 'supabase', dir, steps);
    const release = await holdTableLock(db, 't2');
    const run = await down(db, ws, { steps: '1', 'lock-timeout-seconds': '0.2' });
    await release();
    expect(run.code).not.toBe(0);
    expect(run.errors[0]).toContain('lock timeout');
    expect(run.errors[0]).toContain('lock-timeout-seconds (tried 4 times)');
    expect(run.log.match(/trying again in \d+ ms/g)).toHaveLength(3);
    expect(await existingTables(db)).toEqual(['t1', 't2']);
    expect(await trackingState(db, 'supabase')).toEqual(steps.map((s) => s.version));
  });

  it("cleans up a Prisma migration that failed midway and marks it rolled back, as migrate resolve --rolled-back does", async () => {
    const db = await createTestDatabase('rk_down_prisma_failed');
    const ws = await workspace();
    const steps = tables(3);
    steps[2]!.down = 'DROP TABLE IF EXISTS t3;';
    const dir = await writeMigrations(ws, 'prisma', steps);
    await applyMigrations(db, 'prisma', dir, steps);
    // The deploy's last migration failed partway: its row has neither finished_at nor rolled_back_at,
    // which blocks `prisma migrate deploy` until it is resolved.
    await db.query(`UPDATE _prisma_migrations SET finished_at = NULL, logs = 'failed' WHERE migration_name = $1`, [`${steps[2]!.version}_${steps[2]!.name}`]);
    const run = await down(db, ws, { steps: '1' });
    expect(run.errors).toEqual([]);
    expect(await existingTables(db)).toEqual(['t1', 't2']);
    const rows = await db.query(`SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NULL AND rolled_back_at IS NULL`);
    expect(rows.rows).toEqual([]);
    expect(await trackingState(db, 'prisma')).toEqual(steps.slice(0, 2).map((s) => `${s.version}_${s.name}`));
  });

  it('tries again after a lock timeout, so a short lock wait still gets through once the blocker is gone', async () => {
    const db = await createTestDatabase('rk_down_lockretry');
    const ws = await workspace();
    const steps = tables(2);
    const dir = await writeMigrations(ws, 'supabase', steps);
    await applyMigrations(db, 'supabase', dir, steps);
    const release = await holdTableLock(db, 't2');
    const running = down(db, ws, { steps: '1', 'lock-timeout-seconds': '0.2' });
    // Let the first attempt time out (its lock wait shows in pg_locks), then release the table.
    await waitFor(db, `SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 't2' AND NOT l.granted`);
    await waitFor(db, `SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 't2' AND NOT l.granted HAVING count(*) = 0`);
    await release();
    const run = await running;
    expect(run.errors).toEqual([]);
    expect(run.log).toContain('a table lock was not granted within lock-timeout-seconds; nothing was changed; trying again');
    expect(await existingTables(db)).toEqual(['t1']);
    expect(await trackingState(db, 'supabase')).toEqual([steps[0]!.version]);
  });

  it('refuses transaction statements inside a down migration before running anything', async () => {
    const db = await createTestDatabase('rk_down_txn');
    const ws = await workspace();
    const steps = tables(2);
    steps[1]!.down = 'DROP TABLE t2;\nCOMMIT;\nSELECT 1;';
    const dir = await writeMigrations(ws, 'prisma', steps);
    await applyMigrations(db, 'prisma', dir, steps);
    const run = await down(db, ws, { steps: '1' });
    expect(run.code).not.toBe(0);
    expect(run.errors[0]).toContain('down.sql line 2: "COMMIT"');
    expect(await existingTables(db)).toEqual(['t1', 't2']);
    // A file wrapped whole in BEGIN … COMMIT is fine: we supply that transaction.
    await writeFile(join(dir, `${steps[1]!.version}_${steps[1]!.name}`, 'down.sql'), 'BEGIN;\nDROP TABLE t2;\nCOMMIT;\n');
    const ok = await down(db, ws, { steps: '1' });
    expect(ok.errors).toEqual([]);
    expect(await existingTables(db)).toEqual(['t1']);
    expect((await db.query('SELECT count(*)::int AS n FROM _prisma_migrations WHERE rolled_back_at IS NOT NULL')).rows[0]!.n).toBe(1);
  });
});
