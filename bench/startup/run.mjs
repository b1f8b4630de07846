// Bundle start-up against `node -e 0`: every dist/<name>/index.js is spawned the way the runner
// spawns it (file commands in a temp dir) with no inputs, so it loads, reads its inputs, fails on
// the first required one (or on the first check it cannot run) and exits. Pairs alternate which
// runs first; each bundle's ratio is its median over the baseline's median in the same run, with
// the min–max of the per-pair ratios. On a shared machine the wall time mostly measures the
// neighbours, so each process's CPU time (user + system, read by /usr/bin/time) is compared too.
//
//   node bench/startup/run.mjs [rounds]        (default 21)
//   BENCH_BEFORE=<another dist/> node bench/startup/run.mjs   also runs that build's bundles in the
//   same rounds ("before" rows), e.g. a copy of dist/ as committed before a change.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { median, runnerEnv } from '../runner.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const rounds = Number(process.argv[2] ?? 21);
const GOAL = 2.5;

const TIME = '/usr/bin/time';
const withCpu = existsSync(TIME);

/** Wall and CPU milliseconds of one `node <args>` (CPU undefined without /usr/bin/time). */
function time(args, env, dir) {
  const cpuFile = join(dir, 'cpu');
  const [cmd, argv] = withCpu ? [TIME, ['-o', cpuFile, '-f', '%U %S', process.execPath, ...args]] : [process.execPath, args];
  return new Promise((done, fail) => {
    const started = performance.now();
    const child = spawn(cmd, argv, { env, cwd: root, stdio: 'ignore' });
    child.on('error', fail);
    child.on('close', async () => {
      const wall = performance.now() - started;
      if (!withCpu) return done({ wall });
      const [user, sys] = (await readFile(cpuFile, 'utf8')).trim().split('\n').pop().split(' ').map(Number);
      done({ wall, cpu: (user + sys) * 1000 });
    });
  });
}

async function bundles(dist, label) {
  return (await readdir(dist, { withFileTypes: true }))
    .filter((d) => d.isDirectory() && existsSync(join(dist, d.name, 'index.js')))
    .map((d) => ({ name: `${label}${d.name}`, file: join(dist, d.name, 'index.js') }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
const list = [...(process.env.BENCH_BEFORE ? await bundles(process.env.BENCH_BEFORE, 'before: dist/') : []), ...(await bundles(join(root, 'dist'), 'dist/'))];
const names = list.map((b) => b.name);
const fileOf = Object.fromEntries(list.map((b) => [b.name, b.file]));
const base = [];
const baseCpu = [];
const runs = Object.fromEntries(names.map((n) => [n, { times: [], ratios: [], cpu: [] }]));
for (let i = 0; i < rounds; i++) {
  for (const name of names) {
    const { env, dir } = await runnerEnv({});
    const pair = {};
    for (const which of i % 2 ? ['bundle', 'base'] : ['base', 'bundle']) {
      pair[which] = await time(which === 'base' ? ['-e', '0'] : [fileOf[name]], env, dir);
    }
    await rm(dir, { recursive: true, force: true });
    base.push(pair.base.wall);
    baseCpu.push(pair.base.cpu);
    runs[name].times.push(pair.bundle.wall);
    runs[name].ratios.push(pair.bundle.wall / pair.base.wall);
    runs[name].cpu.push(pair.bundle.cpu);
  }
}
const fmt = (ms) => `${ms.toFixed(0)} ms`;
const spread = (xs) => `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;
const range = (xs) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
const baseMedian = median(base);
console.log(`Node ${process.version}, ${rounds} rounds, pairs alternated; goal ≤ ${GOAL}× node -e 0 (wall)\n`);
console.log(`| bundle (no inputs) | wall, median (min–max) | × node -e 0 (per-pair min–max) | goal |${withCpu ? ' CPU, median (min–max) | CPU × node -e 0 |' : ''}`);
console.log(`| --- | --- | --- | --- |${withCpu ? ' --- | --- |' : ''}`);
console.log(`| node -e 0 | ${spread(base)} | 1.00× | |${withCpu ? ` ${spread(baseCpu)} | 1.00× |` : ''}`);
for (const name of names) {
  const { times, ratios, cpu } = runs[name];
  const ratio = median(times) / baseMedian;
  const cpuCols = withCpu ? ` ${spread(cpu)} | ${(median(cpu) / median(baseCpu)).toFixed(2)}× |` : '';
  console.log(`| ${name} | ${spread(times)} | ${ratio.toFixed(2)}× (${range(ratios)}) | ${ratio <= GOAL ? 'met' : 'not met'} |${cpuCols}`);
}
