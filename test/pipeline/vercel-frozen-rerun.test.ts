// The root action's "Re-run jobs" (the same GITHUB_RUN_ID, no `from`) after the Vercel rollback went
// live: the re-run finds the app already rolled back (nothing to do), and Vercel still holds new
// pushes back until a promotion. Its next steps, the action's last log lines, say so, as the run
// that made the rollback did; they used to say it only on that run. From the source, with the
// request as the root action builds it; fake Vercel.
import { afterEach, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { runRollback, type RollbackRequest } from '../../src/pipeline/rollback.js';
import { closingLines } from '../../src/report/rollback-summary.js';
import { shopFixture, TEAM_ID, TOKEN, type ShopFixture } from '../promote-previous/fixture.js';

let shop: ShopFixture | undefined;
afterEach(async () => {
  await shop?.vercel.close();
  shop = undefined;
});

const STEP = 'Vercel will not put new pushes of web live until a deployment is promoted: promote the fixed deployment when it is ready.';

it('a re-run of the workflow run that rolled Vercel back: nothing to do, and new pushes will not go live until a promotion', async () => {
  shop = await shopFixture({ historySize: 3 });
  const request: RollbackRequest = {
    plan: { source: 'inputs', environment: 'production', budgetMinutes: 15, components: [{ name: 'web', provider: 'vercel', project: 'shop', team: TEAM_ID, target: 'previous', method: 'rollback', apiUrl: shop.vercel.url, timeoutSeconds: 30 }], labels: [] },
    scope: ['web'],
    reason: 'checkout returns 500',
    severity: 'critical',
    dryRun: false,
    earlierTimeline: [],
    secrets: { vercelToken: TOKEN },
    workspace: process.cwd(),
    snapshotDir: '/nonexistent',
    github: { repository: 'acme/shop', apiUrl: 'http://127.0.0.1:9', runId: '7001' },
    commandEnv: {},
    vercelPollIntervalMs: 10,
  };
  const first = await runRollback(request, {}, memoryLog());
  expect(first.status).toBe('rolled-back');
  expect(first.nextSteps).toContain(STEP);
  expect(shop.project.autoAssignCustomDomains).toBe(false);

  const again = await runRollback(request, {}, memoryLog());
  expect(again.status).toBe('nothing-to-do');
  expect(again.components[0]).toMatchObject({ status: 'already-current' });
  // Why nothing was done comes first, then what still stands.
  expect(again.nextSteps).toEqual(['An earlier run already did this rollback; nothing was changed. If production is still broken, look at what the earlier run reported.', STEP]);
  expect(closingLines(again)).toContain(`• ${STEP}`);
});
