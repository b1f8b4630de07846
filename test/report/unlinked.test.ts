// An on-call engineer copies a host, a URL or a command out of a job summary, an incident issue or
// a chat message and pastes it into a terminal: what they copy must be what was written. Outside
// text is kept from linking by code spans (unlinked), never by invisible characters (a zero-width
// joiner in a copied host made the pasted command fail); the one exception is the zero-width space
// that stops `@everyone`, `@here`, `@channel` and `@all` from paging a whole chat.
import { describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { codeSpan, inlineText, text, unlinked } from '../../src/report/markdown.js';
import { chatMessage, chatText } from '../../src/report/notify.js';
import { incidentBody } from '../../src/report/incident.js';
import { rollbackSummaryMarkdown } from '../../src/report/rollback-summary.js';
import { copiedChat, copiedMarkdown, outsideCode, pieces } from '../helpers/rendered.js';
import { fullRecord } from './records.js';

/** What GitHub's GFM, Slack and Discord link or mention by themselves. */
const AUTOLINKABLE = /:\/\/|(^|[^\p{L}\p{N}_])www\.|@[\p{L}\p{N}_]/iu;
const ZERO_WIDTH = /\u200b|\u200c|\u200d|\u2060|\ufeff/;

const COPIED = [
  'could not connect to db-1.internal.example:5432 (postgres://app@db-1.internal.example:5432/shop?sslmode=require)',
  'psql "postgres://app@db-1.internal.example:5432/shop" -c "select 1"',
  'Merge https://github.com/acme/shop/pull/1 and wait for its deploy.',
  'deployment https://shop-abc123-acme.vercel.app (www.shop.example), ask ops@acme.example or @octocat',
  'curl -fsS https://x.example/a`b``c | jq .[0] <ok> & done #1 *not* _em_ ~x~ ![i](http://evil/i.png)',
  '[click](https://evil.example/login) or "https://evil.example/q?a=1&b=2", then retry!',
  'HTTP://EVIL.EXAMPLE, mailto:help@evil.example, ftp://evil.example/file',
];

/** Every word that holds something linkable, as the reader double-clicks and copies it. */
function linkableWords(value: string): string[] {
  return value.split(/[\s|]+/).filter((w) => AUTOLINKABLE.test(w));
}

describe('unlinked: copied text is the original', () => {
  it.each(COPIED)('Markdown (inlineText, text): %s', (value) => {
    for (const md of [inlineText(value), text(value)]) {
      expect(md).not.toMatch(ZERO_WIDTH);
      expect(copiedMarkdown(md)).toBe(value);
      // Nothing a renderer links is left outside a code span.
      expect(outsideCode(md)).not.toMatch(AUTOLINKABLE);
      const code = pieces(md).filter((p) => p.code).map((p) => p.raw.trim());
      for (const word of linkableWords(value)) expect(code.some((c) => word.includes(c) && AUTOLINKABLE.test(c)), word).toBe(true);
    }
  });

  it.each(COPIED)('chat text: %s', (value) => {
    const chat = chatText(value);
    expect(chat).not.toMatch(ZERO_WIDTH);
    expect(copiedChat(chat)).toBe(value);
    expect(outsideCode(chat, { escapes: false })).not.toMatch(AUTOLINKABLE);
    // Slack's control characters are escaped, in code too.
    expect(chat).not.toMatch(/[<>]/);
  });

  it('a host or a URL is one code span, its punctuation in prose around it', () => {
    expect(inlineText('see https://evil.example/phish.')).toBe('see `https://evil.example/phish`.');
    expect(inlineText('(host db.example, ops@db.example)')).toBe('(host db.example, `ops@db.example`)');
    expect(chatText('Merge https://github.com/acme/shop/pull/1 now')).toBe('Merge `https://github.com/acme/shop/pull/1` now');
    expect(unlinked('a https://x.example b', (p) => p.toUpperCase())).toBe('A `https://x.example` B');
  });

  it('a word with backticks gets a fence no backtick inside can close', () => {
    for (const word of ['https://x.example/`a`', 'https://x.example/a``b', '`https://x.example`']) {
      const md = inlineText(word);
      expect(pieces(md).filter((p) => p.code)).toHaveLength(1);
      expect(copiedMarkdown(md)).toBe(word);
      expect(copiedMarkdown(codeSpan(word))).toBe(word);
    }
    expect(codeSpan('a``b')).toBe('``` a``b ```');
    // A word of many runs (200,000): read without spreading them into one call's arguments.
    expect(codeSpan('`a'.repeat(200_000)).startsWith('`` `a')).toBe(true);
  });

  it('a table cell keeps its row: the pipe stays in prose, escaped', () => {
    const md = inlineText('https://a.example|https://b.example');
    expect(md).toBe('`https://a.example`&#124;`https://b.example`');
    expect(copiedMarkdown(md)).toBe('https://a.example|https://b.example');
  });

  it('splits in linear time', () => {
    // Runs a backtracking split would go over n² times: seconds at this size, not a few milliseconds.
    const long = `${'.'.repeat(50_000)}https://x${'@'.repeat(50_000)}${'`a'.repeat(50_000)}${' www.'.repeat(20_000)}`;
    const started = performance.now();
    const md = inlineText(long);
    chatText(long);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(copiedMarkdown(md)).toBe(long);
  });
});

describe('mass mentions: the one place a zero-width character stays', () => {
  const value = '@everyone look at @here, @CHANNEL and @all; mail ops@here.example or @allison';

  it('in chat: after the @ of each page-everyone word, nowhere else', () => {
    const chat = chatText(value);
    for (const word of ['everyone', 'here', 'CHANNEL', 'all']) expect(chat).toContain(`@\u200b${word}`);
    expect(chat.match(/\u200b/g)).toHaveLength(4);
    expect(chat).not.toMatch(/\u200c|\u200d|\u2060|\ufeff/);
    expect(chat).toContain('`ops@here.example`');
    expect(chat).toContain('`@allison`');
    expect(copiedChat(chat.replace(/\u200b/g, ''))).toBe(value);
  });

  it('in Markdown: code spans only, GitHub pages no one from them', () => {
    const md = inlineText(value);
    expect(md).not.toMatch(ZERO_WIDTH);
    expect(copiedMarkdown(md)).toBe(value);
    expect(outsideCode(md)).not.toMatch(/@/);
  });
});

describe('through the reports', () => {
  const reason = 'checkout 500s: db-1.internal.example:5432 refused; run psql postgres://app@db-1.internal.example/shop, see https://status.example/x';

  it('a rollback summary and an incident issue: no invisible character, the reason copies as written', () => {
    const r = fullRecord();
    r.reason = reason;
    r.components[0]!.error = 'provider says: visit https://evil.example/login';
    for (const md of [rollbackSummaryMarkdown(r, memoryLog()), incidentBody(r)]) {
      expect(md).not.toMatch(ZERO_WIDTH);
      expect(md.split('\n').some((l) => copiedMarkdown(l.replace(/\\\|/g, '|')).includes(reason))).toBe(true);
      expect(md.split('\n').some((l) => copiedMarkdown(l).includes('visit https://evil.example/login'))).toBe(true);
    }
  });

  it('every chat message: no invisible character, the reason copies as written', () => {
    const r = fullRecord();
    r.reason = reason;
    for (const m of [chatMessage({ kind: 'start' }, r, memoryLog()), chatMessage({ kind: 'end' }, r, memoryLog())]) {
      expect(`${m.text}${JSON.stringify(m.blocks)}`).not.toMatch(ZERO_WIDTH);
      const issue = m.text.split('\n').find((l) => l.startsWith('Issue: '))!;
      expect(copiedChat(issue)).toBe(`Issue: ${reason}`);
      const field = JSON.stringify(m.blocks).match(/\*Issue\*\\n([^"]*)"/)![1]!;
      expect(copiedChat(field)).toBe(reason);
    }
  });
});
