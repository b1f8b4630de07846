// The README's quick start without --project: VERCEL_TOKEN and DATABASE_URL exported, no
// rollback-kit.yml. The plan made from them holds the database only, so `rollback full` would revert
// migrations under an app nobody rolled back and end "Rollback complete"; `plan` would blame a
// --scope the person never gave. Both must say what is missing (the app) and change nothing. A plan
// file that describes only a database is a database-only setup on purpose: full stays its rollback.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { tempDir } from '../helpers/temp-dir.js';
import { applyMigrations, existingTables, tables, trackingState, writeMigrations } from '../migrations/fixtures.js';
import { runCli } from './run-cli.js';

let db: TestDatabase;
let ws: string;
let env: Record<string, string>;
const steps = tables(2);

beforeAll(async () => {
  db = await createTestDatabase('rk_full_needs_app');
  ws = await tempDir('rk-full-needs-app-');
  await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', steps), steps);
  env = { VERCEL_TOKEN: 'vcp_x', DATABASE_URL: db.url };
});

afterAll(async () => {
  await db.drop();
});

/** The database as the migrations left it: a refusal must not have touched it. */
async function untouched(): Promise<void> {
  expect(await existingTables(db)).toEqual(['t1', 't2']);
  expect(await trackingState(db, 'dbmate')).toEqual(['20240101000001', '20240101000002']);
  expect(existsSync(join(ws, 'rollback-kit-snapshots'))).toBe(false);
}

const SAYS_WHAT_IS_MISSING = 'no component (--provider, --project or --command) was given, only the database';
const SAYS_HOW = 'Set the single-component flags (--provider, --project or --command) for the app, or add a rollback-kit.yml that describes it; to roll back the database alone, use --scope db.';

describe('scope full with a plan from flags that has no app', () => {
  it.each([
    ['the argument', ['rollback', 'full']],
    ['--scope', ['rollback', '--scope', 'full']],
  ])('given as %s: refused before anything runs (exit 2), the database as it was', async (_how, args) => {
    const run = await runCli([...args, '--reason', 'checkout 500s', '--steps', '1', '--yes'], { cwd: ws, env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`error: Scope full rolls back the app, then the database, but the rollback plan (flags) has no app: ${SAYS_WHAT_IS_MISSING}. Nothing was changed. ${SAYS_HOW}`);
    expect(run.stdout).not.toContain('Rollback complete');
    await untouched();
  });

  it('--scope db is the database alone on purpose: still allowed (dry run)', async () => {
    const run = await runCli(['rollback', 'db', '--reason', 'bad migration', '--steps', '1', '--dry-run'], { cwd: ws, env });
    expect(run.code).toBe(0);
    await untouched();
  });
});

describe('rollback-kit plan in the quick-start setup without --project', () => {
  it('without --scope: names what is missing, and no --scope the person did not give', async () => {
    const run = await runCli(['plan'], { cwd: ws, env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`error: Scope app, the default (every component), selects nothing: the rollback plan (flags) has no app (${SAYS_WHAT_IS_MISSING}). ${SAYS_HOW}`);
    expect(run.stderr).not.toContain('--scope "app"');
  });

  it('--scope full: the same refusal as the rollback', async () => {
    const run = await runCli(['plan', '--scope', 'full'], { cwd: ws, env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Scope full rolls back the app, then the database, but the rollback plan (flags) has no app');
  });

  it('a plan file that describes only a database: full is its rollback, as before', async () => {
    const own = await tempDir('rk-db-only-plan-');
    await writeMigrations(own, 'dbmate', steps);
    await writeFile(join(own, 'rollback-kit.yml'), 'database:\n  migrations-dir: db/migrations\n  steps: 1\n');
    const run = await runCli(['plan', '--scope', 'full'], { cwd: own, env });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('scope database');
  });
});
