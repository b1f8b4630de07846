// The Vercel library on its own: retry rules, the client against the local API server with an
// injected clock-free sleep, tolerant parsing, target references, and the fast-poll option.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { readErrorBody, VercelApiError, VercelClient, VercelNetworkError } from '../../src/platforms/vercel/client.js';
import { vercelError } from '../../src/platforms/vercel/errors.js';
import { parseDeployment, parseProject, type Deployment } from '../../src/platforms/vercel/model.js';
import { parseRetryAfter, retryDelay, DEFAULT_RETRY } from '../../src/platforms/http/retry.js';
import { promoteOnVercel } from '../../src/platforms/vercel/rollback.js';
import { PAGE_SIZE, productionDeployments } from '../../src/platforms/vercel/api.js';
import type { ListingProgress } from '../../src/platforms/listing.js';
import { StepDeadline } from '../../src/platforms/http/deadline.js';
import { describeKinds, findLastVerified, findPrevious, parseDeploymentRef } from '../../src/platforms/vercel/target.js';
import { shopFixture, TEAM_ID, TOKEN, type ShopFixture } from './fixture.js';

let fixture: ShopFixture | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await fixture?.vercel.close();
  fixture = undefined;
  for (const c of closers.splice(0)) await c();
});

/** A sleep that records the wait and returns at once. */
function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms) => void waits.push(ms) };
}

describe('retry rules', () => {
  it('reads Retry-After as seconds or an HTTP date; missing or garbage is 0', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('0')).toBe(0);
    expect(parseRetryAfter(null)).toBe(0);
    expect(parseRetryAfter('soon')).toBe(0);
    const now = Date.parse('2026-11-22T10:00:00Z');
    expect(parseRetryAfter('Sun, 22 Nov 2026 10:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 09:00:00 GMT', now)).toBe(0);
  });

  it('waits Retry-After plus jitter on 429/503, backs off on other 5xx and network errors, never retries other 4xx', () => {
    const policy = { ...DEFAULT_RETRY, baseDelayMs: 100, jitterMs: 1000 };
    const half = () => 0.5;
    expect(retryDelay({ kind: 'status', status: 429, retryAfter: '2' }, 0, policy, half)).toBe(2500);
    expect(retryDelay({ kind: 'status', status: 503, retryAfter: null }, 0, policy, half)).toBe(500);
    expect(retryDelay({ kind: 'status', status: 429, retryAfter: '1' }, policy.rateLimitRetries, policy, half)).toBeUndefined();
    expect(retryDelay({ kind: 'status', status: 429, retryAfter: '3600' }, 0, policy, half)).toBe(policy.maxDelayMs);
    expect([0, 1, 2].map((n) => retryDelay({ kind: 'status', status: 500, retryAfter: null }, n, policy, () => 0))).toEqual([100, 200, 400]);
    expect(retryDelay({ kind: 'status', status: 500, retryAfter: null }, 3, policy, half)).toBeUndefined();
    expect(retryDelay({ kind: 'network' }, 1, policy, () => 0)).toBe(200);
    for (const status of [400, 401, 402, 403, 404, 409, 422]) expect(retryDelay({ kind: 'status', status, retryAfter: '0' }, 0, policy, half)).toBeUndefined();
  });
});

describe('VercelClient against the local API', () => {
  const client = (f: ShopFixture, extra: Partial<ConstructorParameters<typeof VercelClient>[0]> = {}) =>
    new VercelClient({ token: TOKEN, apiUrl: f.vercel.url, team: TEAM_ID, log: memoryLog(), random: () => 0, ...extra });

  it('honours Retry-After through the injected sleep, then succeeds', async () => {
    const f = (fixture = await shopFixture({ historySize: 2 }));
    f.vercel.fault(/^GET \/v9\/projects\/shop$/, { status: 429, retryAfter: 30 }, 2);
    const { sleep, waits } = recordingSleep();
    const project = parseProject(await client(f, { sleep }).get('/v9/projects/shop'));
    expect(project.name).toBe('shop');
    expect(waits).toEqual([30_000, 30_000]);
  });

  it('retries plain-text 500 three times with doubling backoff, then reports it', async () => {
    const f = (fixture = await shopFixture({ historySize: 2 }));
    f.vercel.fault(/^GET \/v9\/projects\/shop$/, { status: 500, text: 'upstream exploded' }, 10);
    const { sleep, waits } = recordingSleep();
    const err = await client(f, { sleep, retry: { baseDelayMs: 10 } })
      .get('/v9/projects/shop')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VercelApiError);
    expect((err as VercelApiError).status).toBe(500);
    expect((err as VercelApiError).serverMessage).toBe('upstream exploded');
    expect(waits).toEqual([10, 20, 40]);
    expect(f.vercel.requestsTo(/^GET \/v9\/projects\/shop$/)).toHaveLength(4);
  });

  it('does not retry a 404 and reads an `err` body', async () => {
    const f = (fixture = await shopFixture({ historySize: 2 }));
    f.vercel.fault(/^GET \/v9\/projects\/shop$/, { status: 404, err: 'not_found', message: 'Project not found' });
    const { sleep, waits } = recordingSleep();
    const err = (await client(f, { sleep })
      .get('/v9/projects/shop')
      .catch((e: unknown) => e)) as VercelApiError;
    expect([err.status, err.code, err.serverMessage]).toEqual([404, 'not_found', 'Project not found']);
    expect(waits).toEqual([]);
  });

  it('gives up on a server that never answers, with a timeout per request', async () => {
    const hanging = createServer(() => undefined);
    await new Promise<void>((done) => hanging.listen(0, '127.0.0.1', () => done()));
    closers.push(() => {
      hanging.closeAllConnections();
      return new Promise<void>((done) => hanging.close(() => done()));
    });
    hanging.unref();
    const { sleep, waits } = recordingSleep();
    const c = new VercelClient({ token: TOKEN, apiUrl: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`, log: memoryLog(), sleep, requestTimeoutMs: 200, retry: { serverErrorRetries: 1 }, random: () => 0 });
    const err = await c.get('/v9/projects/shop').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VercelNetworkError);
    expect((err as VercelNetworkError).timedOut).toBe(true);
    expect(waits).toHaveLength(1);
    const mapped = vercelError(err, { doing: 'looking up project shop', project: 'shop' });
    expect(mapped).toBeInstanceOf(RollbackKitError);
    expect(mapped.message).toMatch(/Vercel could not be reached while looking up project shop: no answer from 127\.0\.0\.1:\d+ in time/);
  });

  it('sends the team as teamId for team_ ids and as slug otherwise', async () => {
    const f = (fixture = await shopFixture({ historySize: 2 }));
    await client(f, { team: 'acme' }).get('/v9/projects/shop');
    await client(f).get('/v9/projects/shop');
    expect(f.vercel.requests.map((q) => [q.query.slug, q.query.teamId])).toEqual([
      ['acme', undefined],
      [undefined, TEAM_ID],
    ]);
  });
});

describe('the production list, on the step\'s clock', () => {
  /**
   * Lists 250 production deployments on a 30 s step whose clock the test moves: `afterPage` runs
   * after each page with a way to move it on. Returns how far the listing got and what was asked.
   */
  async function listOnStepClock(afterPage: (moveOn: (ms: number) => void, f: ShopFixture) => void) {
    const f = (fixture = await shopFixture({ historySize: 250 }));
    let now = Date.UTC(2026, 11, 1, 12);
    const step = new StepDeadline(() => now, 30);
    const c = new VercelClient({ token: TOKEN, apiUrl: f.vercel.url, team: TEAM_ID, log: memoryLog(), deadline: step });
    const progress: ListingProgress = { pages: 0, timedOut: false };
    let read = 0;
    for await (const page of productionDeployments(c, f.project.id, { deadline: step, progress })) {
      read += page.length;
      afterPage((ms) => (now += ms), f);
    }
    return { progress, read, asked: f.vercel.requests.filter((q) => q.path === '/v6/deployments').length };
  }

  it('asks for no page once the step\'s deadline has passed, and says it stopped there', async () => {
    // The step's clock moves on (a retry's wait, an earlier lookup): 20 s a page.
    const listed = await listOnStepClock((moveOn) => moveOn(20_000));
    expect(listed).toEqual({ progress: { pages: 2, timedOut: true }, read: 2 * PAGE_SIZE, asked: 2 });
  });

  it('ends at the page the deadline cut on its way, and says it stopped there rather than at the end', async () => {
    // 50 ms of the step are left, and Vercel now stalls for a minute: the client cuts the next page.
    const listed = await listOnStepClock((moveOn, f) => {
      moveOn(30_000 - 50);
      f.vercel.latencyMs = 60_000;
    });
    expect(listed).toEqual({ progress: { pages: 1, timedOut: true }, read: PAGE_SIZE, asked: 1 });
  });
});

describe('tolerant parsing', () => {
  it('reads list and single views, ignores unknown fields and keeps unknown enum values', () => {
    const d = parseDeployment({ uid: 'dpl_1', url: 'a.vercel.app', createdAt: 5, state: 'SOMETHING_NEW', target: null, brandNew: { x: 1 }, meta: { githubCommitSha: 'abc' } });
    expect(d).toMatchObject({ id: 'dpl_1', url: 'a.vercel.app', createdAt: 5, readyState: 'SOMETHING_NEW', target: null, commitSha: 'abc' });
    const p = parseProject({ id: 'prj_1', name: 'shop', targets: { production: { id: 'dpl_2', createdAt: 9, alias: ['shop.example.com', 7] } }, lastAliasRequest: { jobStatus: 'queued-new', toDeploymentId: 'dpl_2' } });
    expect(p.production?.aliases).toEqual(['shop.example.com']);
    expect(p.lastAliasRequest?.jobStatus).toBe('queued-new');
    expect(parseProject({ id: 'prj_1', targets: {} }).production).toBeUndefined();
    expect(() => parseProject({ name: 'no id' })).toThrow(/unexpected shape/);
  });

  it('reads error bodies shaped error, err, or plain text', () => {
    expect(readErrorBody('{"error":{"code":"forbidden","message":"Not authorized","invalidToken":true}}', memoryLog())).toEqual({ code: 'forbidden', message: 'Not authorized', invalidToken: true });
    expect(readErrorBody('{"err":{"code":"x","message":"y"}}', memoryLog())).toMatchObject({ code: 'x', message: 'y' });
    expect(readErrorBody('<html>\n 502 Bad Gateway </html>', memoryLog())).toEqual({ message: '<html> 502 Bad Gateway </html>', invalidToken: false });
    expect(readErrorBody('', memoryLog())).toMatchObject({ message: '(empty body)' });
  });
});

describe('target references', () => {
  it('parses previous, ids, URLs, hosts and SHAs, and refuses anything else', () => {
    expect(parseDeploymentRef('previous', 'target')).toEqual({ kind: 'previous' });
    expect(parseDeploymentRef('dpl_AbC123', 'target')).toEqual({ kind: 'id', id: 'dpl_AbC123' });
    expect(parseDeploymentRef('https://Shop-abc.vercel.app/x?y', 'target')).toEqual({ kind: 'url', host: 'shop-abc.vercel.app' });
    expect(parseDeploymentRef('shop-abc.vercel.app', 'from')).toEqual({ kind: 'url', host: 'shop-abc.vercel.app' });
    expect(parseDeploymentRef('ABCDEF1', 'from')).toEqual({ kind: 'sha', sha: 'abcdef1' });
    for (const bad of ['abc', 'dpl_', 'dpl_x y', 'ftp://x.y', 'https://', 'shop', 'g123456', '-rf']) expect(() => parseDeploymentRef(bad, 'target'), bad).toThrow(RollbackKitError);
    expect(() => parseDeploymentRef('previous', 'from')).toThrow(/Input from must be a deployment id/);
  });
});

describe('the search through the production list', () => {
  const dpl = (id: string, createdAt: number, extra: Partial<Deployment> = {}): Deployment => ({ id, createdAt, readyState: 'READY', readySubstate: 'PROMOTED', target: 'production', commitSha: `${id}`.padEnd(40, '0'), aliases: [], ...extra });
  const current = dpl('dpl_current', 100, { commitSha: 'c'.repeat(40) });
  async function* pages(...lists: Deployment[][]): AsyncGenerator<Deployment[]> {
    yield* lists;
  }

  it('previous: the first fit one across pages, counting every deployment read (production too) and why each newer one was passed over', async () => {
    const staged = dpl('dpl_staged', 90, { readySubstate: 'STAGED', isRollbackCandidate: false });
    const same = dpl('dpl_same', 80, { commitSha: 'c'.repeat(40) });
    const good = dpl('dpl_good', 70);
    const found = await findPrevious(current, pages([current, staged], [same, good, dpl('dpl_older', 60)]));
    expect(found.chosen?.id).toBe('dpl_good');
    expect(found.seen).toBe(4);
    expect(found.skipped.map((x) => [x.deployment.id, x.reason])).toEqual([
      ['dpl_staged', 'never served production (STAGED)'],
      ['dpl_same', 'built from the same commit ccccccc as production'],
    ]);
    expect(describeKinds(found.skippedKinds)).toBe('1 never served production (STAGED), 1 built from the same commit as production');
    const none = await findPrevious(current, pages([current, staged], [same]), new Map([['dpl_x', 'moved away from']]));
    expect([none.chosen, none.seen]).toEqual([undefined, 3]);
  });

  it('last-verified: the first fit one whose commit is verified, asking once per commit and at most maxLookups times', async () => {
    const asked: string[] = [];
    const lookup = async (sha: string) => {
      asked.push(sha);
      return sha.startsWith('dpl_ok') ? { verified: true } : { verified: false, state: 'failure', description: 'checkout 500' };
    };
    const failed = dpl('dpl_failed', 90);
    const noSha = dpl('dpl_nosha', 85, { commitSha: undefined });
    const failedAgain = dpl('dpl_failed2', 80, { commitSha: failed.commitSha });
    const ok = dpl('dpl_ok', 70);
    const found = await findLastVerified(current, pages([current, failed], [noSha, failedAgain, ok]), lookup);
    expect(found).toMatchObject({ chosen: { id: 'dpl_ok' }, seen: 5, lookups: 2 });
    expect(asked).toEqual([failed.commitSha, ok.commitSha]);
    expect(found.skipped.map((x) => x.deployment.id)).toEqual(['dpl_failed', 'dpl_nosha', 'dpl_failed2']);
    expect(found.skipped[0]!.reason).toBe(`commit ${failed.commitSha!.slice(0, 7)}'s rollback-kit/verified status is failure ("checkout 500")`);
    const capped = await findLastVerified(current, pages([current, failed, dpl('dpl_other', 75), ok]), lookup, 2);
    expect([capped.chosen, capped.seen, capped.lookups]).toEqual([undefined, 4, 2]);
  });
});

describe('promoteOnVercel with injected poll interval and sleep', () => {
  it('polls the alias job with the given interval and never sleeps for real', async () => {
    const f = (fixture = await shopFixture({ historySize: 5 }));
    f.project.job.pendingPolls = 10;
    f.project.job.inProgressPolls = 10;
    const { sleep, waits } = recordingSleep();
    const log = memoryLog();
    const result = await promoteOnVercel(
      { token: TOKEN, project: 'shop', team: TEAM_ID, apiUrl: f.vercel.url, target: 'previous', method: 'rollback', timeoutSeconds: 60, dryRun: false, pollIntervalMs: 7, sleep },
      log,
    );
    expect(result).toMatchObject({ status: 'rolled-back', to: { id: f.good.uid }, from: { id: f.bad.uid }, autoAssignDisabled: true });
    expect(waits.length).toBe(20);
    expect(waits.every((w) => w === 7)).toBe(true);
    expect(log.lines.join('\n')).not.toContain(TOKEN);
  });

  it('keeps polling through a job status it does not know', async () => {
    const f = (fixture = await shopFixture({ historySize: 5 }));
    f.project.job.outcome = 'stuck';
    const { sleep } = recordingSleep();
    let polls = 0;
    // After a few polls the job reports a status this client has never heard of, then succeeds.
    const wrapped = async (ms: number) => {
      await sleep(ms);
      polls++;
      if (polls === 5 && f.project.lastAliasRequest) f.project.lastAliasRequest.jobStatus = 'reticulating';
      if (polls === 8 && f.project.lastAliasRequest) {
        f.project.lastAliasRequest.jobStatus = 'succeeded';
        f.vercel.setProduction(f.project, f.good);
      }
    };
    const log = memoryLog();
    const result = await promoteOnVercel({ token: TOKEN, project: 'shop', team: TEAM_ID, apiUrl: f.vercel.url, target: 'previous', method: 'rollback', timeoutSeconds: 60, dryRun: false, pollIntervalMs: 1, sleep: wrapped }, log);
    expect(result.status).toBe('rolled-back');
    expect(log.lines).toContain('Vercel rollback job: reticulating.');
  });
});
