// Microsoft Teams webhooks post the Adaptive Card a message carries; Slack's JSON has none, and a
// Workflows trigger accepts it (202) and then fails to post it: the channel saw nothing while the run
// called the message delivered. A Teams webhook URL now gets the runbook's messages as cards.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { chatMessage, chatSender } from '../../src/report/notify.js';
import { isTeamsWebhook, teamsCard } from '../../src/report/teams-card.js';
import { startTeamsReceiver, type TeamsReceiver } from '../fakes/teams-receiver.js';
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js';
import { runAction } from '../helpers/run-action.js';
import { shopFixture, TEAM_ID, TOKEN, type ShopFixture } from '../promote-previous/fixture.js';
import { failedRecord, fullRecord } from './records.js';

let teams: TeamsReceiver | undefined;
let slack: WebhookReceiver | undefined;
let shop: ShopFixture | undefined;
let ws: string | undefined;
afterEach(async () => {
  await teams?.close();
  await slack?.close();
  await shop?.vercel.close();
  if (ws) await rm(ws, { recursive: true, force: true });
  teams = slack = shop = ws = undefined;
});

type Inline = { type: string; text: string };
type Element = { type: string; inlines?: Inline[] };
type Action = { type: string; title: string; url: string };

/** Every text the card shows, in order. */
function texts(card: Record<string, unknown>): string[] {
  return (card.body as Element[]).flatMap((e) => (e.inlines ?? []).map((i) => i.text));
}

/**
 * The card keeps to what Teams renders as written: RichTextBlocks of TextRuns only (a TextBlock's or a
 * FactSet's text is read as Markdown), and its links are buttons to http(s) addresses.
 */
function expectLiteralCard(card: Record<string, unknown>): void {
  expect(card.type).toBe('AdaptiveCard');
  expect(card.version).toBe('1.4');
  for (const e of card.body as Element[]) {
    expect(e.type).toBe('RichTextBlock');
    for (const i of e.inlines!) expect(i.type).toBe('TextRun');
  }
  for (const a of (card.actions ?? []) as Action[]) {
    expect(a.type).toBe('Action.OpenUrl');
    expect(a.url).toMatch(/^https?:\/\//);
  }
}

describe('Teams webhooks', () => {
  it('tells a Teams webhook from the others by its URL', () => {
    const teamsUrls = [
      'https://prod-27.westus.logic.azure.com:443/workflows/0f1e2d3c4b5a69788796a5b4c3d2e1f0/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=AbCdEf0123456789',
      'https://default0f1e2d3c4b5a.69.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/0f1e2d3c4b5a/triggers/manual/paths/invoke?api-version=1&sig=AbCdEf0123456789',
      'https://acme.webhook.office.com/webhookb2/1111-2222@3333-4444/IncomingWebhook/abcdef0123456789/5555-6666',
      'https://outlook.office.com/webhook/1111-2222@3333-4444/IncomingWebhook/abcdef0123456789/5555-6666',
    ];
    for (const url of teamsUrls) expect(isTeamsWebhook(new URL(url)), url).toBe(true);
    const others = [
      'https://hooks.slack.com/services/T0001/B0002/Xq7SlackSecretToken0123456789',
      'https://discord.com/api/webhooks/123456789012345678/AbCdEfToken0123456789/slack',
      'https://chat.example.com/hooks/abcdef0123456789abcdef',
      'https://example.com/workflows/readme',
    ];
    for (const url of others) expect(isTeamsWebhook(new URL(url)), url).toBe(false);
  });

  it('posts the message as an Adaptive Card that reaches the channel, and Slack still gets text and blocks alone', async () => {
    teams = await startTeamsReceiver();
    slack = await startWebhookReceiver();
    const log = memoryLog();
    const message = chatMessage({ kind: 'end' }, fullRecord(), log);
    expect(await chatSender(teams.url, log)(message)).toBe(true);
    expect(teams.failedRuns).toEqual([]);
    expect(teams.posted).toHaveLength(1);
    const card = teams.posted[0]!;
    expectLiteralCard(card);
    const shown = texts(card);
    expect(shown[0]).toBe('✅ Rollback complete: production runs web dpl_good4790 (beefcaf) and api deploy 75 again, with 2 migrations reverted');
    for (const t of ['Issue', 'Checkout returns 500 after deploy 4812', 'Current State', 'web: rolled-back dpl_bad4812 (c0ffee1) → dpl_good4790 (beefcaf)', '1. Watch the error rate for the next 2 hours.']) expect(shown).toContain(t);
    expect(card.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Run', url: 'https://github.com/acme/shop/actions/runs/123456789' }]);

    expect(await chatSender(slack.url, log)(message)).toBe(true);
    expect(Object.keys(slack.delivered[0] as object).sort()).toEqual(['blocks', 'text']);
    expect(log.lines.filter((l) => l.startsWith('warning'))).toEqual([]);
  });

  it('outside text is shown as written: Markdown in a reason makes no link, and a message written by hand still reaches the channel', async () => {
    teams = await startTeamsReceiver();
    const record = failedRecord();
    record.reason = 'deploy **4812** [open the fix](https://evil.example/steal) <at>everyone</at>\n# Heading';
    const card = teamsCard({ title: 'x', fields: [{ label: 'Issue', lines: [record.reason] }], notes: [], links: [] }) as unknown as Record<string, unknown>;
    expectLiteralCard(card);
    expect(texts(card)).toContain('deploy **4812** [open the fix](https://evil.example/steal) <at>everyone</at> # Heading');
    expect(JSON.stringify(card.actions ?? [])).not.toContain('evil.example');

    const log = memoryLog();
    expect(await chatSender(teams.url, log)(chatMessage({ kind: 'start' }, record, log))).toBe(true);
    expect(await chatSender(teams.url, log)({ text: 'rollback started\nweb → dpl_good', blocks: [] })).toBe(true);
    expect(teams.posted).toHaveLength(2);
    expect(texts(teams.posted[1]!)).toEqual(['rollback started', 'web → dpl_good']);
  });

  it('a long message is cut to fit Teams, saying how many lines were left out', () => {
    const record = fullRecord();
    record.nextSteps = Array.from({ length: 200 }, (_, i) => `step ${i + 1}: ${'x'.repeat(1000)}`);
    const card = teamsCard(chatMessage({ kind: 'end' }, record, memoryLog()).content!);
    expect(Buffer.byteLength(JSON.stringify(card))).toBeLessThanOrEqual(24_000);
    const shown = texts(card as unknown as Record<string, unknown>);
    const more = shown.map((t) => /^… and (\d+) more$/.exec(t)).find(Boolean);
    expect(more, 'a line saying how many were left out').toBeTruthy();
    expect(shown.filter((t) => /^\d+\. step /.test(t)).length + Number(more![1])).toBe(200);
  });

  it('a message of CJK text past the limit in bytes is cut in bytes, and a line that spans whitespace is read once', () => {
    const record = fullRecord();
    // 3 bytes each in UTF-8 and one character: within the limit by characters, over it in bytes.
    record.nextSteps = Array.from({ length: 30 }, () => '漢'.repeat(2000));
    record.reason = `${' '.repeat(200_000)}x`;
    const card = teamsCard(chatMessage({ kind: 'end' }, record, memoryLog()).content!);
    expect(Buffer.byteLength(JSON.stringify(card))).toBeLessThanOrEqual(24_000);
    const many = fullRecord();
    many.nextSteps = Array.from({ length: 30 }, () => '\u0001'.repeat(2000));
    const fallback = teamsCard(chatMessage({ kind: 'end' }, many, memoryLog()).content!) as unknown as Record<string, unknown>;
    expect(Buffer.byteLength(JSON.stringify(fallback))).toBeLessThanOrEqual(24_000);
  });

  it('a refused signature is a warning that never shows the sig, and the rollback goes on', async () => {
    teams = await startTeamsReceiver();
    const log = memoryLog();
    const wrong = teams.url.replace(teams.sig, `${teams.sig.slice(0, -4)}ZZZZ`);
    expect(await chatSender(wrong, log)(chatMessage({ kind: 'end' }, fullRecord(), log))).toBe(false);
    const warnings = log.lines.filter((l) => l.startsWith('warning'));
    expect(warnings.join('\n')).toContain('HTTP 401');
    expect(warnings.join('\n')).toContain('DirectApiAuthorizationRequired');
    expect(log.lines.join('\n')).not.toContain(teams.sig.slice(0, -4));
  });
});

it('the rollback action posts its start, phase and closing messages to a Teams webhook as cards, and prints no part of its sig', async () => {
  shop = await shopFixture({ historySize: 3 });
  teams = await startTeamsReceiver();
  ws = await mkdtemp(join(tmpdir(), 'rk-notify-teams-'));
  await writeFile(join(ws, 'rollback-kit.yml'), ['components:', `  web: { provider: vercel, project: shop, team: ${TEAM_ID}, api-url: "${shop.vercel.url}" }`, ''].join('\n'));
  const run = await runAction('rollback', { reason: 'checkout returns 500', severity: 'critical', 'vercel-token': TOKEN, 'notify-webhook-url': teams.url, 'incident-issue': 'false' }, { cwd: ws });
  expect(run.code, run.log).toBe(0);
  expect(teams.failedRuns).toEqual([]);
  expect(teams.posted.length).toBeGreaterThanOrEqual(3);
  for (const card of teams.posted) expectLiteralCard(card);
  expect(texts(teams.posted[0]!)[0]).toBe('🚨 PRODUCTION ROLLBACK IN PROGRESS');
  expect(texts(teams.posted.at(-1)!)[0]).toMatch(/^✅ Rollback complete/);
  const everything = [run.log, run.summary, JSON.stringify(run.outputs)].join('\n');
  expect(everything).not.toContain(teams.sig);
  expect(everything).not.toContain(teams.sig.slice(0, 20));
});
