// bench/smoke: 50 checks × 20 samples against a local server, measured three ways in the same run:
//   raw     the same 1,000 requests with plain fetch and the same concurrency (4 checks × 5 samples)
//   library runSmokeTest in this process (parse, probes, assertions, stats, verdict, report)
//   action  the committed bundle, spawned as the runner does (node startup and report files included)
// Prints medians, requests per second, and the overhead per check over raw fetch. Not a test.
//
//   node bench/smoke/run.mjs                 # 5 rounds
//   BENCH_ROUNDS=9 node bench/smoke/run.mjs
/* global AbortSignal */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import ncc from '@vercel/ncc';

const root = resolve(import.meta.dirname, '../..');
const CHECKS = 50;
const SAMPLES = 20;
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

async function mapLimit(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

const spec = Array.from(
  { length: CHECKS },
  (_, i) => `- name: endpoint ${i}\n  url: /health?i=${i}\n  status: 200\n  body-contains: ok\n  json: {status: ok, checks.db.latency_ms: {less-than: 100}}\n  header: {content-type: {contains: json}}`,
).join('\n');

/** The baseline: the same requests and concurrency, fetch + read the body + check the status, nothing else. */
async function raw(url) {
  const t = performance.now();
  let failed = 0;
  await mapLimit(Array.from({ length: CHECKS }, (_, i) => i), CHECK_CONCURRENCY, (i) =>
    mapLimit(Array.from({ length: SAMPLES }), SAMPLE_CONCURRENCY, async () => {
      const res = await fetch(`${url}/health?i=${i}`, { signal: AbortSignal.timeout(10_000) });
      await res.text();
      if (res.status !== 200) failed++;
    }),
  );
  if (failed) throw new Error(`raw: ${failed} requests failed`);
  return performance.now() - t;
}

async function library(lib, url) {
  const log = { info() {}, warning() {}, debug() {}, secret() {}, redact: (t) => t };
  const checks = lib.parseChecks(spec, { baseUrl: url, hasDatabase: false });
  const t = performance.now();
  const { verdict } = await lib.runSmokeTest(checks, { attempts: 1, intervalSeconds: 0, backoff: 'fixed', timeoutSeconds: 10, samples: SAMPLES, maxErrorRate: 5, maxP95Ms: 3000, deadlineSeconds: 120 }, log);
  const ms = performance.now() - t;
  if (!verdict.passed) throw new Error(`library: verdict ${verdict.severity}`);
  return ms;
}

function action(url, work) {
  const env = { ...process.env, RUNNER_TEMP: work, GITHUB_OUTPUT: join(work, 'out'), GITHUB_STEP_SUMMARY: join(work, 'summary.md') };
  for (const f of ['out', 'summary.md']) writeFileSync(join(work, f), '');
  Object.assign(env, { 'INPUT_BASE-URL': url, INPUT_CHECKS: spec, INPUT_SAMPLES: String(SAMPLES), INPUT_ATTEMPTS: '1' });
  const t = performance.now();
  const child = spawn(process.execPath, [join(root, 'dist/smoke-test/index.js')], { env, stdio: 'ignore' });
  return new Promise((done, fail) => child.on('close', (code) => (code === 0 ? done(performance.now() - t) : fail(new Error(`action exited ${code}`)))));
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const work = mkdtempSync(join(tmpdir(), 'rk-bench-smoke-'));
const server = await startServer();
try {
  const lib = await loadLibrary(work);
  // Warm-up: connection pools, JIT, the OS's socket tables.
  await raw(server.url);
  await library(lib, server.url);
  const times = { raw: [], library: [], action: [] };
  for (let r = 0; r < rounds; r++) {
    // Interleaved, so drift on a shared machine hits every variant alike.
    times.raw.push(await raw(server.url));
    times.library.push(await library(lib, server.url));
    times.action.push(await action(server.url, work));
  }
  const requests = CHECKS * SAMPLES;
  console.log(`smoke bench: ${CHECKS} checks × ${SAMPLES} samples = ${requests} requests, ${rounds} rounds, medians (node ${process.version})`);
  console.log('variant   wall ms   req/s    overhead/check vs raw (median of per-round differences)   ratio');
  for (const [name, xs] of Object.entries(times)) {
    const m = median(xs);
    // Per-round pairs: each variant is compared with the raw run just before it, not with another minute's noise.
    const diffs = xs.map((x, i) => (x - times.raw[i]) / CHECKS);
    const ratios = xs.map((x, i) => x / times.raw[i]);
    const overhead = name === 'raw' ? '-' : `${median(diffs).toFixed(2)} ms`;
    const ratio = name === 'raw' ? '-' : `×${median(ratios).toFixed(2)}`;
    console.log(`${name.padEnd(9)} ${m.toFixed(0).padStart(7)}   ${Math.round(requests / (m / 1000)).toString().padStart(6)}   ${overhead.padEnd(56)}   ${ratio}`);
  }
} finally {
  server.stop();
  rmSync(work, { recursive: true, force: true });
}
