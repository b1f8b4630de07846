// The rollback action stopped (SIGTERM, a cancelled job) while its webhook holds a message
// unanswered, and never answers one again. The stopped run used to wait for that message's 5 s
// timeout, a pause and a retry, past the stop's 5 s grace, and ended saying that what it changed
// was not known. Now the message under way is cut 1 s after the stop, the closing message gets one
// short attempt, and the summary says plainly that the team was not told how the rollback ended.
// Runs dist/rollback: needs the bundles rebuilt from this source.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js';
import { runAction } from '../helpers/run-action.js';
import { shopFixture, TEAM_ID, TOKEN, type ShopFixture } from '../promote-previous/fixture.js';

let shop: ShopFixture | undefined;
let receiver: WebhookReceiver | undefined;
let ws: string | undefined;
afterEach(async () => {
  await shop?.vercel.close();
  await receiver?.close();
  if (ws) await rm(ws, { recursive: true, force: true });
  shop = receiver = ws = undefined;
});

it('SIGTERM while the webhook holds the start message: the run ends within the grace, and the summary says the closing message was not sent', async () => {
  shop = await shopFixture({ historySize: 3 });
  receiver = await startWebhookReceiver();
  ws = await mkdtemp(join(tmpdir(), 'rk-notify-stopped-'));
  await writeFile(join(ws, 'rollback-kit.yml'), ['components:', `  web: { provider: vercel, project: shop, team: ${TEAM_ID}, api-url: "${shop.vercel.url}" }`, ''].join('\n'));
  let reached = (): void => undefined;
  const held = new Promise<void>((r) => (reached = r));
  receiver.hangNext(99, reached);
  const run = await runAction(
    'rollback',
    { reason: 'checkout returns 500', severity: 'critical', 'vercel-token': TOKEN, 'notify-webhook-url': receiver.url, 'incident-issue': 'false' },
    {
      cwd: ws,
      whileRunning: async (child) => {
        await held;
        child.kill('SIGTERM');
      },
    },
  );
  expect(run.code).toBe(1);
  // The start message and one attempt at the closing one: nothing retried.
  expect(receiver.requests).toHaveLength(2);
  expect(run.log).not.toContain('not known');
  expect(run.summary).toContain('The closing chat message was not sent: the run was stopped (SIGTERM) and the webhook did not take the message within the short time a stopped run gives it');
  expect(run.log).toMatch(/was not delivered: no answer within 1\.0 s of the stop \(SIGTERM\)/);
  expect(run.log).not.toContain(receiver.secretPath);
});
