// A failure after something committed (a migration reverted, a non-transactional statement run)
// must still report what committed: the outputs, the summary and the error name the migrations
// already reverted and how far the half-done one got, and the re-run finishes. Here the write that
// records a non-transactional statement as done fails, as a full disk or a dropped connection
// would make it fail, by a trigger on the progress table.
import { describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { findSecret, runAction } from '../helpers/run-action.js';
import { applyMigrations, existingTables, trackingState, workspace, writeMigrations, type Step } from './fixtures.js';

const PASSWORD = 'After-Commit-P4ssword';
const withPassword = (url: string) => Object.assign(new URL(url), { password: PASSWORD }).toString();

const down = (db: TestDatabase, ws: string, inputs: Record<string, string>) =>
  runAction('run-down-migrations', { 'database-url': withPassword(db.url), 'require-snapshot': 'false', ...inputs }, { cwd: ws });

/**
 * Makes the write that records statement `nth` of a non-transactional migration as done fail:
 * `disk-full` raises PostgreSQL's disk_full error, `terminate` ends the session in the middle of it.
 * The table is the one the runner creates (CREATE TABLE IF NOT EXISTS keeps this one).
 */
async function failProgressWrite(db: TestDatabase, nth: number, how: 'disk-full' | 'terminate'): Promise<void> {
  const body =
    how === 'disk-full'
      ? `RAISE EXCEPTION 'could not extend file "base/16384/2619": No space left on device' USING ERRCODE = 'disk_full'`
      : 'PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(1)';
  await db.query(`
    CREATE SCHEMA IF NOT EXISTS rollback_kit;
    CREATE TABLE IF NOT EXISTS rollback_kit.down_progress (
      tracking text NOT NULL, migration text NOT NULL, done text[] NOT NULL DEFAULT '{}',
      updated_at timestamptz NOT NULL DEFAULT now(), tracking_rows text, PRIMARY KEY (tracking, migration));
    CREATE FUNCTION public.rk_fail_progress() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ${body}; RETURN NEW; END $$;
    CREATE TRIGGER rk_fail_progress BEFORE UPDATE ON rollback_kit.down_progress FOR EACH ROW
      WHEN (cardinality(NEW.done) = ${nth} AND cardinality(OLD.done) = ${nth - 1}) EXECUTE FUNCTION public.rk_fail_progress();`);
}

async function stopFailing(db: TestDatabase): Promise<void> {
  await db.query('DROP TRIGGER rk_fail_progress ON rollback_kit.down_progress; DROP FUNCTION public.rk_fail_progress()');
}

async function progressRows(db: TestDatabase): Promise<{ migration: string; done: number }[]> {
  const r = await db.query(`SELECT migration, cardinality(done) AS done FROM rollback_kit.down_progress ORDER BY migration`);
  return r.rows as { migration: string; done: number }[];
}

async function indexes(db: TestDatabase): Promise<string[]> {
  const r = await db.query(`SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND indexname !~ '_pkey$' ORDER BY 1`);
  return r.rows.map((row) => row.indexname as string);
}

async function advisoryLocks(db: TestDatabase): Promise<unknown[]> {
  return (await db.query(`SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`)).rows;
}

/** 1…3: tables t1…t3; 2's down is non-transactional (CONCURRENTLY), written to be repeated. */
function steps(versionOf: (i: number) => string): Step[] {
  return [
    { version: versionOf(1), name: 'create_t1', up: 'CREATE TABLE t1 (id int);', down: 'DROP TABLE t1;' },
    {
      version: versionOf(2),
      name: 'create_t2',
      up: 'CREATE TABLE t2 (id int, email text);\nCREATE INDEX t2_email_idx ON t2 (email);',
      down: 'DROP INDEX CONCURRENTLY IF EXISTS t2_email_idx;\nALTER TABLE t2 DROP COLUMN IF EXISTS email;\nDROP TABLE t2;',
    },
    { version: versionOf(3), name: 'create_t3', up: 'CREATE TABLE t3 (id int);', down: 'DROP TABLE t3;' },
  ];
}

describe('run-down-migrations when recording a non-transactional statement fails', () => {
  it('disk full: the outputs and the summary list the migration already reverted and how far the next got; the re-run finishes', async () => {
    const db = await createTestDatabase('rk_aftercommit_disk');
    const ws = await workspace();
    const s = steps((i) => `00${i}`);
    const dir = await writeMigrations(ws, 'plain', s);
    await applyMigrations(db, 'plain', dir, s);
    await failProgressWrite(db, 1, 'disk-full');

    const run = await down(db, ws, { steps: '2' });
    expect(run.code).toBe(1);
    expect(run.errors).toHaveLength(1);
    const error = run.errors[0]!;
    expect(error).toContain(
      'Reverting 002_create_t2.down.sql: statement 1 of 3 ran (002_create_t2.down.sql line 1, statement "DROP INDEX CONCURRENTLY IF EXISTS t2_email_idx"), but recording it as done in rollback_kit.down_progress failed',
    );
    expect(error).toContain('No space left on device [53100]');
    expect(error).toContain('rollback_kit.down_progress records 0 of them');
    expect(error).toContain('rollback_kit.schema_migrations still lists it as applied');
    expect(error).toContain('The re-run starts at statement 1 and runs it again');
    expect(error).toContain("AND cardinality(done) = 0");
    expect(error).toContain('Reverted before the failure: 003_create_t3.down.sql.');
    expect(error).toContain('`to-version: 001`');
    // What committed: 003 whole, and 002's first statement.
    expect(run.outputs.status).toBe('failed');
    expect(JSON.parse(run.outputs.reverted!)).toEqual(['003']);
    expect(run.outputs.count).toBe('1');
    expect(run.outputs['finish-to-version']).toBe('001');
    expect(run.summary).toContain('**Failed** after reverting 1 of 2.');
    expect(run.summary).toContain('| 1 | 003 | `003_create_t3.down.sql` | transaction |');
    expect(run.summary).toMatch(/\*\*Stopped in\*\* `002_create_t2\.down\.sql` \(version 002\): .*statement 1 of 3/);
    expect(await findSecret(run, PASSWORD)).toEqual([]);
    expect(await existingTables(db)).toEqual(['t1', 't2']);
    expect(await indexes(db)).toEqual([]);
    expect(await trackingState(db, 'plain')).toEqual(['001', '002']);
    expect(await progressRows(db)).toEqual([{ migration: '002', done: 0 }]);
    expect(await advisoryLocks(db)).toEqual([]);

    // The disk has room again: the run finishes the plan, statement 1 again (IF EXISTS: harmless).
    await stopFailing(db);
    const rerun = await down(db, ws, { 'to-version': run.outputs['finish-to-version']! });
    expect(rerun.errors).toEqual([]);
    expect(JSON.parse(rerun.outputs.reverted!)).toEqual(['002']);
    expect(await existingTables(db)).toEqual(['t1']);
    expect(await trackingState(db, 'plain')).toEqual(['001']);
    expect(await progressRows(db)).toEqual([]);
  });

  it('the connection dropped while recording: the error says the record may or may not have landed; golang-migrate stays dirty; the re-run resumes', async () => {
    const db = await createTestDatabase('rk_aftercommit_kill');
    const ws = await workspace();
    const s = steps(String);
    const dir = await writeMigrations(ws, 'golang-migrate', s);
    await applyMigrations(db, 'golang-migrate', dir, s);
    // Statement 1 is recorded; the session ends while statement 2's record is written.
    await failProgressWrite(db, 2, 'terminate');

    const run = await down(db, ws, { steps: '2' });
    expect(run.code).toBe(1);
    const error = run.errors[0]!;
    expect(error).toContain('Lost the connection to ');
    expect(error).toContain(
      'while reverting 2_create_t2.up.sql: statement 2 of 3 ran (2_create_t2.down.sql line 2, statement "ALTER TABLE t2 DROP COLUMN IF EXISTS email"), but recording it as done in rollback_kit.down_progress failed',
    );
    expect(error).toContain('[57P01]');
    expect(error).toContain('rollback_kit.down_progress records 1 of them (2, if the write landed before the connection went)');
    expect(error).toContain('schema_migrations is marked dirty until all have run');
    expect(error).toContain('Reverted before the failure: 3_create_t3.down.sql.');
    expect(run.outputs.status).toBe('failed');
    expect(JSON.parse(run.outputs.reverted!)).toEqual(['3']);
    expect(run.outputs['finish-to-version']).toBe('1');
    expect(run.summary).toContain('**Failed** after reverting 1 of 2.');
    expect(run.summary).toMatch(/\*\*Stopped in\*\* `2_create_t2\.down\.sql` \(version 2\): .*statements 1 to 2 of 3 ran/);
    expect(await findSecret(run, PASSWORD)).toEqual([]);
    expect(await existingTables(db)).toEqual(['t1', 't2']);
    expect(await trackingState(db, 'golang-migrate')).toEqual([{ version: '1', dirty: true }]);
    expect(await progressRows(db)).toEqual([{ migration: '2', done: 1 }]);
    expect(await advisoryLocks(db)).toEqual([]);

    await stopFailing(db);
    const rerun = await down(db, ws, { 'to-version': '1' });
    expect(rerun.errors).toEqual([]);
    expect(rerun.log).toContain('resuming 2_create_t2.up.sql at statement 2 of 3');
    expect(JSON.parse(rerun.outputs.reverted!)).toEqual(['2']);
    expect(await existingTables(db)).toEqual(['t1']);
    expect(await trackingState(db, 'golang-migrate')).toEqual([{ version: '1', dirty: false }]);
  });

  it('before anything committed, the error still says nothing was changed', async () => {
    const db = await createTestDatabase('rk_aftercommit_first');
    const ws = await workspace();
    const s = steps((i) => `00${i}`);
    const dir = await writeMigrations(ws, 'plain', s);
    await applyMigrations(db, 'plain', dir, s);
    // What the run reads first, the progress of earlier runs, cannot be read: a view in the table's
    // place has no row versions, which the read asks for.
    await db.query(`CREATE VIEW rollback_kit.down_progress AS SELECT 'x'::text AS tracking, 'y'::text AS migration, ARRAY[(1 / 0)::text] AS done`);

    const run = await down(db, ws, { steps: '2' });
    expect(run.code).toBe(1);
    expect(run.errors[0]).toContain('Could not read the progress of earlier runs from rollback_kit.down_progress: column p.xmin does not exist [42703].');
    expect(run.errors[0]).toContain('Nothing was changed.');
    expect(run.errors[0]).not.toContain('Reverted before the failure');
    expect(run.outputs.status).toBe('failed');
    expect(JSON.parse(run.outputs.reverted!)).toEqual([]);
    expect(run.summary).toContain('**Failed** after reverting 0 of 2.');
    expect(run.summary).not.toContain('Stopped in');
    expect(await existingTables(db)).toEqual(['t1', 't2', 't3']);
    expect(await trackingState(db, 'plain')).toEqual(['001', '002', '003']);
  });
});

describe('the whole rollback when recording a non-transactional statement fails', () => {
  it('records the migration already reverted and fails in the database phase; a re-run finishes the plan', async () => {
    const db = await createTestDatabase('rk_aftercommit_root');
    const ws = await workspace();
    const s = steps((i) => `00${i}`);
    const dir = await writeMigrations(ws, 'plain', s);
    await applyMigrations(db, 'plain', dir, s);
    await failProgressWrite(db, 1, 'disk-full');
    const inputs = { reason: 'bad deploy', scope: 'db', 'database-url': withPassword(db.url), steps: '2', 'migrations-dir': 'migrations', format: 'plain', 'github-token': '', 'incident-issue': 'false' };

    const run = await runAction('rollback', inputs, { cwd: ws });
    expect(run.code).toBe(1);
    expect(run.outputs.status).toBe('failed');
    expect(run.outputs['failed-phase']).toBe('database');
    expect(JSON.parse(run.outputs.reverted!)).toEqual(['003']);
    const database = (JSON.parse(run.outputs.timeline!) as { phase: string; status: string; detail: string }[]).find((r) => r.phase === 'database')!;
    expect(database.status).toBe('failed');
    expect(database.detail).toContain('statement 1 of 3 ran (002_create_t2.down.sql line 1, statement "DROP INDEX CONCURRENTLY IF EXISTS t2_email_idx"), but recording it as done in rollback_kit.down_progress failed');
    expect(database.detail).toContain('Reverted before the failure: 003_create_t3.down.sql.');
    expect(await findSecret(run, PASSWORD)).toEqual([]);
    expect(await trackingState(db, 'plain')).toEqual(['001', '002']);

    await stopFailing(db);
    const again = await runAction('rollback', inputs, { cwd: ws });
    expect(again.errors).toEqual([]);
    expect(again.outputs.status).toBe('rolled-back');
    expect(JSON.parse(again.outputs.reverted!)).toEqual(['003', '002']);
    expect(await existingTables(db)).toEqual(['t1']);
    expect(await trackingState(db, 'plain')).toEqual(['001']);
  });

  it('a half-done non-transactional migration alone is a change: the whole rollback does not call it "nothing was changed"', async () => {
    const db = await createTestDatabase('rk_aftercommit_half');
    const ws = await workspace();
    const s = steps((i) => `00${i}`).slice(0, 2);
    const dir = await writeMigrations(ws, 'plain', s);
    await applyMigrations(db, 'plain', dir, s);
    await failProgressWrite(db, 1, 'disk-full');
    const inputs = { reason: 'bad deploy', scope: 'db', 'database-url': withPassword(db.url), steps: '1', 'migrations-dir': 'migrations', format: 'plain', 'github-token': '', 'incident-issue': 'false' };

    const run = await runAction('rollback', inputs, { cwd: ws });
    expect(run.code).toBe(1);
    expect(run.outputs['failed-phase']).toBe('database');
    expect(JSON.parse(run.outputs.reverted!)).toEqual([]);
    // The index is gone (statement 1 committed), though no migration finished.
    expect(await indexes(db)).toEqual([]);
    const verify = (JSON.parse(run.outputs.timeline!) as { phase: string; detail: string }[]).find((r) => r.phase === 'verify')!;
    expect(verify.detail).not.toContain('nothing was changed');
  });
});
