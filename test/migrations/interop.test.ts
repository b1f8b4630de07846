// The real tools agree with our bookkeeping: apply with the tool, roll back with the action, then
// the tool's own status and `up` see exactly what its own rollback would have left.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';
import { dbmate, existingTables, nodePgMigrate, workspace, writeMigrations, type Step } from './fixtures.js';

const down = (db: TestDatabase, ws: string, inputs: Record<string, string>) =>
  runAction('run-down-migrations', { 'database-url': db.url, 'require-snapshot': 'false', ...inputs }, { cwd: ws });

async function indexes(db: TestDatabase): Promise<string[]> {
  return (await db.query(`SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND indexname LIKE '%_idx' ORDER BY 1`)).rows.map((r) => r.indexname);
}

describe('interop with dbmate', () => {
  const steps: Step[] = [
    { version: '20240101000001', name: 'create_t1', up: 'CREATE TABLE t1 (id int PRIMARY KEY, email text);', down: 'DROP TABLE t1;' },
    { version: '20240101000002', name: 'create_t2', up: 'CREATE TABLE t2 (id int PRIMARY KEY);', down: 'DROP TABLE t2;' },
    // The tool's own non-transactional form: CONCURRENTLY cannot run in a transaction.
    { version: '20240101000003', name: 'index_t1', up: 'CREATE INDEX CONCURRENTLY t1_email_idx ON t1 (email);', down: 'DROP INDEX CONCURRENTLY t1_email_idx;', noTransaction: true },
    { version: '20240101000004', name: 'create_t3', up: 'CREATE TABLE t3 (id int PRIMARY KEY);', down: 'DROP TABLE t3;' },
  ];

  it("leaves schema_migrations as dbmate rollback does; dbmate status and up agree and re-apply", async () => {
    const ours = await createTestDatabase('rk_down_dbmate');
    const theirs = await createTestDatabase('rk_down_dbmate_ref');
    const ws = await workspace();
    const dir = await writeMigrations(ws, 'dbmate', steps);
    await dbmate(ours, dir, 'up');
    await dbmate(theirs, dir, 'up');

    const run = await down(ours, ws, { steps: '2' });
    expect(run.errors).toEqual([]);
    expect(run.log).toContain('non-transactional');
    await dbmate(theirs, dir, 'rollback');
    await dbmate(theirs, dir, 'rollback');

    const rows = async (db: TestDatabase) => (await db.query('SELECT version FROM schema_migrations ORDER BY version')).rows;
    expect(await rows(ours)).toEqual(await rows(theirs));
    expect(await existingTables(ours)).toEqual(await existingTables(theirs));
    expect(await indexes(ours)).toEqual([]);

    const status = await dbmate(ours, dir, 'status');
    expect(status).toMatch(/\[X\] 20240101000001_create_t1\.sql/);
    expect(status).toMatch(/\[ \] 20240101000003_index_t1\.sql/);
    expect(status).toMatch(/\[ \] 20240101000004_create_t3\.sql/);
    expect(status).toMatch(/Pending: 2/);

    await dbmate(ours, dir, 'up');
    expect(await existingTables(ours)).toEqual(['t1', 't2', 't3']);
    expect(await indexes(ours)).toEqual(['t1_email_idx']);
    expect(await dbmate(ours, dir, 'status')).toMatch(/Pending: 0/);
    // Its own rollback still works on what we left.
    await dbmate(ours, dir, 'rollback');
    expect(await existingTables(ours)).toEqual(['t1', 't2']);
  });
});

describe('interop with node-pg-migrate', () => {
  const steps: Step[] = [1, 2, 3].map((i) => ({ version: `170000000000${i}`, name: `create_t${i}`, up: `CREATE TABLE t${i} (id int);`, down: `DROP TABLE t${i};` }));

  it('leaves pgmigrations as its own down does; its up re-applies cleanly', async () => {
    const ours = await createTestDatabase('rk_down_npm');
    const theirs = await createTestDatabase('rk_down_npm_ref');
    const ws = await workspace();
    const dir = await writeMigrations(ws, 'node-pg-migrate', steps);
    await nodePgMigrate(ours, dir, 'up');
    await nodePgMigrate(theirs, dir, 'up');

    const run = await down(ours, ws, { 'to-version': '1700000000001' });
    expect(run.errors).toEqual([]);
    expect(JSON.parse(run.outputs.reverted!)).toEqual(['1700000000003', '1700000000002']);
    await nodePgMigrate(theirs, dir, 'down', '2');

    const names = async (db: TestDatabase) => (await db.query('SELECT name FROM pgmigrations ORDER BY run_on, id')).rows;
    expect(await names(ours)).toEqual(await names(theirs));
    expect(await existingTables(ours)).toEqual(['t1']);

    const dry = await nodePgMigrate(ours, dir, 'up', '--dry-run');
    expect(dry).toContain('1700000000002_create_t2');
    expect(dry).toContain('1700000000003_create_t3');
    expect(dry).not.toContain('1700000000001_create_t1');
    await nodePgMigrate(ours, dir, 'up');
    expect(await existingTables(ours)).toEqual(['t1', 't2', 't3']);
    expect(await names(ours)).toEqual(['1700000000001_create_t1', '1700000000002_create_t2', '1700000000003_create_t3'].map((name) => ({ name })));
  });

  it('waits for the lock node-pg-migrate itself takes, and names who holds it', async () => {
    const db = await createTestDatabase('rk_down_npm_lock');
    const ws = await workspace();
    const dir = await writeMigrations(ws, 'node-pg-migrate', steps);
    await nodePgMigrate(db, dir, 'up');
    const holder = new pg.Client({ connectionString: db.url, application_name: 'node-pg-migrate-stuck' });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock(7241865325823964)');
      const run = await down(db, ws, { steps: '1', 'lock-timeout-seconds': '1' });
      expect(run.code).not.toBe(0);
      const pid = (await holder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      expect(run.errors[0]).toContain(`pid ${pid}`);
      expect(run.errors[0]).toContain('node-pg-migrate-stuck');
      expect(run.errors[0]).toContain('7241865325823964');
      expect(run.errors[0]).toContain(`pg_terminate_backend(${pid})`);
      expect(run.summary).toContain('Failed before changing anything');
      expect(await existingTables(db)).toEqual(['t1', 't2', 't3']);
    } finally {
      await holder.end();
    }
    // Released, the same run goes through.
    const run = await down(db, ws, { steps: '1', 'lock-timeout-seconds': '1' });
    expect(run.errors).toEqual([]);
    expect(await existingTables(db)).toEqual(['t1', 't2']);
  });
});
