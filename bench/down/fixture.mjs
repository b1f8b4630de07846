// What bench/down's scripts share: the database they talk to, and the applied state of `count` small
// migrations in the plain layout (a table with an index and a row; the down file drops them) that
// each round copies.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

export const admin = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

export const urlFor = (db) => {
  const u = new URL(admin);
  u.pathname = `/${db}`;
  return u.toString();
};

export async function sql(url, text) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(text);
  } finally {
    await c.end();
  }
}

export const version = (i) => String(20240101000000 + i);

/** Writes the migrations into `dir`; returns the down files, newest first. */
export function writeMigrations(dir, count) {
  mkdirSync(dir, { recursive: true });
  const downs = [];
  for (let i = 1; i <= count; i++) {
    const base = `${version(i)}_t${i}`;
    writeFileSync(join(dir, `${base}.sql`), `CREATE TABLE t${i} (id int PRIMARY KEY, v text);\nCREATE INDEX t${i}_v_idx ON t${i} (v);\nINSERT INTO t${i} VALUES (1, 'x');\n`);
    writeFileSync(join(dir, `${base}.down.sql`), `DROP INDEX t${i}_v_idx;\nDROP TABLE t${i};\n`);
    downs.push(join(dir, `${base}.down.sql`));
  }
  return downs.reverse();
}

/** The applied state in database `template`, made anew: the tables, and the tracking table listing them. */
export async function makeTemplate(template, count) {
  await sql(admin, `DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
  await sql(admin, `CREATE DATABASE ${template}`);
  const ups = [];
  for (let i = 1; i <= count; i++) ups.push(`CREATE TABLE t${i} (id int PRIMARY KEY, v text); CREATE INDEX t${i}_v_idx ON t${i} (v); INSERT INTO t${i} VALUES (1, 'x');`);
  await sql(urlFor(template), ups.join('\n'));
  await sql(urlFor(template), `CREATE SCHEMA rollback_kit; CREATE TABLE rollback_kit.schema_migrations (version text PRIMARY KEY, name text NOT NULL DEFAULT '', applied_at timestamptz NOT NULL DEFAULT now());`);
  await sql(urlFor(template), `INSERT INTO rollback_kit.schema_migrations (version, name) SELECT (20240101000000 + g)::text, 't' || g FROM generate_series(1, ${count}) g`);
}

/** Median, min and max. */
export function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, min: s[0], max: s.at(-1) };
}
