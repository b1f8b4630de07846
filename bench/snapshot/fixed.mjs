// bench/snapshot/fixed.mjs: the fixed cost of snapshot-db and restore-db on a database of many small
// tables, where the data is tiny and every per-table or per-step cost shows. Per round, in
// alternating order: raw `pg_dump -Fc` then `sha256sum` beside a full `pg_restore` read (what
// snapshot-db's verification does), the snapshot-db bundle; raw `pg_restore --clean --if-exists
// --single-transaction --exit-on-error` and the restore-db bundle (pre-restore-snapshot false). BENCH_BEFORE=<a copy
// of an older dist/> adds that build's bundles to the same rounds.
//
//   BENCH_TABLES=300 BENCH_ROUNDS=5 node bench/snapshot/fixed.mjs
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { median } from '../runner.mjs';

const root = resolve(import.meta.dirname, '../..');
const admin = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
// Restores run in one transaction: one lock per table, so thousands exceed max_locks_per_transaction's default.
const tables = Number(process.env.BENCH_TABLES || 300);
const rounds = Number(process.env.BENCH_ROUNDS || 5);
const bin = process.env.BENCH_PG_BIN || '/usr/lib/postgresql/15/bin';
const dbName = `rk_bench_fixed_${process.pid}`;
const dbUrl = Object.assign(new URL(admin), { pathname: `/${dbName}` }).toString();
const u = new URL(dbUrl);
const libpq = { PGHOST: u.hostname, PGPORT: u.port || '5432', PGUSER: decodeURIComponent(u.username || 'postgres'), PGPASSWORD: decodeURIComponent(u.password), PGDATABASE: dbName };

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
    work,
    go: () => run(process.execPath, [join(dist, name, 'index.js')], env),
    outputs: () => Object.fromEntries([...readFileSync(env.GITHUB_OUTPUT, 'utf8').matchAll(/^([^<\n]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)].map((m) => [m[1], m[3]])),
  };
}

const variants = { snapshot: {}, restore: {} };
const add = (group, label, ms) => (variants[group][label] ??= []).push(ms);
const dists = [['', join(root, 'dist')], ...(process.env.BENCH_BEFORE ? [['before: ', process.env.BENCH_BEFORE]] : [])];

await sql(admin, `DROP DATABASE IF EXISTS ${dbName}`);
await sql(admin, `CREATE DATABASE ${dbName}`);
try {
  const ddl = [];
  for (let i = 0; i < tables; i++) ddl.push(`CREATE TABLE t${i} (id int PRIMARY KEY, v text); INSERT INTO t${i} SELECT g, 'row ' || g FROM generate_series(1, ${1 + (i % 20)}) g;`);
  for (let i = 0; i < ddl.length; i += 200) await sql(dbUrl, ddl.slice(i, i + 200).join('\n'));
  const work = mkdtempSync(join(tmpdir(), 'rk-bench-fixed-'));
  let snapshotPath;
  for (let r = 0; r < rounds; r++) {
    const steps = [
      async () => {
        const file = join(work, 'raw.dump');
        add('snapshot', 'raw pg_dump -Fc + (sha256sum ∥ pg_restore read)', await timed(async () => {
          await run(join(bin, 'pg_dump'), ['-Fc', '-f', file], libpq);
          await Promise.all([run('sha256sum', [file]), run(join(bin, 'pg_restore'), ['-f', '/dev/null', file])]);
        }));
      },
      ...dists.map(([label, dist]) => async () => {
        const b = bundle(dist, 'snapshot-db', { 'database-url': dbUrl, 'output-dir': join(work, `snap-${label.length}`) });
        add('snapshot', `${label}snapshot-db bundle`, await timed(b.go));
        if (!label) snapshotPath = b.outputs().path;
        rmSync(b.work, { recursive: true, force: true });
      }),
    ];
    for (const step of r % 2 ? steps.reverse() : steps) await step();
    const restores = [
      async () => add('restore', 'raw pg_restore --clean --if-exists --single-transaction', await timed(() => run(join(bin, 'pg_restore'), ['--clean', '--if-exists', '--single-transaction', '--exit-on-error', '-d', dbName, snapshotPath], libpq))),
      ...dists.map(([label, dist]) => async () => {
        const b = bundle(dist, 'restore-db', { 'database-url': dbUrl, 'snapshot-path': snapshotPath, 'pre-restore-snapshot': 'false', confirm: dbName });
        add('restore', `${label}restore-db bundle (no pre-restore snapshot)`, await timed(b.go));
        rmSync(b.work, { recursive: true, force: true });
      }),
    ];
    for (const step of r % 2 ? restores.reverse() : restores) await step();
  }
  rmSync(work, { recursive: true, force: true });
} finally {
  await sql(admin, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
}

const fmt = (ms) => `${ms.toFixed(0)} ms`;
console.log(`${tables} small tables, ${rounds} rounds, order alternated each round; medians (min–max)\n`);
console.log('| step | time | × raw |');
console.log('| --- | --- | --- |');
for (const group of Object.values(variants)) {
  const [rawLabel, ...rest] = Object.keys(group);
  const raw = median(group[rawLabel]);
  for (const label of [rawLabel, ...rest.sort()]) {
    const xs = group[label];
    console.log(`| ${label} | ${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}) | ${(median(xs) / raw).toFixed(2)}× |`);
  }
}
