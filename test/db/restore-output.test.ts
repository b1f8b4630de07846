// Output past the 1 MB runProcess keeps of a program's: psql's during a restore is read for the
// lines its script has it print (its COMMIT's among them), and pg_restore's table of contents and
// the kept views' pg_dump are read whole as they come, so none of it is lost past that mark.
import { expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { restoreSnapshot } from '../../src/db/restore.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { createTestDatabase } from '../helpers/pg.js';
import { restoreRequest } from '../restore-db/request.js';
import { tempDir } from '../helpers/temp-dir.js';

it('a restore whose psql prints megabytes before its COMMIT is known to have committed', async () => {
  const db = await createTestDatabase('rk_restore_output');
  await db.query('CREATE TABLE public.t (id int PRIMARY KEY); INSERT INTO public.t SELECT generate_series(1, 50)');
  const snap = await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: await tempDir('rk-restore-output-') }), memoryLog());
  await db.query('DELETE FROM public.t WHERE id > 40');
  // A statement of the restore's transaction that prints 2 MB, as a script setting tens of thousands of sequences does.
  const request = await restoreRequest(db.url, snap.path, { preRestoreSnapshot: false, inTransaction: { first: ["SELECT repeat('x', 2000000) AS wide;"], last: [] } });
  // Before: the COMMIT's marker came after the first 1 MB of psql's output, which was all that was
  // kept, and the restore said it may or may not have committed.
  await restoreSnapshot(request, memoryLog());
  expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM public.t')).rows[0]!.n).toBe(50);
});

it("an archive whose table of contents lists more than 1 MB is restored whole: every entry after the first 1 MB of pg_restore --list too", async () => {
  const db = await createTestDatabase('rk_restore_long_list');
  const table = `t_${'x'.repeat(61)}`;
  await db.query(`CREATE TABLE public.${table} (id int PRIMARY KEY); INSERT INTO public.${table} SELECT generate_series(1, 10);
    CREATE FUNCTION public.noop() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
    DO $$ BEGIN FOR i IN 1..9000 LOOP
      EXECUTE format('CREATE TRIGGER %I BEFORE INSERT ON public.${table} FOR EACH ROW EXECUTE FUNCTION public.noop()', 'trg_' || lpad(i::text, 5, '0') || repeat('y', 54));
    END LOOP; END $$`);
  const snap = await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: await tempDir('rk-restore-long-list-') }), memoryLog());
  await db.query(`DELETE FROM public.${table} WHERE id > 5`);
  // Each trigger is a line of about 150 bytes in the list, after the table's data: 9,000 of them
  // come to 1.3 MB. Before, the list was read from what runProcess keeps of pg_restore's output (1 MB),
  // and the restore left out, without a word, every entry after it.
  await restoreSnapshot(await restoreRequest(db.url, snap.path, { preRestoreSnapshot: false }), memoryLog());
  const { rows } = await db.query<{ rows: number; triggers: number }>(`SELECT (SELECT count(*)::int FROM public.${table}) AS rows, (SELECT count(*)::int FROM pg_trigger WHERE NOT tgisinternal) AS triggers`);
  expect(rows[0]).toEqual({ rows: 10, triggers: 9000 });
}, 300_000);

it('a kept view whose definition runs past 1 MB is put back whole', async () => {
  const db = await createTestDatabase('rk_restore_wide_view');
  await db.query('CREATE TABLE public.t (id int PRIMARY KEY); INSERT INTO public.t SELECT generate_series(1, 10)');
  const snap = await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: await tempDir('rk-restore-wide-view-') }), memoryLog());
  // Created since the snapshot, on a table it restores: dropped for the restore, then put back from
  // a pg_dump of its definition, which is 1.2 MB. Before, that was read from what runProcess keeps
  // of pg_dump's output (1 MB): the view's line was cut off, and it was not put back.
  await db.query(`CREATE VIEW public.wide AS SELECT id, '${'w'.repeat(1_200_000)}'::text AS note FROM public.t`);
  await restoreSnapshot(await restoreRequest(db.url, snap.path, { preRestoreSnapshot: false }), memoryLog());
  const { rows } = await db.query<{ n: number; width: number }>('SELECT count(*)::int AS n, max(length(note)) AS width FROM public.wide');
  expect(rows[0]).toEqual({ n: 10, width: 1_200_000 });
});
