// `rollback-kit rollback db --db-method restore` without --from keys every incident
// production:database. Run again after new damage (a row written since the restore), it found the
// finished restore's row, restored nothing and said "Nothing to roll back: production already runs
// the same deployments" with exit 0. It must say the database was NOT restored, why, and the way
// forward (with no component, --from is refused: the DELETE of the finished row), and exit 1; run
// again with nothing written since, it is the same incident and nothing to do, said of the database.
// The built command line, real PostgreSQL.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/pg.js';
import { runCli } from './run-cli.js';

const cwd = mkdtempSync(join(tmpdir(), 'rk-restore-again-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

it('a restore run again after new damage restores nothing and fails, naming the DELETE; with nothing written since, nothing to do', async () => {
  const db = await createTestDatabase('rk_cli_restore_again');
  await db.query('CREATE TABLE public.orders (id int PRIMARY KEY); INSERT INTO public.orders VALUES (1), (2)');
  const env = { DATABASE_URL: db.url };
  const snap = await runCli(['snapshot', '--json'], { cwd, env });
  expect(snap.code, snap.stderr).toBe(0);
  const path = JSON.parse(snap.stdout).path as string;
  const rollback = (reason: string) => runCli(['rollback', 'db', '--reason', reason, '--db-method', 'restore', '--snapshot-path', path, '--yes'], { cwd, env });
  const ids = async () => (await db.query<{ id: number }>('SELECT id FROM public.orders ORDER BY id')).rows.map((r) => r.id);

  await db.query('INSERT INTO public.orders VALUES (3)');
  const first = await rollback('bad data');
  expect(first.code, first.stdout + first.stderr).toBe(0);
  expect(await ids()).toEqual([1, 2]);

  // The same command, nothing written since: the same incident, said of the database, not of deployments.
  const same = await rollback('bad data');
  expect(same.code, same.stdout + same.stderr).toBe(0);
  expect(same.stdout).toContain('Nothing to roll back: production already has its database rolled back');
  expect(same.stdout).not.toContain('the same deployments');

  await db.query('INSERT INTO public.orders VALUES (4)');
  const again = await rollback('bad data again');
  const out = again.stdout + again.stderr;
  expect(again.code, out).toBe(1);
  expect(out).not.toContain('Nothing to roll back');
  expect(out).toContain('Rollback failed in plan');
  expect(out).toMatch(/The database was NOT restored: an earlier run for incident production:database finished restoring this same snapshot \(.+\), and the database has changed since \(public\.orders: 3 rows now, 2 in the snapshot\)/);
  expect(out).toContain("delete the earlier incident's row first (DELETE FROM rollback_kit.rollbacks WHERE incident_key = 'production:database'), then run again");
  // --from is refused without a component: the words never send people to it.
  expect(out).not.toMatch(/pass --from|only --from names one/);
  expect(await ids()).toEqual([1, 2, 4]);

  // The way forward, as given: the row deleted, the same command restores.
  await db.query("DELETE FROM rollback_kit.rollbacks WHERE incident_key = 'production:database'");
  const forward = await rollback('bad data again');
  expect(forward.code, forward.stdout + forward.stderr).toBe(0);
  expect(await ids()).toEqual([1, 2]);
});

it('an inheritance child in the snapshot: a re-run with nothing written since is nothing to do, not a change', async () => {
  const db = await createTestDatabase('rk_cli_restore_again_inh');
  await db.query('CREATE TABLE public.p (id int); CREATE TABLE public.c () INHERITS (public.p); INSERT INTO public.p VALUES (1), (2); INSERT INTO public.c VALUES (3)');
  const env = { DATABASE_URL: db.url };
  const snap = await runCli(['snapshot', '--json'], { cwd, env });
  expect(snap.code, snap.stderr).toBe(0);
  const path = JSON.parse(snap.stdout).path as string;
  const rollback = () => runCli(['rollback', 'db', '--reason', 'bad data', '--db-method', 'restore', '--snapshot-path', path, '--yes'], { cwd, env });
  await db.query('INSERT INTO public.p VALUES (9)');
  const first = await rollback();
  expect(first.code, first.stdout + first.stderr).toBe(0);
  // The parent's own 2 rows against its manifest count of 2, not 2 less its child's 1.
  const same = await rollback();
  expect(same.code, same.stdout + same.stderr).toBe(0);
  expect(same.stdout).toContain('Nothing to roll back: production already has its database rolled back');
});
