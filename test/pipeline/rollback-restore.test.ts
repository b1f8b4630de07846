// The whole rollback with database method restore (runRollback, as the root action and the CLI call
// it): its snapshot phase is the restore's own pre-restore snapshot, taken while the restore's
// transaction holds the tables, so no row committed between the snapshot and the restore is lost;
// and that snapshot is kept past the job (uploaded), or said to be deleted with it.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import type { RollbackRecord } from '../../src/pipeline/record.js';
import { runRollback, type RollbackDeps } from '../../src/pipeline/rollback.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { databaseRollbackRequest } from './requests.js';
import { tempDir } from '../helpers/temp-dir.js';

/** A row committed by another session, giving up after 300 ms of waiting for a lock: whether it committed. */
async function writeRow(db: TestDatabase, id: number): Promise<boolean> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    await c.query("SET lock_timeout = '300ms'");
    await c.query('INSERT INTO public.orders (id) VALUES ($1)', [id]);
    return true;
  } catch {
    return false;
  } finally {
    await c.end();
  }
}

function idsInSnapshot(path: string): number[] {
  const script = execFileSync('pg_restore', ['--data-only', '--table=orders', '--file=-', path], { encoding: 'utf8' });
  const lines = script.split('\n');
  const from = lines.findIndex((l) => l.startsWith('COPY public.orders '));
  return lines.slice(from + 1, lines.indexOf('\\.', from)).map(Number);
}

async function rollbackByRestore(opts: { runnerTemp: boolean; keepSnapshot?: RollbackDeps['keepSnapshot'] }) {
  const db = await createTestDatabase('rk_rollback_restore');
  await db.query('CREATE TABLE public.orders (id int PRIMARY KEY); INSERT INTO public.orders SELECT generate_series(1, 100)');
  const log = memoryLog();
  const target = parseConnectionString(db.url, log);
  const good = await takeSnapshot(wholeDatabaseSnapshot(target, { outputDir: await tempDir('rk-rollback-restore-'), label: 'before-deploy' }), log);
  await db.query('INSERT INTO public.orders SELECT generate_series(101, 120)');
  const runnerTemp = await tempDir('rk-rollback-restore-temp-');
  const request = databaseRollbackRequest(
    { method: 'restore', format: 'auto', snapshotPath: good.path, lockTimeoutSeconds: 30 },
    {
      reason: 'orders double-charged',
      database: target,
      workspace: runnerTemp,
      snapshotDir: join(runnerTemp, 'rollback-kit', 'snapshots'),
      runnerTemp: opts.runnerTemp ? runnerTemp : undefined,
      github: { repository: 'acme/shop', apiUrl: 'http://127.0.0.1:9' },
    },
  );
  // A row written the moment the snapshot phase ends: before the fix the restore's lock came later,
  // so the row committed, was in neither the snapshot nor the restored database, and was lost.
  const writes: Promise<boolean>[] = [];
  const progress = {
    started: () => undefined,
    finished: (entry: { phase: string }) => {
      if (entry.phase === 'snapshot') writes.push(writeRow(db, 5000));
    },
  };
  const record = await runRollback(request, { progress, keepSnapshot: opts.keepSnapshot }, log);
  return { db, record, written: await Promise.all(writes), log: log.lines.join('\n') };
}

function expectNothingLost(record: RollbackRecord, written: boolean[], restored: number[]): void {
  expect(record.status).toBe('rolled-back');
  expect(written).toHaveLength(1);
  const kept = idsInSnapshot(record.snapshot!.path);
  // Held off by the restore's lock: it committed after the restore (into the restored table), or gave up.
  if (written[0]) expect(kept.includes(5000) || restored.includes(5000), 'the row committed after the snapshot phase was lost').toBe(true);
  expect(kept).toHaveLength(120);
  expect(restored.filter((id) => id !== 5000)).toHaveLength(100);
  expect(record.timeline.map((e) => `${e.phase}=${e.status}`)).toEqual(expect.arrayContaining(['snapshot=ok', 'database=ok']));
  expect(record.timeline.find((e) => e.phase === 'snapshot')!.detail).toContain("taken in the restore's transaction with its tables locked against writes");
}

it('method restore: the snapshot is taken under the restore\'s locks and uploaded before the restore commits', async () => {
  const uploaded: string[] = [];
  const { db, record, written } = await rollbackByRestore({ runnerTemp: true, keepSnapshot: async (s) => (uploaded.push(s.path), 'before-rollback-artifact') });
  expectNothingLost(record, written, (await db.query<{ id: number }>('SELECT id FROM public.orders')).rows.map((r) => r.id));
  expect(uploaded).toEqual([record.snapshot!.path]);
  expect(record.snapshot).toMatchObject({ artifact: 'before-rollback-artifact' });
  expect(record.nextSteps).toContain(`Keep the snapshot taken before the rollback (artifact before-rollback-artifact, ${record.snapshot!.path}) until the incident is closed.`);
});

it('not uploaded and in RUNNER_TEMP: the next steps and the log say it is deleted with the job', async () => {
  const { db, record, written, log } = await rollbackByRestore({ runnerTemp: true });
  expectNothingLost(record, written, (await db.query<{ id: number }>('SELECT id FROM public.orders')).rows.map((r) => r.id));
  expect(record.snapshot?.deletedWithJob).toBe(true);
  expect(record.nextSteps.join('\n')).toContain(`The snapshot taken before the rollback (${record.snapshot!.path}) is on this runner only, in RUNNER_TEMP, which GitHub deletes when this job ends, and it was not uploaded`);
  expect(record.nextSteps.join('\n')).not.toContain('Keep the snapshot taken before the rollback');
  expect(log).toContain('warning: The snapshot taken before the rollback');
});
