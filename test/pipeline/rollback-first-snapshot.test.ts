// A whole rollback that fails partway and is run again: the re-run takes a snapshot of its own,
// after the earlier run's reverts, and its output named only that one as "taken before the
// rollback". The incident's first snapshot, the only one holding the database as it was before the
// rollback began, is recorded in the incident's ledger row when it is taken and named by every
// re-run, beside this run's and what each holds. Real PostgreSQL, dbmate migrations.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString, type ConnectionTarget } from '../../src/db/connection.js';
import { withSession } from '../../src/db/session.js';
import { readLedger } from '../../src/migrations/ledger.js';
import { firstSnapshotOf } from '../../src/pipeline/ledger.js';
import { runRollback, type RollbackDeps, type RollbackRequest } from '../../src/pipeline/rollback.js';
import { incidentBody } from '../../src/report/incident.js';
import { FIRST_SNAPSHOT_TITLE as FIRST } from '../../src/report/first-snapshot.js';
import { rollbackSummaryMarkdown } from '../../src/report/rollback-summary.js';
import { inlineText } from '../../src/report/markdown.js';
import { adminQuery, createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { applyMigrations, tables, writeMigrations } from '../migrations/fixtures.js';
import { databaseRollbackRequest } from './requests.js';
import { appliedVersions } from './world.js';

const V = (i: number) => `2024010100000${i}`;
const RUN_ID = '7171';
const RUN_URL = `https://github.com/acme/shop/actions/runs/${RUN_ID}`;

let db: TestDatabase;
let ws: string;
beforeEach(async () => {
  db = await createTestDatabase('rk_first_snapshot');
  ws = await mkdtemp(join(tmpdir(), 'rk-first-snapshot-'));
  await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', tables(3)), tables(3));
});
afterEach(async () => {
  await rm(ws, { recursive: true, force: true });
  await db.drop();
});

/** steps 3 with dbmate; `onGitHub`: the action's shape (a run, RUNNER_TEMP), else the CLI's. */
function request(opts: { onGitHub: boolean; database?: ConnectionTarget }): RollbackRequest {
  return databaseRollbackRequest(
    { method: 'down-migrations', migrationsDir: 'db/migrations', format: 'dbmate', choice: { steps: 3 }, lockTimeoutSeconds: 10 },
    {
      database: opts.database ?? parseConnectionString(db.url),
      workspace: ws,
      snapshotDir: opts.onGitHub ? join(ws, 'runner-temp', 'rollback-kit', 'snapshots') : join(ws, 'rollback-kit-snapshots'),
      runnerTemp: opts.onGitHub ? join(ws, 'runner-temp') : undefined,
      github: opts.onGitHub ? { repository: 'acme/shop', apiUrl: 'http://127.0.0.1:9', runId: RUN_ID, runUrl: RUN_URL } : { repository: '', apiUrl: 'http://127.0.0.1:9' },
    },
  );
}

/** The action's upload: the artifact is named after the snapshot file. */
const uploads = (): RollbackDeps => ({ keepSnapshot: async (s) => basename(s.path) });

/** Migration 2's down SQL fails: steps 3 reverts 3 and stops in 2. */
const breakTwo = () => writeMigrations(ws, 'dbmate', tables(3).map((s) => (s.version === V(2) ? { ...s, down: 'DROP TABLE no_such_table;' } : s)));
const fixTwo = () => writeMigrations(ws, 'dbmate', tables(3));

const summaryOf = (record: Awaited<ReturnType<typeof runRollback>>) => rollbackSummaryMarkdown(record, memoryLog());

describe('a re-run of a half-failed rollback', () => {
  it('in the CLI: the first snapshot is recorded, and the re-run names it as the state before the rollback, its own as after the earlier reverts', async () => {
    await breakTwo();
    const first = await runRollback(request({ onGitHub: false }), {}, memoryLog());
    expect(first.failedPhase).toBe('database');
    expect(await appliedVersions(db)).toEqual([V(1), V(2)]);
    const firstPath = first.snapshot!.path;
    const row = await withSession(parseConnectionString(db.url), (s) => readLedger(s, first.incidentKey));
    expect(firstSnapshotOf(row)).toEqual({ path: firstPath, sha256: first.snapshot!.sha256 });
    // The first run names no other snapshot.
    expect(first.firstSnapshot).toBeUndefined();

    await fixTwo();
    const again = await runRollback(request({ onGitHub: false }), {}, memoryLog());
    expect(again.status).toBe('rolled-back');
    expect(await appliedVersions(db)).toEqual([]);
    const mine = again.snapshot!.path;
    expect(mine).not.toBe(firstPath);
    expect(again.firstSnapshot).toEqual({ path: firstPath, sha256: first.snapshot!.sha256, revertedBefore: [V(3)] });
    const steps = again.nextSteps.join('\n');
    expect(steps).toContain(`${FIRST}: Path: ${firstPath}; Artifact: not uploaded; sha256: ${first.snapshot!.sha256}. It alone holds the database as it was before the rollback`);
    expect(steps).toContain(`This run's snapshot (${mine}) was taken after the earlier run reverted ${V(3)}: it holds the database as this run found it.`);
    expect(steps).not.toContain('Keep the snapshot taken before the rollback');
    const summary = summaryOf(again);
    expect(summary).toContain("### Snapshot taken before the rollback began (this incident's first run)");
    expect(summary).toContain(inlineText(firstPath));
    expect(incidentBody(again)).toContain("**Snapshot taken before the rollback began (this incident's first run)**");
    // The done row still names the first snapshot, not the re-run's.
    expect(firstSnapshotOf(await withSession(parseConnectionString(db.url), (s) => readLedger(s, first.incidentKey)))?.path).toBe(firstPath);
  });

  it('on GitHub: a re-run that fails again names the first artifact and how to restore it; the next one still does', async () => {
    await breakTwo();
    const first = await runRollback(request({ onGitHub: true }), uploads(), memoryLog());
    expect(first.failedPhase).toBe('database');
    const artifact = first.snapshot!.artifact!;
    expect(artifact).toBe(basename(first.snapshot!.path));

    // Re-run jobs: the same commit, the same broken SQL.
    const second = await runRollback(request({ onGitHub: true }), uploads(), memoryLog());
    expect(second.failedPhase).toBe('database');
    expect(second.snapshot!.artifact).not.toBe(artifact);
    const failed = second.nextSteps.join('\n');
    expect(failed).toContain(`${FIRST}: Path: ${first.snapshot!.path}; Artifact: ${artifact}; Workflow run: ${RUN_URL}; sha256: ${first.snapshot!.sha256}.`);
    expect(failed).toContain(`Download it with "gh run download ${RUN_ID} -n ${artifact}" (it holds ${artifact}).`);
    expect(failed).toContain(`To put the database back as it was before the rollback began, restore that one: a job (permissions: actions: read) with the steps "uses: actions/download-artifact@v4, with: { name: ${artifact}, run-id: ${RUN_ID}, github-token: \${{ github.token }} }"`);
    expect(failed).toContain(`This run's snapshot (artifact ${second.snapshot!.artifact}, ${second.snapshot!.path}) was taken after the earlier run reverted ${V(3)}`);

    await fixTwo();
    const third = await runRollback(request({ onGitHub: true }), uploads(), memoryLog());
    expect(third.status).toBe('rolled-back');
    expect(third.firstSnapshot?.artifact).toBe(artifact);
    expect(third.nextSteps.join('\n')).toContain(`Artifact: ${artifact}; Workflow run: ${RUN_URL}`);
  });

  it('on GitHub without an upload: the first snapshot is named with that it went with its job unless kept', async () => {
    await breakTwo();
    const first = await runRollback(request({ onGitHub: true }), {}, memoryLog());
    expect(first.snapshot?.deletedWithJob).toBe(true);
    // Re-run jobs with the SQL still broken: no restore step for a file gone with the first job.
    const failedAgain = (await runRollback(request({ onGitHub: true }), {}, memoryLog())).nextSteps.join('\n');
    expect(failedAgain).toContain('restore that one from wherever that job kept it (restore-db with its snapshot-path): its path above is gone with that job.');
    expect(failedAgain).not.toContain(`snapshot-path: ${first.snapshot!.path}`);
    expect(failedAgain).not.toContain(`--snapshot-path ${first.snapshot!.path}`);
    await fixTwo();
    const again = await runRollback(request({ onGitHub: true }), {}, memoryLog());
    expect(again.status).toBe('rolled-back');
    expect(again.nextSteps.join('\n')).toContain(`${FIRST}: Path: ${first.snapshot!.path}; Artifact: not uploaded: on the first job's runner only, gone with that job unless a step of it kept it; Workflow run: ${RUN_URL}; sha256: ${first.snapshot!.sha256}.`);
    // This run's own, also not uploaded, is told to be uploaded, as this run's.
    expect(again.nextSteps.join('\n')).toContain(`This run's snapshot (${again.snapshot!.path}) is on this runner only, in RUNNER_TEMP`);
  });
});

// A table an earlier version created, owned by a migration role: the CI role may not add
// first_snapshot, so its rows go without it, and a re-run says the first snapshot is not recorded
// rather than calling its own the one taken before the rollback.
describe('a ledger table without the first_snapshot column', () => {
  let migrator: string;
  let ci: string;
  beforeEach(async () => {
    const id = randomBytes(4).toString('hex');
    migrator = `rk_first_snapshot_migrator_${id}`;
    ci = `rk_first_snapshot_ci_${id}`;
    await adminQuery(`CREATE ROLE ${migrator} LOGIN; CREATE ROLE ${ci} LOGIN`);
    await adminQuery(`GRANT CREATE ON DATABASE "${db.name}" TO ${migrator}`);
    await db.query(`ALTER TABLE t1 OWNER TO ${ci}; ALTER TABLE t2 OWNER TO ${ci}; ALTER TABLE t3 OWNER TO ${ci}; ALTER TABLE schema_migrations OWNER TO ${ci}`);
    await db.query(`SET ROLE ${migrator}; CREATE SCHEMA rollback_kit; CREATE TABLE rollback_kit.rollbacks (
         incident_key text PRIMARY KEY, method text NOT NULL, keep_version text,
         planned text[] NOT NULL DEFAULT '{}', reverted text[] NOT NULL DEFAULT '{}', status text NOT NULL,
         started_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), kept text[] NOT NULL DEFAULT '{}',
         applied text[] DEFAULT '{}', snapshot text[] DEFAULT '{}');
       GRANT USAGE ON SCHEMA rollback_kit TO ${ci}; GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA rollback_kit TO ${ci}; RESET ROLE`);
  });
  afterEach(async () => {
    await db.drop();
    await adminQuery(`DROP ROLE IF EXISTS ${migrator}; DROP ROLE IF EXISTS ${ci}`);
  });

  it('the re-run runs to its end and says the first snapshot is not recorded; its own holds the state after the earlier reverts', async () => {
    const asCi = parseConnectionString(Object.assign(new URL(db.url), { username: ci }).toString());
    await breakTwo();
    const log = memoryLog();
    const first = await runRollback(request({ onGitHub: false, database: asCi }), {}, log);
    expect(first.failedPhase).toBe('database');
    expect(log.lines.some((l) => l.startsWith('warning: ') && l.includes('first_snapshot'))).toBe(true);
    expect(firstSnapshotOf(await withSession(asCi, (s) => readLedger(s, first.incidentKey)))).toBeUndefined();

    await fixTwo();
    const again = await runRollback(request({ onGitHub: false, database: asCi }), {}, memoryLog());
    expect(again.status).toBe('rolled-back');
    expect(await appliedVersions(db)).toEqual([]);
    expect(again.firstSnapshot).toEqual({ revertedBefore: [V(3)] });
    const steps = again.nextSteps.join('\n');
    expect(steps).toContain(`${FIRST}: Path: not recorded in rollback_kit.rollbacks`);
    expect(steps).toContain("Find it in that run's output and keep it until the incident is closed");
    expect(steps).toContain(`This run's snapshot (${again.snapshot!.path}) was taken after the earlier run reverted ${V(3)}`);
    expect(steps).not.toContain('Keep the snapshot taken before the rollback');
    expect(summaryOf(again)).toContain('not recorded in rollback_kit.rollbacks');
    // Nothing was added to the owner's table.
    expect((await db.query(`SELECT count(*)::int AS n FROM pg_attribute WHERE attrelid = 'rollback_kit.rollbacks'::regclass AND attname = 'first_snapshot'`)).rows[0]?.n).toBe(0);
  });
});
