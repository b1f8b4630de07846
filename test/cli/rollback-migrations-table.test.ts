// dbmate run with a custom --migrations-table keeps its rows there, not in schema_migrations: the
// whole rollback (`rollback-kit rollback db`, from its source in this process) must look where the
// tool looks, told by the plan's database.migrations-table or the migrations-table flag (the root
// action's input of that name), or it would plan from the wrong table. A stale default table sits
// beside it as a decoy that names an older migration as the newest. Real PostgreSQL, real dbmate.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { dbmate, writeMigrations, type Step } from '../migrations/fixtures.js';
import { runMain } from './run-main.js';

const V = (i: number) => `2024010100000${i}`;
const steps = (sleepIn3 = false): Step[] =>
  [1, 2, 3].map((i) => ({ version: V(i), name: `create_t${i}`, up: `CREATE TABLE t${i} (id int);`, down: `${sleepIn3 && i === 3 ? 'SELECT pg_sleep(5); ' : ''}DROP TABLE t${i};` }));

let db: TestDatabase | undefined;
let ws: string | undefined;
afterEach(async () => {
  await db?.drop();
  if (ws) await rm(ws, { recursive: true, force: true });
  db = ws = undefined;
});

/** dbmate up with --migrations-table app.mig_log, and a decoy public.schema_migrations that says 002 is the newest. */
async function world(name: string, sleepIn3 = false): Promise<{ db: TestDatabase; ws: string }> {
  db = await createTestDatabase(`rk_plan_keys_${name}`);
  ws = await mkdtemp(join(tmpdir(), 'rk-plan-keys-'));
  const dir = await writeMigrations(ws, 'dbmate', steps(sleepIn3));
  await dbmate(db, dir, '--migrations-table', 'app.mig_log', 'up');
  await db.query(`CREATE TABLE public.schema_migrations (version varchar PRIMARY KEY); INSERT INTO public.schema_migrations VALUES ('${V(1)}'), ('${V(2)}')`);
  return { db, ws };
}

const versions = async (d: TestDatabase, table: string) => (await d.query<{ version: string }>(`SELECT version FROM ${table} ORDER BY version`)).rows.map((r) => r.version);
const tablesLeft = async (d: TestDatabase) => (await d.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' AND tablename ~ '^t[0-9]$' ORDER BY 1`)).rows.map((r) => r.t);

async function rollbackDb(ws: string, db: TestDatabase, ...more: string[]) {
  const r = await runMain(['rollback', 'db', '--reason', 'checkout returns 500', '--yes', '--json', ...more], { cwd: ws, env: { DATABASE_URL: db.url } });
  return { ...r, record: JSON.parse(r.stdout) as { record: { status: string; failedPhase?: string; database?: { status: string; reverted: string[] }; timeline: { phase: string; detail: string }[] } } };
}

it("the plan's database.migrations-table: reverts the newest migration the tool's table names, and removes its row there", async () => {
  const { db, ws } = await world('file');
  await writeFile(join(ws, 'rollback-kit.yml'), ['database:', '  migrations-dir: db/migrations', '  format: dbmate', '  migrations-table: app.mig_log', '  steps: 1', ''].join('\n'));
  const r = await rollbackDb(ws, db);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.record.record).toMatchObject({ status: 'rolled-back', database: { status: 'reverted', reverted: [V(3)] } });
  expect(await tablesLeft(db)).toEqual(['t1', 't2']);
  expect(await versions(db, 'app.mig_log')).toEqual([V(1), V(2)]);
  // The decoy was never read nor changed.
  expect(await versions(db, 'public.schema_migrations')).toEqual([V(1), V(2)]);
  // dbmate agrees: 003 is pending, so its next `up` re-applies it.
  expect(await dbmate(db, join(ws, 'db/migrations'), '--migrations-table', 'app.mig_log', 'status')).toMatch(/\[ \] 20240101000003_create_t3\.sql/);
});

it('the migrations-table flag, without a plan file, does the same', async () => {
  const { db, ws } = await world('flag');
  const r = await rollbackDb(ws, db, '--migrations-dir', 'db/migrations', '--format', 'dbmate', '--migrations-table', 'app.mig_log', '--steps', '1');
  expect(r.code).toBe(0);
  expect(r.record.record).toMatchObject({ status: 'rolled-back', database: { status: 'reverted', reverted: [V(3)] } });
  expect(await tablesLeft(db)).toEqual(['t1', 't2']);
  expect(await versions(db, 'app.mig_log')).toEqual([V(1), V(2)]);
  expect(await versions(db, 'public.schema_migrations')).toEqual([V(1), V(2)]);
});

it("the plan's database.statement-timeout-seconds bounds each down statement", async () => {
  const { db, ws } = await world('timeout', true);
  await writeFile(join(ws, 'rollback-kit.yml'), ['database:', '  format: dbmate', '  migrations-table: app.mig_log', '  statement-timeout-seconds: 1', '  steps: 1', ''].join('\n'));
  const r = await rollbackDb(ws, db);
  expect(r.code).not.toBe(0);
  expect(r.record.record).toMatchObject({ status: 'failed', failedPhase: 'database' });
  expect(r.record.record.timeline.find((e) => e.phase === 'database')!.detail).toMatch(/statement.timeout|statement_timeout/i);
  // The migration's transaction was rolled back: nothing changed.
  expect(await tablesLeft(db)).toEqual(['t1', 't2', 't3']);
  expect(await versions(db, 'app.mig_log')).toEqual([V(1), V(2), V(3)]);
});
