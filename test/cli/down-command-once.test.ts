// `rollback-kit down --steps 3` failing partway at a terminal: nothing records the plan, so each way
// on its message gives needs the selector that finishes it, and the message gives the whole command
// to paste (database.ts withCommandToFinish). It once put that command in every one of them, up to
// three times in one error line: the command is named once, the rest say the flag that changes.
import { afterEach, describe, expect, it } from 'vitest';
import { adminQuery, createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { applyMigrations, tables, workspace, writeMigrations } from '../migrations/fixtures.js';
import { runMain } from './run-main.js';

let db: TestDatabase | undefined;
afterEach(async () => {
  await db?.drop();
  db = undefined;
});

const times = (text: string, part: string) => text.split(part).length - 1;

/** Three migrations the plan reverts (and one it keeps, with `keep`); the second's down SQL fails: `broken`, or waits for a lock another session holds. */
async function failPartway(how: { keep?: boolean; nonTransactional?: boolean; lock?: boolean }) {
  db = await createTestDatabase('rk_one_wording_cli');
  const ws = await workspace();
  const steps = tables(how.keep ? 4 : 3).map((s) => ({ ...s, noTransaction: how.nonTransactional }));
  const second = steps.at(-2)!;
  second.down = how.lock ? `LOCK TABLE ${second.name.replace('create_', '')} IN ACCESS EXCLUSIVE MODE;\nDROP TABLE ${second.name.replace('create_', '')};` : 'SELEC broken;';
  const dir = await writeMigrations(ws, 'dbmate', steps);
  await applyMigrations(db, 'dbmate', dir, steps);
  return ws;
}

const ARGS = ['down', '--steps', '3', '--format', 'dbmate', '--no-require-snapshot', '--yes'];

describe('rollback-kit down failing partway names the command to run once', () => {
  it.each([
    ['a statement fails', {}, '--steps 2'],
    ['a statement fails, the plan keeps a migration', { keep: true }, '--to-version 20240101000001'],
    ['a non-transactional statement fails', { nonTransactional: true }, '--steps 2'],
  ])('%s', async (_, how, flag) => {
    const ws = await failPartway(how);
    const run = await runMain(ARGS, { cwd: ws, env: { DATABASE_URL: db!.url } });
    expect(run.code).toBe(1);
    const error = run.stderr.split('\n').find((l) => l.startsWith('error: '))!;
    const command = `\`rollback-kit down --format dbmate ${flag} --no-require-snapshot --yes\``;
    expect(times(error, '`rollback-kit down')).toBe(1);
    expect(error).toContain(`and run ${command}. `);
    expect(error).toContain(`fix that and run the command again with \`${flag}\`: it continues from this migration.`);
    // What was reverted before the failure is said by the error, not again by a note beside it.
    expect(error).toContain('Reverted before the failure: ');
    expect(times(run.stdout + run.stderr, 'Reverted before the failure')).toBe(1);
  });

  it('a table lock not granted', async () => {
    const ws = await failPartway({ lock: true });
    const holder = await import('pg').then((pg) => new pg.default.Client({ connectionString: db!.url }));
    await holder.connect();
    try {
      await holder.query('BEGIN; LOCK TABLE t2 IN ACCESS SHARE MODE');
      const run = await runMain([...ARGS, '--lock-timeout-seconds', '1'], { cwd: ws, env: { DATABASE_URL: db!.url } });
      expect(run.code).toBe(1);
      const error = run.stderr.split('\n').find((l) => l.startsWith('error: '))!;
      expect(times(error, '`rollback-kit down')).toBe(1);
      expect(error).toContain('Run `rollback-kit down --format dbmate --steps 2 --no-require-snapshot --lock-timeout-seconds 1 --yes` when it is gone, or raise --lock-timeout-seconds.');
    } finally {
      await holder.end();
    }
  });
});

it('Ctrl-C while the second migration runs: the stop cancels it, and the message names the command once', async () => {
  db = await createTestDatabase('rk_one_wording_cli');
  const ws = await workspace();
  const steps = tables(3);
  steps[1]!.down = 'SELECT pg_sleep(20);\nDROP TABLE t2;';
  const dir = await writeMigrations(ws, 'dbmate', steps);
  await applyMigrations(db, 'dbmate', dir, steps);
  const running = runMain(ARGS, { cwd: ws, env: { DATABASE_URL: db.url } });
  for (;;) {
    const { rowCount } = await adminQuery("SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND query LIKE '%pg_sleep(20)%' AND state = 'active'", [db.name]);
    if (rowCount) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  process.emit('SIGINT', 'SIGINT');
  const run = await running;
  expect(run.code).toBe(130);
  const error = run.stderr.split('\n').find((l) => l.startsWith('error: '))!;
  expect(times(error, '`rollback-kit down')).toBe(1);
  expect(error).toContain('The stop cancelled it, not a fault: run `rollback-kit down --format dbmate --steps 2 --no-require-snapshot --yes` when it can run to its end; it continues from this migration.');
  expect(error).toContain('With steps, finish this plan with `--steps 2`, what is left of it (everything still applied).');
});
