// A re-run after a failure must do exactly what is left: not skip a statement whose effect a
// restore undid, not lose the session settings the statements before it made, not run again a
// statement that ran when the migration has become transactional; and no down file's session
// settings may reach the migrations after it.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FormatName } from '../../src/migrations/types.js';
import { adminQuery, createTestDatabase, holdTableLock, type TestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';
import { applyMigrations, existingTables, trackingState, VERSION_STYLE, workspace, writeMigrations, type Step } from './fixtures.js';

const down = (db: TestDatabase, ws: string, inputs: Record<string, string>) => runAction('run-down-migrations', { 'database-url': db.url, 'require-snapshot': 'false', ...inputs }, { cwd: ws });

async function indexes(db: TestDatabase, schema = 'public'): Promise<string[]> {
  // Not the tracking tables' primary keys.
  const r = await db.query(`SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND indexname !~ '_pkey$' ORDER BY 1`, [schema]);
  return r.rows.map((row) => row.indexname as string);
}

async function progressRows(db: TestDatabase): Promise<{ migration: string; done: number }[]> {
  const r = await db.query(`SELECT migration, cardinality(done) AS done FROM rollback_kit.down_progress ORDER BY migration`);
  return r.rows as { migration: string; done: number }[];
}

/** Writes the tracking row(s) that record `step` again with the same values, as a restore or a re-apply does. */
async function rewriteTrackingRow(db: TestDatabase, format: FormatName, step: Step): Promise<void> {
  switch (format) {
    case 'golang-migrate':
      await db.query(`TRUNCATE schema_migrations; INSERT INTO schema_migrations (version, dirty) VALUES (${Number(step.version)}, false)`);
      return;
    case 'node-pg-migrate':
      await db.query('UPDATE pgmigrations SET name = name WHERE name = $1', [`${step.version}_${step.name}`]);
      return;
    case 'prisma':
      await db.query('UPDATE _prisma_migrations SET checksum = checksum WHERE migration_name = $1', [`${step.version}_${step.name}`]);
      return;
    case 'dbmate':
      await db.query('UPDATE schema_migrations SET version = version WHERE version = $1', [step.version]);
      return;
    case 'supabase':
      await db.query('UPDATE supabase_migrations.schema_migrations SET version = version WHERE version = $1', [step.version]);
      return;
    case 'plain':
      await db.query('UPDATE rollback_kit.schema_migrations SET version = version WHERE version = $1', [step.version]);
      return;
  }
}

describe('run-down-migrations resume after a restore', () => {
  it('discards progress that a restore made stale, so the statement it lists as done runs again (plain, restore-db)', async () => {
    const db = await createTestDatabase('rk_resume_restore');
    const ws = await workspace();
    const steps: Step[] = [
      { version: '001', name: 'base', up: 'CREATE TABLE base (id int, name text);\nCREATE TABLE other (id int);', down: 'DROP TABLE other;\nDROP TABLE base;' },
      {
        version: '002',
        name: 'other_c',
        up: 'ALTER TABLE other ADD COLUMN c int;\nCREATE INDEX base_name_idx ON base (name);',
        down: 'DROP INDEX CONCURRENTLY IF EXISTS base_name_idx;\nALTER TABLE other DROP COLUMN c;',
      },
    ];
    const dir = await writeMigrations(ws, 'plain', steps);
    await applyMigrations(db, 'plain', dir, steps);
    const snap = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': join(ws, 'snapshots') });
    expect(snap.errors).toEqual([]);

    // Statement 1 runs, statement 2 waits for the lock another session holds, and gives up.
    const release = await holdTableLock(db, 'other');
    const failed = await down(db, ws, { steps: '1', 'lock-timeout-seconds': '1' });
    await release();
    expect(failed.code).not.toBe(0);
    expect(failed.errors[0]).toContain('1 of 2 statement(s) ran');
    expect(await indexes(db)).toEqual([]);
    expect(await progressRows(db)).toEqual([{ migration: '002', done: 1 }]);

    // The snapshot from before puts 002 and its index back; down_progress, which it does not have, stays.
    const restore = await runAction('restore-db', { 'database-url': db.url, 'snapshot-path': snap.outputs.path!, confirm: db.name, 'pre-restore-snapshot': 'false' });
    expect(restore.errors).toEqual([]);
    expect(await indexes(db)).toEqual(['base_name_idx']);
    expect(await progressRows(db)).toEqual([{ migration: '002', done: 1 }]);

    const rerun = await down(db, ws, { steps: '1' });
    expect(rerun.errors).toEqual([]);
    expect(await indexes(db)).toEqual([]);
    expect(rerun.log).toContain('discarding the progress an earlier run recorded for 002_other_c.down.sql');
    expect(rerun.log).not.toContain('resuming');
    expect(await trackingState(db, 'plain')).toEqual(['001']);
    expect(await progressRows(db)).toEqual([]);
  }, 60_000);

  for (const format of ['plain', 'dbmate', 'golang-migrate', 'node-pg-migrate', 'prisma', 'supabase'] as FormatName[]) {
    it(`${format}: progress belongs to the tracking row it was recorded against; a rewritten row discards it, an untouched one resumes`, async () => {
      const db = await createTestDatabase('rk_resume_rows');
      const ws = await workspace();
      const v = VERSION_STYLE[format];
      const steps: Step[] = [
        { version: v(1), name: 'create_t1', up: 'CREATE TABLE t1 (id int);', down: 'DROP TABLE t1;' },
        { version: v(2), name: 'create_t2', up: 'CREATE TABLE t2 (id int);\nCREATE INDEX t2_id_idx ON t2 (id);', down: 'DROP INDEX CONCURRENTLY IF EXISTS t2_id_idx;\nDROP TABLE missing_table;\nDROP TABLE t2;' },
      ];
      const dir = await writeMigrations(ws, format, steps);
      await applyMigrations(db, format, dir, steps);

      const first = await down(db, ws, { steps: '1' });
      expect(first.errors[0]).toContain('1 of 3 statement(s) ran');
      expect(await indexes(db)).toEqual([]);

      // A restore (or the tool applying it again) writes the row anew, with the index back.
      await db.query('CREATE INDEX t2_id_idx ON t2 (id)');
      await rewriteTrackingRow(db, format, steps[1]!);
      const second = await down(db, ws, { steps: '1' });
      expect(await indexes(db)).toEqual([]);
      expect(second.errors[0]).toContain('1 of 3 statement(s) ran');
      expect(second.log).toContain('discarding the progress an earlier run recorded');

      // Nothing rewrote the row since: the fixed re-run resumes after the statement that ran.
      steps[1]!.down = 'DROP INDEX CONCURRENTLY IF EXISTS t2_id_idx;\nDROP TABLE IF EXISTS missing_table;\nDROP TABLE t2;';
      await writeMigrations(ws, format, steps);
      const third = await down(db, ws, { steps: '1' });
      expect(third.errors).toEqual([]);
      expect(third.log).toContain('resuming');
      expect(third.log).not.toContain('discarding');
      expect(await existingTables(db)).toEqual(['t1']);
      expect(await progressRows(db)).toEqual([]);
      if (format === 'golang-migrate') expect(await trackingState(db, format)).toEqual([{ version: '1', dirty: false }]);
    }, 60_000);
  }
});

describe('run-down-migrations resume with session settings', () => {
  it('runs the session-level SETs before the resume point again, so the rest runs in the same schema', async () => {
    const db = await createTestDatabase('rk_resume_set');
    const ws = await workspace();
    await db.query('CREATE SCHEMA app');
    const steps: Step[] = [
      { version: '001', name: 'base', up: 'SELECT 1;', down: 'SELECT 1;' },
      {
        version: '002',
        name: 'app_idx',
        up: 'CREATE TABLE app.a (id int);\nCREATE INDEX a_idx ON app.a (id);\nCREATE TABLE app.b (id int);\nCREATE INDEX b_idx ON app.b (id);',
        down: 'SET search_path = app;\nSET LOCAL lock_timeout = 1;\nDROP INDEX CONCURRENTLY IF EXISTS a_idx;\nDROP INDEX CONCURRENTLY b_idx_typo;',
      },
    ];
    const dir = await writeMigrations(ws, 'plain', steps);
    await applyMigrations(db, 'plain', dir, steps);
    const failed = await down(db, ws, { steps: '1' });
    expect(failed.errors[0]).toContain('3 of 4 statement(s) ran');
    expect(await indexes(db, 'app')).toEqual(['b_idx']);

    steps[1]!.down = steps[1]!.down!.replace('b_idx_typo', 'IF EXISTS b_idx');
    await writeMigrations(ws, 'plain', steps);
    const rerun = await down(db, ws, { steps: '1' });
    expect(rerun.errors).toEqual([]);
    expect(await indexes(db, 'app')).toEqual([]);
    expect(rerun.log).toContain('resuming 002_app_idx.down.sql at statement 4 of 4');
    // SET LOCAL ended with its own transaction: only the session-level one is run again.
    expect(rerun.log).toContain('running again the session setting(s) among the statements that ran: SET search_path = app');
    expect(rerun.log).not.toContain('SET LOCAL lock_timeout = 1');
    expect(await trackingState(db, 'plain')).toEqual(['001']);
  });
});

describe('run-down-migrations resume of a migration that became transactional', () => {
  it('runs only the statements that did not run, in one transaction that also clears the progress', async () => {
    const db = await createTestDatabase('rk_resume_txn');
    const ws = await workspace();
    const steps: Step[] = [
      { version: '001', name: 'old_t', up: 'CREATE TABLE old_t (v int);', down: 'DROP TABLE old_t;' },
      {
        version: '002',
        name: 'new_t',
        up: 'CREATE TABLE new_t (v int);\nINSERT INTO new_t VALUES (1), (2);\nCREATE INDEX new_t_v_idx ON new_t (v);',
        down: 'INSERT INTO old_t SELECT v FROM new_t;\nDROP INDEX CONCURRENTLY new_t_v_idx_typo;\nDROP TABLE new_t;',
      },
    ];
    const dir = await writeMigrations(ws, 'plain', steps);
    await applyMigrations(db, 'plain', dir, steps);
    const count = async () => (await db.query('SELECT count(*)::int AS n FROM old_t')).rows[0]!.n as number;

    const failed = await down(db, ws, { steps: '1' });
    expect(failed.errors[0]).toContain('1 of 3 statement(s) ran');
    expect(await count()).toBe(2);

    // No longer CONCURRENTLY, so transactional now; its last statement fails (without a position).
    steps[1]!.down = 'INSERT INTO old_t SELECT v FROM new_t;\nDROP INDEX new_t_v_idx;\nDROP TABLE new_t_typo;';
    await writeMigrations(ws, 'plain', steps);
    const second = await down(db, ws, { steps: '1' });
    expect(await count()).toBe(2);
    expect(await indexes(db)).toEqual(['new_t_v_idx']);
    expect(await progressRows(db)).toEqual([{ migration: '002', done: 1 }]);
    expect(second.log).toContain('resuming 002_new_t.down.sql at statement 2 of 3');
    expect(second.errors[0]).toContain('002_new_t.down.sql line 3, statement "DROP TABLE new_t_typo"');
    expect(second.errors[0]).toContain('transaction was rolled back');
    expect(second.errors[0]).toContain('only its first 1 statement(s), which ran in an earlier run, are done');

    // The statement that ran changed: refused, nothing run.
    steps[1]!.down = 'INSERT INTO old_t SELECT v + 10 FROM new_t;\nDROP INDEX new_t_v_idx;\nDROP TABLE new_t;';
    await writeMigrations(ws, 'plain', steps);
    const edited = await down(db, ws, { steps: '1' });
    expect(edited.errors[0]).toContain('statement 1, which already ran, has changed since');
    expect(await count()).toBe(2);

    steps[1]!.down = 'INSERT INTO old_t SELECT v FROM new_t;\nDROP INDEX new_t_v_idx;\nDROP TABLE new_t;';
    await writeMigrations(ws, 'plain', steps);
    const fixed = await down(db, ws, { steps: '1' });
    expect(fixed.errors).toEqual([]);
    expect(await count()).toBe(2);
    expect((await db.query(`SELECT to_regclass('new_t') AS t`)).rows[0]!.t).toBeNull();
    expect(await trackingState(db, 'plain')).toEqual(['001']);
    expect(await progressRows(db)).toEqual([]);
  });
});

describe('run-down-migrations session settings between migrations', () => {
  it("keeps one down file's SET lock_timeout / statement_timeout from reaching the next migration", async () => {
    const db = await createTestDatabase('rk_leak_timeout');
    const ws = await workspace();
    const steps: Step[] = [1, 2, 3].map((i) => ({ version: `00${i}`, name: `t${i}`, up: `CREATE TABLE t${i} (id int);`, down: `DROP TABLE t${i};` }));
    steps[2]!.down = 'SET lock_timeout = 0;\nSET statement_timeout = 0;\nDROP TABLE t3;';
    const dir = await writeMigrations(ws, 'plain', steps);
    await applyMigrations(db, 'plain', dir, steps);
    const release = await holdTableLock(db, 't2');
    // The blocker goes after 20 s at the latest: a run that waits for it instead of timing out fails below.
    const timer = setTimeout(() => void release().catch(() => undefined), 20_000);
    const started = Date.now();
    const run = await down(db, ws, { steps: '2', 'lock-timeout-seconds': '0.2' });
    const took = Date.now() - started;
    clearTimeout(timer);
    await release().catch(() => undefined);
    expect(run.errors[0]).toContain('lock timeout');
    expect(run.errors[0]).toContain('002_t2.down.sql');
    expect(took).toBeLessThan(15_000);
    expect(await existingTables(db)).toEqual(['t1', 't2']);
  }, 40_000);

  it("keeps one down file's search_path and role from reaching the next migration", async () => {
    const db = await createTestDatabase('rk_leak_path');
    const role = `rk_leak_${randomBytes(4).toString('hex')}`;
    await adminQuery(`CREATE ROLE ${role} NOLOGIN`);
    try {
      const ws = await workspace();
      await db.query('CREATE SCHEMA nowhere');
      // 003's own bookkeeping runs under the role it sets, as the tools' own would: let it.
      await db.query(`CREATE SCHEMA rollback_kit; GRANT USAGE ON SCHEMA rollback_kit TO ${role}`);
      const steps: Step[] = [1, 2, 3].map((i) => ({ version: `00${i}`, name: `t${i}`, up: `CREATE TABLE t${i} (id int);`, down: `DROP TABLE t${i};` }));
      steps[2]!.down = `DROP TABLE t3;\nSET search_path = nowhere;\nSET ROLE ${role};`;
      const dir = await writeMigrations(ws, 'plain', steps);
      await applyMigrations(db, 'plain', dir, steps);
      await db.query(`GRANT DELETE, SELECT ON rollback_kit.schema_migrations TO ${role}`);
      const run = await down(db, ws, { steps: '3' });
      expect(run.errors).toEqual([]);
      expect(await existingTables(db)).toEqual([]);
      expect(await trackingState(db, 'plain')).toEqual([]);
    } finally {
      await db.query(`DROP OWNED BY ${role}`);
      await adminQuery(`DROP ROLE ${role}`);
    }
  });
});
