// What the whole rollback costs on top of the work its phases do. Spawns the root action's bundle
// (dist/rollback) with a no-op component (provider command, `true`) and one HTTP smoke check against
// a local server, and measures in the same run the raw work of those phases: a Node process start,
// the command as the command provider runs it (`timeout … bash -eo pipefail -c true`), and one
// fetch of the check URL. Prints medians and the ratio of the action to the sum of the raw work.
//
//   node bench/rollback/run.mjs [runs]
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { median, runnerEnv } from '../runner.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const runs = Number(process.argv[2] ?? 15);

function timeProcess(command, args, env = process.env) {
  return new Promise((done, fail) => {
    const started = performance.now();
    const child = spawn(command, args, { env, cwd: root, stdio: ['ignore', 'ignore', 'ignore'] });
    child.on('error', fail);
    child.on('close', (code) => done({ ms: performance.now() - started, code }));
  });
}

const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"status":"ok"}');
});
await new Promise((done) => server.listen(0, '127.0.0.1', done));
const base = `http://127.0.0.1:${server.address().port}`;

const raw = { node: [], command: [], fetch: [] };
/** The bundle loading and failing at once (no inputs): what any action pays before its first phase. */
const coldStart = [];
const action = { wall: [], reported: [] };
try {
  for (let i = 0; i < runs; i++) {
    raw.node.push((await timeProcess(process.execPath, ['-e', '0'])).ms);
    const cold = await runnerEnv({});
    coldStart.push((await timeProcess(process.execPath, [join(root, 'dist/rollback/index.js')], cold.env)).ms);
    await rm(cold.dir, { recursive: true, force: true });
    raw.command.push((await timeProcess('timeout', ['--kill-after=10', '180', 'bash', '-eo', 'pipefail', '-c', 'true'])).ms);
    const f = performance.now();
    await (await fetch(`${base}/api/health`)).text();
    raw.fetch.push(performance.now() - f);

    const { env, dir } = await runnerEnv({ reason: 'bench', provider: 'command', command: 'true', 'base-url': base, checks: '- {name: health, url: /api/health}' });
    const r = await timeProcess(process.execPath, [join(root, 'dist/rollback/index.js')], env);
    const outputs = await readFile(env.GITHUB_OUTPUT, 'utf8');
    await rm(dir, { recursive: true, force: true });
    const status = /status<<(\S+)\n([^\n]*)/.exec(outputs)?.[2] ?? /^status=(.*)$/m.exec(outputs)?.[1];
    if (r.code !== 0 || status !== 'rolled-back') throw new Error(`the rollback bundle exited ${r.code} with status ${status}`);
    action.wall.push(r.ms);
    action.reported.push(Number(/duration-ms<<(\S+)\n([^\n]*)/.exec(outputs)?.[2] ?? /^duration-ms=(.*)$/m.exec(outputs)?.[1]));
  }
} finally {
  server.close();
}

const m = (xs) => median(xs);
const rawWork = m(raw.node) + m(raw.command) + m(raw.fetch);
const rows = [
  ['node -e 0 (process start)', m(raw.node)],
  ['command provider work: timeout bash -c true', m(raw.command)],
  ['verify work: one fetch of the check', m(raw.fetch)],
  ['sum of the raw work', rawWork],
  ['rollback bundle, process start to exit', m(action.wall)],
  ['  of which loading the bundle (no inputs, exits at once)', m(coldStart)],
  ['  of which the pipeline itself (duration-ms output)', m(action.reported)],
];
console.log(`rollback bench, ${runs} runs, medians`);
for (const [name, ms] of rows) console.log(`${name.padEnd(58)} ${ms.toFixed(1).padStart(8)} ms  ${(ms / rawWork).toFixed(2)}×`);
console.log(`pipeline overhead over its phases' work: ${(m(action.reported) - m(raw.command) - m(raw.fetch)).toFixed(0)} ms`);
console.log(`ratio: the root action takes ${(m(action.wall) / rawWork).toFixed(2)}× the raw work of its phases (+${(m(action.wall) - rawWork).toFixed(0)} ms)`);
