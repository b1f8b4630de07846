import { afterEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { chatMessage, chatSender, STOPPED_SEND, STOPPED_UNDER_WAY_MS, type ChatMessage } from '../../src/report/notify.js';
import { downWebhookUrl, startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js';
import { outsideCode } from '../helpers/rendered.js';
import { failedRecord, fullRecord, splitVerifyJobRecord, unverifiedRecord } from './records.js';

type Block = { type: string; text?: { type: string; text: string }; fields?: { type: string; text: string }[]; elements?: { type: string; text: string }[] };

/** The shapes and limits Slack's Block Kit accepts for the blocks these messages use. */
function expectSlackBlocks(message: ChatMessage): void {
  const blocks = message.blocks as Block[];
  expect(blocks.length).toBeGreaterThan(0);
  expect(blocks.length).toBeLessThanOrEqual(50);
  expect(blocks[0]!.type).toBe('header');
  expect(blocks[0]!.text!.type).toBe('plain_text');
  expect(blocks[0]!.text!.text.length).toBeLessThanOrEqual(150);
  for (const b of blocks.slice(1)) {
    expect(['section', 'context']).toContain(b.type);
    if (b.type === 'section') {
      expect(!!b.text !== !!b.fields, 'a section has text or fields').toBe(true);
      if (b.text) expect(b.text.text.length).toBeLessThanOrEqual(3000);
      if (b.fields) {
        expect(b.fields.length).toBeLessThanOrEqual(10);
        for (const f of b.fields) expect(f.text.length).toBeLessThanOrEqual(2000);
      }
    }
  }
  expect(typeof message.text).toBe('string');
  expect(message.text.length).toBeGreaterThan(0);
}

const blockText = (m: ChatMessage) => JSON.stringify(m.blocks);

describe('chat messages in the runbook templates', () => {
  it('"rollback in progress": reason, severity, components, start and the ETA from the budget', () => {
    const m = chatMessage({ kind: 'start' }, fullRecord(), memoryLog());
    expectSlackBlocks(m);
    expect(m.text.split('\n')[0]).toBe('🚨 PRODUCTION ROLLBACK IN PROGRESS');
    for (const line of ['Issue: Checkout returns 500 after deploy 4812', 'Severity: P0 (critical)', 'Components: web, api, database', 'Started: 2026-03-14 09:26:53 UTC', 'ETA: 09:41:53 UTC (budget 15 min 0 s)']) {
      expect(m.text).toContain(line);
    }
    expect(m.text).toContain('web → dpl_good4790 (beefcaf) (from 2026-03-13 16:02:00 UTC)');
    expect(blockText(m)).toContain('*ETA*\\n09:41:53 UTC');
  });

  it('an update per finished phase: what was done, against its budget, and what comes next', () => {
    const r = fullRecord();
    const m = chatMessage({ kind: 'phase', entry: r.timeline.find((e) => e.phase === 'app' && e.component === 'web')! }, r, memoryLog());
    expectSlackBlocks(m);
    expect(m.text.split('\n')[0]).toBe('⏱️ UPDATE 09:27: app (web) ok');
    expect(m.text).toContain('Status: In Progress');
    expect(m.text).toContain('Progress: app (web): ok — dpl_bad4812 → dpl_good4790');
    expect(m.text).toContain('Took: 41.0 s of 3 min 0 s budget (within budget)');
    expect(m.text).toContain('Next: snapshot');

    const appOnly = fullRecord();
    appOnly.database = undefined;
    expect(chatMessage({ kind: 'phase', entry: appOnly.timeline[2]! }, appOnly, memoryLog()).text).toContain('Next: environment');

    const f = failedRecord();
    const blocked = chatMessage({ kind: 'phase', entry: f.timeline.find((e) => e.status === 'failed')! }, f, memoryLog());
    expect(blocked.text).toContain('Status: Blocked');
    expect(blocked.text).not.toContain('Next:');
  });

  it('"rollback complete": duration, method, state of each part, next steps', () => {
    const m = chatMessage({ kind: 'end' }, fullRecord(), memoryLog());
    expectSlackBlocks(m);
    expect(m.text.split('\n')[0]).toBe('✅ Rollback complete: production runs web dpl_good4790 (beefcaf) and api deploy 75 again, with 2 migrations reverted');
    for (const line of [
      'Rollback Method: vercel, command, down migrations',
      'Duration: 5 min 0 s of 15 min 0 s budget (within budget): the whole rollback, all of it in this job',
      'web: rolled-back dpl_bad4812 (c0ffee1) → dpl_good4790 (beefcaf)',
      'database: reverted, 2 of 2 migration(s) reverted',
      '1. Watch the error rate for the next 2 hours.',
      'Run: <https://github.com/acme/shop/actions/runs/123456789>',
    ]) {
      expect(m.text).toContain(line);
    }
  });

  it('a component whose serving deployment was not known (command provider without from) reads "rolled-back to deploy 75", as the CLI says, not "? → deploy 75"', () => {
    const r = fullRecord();
    delete r.components[1]!.from;
    const m = chatMessage({ kind: 'end' }, r, memoryLog());
    expect(m.text).toContain('api: rolled-back to deploy 75\n');
    expect(m.text).not.toContain('?');
  });

  it('"rollback complete" of a rollback split across jobs: the duration is the whole rollback, not this job', () => {
    const m = chatMessage({ kind: 'end' }, splitVerifyJobRecord(), memoryLog());
    expect(m.text).toContain('Duration: 20 min 3 s of 15 min 0 s budget (over budget by 5 min 3 s): the whole rollback, from its first phase (09:26:53 UTC, in an earlier job) to the end of this job');
  });

  it('the ETA of a later job of a split rollback counts from the whole rollback\'s first phase, not from this job', () => {
    const m = chatMessage({ kind: 'start' }, splitVerifyJobRecord(), memoryLog());
    // fullRecord starts at 09:26:53 with a 15 min budget; this job started 20 min later.
    expect(m.text).toContain('ETA: 09:41:53 UTC (budget 15 min 0 s)');
  });

  it('"rollback failed" names the phase and what is left', () => {
    const m = chatMessage({ kind: 'end' }, failedRecord(), memoryLog());
    expectSlackBlocks(m);
    expect(m.text.split('\n')[0]).toBe('❌ Rollback failed in snapshot');
    expect(m.text).toContain('Failed phase: snapshot');
    expect(m.text).toContain('database: skipped, 0 of 1 migration(s) reverted');
    expect(m.text).toContain('1. Fix the database connection');
  });

  it('an unverified rollback says a person must act now, and which checks fail', () => {
    const m = chatMessage({ kind: 'end' }, unverifiedRecord(), memoryLog());
    expectSlackBlocks(m);
    expect(m.text.split('\n')[0]).toBe('🚨 Rollback UNVERIFIED: production still looks broken — a person must act now');
    expect(m.text).toContain('verify: rollback, failing: checkout');
  });

  it('outside text cannot ping everyone, add links or fake another field', () => {
    const r = fullRecord();
    r.reason = '<!channel> @everyone & <https://evil.example|click here>\nSeverity: P3 (nothing to see)';
    r.components[0]!.name = '@here <@U123>';
    for (const m of [chatMessage({ kind: 'start' }, r, memoryLog()), chatMessage({ kind: 'end' }, r, memoryLog()), chatMessage({ kind: 'phase', entry: r.timeline[2]! }, r, memoryLog())]) {
      const all = `${m.text}\n${blockText(m)}`;
      // The header is plain_text, where Slack parses no <…> at all: only mrkdwn and `text` must escape it.
      const parsed = `${m.text}\n${JSON.stringify(m.blocks.slice(1))}`;
      expect(parsed).not.toMatch(/<!channel>|<https:\/\/evil|<@U123>/);
      expect(all).not.toMatch(/@(everyone|here)/);
      expect(m.text.split('\n').filter((l) => l.startsWith('Severity:')).length).toBeLessThanOrEqual(1);
    }
    // The URL is in code formatting, no link and copied as written; only the page gets a zero-width space.
    expect(chatMessage({ kind: 'start' }, r, memoryLog()).text).toContain('Issue: &lt;!channel&gt; `@\u200beveryone` &amp; &lt;`https://evil.example`|click here&gt; Severity: P3');
  });

  it('bare URLs, www. names and addresses in outside text are not links; our own links are', () => {
    const r = fullRecord();
    r.reason = 'header x-val is https://evil.example/phish, see www.evil.example or write to help@evil.example';
    r.components[0]!.error = 'HTTP://EVIL.EXAMPLE/upper';
    for (const m of [chatMessage({ kind: 'start' }, r, memoryLog()), chatMessage({ kind: 'end' }, r, memoryLog())]) {
      const all = `${m.text}\n${JSON.stringify(m.blocks)}`;
      expect(outsideCode(all, { escapes: false })).not.toMatch(/https?:\/\/evil|www\.evil|@evil/i);
      expect(all).not.toMatch(/[\u200b\u200d]/);
      // Slack scans no mrkdwn text of ours for URLs (it would link evil.com without a scheme).
      const texts = JSON.stringify(m.blocks).match(/"type":"mrkdwn"[^}]*}/g) ?? [];
      expect(texts.length).toBeGreaterThan(0);
      for (const t of texts) expect(t).toContain('"verbatim":true');
    }
    const end = chatMessage({ kind: 'end' }, r, memoryLog());
    expect(end.text).toContain('`https://evil.example/phish`');
    expect(end.text).toContain('`www.evil.example`');
    expect(end.text).toContain('`help@evil.example`');
    expect(end.text).toContain('Run: <https://github.com/acme/shop/actions/runs/123456789>');
  });

  // A lone backtick in outside text paired with the fence of the span around the URL after it, which
  // was then left bare (and linked by Discord and Mattermost): a word holding a backtick is code too.
  it('a backtick in outside text never pairs with the code span that keeps a URL from being a link', () => {
    const r = fullRecord();
    r.reason = 'it`s down, see https://evil.example/phish and ``x` too';
    for (const m of [chatMessage({ kind: 'start' }, r, memoryLog()), chatMessage({ kind: 'end' }, r, memoryLog())]) {
      expect(outsideCode(m.text, { escapes: false })).not.toMatch(/https?:\/\/evil/);
      expect(m.text).toContain('`` it`s ``');
    }
  });

  it('a cut to Slack\'s limits never ends inside a code span: a URL it held is never left bare', () => {
    // The cut goes back to a space when one is in its second half: a URL longer than that is cut
    // inside its span. A field (3,000 characters), the fallback text (39,000); entities (&amp;) too.
    for (const long of [2_500, 50_000]) {
      const r = fullRecord();
      r.reason = `a&b https://evil.example/${'x&'.repeat(long)}`;
      const m = chatMessage({ kind: 'start' }, r, memoryLog());
      const texts = [m.text, ...(JSON.stringify(m.blocks).match(/"type":"mrkdwn","text":"(?:[^"\\]|\\.)*"/g) ?? []).map((t) => JSON.parse(`{${t}}`).text as string)];
      expect(texts.some((t) => t.endsWith('…'))).toBe(true);
      for (const t of texts) {
        expect(outsideCode(t, { escapes: false })).not.toMatch(/https?:\/\/evil/);
        expect(t).not.toMatch(/&[a-z]{0,3}…$|<[^>]*…$/);
      }
    }
  });

  it('keeps to Slack\'s limits with a very long reason and many checks', () => {
    const r = unverifiedRecord();
    r.reason = 'x'.repeat(10_000);
    r.verify!.checks = Array.from({ length: 400 }, (_, i) => ({ name: `check-${i}-${'y'.repeat(40)}`, passed: false, severity: 'critical', detail: 'down' }));
    for (const m of [chatMessage({ kind: 'start' }, r, memoryLog()), chatMessage({ kind: 'end' }, r, memoryLog())]) expectSlackBlocks(m);
  });
});

describe('sending a chat message', () => {
  let receiver: WebhookReceiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });
  const message = () => chatMessage({ kind: 'end' }, fullRecord(), memoryLog());
  const noUrlIn = (lines: string[], r: { secretPath: string }) => {
    const all = lines.join('\n');
    expect(all).not.toContain(r.secretPath);
    expect(all).not.toContain(r.secretPath.split('/').at(-1)!);
  };

  it('posts JSON with text and blocks', async () => {
    receiver = await startWebhookReceiver();
    const log = memoryLog();
    expect(await chatSender(receiver.url, log)(message())).toBe(true);
    expect(receiver.delivered).toHaveLength(1);
    expect(receiver.requests[0]!.headers['content-type']).toBe('application/json');
    const body = receiver.delivered[0] as ChatMessage;
    expect(body.text).toContain('Rollback complete');
    expect(Array.isArray(body.blocks)).toBe(true);
    expect(log.lines.filter((l) => l.startsWith('warning'))).toEqual([]);
  });

  it('sends a user name and password in the URL as Basic auth, never printing them', async () => {
    receiver = await startWebhookReceiver();
    const log = memoryLog();
    const withUser = Object.assign(new URL(receiver.url), { username: 'hookuser', password: 'HOOKpw%40x' }).toString();
    expect(await chatSender(withUser, log)(message())).toBe(true);
    expect(receiver.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from('hookuser:HOOKpw@x').toString('base64')}`);
    expect(log.lines.join('\n')).not.toMatch(/HOOKpw/);
  });

  it('a receiver quoting the credentials it got back: no form of them reaches the warning', async () => {
    receiver = await startWebhookReceiver();
    receiver.echoCredentialsNext(2);
    const log = memoryLog();
    const url = new URL(receiver.url);
    Object.assign(url, { username: 'hookuser', password: 'Hook%2FPassw0rd9' });
    // `token` says secret by its name, `code` does not (an Azure Functions key): both are the webhook's.
    url.search = '?token=WebhookTok3n%2BValue&code=AzFnKey0123456789abc&v=2';
    expect(await chatSender(url.href, log)(message(), { retryDelayMs: 10 })).toBe(false);
    const basic = Buffer.from('hookuser:Hook/Passw0rd9').toString('base64');
    expect(receiver.requests[0]!.headers.authorization).toBe(`Basic ${basic}`);
    const all = log.lines.join('\n');
    expect(all).toContain('HTTP 401');
    for (const form of ['WebhookTok3n%2BValue', 'WebhookTok3n+Value', 'AzFnKey0123456789abc', basic, 'Hook%2FPassw0rd9', 'Hook/Passw0rd9', 'hookuser:Hook/Passw0rd9', 'Xq7SlackSecretToken0123456789']) {
      expect(all).not.toContain(form);
    }
  });

  it('retries once after a 500 and delivers', async () => {
    receiver = await startWebhookReceiver();
    receiver.failNext(1, 500);
    const log = memoryLog();
    expect(await chatSender(receiver.url, log)(message(), { retryDelayMs: 10 })).toBe(true);
    expect(receiver.requests).toHaveLength(2);
    expect(receiver.delivered).toHaveLength(1);
    expect(log.lines.filter((l) => l.startsWith('warning'))).toEqual([]);
  });

  it('a receiver that hangs: timeout, one retry, then a warning naming the host only; never throws', async () => {
    receiver = await startWebhookReceiver();
    receiver.hangNext(2);
    const log = memoryLog();
    expect(await chatSender(receiver.url, log)(message(), { timeoutMs: 300, retryDelayMs: 10 })).toBe(false);
    expect(receiver.requests).toHaveLength(2);
    const warnings = log.lines.filter((l) => l.startsWith('warning'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`The chat message to ${new URL(receiver.url).host} was not delivered: no answer within 300 ms`);
    noUrlIn(log.lines, receiver);
  });

  it('a stopped run: one short attempt, no retry, so the message fits in the stop\'s grace', async () => {
    receiver = await startWebhookReceiver();
    receiver.hangNext(2);
    const log = memoryLog();
    expect(await chatSender(receiver.url, log)(message(), STOPPED_SEND)).toBe(false);
    expect(receiver.requests).toHaveLength(1);
    expect(log.lines.filter((l) => l.startsWith('warning'))[0]).toContain('was not delivered: no answer within 1.5 s');
    noUrlIn(log.lines, receiver);
  });

  it('a message on its way when the run is stopped: cut STOPPED_UNDER_WAY_MS after the stop, not retried, said in the log', async () => {
    receiver = await startWebhookReceiver();
    const stop = new AbortController();
    // Hangs until cut: without the stop, its usual 5 s, a pause and a retry (two posts).
    receiver.hangNext(2, () => stop.abort(new Error('stopped by SIGTERM')));
    const log = memoryLog();
    expect(await chatSender(receiver.url, log)(message(), { stop: stop.signal })).toBe(false);
    expect(receiver.requests).toHaveLength(1);
    expect(log.lines.filter((l) => l.startsWith('warning'))[0]).toContain(`was not delivered: no answer within ${STOPPED_UNDER_WAY_MS / 1000}.0 s of the stop (SIGTERM)`);
    noUrlIn(log.lines, receiver);
  });

  it('a stop during the pause before the retry: the retry is not sent', async () => {
    receiver = await startWebhookReceiver();
    const stop = new AbortController();
    receiver.failNext(1, 500);
    const log = memoryLog();
    const sending = chatSender(receiver.url, log)(message(), { stop: stop.signal, retryDelayMs: 1500 });
    while (receiver.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
    stop.abort(new Error('stopped by SIGINT'));
    expect(await sending).toBe(false);
    expect(receiver.requests).toHaveLength(1);
    expect(log.lines.filter((l) => l.startsWith('warning'))[0]).toContain('was not delivered: HTTP 500');
  });

  it('a timeout then an answer on the retry delivers', async () => {
    receiver = await startWebhookReceiver();
    receiver.hangNext(1);
    const log = memoryLog();
    expect(await chatSender(receiver.url, log)(message(), { timeoutMs: 300, retryDelayMs: 10 })).toBe(true);
    expect(receiver.delivered).toHaveLength(1);
  });

  it('after a failed message, the next ones to that webhook get one attempt until one gets through', async () => {
    receiver = await startWebhookReceiver();
    const send = chatSender(receiver.url, memoryLog());
    receiver.hangNext(2);
    expect(await send(message(), { timeoutMs: 200, retryDelayMs: 10 })).toBe(false);
    expect(receiver.requests).toHaveLength(2);
    receiver.hangNext(1);
    expect(await send(message(), { timeoutMs: 200, retryDelayMs: 10 })).toBe(false);
    expect(receiver.requests).toHaveLength(3);
    expect(await send(message(), { timeoutMs: 200, retryDelayMs: 10 })).toBe(true);
    // Delivered again: the retry is back.
    receiver.failNext(1, 500);
    expect(await send(message(), { timeoutMs: 200, retryDelayMs: 10 })).toBe(true);
    expect(receiver.requests).toHaveLength(6);
  });

  it('two 500s: a warning with the status, false', async () => {
    receiver = await startWebhookReceiver();
    receiver.failNext(2, 503);
    const log = memoryLog();
    expect(await chatSender(receiver.url, log)(message(), { retryDelayMs: 10 })).toBe(false);
    expect(log.lines.join('\n')).toContain('HTTP 503 (internal_error)');
    noUrlIn(log.lines, receiver);
  });

  it('a revoked webhook (404) is not retried', async () => {
    receiver = await startWebhookReceiver();
    const log = memoryLog();
    const revoked = receiver.url.replace(receiver.secretPath, '/services/T0001/B0002/RevokedSecret42');
    expect(await chatSender(revoked, log)(message(), { retryDelayMs: 10 })).toBe(false);
    expect(receiver.requests).toHaveLength(1);
    expect(log.lines.join('\n')).toContain('HTTP 404 (no_service)');
    expect(log.lines.join('\n')).not.toContain('RevokedSecret42');
  });

  it('honours a short Retry-After on 429, and does not wait for a long one', async () => {
    receiver = await startWebhookReceiver();
    receiver.failNext(1, 429, { 'retry-after': '1' });
    expect(await chatSender(receiver.url, memoryLog())(message(), { retryDelayMs: 10 })).toBe(true);
    expect(receiver.requests).toHaveLength(2);

    receiver.failNext(1, 429, { 'retry-after': '120' });
    const log = memoryLog();
    const before = receiver.requests.length;
    expect(await chatSender(receiver.url, log)(message(), { retryDelayMs: 10 })).toBe(false);
    expect(receiver.requests.length - before).toBe(1);
    expect(log.lines.join('\n')).toContain('asked to wait 2 min 0 s');
  });

  it('a receiver that is down: a warning, false, no URL in the log', async () => {
    const url = await downWebhookUrl();
    const log = memoryLog();
    expect(await chatSender(url, log)(message(), { retryDelayMs: 10 })).toBe(false);
    const warnings = log.lines.filter((l) => l.startsWith('warning'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('ECONNREFUSED');
    noUrlIn(log.lines, { secretPath: new URL(url).pathname });
  });

  it('a webhook URL that is no URL, or not http(s), is a warning that does not repeat it', async () => {
    const log = memoryLog();
    expect(await chatSender('hooks.slack.com/services/T1/B2/NotAUrlSecret', log)(message())).toBe(false);
    expect(await chatSender('ftp://hooks.example/services/FtpSecret99', log)(message())).toBe(false);
    const all = log.lines.join('\n');
    expect(all).toContain('notify-webhook-url is not a URL');
    expect(all).toContain('must be an http(s) URL (got ftp)');
    expect(all).not.toMatch(/NotAUrlSecret|FtpSecret99/);
  });

  it('no registered secret and not the webhook URL itself reaches the receiver', async () => {
    receiver = await startWebhookReceiver();
    const log = memoryLog();
    const password = 'pa55-w0rd"with\\quotes';
    log.secret(password);
    log.secret('ghp_0123456789abcdefTOKEN');
    const r = failedRecord();
    r.reason = `db down: postgres://app:${password}@db.internal:5432/shop; token ghp_0123456789abcdefTOKEN; hook ${receiver.url}`;
    r.components[1]!.error = `connection to postgres://app:${encodeURIComponent(password)}@db.internal/shop refused`;
    // A password with characters chat escaping rewrites: the record is redacted before it is escaped.
    const escapable = 'P&ss<w>_#rd!';
    log.secret(escapable);
    r.components[0]!.error = `login as admin:${escapable} failed`;
    const send = chatSender(receiver.url, log);
    for (const kind of ['start', 'end'] as const) expect(await send(chatMessage({ kind }, r, log), { retryDelayMs: 10 })).toBe(true);
    // Built with a log that knows no secret, the message is still redacted by the sender, every string of it.
    const plainOnly = fullRecord();
    plainOnly.reason = `token ghp_0123456789abcdefTOKEN leaked`;
    expect(await send(chatMessage({ kind: 'start' }, plainOnly, memoryLog()), { retryDelayMs: 10 })).toBe(true);
    const raw = receiver.requests.map((q) => q.raw).join('\n');
    const decoded = JSON.stringify(receiver.delivered);
    expect(receiver.delivered).toHaveLength(3);
    for (const secret of [password, encodeURIComponent(password), 'ghp_0123456789abcdefTOKEN', receiver.secretPath, escapable, 'P&amp;ss&lt;w&gt;_#rd!']) {
      expect(raw).not.toContain(secret);
      expect(decoded).not.toContain(secret);
      expect((receiver.delivered as ChatMessage[]).map((m) => m.text).join('\n')).not.toContain(secret);
    }
    expect(decoded).toContain('***');
  });
});

describe("the webhook URL's own secrets", () => {
  let receiver: WebhookReceiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  it('every form (userinfo, a query token raw and decoded, a bare ?abc, the Basic header) is redacted in the log and in every message sent', async () => {
    receiver = await startWebhookReceiver();
    const url = new URL(receiver.url);
    Object.assign(url, { username: 'hookuser', password: 'Hook%2FPassw0rd9' });
    url.search = '?token=Tok+v4lue%2Fxyz9&BareQuerySecret42';
    const basic = Buffer.from('hookuser:Hook/Passw0rd9').toString('base64');
    const forms = [
      'hookuser:Hook%2FPassw0rd9',
      'hookuser:Hook/Passw0rd9',
      'Hook%2FPassw0rd9',
      'Hook/Passw0rd9',
      `Basic ${basic}`,
      basic,
      'Tok+v4lue%2Fxyz9',
      'Tok+v4lue/xyz9',
      'Tok v4lue/xyz9',
      'Tok%2Bv4lue%2Fxyz9',
      'BareQuerySecret42',
      receiver.secretPath,
      url.href,
    ];
    const log = memoryLog();
    const send = chatSender(url.href, log);
    // A record quoting every form, and a receiver quoting back what it got (the query, the Authorization and the user:password in it).
    const r = failedRecord();
    r.reason = forms.join(' ');
    r.components[0]!.error = `proxy said: ${forms.join(', ')}`;
    receiver.echoCredentialsNext(1);
    expect(await send(chatMessage({ kind: 'start' }, r, log), { retryDelayMs: 10 })).toBe(false);
    expect(log.lines.join('\n')).toContain('HTTP 401 (invalid token');
    expect(await send(chatMessage({ kind: 'end' }, r, log), { retryDelayMs: 10 })).toBe(true);
    expect(receiver.requests[0]!.headers.authorization).toBe(`Basic ${basic}`);
    const produced = [log.lines.join('\n'), ...receiver.requests.map((q) => q.raw), JSON.stringify(receiver.delivered)].join('\n');
    for (const form of forms) expect(produced, form).not.toContain(form);
    // And wherever else this log's text goes (summaries, reports).
    for (const form of forms) expect(log.redact(`quoted: ${form}.`), form).not.toContain(form);
  });

  it('are registered once, when the sender is made, not again for every message', async () => {
    receiver = await startWebhookReceiver();
    const log = memoryLog();
    const registered: (string | undefined)[] = [];
    const secret = log.secret;
    log.secret = (value, source) => {
      registered.push(value);
      secret(value, source);
    };
    const send = chatSender(`${receiver.url}?abcBareSecret7`, log);
    expect(registered).toContain('abcBareSecret7');
    registered.length = 0;
    for (let i = 0; i < 3; i++) expect(await send(chatMessage({ kind: 'start' }, fullRecord(), log))).toBe(true);
    expect(registered).toEqual([]);
  });
});

describe('the chat header', () => {
  it('is plain text on one line: no entities shown to people, no mention parsed', () => {
    const r = fullRecord();
    r.environment = 'prod <eu>\n& more';
    const m = chatMessage({ kind: 'start' }, r, memoryLog());
    const header = (m.blocks[0] as { text: { text: string } }).text.text;
    expect(header).toBe('🚨 PROD <EU> & MORE ROLLBACK IN PROGRESS');
    expect(m.text.split('\n')[0]).toBe('🚨 PROD &lt;EU&gt; &amp; MORE ROLLBACK IN PROGRESS');
  });
});
