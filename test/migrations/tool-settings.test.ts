// The tools' own settings decide where their tracking table is and which search_path their
// migrations run with: dbmate and golang-migrate follow the URL's search_path, Prisma its schema
// parameter, node-pg-migrate neither (its --migrations-schema/--migrations-table options instead).
// Applied with the real dbmate and node-pg-migrate, reverted by the action, checked by the tool.
import { randomUUID } from 'node:crypto';
import { dbmatePath } from '../../scripts/dbmate-path.mjs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runProcess } from '../../src/core/process.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { ROOT, runAction } from '../helpers/run-action.js';
import { workspace, writeMigrations, type Step } from './fixtures.js';

function withParams(db: TestDatabase, params: Record<string, string>): string {
  const u = new URL(db.url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}

async function dbmate(url: string, dir: string, ...args: string[]): Promise<string> {
  const r = await runProcess(dbmatePath(), ['--no-dump-schema', '--migrations-dir', dir, ...args], { env: { DATABASE_URL: url } });
  if (r.code !== 0) throw new Error(`dbmate ${args.join(' ')} failed: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

async function nodePgMigrate(url: string, dir: string, ...args: string[]): Promise<string> {
  const r = await runProcess(join(ROOT, 'node_modules/.bin/node-pg-migrate'), [...args, '-m', dir], { env: { DATABASE_URL: url } });
  if (r.code !== 0) throw new Error(`node-pg-migrate ${args.join(' ')} failed: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** schema.table of every t1…tN, wherever it is. */
async function tablesBySchema(db: TestDatabase): Promise<string[]> {
  const r = await db.query(`SELECT schemaname || '.' || tablename AS t FROM pg_tables WHERE tablename ~ '^t[0-9]+$' ORDER BY 1`);
  return r.rows.map((row) => row.t as string);
}

const down = (url: string, ws: string, inputs: Record<string, string>) => runAction('run-down-migrations', { 'database-url': url, 'require-snapshot': 'false', ...inputs }, { cwd: ws });

const steps = (prefix: string): Step[] =>
  [1, 2, 3].map((i) => ({ version: `${prefix}${i}`, name: `create_t${i}`, up: `CREATE TABLE t${i} (id int);`, down: `DROP TABLE t${i};` }));

describe('dbmate with search_path in the URL', () => {
  it('finds dbmate.schema_migrations, runs the down SQL under the same search_path, and dbmate status agrees', async () => {
    const db = await createTestDatabase('rk_sp_dbmate');
    await db.query('CREATE SCHEMA app');
    // A decoy where a plain connection would look first: it must stay untouched.
    await db.query('CREATE TABLE public.schema_migrations (version varchar PRIMARY KEY); CREATE TABLE public.t3 (id int)');
    const ws = await workspace();
    const dir = await writeMigrations(ws, 'dbmate', steps('2024010100000'));
    const url = withParams(db, { sslmode: 'disable', search_path: 'dbmate,app' });
    await dbmate(url, dir, 'up');
    expect(await tablesBySchema(db)).toEqual(['dbmate.t1', 'dbmate.t2', 'dbmate.t3', 'public.t3']);

    const run = await down(url, ws, { steps: '2' });
    expect(run.errors).toEqual([]);
    expect(JSON.parse(run.outputs.reverted!)).toEqual(['20240101000003', '20240101000002']);
    expect(run.log).toContain('Tracking table dbmate.schema_migrations, search_path dbmate,app.');
    expect(await tablesBySchema(db)).toEqual(['dbmate.t1', 'public.t3']);

    const status = await dbmate(url, dir, 'status');
    expect(status).toMatch(/\[X\] 20240101000001_create_t1\.sql/);
    expect(status).toMatch(/\[ \] 20240101000002_create_t2\.sql/);
    expect(status).toMatch(/Applied: 1/);
    await dbmate(url, dir, 'up');
    expect(await tablesBySchema(db)).toEqual(['dbmate.t1', 'dbmate.t2', 'dbmate.t3', 'public.t3']);
  });

  it('honours --migrations-table given as migrations-table (schema-qualified)', async () => {
    const db = await createTestDatabase('rk_sp_dbmate_tbl');
    const ws = await workspace();
    const dir = await writeMigrations(ws, 'dbmate', steps('2024010100000'));
    const url = withParams(db, { sslmode: 'disable', search_path: 'dbmate,app' });
    await dbmate(url, dir, '--migrations-table', 'app.mig_log', 'up');
    // dbmate created only the table's schema, so app is the first schema of the search_path that exists.
    expect(await tablesBySchema(db)).toEqual(['app.t1', 'app.t2', 'app.t3']);

    const wrong = await down(url, ws, { steps: '1' });
    expect(wrong.code).not.toBe(0);
    expect(wrong.errors[0]).toMatch(/tracking table dbmate\.schema_migrations does not exist.*migrations-table/);

    const run = await down(url, ws, { steps: '1', 'migrations-table': 'app.mig_log' });
    expect(run.errors).toEqual([]);
    expect(await tablesBySchema(db)).toEqual(['app.t1', 'app.t2']);
    expect(await dbmate(url, dir, '--migrations-table', 'app.mig_log', 'status')).toMatch(/\[ \] 20240101000003_create_t3\.sql/);
  });
});

describe('node-pg-migrate, which ignores a URL search_path', () => {
  it('reads --migrations-schema/--migrations-table from migrations-table and leaves the search_path alone; the tool re-applies', async () => {
    const db = await createTestDatabase('rk_sp_npm');
    await db.query('CREATE SCHEMA app; CREATE SCHEMA dbmate');
    const ws = await workspace();
    const dir = await writeMigrations(ws, 'node-pg-migrate', steps('170000000000'));
    const url = withParams(db, { search_path: 'dbmate,app' });
    const options = ['--migrations-schema', 'app', '--migrations-table', 'npm_log'];
    await nodePgMigrate(url, dir, 'up', ...options);
    // The tool ran its SQL in public although the URL names other schemas.
    expect(await tablesBySchema(db)).toEqual(['public.t1', 'public.t2', 'public.t3']);

    const run = await down(url, ws, { steps: '2', 'migrations-table': 'app.npm_log' });
    expect(run.errors).toEqual([]);
    expect(await tablesBySchema(db)).toEqual(['public.t1']);
    expect((await db.query('SELECT name FROM app.npm_log ORDER BY run_on, id')).rows.map((r) => r.name)).toEqual(['1700000000001_create_t1']);

    const dry = await nodePgMigrate(url, dir, 'up', '--dry-run', ...options);
    expect(dry).toContain('1700000000002_create_t2');
    expect(dry).not.toContain('1700000000001_create_t1');
    await nodePgMigrate(url, dir, 'up', ...options);
    expect(await tablesBySchema(db)).toEqual(['public.t1', 'public.t2', 'public.t3']);
  });

  it('refuses a migrations-table that is not table or schema.table', async () => {
    const db = await createTestDatabase('rk_sp_npm_bad');
    const ws = await workspace();
    await writeMigrations(ws, 'node-pg-migrate', steps('170000000000'));
    const run = await down(db.url, ws, { steps: '1', 'migrations-table': 'a.b.c' });
    expect(run.code).not.toBe(0);
    expect(run.errors[0]).toMatch(/migrations-table "a\.b\.c" is not a table name/);
  });
});

describe('golang-migrate and Prisma settings in the URL', () => {
  it('golang-migrate: search_path picks the current schema, x-migrations-table-quoted names "schema"."table"', async () => {
    const db = await createTestDatabase('rk_sp_golang');
    await db.query('CREATE SCHEMA app; CREATE SCHEMA mig');
    const ws = await workspace();
    await writeMigrations(ws, 'golang-migrate', steps(''));
    // As the tool leaves it after `up` with this URL: migrations ran in app, the version row in mig.versions.
    await db.query('CREATE TABLE app.t1 (id int); CREATE TABLE app.t2 (id int)');
    await db.query('CREATE TABLE mig.versions (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL); INSERT INTO mig.versions VALUES (2, false)');
    const url = withParams(db, { search_path: 'app', 'x-migrations-table': '"mig"."versions"', 'x-migrations-table-quoted': 'true' });

    const run = await down(url, ws, { steps: '1', 'migrations-dir': 'migrations', format: 'golang-migrate' });
    expect(run.errors).toEqual([]);
    expect(await tablesBySchema(db)).toEqual(['app.t1']);
    expect((await db.query('SELECT version::text, dirty FROM mig.versions')).rows).toEqual([{ version: '1', dirty: false }]);

    const unquoted = await down(withParams(db, { 'x-migrations-table': 'mig.versions', 'x-migrations-table-quoted': 'true' }), ws, { steps: '1', format: 'golang-migrate' });
    expect(unquoted.code).not.toBe(0);
    expect(unquoted.errors[0]).toMatch(/with x-migrations-table-quoted it must read "schema"\."table"/);
  });

  it('prisma: ?schema= is where _prisma_migrations is and the search_path the down SQL runs with', async () => {
    const db = await createTestDatabase('rk_sp_prisma');
    await db.query('CREATE SCHEMA shop; CREATE TABLE shop.t1 (id int); CREATE TABLE shop.t2 (id int); CREATE TABLE public.t2 (id int)');
    await db.query(`CREATE TABLE shop._prisma_migrations (
      id varchar(36) PRIMARY KEY, checksum varchar(64) NOT NULL, finished_at timestamptz, migration_name varchar(255) NOT NULL,
      logs text, rolled_back_at timestamptz, started_at timestamptz NOT NULL DEFAULT now(), applied_steps_count integer NOT NULL DEFAULT 0)`);
    for (const name of ['20240101000001_create_t1', '20240101000002_create_t2']) {
      await db.query(`INSERT INTO shop._prisma_migrations (id, checksum, finished_at, migration_name, applied_steps_count) VALUES ($1, 'x', now(), $2, 1)`, [randomUUID(), name]);
    }
    const ws = await workspace();
    await writeMigrations(ws, 'prisma', steps('2024010100000').slice(0, 2));

    const run = await down(withParams(db, { schema: 'shop' }), ws, { steps: '1' });
    expect(run.errors).toEqual([]);
    expect(await tablesBySchema(db)).toEqual(['public.t2', 'shop.t1']);
    const rolledBack = await db.query('SELECT migration_name FROM shop._prisma_migrations WHERE rolled_back_at IS NOT NULL');
    expect(rolledBack.rows).toEqual([{ migration_name: '20240101000002_create_t2' }]);

    const table = await down(withParams(db, { schema: 'shop' }), ws, { steps: '1', 'migrations-table': 'other' });
    expect(table.errors[0]).toMatch(/prisma has no option for its tracking table: it always uses shop\._prisma_migrations/);
  });
});
