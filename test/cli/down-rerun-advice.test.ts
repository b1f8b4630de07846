// `rollback-kit down --steps N` that fails partway, from a terminal: no workflow run, so nothing
// records the plan and the same command again would count from what is still applied. Its advice
// must be the one command that finishes the plan, said once, and that command must work.
import { afterEach, describe, expect, it } from 'vitest';
import { withCommandToFinish } from '../../src/cli/commands/database.js';
import { COMMAND_FLAGS } from '../../src/cli/flags.js';
import { wordingFor } from '../../src/cli/wording.js';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { RevertFailed, revertMigrations, type RevertOptions } from '../../src/migrations/revert.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { applyMigrations, existingTables, tables, trackingState, workspace, writeMigrations } from '../migrations/fixtures.js';

const words = wordingFor(COMMAND_FLAGS.down);

function options(db: TestDatabase, ws: string, choice: RevertOptions['choice']): RevertOptions {
  return { target: parseConnectionString(db.url), root: ws, format: 'dbmate', choice, dryRun: false, requireSnapshot: false, lockTimeoutSeconds: 30, statementTimeoutSeconds: 60 };
}

let db: TestDatabase | undefined;
afterEach(async () => {
  await db?.drop();
  db = undefined;
});

async function failedPartway(prefix: string, keepOne: boolean) {
  db = await createTestDatabase(prefix);
  const ws = await workspace();
  const steps = tables(keepOne ? 4 : 3);
  const broken = steps.at(-2)!; // the second of the three the plan reverts
  const good = broken.down;
  broken.down = 'SELEC broken;';
  const dir = await writeMigrations(ws, 'dbmate', steps);
  await applyMigrations(db, 'dbmate', dir, steps);
  const err = await revertMigrations(options(db, ws, { steps: 3 }), memoryLog()).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RevertFailed);
  const raw = (err as RevertFailed).hint ?? '';
  const hint = words(raw);
  // The fix: the down SQL as it should have been, read from the file by the next command.
  const fix = () => writeMigrations(ws, 'dbmate', steps.map((s) => (s === broken ? { ...s, down: good } : s)));
  return { ws, steps, raw, hint, fix };
}

describe('rollback-kit down --steps, failed partway with no run to record the plan', () => {
  it('says to run the command again with the steps left, never the same command, and that finishes the plan', async () => {
    const { ws, raw, hint, fix } = await failedPartway('rk_rerun_advice_steps', false);
    expect(hint).toContain('fix that and run the command again with `--steps 2`: it continues from this migration');
    expect(hint).toContain('fix it in 20240101000002_create_t2.sql and run the command again with `--steps 2`');
    // No instruction to run the same command unchanged.
    expect(hint).not.toMatch(/run the command again(?! with `--steps 2`)/);
    // As `down` prints it: the whole command, every flag as it was given, the URL given as a flag by a placeholder (DATABASE_URL may name another database).
    const given: Record<string, string> = { steps: '3', 'snapshot-path': 'rollback-kit-snapshots/shop one.dump', 'database-url': 'postgres://u:pw@h/shop', 'require-snapshot': 'true', yes: 'true', color: 'true' };
    const command = words(withCommandToFinish(raw, (name) => given[name]));
    const exact = "`rollback-kit down --database-url '<the same database URL>' --steps 2 --snapshot-path 'rollback-kit-snapshots/shop one.dump' --yes`";
    expect(command).toContain(`fix it in 20240101000002_create_t2.sql and run ${exact}. `);
    // Named once: the other ways on say the flag that changes.
    expect(command.split('`rollback-kit down').length - 1).toBe(1);
    expect(command).toContain('fix that and run the command again with `--steps 2`: it continues from this migration');
    expect(command).not.toMatch(/run the command again(?! with `--steps 2`)|pw@/);
    await fix();
    const rest = await revertMigrations(options(db!, ws, { steps: 2 }), memoryLog());
    expect(rest.reverted.map((r) => r.version)).toEqual(['20240101000002', '20240101000001']);
    expect(await trackingState(db!, 'dbmate')).toEqual([]);
  });

  it('with a migration the plan keeps: --to-version, in every instruction', async () => {
    const { ws, hint, fix } = await failedPartway('rk_rerun_advice_keep', true);
    expect(hint).toContain('fix that and run the command again with `--to-version 20240101000001`: it continues from this migration');
    expect(hint).not.toMatch(/run the command again(?! with `--to-version 20240101000001`)/);
    await fix();
    const rest = await revertMigrations(options(db!, ws, { toVersion: '20240101000001' }), memoryLog());
    expect(rest.reverted.map((r) => r.version)).toEqual(['20240101000003', '20240101000002']);
    expect(await existingTables(db!)).toEqual(['t1']);
  });
});
