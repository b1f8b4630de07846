// The CI role that runs the whole rollback often does not own rollback_kit.rollbacks: a migration
// role made it, as the release that added `kept` left it. This version writes `applied` and
// `snapshot` too, which only the owner may add. Refusing them failed the rollback at its first
// ledger write, after the app was rolled back: a half-done rollback in the middle of an incident.
// It now writes without them, warned once with the statement the owner runs. Real roles, real
// PostgreSQL (dbmate migrations).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { withSession } from '../../src/db/session.js';
import { ledgerDoneWithRestore, readLedger } from '../../src/migrations/ledger.js';
import { runRollback, type RollbackRequest } from '../../src/pipeline/rollback.js';
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
  db = await createTestDatabase('rk_ledger_not_owned');
  ws = await mkdtemp(join(tmpdir(), 'rk-ledger-not-owned-'));
  const id = randomBytes(4).toString('hex');
  migrator = `rk_migrator_${id}`;
  ci = `rk_ci_${id}`;
  await adminQuery(`CREATE ROLE ${migrator} LOGIN; CREATE ROLE ${ci} LOGIN`);
  await adminQuery(`GRANT CREATE ON DATABASE "${db.name}" TO ${migrator}`);
  await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', tables(3)), tables(3));
  // The CI role owns what it reverts; the ledger is the migration role's, as the release with `kept` made it.
  await db.query(`ALTER TABLE t1 OWNER TO ${ci}; ALTER TABLE t2 OWNER TO ${ci}; ALTER TABLE t3 OWNER TO ${ci}; ALTER TABLE schema_migrations OWNER TO ${ci}`);
  await db.query(`SET ROLE ${migrator}; CREATE SCHEMA rollback_kit; CREATE TABLE rollback_kit.rollbacks (
       incident_key text PRIMARY KEY, method text NOT NULL, keep_version text,
       planned text[] NOT NULL DEFAULT '{}', reverted text[] NOT NULL DEFAULT '{}', status text NOT NULL,
       started_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), kept text[] NOT NULL DEFAULT '{}');
     GRANT USAGE ON SCHEMA rollback_kit TO ${ci}; GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA rollback_kit TO ${ci}; RESET ROLE`);
});
afterEach(async () => {
  await rm(ws, { recursive: true, force: true });
  await db.drop();
  await adminQuery(`DROP ROLE IF EXISTS ${migrator}; DROP ROLE IF EXISTS ${ci}`);
});

const asCi = () => parseConnectionString(Object.assign(new URL(db.url), { username: ci }).toString());

function request(): RollbackRequest {
  return databaseRollbackRequest(
    { method: 'down-migrations', migrationsDir: 'db/migrations', format: 'dbmate', choice: { steps: 1 }, lockTimeoutSeconds: 10 },
    {
      database: asCi(),
      workspace: ws,
      snapshotDir: join(ws, 'runner-temp', 'snapshots'),
      runnerTemp: join(ws, 'runner-temp'),
      github: { repository: 'acme/shop', apiUrl: 'http://127.0.0.1:9', runId: '5151', runUrl: 'https://github.com/acme/shop/actions/runs/5151' },
    },
  );
}

it('a whole rollback by down migrations runs to its end, its row written without applied and snapshot, warned once', async () => {
  const log = memoryLog();
  const result = await runRollback(request(), {}, log);
  expect(result.status).toBe('rolled-back');
  expect(await appliedVersions(db)).toEqual([V(1), V(2)]);
  expect(await withSession(asCi(), (s) => readLedger(s, 'production:run-5151'))).toMatchObject({ status: 'done', planned: [V(3)], applied: [], snapshot: [] });

  const warnings = log.lines.filter((l) => l.startsWith('warning: ') && l.includes('lacks the column(s) applied, snapshot'));
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toContain(`Have ${migrator} (or a superuser) run once: ALTER TABLE rollback_kit.rollbacks ADD COLUMN IF NOT EXISTS kept`);
  // Nothing was added to the owner's table.
  expect((await db.query(`SELECT count(*)::int AS n FROM pg_attribute WHERE attrelid = 'rollback_kit.rollbacks'::regclass AND attname IN ('applied', 'snapshot')`)).rows[0]?.n).toBe(0);

  // A re-run for the incident finds it done.
  const rerun = await runRollback(request(), {}, memoryLog());
  expect(rerun.status).toBe('nothing-to-do');
  expect(await appliedVersions(db)).toEqual([V(1), V(2)]);
});

it("a restore's 'done' row, written in its transaction, goes in without them too", async () => {
  const done = ledgerDoneWithRestore({ incidentKey: 'production:run-6', method: 'restore', planned: [], snapshot: ['abc'], reverted: [], status: 'done' });
  const notices: string[] = [];
  await withSession(asCi(), async (s) => {
    s.on('notice', (n) => notices.push(n.message ?? ''));
    await s.query(['BEGIN', ...done.last, 'COMMIT'].join(';\n'));
  });
  // Nothing on psql's output, which the restore reads for its errors: the run's 'started' write warned already.
  expect(notices).toEqual([]);
  expect(await withSession(asCi(), (s) => readLedger(s, 'production:run-6'))).toMatchObject({ status: 'done', snapshot: [] });
});
