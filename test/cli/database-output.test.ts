// `rollback-kit restore` says what it threw away (the rows written since the snapshot: each table's
// count against the pre-restore snapshot) and the exact command that undoes it, which, pasted, puts
// those rows back. Without a pre-restore snapshot it says neither is known.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/pg.js';
import { runMain } from './run-main.js';
import { shellWords } from './shell-words.js';

const cwd = mkdtempSync(join(tmpdir(), 'rk-database-output-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

async function shopWithASnapshot(snapshotFlags: string[] = []) {
  const db = await createTestDatabase('rk_cli_restore_rows');
  await db.query('CREATE TABLE public.orders (id int PRIMARY KEY); INSERT INTO public.orders SELECT generate_series(1, 10); CREATE TABLE public.notes (id int PRIMARY KEY)');
  const env = { DATABASE_URL: db.url };
  const snap = await runMain(['snapshot', '--label', 'before-deploy', ...snapshotFlags, '--json'], { cwd, env });
  expect(snap.code).toBe(0);
  // Written after the snapshot: 5 orders and 2 notes the restore throws away.
  await db.query('INSERT INTO public.orders SELECT generate_series(11, 15); INSERT INTO public.notes VALUES (1), (2)');
  const count = async (table: string) => Number((await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM public.${table}`)).rows[0]!.n);
  return { db, env, path: JSON.parse(snap.stdout).path as string, count };
}

it('says how many rows it discarded, and the command that undoes it, which puts them back', async () => {
  const { db, env, path, count } = await shopWithASnapshot();
  const run = await runMain(['restore', '--snapshot-path', path, '--confirm', db.name], { cwd, env });
  expect(run.code).toBe(0);
  expect(await count('orders')).toBe(10);
  expect(run.stdout).toContain('Discarded 7 row(s) (public.notes 2, public.orders 5): each table holds that many fewer rows than before the restore');
  const undo = /To undo the restore, restore that: (rollback-kit restore .*)$/m.exec(run.stdout)?.[1];
  expect(undo).toMatch(new RegExp(`^rollback-kit restore --snapshot-path \\S*${db.name}-pre-restore-\\d{8}T\\d{9}Z\\.dump --confirm ${db.name}$`));

  const json = await runMain(['restore', '--snapshot-path', path, '--confirm', db.name, '--json'], { cwd, env });
  // Restored again over what the first restore left: nothing more to discard.
  expect(JSON.parse(json.stdout)).toMatchObject({ status: 'restored', discardedRows: 0, undo: expect.stringMatching(/^rollback-kit restore --snapshot-path /) });

  // The first undo, pasted as it is: the 7 rows are back.
  const again = await runMain(shellWords(undo!).slice(1), { cwd, env });
  expect(again.code).toBe(0);
  expect(await count('orders')).toBe(15);
  expect(await count('notes')).toBe(2);
});

it('a URL given as a flag is not repeated in the undo command', async () => {
  const { db, path } = await shopWithASnapshot();
  const run = await runMain(['restore', '--snapshot-path', path, '--confirm', db.name, '--database-url', db.url, '--json'], { cwd, env: { DATABASE_URL: undefined } });
  const doc = JSON.parse(run.stdout);
  expect(doc.discardedRows).toBe(7);
  expect(doc.undo).toMatch(/ --database-url '<the same database URL>'$/);
  expect(run.stdout).not.toContain(db.url);
});

it('without a pre-restore snapshot: neither the count nor an undo', async () => {
  const { db, env, path } = await shopWithASnapshot();
  const run = await runMain(['restore', '--snapshot-path', path, '--confirm', db.name, '--no-pre-restore-snapshot'], { cwd, env });
  expect(run.code).toBe(0);
  expect(run.stdout).toContain('How many rows the restore discarded is not known, and it cannot be undone from here: --no-pre-restore-snapshot kept no snapshot of the state before it.');
  expect(run.stdout).not.toContain('To undo');
});

it('a table the snapshot holds no rows for: its rows are said gone too, beside the count', async () => {
  const { db, env, path } = await shopWithASnapshot(['--exclude-table-data', 'public.notes']);
  const run = await runMain(['restore', '--snapshot-path', path, '--confirm', db.name], { cwd, env });
  expect(run.code).toBe(0);
  expect(run.stdout).toContain('Discarded 5 row(s) (public.orders 5): each table holds that many fewer rows than before the restore (rows written since the snapshot, net of those deleted since). Every row of public.notes is gone too: the snapshot holds none for them.');
});
