// A URL on a port Node's fetch refuses to use (the Fetch standard's "bad ports": 1, 7, 9, 6000,
// 6665-6669, 10080 …) is no network failure: nothing is sent, so trying again cannot help. Every
// path that fetches says so at once, naming the port and what to do, and never retries: the
// platform and GitHub API clients (HttpClient), Octokit's fetch (git-revert), chat webhooks; smoke
// checks already did (test/smoke/unsendable.test.ts).
import { describe, expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { githubClient } from '../../src/github/client.js';
import { pullRequests } from '../../src/platforms/git-revert/pulls.js';
import { BlockedPort, HttpClient } from '../../src/platforms/http/client.js';
import { chatSender } from '../../src/report/notify.js';
import { runMain } from '../cli/run-main.js';

const REFUSED = (port: number) => `Node's fetch refuses to connect to port ${port} of 127.0.0.1 (a port the Fetch standard blocks, "bad port")`;

describe('a port Node’s fetch refuses: said at once, never retried', () => {
  it.each([1, 7, 9, 6000, 6665, 6669, 10080])('fetch itself refuses port %i (the examples the messages give are blocked)', async (port) => {
    const err = await fetch(`http://127.0.0.1:${port}/`).catch((e: unknown) => e);
    expect((err as Error).cause).toMatchObject({ message: 'bad port' });
  });

  it('HttpClient (every platform API): one attempt, no retry, the port and the way on named', async () => {
    const log = memoryLog();
    let waits = 0;
    const client = new HttpClient({ service: 'Vercel', baseUrl: 'http://127.0.0.1:1', headers: {}, log, retry: { jitterMs: 0 }, sleep: async () => void waits++ });
    const err = await client.request('GET', '/v9/projects/shop').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlockedPort);
    expect((err as RollbackKitError).message).toBe(`Vercel: GET /v9/projects/shop could not be sent: ${REFUSED(1)}. Nothing went out, and trying again cannot help, so it was not retried.`);
    expect((err as RollbackKitError).hint).toBe('Use another port in the API URL (api-url, machines-api-url, registry-url or GITHUB_API_URL): run the server, stand-in or proxy on one fetch allows (8080, say).');
    expect(waits).toBe(0);
    expect(log.lines.filter((l) => /retrying/.test(l))).toEqual([]);
  });

  it('the GitHub API client and Octokit’s fetch (git-revert) say the same', async () => {
    const err = await githubClient('http://127.0.0.1:6000', 'ghs_BlockedPortToken000000000000000', memoryLog(), { sleep: async () => undefined }).get('/repos/acme/shop').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlockedPort);
    expect((err as Error).message).toContain(REFUSED(6000));
    const pulls = await pullRequests('ghs_BlockedPortToken000000000000000', 'http://127.0.0.1:6000', { owner: 'acme', repo: 'shop' }).checkAccess().catch((e: unknown) => e);
    expect(pulls).toBeInstanceOf(BlockedPort);
    expect((pulls as RollbackKitError).message).toBe(`GitHub: GET /repos/acme/shop could not be sent: ${REFUSED(6000)}. Nothing went out, and trying again cannot help, so it was not retried.`);
    expect((pulls as RollbackKitError).hint).toContain('Use another port in GITHUB_API_URL');
  });

  it('a chat webhook: not retried, and the warning names the port and what to do', async () => {
    const log = memoryLog();
    const started = Date.now();
    expect(await chatSender('http://127.0.0.1:10080/hooks/T0000000000000000x1', log)({ text: 'rollback', blocks: [] }, { retryDelayMs: 1500 })).toBe(false);
    // A retry would have waited 1.5 s first.
    expect(Date.now() - started).toBeLessThan(1000);
    expect(log.lines.filter((l) => l.startsWith('warning:'))).toEqual([
      `warning: The chat message to 127.0.0.1:10080 was not delivered: ${REFUSED(10080)}; nothing went out, and it was not retried (trying again cannot help). Use another port in notify-webhook-url: run the server, stand-in or proxy on one fetch allows (8080, say). The rollback goes on; tell the team another way.`,
    ]);
  });

  it('rollback-kit promote --api-url on port 1: fails at once, no retries, and says to use another port', async () => {
    const run = await runMain(['promote', '--project', 'shop', '--team', 't', '--api-url', 'http://127.0.0.1:1', '--dry-run'], { env: { VERCEL_TOKEN: 'vtok_BlockedPort0000000000000000' } });
    const out = run.stdout + run.stderr;
    expect(run.code).toBe(1);
    expect(out).not.toMatch(/retrying|retried\)|Check this machine's network/);
    expect(out).toContain(REFUSED(1));
    expect(out).toContain('Use another port in the API URL (--api-url,');
  });
});
