// bench/snapshot: snapshot-db and restore-db against the raw tools as the database grows, in one
// run. For each dataset (databases of about 82 / 307 / 1,200 MB of rows in two tables, and one of
// 2,000 small tables), per round, in an order that alternates each round:
//   raw snapshot   pg_dump -Fc, then sha256sum beside a full `pg_restore -f /dev/null` read: the least
//                  a verified snapshot costs with the raw tools
//   snapshot-db    the bundle, spawned as the runner does (custom format)
//   raw restore    pg_restore --clean --if-exists --single-transaction --exit-on-error -d
//   restore-db     the bundle, pre-restore-snapshot false (it still checks the sha256, restores in one
//                  transaction and checks every table's rows before committing)
// Medians with min–max, and each bundle's ratio to its raw baseline: of the medians, and the median of
// the ratios within each round (steps of one round share its load). A benchmark, not a test.
//
//   node bench/snapshot/run.mjs                                 # 82,307,1200 MB and 2000 tables, 3 rounds
//   BENCH_SIZES=82 BENCH_TABLES= BENCH_ROUNDS=5 node bench/snapshot/run.mjs
//   BENCH_BEFORE=<a copy of an older dist/> adds that build's bundles to the same rounds
//   BENCH_ONLY=restore measures the restores alone (one snapshot-db run makes their snapshot)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { median } from '../runner.mjs';

const root = resolve(import.meta.dirname, '../..');
const admin = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const list = (v, d) => (v ?? d).split(',').filter(Boolean).map(Number);
const sizes = list(process.env.BENCH_SIZES, '82,307,1200');
const tableCounts = list(process.env.BENCH_TABLES, '2000');
const rounds = Number(process.env.BENCH_ROUNDS || 3);
const restoreOnly = process.env.BENCH_ONLY === 'restore';
const bin = process.env.BENCH_PG_BIN || '/usr/lib/postgresql/15/bin';
// A one-transaction restore takes a lock per table and index; thousands exceed the default
// max_locks_per_transaction × max_connections (raw pg_restore --single-transaction fails the same way).
const MAX_RESTORE_TABLES = 1000;
const dbName = `rk_bench_snapshot_${process.pid}`;
const dbUrl = Object.assign(new URL(admin), { pathname: `/${dbName}` }).toString();
const u = new URL(dbUrl);
const libpq = { PGHOST: u.hostname, PGPORT: u.port || '5432', PGUSER: decodeURIComponent(u.username || 'postgres'), PGPASSWORD: decodeURIComponent(u.password), PGDATABASE: dbName };
const dists = [['', join(root, 'dist')], ...(process.env.BENCH_BEFORE ? [['before: ', process.env.BENCH_BEFORE]] : [])];

async function sql(url, text) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(text);
  } finally {
    await c.end();
  }
}

function run(cmd, args, env = {}) {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', fail);
    child.on('close', (code) => (code === 0 ? done() : fail(new Error(`${cmd} ${args.join(' ')}: exit ${code}: ${err.slice(0, 500)}`))));
  });
}

async function timed(fn) {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

function bundle(dist, name, inputs) {
  const work = mkdtempSync(join(tmpdir(), 'rk-bench-'));
  const env = { GITHUB_OUTPUT: join(work, 'out'), GITHUB_STEP_SUMMARY: join(work, 'summary'), RUNNER_TEMP: work };
  writeFileSync(env.GITHUB_OUTPUT, '');
  writeFileSync(env.GITHUB_STEP_SUMMARY, '');
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = String(v);
  return {
    go: () => run(process.execPath, [join(dist, name, 'index.js')], env),
    outputs: () => Object.fromEntries([...readFileSync(env.GITHUB_OUTPUT, 'utf8').matchAll(/^([^<\n]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)].map((m) => [m[1], m[3]])),
    done: () => rmSync(work, { recursive: true, force: true }),
  };
}

async function buildRows(mb) {
  const rows = Math.round((mb * 1024 * 1024) / 180);
  await sql(dbUrl, `
    CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int, status text, total numeric(12,2), note text, created_at timestamptz DEFAULT now());
    CREATE TABLE events (id bigserial PRIMARY KEY, order_id bigint, kind text, payload jsonb, created_at timestamptz DEFAULT now());
    INSERT INTO orders (customer_id, status, total, note)
      SELECT g % 5000, (ARRAY['open','paid','shipped'])[1 + g % 3], (g % 1000) + 0.5, md5(g::text) || md5((g * 7)::text)
      FROM generate_series(1, ${Math.round(rows * 0.6)}) g;
    INSERT INTO events (order_id, kind, payload)
      SELECT g, 'created', jsonb_build_object('n', g, 'h', md5(g::text)) FROM generate_series(1, ${Math.round(rows * 0.4)}) g;
    CREATE INDEX ON orders (customer_id);`);
}

async function buildTables(n) {
  const ddl = [];
  for (let i = 0; i < n; i++) ddl.push(`CREATE TABLE t${i} (id int PRIMARY KEY, v text); INSERT INTO t${i} SELECT g, 'row ' || g FROM generate_series(1, ${1 + (i % 20)}) g;`);
  for (let i = 0; i < ddl.length; i += 200) await sql(dbUrl, ddl.slice(i, i + 200).join('\n'));
}

async function measure(label, build, withRestore) {
  await sql(admin, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await sql(admin, `CREATE DATABASE ${dbName}`);
  const results = { snapshot: {}, restore: {} };
  const add = (group, name, ms) => (results[group][name] ??= []).push(ms);
  try {
    await build();
    await sql(dbUrl, 'VACUUM ANALYZE');
    const size = (await sql(dbUrl, `SELECT pg_size_pretty(pg_database_size('${dbName}')) AS s`)).rows[0].s;
    const work = mkdtempSync(join(tmpdir(), 'rk-bench-snapshot-'));
    let snapshotPath;
    for (let r = 0; r < rounds; r++) {
      const snapshots = [
        async () => {
          const file = join(work, 'raw.dump');
          add('snapshot', 'raw pg_dump -Fc + (sha256sum ∥ pg_restore -f /dev/null)', await timed(async () => {
            await run(join(bin, 'pg_dump'), ['-Fc', '-f', file], libpq);
            await Promise.all([run('sha256sum', [file]), run(join(bin, 'pg_restore'), ['-f', '/dev/null', file])]);
          }));
          rmSync(file, { force: true });
        },
        ...dists.map(([prefix, dist]) => async () => {
          const out = join(work, `snap-${prefix.length}-${r}`);
          const b = bundle(dist, 'snapshot-db', { 'database-url': dbUrl, 'output-dir': out });
          add('snapshot', `${prefix}snapshot-db bundle`, await timed(b.go));
          if (!prefix) {
            if (snapshotPath) rmSync(join(snapshotPath, '..'), { recursive: true, force: true });
            snapshotPath = b.outputs().path;
          } else rmSync(out, { recursive: true, force: true });
          b.done();
        }),
      ];
      if (restoreOnly && snapshotPath) {
        // Only the restores are measured: the first round's snapshot serves them all.
      } else
        for (const step of r % 2 ? snapshots.reverse() : snapshots) {
          await sql(admin, 'CHECKPOINT');
          await step();
        }
      if (!withRestore) continue;
      const restores = [
        async () => add('restore', 'raw pg_restore --clean --if-exists --single-transaction -d', await timed(() => run(join(bin, 'pg_restore'), ['--clean', '--if-exists', '--single-transaction', '--exit-on-error', '-d', dbName, snapshotPath], libpq))),
        ...dists.map(([prefix, dist]) => async () => {
          const b = bundle(dist, 'restore-db', { 'database-url': dbUrl, 'snapshot-path': snapshotPath, 'pre-restore-snapshot': 'false', confirm: dbName });
          add('restore', `${prefix}restore-db bundle (no pre-restore snapshot)`, await timed(b.go));
          if (b.outputs().verified !== 'true') throw new Error('restore-db did not verify');
          b.done();
        }),
      ];
      // Each restore starts from a checkpoint: one writes about twice the data's size in WAL, and a
      // checkpoint it set off would otherwise fall in whichever step runs next.
      for (const step of r % 2 ? restores.reverse() : restores) {
        await sql(admin, 'CHECKPOINT');
        await step();
      }
    }
    rmSync(work, { recursive: true, force: true });
    return { label: `${label} (${size})`, results };
  } finally {
    await sql(admin, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  }
}

const fmt = (ms) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`);
const datasets = [
  ...sizes.map((mb) => () => measure(`${mb} MB in 2 tables`, () => buildRows(mb), true)),
  ...tableCounts.map((n) => () => measure(`${n} small tables`, () => buildTables(n), n <= MAX_RESTORE_TABLES)),
];
const out = [];
for (const dataset of datasets) {
  const { label, results } = await dataset();
  for (const group of Object.values(results)) {
    const [rawLabel, ...rest] = Object.keys(group);
    if (!rawLabel) continue;
    const raw = median(group[rawLabel]);
    for (const name of [rawLabel, ...rest.sort()]) {
      const xs = group[name];
      // Each round measures every step once, one after another: a ratio within a round shares that
      // minute's load, which on a shared machine moves the medians more than any change does.
      const paired = xs.length === group[rawLabel].length ? `${median(xs.map((x, i) => x / group[rawLabel][i])).toFixed(2)}×` : '';
      out.push(`| ${label} | ${name} | ${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}) | ${(median(xs) / raw).toFixed(2)}× | ${paired} |`);
    }
  }
  console.log(`done: ${label}`);
}
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(`\n${rounds} rounds per dataset, order alternated each round; medians (min–max); load average at the end ${load}\n`);
console.log('| dataset | step | time | × raw | × raw, per round (median) |\n| --- | --- | --- | --- | --- |');
for (const line of out) console.log(line);
if (tableCounts.some((n) => n > MAX_RESTORE_TABLES)) console.log(`\nRestores of more than ${MAX_RESTORE_TABLES} tables are not measured: one transaction needs a lock per table and index, beyond this server's max_locks_per_transaction (raw pg_restore --single-transaction fails the same way).`);
