// rollback_kit.rollbacks as a release before `kept` made it, owned by the migration role that made
// it; the CI role that runs the whole rollback may read and write its rows but not add the column,
// which this version needs (a re-run tells a plan's kept migrations from ones applied since by it).
// The refusal came at the run's first ledger write, in the database phase: after the plan, after the
// before-rollback snapshot, and after the app phase had rolled the app back, a half-done rollback.
// So did a ledger the role may read but not write, and no ledger where it may not make one. Each is
// now refused while the run is planned, before anything is changed, naming the table, its owner and
// the statement (ALTER, GRANT) to run. Real roles, real PostgreSQL (dbmate migrations).
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { runRollback, type RollbackRequest } from '../../src/pipeline/rollback.js';
import { closingLines, rollbackSummaryMarkdown } from '../../src/report/rollback-summary.js';
import { adminQuery, createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { applyMigrations, tables, writeMigrations } from '../migrations/fixtures.js';
import { databaseRollbackRequest } from './requests.js';
import { appliedVersions } from './world.js';

const V = (i: number) => `2024010100000${i}`;

let db: TestDatabase;
let ws: string;
let migrator: string;
let ci: string;
beforeEach(async () => {
  db = await createTestDatabase('rk_restore_owners_ledger');
  ws = await mkdtemp(join(tmpdir(), 'rk-restore-owners-ledger-'));
  const id = randomBytes(4).toString('hex');
  migrator = `rk_restore_owners_migrator_${id}`;
  ci = `rk_restore_owners_ci_${id}`;
  await adminQuery(`CREATE ROLE ${migrator} LOGIN; CREATE ROLE ${ci} LOGIN`);
  await adminQuery(`GRANT CREATE ON DATABASE "${db.name}" TO ${migrator}`);
  await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', tables(3)), tables(3));
  await db.query(`ALTER TABLE t1 OWNER TO ${ci}; ALTER TABLE t2 OWNER TO ${ci}; ALTER TABLE t3 OWNER TO ${ci}; ALTER TABLE schema_migrations OWNER TO ${ci}`);
  // As the release before `kept` made it (git log -p src/migrations/ledger.ts), with an earlier incident's row.
  await db.query(`SET ROLE ${migrator}; CREATE SCHEMA rollback_kit; CREATE TABLE rollback_kit.rollbacks (
       incident_key text PRIMARY KEY, method text NOT NULL, keep_version text,
       planned text[] NOT NULL DEFAULT '{}', reverted text[] NOT NULL DEFAULT '{}', status text NOT NULL,
       started_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
     INSERT INTO rollback_kit.rollbacks (incident_key, method, planned, reverted, status) VALUES ('production:run-1', 'down-migrations', '{${V(9)}}', '{${V(9)}}', 'done');
     GRANT USAGE ON SCHEMA rollback_kit TO ${ci}; GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA rollback_kit TO ${ci}; RESET ROLE`);
});
afterEach(async () => {
  await rm(ws, { recursive: true, force: true });
  await db.drop();
  await adminQuery(`DROP ROLE IF EXISTS ${migrator}; DROP ROLE IF EXISTS ${ci}`);
});

const asCi = () => parseConnectionString(Object.assign(new URL(db.url), { username: ci }).toString());

function request(dryRun = false): RollbackRequest {
  return databaseRollbackRequest(
    { method: 'down-migrations', migrationsDir: 'db/migrations', format: 'dbmate', choice: { steps: 1 }, lockTimeoutSeconds: 10 },
    {
      database: asCi(),
      workspace: ws,
      snapshotDir: join(ws, 'runner-temp', 'snapshots'),
      runnerTemp: join(ws, 'runner-temp'),
      dryRun,
      github: { repository: 'acme/shop', apiUrl: 'http://127.0.0.1:9', runId: '5152', runUrl: 'https://github.com/acme/shop/actions/runs/5152' },
    },
  );
}

/** The ledger as it is: its columns and rows. */
async function ledger(): Promise<unknown> {
  const columns = (await db.query(`SELECT array_agg(attname::text ORDER BY attnum) AS c FROM pg_attribute WHERE attrelid = 'rollback_kit.rollbacks'::regclass AND attnum > 0 AND NOT attisdropped`)).rows[0]?.c;
  const rows = (await db.query('SELECT incident_key, method, planned, reverted, status FROM rollback_kit.rollbacks ORDER BY 1')).rows;
  return { columns, rows };
}

it('is refused while planned, before its snapshot or any change, naming the table, its owner and the ALTER the owner runs', async () => {
  const before = await ledger();
  const result = await runRollback(request(), {}, memoryLog());
  expect(result.status).toBe('failed');
  const plan = result.timeline.find((t) => t.phase === 'plan');
  expect(plan?.status).toBe('failed');
  expect(plan?.detail).toContain(`rollback_kit.rollbacks lacks the column kept, which this version of rollback-kit writes (an earlier version created the table), and only the table's owner may add it: it belongs to role ${migrator}, and this run connects as role ${ci}.`);
  expect(plan?.detail).toContain(
    `Have ${migrator} (or a superuser) run once: ALTER TABLE rollback_kit.rollbacks ADD COLUMN IF NOT EXISTS kept text[] NOT NULL DEFAULT '{}', ADD COLUMN IF NOT EXISTS applied text[] DEFAULT '{}', ADD COLUMN IF NOT EXISTS snapshot text[] DEFAULT '{}', ADD COLUMN IF NOT EXISTS first_snapshot text[] DEFAULT '{}'; then run again.`,
  );
  // Nothing after the plan ran: no snapshot, no app, no database phase.
  expect(result.timeline.filter((t) => t.phase !== 'plan' && t.status !== 'skipped')).toEqual([]);
  expect(await readdir(join(ws, 'runner-temp', 'snapshots')).catch(() => [])).toEqual([]);
  expect(await appliedVersions(db)).toEqual([V(1), V(2), V(3)]);
  expect(await ledger()).toEqual(before);

  // The dry run changes nothing, so it is not refused: it plans to its end and says, as its finding,
  // that the real run would be, with the same ALTER (plan row, log, next steps first).
  const log = memoryLog();
  const dry = await runRollback(request(true), {}, log);
  expect(dry.status).toBe('dry-run');
  const dryPlan = dry.timeline.find((t) => t.phase === 'plan');
  expect(dryPlan?.status).toBe('warning');
  const finding = `The real run would be refused: rollback_kit.rollbacks lacks the column kept, which this version of rollback-kit writes`;
  expect(dryPlan?.detail).toContain(`database: revert ${V(3)}`);
  expect(dryPlan?.detail).toContain(finding);
  expect(dryPlan?.detail).toContain(`Have ${migrator} (or a superuser) run once: ALTER TABLE rollback_kit.rollbacks ADD COLUMN IF NOT EXISTS kept`);
  expect(dry.nextSteps[0]).toContain(finding);
  expect(dry.nextSteps[0]).toContain('run once: ALTER TABLE rollback_kit.rollbacks');
  expect(log.lines.filter((l) => l.startsWith(`warning: ${finding}`))).toHaveLength(1);
  expect(dry.database).toMatchObject({ planned: [V(3)], status: 'dry-run' });
  // Where people read it: the command line's closing lines, the job summary.
  expect(closingLines(dry)[1]).toContain(`• ${finding}`);
  expect(rollbackSummaryMarkdown(dry, log)).toMatch(/1\. The real run would be refused: rollback\\?_kit\.rollbacks lacks the column kept/);
  expect(await appliedVersions(db)).toEqual([V(1), V(2), V(3)]);
  expect(await ledger()).toEqual(before);

  // The owner runs what it says; the same run then goes through, and a re-run finds it done.
  const statement = /run once: (ALTER TABLE [^;]+);/.exec(plan!.detail)?.[1];
  await db.query(`SET ROLE ${migrator}; ${statement}; RESET ROLE`);
  expect((await runRollback(request(), {}, memoryLog())).status).toBe('rolled-back');
  expect(await appliedVersions(db)).toEqual([V(1), V(2)]);
  expect((await runRollback(request(), {}, memoryLog())).status).toBe('nothing-to-do');
});

it('a ledger whose needed columns are all there, or no ledger yet where the role may make one, is not refused', async () => {
  await db.query(`SET ROLE ${migrator}; ALTER TABLE rollback_kit.rollbacks ADD COLUMN kept text[] NOT NULL DEFAULT '{}'; RESET ROLE`);
  // Without applied and snapshot (optional: written without them, warned), as the release with kept left it.
  expect((await runRollback(request(true), {}, memoryLog())).timeline.find((t) => t.phase === 'plan')?.status).toBe('dry-run');
  await db.query('DROP SCHEMA rollback_kit CASCADE');
  await adminQuery(`GRANT CREATE ON DATABASE "${db.name}" TO ${ci}`);
  expect((await runRollback(request(true), {}, memoryLog())).timeline.find((t) => t.phase === 'plan')?.status).toBe('dry-run');
});

it('a ledger the role may read but not write is refused while planned, naming the privileges, the owner and the GRANT', async () => {
  await db.query(`SET ROLE ${migrator}; ALTER TABLE rollback_kit.rollbacks ADD COLUMN kept text[] NOT NULL DEFAULT '{}', ADD COLUMN applied text[] DEFAULT '{}', ADD COLUMN snapshot text[] DEFAULT '{}';
    REVOKE INSERT, UPDATE ON rollback_kit.rollbacks FROM ${ci}; RESET ROLE`);
  const before = await ledger();
  const result = await runRollback(request(), {}, memoryLog());
  const plan = result.timeline.find((t) => t.phase === 'plan');
  expect(plan?.status).toBe('failed');
  expect(plan?.detail).toContain(
    `This run writes its row to rollback_kit.rollbacks, and role ${ci} lacks INSERT, UPDATE on it; it belongs to role ${migrator}. Have ${migrator} (or a superuser) run once: GRANT SELECT, INSERT, UPDATE ON rollback_kit.rollbacks TO ${ci}; then run again.`,
  );
  expect(result.timeline.filter((t) => t.phase !== 'plan' && t.status !== 'skipped')).toEqual([]);
  expect(await appliedVersions(db)).toEqual([V(1), V(2), V(3)]);
  expect(await ledger()).toEqual(before);
});

it('no ledger yet, where the role may not make one, is refused while planned, naming the GRANT', async () => {
  await db.query('DROP SCHEMA rollback_kit CASCADE');
  const result = await runRollback(request(), {}, memoryLog());
  const plan = result.timeline.find((t) => t.phase === 'plan');
  expect(plan?.status).toBe('failed');
  expect(plan?.detail).toContain(
    `rollback_kit.rollbacks is not there yet, and this run makes it at its first write, schema rollback_kit with it, which takes CREATE on the database; role ${ci} lacks it. Have its owner (or a superuser) run once: GRANT CREATE ON DATABASE ${db.name} TO ${ci};`,
  );
  expect(result.timeline.filter((t) => t.phase !== 'plan' && t.status !== 'skipped')).toEqual([]);
  expect(await appliedVersions(db)).toEqual([V(1), V(2), V(3)]);
  expect((await db.query(`SELECT to_regnamespace('rollback_kit') AS n`)).rows[0]).toEqual({ n: null });
});

it('a ledger schema the role may not use is refused while planned, naming GRANT USAGE (and the table grants it also lacks)', async () => {
  await db.query(`SET ROLE ${migrator}; ALTER TABLE rollback_kit.rollbacks ADD COLUMN kept text[] NOT NULL DEFAULT '{}', ADD COLUMN applied text[] DEFAULT '{}', ADD COLUMN snapshot text[] DEFAULT '{}';
    REVOKE USAGE ON SCHEMA rollback_kit FROM ${ci}; REVOKE INSERT, UPDATE ON rollback_kit.rollbacks FROM ${ci}; RESET ROLE`);
  const before = await ledger();
  const result = await runRollback(request(), {}, memoryLog());
  const plan = result.timeline.find((t) => t.phase === 'plan');
  expect(plan?.status).toBe('failed');
  expect(plan?.detail).not.toContain('Unexpected error');
  expect(plan?.detail).toContain(
    `This run writes its row to rollback_kit.rollbacks, and role ${ci} lacks USAGE on schema rollback_kit. Have ${migrator} (or a superuser) run once: GRANT USAGE ON SCHEMA rollback_kit TO ${ci}; and have ${migrator} (or a superuser) run once: GRANT SELECT, INSERT, UPDATE ON rollback_kit.rollbacks TO ${ci}; then run again.`,
  );
  expect(result.timeline.filter((t) => t.phase !== 'plan' && t.status !== 'skipped')).toEqual([]);
  expect(await appliedVersions(db)).toEqual([V(1), V(2), V(3)]);
  expect(await ledger()).toEqual(before);

  // The statements it names are enough: the run then goes through.
  for (const statement of plan!.detail.match(/GRANT [^;]+;/g) ?? []) await db.query(`SET ROLE ${migrator}; ${statement} RESET ROLE`);
  expect((await runRollback(request(), {}, memoryLog())).status).toBe('rolled-back');
  expect(await appliedVersions(db)).toEqual([V(1), V(2)]);
});

it('no ledger table yet in a schema the role may not use is refused while planned, naming GRANT USAGE, CREATE ON SCHEMA', async () => {
  await db.query(`DROP TABLE rollback_kit.rollbacks; REVOKE USAGE ON SCHEMA rollback_kit FROM ${ci}`);
  const said = `This run writes its row to rollback_kit.rollbacks, which it makes at its first write, and role ${ci} lacks USAGE, CREATE on schema rollback_kit. Have ${migrator} (or a superuser) run once: GRANT USAGE, CREATE ON SCHEMA rollback_kit TO ${ci}; then run again.`;
  const result = await runRollback(request(), {}, memoryLog());
  const plan = result.timeline.find((t) => t.phase === 'plan');
  expect(plan?.status).toBe('failed');
  expect(plan?.detail).toContain(said);
  // A dry run, which may not even read the ledger here, plans on as if it held no row, and says both.
  const dry = await runRollback(request(true), {}, memoryLog());
  expect(dry.status).toBe('dry-run');
  expect(dry.timeline.find((t) => t.phase === 'plan')).toMatchObject({ status: 'warning' });
  expect(dry.nextSteps[0]).toBe(`The real run would be refused: ${said} This role may not read the ledger either, so this dry run planned as if it held no row for the incident.`);
  expect(dry.database).toMatchObject({ planned: [V(3)], status: 'dry-run' });
  expect((await db.query(`SELECT to_regclass('rollback_kit.rollbacks') AS t`)).rows[0]).toEqual({ t: null });
  expect(await appliedVersions(db)).toEqual([V(1), V(2), V(3)]);
});
