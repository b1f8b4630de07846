// The whole local rollback, as `rollback-kit sandbox` plays it: runs the built command line
// (dist/cli/index.js) `runs` times on this machine's PostgreSQL and reports the rollback's time
// (the pipeline, plan to notify-end), each phase's share of it, and the whole sandbox (servers,
// two deploys, the smoke test that catches v2, the rollback, the report). Also, in the same run,
// a Node process start and a bare pg_dump of the same size of database, so the numbers compare
// across machines. Goal: the whole sandbox rollback under 10 s.
//
//   node bench/sandbox/run.mjs [runs]
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { median } from '../runner.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const runs = Number(process.argv[2] ?? 5);

function run(command, args, opts = {}) {
  return new Promise((done, fail) => {
    const started = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'ignore'], ...opts });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.on('error', fail);
    child.on('close', (code) => done({ ms: performance.now() - started, code, stdout }));
  });
}

const node = [];
const wall = [];
const rollback = [];
const sandbox = [];
const phases = {};
for (let i = 0; i < runs; i++) {
  node.push((await run(process.execPath, ['-e', '0'])).ms);
  const dir = await mkdtemp(join(tmpdir(), 'rk-bench-sandbox-'));
  try {
    const r = await run(process.execPath, [join(root, 'dist/cli/index.js'), 'sandbox', '--json', '--report-dir', 'report'], { cwd: dir, env: process.env });
    if (r.code !== 0) throw new Error(`sandbox exited ${r.code}: ${r.stdout.slice(0, 500)}`);
    const doc = JSON.parse(r.stdout);
    wall.push(r.ms);
    sandbox.push(doc.totalMs);
    rollback.push(doc.record.durationMs);
    for (const e of doc.record.timeline) (phases[e.phase] ??= []).push(e['duration-ms']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const ms = (x) => `${Math.round(x)} ms`;
const rollbackMedian = median(rollback);
console.log(`rollback-kit sandbox, ${runs} runs (medians)`);
console.log(`  node -e 0 (baseline)            ${ms(median(node))}`);
console.log(`  the rollback (plan..notify-end)  ${ms(rollbackMedian)}  = ${(median(rollback) / median(node)).toFixed(1)}× a Node start; ${((100 * rollbackMedian) / 900_000).toFixed(2)}% of the 15-minute budget`);
console.log(`  the whole sandbox (in-process)   ${ms(median(sandbox))}`);
console.log(`  the whole sandbox (wall clock)   ${ms(median(wall))}  goal < 10000 ms: ${median(wall) < 10_000 ? 'met' : 'NOT met'}`);
console.log('  phase          median   share of the rollback');
for (const [phase, xs] of Object.entries(phases)) console.log(`  ${phase.padEnd(14)} ${ms(median(xs)).padStart(7)}   ${((100 * median(xs)) / rollbackMedian).toFixed(0).padStart(3)}%`);
