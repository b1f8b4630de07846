// The whole rollback stopped (a cancelled job, Ctrl-C) after its app phase went through, before its
// smoke checks ran: production runs the previous version again and nobody has verified it. Every report
// that says how the run ended (the closing lines, the job summary, the chat message's title, the
// incident record) said "Rollback complete" with a ✅; now each says it was rolled back, then stopped.
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parsePlanFile } from '../../src/pipeline/plan-file.js';
import { resolvePlan } from '../../src/pipeline/plan-inputs.js';
import { stopReason } from '../../src/core/stop-signals.js';
import { runRollback, type RollbackRequest } from '../../src/pipeline/rollback.js';
import { incidentBody, incidentComment } from '../../src/report/incident.js';
import { chatMessage } from '../../src/report/notify.js';
import { closingLines, rollbackSummaryMarkdown } from '../../src/report/rollback-summary.js';
import { shopFixture, TEAM_ID, TOKEN, type ShopFixture } from '../promote-previous/fixture.js';

let shop: ShopFixture | undefined;
afterEach(async () => {
  await shop?.vercel.close();
  shop = undefined;
});

function request(f: ShopFixture, signal: AbortSignal): RollbackRequest {
  return {
    plan: resolvePlan(
      parsePlanFile(
        [
          'components:',
          '  web: {provider: vercel, project: shop, team: ' + TEAM_ID + ', api-url: "' + f.vercel.url + '", method: rollback}',
          'verify:',
          '  base-url: http://127.0.0.1:9/',
          '  checks: "- {name: health, url: /health}"',
        ].join('\n'),
        'rollback-kit.yml',
      ),
      {},
      { hasDatabaseUrl: false },
    ),
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
    signal,
  };
}

describe('the whole rollback, stopped after the app went back and before the smoke checks', () => {
  it('is "rolled back, then stopped (SIGTERM)", not "Rollback complete", in every report of how it ended', async () => {
    shop = await shopFixture({ historySize: 3 });
    const stop = new AbortController();
    const log = memoryLog();
    const record = await runRollback(
      request(shop, stop.signal),
      { progress: { started: () => undefined, finished: (entry) => (entry.phase === 'app' ? stop.abort(stopReason('SIGTERM')) : undefined) } },
      log,
    );
    expect(shop.vercel.production(shop.project)?.uid).toBe(shop.good.uid);
    expect(record.status).toBe('rolled-back');
    expect(record.timeline.find((e) => e.phase === 'verify')?.status).toBe('skipped');
    const said = /^Rolled back, then stopped \(SIGTERM\) before the smoke checks ran: production runs web .+ again, not verified/;
    expect(closingLines(record)[0]).toMatch(said);
    expect(rollbackSummaryMarkdown(record)).toMatch(/^## ⚠️ Rolled back, then stopped \(SIGTERM\) before the smoke checks ran/);
    const everything = [closingLines(record).join('\n'), rollbackSummaryMarkdown(record), incidentBody(record), incidentComment(record), JSON.stringify(chatMessage({ kind: 'end' }, record, log))].join('\n');
    for (const [i, part] of everything.split('\n').entries()) expect(part, `line ${i}`).not.toMatch(/Rollback complete|✅\W*(?:\*\*)?(?:Rollback|Rolled)/);
  });
});
