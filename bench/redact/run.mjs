// The redactor's cost per log line against the least a redactor could do: ten registered strong
// secrets (each with its encoded and base64 forms, as Log.secret registers them) hiding in a mix of
// ordinary log lines (a command's output, SQL, URLs, curl flags, base64) and lines that hold one of
// them, against `line.split(secret).join('***')` over the ten raw secrets only.
//
//   node --import tsx bench/redact/run.mjs [rounds]        (default 15)
//   BENCH_BEFORE=<another src/> node --import tsx bench/redact/run.mjs   also runs that tree's
//   SecretSet.redact and Log.redact in the same rounds ("before" rows), e.g. `git archive` of an
//   earlier commit's src/.
//
// Run it with `--import tsx`: it measures the TypeScript sources as the tests load them. Per
// round, every contender redacts the same lines; the order of the contenders turns each round,
// and each one's ratio is its median over the baseline's median in the same run, with the min–max
// of the per-round ratios. Contenders:
// - SecretSet.redact: the registered forms only (plain string search, and the search through
//   base64 line breaks on multi-line text);
// - SecretSet.redact + wrappedLines: as a program's output is read, one line at a time;
// - Log.redact: what every line goes through (registered forms, then the shapes of credentials
//   never registered: hideKnownTokens).
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { median } from '../runner.mjs';
import { createLog } from '../../src/core/log.ts';
import { SecretSet } from '../../src/core/secrets.ts';

const rounds = Number(process.argv[2] ?? 15);
const LINES = 5000;

const secrets = Array.from({ length: 10 }, (_v, i) => `S3cr3t-${i}-${'k9Xq2ZpL'.repeat(2 + (i % 4))}/${i}`);
const b64 = (s) => Buffer.from(s).toString('base64');
const ordinary = [
  '2026-12-03T19:00:00.123Z info  deploy: promoting dpl_8a7f6e5d4c3b2a19 to production (12 files, 3.2 MB)',
  'Running migration 0042_add_api_key.sql ... done in 12 ms',
  "INSERT INTO orders (id, note) VALUES (1, 'shipped'), (2, 'pending');",
  'GET https://api.example.com/v1/deployments?limit=20&until=1701630000 200 OK (143 ms)',
  'curl -sS -H "Accept: application/json" -H "Content-Type: application/json" https://api.example.com/health',
  'ssh -p 2222 deploy@app-1.internal "systemctl restart app" && echo restarted',
  'npm WARN deprecated inflight@1.0.6: This module is not supported, and leaks memory.',
  '    at processTicksAndRejections (node:internal/process/task_queues:95:5)',
  `MIIDdzCCAl+gAwIBAgIEbVQ3gTANBgkqhkiG9w0BAQsFADBsMRAwDgYDVQQGEwdVbmtub3duMRAwDgYDVQQI`,
  'status: ok; rows: 3; token: refreshed; password: changed',
];
const lines = Array.from({ length: LINES }, (_v, i) => {
  const line = ordinary[i % ordinary.length];
  // One line in ten holds a secret: raw, in a URL, or base64.
  if (i % 10 !== 0) return line;
  const secret = secrets[(i / 10) % secrets.length];
  return [`${line} password=${secret}`, `postgres://app:${encodeURIComponent(secret)}@db:5432/shop`, `Authorization: Basic ${b64(`ci:${secret}`)}`][(i / 10) % 3];
});

const set = new SecretSet();
for (const s of secrets) set.add(s, 'declared');
const log = createLog({ info() {}, warning() {}, debug() {} });
for (const s of secrets) log.secret(s);

const before = {};
if (process.env.BENCH_BEFORE) {
  const { SecretSet: OldSet } = await import(join(resolve(process.env.BENCH_BEFORE), 'core/secrets.ts'));
  const { createLog: oldLog } = await import(join(resolve(process.env.BENCH_BEFORE), 'core/log.ts'));
  const oldSet = new OldSet();
  const old = oldLog({ info() {}, warning() {}, debug() {} });
  for (const s of secrets) {
    oldSet.add(s, 'declared');
    old.secret(s);
  }
  before['before: SecretSet.redact'] = (line) => oldSet.redact(line);
  before['before: Log.redact'] = (line) => old.redact(line);
}

const contenders = {
  'split/join, raw secrets': (line) => {
    for (const s of secrets) line = line.split(s).join('***');
    return line;
  },
  'SecretSet.redact': (line) => set.redact(line),
  'SecretSet.redact + wrappedLines': (() => {
    const filter = set.wrappedLines();
    return (line) => filter(set.redact(line));
  })(),
  'Log.redact': (line) => log.redact(line),
  ...before,
};
const names = Object.keys(contenders);
const times = Object.fromEntries(names.map((n) => [n, []]));
const cpu = Object.fromEntries(names.map((n) => [n, []]));
let sink = 0;
for (let r = 0; r < rounds + 1; r++) {
  const order = names.map((_n, k) => names[(k + r) % names.length]);
  for (const name of order) {
    const redact = contenders[name];
    const started = performance.now();
    const startedCpu = process.cpuUsage();
    for (const line of lines) sink += redact(line).length;
    const used = process.cpuUsage(startedCpu);
    // The first round warms the JIT: not counted.
    if (r > 0) {
      times[name].push(((performance.now() - started) * 1e6) / LINES);
      cpu[name].push(((used.user + used.system) * 1e3) / LINES);
    }
  }
}
const base = times[names[0]];
const ns = (x) => `${x.toFixed(0)} ns`;
console.log(`Node ${process.version}, ${rounds} rounds of ${LINES} lines, ${secrets.length} secrets; checksum ${sink}\n`);
// On a shared machine wall time mostly measures the neighbours: this process's CPU time is compared too.
console.log('| redactor | wall per line, median (min–max) | × split/join (per-round min–max) | CPU per line, median | CPU × split/join |');
console.log('| --- | --- | --- | --- | --- |');
for (const name of names) {
  const t = times[name];
  const ratios = t.map((x, k) => x / base[k]);
  const c = median(cpu[name]);
  console.log(`| ${name} | ${ns(median(t))} (${ns(Math.min(...t))}–${ns(Math.max(...t))}) | ${(median(t) / median(base)).toFixed(1)}× (${Math.min(...ratios).toFixed(1)}–${Math.max(...ratios).toFixed(1)}) | ${ns(c)} | ${(c / median(cpu[names[0]])).toFixed(1)}× |`);
}
