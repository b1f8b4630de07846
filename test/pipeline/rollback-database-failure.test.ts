// "Rollback failed in database" (runRollback, as the root action and the CLI call it), on real
// PostgreSQL with dbmate migrations: the next step the job summary and the chat message share (the
// action's one error line points to them, it is too long for it) says what state the database is in, where the verified snapshot
// taken before the change is kept (on GitHub the uploaded artifact, since the file in RUNNER_TEMP
// goes with the job; in the CLI the local path), and what to do: run it again, which finishes the
// plan recorded for the incident, or restore that snapshot.
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { ROLLBACK_LOCK_KEY } from '../../src/pipeline/ledger.js';
import type { RollbackRecord } from '../../src/pipeline/record.js';
import { runRollback, type RollbackDeps, type RollbackRequest } from '../../src/pipeline/rollback.js';
import { inlineText } from '../../src/report/markdown.js';
import { chatMessage } from '../../src/report/notify.js';
import { ERROR_HINT_MAX, failedRunError, rollbackSummaryMarkdown } from '../../src/report/rollback-summary.js';
import { createTestDatabase, holdTableLock, waitForLockWaiter, type TestDatabase } from '../helpers/pg.js';
import { applyMigrations, tables, writeMigrations } from '../migrations/fixtures.js';
import { appliedVersions } from './world.js';
import { databaseRollbackRequest } from './requests.js';

const V = (i: number) => `2024010100000${i}`;
const RUN_ID = '4242';
const RUN_URL = `https://github.com/acme/shop/actions/runs/${RUN_ID}`;

let db: TestDatabase;
let ws: string;
beforeEach(async () => {
  db = await createTestDatabase('rk_rollback_db_failure');
  ws = await mkdtemp(join(tmpdir(), 'rk-rollback-db-failure-'));
  await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', tables(3)), tables(3));
});
afterEach(async () => {
  await rm(ws, { recursive: true, force: true });
});

/**
 * scope db, down migrations `steps`. `onGitHub`: the action's shape (RUNNER_TEMP, a run URL);
 * otherwise the CLI's (a local folder, no run).
 */
function request(opts: { steps: number; onGitHub: boolean; budgetMinutes?: number }): RollbackRequest {
  return databaseRollbackRequest(
    { method: 'down-migrations', migrationsDir: 'db/migrations', format: 'dbmate', choice: { steps: opts.steps }, lockTimeoutSeconds: 10 },
    {
      budgetMinutes: opts.budgetMinutes,
      reason: 'checkout returns 500 after the 14:02 deploy',
      database: parseConnectionString(db.url),
      workspace: ws,
      snapshotDir: opts.onGitHub ? join(ws, 'runner-temp', 'rollback-kit', 'snapshots') : join(ws, 'rollback-kit-snapshots'),
      runnerTemp: opts.onGitHub ? join(ws, 'runner-temp') : undefined,
      github: opts.onGitHub ? { repository: 'acme/shop', apiUrl: 'http://127.0.0.1:9', runId: RUN_ID, runUrl: RUN_URL } : { repository: '', apiUrl: 'http://127.0.0.1:9' },
    },
  );
}

/** The upload the action does: the artifact is named after the snapshot file. */
const uploads = (): RollbackDeps => ({ keepSnapshot: async (s) => basename(s.path) });

/** The action's error hint, chosen as src/actions/rollback.ts chooses it: the first step that does not repeat the failed row. */
function errorHint(record: RollbackRecord): string | undefined {
  const row = [...record.timeline].reverse().find((e) => e.phase === record.failedPhase && e.status === 'failed');
  return record.nextSteps.find((s) => !row || !s.includes(row.detail));
}

/** The step, as the summary, the chat message and the error each show it. */
function everywhere(record: RollbackRecord): { summary: string; chat: string; hint: string } {
  const log = memoryLog();
  return { summary: rollbackSummaryMarkdown(record, log), chat: chatMessage({ kind: 'end' }, record, log).text, hint: errorHint(record) ?? '' };
}

/** Migration 2's down SQL fails: a plan of steps 2 reverts 3 and stops in 2. */
async function breakTwo(): Promise<void> {
  await writeMigrations(ws, 'dbmate', tables(3).map((s) => (s.version === V(2) ? { ...s, down: 'DROP TABLE no_such_table;' } : s)));
}

describe('down migrations fail midway', () => {
  it('on GitHub: the state, the uploaded artifact and how to download it, and that a re-run finishes the plan, in the summary, the chat and the error; the re-run does', async () => {
    await breakTwo();
    const record = await runRollback(request({ steps: 2, onGitHub: true }), uploads(), memoryLog());
    expect(record.status).toBe('failed');
    expect(record.failedPhase).toBe('database');
    expect(await appliedVersions(db)).toEqual([V(1), V(2)]);
    const artifact = basename(record.snapshot!.path);
    expect(record.snapshot!.artifact).toBe(artifact);

    const step = errorHint(record)!;
    expect(step).toContain(`Where the database is now: of the plan (${V(3)}, ${V(2)}), ${V(3)} reverted, ${V(2)} still applied, as the tracking table shows.`);
    expect(step).toContain(`kept as artifact ${artifact} of this workflow run: download it with "gh run download ${RUN_ID} -n ${artifact}"`);
    expect(step).toContain(`re-run this job (Re-run jobs: a new workflow run is a new incident, and plans afresh): it finishes the plan recorded for this incident, reverting only what the tracking table shows left of it (${V(2)})`);
    expect(step).toContain(`restore-db@v1, with: { database-url: \${{ secrets.DATABASE_URL }}, snapshot-path: ${artifact}, confirm: <database name> }`);
    // The file in RUNNER_TEMP is gone when the engineer reads this: it is not offered as the way back.
    expect(step).not.toContain(record.snapshot!.path);
    // The action's one error line: the failed row, and a pointer to the summary rather than that whole step.
    const error = failedRunError(record);
    expect(step.length).toBeGreaterThan(ERROR_HINT_MAX);
    expect(error.message).toMatch(/^Rollback failed in database: /);
    expect(error.hint).not.toContain('Where the database is now');
    expect(error.hint).toContain('job summary');
    expect(`${error.message} ${error.hint}`.length).toBeLessThan(1000);

    const { summary, chat } = everywhere(record);
    for (const text of [summary, chat]) {
      expect(text).toContain('Where the database is now');
      expect(text).toContain(`re-run this job`);
    }
    expect(summary).toContain(inlineText(`gh run download ${RUN_ID} -n ${artifact}`));
    expect(chat).toContain(`gh run download ${RUN_ID} -n ${artifact}`);

    // What the step says a re-run does, it does: only what is left of the plan, not two more.
    await writeMigrations(ws, 'dbmate', tables(3));
    const again = await runRollback(request({ steps: 2, onGitHub: true }), uploads(), memoryLog());
    expect(again.status).toBe('rolled-back');
    expect(again.database?.reverted).toEqual([V(3), V(2)]);
    expect(await appliedVersions(db)).toEqual([V(1)]);
  });

  // Re-run jobs checks out the commit the run started from, so a fixed migration file reaches only
  // a new workflow run, which (the incident keyed by the run) is a new incident and plans afresh.
  it('on GitHub: a fix to the down SQL goes in a new run, with the end named absolutely; that run reverts only what is left', async () => {
    await breakTwo();
    const record = await runRollback(request({ steps: 2, onGitHub: true }), uploads(), memoryLog());
    expect(record.failedPhase).toBe('database');
    const step = errorHint(record)!;
    expect(step).toContain(`If the fix is to a migration's down SQL, push it first, then start a new run with to-version: ${V(1)}`);
    expect(step).toContain('Re-run jobs checks out the same commit, so it would run the old SQL again');
    // The runner's own error says it too, rather than "fix the down SQL and re-run".
    expect(record.database?.error).toContain('push the fix and start a new run: Re-run jobs checks out the same commit');

    // What the step says, done: the fixed file, a new run (another run id), to-version.
    await writeMigrations(ws, 'dbmate', tables(3));
    const next = { ...request({ steps: 2, onGitHub: true }), github: { repository: 'acme/shop', apiUrl: 'http://127.0.0.1:9', runId: '4243', runUrl: `${RUN_URL.replace(RUN_ID, '4243')}` } };
    next.plan = { ...next.plan, database: { ...next.plan.database!, choice: { toVersion: V(1) } } };
    const again = await runRollback(next, uploads(), memoryLog());
    expect(again.status).toBe('rolled-back');
    expect(again.database?.reverted).toEqual([V(2)]);
    expect(await appliedVersions(db)).toEqual([V(1)]);
  });

  it('in the CLI: the local path and the restore command, never an artifact', async () => {
    await breakTwo();
    const record = await runRollback(request({ steps: 2, onGitHub: false }), {}, memoryLog());
    expect(record.failedPhase).toBe('database');
    const path = record.snapshot!.path;
    const step = errorHint(record)!;
    expect(step).toContain(`The verified snapshot taken before this run changed it is ${path}.`);
    expect(step).toContain('run the same rollback again: it finishes the plan recorded for this incident');
    expect(step).toContain(`"rollback-kit restore --snapshot-path ${path}"`);
    expect(step).not.toMatch(/artifact|gh run download|RUNNER_TEMP/);
  });

  it('on GitHub without an upload: the path, and that it goes with the job unless uploaded', async () => {
    await breakTwo();
    const record = await runRollback(request({ steps: 2, onGitHub: true }), {}, memoryLog());
    expect(record.snapshot?.deletedWithJob).toBe(true);
    const path = record.snapshot!.path;
    expect(errorHint(record)).toContain(`${path}, on this runner only: it was not uploaded, and GitHub deletes it when this job ends`);
    expect(record.nextSteps.join('\n')).toContain('upload it (actions/upload-artifact with if: always())');
  });
});

describe('the database phase stops before its snapshot', () => {
  it('the whole-rollback lock not granted: nothing changed, no snapshot, re-run', async () => {
    const other = new pg.Client({ connectionString: db.url });
    await other.connect();
    try {
      await other.query('SELECT pg_advisory_lock($1::bigint)', [ROLLBACK_LOCK_KEY]);
      // budget-minutes 1: the wait is the snapshot and database phases' 32 s together.
      const record = await runRollback(request({ steps: 1, onGitHub: true, budgetMinutes: 1 }), uploads(), memoryLog());
      expect(record.failedPhase).toBe('database');
      expect(record.snapshot).toBeUndefined();
      const { hint, summary } = everywhere(record);
      expect(hint).toContain(`This run changed nothing in the database: of the plan (${V(3)}), none of it reverted, ${V(3)} still applied, as the tracking table shows. This run took no snapshot`);
      expect(hint).toContain('Do what the error says, then re-run this job');
      expect(summary).toContain('This run changed nothing in the database');
      expect(await appliedVersions(db)).toEqual([V(1), V(2), V(3)]);
    } finally {
      await other.end();
    }
  });
});

describe('stopped while waiting for the whole-rollback lock', () => {
  it('says once that nothing was changed, and takes no snapshot', async () => {
    const other = new pg.Client({ connectionString: db.url });
    await other.connect();
    try {
      await other.query('SELECT pg_advisory_lock($1::bigint)', [ROLLBACK_LOCK_KEY]);
      const log = memoryLog();
      const stop = new AbortController();
      const running = runRollback({ ...request({ steps: 1, onGitHub: true }), signal: stop.signal }, uploads(), log);
      while (!log.lines.some((l) => l.includes('for the whole-rollback lock'))) await new Promise((r) => setTimeout(r, 20));
      stop.abort(new Error('stopped by SIGTERM'));
      const record = await running;
      expect(record.failedPhase).toBe('database');
      expect(record.snapshot).toBeUndefined();
      expect(record.database?.error).toMatch(/^Stopped while waiting for the whole-rollback lock \(another rollback of this database is running\): nothing was changed\./);
      expect(record.database?.error).not.toContain('This run changed nothing');
      expect(await appliedVersions(db)).toEqual([V(1), V(2), V(3)]);
    } finally {
      await other.end();
    }
  });
});

describe('stopped while the snapshot is taken', () => {
  it('says the run was stopped, not that there is a snapshot error to fix', async () => {
    const blocker = await holdTableLock(db, 't1', 'ACCESS EXCLUSIVE');
    try {
      const stop = new AbortController();
      const running = runRollback({ ...request({ steps: 1, onGitHub: true }), signal: stop.signal }, uploads(), memoryLog());
      // The snapshot waits for t1's lock: stop it there.
      await waitForLockWaiter({ database: db.name }, { unless: running });
      stop.abort(new Error('stopped by SIGTERM'));
      const record = await running;
      expect(record.failedPhase).toBe('snapshot');
      expect(record.nextSteps).toContain('The run was stopped while the snapshot was taken, so no snapshot was kept and the database was not changed. Re-run with scope db when it can run to its end.');
      expect(record.nextSteps.join('\n')).not.toContain('Fix the snapshot error');
    } finally {
      await blocker.release();
    }
    expect(await appliedVersions(db)).toEqual([V(1), V(2), V(3)]);
  });
});

describe('the whole-rollback lock lost during the snapshot', () => {
  it('changes nothing and says another rollback could be under way', async () => {
    // The lock's session sat idle through the snapshot; here it is ended (as an idle timeout or a
    // pooler would) while the snapshot is kept, just before the database phase.
    const endLockSession: RollbackDeps = {
      keepSnapshot: async (snap) => {
        await db.query(
          // pg_locks is the whole server's: only this test's database, or a test beside it loses its lock.
          `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND ((classid::bigint << 32) | objid::bigint) = $1::bigint`,
          [ROLLBACK_LOCK_KEY],
        );
        return basename(snap.path);
      },
    };
    const record = await runRollback(request({ steps: 1, onGitHub: true }), endLockSession, memoryLog());
    expect(record.failedPhase).toBe('database');
    expect(record.database?.error).toMatch(/^The whole-rollback lock was lost before the database was changed .*: nothing was changed\./);
    expect(await appliedVersions(db)).toEqual([V(1), V(2), V(3)]);
  });
});

describe('method restore fails', () => {
  async function restoreRequest(): Promise<{ req: RollbackRequest; manifestPath: string }> {
    await db.query('CREATE TABLE public.orders (id int PRIMARY KEY); INSERT INTO public.orders SELECT generate_series(1, 100)');
    const good = await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: join(ws, 'good'), label: 'before-deploy' }), memoryLog());
    await db.query('INSERT INTO public.orders SELECT generate_series(101, 120)');
    const r = request({ steps: 1, onGitHub: true });
    return { req: { ...r, plan: { ...r.plan, database: { method: 'restore', format: 'auto', snapshotPath: good.path, lockTimeoutSeconds: 1 } } }, manifestPath: good.manifestPath };
  }
  const orders = async () => (await db.query('SELECT count(*)::int AS n FROM public.orders')).rows[0];

  it('after its snapshot (rolled back): not committed, the artifact of the pre-restore snapshot, re-run', async () => {
    const { req, manifestPath } = await restoreRequest();
    // The archive is untouched; the manifest's count is not: the restore's row check rolls it back.
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    manifest.tables.find((t: { name: string }) => t.name === 'orders').rows = 99;
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const record = await runRollback(req, uploads(), memoryLog());
    expect(record.failedPhase).toBe('database');
    expect(record.database?.error).toContain('was rolled back');
    const artifact = basename(record.snapshot!.path);
    const { hint, chat } = everywhere(record);
    expect(hint).toContain('The restore runs in one transaction and did not commit: the database is as it was before this run.');
    expect(hint).toContain(`The verified snapshot taken just before the restore is kept as artifact ${artifact} of this workflow run: download it with "gh run download ${RUN_ID} -n ${artifact}"`);
    expect(hint).toContain('Do what the error says, then re-run this job');
    expect(hint).not.toContain(record.snapshot!.path);
    expect(chat).toContain(`gh run download ${RUN_ID} -n ${artifact}`);
    expect(await orders()).toEqual({ n: 120 });
  });

  it('after its snapshot, a table lock not granted (rolled back): not committed, the artifact, re-run', async () => {
    const { req } = await restoreRequest();
    // Lets the restore's snapshot read the table, not the restore replace it.
    const held = await holdTableLock(db, 'public.orders', 'ACCESS SHARE');
    try {
      const record = await runRollback(req, uploads(), memoryLog());
      expect(record.database?.error).toContain('a lock was not granted');
      const artifact = basename(record.snapshot!.path);
      const hint = errorHint(record)!;
      expect(hint).toContain('The restore runs in one transaction and did not commit: the database is as it was before this run.');
      expect(hint).toContain(`gh run download ${RUN_ID} -n ${artifact}`);
      expect(hint).toContain('Do what the error says, then re-run this job: it runs the restore again; keep that snapshot until the incident is closed.');
    } finally {
      await held.release();
    }
    expect(await orders()).toEqual({ n: 120 });
  });

  it('before its snapshot (a table lock not granted): nothing changed, no snapshot, re-run', async () => {
    const { req } = await restoreRequest();
    // Blocks even the reads the restore's own snapshot needs: it gives up before taking it.
    const held = await holdTableLock(db, 'public.orders', 'ACCESS EXCLUSIVE');
    try {
      const log = memoryLog();
      const record = await runRollback(req, uploads(), log);
      // The plan's preview of the restore waited for the same lock, and let the run go on (an app
      // in scope too would be rolled back): a migration holding a table is no reason to keep the bad
      // app in production.
      expect(log.lines.join('\n')).toMatch(/warning: The restore could not be planned now, so what it discards is not listed here: .*a lock was not granted.* The rollback goes on; the database phase waits for the lock again/);
      expect(record.failedPhase).toBe('database');
      expect(record.database?.error).toContain('a lock was not granted');
      expect(record.snapshot).toBeUndefined();
      const hint = errorHint(record)!;
      expect(hint).toContain('The restore stopped before its snapshot was taken, so this run changed nothing in the database, and took no snapshot.');
      expect(hint).toContain('Do what the error says, then re-run this job: it runs the restore again.');
    } finally {
      await held.release();
    }
    expect(await orders()).toEqual({ n: 120 });
  });
});
