// A whole rollback stopped after it sent Vercel's rollback request, before it was confirmed (the app
// row reads "sent, not confirmed"). If that rollback went through, Vercel switched automatic
// production domain assignment off: new pushes will not go live until a promotion. The stopped run
// says so in its next steps (the action's last log lines, its job summary, the CLI's closing lines),
// in the words a re-run that finds the app rolled back uses (vercel-frozen-rerun.test.ts); it used
// to say only "sent, not confirmed". A promotion (method promote) turns assignment on, not off: no
// such step. From the source; fake Vercel, its rollback request held until the stop has come.
import { afterEach, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { runRollback, type RollbackRequest } from '../../src/pipeline/rollback.js';
import { closingLines, rollbackSummaryMarkdown } from '../../src/report/rollback-summary.js';
import { shopFixture, TEAM_ID, TOKEN, type ShopFixture } from '../promote-previous/fixture.js';

let shop: ShopFixture | undefined;
afterEach(async () => {
  await shop?.vercel.close();
  shop = undefined;
});

const STEP = 'If the rollback of web went through, Vercel will not put new pushes of web live until a deployment is promoted: promote the fixed deployment when it is ready.';
const SENT = /^(POST \/v1\/projects\/[^/]+\/rollback\/|POST \/v10\/projects\/[^/]+\/promote\/)/;

async function stoppedAfterSending(method: 'rollback' | 'promote') {
  shop = await shopFixture({ historySize: 3 });
  const stop = new AbortController();
  const request: RollbackRequest = {
    plan: { source: 'inputs', environment: 'production', budgetMinutes: 15, components: [{ name: 'web', provider: 'vercel', project: 'shop', team: TEAM_ID, target: 'previous', method, apiUrl: shop.vercel.url, timeoutSeconds: 30 }], labels: [] },
    scope: ['web'],
    reason: 'checkout returns 500',
    severity: 'critical',
    dryRun: false,
    earlierTimeline: [],
    secrets: { vercelToken: TOKEN },
    workspace: process.cwd(),
    snapshotDir: '/nonexistent',
    github: { repository: 'acme/shop', apiUrl: 'http://127.0.0.1:9' },
    commandEnv: {},
    vercelPollIntervalMs: 10,
    signal: stop.signal,
  };
  const sent = shop.vercel.hold(SENT);
  const running = runRollback(request, {}, memoryLog());
  await Promise.race([sent.reached, running.then(() => expect.fail('the run ended before it sent the request'))]);
  stop.abort(new Error('stopped by SIGINT'));
  sent.release();
  return await running;
}

it('stopped after the Vercel rollback was sent: the next steps say new pushes will not go live if it went through', async () => {
  const record = await stoppedAfterSending('rollback');
  expect(record.status).toBe('failed');
  expect(record.components[0]).toMatchObject({ status: 'failed', stopped: 'unknown', autoAssignOffIfSent: true });
  expect(record.components[0]!.error).toContain('(sent, not confirmed)');
  expect(record.nextSteps).toContain(STEP);
  // The action logs these lines last, and the CLI prints them; the job summary lists the steps.
  expect(closingLines(record)).toContain(`• ${STEP}`);
  expect(rollbackSummaryMarkdown(record)).toContain(STEP);
});

it('stopped after a Vercel promotion was sent: no such step (a promotion turns assignment on)', async () => {
  const record = await stoppedAfterSending('promote');
  expect(record.components[0]).toMatchObject({ status: 'failed', stopped: 'unknown' });
  expect(record.components[0]!.autoAssignOffIfSent).toBeUndefined();
  expect(record.nextSteps.join('\n')).not.toContain('will not put new pushes');
});
