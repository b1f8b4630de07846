/**
 * Migration folders in each tool's layout, applied the way the tool applies them: dbmate and
 * node-pg-migrate by the real tools; golang-migrate, Supabase, Prisma and plain by writing their
 * tracking tables exactly as those tools do (their CLIs are not on npm).
 */
import { randomUUID } from 'node:crypto';
import { dbmatePath } from '../../scripts/dbmate-path.mjs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runProcess } from '../../src/core/process.js';
import type { FormatName } from '../../src/migrations/types.js';
import type { TestDatabase } from '../helpers/pg.js';
import { ROOT } from '../helpers/run-action.js';
import { tempDir } from '../helpers/temp-dir.js';

export interface Step {
  version: string;
  name: string;
  up: string;
  /** undefined = no down SQL at all. */
  down?: string;
  /** dbmate: mark both sections transaction:false. */
  noTransaction?: boolean;
}

export const DIRS: Record<FormatName, string> = {
  dbmate: 'db/migrations',
  'golang-migrate': 'migrations',
  'node-pg-migrate': 'migrations',
  supabase: 'supabase/migrations',
  prisma: 'prisma/migrations',
  plain: 'migrations',
};

/** Five migrations: tables t1…t5, each down drops its table. Versions fit every tool's naming. */
export function tables(n: number, versionOf: (i: number) => string = (i) => `2024010100000${i}`): Step[] {
  return Array.from({ length: n }, (_, k) => {
    const i = k + 1;
    return { version: versionOf(i), name: `create_t${i}`, up: `CREATE TABLE t${i} (id int PRIMARY KEY);\nINSERT INTO t${i} VALUES (${i});`, down: `DROP TABLE t${i};` };
  });
}

/** 001…005: tables p1…p5 with a row each; 003's down fails until it is fixed. */
export function five(): Step[] {
  return Array.from({ length: 5 }, (_, k) => {
    const i = k + 1;
    return { version: `00${i}`, name: `create_p${i}`, up: `CREATE TABLE p${i} (id int);\nINSERT INTO p${i} VALUES (${i});`, down: i === 3 ? 'DROP TABLE p3;\nSELECT 1/0;' : `DROP TABLE p${i};` };
  });
}

/** Which of p1…p5 exist. */
export async function pTables(db: TestDatabase): Promise<string[]> {
  const r = await db.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename ~ '^p[0-9]+$' ORDER BY tablename`);
  return r.rows.map((row) => row.tablename as string);
}

export const VERSION_STYLE: Record<FormatName, (i: number) => string> = {
  dbmate: (i) => `2024010100000${i}`,
  'golang-migrate': (i) => String(i),
  'node-pg-migrate': (i) => `170000000000${i}`,
  supabase: (i) => `2024010100000${i}`,
  prisma: (i) => `2024010100000${i}`,
  plain: (i) => `2024010100000${i}`,
};

export async function workspace(): Promise<string> {
  return tempDir('rk-down-ws-');
}

/** Writes the steps in `format`'s layout under `ws`; returns the migrations folder. */
export async function writeMigrations(ws: string, format: FormatName, steps: Step[]): Promise<string> {
  const dir = join(ws, DIRS[format]);
  await mkdir(dir, { recursive: true });
  for (const s of steps) {
    const base = `${s.version}_${s.name}`;
    switch (format) {
      case 'dbmate':
        await writeFile(join(dir, `${base}.sql`), `-- migrate:up${s.noTransaction ? ' transaction:false' : ''}\n${s.up}\n\n${s.down === undefined ? '' : `-- migrate:down${s.noTransaction ? ' transaction:false' : ''}\n${s.down}\n`}`);
        break;
      case 'node-pg-migrate':
        await writeFile(join(dir, `${base}.sql`), `-- Up Migration\n${s.up}\n${s.down === undefined ? '' : `-- Down Migration\n${s.down}\n`}`);
        break;
      case 'golang-migrate':
        await writeFile(join(dir, `${base}.up.sql`), `${s.up}\n`);
        if (s.down !== undefined) await writeFile(join(dir, `${base}.down.sql`), `${s.down}\n`);
        break;
      case 'supabase':
        await writeFile(join(dir, `${base}.sql`), `${s.up}\n`);
        if (s.down !== undefined) await writeFile(join(dir, `${base}.down.sql`), `${s.down}\n`);
        break;
      case 'prisma':
        await mkdir(join(dir, base), { recursive: true });
        await writeFile(join(dir, base, 'migration.sql'), `${s.up}\n`);
        if (s.down !== undefined) await writeFile(join(dir, base, 'down.sql'), `${s.down}\n`);
        break;
      case 'plain':
        await writeFile(join(dir, `${base}.sql`), `${s.up}\n`);
        if (s.down !== undefined) await writeFile(join(dir, `${base}.down.sql`), `${s.down}\n`);
        break;
    }
  }
  return dir;
}

const bin = (name: string) => join(ROOT, 'node_modules/.bin', name);

export async function dbmate(db: TestDatabase, dir: string, ...args: string[]) {
  const url = `${db.url}${db.url.includes('?') ? '&' : '?'}sslmode=disable`;
  const r = await runProcess(dbmatePath(), ['--no-dump-schema', '--migrations-dir', dir, ...args], { env: { DATABASE_URL: url } });
  if (r.code !== 0) throw new Error(`dbmate ${args.join(' ')} failed: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

export async function nodePgMigrate(db: TestDatabase, dir: string, ...args: string[]) {
  const r = await runProcess(bin('node-pg-migrate'), [...args, '-m', dir], { env: { DATABASE_URL: db.url } });
  if (r.code !== 0) throw new Error(`node-pg-migrate ${args.join(' ')} failed: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Applies the steps as the tool would: its SQL and its tracking-table rows. */
export async function applyMigrations(db: TestDatabase, format: FormatName, dir: string, steps: Step[]): Promise<void> {
  if (format === 'dbmate') {
    await dbmate(db, dir, 'up');
    return;
  }
  if (format === 'node-pg-migrate') {
    await nodePgMigrate(db, dir, 'up');
    return;
  }
  for (const s of steps) {
    await db.query(s.up);
    switch (format) {
      case 'golang-migrate':
        await db.query('CREATE TABLE IF NOT EXISTS schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)');
        await db.query('TRUNCATE schema_migrations');
        await db.query('INSERT INTO schema_migrations (version, dirty) VALUES ($1, false)', [s.version]);
        break;
      case 'supabase':
        await db.query('CREATE SCHEMA IF NOT EXISTS supabase_migrations');
        await db.query('CREATE TABLE IF NOT EXISTS supabase_migrations.schema_migrations (version text NOT NULL PRIMARY KEY, statements text[], name text)');
        await db.query('INSERT INTO supabase_migrations.schema_migrations (version, statements, name) VALUES ($1, $2, $3)', [s.version, [s.up], s.name]);
        break;
      case 'prisma':
        await db.query(`CREATE TABLE IF NOT EXISTS _prisma_migrations (
          id varchar(36) PRIMARY KEY, checksum varchar(64) NOT NULL, finished_at timestamptz, migration_name varchar(255) NOT NULL,
          logs text, rolled_back_at timestamptz, started_at timestamptz NOT NULL DEFAULT now(), applied_steps_count integer NOT NULL DEFAULT 0)`);
        await db.query(`INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, applied_steps_count) VALUES ($1, 'x', now(), $2, 1)`, [
          randomUUID(),
          `${s.version}_${s.name}`,
        ]);
        break;
      case 'plain':
        await db.query('CREATE SCHEMA IF NOT EXISTS rollback_kit');
        await db.query(`CREATE TABLE IF NOT EXISTS rollback_kit.schema_migrations (version text PRIMARY KEY, name text NOT NULL DEFAULT '', applied_at timestamptz NOT NULL DEFAULT now())`);
        await db.query('INSERT INTO rollback_kit.schema_migrations (version, name) VALUES ($1, $2)', [s.version, s.name]);
        break;
    }
  }
}

/** What the tracking table says is applied, in the tool's terms (golang-migrate: its one row). */
export async function trackingState(db: TestDatabase, format: FormatName): Promise<unknown> {
  switch (format) {
    case 'dbmate':
      return (await db.query('SELECT version FROM schema_migrations ORDER BY version')).rows.map((r) => r.version);
    case 'node-pg-migrate':
      return (await db.query('SELECT name FROM pgmigrations ORDER BY run_on, id')).rows.map((r) => r.name);
    case 'golang-migrate':
      return (await db.query('SELECT version::text, dirty FROM schema_migrations')).rows;
    case 'supabase':
      return (await db.query('SELECT version FROM supabase_migrations.schema_migrations ORDER BY version')).rows.map((r) => r.version);
    case 'prisma':
      return (await db.query('SELECT migration_name FROM _prisma_migrations WHERE rolled_back_at IS NULL ORDER BY migration_name')).rows.map((r) => r.migration_name);
    case 'plain':
      return (await db.query('SELECT version FROM rollback_kit.schema_migrations ORDER BY version')).rows.map((r) => r.version);
  }
}

/** Which of t1…tN exist. */
export async function existingTables(db: TestDatabase): Promise<string[]> {
  const r = await db.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename ~ '^t[0-9]+$' ORDER BY tablename`);
  return r.rows.map((row) => row.tablename as string);
}

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const r = await runProcess('git', args, {
    cwd,
    env: { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' },
  });
  if (r.code !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}
