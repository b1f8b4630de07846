// bench/down/server: the server's side of reverting migrations, with the client held the same. Every
// contender is one psql process against a fresh copy of the same applied state, so the only
// difference is what is sent:
//
//   psql -f         the down files as psql runs them (the baseline of bench/down/run.mjs): one
//                   statement per round trip, each committed on its own.
//   per migration   what run-down-migrations sends (src/migrations/runner.ts, migrationQueries): one
//                   query per migration with the run's RESET/SET, BEGIN, the down statements, the
//                   tracking row's DELETE and COMMIT. One round trip and one commit per migration.
//   pipelined       all those queries as one: a single round trip for the whole plan. The runner does
//                   not do this (a failure would leave it to find out which migrations committed);
//                   this measures what it would gain.
//
// A benchmark, not a test: it answers whether the migrations themselves can go faster than psql's,
// which is what is left of issue #13's goal at 100 migrations once Node's start is paid.
//
//   node bench/down/server.mjs                  # 100 migrations, 7 rounds
//   BENCH_SIZE=400 BENCH_ROUNDS=9 node bench/down/server.mjs
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { admin, makeTemplate, sql, stats, urlFor, version, writeMigrations } from './fixture.mjs';

const size = Number(process.env.BENCH_SIZE || 100);
const rounds = Number(process.env.BENCH_ROUNDS || 7);
const TEMPLATE = 'rk_bench_server_tpl';
const RUN = 'rk_bench_server_run';


/** The run's settings as runner.ts sends them before each migration (resetSql + revert.ts's runSettings). */
const RESET = [
  'RESET SESSION AUTHORIZATION',
  'RESET ROLE',
  'RESET ALL',
  'SET lock_timeout = 10000',
  'SET statement_timeout = 300000',
  "SET application_name = 'rollback-kit run-down-migrations'",
];

function migrationQuery(i) {
  const parts = [...RESET, 'BEGIN', `DROP INDEX t${i}_v_idx`, `DROP TABLE t${i}`, `DELETE FROM "rollback_kit"."schema_migrations" WHERE version = '${version(i)}'`, 'COMMIT'];
  // As migrationQueries joins them: the newline keeps a semicolon out of a trailing comment.
  return parts.map((p) => `${p}\n;\n`).join('');
}

function timedPsql(args, env) {
  const t = process.hrtime.bigint();
  const r = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', ...args], { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
  return ms;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'rk-bench-server-'));
  const u = new URL(admin);
  const libpq = { PGHOST: u.hostname, PGPORT: u.port || '5432', PGUSER: decodeURIComponent(u.username || 'postgres'), PGPASSWORD: decodeURIComponent(u.password), PGDATABASE: RUN };
  const load = loadavg();
  const times = { 'psql -f': [], 'per migration': [], pipelined: [] };
  try {
    const downs = writeMigrations(dir, size);
    await makeTemplate(TEMPLATE, size);
    const queries = Array.from({ length: size }, (_, k) => migrationQuery(size - k));
    const contenders = {
      'psql -f': () => downs.flatMap((f) => ['-f', f]),
      // psql -c sends its text as one query, as the runner's session.query does.
      'per migration': () => queries.flatMap((q) => ['-c', q]),
      pipelined: () => ['-c', queries.join('')],
    };
    const names = Object.keys(contenders);
    for (let r = 0; r < rounds; r++) {
      // Rotate who goes first: a shared machine's noise should favour none.
      const order = names.map((_, k) => names[(k + r) % names.length]);
      for (const name of order) {
        await sql(admin, `DROP DATABASE IF EXISTS ${RUN} WITH (FORCE)`);
        await sql(admin, `CREATE DATABASE ${RUN} TEMPLATE ${TEMPLATE}`);
        await sql(admin, 'CHECKPOINT');
        times[name].push(timedPsql(contenders[name](), libpq));
        const left = await sql(urlFor(RUN), `SELECT (SELECT count(*) FROM pg_tables WHERE schemaname = 'public') AS tables, (SELECT count(*) FROM rollback_kit.schema_migrations) AS tracked`);
        const { tables, tracked } = left.rows[0];
        if (Number(tables) !== 0 || (name !== 'psql -f' && Number(tracked) !== 0)) throw new Error(`${name} left ${tables} table(s), ${tracked} tracking row(s)`);
      }
      console.error(`round ${r + 1}/${rounds}: ${names.map((n) => `${n} ${times[n][r].toFixed(0)} ms`).join(', ')}`);
    }
  } finally {
    for (const db of [RUN, TEMPLATE]) await sql(admin, `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    rmSync(dir, { recursive: true, force: true });
  }
  const base = stats(times['psql -f']).median;
  console.log(`${size} migrations of 2 statements each, ${rounds} rounds, one psql process each; ms, median (min–max); load average ${load.map((l) => l.toFixed(2)).join(' ')} before, ${loadavg().map((l) => l.toFixed(2)).join(' ')} after.\n`);
  console.log('| sent | time | against psql -f |');
  console.log('| --- | --- | --- |');
  for (const [name, xs] of Object.entries(times)) {
    const s = stats(xs);
    console.log(`| ${name} | ${s.median.toFixed(0)} (${s.min.toFixed(0)}–${s.max.toFixed(0)}) | ${(s.median / base).toFixed(2)}× |`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
