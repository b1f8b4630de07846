// Every platform provider stopped (Ctrl-C, a cancelled job: the run's AbortSignal) at a point the
// fake API holds still: at its first request, nothing that changes production is ever sent and the
// error says production was not touched; at its first change, that request is let finish, nothing
// follows it, and the error says it was sent and not confirmed, and where to check.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { promotePrevious, type PromoteRequest } from '../../src/platforms/promote.js';
import { failure, type FakeHttp } from './fake-http.js';
import { startFakeFly } from './fake-fly.js';
import { SITE_ID, startFakeNetlify } from './fake-netlify.js';
import { ENVIRONMENT, PROJECT, SERVICE, startFakeRailway } from './fake-railway.js';
import { SERVICE_ID, startFakeRender } from './fake-render.js';
import { tempDir } from '../helpers/temp-dir.js';

let fake: FakeHttp | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

interface Case {
  /** The fake, with a history to roll back in, and the request for promotePrevious. */
  start(signal: AbortSignal): Promise<{ f: FakeHttp; request: PromoteRequest }>;
  /** The requests (by the fake's key) that change production. */
  changes: RegExp;
  subject: string;
}

const common = (signal: AbortSignal) => ({ target: 'previous', timeoutSeconds: 120, dryRun: false, pollIntervalMs: 1, signal });

const CASES: Record<string, Case> = {
  render: {
    async start(signal) {
      const f = await startFakeRender();
      f.addToken('rnd_stopped_token_0000');
      f.deploy();
      f.deploy();
      f.deploy();
      return { f, request: { provider: 'render', token: 'rnd_stopped_token_0000', service: SERVICE_ID, apiUrl: f.url, ...common(signal) } };
    },
    changes: /^(PATCH|POST) /,
    subject: `Render service ${SERVICE_ID}`,
  },
  netlify: {
    async start(signal) {
      const f = await startFakeNetlify();
      f.addToken('nfp_stopped_token_0000');
      f.deploy();
      f.deploy();
      f.deploy();
      return { f, request: { provider: 'netlify', token: 'nfp_stopped_token_0000', site: SITE_ID, apiUrl: f.url, ...common(signal) } };
    },
    changes: /^POST /,
    subject: `Netlify site ${SITE_ID}`,
  },
  railway: {
    async start(signal) {
      const f = await startFakeRailway();
      f.addProjectToken('rwy-stopped-token-0000', PROJECT, ENVIRONMENT);
      f.deploy({});
      f.deploy({});
      return { f, request: { provider: 'railway', token: 'rwy-stopped-token-0000', project: PROJECT, environment: ENVIRONMENT, service: SERVICE, apiUrl: f.url, ...common(signal) } };
    },
    changes: /^deploymentRollback$/,
    subject: `Railway service ${SERVICE}`,
  },
  fly: {
    async start(signal) {
      const f = await startFakeFly();
      f.addToken('FlyV1 stopped_token_0000', ['hotdash']);
      f.release({});
      const bad = f.release({});
      for (let i = 0; i < 2; i++) f.machine(bad.imageRef);
      return { f, request: { provider: 'fly', token: 'FlyV1 stopped_token_0000', app: 'hotdash', apiUrl: f.url, machinesApiUrl: f.url, registryUrl: f.url, ...common(signal) } };
    },
    changes: /^POST \/v1\/apps\/hotdash\/machines\/[^/]+$/,
    subject: 'Fly app hotdash',
  },
};

describe.each(Object.entries(CASES))('%s, stopped', (_name, c) => {
  it('at its first request: nothing that changes production is sent, and production was not touched', async () => {
    const stop = new AbortController();
    const { f, request } = await c.start(stop.signal);
    fake = f;
    const held = f.hold(/./);
    const running = promotePrevious(request, memoryLog());
    await held.reached;
    stop.abort(new Error('stopped by SIGINT'));
    held.release();
    const err = await failure(running);
    expect(err.message).toContain(`${c.subject}: the run was stopped (SIGINT) before any request that changes production was sent, so production was not touched`);
    expect(err.changed).toBe('no');
    expect(err.stopped).toBe(true);
    expect(f.requestsTo(c.changes)).toEqual([]);
  });

  it('at its first change: that request finishes, nothing follows it, and it is sent, not confirmed', async () => {
    const stop = new AbortController();
    const { f, request } = await c.start(stop.signal);
    fake = f;
    const held = f.hold(c.changes);
    const running = promotePrevious(request, memoryLog());
    await held.reached;
    stop.abort(new Error('stopped by SIGTERM'));
    held.release();
    const err = await failure(running);
    expect(err.message).toMatch(new RegExp(`^${c.subject}: the run was stopped \\(SIGTERM\\) after .+ was sent, before the rollback was confirmed live: .*\\(sent, not confirmed\\)\\.`));
    expect(err.changed).toBe('unknown');
    // A platform can be asked what it serves: a re-run finds the rollback that went live.
    expect(err.hint).toContain('a rollback that went live is recognised and left alone');
    const sent = f.requestsTo(c.changes);
    expect(sent).toHaveLength(1);
    expect(f.requests.at(-1)).toBe(sent[0]);
  });
});

describe('command, stopped', () => {
  it('before it starts: the command never runs, and production was not touched', async () => {
    const dir = await tempDir('rk-stopped-command-');
    const stop = new AbortController();
    stop.abort(new Error('stopped by SIGINT'));
    const err = await failure(promotePrevious({ provider: 'command', command: `touch ${dir}/ran`, cwd: dir, baseEnv: { PATH: process.env.PATH }, ...common(stop.signal) }, memoryLog()));
    expect(err.message).toContain('the rollback command: the run was stopped (SIGINT) before any request that changes production was sent, so production was not touched');
    expect(err.changed).toBe('no');
    expect(existsSync(join(dir, 'ran'))).toBe(false);
  });

  it('while it runs: it is ended with what it started, its verify command is not started, and it is sent, not confirmed', async () => {
    const dir = await tempDir('rk-stopped-command-');
    const stop = new AbortController();
    // The command says it started, then waits for the test to let it end.
    const command = `touch ${dir}/started; while [ ! -e ${dir}/go ]; do sleep 0.05; done; touch ${dir}/ran`;
    const running = promotePrevious({ provider: 'command', command, verifyCommand: `touch ${dir}/verified`, cwd: dir, baseEnv: { PATH: process.env.PATH }, ...common(stop.signal) }, memoryLog());
    while (!existsSync(join(dir, 'started'))) await new Promise((r) => setTimeout(r, 20));
    stop.abort(new Error('stopped by SIGTERM'));
    await writeFile(join(dir, 'go'), '');
    const err = await failure(running);
    expect(err.message).toMatch(/^the rollback command: the run was stopped \(SIGTERM\) after the rollback command was sent, .*\(sent, not confirmed\)\./);
    expect(err.message).toContain('The rollback command was stopped before it finished, with everything it had started.');
    expect(err.changed).toBe('unknown');
    // Nothing recognises what a command changed: a re-run runs it again, which the advice says.
    expect(err.hint).toContain('Re-running the same rollback runs the command again from the start');
    expect(err.hint).toContain('status=already-current to $ROLLBACK_KIT_OUTCOME');
    expect(err.hint).not.toContain('recognised and left alone');
    // Ended by the stop (runProcess ends its process group), so it never got to its last line.
    expect(existsSync(join(dir, 'ran'))).toBe(false);
    expect(existsSync(join(dir, 'verified'))).toBe(false);
  });
});
