// A `steps` plan nothing recorded (a command at a terminal, no workflow run) that failed partway:
// the same steps again would count from what is still applied, so every way on the failure's hint
// gives is said with the selector a new run finishes the plan with, written so where the hint is
// written (run-failure.ts). A hint's "the re-run" as a noun is "the new run", never "the start a
// new run with …", as rewriting its verbs after the fact once made it.
import { afterEach, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { RevertFailed, revertMigrations } from '../../src/migrations/revert.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { applyMigrations, workspace, writeMigrations, type Step } from './fixtures.js';

let db: TestDatabase | undefined;
afterEach(async () => {
  await db?.drop();
  db = undefined;
});

/** 001…003; 002's down runs statement by statement, and the write recording its first statement as done fails (disk full). */
it('the write recording a non-transactional statement fails after a migration went: each way on is a new run with steps: 2, and the record goes in before "the new run"', async () => {
  db = await createTestDatabase('rk_one_wording_hints');
  const ws = await workspace();
  const steps: Step[] = [
    { version: '001', name: 'create_t1', up: 'CREATE TABLE t1 (id int);', down: 'DROP TABLE t1;' },
    { version: '002', name: 'create_t2', up: 'CREATE TABLE t2 (id int);\nCREATE INDEX t2_id_idx ON t2 (id);', down: 'DROP INDEX CONCURRENTLY IF EXISTS t2_id_idx;\nDROP TABLE t2;' },
    { version: '003', name: 'create_t3', up: 'CREATE TABLE t3 (id int);', down: 'DROP TABLE t3;' },
  ];
  const dir = await writeMigrations(ws, 'plain', steps);
  await applyMigrations(db, 'plain', dir, steps);
  await db.query(`
    CREATE SCHEMA IF NOT EXISTS rollback_kit;
    CREATE TABLE IF NOT EXISTS rollback_kit.down_progress (
      tracking text NOT NULL, migration text NOT NULL, done text[] NOT NULL DEFAULT '{}',
      updated_at timestamptz NOT NULL DEFAULT now(), tracking_rows text, PRIMARY KEY (tracking, migration));
    CREATE FUNCTION public.rk_fail_progress() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      RAISE EXCEPTION 'No space left on device' USING ERRCODE = 'disk_full'; RETURN NEW; END $$;
    CREATE TRIGGER rk_fail_progress BEFORE UPDATE ON rollback_kit.down_progress FOR EACH ROW
      WHEN (cardinality(NEW.done) = 1) EXECUTE FUNCTION public.rk_fail_progress();`);
  const err = await revertMigrations(
    { target: parseConnectionString(db.url), root: ws, format: 'plain', choice: { steps: 3 }, dryRun: false, requireSnapshot: false, lockTimeoutSeconds: 30, statementTimeoutSeconds: 60 },
    memoryLog(),
  ).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RevertFailed);
  const hint = (err as RevertFailed).hint ?? '';
  expect(hint).toContain("Fix what stopped the write (PostgreSQL's message above), then start a new run with `steps: 2`: the run continues from this migration.");
  expect(hint).toContain('if it is not, record it as done before the new run: UPDATE rollback_kit.down_progress');
  expect(hint).not.toMatch(/the start a new run|a start a new run/);
  expect(hint).toContain('With steps, finish this plan with `steps: 2`, what is left of it (everything still applied).');
});
