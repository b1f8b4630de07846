// The root action given database-url and scope full but no component input (a forgotten project):
// the same refusal as the command line's (one check, src/pipeline/scope.ts), in the action's words,
// before any phase runs: no migration reverted under an app nobody rolled back.
import { describe, expect, it, afterAll, beforeAll } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';
import { tempDir } from '../helpers/temp-dir.js';
import { applyMigrations, existingTables, tables, trackingState, writeMigrations } from '../migrations/fixtures.js';

let db: TestDatabase;
let ws: string;
const steps = tables(2);

beforeAll(async () => {
  db = await createTestDatabase('rk_action_full_needs_app');
  ws = await tempDir('rk-action-full-needs-app-');
  await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', steps), steps);
});

afterAll(async () => {
  await db.drop();
});

describe('root action: scope full, a plan from inputs without a component', () => {
  it('fails in plan, names the missing component inputs and scope db, changes nothing', async () => {
    const run = await runAction('rollback', { reason: 'checkout 500s', scope: 'full', 'database-url': db.url, steps: '1', 'incident-issue': 'false' }, { cwd: ws, env: { GITHUB_WORKSPACE: ws } });
    expect(run.code).toBe(1);
    expect(run.errors).toEqual([
      'Scope full rolls back the app, then the database, but the rollback plan (inputs) has no app: no component (provider, project or command) was given, only the database. Nothing was changed. Set the single-component inputs (provider, project or command) for the app, or add a rollback-kit.yml that describes it; to roll back the database alone, use scope: db.',
    ]);
    expect(run.outputs).toMatchObject({ status: 'failed', 'failed-phase': 'plan' });
    expect(await existingTables(db)).toEqual(['t1', 't2']);
    expect(await trackingState(db, 'dbmate')).toEqual(['20240101000001', '20240101000002']);
  });
});
