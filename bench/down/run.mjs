// bench/down: run-down-migrations (the bundle, as the runner starts it) against psql -f on the same
// down files, measured in the same run on twin databases. Prints medians and the ratio; a
// benchmark, not a test.
//
//   node bench/down/run.mjs                 # 200 migrations, 7 rounds
//   BENCH_MIGRATIONS=50 BENCH_ROUNDS=3 node bench/down/run.mjs
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';

const root = resolve(import.meta.dirname, '../..');
const admin = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const count = Number(process.env.BENCH_MIGRATIONS || 200);
const rounds = Number(process.env.BENCH_ROUNDS || 7);

const urlFor = (db) => {
  const u = new URL(admin);
  u.pathname = `/${db}`;
  return u.toString();
};

async function sql(url, text, params) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(text, params);
  } finally {
    await c.end();
  }
}

function timed(cmd, args, env = {}, expectFailure = false) {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if ((r.status !== 0) !== expectFailure) throw new Error(`${cmd} ${expectFailure ? 'should have failed' : 'failed'}: ${r.stderr || r.stdout}`);
  return ms;
}

const version = (i) => String(20240101000000 + i);

/** 200 small migrations in the plain layout: a table with an index and a row; down drops them. */
function writeMigrations(dir) {
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

async function prepare(db, withTracking) {
  await sql(admin, `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  await sql(admin, `CREATE DATABASE ${db}`);
  const ups = [];
  for (let i = 1; i <= count; i++) ups.push(`CREATE TABLE t${i} (id int PRIMARY KEY, v text); CREATE INDEX t${i}_v_idx ON t${i} (v); INSERT INTO t${i} VALUES (1, 'x');`);
  await sql(urlFor(db), ups.join('\n'));
  if (withTracking) {
    await sql(urlFor(db), `CREATE SCHEMA rollback_kit; CREATE TABLE rollback_kit.schema_migrations (version text PRIMARY KEY, name text NOT NULL DEFAULT '', applied_at timestamptz NOT NULL DEFAULT now());`);
    await sql(urlFor(db), `INSERT INTO rollback_kit.schema_migrations (version, name) SELECT (20240101000000 + g)::text, 't' || g FROM generate_series(1, ${count}) g`);
  }
}

async function remaining(db) {
  return Number((await sql(urlFor(db), `SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'`)).rows[0].n);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const ws = mkdtempSync(join(tmpdir(), 'rk-bench-down-'));
  const downs = writeMigrations(join(ws, 'migrations'));
  const u = new URL(admin);
  const libpq = { PGHOST: u.hostname, PGPORT: u.port || '5432', PGUSER: decodeURIComponent(u.username || 'postgres'), PGPASSWORD: decodeURIComponent(u.password) };
  const raw = [];
  const ours = [];
  const startup = [];
  console.log(`${count} down migrations (2 statements each), ${rounds} round(s).`);
  for (let i = 0; i < rounds; i++) {
    await prepare('rk_bench_down_raw', false);
    await prepare('rk_bench_down_ours', true);
    const work = mkdtempSync(join(tmpdir(), 'rk-bench-down-run-'));
    for (const f of ['out', 'summary']) writeFileSync(join(work, f), '');
    // psql in one run, the same files newest first, stopping at the first error.
    const runRaw = () => raw.push(timed('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', ...downs.flatMap((f) => ['-f', f])], { ...libpq, PGDATABASE: 'rk_bench_down_raw' }));
    const runOurs = () =>
      ours.push(
        timed(process.execPath, [join(root, 'dist/run-down-migrations/index.js')], {
          GITHUB_OUTPUT: join(work, 'out'),
          GITHUB_STEP_SUMMARY: join(work, 'summary'),
          RUNNER_TEMP: work,
          GITHUB_WORKSPACE: ws,
          'INPUT_DATABASE-URL': urlFor('rk_bench_down_ours'),
          'INPUT_MIGRATIONS-DIR': 'migrations',
          INPUT_FORMAT: 'plain',
          INPUT_STEPS: String(count),
          'INPUT_REQUIRE-SNAPSHOT': 'false',
        }),
      );
    // The bundle's fixed start-up (node, @actions/core, pg) that psql does not pay: an input error exits right after it.
    startup.push(timed(process.execPath, [join(root, 'dist/run-down-migrations/index.js')], { GITHUB_OUTPUT: join(work, 'out'), GITHUB_STEP_SUMMARY: join(work, 'summary'), INPUT_FORMAT: 'none' }, true));
    // Alternate who goes first: a shared machine's noise should not favour either.
    if (i % 2 === 0) {
      runRaw();
      runOurs();
    } else {
      runOurs();
      runRaw();
    }
    rmSync(work, { recursive: true, force: true });
    const left = [await remaining('rk_bench_down_raw'), await remaining('rk_bench_down_ours')];
    if (left[0] !== 0 || left[1] !== 0) throw new Error(`tables left: psql ${left[0]}, action ${left[1]}`);
    console.log(`round ${i + 1}: psql -f ${raw[i].toFixed(0)} ms, run-down-migrations ${ours[i].toFixed(0)} ms (start-up ${startup[i].toFixed(0)} ms)`);
  }
  const r = median(raw);
  const o = median(ours);
  console.log(`\n| ${count} down migrations (median of ${rounds}) | time | ratio |\n| --- | --- | --- |`);
  console.log(`| psql -f, all files in one run (no bookkeeping, no lock) | ${r.toFixed(0)} ms | 1.00× |`);
  console.log(`| run-down-migrations bundle (node start, lock, plan, one transaction + bookkeeping per migration) | ${o.toFixed(0)} ms | ${(o / r).toFixed(2)}× |`);
  const st = median(startup);
  console.log(`| of which bundle start-up (node + @actions/core + pg, exits on an input error) | ${st.toFixed(0)} ms | |`);
  console.log(`| run-down-migrations less start-up | ${(o - st).toFixed(0)} ms | ${((o - st) / r).toFixed(2)}× |`);
  console.log(`\nratio ${(o / r).toFixed(2)}× (goal ≤ 1.2×); without the bundle's fixed start-up ${((o - st) / r).toFixed(2)}×`);
  for (const db of ['rk_bench_down_raw', 'rk_bench_down_ours']) await sql(admin, `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  rmSync(ws, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
