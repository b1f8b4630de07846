// `rollback-kit rollback` stopped by Ctrl-C (SIGINT) while its app phase reads Vercel, before the
// rollback request: the fake Vercel holds the app phase's list of deployments unanswered and never
// answers it before the command has ended, so the stop lands there whatever the timing. No rollback
// request ever reaches Vercel; the command prints its table and ends saying production was not
// touched and what to do, exit 130 (it used to send the request after the stop, and say only that
// what it changed was not known). Once from the source in this process (the signal emitted here),
// once as its own process from the bundle (dist/cli/index.js: it needs a rebuilt dist).
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { shopFixture, TEAM_ID, TOKEN, type ShopFixture } from '../promote-previous/fixture.js';
import { runCli } from './run-cli.js';
import { runMain } from './run-main.js';

let shop: ShopFixture | undefined;
let ws: string | undefined;
afterEach(async () => {
  await shop?.vercel.close();
  if (ws) await rm(ws, { recursive: true, force: true });
  shop = undefined;
  ws = undefined;
});

const LIST = /^GET \/v6\/deployments/;
const ROLLBACK = /^POST \/v1\/projects\/[^/]+\/rollback\//;
const notTouched = (signal: string) => new RegExp(`web: Vercel project shop: the run was stopped \\(${signal}\\) before any request that changes production was sent, so production was not touched: it still serves what it served before this run\\.`);

/** A workspace whose rollback-kit.yml rolls web back on the fake Vercel; the app phase's list of deployments is held (`appList`). */
async function setUp(): Promise<{ cwd: string; env: Record<string, string>; appList: Promise<{ release(): void }> }> {
  shop = await shopFixture({ historySize: 3 });
  ws = await mkdtemp(join(tmpdir(), 'rk-cli-stopped-rollback-'));
  await writeFile(join(ws, 'rollback-kit.yml'), ['components:', `  web: { provider: vercel, project: shop, team: ${TEAM_ID}, api-url: "${shop.vercel.url}" }`, ''].join('\n'));
  // The plan lists the deployments first (its dry run), then the app phase does: that one is held.
  const vercel = shop.vercel;
  const plan = vercel.hold(LIST);
  const appList = plan.reached.then(async () => {
    const app = vercel.hold(LIST);
    plan.release();
    await app.reached;
    return app;
  });
  return { cwd: ws, env: { VERCEL_TOKEN: TOKEN }, appList };
}

/** The held request, or the run's own output when it ended before reaching it (so the test fails saying why, rather than hanging). */
async function reachedBefore<T>(held: Promise<T>, running: Promise<{ stdout: string; stderr: string }>): Promise<T> {
  const ended = running.then((r) => {
    throw new Error(`The command ended before the app phase listed the deployments:\n${r.stdout}\n${r.stderr}`);
  });
  return Promise.race([held, ended]);
}

function expectNotTouched(out: string, signal = 'SIGINT'): void {
  expect(out).toMatch(/Rollback stopped in app/);
  // The last lines: what production is in, and what to do.
  const tail = out.trimEnd().split('\n').slice(-3).join('\n');
  expect(tail).toMatch(notTouched(signal));
  expect(tail).toContain('Run the rollback again when it can run to its end.');
  expect(out).not.toContain('not known');
  expect(shop!.vercel.requestsTo(ROLLBACK)).toEqual([]);
  expect(shop!.vercel.production(shop!.project)?.uid).toBe(shop!.bad.uid);
}

it('from the source: SIGINT before the rollback request, nothing sent, the table and "not touched", exit 130', async () => {
  const { cwd, env, appList } = await setUp();
  const running = runMain(['rollback', 'app', '--reason', 'checkout returns 500', '--yes'], { cwd, env });
  const held = await reachedBefore(appList, running);
  process.emit('SIGINT', 'SIGINT');
  const run = await running;
  held.release();
  expect(run.code).toBe(130);
  expect(run.stderr).toContain('SIGINT: stopping; waiting up to 5 s for the work under way to end');
  expect(run.stdout).toMatch(/app \(web\)\s+│?\s*failed/);
  expectNotTouched(run.stdout);
});

it('its own process, from the bundle: SIGINT before the rollback request, nothing sent, "not touched", exit 130', async () => {
  const { cwd, env, appList } = await setUp();
  let child: { kill(signal: NodeJS.Signals): boolean } | undefined;
  const running = runCli(['rollback', 'app', '--reason', 'checkout returns 500', '--yes'], { cwd, env, onSpawn: (c) => (child = c) });
  const held = await reachedBefore(appList, running);
  child!.kill('SIGINT');
  const run = await running;
  held.release();
  expect(run.signal).toBeNull();
  expect(run.code).toBe(130);
  expectNotTouched(run.stdout);
});

// An SSH session that drops sends SIGHUP: the same stop, and the same last lines. It used to kill
// the command at once (exit 129), with none of them.
it('its own process, from the bundle: SIGHUP before the rollback request, nothing sent, "not touched", exit 129', async () => {
  const { cwd, env, appList } = await setUp();
  let child: { kill(signal: NodeJS.Signals): boolean } | undefined;
  const running = runCli(['rollback', 'app', '--reason', 'checkout returns 500', '--yes'], { cwd, env, onSpawn: (c) => (child = c) });
  const held = await reachedBefore(appList, running);
  child!.kill('SIGHUP');
  const run = await running;
  held.release();
  expect([run.code, run.signal]).toEqual([129, null]);
  expect(run.stderr).toContain('SIGHUP: stopping; waiting up to 5 s for the work under way to end');
  expect(run.stdout).toMatch(/Rollback stopped in app/);
  expectNotTouched(run.stdout, 'SIGHUP');
});

it('from the source: SIGINT while the rollback request is on its way, it finishes, and the last lines say sent, not confirmed, and what to check', async () => {
  shop = await shopFixture({ historySize: 3 });
  ws = await mkdtemp(join(tmpdir(), 'rk-cli-stopped-rollback-'));
  await writeFile(join(ws, 'rollback-kit.yml'), ['components:', `  web: { provider: vercel, project: shop, team: ${TEAM_ID}, api-url: "${shop.vercel.url}" }`, ''].join('\n'));
  const post = shop.vercel.hold(ROLLBACK);
  const running = runMain(['rollback', 'app', '--reason', 'checkout returns 500', '--yes'], { cwd: ws, env: { VERCEL_TOKEN: TOKEN } });
  await reachedBefore(post.reached, running);
  // Emitted here, the stop has reached the run before the held request is answered.
  process.emit('SIGINT', 'SIGINT');
  post.release();
  const run = await running;
  expect(run.code).toBe(130);
  const tail = run.stdout.trimEnd().split('\n').slice(-4).join('\n');
  expect(tail).toMatch(/web: Vercel project shop: the run was stopped \(SIGINT\) after POST \/v1\/projects\/[^ ]+ to Vercel was sent, before the rollback was confirmed live: production may be rolled back or may still serve the bad release \(sent, not confirmed\)\./);
  expect(tail).toContain('Check what production serves in the Vercel dashboard (project shop → Deployments: which one is Current). Re-running the same rollback continues it');
  // If the rollback went through, Vercel holds new pushes back: said as the re-run below says it.
  expect(tail).toContain('• If the rollback of web went through, Vercel will not put new pushes of web live until a deployment is promoted: promote the fixed deployment when it is ready.');
  expect(run.stdout).not.toContain('not known');
  expect(shop.vercel.requestsTo(ROLLBACK)).toHaveLength(1);
});

// A command component cannot be asked what it serves: after a stop mid-command, the advice must not
// promise that a re-run recognises the rollback; it runs the command again.
it('from the source: SIGINT while a rollback command runs, exit 130, and the advice says a re-run runs the command again', async () => {
  ws = await mkdtemp(join(tmpdir(), 'rk-cli-stopped-command-'));
  await writeFile(join(ws, 'rollback-kit.yml'), ['components:', "  jobs: { provider: command, command: 'touch started; sleep 30', target: v41 }", ''].join('\n'));
  const running = runMain(['rollback', 'app', '--reason', 'jobs stuck', '--yes'], { cwd: ws, env: {} });
  const started = join(ws, 'started');
  const ended = running.then((r) => {
    throw new Error(`The command ended before the rollback command started:\n${r.stdout}\n${r.stderr}`);
  });
  await Promise.race([
    (async () => {
      while (!existsSync(started)) await new Promise((r) => setTimeout(r, 20));
    })(),
    ended,
  ]);
  ended.catch(() => undefined);
  process.emit('SIGINT', 'SIGINT');
  const run = await running;
  expect(run.code).toBe(130);
  expect(run.stdout).toMatch(/Rollback stopped in app/);
  expect(run.stdout).toContain('the rollback command: the run was stopped (SIGINT) after the rollback command was sent');
  expect(run.stdout).toContain('Re-running the same rollback runs the command again from the start');
  expect(run.stdout).not.toContain('recognised and left alone');
});

// The stop above came after Vercel had the rollback request: it went live, and Vercel switched off
// automatic domain assignment. The re-run finds the app already rolled back (nothing to do), and
// must still say that new pushes will not go live: the stopped run could not (it never saw the
// rollback confirmed), so without it nobody is told. `rollback-kit promote` in that state says
// "Frozen: …"; the rollback's next steps used to say it only on the run that made the change.
it('from the source: the re-run after a stop that sent the Vercel rollback says new pushes will not go live', async () => {
  shop = await shopFixture({ historySize: 3 });
  ws = await mkdtemp(join(tmpdir(), 'rk-cli-stopped-rollback-'));
  await writeFile(join(ws, 'rollback-kit.yml'), ['components:', `  web: { provider: vercel, project: shop, team: ${TEAM_ID}, api-url: "${shop.vercel.url}" }`, ''].join('\n'));
  const argv = ['rollback', 'app', '--from', shop.bad.uid, '--reason', 'checkout returns 500', '--yes'];
  const post = shop.vercel.hold(ROLLBACK);
  const running = runMain(argv, { cwd: ws, env: { VERCEL_TOKEN: TOKEN } });
  await reachedBefore(post.reached, running);
  process.emit('SIGINT', 'SIGINT');
  post.release();
  expect((await running).code).toBe(130);
  // Vercel finishes the alias job by the time anyone looks again (the fake moves it on a status poll).
  shop.project.job.pendingPolls = 0;
  shop.project.job.inProgressPolls = 0;

  const again = await runMain(argv, { cwd: ws, env: { VERCEL_TOKEN: TOKEN } });
  expect(again.code).toBe(0);
  expect(shop.vercel.production(shop.project)?.uid).toBe(shop.good.uid);
  expect(shop.project.autoAssignCustomDomains).toBe(false);
  expect(again.stdout).toContain('Nothing to roll back: production already runs web');
  expect(again.stdout).toContain('Vercel will not put new pushes of web live until a deployment is promoted');
  const json = await runMain([...argv, '--json'], { cwd: ws, env: { VERCEL_TOKEN: TOKEN } });
  const { record } = JSON.parse(json.stdout) as { record: { status: string; nextSteps: string[] } };
  expect(record.status).toBe('nothing-to-do');
  expect(record.nextSteps).toContain('Vercel will not put new pushes of web live until a deployment is promoted: promote the fixed deployment when it is ready.');
  expect(shop.vercel.requestsTo(ROLLBACK)).toHaveLength(1);
});

// Stopped after the rollback request was sent, then stopped again while the closing chat message was
// on its way (a webhook that does not answer): the run did not end within its grace, and the last
// line used to say only that what it had changed was not known, while the rows above said where the
// app stood. It now says what the rows say, and "not known" only of the phase still under way.
it('from the source: a second SIGINT past the app row: the last line says what the rows say, "not known" only of the phase under way', async () => {
  shop = await shopFixture({ historySize: 3 });
  ws = await mkdtemp(join(tmpdir(), 'rk-cli-stopped-rollback-'));
  await writeFile(join(ws, 'rollback-kit.yml'), ['components:', `  web: { provider: vercel, project: shop, team: ${TEAM_ID}, api-url: "${shop.vercel.url}" }`, ''].join('\n'));
  // The chat webhook: the start message is taken, the closing one never answered.
  let messages = 0;
  let closing = (): void => undefined;
  const closingReached = new Promise<void>((resolve) => (closing = resolve));
  const webhook = createServer((req, res) => {
    req.resume();
    if (++messages === 1) res.writeHead(200).end('ok');
    else closing();
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  try {
    const hook = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`;
    const post = shop.vercel.hold(ROLLBACK);
    const running = runMain(['rollback', 'app', '--reason', 'checkout returns 500', '--yes'], { cwd: ws, env: { VERCEL_TOKEN: TOKEN, ROLLBACK_WEBHOOK_URL: hook } });
    await reachedBefore(post.reached, running);
    process.emit('SIGINT', 'SIGINT');
    post.release();
    await reachedBefore(closingReached, running);
    // The second stop ends the wait for the closing message at once.
    process.emit('SIGINT', 'SIGINT');
    const run = await running;
    expect(run.code).toBe(130);
    expect(run.stderr).toMatch(/app \(web\).*sent, not confirmed/);
    expect(run.stderr).toContain(
      'rollback-kit rollback was stopped by SIGINT and its work did not end within 5 s: the app rollback of web was sent (not confirmed); what the notify-end phase had done by then is not known.',
    );
    expect(run.stderr).not.toContain('what it had changed by then is not known');
  } finally {
    webhook.closeAllConnections();
    await new Promise((resolve) => webhook.close(resolve));
  }
});
