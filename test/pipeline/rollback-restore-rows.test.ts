// The whole rollback with database method restore says how many rows the restore discarded (those
// written since the snapshot, counted against the snapshot the restore takes first, which holds
// them), as `rollback-kit restore` does: in the record and in the database row everyone reads.
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { runRollback, type RollbackRequest } from '../../src/pipeline/rollback.js';
import { rollbackSummaryMarkdown } from '../../src/report/rollback-summary.js';
import { createTestDatabase } from '../helpers/pg.js';
import { tempDir } from '../helpers/temp-dir.js';

async function restoreAfterWrites(writes: string) {
  const db = await createTestDatabase('rk_rollback_rows');
  await db.query('CREATE TABLE public.orders (id int PRIMARY KEY); INSERT INTO public.orders SELECT generate_series(1, 10); CREATE TABLE public.payments (id int PRIMARY KEY)');
  const log = memoryLog();
  const target = parseConnectionString(db.url, log);
  const good = await takeSnapshot(wholeDatabaseSnapshot(target, { outputDir: await tempDir('rk-rollback-rows-'), label: 'before-deploy' }), log);
  if (writes) await db.query(writes);
  const temp = await tempDir('rk-rollback-rows-temp-');
  const request: RollbackRequest = {
    plan: { source: 'inputs', environment: 'production', budgetMinutes: 15, components: [], database: { method: 'restore', format: 'auto', snapshotPath: good.path, lockTimeoutSeconds: 30 }, labels: [] },
    scope: ['database'],
    reason: 'orders double-charged',
    severity: 'critical',
    dryRun: false,
    earlierTimeline: [],
    secrets: {},
    database: target,
    workspace: temp,
    snapshotDir: join(temp, 'snapshots'),
    github: { repository: 'acme/shop', apiUrl: 'http://127.0.0.1:9' },
    commandEnv: {},
  };
  const record = await runRollback(request, {}, log);
  const orders = Number((await db.query<{ n: string }>('SELECT count(*)::text AS n FROM public.orders')).rows[0]!.n);
  return { record, orders, summary: rollbackSummaryMarkdown(record, log), snapshotPath: good.path };
}

it('rows written since the snapshot: counted, named per table, and where they are kept', async () => {
  const { record, orders, summary, snapshotPath } = await restoreAfterWrites('INSERT INTO public.orders SELECT generate_series(11, 14); INSERT INTO public.payments VALUES (1)');
  expect(record.status).toBe('rolled-back');
  expect(orders).toBe(10);
  expect(record.database?.fewerRows).toEqual([
    { table: 'public.orders', before: 14, restored: 10 },
    { table: 'public.payments', before: 1, restored: 0 },
  ]);
  const row = record.timeline.find((e) => e.phase === 'database')!;
  expect(row.detail).toBe(`restored 2 table(s) from ${snapshotPath}; it discarded 5 row(s) (public.orders 4, public.payments 1) written since that snapshot, which the snapshot taken just before the restore holds`);
  expect(summary).toContain('it discarded 5 row(s) (public.orders 4, public.payments 1) written since that snapshot');
  // That snapshot is the record's, with the rows in it.
  expect(record.snapshot?.path).toMatch(/-pre-restore-\d{8}T\d{9}Z\.dump$/);
});

it('nothing written since: it says no rows were discarded', async () => {
  const { record } = await restoreAfterWrites('');
  expect(record.database?.fewerRows).toEqual([]);
  expect(record.timeline.find((e) => e.phase === 'database')!.detail).toMatch(/; it discarded no rows: no table holds fewer rows than before it$/);
});
