// Outside text never becomes a link: a server's header, a reason, a provider's message quoted in a
// job summary, an incident issue or a chat message keeps any URL, www. name or address it holds
// as text. GitHub's Markdown links a bare `https://…`, `www.…` and `a@b.example` by itself (GFM's
// autolink extension), and Slack and Discord link bare URLs in messages: each such word is a code
// span (unlinked), which copies as written (test/report/unlinked.test.ts).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { inlineText, text } from '../../src/report/markdown.js';
import { rollbackSummaryMarkdown } from '../../src/report/rollback-summary.js';
import { incidentBody } from '../../src/report/incident.js';
import { startWebhookReceiver } from '../fakes/webhook-receiver.js';
import { runAction } from '../helpers/run-action.js';
import { copiedMarkdown, outsideCode } from '../helpers/rendered.js';
import { fullRecord } from './records.js';

const HOSTILE = 'see https://evil.example/phish or HTTP://EVIL.EXAMPLE, www.evil.example, mailto:help@evil.example, ftp://evil.example and @octocat';

/** What GitHub's GFM links by itself: extended URL, www and e-mail autolinks, and @mentions. */
const AUTOLINKABLE = /https?:\/\/|ftp:\/\/|(^|[\s*_~(])www\.|[\w.+-]@[\w-]+\.[\w-]|(^|\W)@[A-Za-z0-9]/im;

describe('the one writer of outside text: no bare link survives', () => {
  it.each([
    ['text', text],
    ['inlineText', inlineText],
  ])('%s', (_name, write) => {
    const out = write(HOSTILE);
    expect(outsideCode(out)).not.toMatch(AUTOLINKABLE);
    // It reads, and copies, the same: nothing was added but code spans and Markdown escapes.
    expect(copiedMarkdown(out)).toBe(HOSTILE);
  });

  it('a rollback summary and an incident issue quoting a reason with URLs', () => {
    const r = fullRecord();
    r.reason = HOSTILE;
    r.components[0]!.error = 'provider says: visit https://evil.example/login';
    for (const md of [rollbackSummaryMarkdown(r, memoryLog()), incidentBody(r)]) {
      const outside = md.split('\n').filter((l) => l.includes('evil'));
      expect(outside.length).toBeGreaterThan(0);
      // Links written on purpose (`<https://…>`, the deployments' own URLs) aside.
      for (const l of outside) expect(outsideCode(l).replace(/<https:\/\/[^>\s]+>/g, '')).not.toMatch(AUTOLINKABLE);
      // Our own links are still links.
      expect(md).toContain('<https://github.com/acme/shop/actions/runs/123456789>');
    }
  });
});

describe('through the bundles', () => {
  let server: ReturnType<typeof createServer>;
  let base = '';
  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'x-val': 'https://evil.example/phish www.evil.example', 'content-type': 'text/plain' });
      res.end('ok');
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((done) => server.close(() => done()));
  });

  it('smoke-test: a header value quoted in the summary is no link', async () => {
    const run = await runAction('smoke-test', { 'base-url': base, checks: '- {name: h, url: /hdr, header: {x-val: /ok}}\n', attempts: 1, 'fail-step': 'false' });
    expect(run.outputs.passed).toBe('false');
    const quoting = run.summary.split('\n').filter((l) => l.includes('evil.example'));
    expect(quoting.length).toBeGreaterThan(0);
    for (const l of quoting) expect(outsideCode(l)).not.toMatch(AUTOLINKABLE);
    // Code spans, not invisible joiners: the value copies as it was.
    expect(run.summary).not.toMatch(/\u200d/);
    expect(quoting.some((l) => l.includes('`https://evil.example/phish`'))).toBe(true);
  });

  it('rollback: the reason in the summary and in every chat message is no link', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const run = await runAction('rollback', { reason: HOSTILE, provider: 'command', command: 'true', 'incident-issue': 'false', 'notify-webhook-url': receiver.url });
      expect(run.outputs.status).toBe('rolled-back');
      for (const l of run.summary.split('\n').filter((x) => x.includes('evil'))) expect(outsideCode(l)).not.toMatch(AUTOLINKABLE);
      expect(run.summary).not.toMatch(/\u200d/);
      expect(receiver.delivered.length).toBeGreaterThan(1);
      const delivered = receiver.delivered as { text: string; blocks: unknown[] }[];
      expect(delivered.some((m) => m.text.includes('`https://evil.example/phish`'))).toBe(true);
      for (const m of delivered) {
        expect(outsideCode(m.text, { escapes: false })).not.toMatch(/https?:\/\/evil|www\.evil|@evil|<https?:\/\/evil/i);
        expect(JSON.stringify(m)).not.toMatch(/\u200d/);
        for (const t of JSON.stringify(m.blocks).match(/"type":"mrkdwn"[^}]*}/g) ?? []) expect(t).toContain('"verbatim":true');
      }
    } finally {
      await receiver.close();
    }
  });
});
