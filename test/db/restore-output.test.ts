// What psql prints during a restore is read for the lines its script has it print, never kept
// whole: a restore whose statements print more than the output runProcess keeps (1 MB) still
// knows that its COMMIT went through.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { restoreSnapshot } from '../../src/db/restore.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { createTestDatabase } from '../helpers/pg.js';
import { restoreRequest } from '../restore-db/request.js';

it('a restore whose psql prints megabytes before its COMMIT is known to have committed', async () => {
  const db = await createTestDatabase('rk_restore_output');
  await db.query('CREATE TABLE public.t (id int PRIMARY KEY); INSERT INTO public.t SELECT generate_series(1, 50)');
  const snap = await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: await mkdtemp(join(tmpdir(), 'rk-restore-output-')) }), memoryLog());
  await db.query('DELETE FROM public.t WHERE id > 40');
  // A statement of the restore's transaction that prints 2 MB, as a script setting tens of thousands of sequences does.
  const request = await restoreRequest(db.url, snap.path, { preRestoreSnapshot: false, inTransaction: { first: ["SELECT repeat('x', 2000000) AS wide;"], last: [] } });
  // Before: the COMMIT's marker came after the first 1 MB of psql's output, which was all that was
  // kept, and the restore said it may or may not have committed.
  await restoreSnapshot(request, memoryLog());
  expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM public.t')).rows[0]!.n).toBe(50);
});
