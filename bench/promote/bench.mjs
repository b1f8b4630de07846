// How fast promote-previous gets to the point that matters in an incident: the rollback request.
// Spawns the promote-previous bundle against the local Vercel API server (src/sandbox/vercel-api.ts, the one the tests and the sandbox use)
// and measures process start → POST /v1/projects/…/rollback/… as the server saw it, then each
// bundle's cold start (`node dist/<name>/index.js` with no inputs). Every number is also shown as
// a ratio to `node -e 0` measured in the same run, so results compare across machines.
//
//   node bench/promote/bench.mjs [runs]
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { compiledModule, median, runnerEnv } from '../runner.mjs';

const { startFakeVercel } = await compiledModule('sandbox/vercel-api.js');

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const runs = Number(process.argv[2] ?? 15);
const now = () => performance.timeOrigin + performance.now();
function timeProcess(args, env) {
  return new Promise((done, fail) => {
    const started = now();
    const child = spawn(process.execPath, args, { env, cwd: root, stdio: ['ignore', 'ignore', 'ignore'] });
    child.on('error', fail);
    child.on('close', (code) => done({ started, ended: now(), code }));
  });
}

async function baseline() {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const r = await timeProcess(['-e', '0'], process.env);
    times.push(r.ended - r.started);
  }
  return median(times);
}

async function timeToRollbackRequest() {
  const vercel = await startFakeVercel();
  vercel.addTeam('team_bench', 'bench');
  vercel.addToken('bench-token-0123456789', 'user_bench', ['team_bench']);
  const project = vercel.addProject({ name: 'shop', owner: 'team_bench' });
  for (let i = 0; i < 30; i++) vercel.addDeployment(project);
  const good = vercel.addDeployment(project);
  // Pushes after an earlier rollback: built but never live, so `previous` must page past them.
  for (let i = 0; i < 120; i++) vercel.addDeployment(project, { substate: 'STAGED' });
  const sameCommit = vercel.addDeployment(project, { sha: 'b'.repeat(40) });
  const bad = vercel.addDeployment(project, { sha: 'b'.repeat(40), production: true });
  project.job.pendingPolls = 1;
  project.job.inProgressPolls = 1;
  const toRequest = [];
  const toExit = [];
  try {
    for (let i = 0; i < runs; i++) {
      vercel.setProduction(project, bad);
      project.lastAliasRequest = undefined;
      const { env, dir } = await runnerEnv({ 'vercel-token': 'bench-token-0123456789', project: 'shop', team: 'team_bench', 'api-url': vercel.url });
      const seen = vercel.requests.length;
      const r = await timeProcess([join(root, 'dist/promote-previous/index.js')], env);
      await rm(dir, { recursive: true, force: true });
      const post = vercel.requests.slice(seen).find((q) => q.method === 'POST' && /\/rollback\//.test(q.path));
      if (r.code !== 0 || !post) throw new Error(`run ${i} did not roll back (exit ${r.code})`);
      if (vercel.production(project).uid !== good.uid || sameCommit.uid === good.uid) throw new Error(`run ${i} rolled back to the wrong deployment`);
      toRequest.push(post.at - r.started);
      toExit.push(r.ended - r.started);
    }
  } finally {
    await vercel.close();
  }
  return { toRequest: median(toRequest), toExit: median(toExit) };
}

async function coldStarts() {
  const out = [];
  for (const name of (await readdir(join(root, 'dist'), { withFileTypes: true }).catch(() => [])).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    const bundle = join(root, 'dist', name, 'index.js');
    if (!existsSync(bundle)) continue;
    const times = [];
    for (let i = 0; i < runs; i++) {
      const { env, dir } = await runnerEnv({});
      const r = await timeProcess([bundle], env);
      await rm(dir, { recursive: true, force: true });
      times.push(r.ended - r.started);
    }
    out.push([name, median(times)]);
  }
  return out;
}

const base = await baseline();
const promote = existsSync(join(root, 'dist/promote-previous/index.js')) ? await timeToRollbackRequest() : undefined;
const cold = await coldStarts();
const row = (label, ms) => `| ${label} | ${ms.toFixed(0)} | ${(ms / base).toFixed(2)}× |`;
console.log(`Node ${process.version}, ${runs} runs each, medians.\n`);
console.log('| measure | ms | × node -e 0 |');
console.log('|---|---:|---:|');
console.log(row('baseline: node -e 0', base));
if (promote) {
  console.log(row('promote-previous: start → rollback request (122 skipped, 2 list pages)', promote.toRequest));
  console.log(row('promote-previous: start → exit (incl. alias job, 3 polls at 250 ms)', promote.toExit));
}
for (const [name, ms] of cold) console.log(row(`cold start: dist/${name}/index.js (no inputs)`, ms));
if (promote) console.log(`\nGoal: under 300 ms to the rollback request: ${promote.toRequest < 300 ? 'met' : 'NOT met'} (${promote.toRequest.toFixed(0)} ms).`);
