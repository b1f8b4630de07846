// The root action's migrations-table input, for a plan without a file: scope db reverts the newest
// migration of dbmate's custom tracking table (--migrations-table app.mig_log) and removes its row
// there, never reading the stale default table beside it. Real PostgreSQL, real dbmate, the bundle.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';
import { dbmate, writeMigrations, type Step } from '../migrations/fixtures.js';

const V = (i: number) => `2024010100000${i}`;
const steps: Step[] = [1, 2, 3].map((i) => ({ version: V(i), name: `create_t${i}`, up: `CREATE TABLE t${i} (id int);`, down: `DROP TABLE t${i};` }));

let db: TestDatabase | undefined;
let ws: string | undefined;
afterEach(async () => {
  await db?.drop();
  if (ws) await rm(ws, { recursive: true, force: true });
});

const versions = async (d: TestDatabase, table: string) => (await d.query<{ version: string }>(`SELECT version FROM ${table} ORDER BY version`)).rows.map((r) => r.version);

it('scope db with the migrations-table input reverts what the custom tracking table names', async () => {
  db = await createTestDatabase('rk_plan_keys_action');
  ws = await mkdtemp(join(tmpdir(), 'rk-plan-keys-action-'));
  await dbmate(db, await writeMigrations(ws, 'dbmate', steps), '--migrations-table', 'app.mig_log', 'up');
  await db.query(`CREATE TABLE public.schema_migrations (version varchar PRIMARY KEY); INSERT INTO public.schema_migrations VALUES ('${V(1)}'), ('${V(2)}')`);

  const run = await runAction(
    'rollback',
    { reason: 'checkout returns 500', scope: 'db', 'database-url': db.url, 'migrations-dir': 'db/migrations', format: 'dbmate', 'migrations-table': 'app.mig_log', steps: '1' },
    { cwd: ws, env: { GITHUB_RUN_ID: '7301', GITHUB_RUN_ATTEMPT: '1', GITHUB_JOB: 'database' } },
  );
  expect(run.errors).toEqual([]);
  expect(run.outputs.status).toBe('rolled-back');
  expect(JSON.parse(run.outputs.reverted!)).toEqual([V(3)]);
  expect(await versions(db, 'app.mig_log')).toEqual([V(1), V(2)]);
  expect(await versions(db, 'public.schema_migrations')).toEqual([V(1), V(2)]);
  expect((await db.query(`SELECT to_regclass('public.t3') IS NULL AS gone, to_regclass('public.t2') IS NOT NULL AS kept`)).rows[0]).toEqual({ gone: true, kept: true });
});
