// restore-db stopped mid-restore (the runner cancelling the job sends SIGINT, then SIGTERM): the
// step must not just vanish with exit 143. It ends psql before its COMMIT (the server rolls the
// transaction back and frees its locks), removes its FIFO folder, and fails with one ::error:: that
// says the database is as it was, a summary and the pre-restore snapshot's output.
import { execFileSync } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { createTestDatabase, holdTableLock, waitForLockWaiter, type TestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Sessions of restore-db's psql still on the server (a backend may take a moment to exit after its client). */
async function restoreSessions(db: TestDatabase): Promise<string[]> {
  const query = async () =>
    (await db.query<{ state: string }>("SELECT coalesce(state, '') AS state FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'rollback-kit-restore-%'", [db.name])).rows.map((r) => r.state);
  for (let i = 0; i < 100; i++) {
    if (!(await query()).length) return [];
    await new Promise((r) => setTimeout(r, 50));
  }
  return query();
}

it('SIGTERM while the restore waits for a lock: rolled back, said so, nothing left behind', async () => {
  const db = await createTestDatabase('rk_restore_stopped');
  await db.query('CREATE TABLE public.t (id int PRIMARY KEY, note text); INSERT INTO public.t SELECT g, g::text FROM generate_series(1, 500) g');
  const snap = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': await tempDir('rk-stopped-') });
  expect(snap.errors).toEqual([]);
  await db.query('DELETE FROM public.t WHERE id > 400');
  // An idle transaction that has read t: the restore's DROP waits for it (its EXCLUSIVE lock and the
  // pre-restore dump do not).
  const blocker = await holdTableLock(db, 'public.t');
  const temp = await tempDir('rk-stopped-tmp-');
  try {
    const run = await runAction(
      'restore-db',
      { 'database-url': db.url, 'snapshot-path': snap.outputs.path, confirm: db.name, 'lock-timeout-seconds': '120' },
      {
        env: { TMPDIR: temp },
        whileRunning: async (child) => {
          await waitForLockWaiter({ database: db.name, applicationName: 'rollback-kit-restore-%' });
          child.kill('SIGTERM');
        },
      },
    );
    expect(run.code).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(
      /^restore-db was stopped by SIGTERM: Restore into 127\.0\.0\.1:5432\/rk_restore_stopped_[0-9a-f]+ was stopped before its transaction committed, so nothing of it was applied: the database is as it was before\. The state before is also kept in .+-pre-restore-\d{8}T\d{9}Z\.dump\. Run the step again when it can run to its end\.$/,
    );
    expect(run.log).toContain('Received SIGTERM: stopping');
    expect(run.summary).toContain('### restore-db: failed');
    expect(run.summary).toContain('Pre-restore snapshot (the database as it was before this step)');
    expect(run.outputs['pre-restore-snapshot-path']).toMatch(/-pre-restore-\d{8}T\d{9}Z\.dump$/);
    // Its FIFO folder is gone, and so are its programs and its session (psql cancelled the DROP's wait).
    expect((await readdir(temp)).filter((f) => f.startsWith('rk-restore-'))).toEqual([]);
    expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(snap.outputs.path!))).toEqual([]);
    expect(await restoreSessions(db)).toEqual([]);
  } finally {
    await blocker.release();
  }
  expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM public.t')).rows[0]!.n).toBe(400);
});
