// promote-previous (vercel) as history grows: process start → rollback request for the bundle,
// against a minimal fetch script doing the same work (page through the production list from
// production's createdAt until a READY, promoted deployment from another commit, then POST the
// rollback), on the local Vercel API server the tests use, with the last good deployment the oldest
// of 20 / 1,000 / 10,000. Each round rotates which variant runs first; medians with min–max.
//
//   node --import tsx bench/promote/deep.mjs [rounds]      (default 5; BENCH_SIZES=20,1000,10000)
//   BENCH_BEFORE=<a copy of an older dist/> adds that build's bundle to the same rounds
// (tsx loads the Vercel stand-in, src/sandbox/vercel-api.ts, as the tests use it)
import { spawn } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { median, runnerEnv } from '../runner.mjs';
import { startFakeVercel } from '../../src/sandbox/vercel-api.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const rounds = Number(process.argv[2] ?? 5);
const sizes = (process.env.BENCH_SIZES ?? '20,1000,10000').split(',').map(Number);
const now = () => performance.timeOrigin + performance.now();

// The baseline: what any script must do, no checks, no retries, no logging.
const RAW = `
const [api, token, team, project] = process.argv.slice(2);
const get = async (path) => (await fetch(api + path, { headers: { authorization: 'Bearer ' + token } })).json();
const p = await get('/v9/projects/' + project + '?teamId=' + team);
const prod = (await get('/v13/deployments/' + p.targets.production.id + '?teamId=' + team));
let until = prod.createdAt, target;
while (!target && until) {
  const page = await get('/v6/deployments?teamId=' + team + '&projectId=' + p.id + '&target=production&limit=100&until=' + until);
  target = page.deployments.find((d) => d.readyState === 'READY' && d.readySubstate !== 'STAGED' && d.meta?.githubCommitSha !== prod.meta?.githubCommitSha);
  until = page.pagination.next;
}
await fetch(api + '/v1/projects/' + p.id + '/rollback/' + target.uid + '?teamId=' + team, { method: 'POST', headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' }, body: '{}' });
`;

function timeProcess(args, env) {
  return new Promise((done, fail) => {
    const started = now();
    const child = spawn(process.execPath, args, { env, cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', fail);
    child.on('close', (code) => done({ started, code, err }));
  });
}

const rawFile = join(root, 'bench/promote/.raw-rollback.mjs');
await writeFile(rawFile, RAW);
const rawArgs = (url) => [rawFile, url, 'bench-token-0123456789', 'team_bench', 'shop'];
const variants = [
  { name: 'raw', args: rawArgs },
  { name: 'bundle', args: () => [join(root, 'dist/promote-previous/index.js')] },
  ...(process.env.BENCH_BEFORE ? [{ name: 'before', args: () => [join(process.env.BENCH_BEFORE, 'promote-previous/index.js')] }] : []),
];
const rows = [];
try {
  for (const size of sizes) {
    const vercel = await startFakeVercel();
    vercel.addTeam('team_bench', 'bench');
    vercel.addToken('bench-token-0123456789', 'user_bench', ['team_bench']);
    const project = vercel.addProject({ name: 'shop', owner: 'team_bench' });
    const good = vercel.addDeployment(project);
    for (let i = 0; i < size - 2; i++) vercel.addDeployment(project, { substate: 'STAGED' });
    const bad = vercel.addDeployment(project, { production: true });
    const times = Object.fromEntries(variants.map((v) => [v.name, []]));
    try {
      for (let r = 0; r < rounds; r++) {
        for (let k = 0; k < variants.length; k++) {
          const v = variants[(r + k) % variants.length];
          vercel.setProduction(project, bad);
          const { env, dir } = await runnerEnv({ 'vercel-token': 'bench-token-0123456789', project: 'shop', team: 'team_bench', 'api-url': vercel.url, 'timeout-seconds': '600' });
          const seen = vercel.requests.length;
          const run = await timeProcess(v.args(vercel.url), env);
          await rm(dir, { recursive: true, force: true });
          const post = vercel.requests.slice(seen).find((q) => q.method === 'POST' && /\/rollback\//.test(q.path));
          if (!post || !post.path.includes(good.uid)) throw new Error(`${v.name} at ${size} did not roll back to the good deployment: ${run.err.slice(0, 300)}`);
          times[v.name].push(post.at - run.started);
        }
      }
    } finally {
      await vercel.close();
    }
    rows.push({ size, ...times });
  }
} finally {
  await rm(rawFile, { force: true });
}
const fmt = (xs) => `${median(xs).toFixed(0)} ms (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
// Ratios are medians of each round's own ratio, not a ratio of two medians.
const ratio = (xs, base) => `${median(xs.map((x, i) => x / base[i])).toFixed(2)}×`;
const before = process.env.BENCH_BEFORE ? ' before: bundle | before / raw |' : '';
console.log(`${rounds} rounds, order rotated each round; start → rollback request, medians (min–max); node ${process.version}\n`);
console.log(`| deployments (target the oldest) | minimal fetch script | promote-previous bundle | bundle / raw |${before}`);
console.log(`| ---: | --- | --- | --- |${before ? ' --- | --- |' : ''}`);
for (const r of rows) {
  const b = before ? ` ${fmt(r.before)} | ${ratio(r.before, r.raw)} |` : '';
  console.log(`| ${r.size.toLocaleString('en-US')} | ${fmt(r.raw)} | ${fmt(r.bundle)} | ${ratio(r.bundle, r.raw)} |${b}`);
}
