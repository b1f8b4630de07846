// bench/down: run-down-migrations (the bundle, as the runner starts it) against psql -f on the same
// down files, as a scaling table: for each size, twin databases made from one template, the two
// runs alternated (who goes first swaps every round), medians with min–max. `node -e 0` and
// `psql --version` are timed in the same rounds, so the floor that Node's own start puts under the
// ratio is on the table too. A benchmark, not a test.
//
//   node bench/down/run.mjs                          # 10, 100 and 400 migrations, 5 rounds each
//   BENCH_SIZES=10,100 BENCH_ROUNDS=7 node bench/down/run.mjs
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';

const root = resolve(import.meta.dirname, '../..');
const bundle = join(root, 'dist/run-down-migrations/index.js');
const admin = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const sizes = (process.env.BENCH_SIZES || '10,100,400').split(',').map(Number);
const rounds = Number(process.env.BENCH_ROUNDS || 5);
/** The goal in the issue: the ratio allowed at each size (none stated for the others). */
const GOALS = { 10: 1.3, 100: 1.15 };
const DB = { template: 'rk_bench_down_tpl', raw: 'rk_bench_down_raw', ours: 'rk_bench_down_ours' };

const urlFor = (db) => {
  const u = new URL(admin);
  u.pathname = `/${db}`;
  return u.toString();
};

async function sql(url, text) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(text);
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

/** Small migrations in the plain layout: a table with an index and a row; down drops them. Newest first. */
function writeMigrations(dir, count) {
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

/** The applied state, once per size; each round's twins are copies of it. */
async function makeTemplate(count) {
  await sql(admin, `DROP DATABASE IF EXISTS ${DB.template} WITH (FORCE)`);
  await sql(admin, `CREATE DATABASE ${DB.template}`);
  const ups = [];
  for (let i = 1; i <= count; i++) ups.push(`CREATE TABLE t${i} (id int PRIMARY KEY, v text); CREATE INDEX t${i}_v_idx ON t${i} (v); INSERT INTO t${i} VALUES (1, 'x');`);
  await sql(urlFor(DB.template), ups.join('\n'));
  await sql(urlFor(DB.template), `CREATE SCHEMA rollback_kit; CREATE TABLE rollback_kit.schema_migrations (version text PRIMARY KEY, name text NOT NULL DEFAULT '', applied_at timestamptz NOT NULL DEFAULT now());`);
  await sql(urlFor(DB.template), `INSERT INTO rollback_kit.schema_migrations (version, name) SELECT (20240101000000 + g)::text, 't' || g FROM generate_series(1, ${count}) g`);
}

async function twins() {
  for (const db of [DB.raw, DB.ours]) {
    await sql(admin, `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await sql(admin, `CREATE DATABASE ${db} TEMPLATE ${DB.template}`);
  }
}

async function left(db) {
  const r = await sql(urlFor(db), `SELECT (SELECT count(*) FROM pg_tables WHERE schemaname = 'public') AS tables, (SELECT count(*) FROM rollback_kit.schema_migrations) AS tracked`);
  return { tables: Number(r.rows[0].tables), tracked: Number(r.rows[0].tracked) };
}

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, min: s[0], max: s.at(-1) };
}

const ms = (x) => `${x.toFixed(0)}`;
const cell = (xs) => {
  const s = stats(xs);
  return `${ms(s.median)} (${ms(s.min)}–${ms(s.max)})`;
};

async function benchSize(count, ws, libpq) {
  const dir = join(ws, `migrations-${count}`);
  const downs = writeMigrations(dir, count);
  await makeTemplate(count);
  const t = { raw: [], ours: [], node: [], startup: [], psqlStart: [] };
  for (let i = 0; i < rounds; i++) {
    await twins();
    const work = mkdtempSync(join(tmpdir(), 'rk-bench-down-run-'));
    for (const f of ['out', 'summary']) writeFileSync(join(work, f), '');
    const files = { GITHUB_OUTPUT: join(work, 'out'), GITHUB_STEP_SUMMARY: join(work, 'summary') };
    // psql in one run, the same files newest first, stopping at the first error.
    const runRaw = () => t.raw.push(timed('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', ...downs.flatMap((f) => ['-f', f])], { ...libpq, PGDATABASE: DB.raw }));
    const runOurs = () =>
      t.ours.push(
        timed(process.execPath, [bundle], {
          ...files,
          RUNNER_TEMP: work,
          GITHUB_WORKSPACE: ws,
          'INPUT_DATABASE-URL': urlFor(DB.ours),
          'INPUT_MIGRATIONS-DIR': `migrations-${count}`,
          INPUT_FORMAT: 'plain',
          INPUT_STEPS: String(count),
          'INPUT_REQUIRE-SNAPSHOT': 'false',
        }),
      );
    // Alternate who goes first: a shared machine's noise should not favour either.
    if (i % 2 === 0) {
      runRaw();
      runOurs();
    } else {
      runOurs();
      runRaw();
    }
    // The floors, in the same round: Node's start, the bundle's start (an input error exits right after it), psql's own start.
    t.node.push(timed(process.execPath, ['-e', '0']));
    t.startup.push(timed(process.execPath, [bundle], { ...files, INPUT_FORMAT: 'none' }, true));
    t.psqlStart.push(timed('psql', ['--version']));
    rmSync(work, { recursive: true, force: true });
    const [raw, ours] = [await left(DB.raw), await left(DB.ours)];
    if (raw.tables !== 0 || ours.tables !== 0 || ours.tracked !== 0) throw new Error(`left behind: psql ${raw.tables} table(s); action ${ours.tables} table(s), ${ours.tracked} tracking row(s)`);
    console.error(`${count} migrations, round ${i + 1}/${rounds}: psql -f ${ms(t.raw[i])} ms, run-down-migrations ${ms(t.ours[i])} ms, node -e 0 ${ms(t.node[i])} ms`);
  }
  return t;
}

async function main() {
  const ws = mkdtempSync(join(tmpdir(), 'rk-bench-down-'));
  const u = new URL(admin);
  const libpq = { PGHOST: u.hostname, PGPORT: u.port || '5432', PGUSER: decodeURIComponent(u.username || 'postgres'), PGPASSWORD: decodeURIComponent(u.password) };
  const before = loadavg();
  const results = [];
  try {
    for (const count of sizes) results.push([count, await benchSize(count, ws, libpq)]);
  } finally {
    for (const db of Object.values(DB)) await sql(admin, `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    rmSync(ws, { recursive: true, force: true });
  }
  const after = loadavg();
  console.log(`Down migrations of 2 statements each, ${rounds} round(s) per size; ms, median (min–max). Node ${process.version}; load average ${before.map((l) => l.toFixed(2)).join(' ')} before, ${after.map((l) => l.toFixed(2)).join(' ')} after.\n`);
  console.log('| migrations | psql -f | run-down-migrations | ratio | goal | node -e 0 | bundle start-up | psql --version | floor |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const [count, t] of results) {
    const raw = stats(t.raw).median;
    const ours = stats(t.ours).median;
    // What the ratio would be if the action did psql's work exactly, paying Node's start instead of psql's.
    const floor = (raw - stats(t.psqlStart).median + stats(t.node).median) / raw;
    const goal = GOALS[count] ? `≤ ${GOALS[count].toFixed(2)}×` : '';
    console.log(`| ${count} | ${cell(t.raw)} | ${cell(t.ours)} | ${(ours / raw).toFixed(2)}× | ${goal} | ${cell(t.node)} | ${cell(t.startup)} | ${cell(t.psqlStart)} | ${floor.toFixed(2)}× |`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
