// `restore --dry-run` and `down --dry-run` print the plan, in the order it would run (each table with
// its rows now and from the snapshot; each migration's down file), and change nothing: the database
// is the same, catalogue and rows, before and after, and no snapshot folder is made.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { countTableRows } from '../../src/db/restore-rows.js';
import { connect } from '../../src/db/session.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { applyMigrations, tables, workspace, writeMigrations } from '../migrations/fixtures.js';
import { runMain } from './run-main.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Everything a dry run must leave as it was: each relation, column and index, and every user table's rows. */
async function state(db: TestDatabase): Promise<string> {
  const { rows: rels } = await db.query<{ r: string; q: string; kind: string }>(
    "SELECT format('%s.%s', n.nspname, c.relname) AS r, format('%I.%I', n.nspname, c.relname) AS q, c.relkind::text AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1",
  );
  const { rows: cols } = await db.query<{ c: string }>("SELECT string_agg(format('%s.%s.%s %s', table_schema, table_name, column_name, data_type), ',' ORDER BY 1) AS c FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', 'information_schema')");
  const out = [JSON.stringify(rels.map((r) => `${r.r} ${r.kind}`)), cols[0]!.c];
  for (const r of rels.filter((x) => x.kind === 'r')) out.push(`${r.r}: ${JSON.stringify((await db.query(`SELECT * FROM ${r.q} ORDER BY 1`)).rows)}`);
  return out.join('\n');
}

let db: TestDatabase | undefined;
afterEach(async () => {
  await db?.drop();
  db = undefined;
});

describe('restore --dry-run', () => {
  it('lists each table in order with its rows now and from the snapshot, and changes nothing', async () => {
    db = await createTestDatabase('rk_dry_plan_restore');
    await db.query('CREATE TABLE public.orders (id int PRIMARY KEY); INSERT INTO public.orders SELECT generate_series(1, 10); CREATE TABLE public.payments (id int PRIMARY KEY); INSERT INTO public.payments VALUES (1)');
    const cwd = await tempDir('rk-dry-plan-');
    const snapshot = (await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: join(cwd, 'good') }), memoryLog())).path;
    await db.query('INSERT INTO public.orders SELECT generate_series(11, 14); DROP TABLE public.payments; ALTER TABLE public.orders ADD COLUMN note text');
    const before = await state(db);

    const run = await runMain(['restore', '--snapshot-path', snapshot, '--dry-run'], { cwd, env: { DATABASE_URL: db.url } });
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    const start = lines.findIndex((l) => l.startsWith('Dry run: would restore'));
    expect(lines[start]).toBe(`Dry run: would restore ${snapshot} over ${lines[start]!.split(' over ')[1]!.split(', after')[0]}, after snapshotting its current state, 2 table(s) in this order:`);
    expect(lines.slice(start + 1, start + 5)).toEqual([
      '  1. public.orders: 14 now, 10 from the snapshot (4 discarded)',
      '  2. public.payments: not there now, created with 1 from the snapshot',
      'It would discard 4 row(s): rows written since the snapshot, net of those deleted since.',
      'Nothing was changed.',
    ]);

    const json = JSON.parse((await runMain(['restore', '--snapshot-path', snapshot, '--dry-run', '--json'], { cwd, env: { DATABASE_URL: db.url } })).stdout);
    expect(json).toMatchObject({ status: 'dry-run', discardedRows: 4, rows: [{ table: 'public.orders', now: 14, snapshot: 10, counted: 'yes' }, { table: 'public.payments', now: null, snapshot: 1, counted: 'missing' }] });

    expect(await state(db)).toBe(before);
    // No pre-restore snapshot was taken, nor its folder made.
    expect(readdirSync(cwd)).toEqual(['good']);
    expect(existsSync(join(cwd, 'rollback-kit-snapshots'))).toBe(false);
  });

  it('a count past its bound is said as not counted, not guessed', async () => {
    db = await createTestDatabase('rk_dry_plan_count');
    await db.query('CREATE TABLE public.orders (id int PRIMARY KEY); INSERT INTO public.orders SELECT generate_series(1, 3)');
    const session = await connect(parseConnectionString(db.url), {});
    try {
      const manifest = { tables: [{ schema: 'public', name: 'orders', rows: 3 }] } as Parameters<typeof countTableRows>[1];
      expect(await countTableRows(session, manifest, 300_000, { statementMs: 30_000, totalMs: 0 })).toEqual([{ table: 'public.orders', now: null, snapshot: 3, counted: 'timeout' }]);
      expect(await countTableRows(session, manifest, 300_000)).toEqual([{ table: 'public.orders', now: 3, snapshot: 3, counted: 'yes' }]);
      // A table a writer holds locked: the count's statement_timeout gives it up, and the next query runs.
      const holder = await connect(parseConnectionString(db.url), {});
      try {
        await holder.query('BEGIN; LOCK TABLE public.orders IN ACCESS EXCLUSIVE MODE');
        expect(await countTableRows(session, manifest, 300_000, { statementMs: 300, totalMs: 60_000 })).toEqual([{ table: 'public.orders', now: null, snapshot: 3, counted: 'timeout' }]);
      } finally {
        await holder.end();
      }
      // The session's own statement_timeout is put back.
      expect((await session.query<{ t: string }>("SELECT current_setting('statement_timeout') AS t")).rows[0]!.t).toBe('5min');
    } finally {
      await session.end();
    }
  });
});

describe('down --dry-run', () => {
  it('lists the migrations it would revert in the order they would run, and changes nothing', async () => {
    db = await createTestDatabase('rk_dry_plan_down');
    const ws = await workspace();
    const steps = tables(3);
    const dir = await writeMigrations(ws, 'dbmate', steps);
    await applyMigrations(db, 'dbmate', dir, steps);
    const before = await state(db);

    const run = await runMain(['down', '--steps', '2', '--format', 'dbmate', '--dry-run'], { cwd: ws, env: { DATABASE_URL: db.url } });
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    const start = lines.findIndex((l) => l.startsWith('Dry run: would revert'));
    expect(lines[start]).toMatch(/^Dry run: would revert 2 migration\(s\) on .*, in the order they would run:$/);
    expect(lines.slice(start + 1)).toEqual(['  1. 20240101000003_create_t3.sql: 1 statement(s), in a transaction', '  2. 20240101000002_create_t2.sql: 1 statement(s), in a transaction', 'Nothing was changed.']);
    expect(await state(db)).toBe(before);
  });
});
