// rollback_kit's own tables, used by a role that did not make them: a migration role creates them,
// the CI role that reverts later may read and write them but owns nothing and may create nothing.
// PostgreSQL checks CREATE SCHEMA/TABLE IF NOT EXISTS and ALTER TABLE … ADD COLUMN IF NOT EXISTS for
// their privilege before looking whether there is anything to do, so such a role must not be made
// to run them. Real roles on the real server.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConnectionString } from '../../src/db/connection.js';
import { withSession } from '../../src/db/session.js';
import { memoryLog } from '../../src/core/log.js';
import { readLedger, writeLedger, type LedgerRow } from '../../src/migrations/ledger.js';
import { ColumnRefused } from '../../src/migrations/own-tables.js';
import { revertMigrations, type RevertOptions } from '../../src/migrations/revert.js';
import { adminQuery, createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { applyMigrations, existingTables, tables, workspace, writeMigrations } from './fixtures.js';

const roles: string[] = [];
const databases: TestDatabase[] = [];
afterAll(async () => {
  // The databases hold the roles' only objects and grants: gone first, the roles can go.
  for (const db of databases) await db.drop();
  for (const role of roles) await adminQuery(`DROP ROLE IF EXISTS ${role}`);
});

/** A database, the migration role that may create in it, and the CI role that may only use what it made. */
async function setting() {
  const db = await createTestDatabase('rk_own_tables');
  databases.push(db);
  const id = randomBytes(4).toString('hex');
  const migrator = `rk_migrator_${id}`;
  const ci = `rk_ci_${id}`;
  roles.push(migrator, ci);
  await adminQuery(`CREATE ROLE ${migrator} LOGIN; CREATE ROLE ${ci} LOGIN`);
  await adminQuery(`GRANT CREATE ON DATABASE "${db.name}" TO ${migrator}`);
  const as = (role: string) => parseConnectionString(Object.assign(new URL(db.url), { username: role }).toString());
  /** What a CI role is given on the tables the migration role made: use, not ownership. */
  const grantCi = () =>
    db.query(`SET ROLE ${migrator}; GRANT USAGE ON SCHEMA rollback_kit TO ${ci}; GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA rollback_kit TO ${ci}; RESET ROLE`);
  return { db, migrator, ci, as, grantCi };
}

const row = (incidentKey: string): LedgerRow => ({ incidentKey, method: 'down-migrations', planned: ['2'], kept: ['3'], applied: ['1', '2', '3'], reverted: [], status: 'started' });

/** rollback_kit.rollbacks as a version before `kept` made it, as `role`. */
async function oldLedger(db: TestDatabase, role: string) {
  await db.query(`SET ROLE ${role}; CREATE SCHEMA rollback_kit; CREATE TABLE rollback_kit.rollbacks (
       incident_key text PRIMARY KEY, method text NOT NULL, keep_version text,
       planned text[] NOT NULL DEFAULT '{}', reverted text[] NOT NULL DEFAULT '{}', status text NOT NULL,
       started_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now()); RESET ROLE`);
}

describe("the ledger, written by a role that does not own it", () => {
  it('writes and reads its rows: nothing is created or altered that is already there', async () => {
    const { as, migrator, ci, grantCi } = await setting();
    await withSession(as(migrator), (s) => writeLedger(s, row('first')));
    await grantCi();

    await withSession(as(ci), (s) => writeLedger(s, row('second')));
    await withSession(as(ci), (s) => writeLedger(s, { ...row('second'), reverted: ['2'], status: 'done' }));
    expect(await withSession(as(ci), (s) => readLedger(s, 'second'))).toMatchObject({ planned: ['2'], kept: ['3'], reverted: ['2'], status: 'done' });
  });

  it('refuses a table that lacks a column when it cannot add it, naming the table, its owner and the statement the owner runs', async () => {
    const { db, as, migrator, ci, grantCi } = await setting();
    await oldLedger(db, migrator);
    await grantCi();

    const refused = await withSession(as(ci), (s) => writeLedger(s, row('r'))).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ColumnRefused);
    // Still insufficient_privilege: run-down-migrations goes on without its record, warned (rerun.ts).
    expect((refused as ColumnRefused).code).toBe('42501');
    const message = (refused as ColumnRefused).message;
    expect(message).toContain('rollback_kit.rollbacks lacks the column kept');
    expect(message).toContain(`it belongs to role ${migrator}, and this run connects as role ${ci}`);
    const statement = /run once: (ALTER TABLE [^;]+);/.exec(message)?.[1];
    // Every column added since, in one statement: the owner runs it once, however old the table.
    expect(statement).toBe("ALTER TABLE rollback_kit.rollbacks ADD COLUMN IF NOT EXISTS kept text[] NOT NULL DEFAULT '{}', ADD COLUMN IF NOT EXISTS applied text[] DEFAULT '{}', ADD COLUMN IF NOT EXISTS snapshot text[] DEFAULT '{}', ADD COLUMN IF NOT EXISTS first_snapshot text[] DEFAULT '{}'");
    expect((await db.query(`SELECT count(*)::int AS n FROM rollback_kit.rollbacks`)).rows[0]?.n).toBe(0);

    // The owner runs what it says; then the CI role writes.
    await db.query(`SET ROLE ${migrator}; ${statement}; RESET ROLE`);
    await withSession(as(ci), (s) => writeLedger(s, row('r')));
    expect(await withSession(as(ci), (s) => readLedger(s, 'r'))).toMatchObject({ kept: ['3'], applied: ['1', '2', '3'] });
  });

  it('writes without applied and snapshot when it cannot add them, warning once with the statement the owner runs', async () => {
    const { db, as, migrator, ci, grantCi } = await setting();
    // As the release that added kept made it.
    await oldLedger(db, migrator);
    await db.query(`SET ROLE ${migrator}; ALTER TABLE rollback_kit.rollbacks ADD COLUMN kept text[] NOT NULL DEFAULT '{}'; RESET ROLE`);
    await grantCi();

    const log = memoryLog();
    await withSession(as(ci), async (s) => {
      await writeLedger(s, { ...row('k'), snapshot: ['abc'] }, { log });
      await writeLedger(s, { ...row('k'), reverted: ['2'], status: 'done' }, { log });
    });
    expect(await withSession(as(ci), (s) => readLedger(s, 'k'))).toEqual({ ...row('k'), keepVersion: undefined, applied: [], snapshot: [], firstSnapshot: [], reverted: ['2'], status: 'done' });
    const warnings = log.lines.filter((l) => l.startsWith('warning: '));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('rollback_kit.rollbacks lacks the column(s) applied, snapshot');
    expect(warnings[0]).toContain(`it belongs to role ${migrator}, and this run connects as role ${ci}`);
    const statement = /run once: (ALTER TABLE [^;]+);/.exec(warnings[0]!)?.[1];
    expect(statement).toContain('ADD COLUMN IF NOT EXISTS applied');
    // Nothing added: the table is as the owner left it.
    expect((await db.query(`SELECT count(*)::int AS n FROM pg_attribute WHERE attrelid = 'rollback_kit.rollbacks'::regclass AND attname IN ('applied', 'snapshot')`)).rows[0]?.n).toBe(0);

    // Once the owner has run it, the columns are written.
    await db.query(`SET ROLE ${migrator}; ${statement}; RESET ROLE`);
    const after = memoryLog();
    await withSession(as(ci), (s) => writeLedger(s, row('k2'), { log: after }));
    expect(after.lines).toEqual([]);
    expect(await withSession(as(ci), (s) => readLedger(s, 'k2'))).toMatchObject({ applied: ['1', '2', '3'] });
  });

  it('reads a NULL applied or snapshot (an earlier version put the rows back after a restore) as empty', async () => {
    const { db, as, migrator } = await setting();
    await withSession(as(migrator), (s) => writeLedger(s, row('n')));
    // As the release before applied/snapshot puts its rows back after restoring a snapshot that brought this table:
    // only the columns it knows (and kept) filled, the rest NULL.
    const earlier = { incident_key: 'old', method: 'restore', keep_version: null, planned: [], reverted: [], status: 'done', started_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z', kept: [] };
    await db.query(`INSERT INTO rollback_kit.rollbacks SELECT * FROM jsonb_populate_recordset(NULL::rollback_kit.rollbacks, $1::jsonb)`, [JSON.stringify([earlier])]);
    expect(await withSession(as(migrator), (s) => readLedger(s, 'old'))).toMatchObject({ applied: [], snapshot: [], kept: [] });
  });

  it('a member of the owning role adds the column itself', async () => {
    const { db, as, migrator, ci, grantCi } = await setting();
    await oldLedger(db, migrator);
    await grantCi();
    await adminQuery(`GRANT ${migrator} TO ${ci}`);

    await withSession(as(ci), (s) => writeLedger(s, row('m')));
    expect(await withSession(as(ci), (s) => readLedger(s, 'm'))).toMatchObject({ kept: ['3'] });
  });
});

describe('a non-transactional down migration, run by a role that does not own rollback_kit.down_progress', () => {
  /** dbmate migrations t1…t2, the second one non-transactional, owned by the CI role (it reverts them). */
  async function migrations(db: TestDatabase, ci: string) {
    const ws = await workspace();
    const steps = tables(2);
    steps[1]!.noTransaction = true;
    const dir = await writeMigrations(ws, 'dbmate', steps);
    await applyMigrations(db, 'dbmate', dir, steps);
    await db.query(`ALTER TABLE t1 OWNER TO ${ci}; ALTER TABLE t2 OWNER TO ${ci}; ALTER TABLE schema_migrations OWNER TO ${ci}`);
    return ws;
  }
  const options = (target: RevertOptions['target'], root: string): RevertOptions => ({
    target,
    root,
    format: 'dbmate',
    choice: { steps: 1 },
    dryRun: false,
    requireSnapshot: false,
    lockTimeoutSeconds: 5,
    statementTimeoutSeconds: 30,
  });

  it('reverts it, recording its progress in the table the migration role made', async () => {
    const { db, as, migrator, ci, grantCi } = await setting();
    // As an earlier run by the migration role left it.
    await db.query(`SET ROLE ${migrator}; CREATE SCHEMA rollback_kit; CREATE TABLE rollback_kit.down_progress (
       tracking text NOT NULL, migration text NOT NULL, done text[] NOT NULL DEFAULT '{}',
       updated_at timestamptz NOT NULL DEFAULT now(), tracking_rows text, PRIMARY KEY (tracking, migration)); RESET ROLE`);
    await grantCi();
    const ws = await migrations(db, ci);

    const result = await revertMigrations(options(as(ci), ws), memoryLog());
    expect(result.reverted.map((r) => r.transactional)).toEqual([false]);
    expect(await existingTables(db)).toEqual(['t1']);
  });

  it('stops before its first statement when the table lacks tracking_rows, saying what the owner runs', async () => {
    const { db, as, migrator, ci, grantCi } = await setting();
    // As a version before tracking_rows made it.
    await db.query(`SET ROLE ${migrator}; CREATE SCHEMA rollback_kit; CREATE TABLE rollback_kit.down_progress (
       tracking text NOT NULL, migration text NOT NULL, done text[] NOT NULL DEFAULT '{}',
       updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (tracking, migration)); RESET ROLE`);
    await grantCi();
    const ws = await migrations(db, ci);

    const failed = await revertMigrations(options(as(ci), ws), memoryLog()).catch((err: Error) => err);
    expect(failed).toBeInstanceOf(Error);
    const message = (failed as Error).message;
    expect(message).toContain('rollback_kit.down_progress lacks the column tracking_rows');
    expect(message).toContain(`it belongs to role ${migrator}, and this run connects as role ${ci}`);
    expect(message).toContain(`Have ${migrator} (or a superuser) run once: ALTER TABLE rollback_kit.down_progress ADD COLUMN IF NOT EXISTS tracking_rows text;`);
    expect(await existingTables(db)).toEqual(['t1', 't2']);

    await db.query(`SET ROLE ${migrator}; ALTER TABLE rollback_kit.down_progress ADD COLUMN IF NOT EXISTS tracking_rows text; RESET ROLE`);
    await revertMigrations(options(as(ci), ws), memoryLog());
    expect(await existingTables(db)).toEqual(['t1']);
  });
});
