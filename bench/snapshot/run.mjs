// bench/snapshot: snapshot-db and restore-db against raw pg_dump / pg_restore, measured in the same
// run on the same database. Prints medians and ratios; a benchmark, not a test (no pass/fail).
//
//   node bench/snapshot/run.mjs            # ~300 MB database, 3 rounds
//   BENCH_MB=50 BENCH_ROUNDS=1 node bench/snapshot/run.mjs
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';

const root = resolve(import.meta.dirname, '../..');
const admin = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const mb = Number(process.env.BENCH_MB || 300);
const rounds = Number(process.env.BENCH_ROUNDS || 3);
const dbName = 'rk_bench_snapshot';
const dbUrl = (() => {
  const u = new URL(admin);
  u.pathname = `/${dbName}`;
  return u.toString();
})();
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

function timed(cmd, args, env = {}) {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
  return { ms, stdout: r.stdout };
}

function runBundle(name, inputs) {
  const work = mkdtempSync(join(tmpdir(), 'rk-bench-'));
  const out = join(work, 'out');
  writeFileSync(out, '');
  writeFileSync(join(work, 'summary'), '');
  const env = { GITHUB_OUTPUT: out, GITHUB_STEP_SUMMARY: join(work, 'summary'), RUNNER_TEMP: work };
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = String(v);
  const r = timed(process.execPath, [join(root, 'dist', name, 'index.js')], env);
  const outputs = {};
  const text = readFileSync(out, 'utf8');
  for (const m of text.matchAll(/^([^<\n]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)) outputs[m[1]] = m[3];
  return { ...r, outputs, work };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;

async function main() {
  console.log(`Building ${dbName} with about ${mb} MB of table data …`);
  await sql(admin, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await sql(admin, `CREATE DATABASE ${dbName}`);
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
  await sql(dbUrl, 'VACUUM ANALYZE');
  const size = (await sql(dbUrl, `SELECT pg_size_pretty(pg_database_size('${dbName}')) AS s`)).rows[0].s;
  console.log(`Database size: ${size}; ${rounds} round(s) each.\n`);

  const results = { raw: [], custom: [], customDump: [], verify: [], directory: [], rawRestore: [], restore: [] };
  for (let i = 0; i < rounds; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'rk-bench-raw-'));
    results.raw.push(timed('pg_dump', ['-Fc', '-f', join(dir, 'raw.dump')], libpq).ms);

    const snap = runBundle('snapshot-db', { 'DATABASE-URL': dbUrl, 'OUTPUT-DIR': dir, LABEL: 'bench' });
    const m = /dump (\d+) ms, verification (\d+) ms/.exec(snap.stdout);
    results.custom.push(snap.ms);
    results.customDump.push(Number(m[1]));
    results.verify.push(Number(m[2]));

    const snapDir = runBundle('snapshot-db', { 'DATABASE-URL': dbUrl, 'OUTPUT-DIR': dir, FORMAT: 'directory', JOBS: 2, LABEL: 'benchdir' });
    results.directory.push(snapDir.ms);

    results.rawRestore.push(timed('pg_restore', ['--clean', '--if-exists', '--single-transaction', '--exit-on-error', '-d', dbName, join(dir, 'raw.dump')], libpq).ms);
    const restore = runBundle('restore-db', { 'DATABASE-URL': dbUrl, 'SNAPSHOT-PATH': snap.outputs.path, CONFIRM: dbName, 'PRE-RESTORE-SNAPSHOT': 'false' });
    if (restore.outputs.verified !== 'true') throw new Error('restore did not verify');
    results.restore.push(restore.ms);
    rmSync(dir, { recursive: true, force: true });
    rmSync(snap.work, { recursive: true, force: true });
    rmSync(snapDir.work, { recursive: true, force: true });
    rmSync(restore.work, { recursive: true, force: true });
    console.log(`round ${i + 1}: raw pg_dump ${fmt(results.raw[i])}, snapshot-db ${fmt(results.custom[i])}, directory/2 ${fmt(results.directory[i])}, raw pg_restore ${fmt(results.rawRestore[i])}, restore-db ${fmt(results.restore[i])}`);
  }
  const raw = median(results.raw);
  const custom = median(results.custom);
  const verify = median(results.verify);
  const rawRestore = median(results.rawRestore);
  const rows2 = [
    ['raw pg_dump -Fc', raw, 1],
    ['snapshot-db custom (total)', custom, custom / raw],
    ['  of which verification (full read + sha256)', verify, verify / raw],
    ['snapshot-db custom less verification', custom - verify, (custom - verify) / raw],
    ['snapshot-db directory, jobs 2', median(results.directory), median(results.directory) / raw],
    ['raw pg_restore --single-transaction', rawRestore, rawRestore / raw],
    ['restore-db (verify + restore + row check)', median(results.restore), median(results.restore) / rawRestore],
  ];
  console.log(`\n| step (median of ${rounds}, ${size}) | time | ratio |\n| --- | --- | --- |`);
  for (const [name, ms, ratio] of rows2) console.log(`| ${name} | ${fmt(ms)} | ${ratio.toFixed(2)}× |`);
  console.log('\nratios: rows 2-5 against raw pg_dump; raw pg_restore against raw pg_dump; restore-db against raw pg_restore.');
  console.log(`snapshot-db overhead over raw pg_dump + verification: ${(((custom) / (raw + verify) - 1) * 100).toFixed(1)}% (goal ≤ 5%)`);
  await sql(admin, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
