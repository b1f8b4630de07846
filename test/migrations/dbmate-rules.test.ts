// dbmate's own rules, against its binary: which migration `dbmate rollback` picks (file names
// compared as text, not versions as numbers) and what it runs (every down section; markers only as
// whole words; the options on the marker line as it reads them; files it refuses to read). Each
// case runs ours on one database and dbmate's rollback on a twin: same choice, same database after.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dbmatePath } from '../../scripts/dbmate-path.mjs';
import { RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { runProcess } from '../../src/core/process.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { revertMigrations, type Choice } from '../../src/migrations/revert.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { dbmate, workspace, writeMigrations, type Step } from './fixtures.js';

const MIGRATIONS = 'db/migrations';

function revert(db: TestDatabase, ws: string, choice: Choice, log = memoryLog()) {
  return revertMigrations(
    { target: parseConnectionString(db.url), root: ws, migrationsDir: MIGRATIONS, format: 'dbmate', choice, dryRun: false, requireSnapshot: false, lockTimeoutSeconds: 5, statementTimeoutSeconds: 60 },
    log,
  );
}

/** dbmate, whether or not it succeeds: its failures are part of what is compared. */
async function dbmateRun(db: TestDatabase, dir: string, command: string): Promise<{ code: number | null; output: string }> {
  const url = `${db.url}${db.url.includes('?') ? '&' : '?'}sslmode=disable`;
  const r = await runProcess(dbmatePath(), ['--no-dump-schema', '--migrations-dir', dir, command], { env: { DATABASE_URL: url } });
  return { code: r.code, output: r.stdout + r.stderr };
}

/** The database as a migration changes it: public tables and indexes, and dbmate's rows. */
async function state(db: TestDatabase) {
  const tables = await db.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations' ORDER BY 1`);
  const indexes = await db.query(`SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND tablename <> 'schema_migrations' ORDER BY 1`);
  const rows = await db.query('SELECT version FROM schema_migrations ORDER BY version');
  return { tables: tables.rows.map((r) => r.tablename), indexes: indexes.rows.map((r) => r.indexname), applied: rows.rows.map((r) => r.version) };
}

/** A workspace with the steps written, applied with dbmate to two new databases: ours and dbmate's. */
async function twins(prefix: string, steps: Step[]) {
  const ws = await workspace();
  const dir = await writeMigrations(ws, 'dbmate', steps);
  const ours = await createTestDatabase(`${prefix}_ours`);
  const theirs = await createTestDatabase(`${prefix}_theirs`);
  await dbmate(ours, dir, 'up');
  await dbmate(theirs, dir, 'up');
  return { ws, dir, ours, theirs };
}

const table = (version: string, name: string): Step => ({ version, name, up: `CREATE TABLE ${name} (id int);`, down: `DROP TABLE ${name};` });

describe("dbmate's order: file names compared as text", () => {
  // By version 1, 9, 10, 100; by file name 100_…, 10_…, 1_…, 9_…: dbmate's rollback goes 9, 1, 10, 100.
  const steps = [table('1', 'one'), table('9', 'nine'), table('10', 'ten'), table('100', 'hundred')];

  it('steps: 1 reverts what `dbmate rollback` reverts, one step at a time, and dbmate status agrees', async () => {
    const { ws, dir, ours, theirs } = await twins('rk_dbmate_order', steps);
    const order: string[] = [];
    for (let i = 0; i < steps.length; i++) {
      const log = memoryLog();
      const result = await revert(ours, ws, { steps: 1 }, log);
      const rolled = await dbmateRun(theirs, dir, 'rollback');
      expect(rolled.code).toBe(0);
      expect(rolled.output).toContain(`Rolling back: ${result.reverted[0]!.file}`);
      expect(await state(ours)).toEqual(await state(theirs));
      expect(await dbmate(ours, dir, 'status')).toBe(await dbmate(theirs, dir, 'status'));
      if (i === 0) expect(log.lines.join('\n')).toContain('dbmate orders migrations by file name compared as text, not by version number: 100_hundred.sql comes before 10_ten.sql, so `dbmate rollback` reverts 10_ten.sql before 100_hundred.sql');
      order.push(...result.reverted.map((r) => r.version));
    }
    expect(order).toEqual(['9', '1', '10', '100']);
  });

  it('to-version keeps the migrations before it in dbmate\'s order and reverts the ones after, as that many rollbacks do', async () => {
    const { ws, dir, ours, theirs } = await twins('rk_dbmate_to', steps);
    const result = await revert(ours, ws, { toVersion: '10' });
    expect(result.reverted.map((r) => r.file)).toEqual(['9_nine.sql', '1_one.sql']);
    await dbmate(theirs, dir, 'rollback');
    await dbmate(theirs, dir, 'rollback');
    expect(await state(ours)).toEqual(await state(theirs));
    expect((await state(ours)).tables).toEqual(['hundred', 'ten']);
  });
});

describe("dbmate's markers and sections, as its rollback reads them", () => {
  it('runs a down section through a "-- migrate:up-to-date" comment: it is not a marker', async () => {
    const { ws, dir, ours, theirs } = await twins('rk_dbmate_marker', [
      table('20240101000001', 't0'),
      { version: '20240101000002', name: 'two_tables', up: 'CREATE TABLE t1 (id int);\nCREATE TABLE t2 (id int);', down: 'DROP TABLE t2;\n-- migrate:up-to-date check\nDROP TABLE t1;' },
    ]);
    await revert(ours, ws, { steps: 1 });
    await dbmate(theirs, dir, 'rollback');
    expect(await state(theirs)).toEqual({ tables: ['t0'], indexes: [], applied: ['20240101000001'] });
    expect(await state(ours)).toEqual(await state(theirs));
  });

  it('runs the down of every section of a file, in file order, as dbmate does', async () => {
    const ws = await workspace();
    const dir = join(ws, MIGRATIONS);
    await writeMigrations(ws, 'dbmate', [table('20240101000001', 't0')]);
    // Two sections; the second's up outside a transaction. dbmate's up applies both sections and
    // then fails on recording the version twice: the state a failed deploy leaves.
    await writeFile(
      join(dir, '20240101000002_two_sections.sql'),
      '-- migrate:up\nCREATE TABLE t1 (id int);\n-- migrate:down\nDROP TABLE t1\n\n-- migrate:up transaction:false\nCREATE TABLE t2 (id int);\n-- migrate:down\nDROP TABLE t2;\n',
    );
    const ours = await createTestDatabase('rk_dbmate_sections_ours');
    const theirs = await createTestDatabase('rk_dbmate_sections_theirs');
    for (const db of [ours, theirs]) {
      expect((await dbmateRun(db, dir, 'up')).output).toContain('duplicate key');
      expect(await state(db)).toEqual({ tables: ['t0', 't1', 't2'], indexes: [], applied: ['20240101000001', '20240101000002'] });
    }
    await revert(ours, ws, { steps: 1 });
    expect((await dbmateRun(theirs, dir, 'rollback')).code).toBe(0);
    expect(await state(theirs)).toEqual({ tables: ['t0'], indexes: [], applied: ['20240101000001'] });
    expect(await state(ours)).toEqual(await state(theirs));
  });

  it("reads the marker line's options as dbmate does: the last transaction: wins", async () => {
    const { ws, dir, ours, theirs } = await twins('rk_dbmate_options', [
      table('20240101000001', 't0'),
      // In one transaction, as dbmate reads the options: the failure undoes the DROP.
      { version: '20240101000002', name: 'fails', up: 'CREATE TABLE t1 (id int);', down: 'DROP TABLE t1;\nSELECT 1/0;' },
    ]);
    const file = join(dir, '20240101000002_fails.sql');
    await writeFile(file, (await readFile(file, 'utf8')).replace('-- migrate:down', '-- migrate:down transaction:false transaction:true'));
    const err = await revert(ours, ws, { steps: 1 }).catch((e: unknown) => e);
    expect((err as Error).message).toContain('division by zero');
    const rolled = await dbmateRun(theirs, dir, 'rollback');
    expect(rolled.output).toContain('division by zero');
    expect(await state(theirs)).toEqual({ tables: ['t0', 't1'], indexes: [], applied: ['20240101000001', '20240101000002'] });
    expect(await state(ours)).toEqual(await state(theirs));
  });

  it.each([
    ['a down section before the up section', '-- migrate:down\nDROP TABLE t1;\n-- migrate:up\nCREATE TABLE t1 (id int);\n', 'line 2: SQL before the first "-- migrate:up" line'],
    ['two down sections', '-- migrate:up\nCREATE TABLE t1 (id int);\n-- migrate:down\nDROP TABLE t1;\n-- migrate:down\nSELECT 1;\n', 'line 5: a second "-- migrate:down" line'],
  ])('refuses a file dbmate refuses to read (%s), and changes nothing, as its rollback does', async (_what, text, reason) => {
    const { ws, dir, ours, theirs } = await twins('rk_dbmate_refused', [table('20240101000001', 't0')]);
    // Applied as an older dbmate would have, before it read files this strictly.
    await writeFile(join(dir, '20240101000002_unreadable.sql'), text);
    for (const db of [ours, theirs]) await db.query(`CREATE TABLE t1 (id int); INSERT INTO schema_migrations (version) VALUES ('20240101000002')`);
    const err = await revert(ours, ws, { steps: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RollbackKitError);
    expect((err as Error).message).toContain(`20240101000002_unreadable.sql (${reason}`);
    expect((err as Error).message).toContain('Nothing was run.');
    const rolled = await dbmateRun(theirs, dir, 'rollback');
    expect(rolled.code).not.toBe(0);
    expect(rolled.output).toContain('dbmate');
    expect(await state(theirs)).toEqual({ tables: ['t0', 't1'], indexes: [], applied: ['20240101000001', '20240101000002'] });
    expect(await state(ours)).toEqual(await state(theirs));
  });
});
