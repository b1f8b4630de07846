// The whole rollback with database method restore says what the restore throws away on the tables
// it replaces (columns, indexes, … added since the snapshot: restore-discarded.ts), as restore-db
// does: in its dry run's plan row and summary (with the rows it would throw away, counted now), and
// in the summary of the restore itself.
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { runRollback, type RollbackRequest } from '../../src/pipeline/rollback.js';
import { rollbackSummaryMarkdown } from '../../src/report/rollback-summary.js';
import { createTestDatabase } from '../helpers/pg.js';
import { tempDir } from '../helpers/temp-dir.js';

/** orders as the snapshot has it, then a column with 3 values and an index added since. */
async function restoreAfterAChange(dryRun: boolean) {
  const db = await createTestDatabase('rk_rollback_discarded');
  await db.query('CREATE TABLE public.orders (id int PRIMARY KEY); INSERT INTO public.orders SELECT generate_series(1, 10)');
  const log = memoryLog();
  const target = parseConnectionString(db.url, log);
  const good = await takeSnapshot(wholeDatabaseSnapshot(target, { outputDir: await tempDir('rk-rollback-discarded-'), label: 'before-deploy' }), log);
  await db.query("ALTER TABLE public.orders ADD COLUMN note text; UPDATE public.orders SET note = 'x' WHERE id <= 3; CREATE INDEX orders_note_idx ON public.orders (note)");
  // Orders taken since the snapshot: the restore throws them away.
  await db.query('INSERT INTO public.orders (id) SELECT generate_series(11, 15)');
  const temp = await tempDir('rk-rollback-discarded-temp-');
  const request: RollbackRequest = {
    plan: { source: 'inputs', environment: 'production', budgetMinutes: 15, components: [], database: { method: 'restore', format: 'auto', snapshotPath: good.path, lockTimeoutSeconds: 30 }, labels: [] },
    scope: ['database'],
    reason: 'orders double-charged',
    severity: 'critical',
    dryRun,
    earlierTimeline: [],
    secrets: {},
    database: target,
    workspace: temp,
    snapshotDir: join(temp, 'snapshots'),
    github: { repository: 'acme/shop', apiUrl: 'http://127.0.0.1:9' },
    commandEnv: {},
  };
  const record = await runRollback(request, {}, log);
  const columns = (await db.query<{ n: string }>("SELECT count(*)::text AS n FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'note'")).rows[0]!.n;
  return { record, summary: rollbackSummaryMarkdown(record, log), noteColumnLeft: columns === '1' };
}

const DISCARDED = [
  {
    table: 'public.orders',
    columns: [{ name: 'note', type: 'text', nonNull: 3 }],
    objects: [{ kind: 'index', name: 'orders_note_idx', definition: 'CREATE INDEX orders_note_idx ON public.orders USING btree (note);' }],
  },
];

it('dry run: the plan row and the summary list what the restore would discard, and nothing is changed', async () => {
  const { record, summary, noteColumnLeft } = await restoreAfterAChange(true);
  expect(record.status).toBe('dry-run');
  expect(noteColumnLeft).toBe(true);
  expect(record.database?.discarded).toEqual(DISCARDED);
  expect(record.timeline.find((e) => e.phase === 'plan')!.detail).toContain(
    'database: restore the snapshot, discarding 5 row(s) (public.orders 5) written since it was taken (net of those deleted since); and 1 column and 1 index(es), constraint(s), trigger(s), policies or rules added to its tables since it was taken',
  );
  // The rows it would throw away, counted now against the snapshot, as restore --dry-run counts them.
  expect(record.database?.rows).toEqual([{ table: 'public.orders', now: 15, snapshot: 10, counted: 'yes' }]);
  expect(summary).toContain('#### Rows the restore would discard');
  expect(summary).toContain('It would discard 5 row(s) (public.orders 5): rows written since the snapshot, net of those deleted since.');
  expect(summary).toContain('- public.orders: 15 now, 10 from the snapshot (5 discarded)');
  expect(summary).toContain('#### Columns and objects the restore would discard (added to snapshot tables since the snapshot)');
  expect(summary).toContain('- `public.orders`: column `note (text, 3 non-null value(s))`');
  expect(summary).toContain('- `public.orders`: index `orders_note_idx`: `CREATE INDEX orders_note_idx ON public.orders USING btree (note);`');
});

it('the restore: the summary lists what it discarded, and where their values are kept', async () => {
  const { record, summary, noteColumnLeft } = await restoreAfterAChange(false);
  // Counted only in a dry run: a real run's restore says what it discarded, after the fact.
  expect(record.database?.rows).toBeUndefined();
  expect(record.status).toBe('rolled-back');
  expect(noteColumnLeft).toBe(false);
  expect(record.database?.discarded).toEqual(DISCARDED);
  expect(summary).toContain('#### Columns and objects the restore discarded (added to snapshot tables since the snapshot)');
  expect(summary).toContain('- `public.orders`: column `note (text, 3 non-null value(s))`');
  expect(summary).toContain('- `public.orders`: index `orders_note_idx`: `CREATE INDEX orders_note_idx ON public.orders USING btree (note);`');
  expect(summary).toContain(`Their values and definitions are in the snapshot taken before the database changed (\`${record.snapshot!.path}\`).`);
});
