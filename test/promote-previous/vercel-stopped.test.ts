// The run stopped (Ctrl-C, a cancelled job: the AbortSignal) while Vercel is rolled back. The fake
// API holds one request unanswered until the test has stopped the run, so where the stop lands is
// certain: before the rollback request, nothing that changes production is ever sent and the error
// says production was not touched; once the request is on its way, it is let finish, no poll
// follows, and the error says it was sent and not confirmed, and what to check.
import { afterEach, describe, expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { promotePrevious, type VercelPromoteRequest } from '../../src/platforms/promote.js';
import { runRollback } from '../../src/pipeline/rollback.js';
import { statusLine } from '../../src/report/rollback-summary.js';
import { startGitHubStatuses } from '../fakes/github-statuses.js';
import { shopFixture, TEAM_ID, TOKEN, type ShopFixture } from './fixture.js';

const GH_TOKEN = 'ghs_StoppedLookupTok3nQ9wX2mR7pL4kN8';

let shop: ShopFixture | undefined;
afterEach(async () => {
  await shop?.vercel.close();
  shop = undefined;
});

const ROLLBACK = /^POST \/v1\/projects\/[^/]+\/rollback\//;

function request(f: ShopFixture, signal: AbortSignal): VercelPromoteRequest {
  return { provider: 'vercel', token: TOKEN, project: 'shop', team: TEAM_ID, apiUrl: f.vercel.url, method: 'rollback', target: 'previous', timeoutSeconds: 60, dryRun: false, pollIntervalMs: 1, signal };
}

/** The error `work` failed with. */
async function failure(work: Promise<unknown>): Promise<RollbackKitError> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RollbackKitError);
  return err as RollbackKitError;
}

describe('promote-previous on Vercel, stopped', () => {
  it('while the deployments are listed: no rollback request is ever sent, and production was not touched', async () => {
    shop = await shopFixture({ historySize: 3 });
    const stop = new AbortController();
    const held = shop.vercel.hold(/^GET \/v6\/deployments/);
    const running = promotePrevious(request(shop, stop.signal), memoryLog());
    await held.reached;
    stop.abort(new Error('stopped by SIGINT'));
    held.release();
    const err = await failure(running);
    expect(err.message).toMatch(/^Vercel project shop: the run was stopped \(SIGINT\) before any request that changes production was sent, so production was not touched/);
    expect(err.changed).toBe('no');
    expect(err.stopped).toBe(true);
    expect(shop.vercel.requestsTo(ROLLBACK)).toEqual([]);
    expect(shop.vercel.production(shop.project)?.uid).toBe(shop.bad.uid);
  });

  it('while the rollback request is on its way: it is let finish, nothing is polled, and the error says sent, not confirmed', async () => {
    shop = await shopFixture({ historySize: 3 });
    const stop = new AbortController();
    const held = shop.vercel.hold(ROLLBACK);
    const running = promotePrevious(request(shop, stop.signal), memoryLog());
    await held.reached;
    stop.abort(new Error('stopped by SIGTERM'));
    held.release();
    const err = await failure(running);
    expect(err.message).toMatch(/^Vercel project shop: the run was stopped \(SIGTERM\) after POST \/v1\/projects\/[^ ]+ to Vercel was sent, before the rollback was confirmed live: .*\(sent, not confirmed\)\./);
    expect(err.hint).toContain('Check what production serves in the Vercel dashboard (project shop');
    expect(err.changed).toBe('unknown');
    expect(err.stopped).toBe(true);
    // Sent once, answered; the alias job's polls never started.
    const posted = shop.vercel.requestsTo(ROLLBACK);
    expect(posted).toHaveLength(1);
    expect(posted[0]!.status).toBe(201);
    expect(shop.vercel.requests.filter((r) => r.at > posted[0]!.at)).toEqual([]);
  });

  it('while the alias job is polled: the poll ends, and the error says sent, not confirmed', async () => {
    shop = await shopFixture({ historySize: 3 });
    const stop = new AbortController();
    const post = shop.vercel.hold(ROLLBACK);
    const running = promotePrevious(request(shop, stop.signal), memoryLog());
    await post.reached;
    const poll = shop.vercel.hold(/^GET \/v9\/projects\//);
    post.release();
    await poll.reached;
    stop.abort(new Error('stopped by SIGINT'));
    poll.release();
    const err = await failure(running);
    expect(err.message).toContain('(sent, not confirmed)');
    expect(err.changed).toBe('unknown');
    expect(shop.vercel.requestsTo(ROLLBACK)).toHaveLength(1);
  });
});

describe('the whole rollback, stopped in its app phase', () => {
  it('before the rollback request: the app row and the next steps say production was not touched; nothing else runs', async () => {
    shop = await shopFixture({ historySize: 3 });
    const stop = new AbortController();
    const log = memoryLog();
    const told: string[] = [];
    // The plan lists the deployments first (a dry run); the app phase lists them again: held there.
    const plan = shop.vercel.hold(/^GET \/v6\/deployments/);
    const running = runRollback(
      {
        plan: { source: 'inputs', environment: 'production', budgetMinutes: 15, labels: [], components: [{ name: 'web', provider: 'vercel', target: 'previous', timeoutSeconds: 60, project: 'shop', team: TEAM_ID, apiUrl: shop.vercel.url, method: 'rollback' }] },
        scope: ['web'],
        reason: 'checkout returns 500',
        severity: 'critical',
        dryRun: false,
        earlierTimeline: [],
        secrets: { vercelToken: TOKEN },
        workspace: process.cwd(),
        snapshotDir: process.cwd(),
        github: { repository: 'acme/shop', apiUrl: 'http://127.0.0.1:9' },
        commandEnv: {},
        vercelPollIntervalMs: 1,
        signal: stop.signal,
      },
      { notify: async (event, _record, how) => void told.push(`${event.kind === 'phase' ? `phase ${event.entry.phase} ${event.entry.status}` : event.kind}${how?.stopped ? ' (stopped)' : ''}`) },
      log,
    );
    await plan.reached;
    const app = shop.vercel.hold(/^GET \/v6\/deployments/);
    plan.release();
    await app.reached;
    stop.abort(new Error('stopped by SIGINT'));
    app.release();
    const record = await running;
    expect(record.status).toBe('failed');
    expect(record.failedPhase).toBe('app');
    expect(record.components[0]).toMatchObject({ status: 'failed', stopped: 'not-touched' });
    expect(record.nextSteps[0]).toMatch(/^web: Vercel project shop: the run was stopped \(SIGINT\) before any request that changes production was sent, so production was not touched/);
    const rows = Object.fromEntries(record.timeline.map((e) => [e.phase, e]));
    expect(rows.verify).toMatchObject({ status: 'skipped', detail: 'the run was stopped (SIGINT), so production was not verified' });
    expect(rows.environment).toMatchObject({ status: 'skipped' });
    // Stopped, not a fault: every report's headline says so (summary, chat, incident, CLI).
    expect(rows.app).toMatchObject({ status: 'failed', stopped: true });
    expect(statusLine(record)).toBe('Rollback stopped in app');
    expect(shop.vercel.requestsTo(ROLLBACK)).toEqual([]);
    expect(shop.vercel.production(shop.project)?.uid).toBe(shop.bad.uid);
    // After the stop only the end message goes out: it holds every row.
    // …sent as a stopped run sends it: one short attempt (notify.ts STOPPED_SEND).
    expect(told).toEqual(['start', 'end (stopped)']);
  });
});

describe('target last-verified, stopped while GitHub asks for a wait', () => {
  it('the wait ends at the stop: no rollback request, production not touched', async () => {
    shop = await shopFixture({ historySize: 3 });
    const gh = await startGitHubStatuses({ owner: 'acme', repo: 'shop', token: GH_TOKEN });
    try {
      for (const d of [...shop.history, shop.good, shop.errored, shop.preview, shop.staged, shop.sameCommit, shop.bad, shop.building]) gh.addCommit(d.sha);
      // Ten minutes asked for: only the stop ends that wait (the step has an hour).
      gh.rateLimit(1, 600);
      const stop = new AbortController();
      const running = promotePrevious({ ...request(shop, stop.signal), target: 'last-verified', timeoutSeconds: 3600, github: { token: GH_TOKEN, repository: 'acme/shop', apiUrl: gh.url } }, memoryLog());
      while (!gh.requests.some((r) => r.status === 429)) await new Promise((r) => setTimeout(r, 10));
      stop.abort(new Error('stopped by SIGINT'));
      const err = await failure(running);
      expect(err.message).toContain('before any request that changes production was sent, so production was not touched');
      expect(err.changed).toBe('no');
      expect(gh.requests).toHaveLength(1);
      expect(shop.vercel.requestsTo(ROLLBACK)).toEqual([]);
    } finally {
      await gh.close();
    }
  });
});
