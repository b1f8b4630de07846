// `steps` counts from what is still applied. A step that fails partway must not turn the advice it
// gives ("fix it and re-run") into reverting more than was planned: GitHub's "Re-run failed jobs"
// finishes the plan the first attempt recorded, and the failure names the absolute way to finish.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adminQuery, createTestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';
import { runCli } from '../cli/run-cli.js';
import { plain } from '../../src/migrations/formats/plain.js';
import { memoryLog } from '../../src/core/log.js';
import { planReverts } from '../../src/migrations/planner.js';
import type { MigrationFile } from '../../src/migrations/types.js';
import { applyMigrations, existingTables, five, pTables, tables, trackingState, workspace, writeMigrations } from './fixtures.js';

/** A workflow step: run id, attempt, job and step as the runner sets them. */
const job = (run: string, attempt: number) => ({ GITHUB_RUN_ID: run, GITHUB_RUN_ATTEMPT: String(attempt), GITHUB_JOB: 'rollback', GITHUB_ACTION: 'down' });

async function failedAtThree(prefix: string) {
  const db = await createTestDatabase(prefix);
  const ws = await workspace();
  const steps = five();
  const dir = await writeMigrations(ws, 'plain', steps);
  await applyMigrations(db, 'plain', dir, steps);
  const down = (env: Record<string, string>, inputs: Record<string, string> = { steps: '3' }) =>
    runAction('run-down-migrations', { 'database-url': db.url, 'require-snapshot': 'false', ...inputs }, { cwd: ws, env });
  const first = await down(job('7001', 1));
  const fix = async () => {
    steps[2]!.down = 'DROP TABLE p3;';
    await writeMigrations(ws, 'plain', steps);
  };
  return { db, ws, first, down, fix };
}

describe('run-down-migrations with steps, after a failure partway', () => {
  it('names the absolute way to finish: to-version, and what a new run with steps would do', async () => {
    const { db, first } = await failedAtThree('rk_rerun_hint');
    expect(first.code).not.toBe(0);
    expect(JSON.parse(first.outputs.reverted!)).toEqual(['005', '004']);
    expect(first.outputs.status).toBe('failed');
    expect(first.outputs['finish-to-version']).toBe('002');
    expect(first.errors).toHaveLength(1);
    expect(first.errors[0]).toContain('division by zero');
    expect(first.errors[0]).toContain('`to-version: 002`');
    expect(first.errors[0]).toMatch(/`steps: 3`[^.]*revert 3 more/);
    expect(first.errors[0]).toContain('a re-run of this job finishes this plan');
    // A re-run checks out the same commit: a fixed down SQL reaches only a new run, which the
    // to-version above finishes (the last test below does exactly that).
    expect(first.errors[0]).toMatch(/If the down SQL is wrong, fix it in 003\S*, push the fix/);
    expect(first.errors[0]).toContain('push the fix and start a new run: Re-run jobs checks out the same commit');
    expect(await pTables(db)).toEqual(['p1', 'p2', 'p3']);
  });

  it('a GitHub re-run of the same run (next attempt) finishes the recorded plan: only 003 goes', async () => {
    const { db, down, fix } = await failedAtThree('rk_rerun_same');
    await fix();
    const rerun = await down(job('7001', 2));
    expect(rerun.errors).toEqual([]);
    expect(JSON.parse(rerun.outputs.reverted!)).toEqual(['003']);
    expect(rerun.log).toMatch(/attempt 2 of workflow run 7001.*finishes the plan/);
    expect(await pTables(db)).toEqual(['p1', 'p2']);
    expect(await trackingState(db, 'plain')).toEqual(['001', '002']);

    // "Re-run all jobs" once more: the plan is done, nothing more goes.
    const again = await down(job('7001', 3));
    expect(again.errors).toEqual([]);
    expect(again.outputs.status).toBe('nothing-to-do');
    expect(await pTables(db)).toEqual(['p1', 'p2']);
  });

  it('a dry run on a re-run shows what is left of the recorded plan', async () => {
    const { down, fix } = await failedAtThree('rk_rerun_dry');
    await fix();
    const dry = await down(job('7001', 2), { steps: '3', 'dry-run': 'true' });
    expect(dry.errors).toEqual([]);
    expect(JSON.parse(dry.outputs.plan!).map((p: { version: string }) => p.version)).toEqual(['003']);
  });

  it('a new workflow run with the same steps counts from what is still applied (documented): three more go', async () => {
    const { db, down, fix } = await failedAtThree('rk_rerun_new');
    await fix();
    const next = await down(job('7002', 1));
    expect(next.errors).toEqual([]);
    expect(JSON.parse(next.outputs.reverted!)).toEqual(['003', '002', '001']);
    expect(await pTables(db)).toEqual([]);
  });

  it('to-version from the failure finishes the plan in a new run', async () => {
    const { db, first, down, fix } = await failedAtThree('rk_rerun_tov');
    await fix();
    const next = await down(job('7003', 1), { 'to-version': first.outputs['finish-to-version']! });
    expect(next.errors).toEqual([]);
    expect(JSON.parse(next.outputs.reverted!)).toEqual(['003']);
    expect(await pTables(db)).toEqual(['p1', 'p2']);
  });

  it('a role that may not create the rollback_kit schema still reverts, warned that a re-run would count again', async () => {
    const db = await createTestDatabase('rk_rerun_role');
    const role = `rk_norecord_${randomBytes(4).toString('hex')}`;
    await adminQuery(`CREATE ROLE ${role} LOGIN`);
    try {
      const ws = await workspace();
      const steps = tables(3);
      steps[1]!.down = 'SELECT 1/0;';
      const dir = await writeMigrations(ws, 'dbmate', steps);
      await applyMigrations(db, 'dbmate', dir, steps);
      // It owns what it reverts, and has no CREATE on the database (PostgreSQL's default for a non-owner).
      await db.query(`ALTER TABLE t1 OWNER TO ${role}; ALTER TABLE t2 OWNER TO ${role}; ALTER TABLE t3 OWNER TO ${role}; ALTER TABLE schema_migrations OWNER TO ${role}`);
      const url = Object.assign(new URL(db.url), { username: role }).toString();
      const run = await runAction('run-down-migrations', { 'database-url': url, 'require-snapshot': 'false', steps: '2' }, { cwd: ws, env: job('7004', 1) });
      expect(run.log).toMatch(/::warning::Could not write the plan to rollback_kit\.rollbacks \(permission denied[^)]*\), so a re-run of this job would count steps again/);
      expect(JSON.parse(run.outputs.reverted!)).toEqual([steps[2]!.version]);
      expect(run.errors[0]).toContain(`With steps, finish this plan with \`to-version: ${steps[0]!.version}\``);
      expect(run.errors[0]).not.toContain('re-run of this job');
      expect(await existingTables(db)).toEqual(['t1', 't2']);
    } finally {
      await db.drop();
      await adminQuery(`DROP ROLE IF EXISTS ${role}`);
    }
  });

  it('a role without USAGE on the rollback_kit schema (another role made the ledger) still reverts, warned as a role that may not create it', async () => {
    const db = await createTestDatabase('rk_fix_ledger_rerun_usage');
    const role = `rk_fix_ledger_nousage_${randomBytes(4).toString('hex')}`;
    await adminQuery(`CREATE ROLE ${role} LOGIN`);
    try {
      const ws = await workspace();
      const steps = tables(3);
      const dir = await writeMigrations(ws, 'dbmate', steps);
      await applyMigrations(db, 'dbmate', dir, steps);
      await db.query(`ALTER TABLE t1 OWNER TO ${role}; ALTER TABLE t2 OWNER TO ${role}; ALTER TABLE t3 OWNER TO ${role}; ALTER TABLE schema_migrations OWNER TO ${role}`);
      // The ledger an earlier run as the database owner made, with no grant to this role.
      await db.query(`CREATE SCHEMA rollback_kit; CREATE TABLE rollback_kit.rollbacks (incident_key text PRIMARY KEY, method text NOT NULL, keep_version text,
         planned text[] NOT NULL DEFAULT '{}', reverted text[] NOT NULL DEFAULT '{}', status text NOT NULL,
         started_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), kept text[] NOT NULL DEFAULT '{}')`);
      const url = Object.assign(new URL(db.url), { username: role }).toString();
      const run = await runAction('run-down-migrations', { 'database-url': url, 'require-snapshot': 'false', steps: '2' }, { cwd: ws, env: job('7006', 1) });
      expect(run.errors).toEqual([]);
      expect(run.log).toMatch(/::warning::Could not write the plan to rollback_kit\.rollbacks \(permission denied for schema rollback_kit\), so a re-run of this job would count steps again/);
      expect(JSON.parse(run.outputs.reverted!)).toEqual([steps[2]!.version, steps[1]!.version]);
      expect(await existingTables(db)).toEqual(['t1']);
    } finally {
      await db.drop();
      await adminQuery(`DROP ROLE IF EXISTS ${role}`);
    }
  });

  it('a role that does not own a ledger without applied still records its plan, warned once what the owner runs', async () => {
    const db = await createTestDatabase('rk_rerun_not_owner');
    const id = randomBytes(4).toString('hex');
    const owner = `rk_ledger_owner_${id}`;
    const role = `rk_ci_${id}`;
    await adminQuery(`CREATE ROLE ${owner} LOGIN; CREATE ROLE ${role} LOGIN`);
    try {
      const ws = await workspace();
      const steps = tables(3);
      const dir = await writeMigrations(ws, 'dbmate', steps);
      await applyMigrations(db, 'dbmate', dir, steps);
      await db.query(`ALTER TABLE t1 OWNER TO ${role}; ALTER TABLE t2 OWNER TO ${role}; ALTER TABLE t3 OWNER TO ${role}; ALTER TABLE schema_migrations OWNER TO ${role}`);
      // The ledger as the release that added kept left it, owned by another role.
      await db.query(`CREATE SCHEMA rollback_kit AUTHORIZATION ${owner}; CREATE TABLE rollback_kit.rollbacks (
         incident_key text PRIMARY KEY, method text NOT NULL, keep_version text,
         planned text[] NOT NULL DEFAULT '{}', reverted text[] NOT NULL DEFAULT '{}', status text NOT NULL,
         started_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), kept text[] NOT NULL DEFAULT '{}');
         ALTER TABLE rollback_kit.rollbacks OWNER TO ${owner}; GRANT USAGE ON SCHEMA rollback_kit TO ${role}; GRANT SELECT, INSERT, UPDATE ON rollback_kit.rollbacks TO ${role}`);
      const url = Object.assign(new URL(db.url), { username: role }).toString();
      const run = await runAction('run-down-migrations', { 'database-url': url, 'require-snapshot': 'false', steps: '2' }, { cwd: ws, env: job('7005', 1) });
      expect(run.errors).toEqual([]);
      expect(run.log).not.toContain('Could not write the plan');
      expect(run.log).not.toContain('Could not update');
      expect(run.log.match(/::warning::rollback_kit\.rollbacks lacks the column\(s\) applied, snapshot/g)).toHaveLength(1);
      expect(run.log).toContain(`Have ${owner} (or a superuser) run once: ALTER TABLE rollback_kit.rollbacks ADD COLUMN IF NOT EXISTS kept`);
      expect(await existingTables(db)).toEqual(['t1']);
      const ledger = await db.query(`SELECT planned, reverted, status FROM rollback_kit.rollbacks`);
      expect(ledger.rows).toEqual([{ planned: [steps[2]!.version, steps[1]!.version], reverted: [steps[2]!.version, steps[1]!.version], status: 'done' }]);
    } finally {
      await db.drop();
      await adminQuery(`DROP ROLE IF EXISTS ${owner}; DROP ROLE IF EXISTS ${role}`);
    }
  });

  it('rollback-kit down gives the same advice in flags', async () => {
    const db = await createTestDatabase('rk_rerun_cli');
    const ws = await workspace();
    const steps = five();
    const dir = await writeMigrations(ws, 'plain', steps);
    await applyMigrations(db, 'plain', dir, steps);
    const run = await runCli(['down', '--steps', '3', '--no-require-snapshot', '--yes'], { cwd: ws, env: { DATABASE_URL: db.url } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/`--steps 3`[^.]*revert 3 more/);
    // The whole command to paste, every flag as given, --steps replaced (src/cli/commands/database.ts), named once:
    // the other ways on say the flag that changes.
    expect(run.stderr).toContain('fix it in 003_create_p3.down.sql and run `rollback-kit down --to-version 002 --no-require-snapshot --yes`.');
    expect(run.stderr.split('`rollback-kit down').length - 1).toBe(1);
    expect(run.stderr).toContain('fix that and run the command again with `--to-version 002`: it continues from this migration');
    expect(run.stderr).not.toMatch(/run the command again(?! with `--to-version 002`)/);
    // Not in a workflow: there is no re-run of it to suggest.
    expect(run.stderr).not.toContain('re-run of this job');
    expect(await pTables(db)).toEqual(['p1', 'p2', 'p3']);
  });
});

describe('run-down-migrations re-run after its plan finished', () => {
  it('a re-run of the finished run after the next deploy applied a migration: refused, naming it, and nothing changes', async () => {
    const db = await createTestDatabase('rk_rerun_since');
    const ws = await workspace();
    const [one, two, three] = tables(3);
    const dir = await writeMigrations(ws, 'dbmate', [one!, two!]);
    await applyMigrations(db, 'dbmate', dir, [one!, two!]);
    const down = (attempt: number) => runAction('run-down-migrations', { 'database-url': db.url, 'require-snapshot': 'false', 'migrations-dir': 'db/migrations', steps: '1' }, { cwd: ws, env: job('7101', attempt) });
    const first = await down(1);
    expect(first.errors).toEqual([]);
    expect(JSON.parse(first.outputs.reverted!)).toEqual([two!.version]);

    // The fix dropped 002; the next bad deploy applies 003. Re-running the finished run (the same
    // run id, the next attempt) finds its plan done: "nothing to do" would leave 003 applied.
    await rm(join(dir, `${two!.version}_${two!.name}.sql`));
    await writeMigrations(ws, 'dbmate', [three!]);
    await applyMigrations(db, 'dbmate', dir, [three!]);
    const rerun = await down(2);
    expect(rerun.code).not.toBe(0);
    expect(rerun.outputs.status).not.toBe('nothing-to-do');
    expect(rerun.errors.join('\n')).toMatch(new RegExp(`An earlier attempt of this workflow run planned to revert ${two!.version}, but ${three!.version}_create_t3\\.sql was applied since, and none of that plan is applied any more`));
    expect(rerun.errors.join('\n')).toContain('Start a new run with to-version');
    expect(await trackingState(db, 'dbmate')).toEqual([one!.version, three!.version]);
  });

  // The deploy ran the reverted migration again, and orders were written to its table since: the
  // re-run found its plan (revert 002) "applied" again and reverted it a second time, dropping them.
  it('a re-run after a deploy applied the reverted migration again: refused, nothing dropped', async () => {
    const db = await createTestDatabase('rk_rerun_again');
    const ws = await workspace();
    const [one, two] = tables(2);
    const dir = await writeMigrations(ws, 'dbmate', [one!, two!]);
    await applyMigrations(db, 'dbmate', dir, [one!, two!]);
    const down = (attempt: number) => runAction('run-down-migrations', { 'database-url': db.url, 'require-snapshot': 'false', 'migrations-dir': 'db/migrations', steps: '1' }, { cwd: ws, env: job('7102', attempt) });
    const first = await down(1);
    expect(JSON.parse(first.outputs.reverted!)).toEqual([two!.version]);

    await applyMigrations(db, 'dbmate', dir, [two!]);
    await db.query('INSERT INTO t2 VALUES (42)');
    const rerun = await down(2);
    expect(rerun.code).not.toBe(0);
    expect(rerun.outputs.status).not.toBe('reverted');
    expect(rerun.errors.join('\n')).toMatch(new RegExp(`An earlier attempt of this workflow run reverted ${two!.version}_create_t2\\.sql, and it was applied again since \\(a deploy ran it again\\): reverting it a second time would drop what was written since\\. Nothing was run\\.`));
    expect(await trackingState(db, 'dbmate')).toEqual([one!.version, two!.version]);
    expect((await db.query('SELECT count(*)::int AS n FROM t2')).rows[0]).toEqual({ n: 2 });

    // The same step run again in that attempt (a retry loop): refused the same way.
    const again = await down(2);
    expect(again.code).not.toBe(0);
    expect((await db.query('SELECT count(*)::int AS n FROM t2')).rows[0]).toEqual({ n: 2 });
  });
});

// A step run twice in one attempt: a shell retry loop around `rollback-kit down`, or matrix legs
// (they share GITHUB_JOB and the step's id). Read only from the second attempt on, the ledger let the
// second run count `steps: 1` again and revert the migration before the bad one, writing its own
// plan over the first run's finished row.
describe('the same step run twice in one attempt', () => {
  const ledger = async (db: { query: (sql: string) => Promise<{ rows: unknown[] }> }) => (await db.query('SELECT incident_key, planned, reverted, status FROM rollback_kit.rollbacks ORDER BY incident_key')).rows;

  it('run-down-migrations: the second run finds the plan done and reverts nothing; the row keeps the first run\'s record', async () => {
    const db = await createTestDatabase('rk_rerun_same_attempt');
    const ws = await workspace();
    const steps = tables(3);
    await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', steps), steps);
    const down = () => runAction('run-down-migrations', { 'database-url': db.url, 'require-snapshot': 'false', 'migrations-dir': 'db/migrations', steps: '1' }, { cwd: ws, env: job('7201', 1) });
    const first = await down();
    expect(JSON.parse(first.outputs.reverted!)).toEqual([steps[2]!.version]);
    const again = await down();
    expect(again.errors).toEqual([]);
    expect(again.outputs.status).toBe('nothing-to-do');
    expect(again.log).toContain(`This step (job rollback, step down) ran before in attempt 1 of workflow run 7201: this run finishes the plan that run recorded (revert ${steps[2]!.version}; done)`);
    expect(await existingTables(db)).toEqual(['t1', 't2']);
    expect(await ledger(db)).toEqual([{ incident_key: expect.stringContaining('run-down-migrations:7201:rollback:down:'), planned: [steps[2]!.version], reverted: [steps[2]!.version], status: 'done' }]);
  });

  it('rollback-kit down in a workflow step: the second run reverts nothing', async () => {
    const db = await createTestDatabase('rk_rerun_same_attempt_cli');
    const ws = await workspace();
    const steps = tables(3);
    await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', steps), steps);
    const env = { DATABASE_URL: db.url, GITHUB_ACTIONS: 'true', ...job('7202', 1) };
    const down = () => runCli(['down', '--steps', '1', '--migrations-dir', 'db/migrations', '--no-require-snapshot', '--yes'], { cwd: ws, env });
    expect((await down()).code).toBe(0);
    const again = await down();
    expect(again.code).toBe(0);
    expect(await existingTables(db)).toEqual(['t1', 't2']);
    expect(await ledger(db)).toEqual([expect.objectContaining({ planned: [steps[2]!.version], status: 'done' })]);
  });

  it('a migration applied between the two runs of the step: refused, naming it, and nothing changes', async () => {
    const db = await createTestDatabase('rk_rerun_same_attempt_since');
    const ws = await workspace();
    const [one, two, three] = tables(3);
    const dir = await writeMigrations(ws, 'dbmate', [one!, two!]);
    await applyMigrations(db, 'dbmate', dir, [one!, two!]);
    const down = () => runAction('run-down-migrations', { 'database-url': db.url, 'require-snapshot': 'false', 'migrations-dir': 'db/migrations', steps: '1' }, { cwd: ws, env: job('7203', 1) });
    expect(JSON.parse((await down()).outputs.reverted!)).toEqual([two!.version]);
    // The fix dropped 002; the next deploy applies 003, between the loop's two runs.
    await rm(join(dir, `${two!.version}_${two!.name}.sql`));
    await writeMigrations(ws, 'dbmate', [three!]);
    await applyMigrations(db, 'dbmate', dir, [three!]);
    const again = await down();
    expect(again.code).not.toBe(0);
    expect(again.errors.join('\n')).toContain(`An earlier run of this step in this attempt of the workflow run planned to revert ${two!.version}, but ${three!.version}_create_t3.sql was applied since`);
    expect(await trackingState(db, 'dbmate')).toEqual([one!.version, three!.version]);
  });

  it('after a failure partway, the same step again finishes the plan: only what is left of it goes', async () => {
    const { db, down, fix } = await failedAtThree('rk_rerun_same_attempt_fail');
    await fix();
    const again = await down(job('7001', 1));
    expect(again.errors).toEqual([]);
    expect(JSON.parse(again.outputs.reverted!)).toEqual(['003']);
    expect(await pTables(db)).toEqual(['p1', 'p2']);
  });
});

describe('the planner', () => {
  const file = (v: string): MigrationFile => ({ version: v, id: v, name: `${v}_x.down.sql`, addedPath: `${v}_x.sql`, downFile: `${v}_x.down.sql`, downSql: 'SELECT 1;', downLine: 1, noTransaction: false });
  const files = ['001', '002', '003', '004'].map(file);
  const context = { table: 'rollback_kit.schema_migrations', log: memoryLog() };

  it('finishes a recorded plan: what is left of it, and the version it keeps', () => {
    const plan = planReverts(plain, files, ['001', '002', '003'], { kind: 'recorded', planned: ['004', '003', '002'] }, context);
    expect(plan.toRevert.map((m) => m.file.version)).toEqual(['003', '002']);
    expect(plan.keep?.version).toBe('001');
    expect(planReverts(plain, files, ['001'], { kind: 'recorded', planned: ['004', '003', '002'] }, context).toRevert).toEqual([]);
    expect(planReverts(plain, files, ['001', '002'], { kind: 'steps', steps: 2 }, context).keep).toBeUndefined();
  });

  it('refuses to finish a recorded plan under a migration applied since', () => {
    expect(() => planReverts(plain, files, ['001', '002', '004'], { kind: 'recorded', planned: ['003', '002'] }, context)).toThrow(
      /planned to revert 003, 002, but 004_x\.down\.sql was applied since, above 002_x\.down\.sql/,
    );
  });

  it('refuses a recorded plan whose reverted migration is applied again, whoever recorded it; what is only behind is finished', () => {
    const origin = { who: 'The whole rollback for incident production:web@dpl_1', hint: 'h' };
    // 003 reverted, then applied again by a deploy: the half-done plan (003, 002) must not revert it twice.
    expect(() => planReverts(plain, files, ['001', '002', '003'], { kind: 'recorded', planned: ['003', '002'], appliedAtPlan: ['001', '002', '003'], reverted: ['003'], origin }, context)).toThrow(
      /^The whole rollback for incident production:web@dpl_1 reverted 003_x\.down\.sql, and it was applied again since \(a deploy ran it again\)/,
    );
    // A row behind the tracking table (002 not yet said reverted) still finishes what is left.
    expect(planReverts(plain, files, ['001', '002'], { kind: 'recorded', planned: ['003', '002'], appliedAtPlan: ['001', '002', '003'], reverted: ['003'], origin }, context).toRevert.map((m) => m.file.version)).toEqual(['002']);
  });
});
