// bench/smoke: the smoke test at 1 / 10 / 100 HTTP checks × 20 samples against a local server,
// each size measured against its baseline in the same run. Not a test.
//
//   processes      a raw fetch script (node started, the same requests with the same concurrency,
//                  read the body, check the status, nothing else), and the built bundle spawned as
//                  the runner does (node start-up, inputs, report files, summary); each round
//                  rotates which runs first
//   in-process     the same raw requests in this process against runSmokeTest (parse, probes,
//                  assertions, stats, verdict, report): the checker's own cost without start-up;
//                  the pair alternates which goes first
//
// Medians with min–max over the rounds; ratios are medians of each round's own ratio.
//
//   node bench/smoke/run.mjs                                  # 5 rounds, 1,10,100 checks
//   BENCH_ROUNDS=9 BENCH_CHECKS=1,10,100,500 node bench/smoke/run.mjs
//   BENCH_BEFORE=<a copy of an older dist/> adds that build's bundle to the same rounds
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import ncc from '@vercel/ncc';
import { median, runnerEnv } from '../runner.mjs';

const root = resolve(import.meta.dirname, '../..');
const SIZES = (process.env.BENCH_CHECKS || '1,10,100').split(',').map(Number);
const SAMPLES = 20;
// The library's defaults (run-checks.ts): 4 checks at a time, 5 samples of each in flight.
const CHECK_CONCURRENCY = 4;
const SAMPLE_CONCURRENCY = 5;
const rounds = Number(process.env.BENCH_ROUNDS || 5);

/** Bundles the library entry (src/smoke/smoke-test.ts) so this plain script can import it. */
async function loadLibrary(dir) {
  const { code } = await ncc(join(root, 'src/smoke/smoke-test.ts'), { quiet: true, target: 'es2022', transpileOnly: true });
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  writeFileSync(join(dir, 'smoke.js'), code);
  const specCode = (await ncc(join(root, 'src/smoke/parse-spec.ts'), { quiet: true, target: 'es2022', transpileOnly: true })).code;
  writeFileSync(join(dir, 'spec.js'), specCode);
  return { ...(await import(pathToFileURL(join(dir, 'smoke.js')).href)), ...(await import(pathToFileURL(join(dir, 'spec.js')).href)) };
}

function startServer() {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'server.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((done, fail) => {
    child.stdout.once('data', (d) => done({ url: d.toString().trim(), stop: () => child.stdin.end() }));
    child.once('error', fail);
  });
}

// The baseline's work, as source: run in this process (in-process pair) and as its own script
// (process pair), so both baselines are the same code.
const RAW_FN = `
async function mapLimit(items, limit, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) { const i = next++; await fn(items[i], i); }
  }));
}
async function raw(url, checks, samples, checkConcurrency, sampleConcurrency) {
  let failed = 0;
  await mapLimit(Array.from({ length: checks }, (_, i) => i), checkConcurrency, (i) =>
    mapLimit(Array.from({ length: samples }), sampleConcurrency, async () => {
      const res = await fetch(url + '/health?i=' + i, { signal: AbortSignal.timeout(10000) });
      await res.text();
      if (res.status !== 200) failed++;
    }));
  if (failed) throw new Error('raw: ' + failed + ' requests failed');
}`;
const RAW_SCRIPT = `${RAW_FN}
const [url, checks, samples, cc, sc] = process.argv.slice(2);
await raw(url, Number(checks), Number(samples), Number(cc), Number(sc));
`;
const raw = new Function(`${RAW_FN}; return raw;`)();

const specFor = (checks) =>
  Array.from(
    { length: checks },
    (_, i) => `- name: endpoint ${i}\n  url: /health?i=${i}\n  status: 200\n  body-contains: ok\n  json: {status: ok, checks.db.latency_ms: {less-than: 100}}\n  header: {content-type: {contains: json}}`,
  ).join('\n');

function timeProcess(args, env) {
  const t = performance.now();
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code) => (code === 0 ? done(performance.now() - t) : fail(new Error(`${args[0]} exited ${code}: ${err.slice(0, 300)}`))));
  });
}

async function rawProcess(script, url, checks) {
  return timeProcess([script, url, String(checks), String(SAMPLES), String(CHECK_CONCURRENCY), String(SAMPLE_CONCURRENCY)], process.env);
}

async function bundle(dist, url, checks) {
  const { env, dir } = await runnerEnv({ 'base-url': url, checks: specFor(checks), samples: String(SAMPLES), attempts: '1' });
  try {
    return await timeProcess([join(dist, 'smoke-test/index.js')], env);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function rawInProcess(url, checks) {
  const t = performance.now();
  await raw(url, checks, SAMPLES, CHECK_CONCURRENCY, SAMPLE_CONCURRENCY);
  return performance.now() - t;
}

const quiet = { info() {}, warning() {}, debug() {}, secret() {}, redact: (t) => t, excerpt: (t) => t };
async function library(lib, url, checks) {
  const parsed = lib.parseChecks(specFor(checks), { baseUrl: url, hasDatabase: false });
  const t = performance.now();
  const { verdict } = await lib.runSmokeTest(parsed, { attempts: 1, intervalSeconds: 0, backoff: 'fixed', timeoutSeconds: 10, samples: SAMPLES, maxErrorRate: 5, maxP95Ms: 3000, deadlineSeconds: 120 }, quiet);
  const ms = performance.now() - t;
  if (!verdict.passed) throw new Error(`library: verdict ${verdict.severity}`);
  return ms;
}

/** Runs `a` and `b` once each, the first of them alternating by round. */
async function pair(round, a, b) {
  if (round % 2) {
    const tb = await b();
    return [await a(), tb];
  }
  const ta = await a();
  return [ta, await b()];
}

const work = mkdtempSync(join(tmpdir(), 'rk-bench-smoke-'));
const server = await startServer();
try {
  const lib = await loadLibrary(work);
  const script = join(work, 'raw.mjs');
  writeFileSync(script, RAW_SCRIPT);
  // Warm-up: connection pools, JIT, the OS's socket tables, the file cache for the bundle.
  await rawInProcess(server.url, 10);
  await library(lib, server.url, 10);
  await bundle(join(root, 'dist'), server.url, 1);
  const processes = [
    { name: 'rawProcess', run: (n) => rawProcess(script, server.url, n) },
    { name: 'bundle', run: (n) => bundle(join(root, 'dist'), server.url, n) },
    ...(process.env.BENCH_BEFORE ? [{ name: 'before', run: (n) => bundle(resolve(process.env.BENCH_BEFORE), server.url, n) }] : []),
  ];
  const times = Object.fromEntries(SIZES.map((n) => [n, { rawInProcess: [], library: [], ...Object.fromEntries(processes.map((p) => [p.name, []])) }]));
  for (let r = 0; r < rounds; r++) {
    for (const n of SIZES) {
      const t = times[n];
      for (let k = 0; k < processes.length; k++) {
        const p = processes[(r + k) % processes.length];
        t[p.name].push(await p.run(n));
      }
      const [ri, l] = await pair(r + 1, () => rawInProcess(server.url, n), () => library(lib, server.url, n));
      t.rawInProcess.push(ri);
      t.library.push(l);
    }
  }
  const fmt = (xs) => `${median(xs).toFixed(0)} ms (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
  // Ratios and differences are medians of each round's own pair, not of the two medians.
  const perPair = (xs, base, f) => median(xs.map((x, i) => f(x, base[i])));
  const ratio = (xs, base) => `${perPair(xs, base, (x, y) => x / y).toFixed(2)}×`;
  const before = process.env.BENCH_BEFORE;
  console.log(`smoke bench: ${SAMPLES} samples per check, ${CHECK_CONCURRENCY} checks × ${SAMPLE_CONCURRENCY} samples in flight, ${rounds} rounds, order rotated each round, medians (min–max); node ${process.version}\n`);
  console.log(`| checks (requests) | raw fetch script | smoke-test bundle | bundle / raw |${before ? ' before: bundle | before / raw |' : ''}`);
  console.log(`| ---: | --- | --- | --- |${before ? ' --- | --- |' : ''}`);
  for (const n of SIZES) {
    const t = times[n];
    const b = before ? ` ${fmt(t.before)} | ${ratio(t.before, t.rawProcess)} |` : '';
    console.log(`| ${n} (${(n * SAMPLES).toLocaleString('en-US')}) | ${fmt(t.rawProcess)} | ${fmt(t.bundle)} | ${ratio(t.bundle, t.rawProcess)} |${b}`);
  }
  console.log('\n| checks (requests) | in-process raw fetch | runSmokeTest in-process | library / raw | library overhead per check |');
  console.log('| ---: | --- | --- | --- | --- |');
  for (const n of SIZES) {
    const t = times[n];
    console.log(`| ${n} (${(n * SAMPLES).toLocaleString('en-US')}) | ${fmt(t.rawInProcess)} | ${fmt(t.library)} | ${ratio(t.library, t.rawInProcess)} | ${perPair(t.library, t.rawInProcess, (x, y) => (x - y) / n).toFixed(2)} ms |`);
  }
} finally {
  server.stop();
  rmSync(work, { recursive: true, force: true });
}
