// How fast promote-previous gets to the point that matters in an incident: the rollback request,
// for each provider (vercel, fly, railway, render, netlify), against the least a script could do.
//
//   node --import tsx bench/promote/bench.mjs [runs]
//
// Run it with `--import tsx` (a devDependency): the platform stand-ins are the tests' own
// TypeScript modules (bench/promote/worlds.mjs imports them), and tsx loads them as they are
// instead of keeping a second, compiled copy that could drift from what the tests prove.
//
// Per provider, in the same run and alternating which goes first in each pair:
// - the bundle: `node dist/promote-previous/index.js` spawned the way the runner does it, timed
//   from process start to the moment the stand-in receives the rollback request;
// - the baseline: `node bench/promote/replay.mjs`, a plain fetch script that sends the very
//   requests the bundle sent up to and including the rollback request (recorded from a first,
//   complete run that is checked to have put the right release back), timed the same way.
// Each run gets a fresh stand-in with the same ids. A bundle run is stopped once its rollback
// request has arrived: what it does after (polling to completion) is not what is measured here.
// The ratio bundle/baseline is what to compare across machines; both include Node's own start.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import { fileURLToPath, URLSearchParams } from 'node:url';
import { median, runnerEnv } from '../runner.mjs';
import { WORLDS } from './worlds.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const bundle = join(root, 'dist/promote-previous/index.js');
const runs = Number(process.argv[2] ?? 11);
const now = () => performance.timeOrigin + performance.now();
const TIME_LIMIT_MS = 60_000;

/** Spawns node; resolves at exit, or kills it once `stopWhen()` holds (checked every 2 ms). */
function timeProcess(args, env, stopWhen = () => false) {
  return new Promise((done, fail) => {
    const started = now();
    const child = spawn(process.execPath, args, { env, cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const watch = setInterval(() => stopWhen() && child.kill('SIGKILL'), 2);
    const limit = setTimeout(() => child.kill('SIGKILL'), TIME_LIMIT_MS);
    child.on('error', fail);
    child.on('close', (code) => {
      clearInterval(watch);
      clearTimeout(limit);
      done({ started, ended: now(), code, stderr });
    });
  });
}

const requestsOf = (fake) => fake.requests;
const urlOf = (r) => r.path + (Object.keys(r.query ?? {}).length ? `?${new URLSearchParams(r.query)}` : '');
/** What the replay sends: method, path and query, the auth headers, the JSON body. */
function replayable(r) {
  const headers = {};
  const h = r.headers ?? { authorization: r.authorization };
  for (const name of ['authorization', 'project-access-token']) if (typeof h[name] === 'string') headers[name] = h[name];
  const hasBody = r.body !== undefined && r.method !== 'GET' && r.method !== 'HEAD';
  if (hasBody) headers['content-type'] = 'application/json';
  return { method: r.method, url: urlOf(r), headers, body: hasBody ? JSON.stringify(r.body) : undefined };
}

async function benchProvider(name, world) {
  // A complete first run: it must roll back to the right release, and gives the requests to replay.
  const first = await world.start();
  let replayFile;
  let sent;
  try {
    const { env, dir } = await runnerEnv({ ...first.inputs, 'timeout-seconds': '60' });
    const r = await timeProcess([bundle], env);
    await rm(dir, { recursive: true, force: true });
    const problem = r.code !== 0 ? `exit ${r.code}: ${r.stderr.slice(0, 400)}` : first.check();
    if (problem) throw new Error(`${name}: the first run did not roll back: ${problem}`);
    const all = requestsOf(first.fake);
    const at = all.findIndex(world.isRollback);
    if (at < 0) throw new Error(`${name}: no rollback request seen`);
    sent = all.slice(0, at + 1);
    const tmp = await mkdtemp(join(tmpdir(), 'rk-bench-replay-'));
    replayFile = join(tmp, 'requests.json');
    await writeFile(replayFile, JSON.stringify(sent.map(replayable)));
  } finally {
    await first.fake.close();
  }

  const times = { bundle: [], baseline: [] };
  const once = async (which) => {
    const w = await world.start();
    try {
      const seen = () => requestsOf(w.fake).find(world.isRollback);
      let r;
      if (which === 'bundle') {
        const { env, dir } = await runnerEnv({ ...w.inputs, 'timeout-seconds': '60' });
        r = await timeProcess([bundle], env, seen);
        await rm(dir, { recursive: true, force: true });
      } else {
        r = await timeProcess([join(root, 'bench/promote/replay.mjs'), w.fake.url.replace(/\/graphql\/v2$/, ''), replayFile], process.env);
        if (r.code !== 0) throw new Error(`${name}: the replay failed: ${r.stderr.slice(0, 400)}`);
      }
      const request = seen();
      if (!request) throw new Error(`${name} ${which}: no rollback request (exit ${r.code}: ${r.stderr.slice(0, 400)})`);
      times[which].push(request.at - r.started);
    } finally {
      await w.fake.close();
    }
  };
  for (let i = 0; i < runs; i++) {
    const order = i % 2 ? ['bundle', 'baseline'] : ['baseline', 'bundle'];
    for (const which of order) await once(which);
  }
  await rm(dirname(replayFile), { recursive: true, force: true });
  return { name, requests: sent.length, bundle: median(times.bundle), baseline: median(times.baseline) };
}

async function coldStarts() {
  const out = [];
  for (const name of (await readdir(join(root, 'dist'), { withFileTypes: true }).catch(() => [])).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    const file = join(root, 'dist', name, 'index.js');
    if (!existsSync(file)) continue;
    const times = [];
    for (let i = 0; i < runs; i++) {
      const { env, dir } = await runnerEnv({});
      const r = await timeProcess([file], env);
      await rm(dir, { recursive: true, force: true });
      times.push(r.ended - r.started);
    }
    out.push([name, median(times)]);
  }
  return out;
}

if (!existsSync(bundle)) throw new Error('dist/promote-previous/index.js is missing: run npm run build first');
const only = process.env.BENCH_PROVIDERS?.split(',');
const results = [];
for (const [name, world] of Object.entries(WORLDS)) if (!only || only.includes(name)) results.push(await benchProvider(name, world));
const cold = await coldStarts();

console.log(`Node ${process.version}, ${runs} pairs per provider (alternating order), medians; load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')}.\n`);
console.log('| provider | requests up to the rollback | baseline: fetch replay (ms) | promote-previous bundle (ms) | bundle / baseline | bundle − baseline (ms) |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const r of results) console.log(`| ${r.name} | ${r.requests} | ${r.baseline.toFixed(0)} | ${r.bundle.toFixed(0)} | ${(r.bundle / r.baseline).toFixed(2)}× | ${(r.bundle - r.baseline).toFixed(0)} |`);
console.log('\n| cold start (no inputs) | ms |');
console.log('|---|---:|');
for (const [name, ms] of cold) console.log(`| dist/${name}/index.js | ${ms.toFixed(0)} |`);
const vercel = results.find((r) => r.name === 'vercel');
if (vercel) console.log(`\nGoal: under 300 ms from process start to Vercel's rollback request: ${vercel.bundle < 300 ? 'met' : 'NOT met'} (${vercel.bundle.toFixed(0)} ms).`);
