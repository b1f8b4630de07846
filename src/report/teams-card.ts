/**
 * Chat messages for Microsoft Teams. Its webhooks (a Workflows flow "When a Teams webhook request is
 * received", and the Office 365 connectors before them) post the Adaptive Card a message carries as
 * its attachment. Slack's JSON has none: a Workflows flow still answers 202 Accepted and then fails
 * to post, so the channel never sees the rollback while the sender reads it as delivered.
 *
 * Outside text (a reason, a deploy's name, a provider's error) goes in TextRuns, which Teams shows as
 * written: a TextRun takes no Markdown, so such text can make no link, heading or list. Teams has no
 * text that pages a channel (a mention needs an entity the card would have to declare).
 */
import { clip } from '../core/secrets.js';
import { onOneLine } from '../core/sentence.js';
import type { ChatContent } from './notify.js';

export interface AdaptiveCard {
  type: 'AdaptiveCard';
  $schema: string;
  version: string;
  body: unknown[];
  actions?: unknown[];
  msteams?: { width: 'Full' };
}

/** What Teams' webhooks take: a message whose one attachment is the card. */
export interface TeamsMessage {
  type: 'message';
  attachments: { contentType: typeof ADAPTIVE_CARD; contentUrl: null; content: AdaptiveCard }[];
}

export const ADAPTIVE_CARD = 'application/vnd.microsoft.card.adaptive';

/** The version Teams shows on desktop, web and mobile alike. */
const CARD_VERSION = '1.4';

/**
 * Teams refuses a message over about 28 KB. A card past this many bytes of JSON (the envelope adds
 * a hundred) is made again with shorter runs and fewer lines a field (the lines left out said in one
 * line); one still past it (text that is all emoji or escapes) is the title and the links alone.
 */
const CARD_MAX_BYTES = 24_000;
const CUTS: { run: number; lines: number }[] = [
  { run: 2000, lines: 30 },
  { run: 300, lines: 30 },
  { run: 150, lines: 8 },
];

/**
 * Whether a webhook URL is one of Teams': a Workflows (Power Automate, Logic Apps) HTTP trigger,
 * `/workflows/<id>/triggers/<name>/paths/invoke` on any host (the flow's region and environment name
 * it), or an Office 365 connector (`*.webhook.office.com`, `outlook.office.com/webhook…`).
 */
export function isTeamsWebhook(url: URL): boolean {
  if (/\/workflows\/[^/]+\/triggers\/[^/]+\/paths\/invoke\/?$/i.test(url.pathname)) return true;
  const host = url.hostname.toLowerCase();
  if (host.endsWith('.webhook.office.com')) return true;
  return (host === 'outlook.office.com' || host === 'outlook.office365.com') && url.pathname.toLowerCase().startsWith('/webhook');
}

function run(text: string, max: number, style: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'TextRun', text: clip(onOneLine(text), max), ...style };
}

function paragraph(inlines: Record<string, unknown>[], spacing?: 'None' | 'Medium'): Record<string, unknown> {
  return { type: 'RichTextBlock', inlines, ...(spacing ? { spacing } : {}) };
}

function httpUrl(text: string): string | undefined {
  try {
    const url = new URL(text.trim());
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

function build(content: ChatContent, { run: max, lines: linesMax }: { run: number; lines: number }): AdaptiveCard {
  const body: unknown[] = [paragraph([run(content.title, max, { weight: 'Bolder', size: 'Large' })])];
  for (const field of content.fields) {
    const lines = field.lines.length > linesMax ? [...field.lines.slice(0, linesMax - 1), `… and ${field.lines.length - linesMax + 1} more`] : field.lines;
    body.push(paragraph([run(field.label, max, { weight: 'Bolder' })], 'Medium'));
    for (const text of lines) body.push(paragraph([run(text, max)], 'None'));
  }
  const actions: unknown[] = [];
  for (const link of content.links) {
    const url = httpUrl(link.url);
    // Only our own links become buttons; one that is not a web address is shown as text.
    if (url) actions.push({ type: 'Action.OpenUrl', title: link.label, url });
    else body.push(paragraph([run(`${link.label}: ${link.url}`, max, { isSubtle: true })], 'Medium'));
  }
  for (const note of content.notes) body.push(paragraph([run(note, max, { isSubtle: true })], 'Medium'));
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: CARD_VERSION,
    body,
    ...(actions.length ? { actions } : {}),
    msteams: { width: 'Full' },
  };
}

/** The message as an Adaptive Card, within Teams' size limit. */
export function teamsCard(content: ChatContent): AdaptiveCard {
  for (const cut of CUTS) {
    const card = build(content, cut);
    if (Buffer.byteLength(JSON.stringify(card)) <= CARD_MAX_BYTES) return card;
  }
  const note = 'This message was too long for Teams: the run has all of it.';
  return build({ title: content.title, fields: [], notes: [note], links: content.links }, CUTS.at(-1)!);
}

/** A card of plain text alone, for a message that has no card of its own. */
export function textCard(text: string): AdaptiveCard {
  return teamsCard({ title: text.split('\n')[0] ?? '', fields: [], notes: text.split('\n').slice(1).filter((l) => l.trim()), links: [] });
}

export function teamsMessage(card: AdaptiveCard): TeamsMessage {
  return { type: 'message', attachments: [{ contentType: ADAPTIVE_CARD, contentUrl: null, content: card }] };
}
