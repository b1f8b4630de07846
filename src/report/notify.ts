/**
 * Chat messages while a rollback runs, in the runbook's communication templates: "rollback in
 * progress" when it starts, an update per finished phase, an update whenever 5 minutes pass
 * without a message (heartbeat.ts), and "rollback complete" / "failed" / "unverified" at the end.
 * Slack-compatible JSON, `text` (all Discord-style receivers read) plus `blocks` (what Slack shows),
 * or to a Teams webhook the same message as an Adaptive Card (teams-card.ts). Sending never stops a
 * rollback: a failure is a warning.
 */
import type { Log } from '../core/log.js';
import { blockedPortText, blockedPortWay, isBlockedPortError } from '../core/blocked-port.js';
import { readCapped } from '../core/read-body.js';
import { clip, redactDeep } from '../core/secrets.js';
import { registerWebhookSecrets, splitCredentials } from '../core/url-secrets.js';
import { PHASES, type RollbackRecord, type Severity, type TimelineEntry } from '../pipeline/record.js';
import { changedSomething, standingFailures } from '../pipeline/timeline.js';
import { parseRetryAfter } from '../platforms/http/retry.js';
import { sleep } from '../smoke/pool.js';
import { HEARTBEAT_INTERVAL_MS, type HeartbeatUpdate } from './heartbeat.js';
import { backtickRuns, codeSpan, unlinked } from './markdown.js';
import { firstAtOrAfter } from '../core/sorted.js';
import { formatDuration } from '../core/duration.js';
import { onOneLine } from '../core/sentence.js';
import { isTeamsWebhook, teamsCard, teamsMessage, textCard } from './teams-card.js';
import { stopName } from '../core/stop-signals.js';
import { cutAfterStop } from '../core/bounded-wait.js';
import { budgetText, deploymentLabel, moveLabels, statusEmoji, statusLine, timeText, totalText, wholeRollback } from './rollback-summary.js';

export type ChatEvent = { kind: 'start' } | { kind: 'phase'; entry: TimelineEntry } | { kind: 'update'; update: HeartbeatUpdate } | { kind: 'end' };

export interface ChatMessage {
  /** Slack's fallback text, and all that Discord-style receivers read. */
  text: string;
  /** Slack's Block Kit. */
  blocks: unknown[];
  /** What the message says, from which a Teams webhook's card is made when one is sent (teams-card.ts); without it (a message written by hand) Teams gets `text`. */
  content?: ChatContent;
}

/** The runbook speaks of P0–P2. */
const PRIORITY: Record<Severity, string> = { critical: 'P0', major: 'P1', minor: 'P2' };

// Slack's limits: a header block's text, a section's text, a field's text.
const HEADER_MAX = 150;
const SECTION_MAX = 3000;
const FIELD_MAX = 2000;

/**
 * Outside text for Slack mrkdwn (and Discord, Mattermost): `&`, `<`, `>` are Slack's only control
 * characters (`<!channel>`, `<url|label>`), and are escaped as Slack asks, in code too. A word a
 * receiver would link (a bare URL, a `www.` name, an address) is in code formatting (unlinked), as
 * in the job summary: it copies as it was. Slack's blocks are also sent `verbatim`.
 */
export function chatText(text: string): string {
  const code = (word: string) => escapeChat(codeSpan(word));
  // A backtick in outside text would pair with a code span's fence (Slack's mrkdwn has no escape
  // for it), leaving the URL that span keeps from being a link bare: a word holding one is code too.
  const prose = (part: string) => (part.includes('`') ? part.split(/(\s+)/).map((w, i) => (i % 2 === 0 && w.includes('`') ? code(w) : escapeChat(w))).join('') : escapeChat(part));
  return noBroadcast(unlinked(text, prose, code));
}

function escapeChat(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * One of our own links (the run, the incident issue), written as Slack's `<url>`: Slack links
 * nothing else in a `verbatim` block, and Discord reads `<url>` as a link too. Only http(s), with
 * the characters that would end it percent-encoded.
 */
function chatLink(url: string): string {
  try {
    const parsed = new URL(url.trim());
    if (parsed.protocol === 'https:' || parsed.protocol === 'http:') return `<${parsed.href.replace(/[<>|\s]/g, encodeURIComponent)}>`;
  } catch {
    // not a URL: shown as text below
  }
  return line(url);
}

/**
 * `text` (our chat formatting) cut to `max` characters (clip), never inside what the formatting
 * opened: a code span cut before its closing fence left the URL it held bare, which Discord and
 * Mattermost then link; a `<url>` or an `&amp;` cut halfway shows as broken text. The cut goes back
 * to before such an opening, so what is left reads as the same text, shorter.
 */
function clipChat(text: string, max: number): string {
  const cut = clip(text, max);
  if (cut === text) return cut;
  let kept = cut.slice(0, -1);
  const open = spanOpenAt(text, kept.length);
  if (open >= 0) kept = kept.slice(0, open);
  // One of our own links (chatLink), or an entity (escapeChat), cut before its end.
  const link = kept.lastIndexOf('<');
  if (link > kept.lastIndexOf('>')) kept = kept.slice(0, link);
  kept = kept.replace(/&[a-z]{0,3}$/, '');
  return `${kept.trimEnd()}…`;
}

/**
 * Where the code span that `at` falls inside begins in `text`, or -1. As CommonMark reads them (and
 * readerView in markdown.ts): a run of n backticks opens a span only if a run of exactly n follows
 * (a lone backtick in outside text is literal); the runs are indexed once (backtickRuns).
 */
function spanOpenAt(text: string, at: number): number {
  const byLength = backtickRuns(text);
  let passed = 0;
  for (const m of text.matchAll(/`+/g)) {
    if (m.index >= at) break;
    // Inside a span already passed: literal there.
    if (m.index < passed) continue;
    const n = m[0].length;
    const close = firstAtOrAfter(byLength.get(n), m.index + n);
    if (close < 0) continue;
    if (at < close + n) return m.index;
    passed = close + n;
  }
  return -1;
}

/** A Slack mrkdwn text object that Slack does not scan for URLs, channel names or mentions. */
function mrkdwn(text: string): { type: 'mrkdwn'; text: string; verbatim: true } {
  return { type: 'mrkdwn', text, verbatim: true };
}

/**
 * `@everyone`, `@here`, `@channel` and `@all` page a whole server or channel (Discord, Mattermost,
 * Rocket.Chat), in code formatting too on some: the one place a zero-width space is still written,
 * after the `@`, since nothing else stops the page. No other text gets an invisible character.
 */
function noBroadcast(text: string): string {
  // Not in an address (`ops@here.example`): a page is a word of its own.
  return text.replace(/(?<![\p{L}\p{N}_.+-])@(everyone|here|channel|all)(?![\p{L}\p{N}_])/giu, '@\u200b$1');
}

/** One line of outside text: newlines in a reason or a provider message cannot fake another field. */
function line(text: string): string {
  return chatText(onOneLine(text));
}

function severityText(record: RollbackRecord): string {
  return `${PRIORITY[record.severity] ?? ''} (${record.severity})`.trim();
}

/** When the budget runs out, counted from the whole rollback's first phase (an earlier job's, in a split rollback). */
function eta(record: RollbackRecord): string {
  const start = Date.parse(wholeRollback(record).startedAt);
  if (Number.isNaN(start) || !record.budgetMs) return '-';
  return `${timeText(new Date(start + record.budgetMs).toISOString())} (budget ${formatDuration(record.budgetMs)})`;
}

function componentsText(record: RollbackRecord): string {
  const names = record.components.map((c) => c.name);
  if (record.database || record.scope.includes('database')) names.push('database');
  return names.length ? names.join(', ') : record.scope.join(', ') || '-';
}

function methodText(record: RollbackRecord): string {
  const methods = [...new Set(record.components.map((c) => c.provider))];
  if (record.database) methods.push(record.database.method === 'restore' ? 'database restore' : 'down migrations');
  return methods.join(', ') || '-';
}

/**
 * Each part's state at the end: "web: rolled-back dpl_bad → dpl_good (abc1234)". An error the
 * "What failed" field already quotes (`shown`) is not quoted again. A run stopped while planning
 * changed nothing: its parts are only planned, and "web: planned" would read as work under way.
 * A later job of a split rollback says only that it changed nothing: the earlier job's change stands.
 */
function stateLines(record: RollbackRecord, shown: ReadonlySet<string>): string[] {
  if (record.failedPhase === 'plan') {
    // In a later job of a split rollback, the earlier job's rows say what it already rolled back.
    if (changedSomething(record.timeline)) return ['this job changed nothing: it stopped while planning; what the earlier job rolled back stands'];
    return ['nothing changed: the rollback stopped while planning'];
  }
  const why = (error: string | undefined) => (error && !shown.has(error) ? ` (${error})` : '');
  const lines = record.components.map((c) => {
    const m = moveLabels(c);
    const move = !m ? '' : m.from ? ` ${m.from} → ${m.to}` : ` to ${m.to}`;
    return `${c.name}: ${c.status}${move}${why(c.error)}`;
  });
  const db = record.database;
  if (db) lines.push(`database: ${db.status}, ${db.reverted.length} of ${db.planned.length} migration(s) reverted${why(db.error)}`);
  if (record.verify) {
    const failed = record.verify.checks.filter((c) => !c.passed).map((c) => c.name);
    lines.push(`verify: ${record.verify.decision}${failed.length ? `, failing: ${failed.join(', ')}` : ', all checks pass'}`);
  }
  return lines;
}

/**
 * What failed, as the job summary and the incident issue say it (whyFailed): each failed row still
 * standing with its detail. The next steps point at it ("fix what the plan row says"), and the chat
 * is where the team reads them: without it, a failed plan or snapshot was a phase name and no cause.
 */
function failedRows(record: RollbackRecord): TimelineEntry[] {
  return record.status === 'failed' || record.status === 'unverified' ? standingFailures(record.timeline) : [];
}

/**
 * A message's facts before any receiver's formatting: outside text raw (the record was redacted),
 * one field a label and its lines. Slack's mrkdwn (slackMessage) and Teams' Adaptive Card
 * (teams-card.ts) each escape it their own way.
 */
export interface ChatContent {
  title: string;
  fields: ChatField[];
  /** Our own sentences, under the fields. */
  notes: string[];
  /** Our own links (the run, the incident issue). */
  links: ChatLink[];
}

export interface ChatField {
  label: string;
  lines: string[];
}

export interface ChatLink {
  label: string;
  url: string;
}

/**
 * The same facts as `text` (one line per field) and as Slack blocks. Field lines are escaped here;
 * the title is escaped for `text` only, since a header's plain_text shows entities as typed and
 * parses no mention. Everything comes from a redacted record (chatMessage): the cuts to Slack's
 * limits come after the redaction, so none halves a secret.
 */
function slackMessage(content: ChatContent): Pick<ChatMessage, 'text' | 'blocks'> {
  // A header's plain_text takes no formatting (a code span would show its backticks) and parses no
  // links (`verbatim` is for mrkdwn only): it gets the title as written, only the pages stopped.
  const oneLine = onOneLine(content.title);
  const title = noBroadcast(oneLine);
  const fields = content.fields.map((f) => ({ label: f.label, value: f.lines.map(line).join('\n') }));
  const footer = [...content.notes, ...content.links.map((l) => `${l.label}: ${chatLink(l.url)}`)];
  const text = [chatText(oneLine), '', ...fields.map((f) => `${f.label}: ${f.value}`), ...(footer.length ? ['', ...footer] : [])].join('\n');
  const short = fields.filter((f) => f.value.length <= 80 && !f.value.includes('\n'));
  const long = fields.filter((f) => !short.includes(f));
  const blocks: unknown[] = [{ type: 'header', text: { type: 'plain_text', text: clip(title, HEADER_MAX), emoji: true } }];
  for (let i = 0; i < short.length; i += 10) {
    blocks.push({ type: 'section', fields: short.slice(i, i + 10).map((f) => mrkdwn(clipChat(`*${f.label}*\n${f.value}`, FIELD_MAX))) });
  }
  for (const f of long) blocks.push({ type: 'section', text: mrkdwn(clipChat(`*${f.label}*\n${f.value}`, SECTION_MAX)) });
  if (footer.length) blocks.push({ type: 'context', elements: [mrkdwn(clipChat(footer.join(' · '), SECTION_MAX))] });
  return { text: clipChat(text, 39_000), blocks };
}

/** Slack's form of one message, and its content for a receiver that takes another (a Teams card, made only for Teams). */
function build(content: ChatContent): ChatMessage {
  return { ...slackMessage(content), content };
}

function links(record: RollbackRecord): ChatLink[] {
  const out: ChatLink[] = [];
  if (record.runUrl) out.push({ label: 'Run', url: record.runUrl });
  if (record.incidentIssueUrl) out.push({ label: 'Incident issue', url: record.incidentIssueUrl });
  return out;
}

function startMessage(record: RollbackRecord): ChatMessage {
  const env = record.environment.toUpperCase();
  const targets = record.components.map((c) => `${c.name} → ${deploymentLabel(c.to) ?? 'previous'}${c.to?.createdAt ? ` (from ${timeText(c.to.createdAt, true)})` : ''}`);
  return build({
    title: `${record.dryRun ? '📝 DRY RUN: ' : '🚨 '}${env} ROLLBACK IN PROGRESS`,
    fields: [
      { label: 'Issue', lines: [record.reason] },
      { label: 'Severity', lines: [severityText(record)] },
      { label: 'Components', lines: [componentsText(record)] },
      { label: 'Started', lines: [timeText(record.startedAt, true)] },
      { label: 'ETA', lines: [eta(record)] },
      ...(targets.length ? [{ label: 'Action', lines: targets }] : []),
    ],
    notes: [`Updates will be posted here as each phase finishes, and at least every ${HEARTBEAT_INTERVAL_MS / 60_000} minutes.`],
    links: links(record),
  });
}

/** The phase that runs next: without a database in the plan, snapshot and database do not run. */
function nextPhase(entry: TimelineEntry, record: RollbackRecord): string | undefined {
  const i = PHASES.indexOf(entry.phase);
  if (i < 0) return undefined;
  return PHASES.slice(i + 1).find((p) => record.database || (p !== 'snapshot' && p !== 'database'));
}

function phaseMessage(entry: TimelineEntry, record: RollbackRecord): ChatMessage {
  const finished = Date.parse(entry.started) + entry['duration-ms'];
  const at = Number.isNaN(finished) ? '' : ` ${timeText(new Date(finished).toISOString()).slice(0, 5)}`;
  const blocked = entry.status === 'failed';
  const subject = `${entry.phase}${entry.component ? ` (${entry.component})` : ''}`;
  const next = nextPhase(entry, record);
  return build({
    title: `⏱️ UPDATE${at}: ${subject} ${entry.status}`,
    fields: [
      { label: 'Status', lines: [blocked ? 'Blocked' : 'In Progress'] },
      { label: 'Progress', lines: [`${subject}: ${entry.status}${entry.detail ? ` — ${entry.detail}` : ''}`] },
      { label: 'Took', lines: [budgetText(entry['duration-ms'], entry['budget-ms'])] },
      ...(next && !blocked ? [{ label: 'Next', lines: [next] }] : []),
      { label: 'ETA', lines: [eta(record)] },
    ],
    notes: [],
    links: links(record),
  });
}

/** The runbook's 5-minute "UPDATE [HH:MM]": the phase under way against its budget, what is done, what is next. */
function updateMessage(update: HeartbeatUpdate, record: RollbackRecord): ChatMessage {
  const at = `${timeText(update.at).slice(0, 5)} UTC`;
  return build({
    title: `⏱️ UPDATE ${at}: ${update.running ? `${update.running} under way` : 'in progress'}`,
    fields: [
      { label: 'Status', lines: ['In Progress'] },
      ...(update.running ? [{ label: 'Under way', lines: [`${update.running}: ${budgetText(update.runningMs, update.budgetMs)}`] }] : []),
      { label: 'Done', lines: [update.done.join(', ') || '-'] },
      ...(update.next ? [{ label: 'Next', lines: [update.next] }] : []),
      { label: 'ETA', lines: [`${timeText(update.eta)} (from the budgets left)`] },
    ],
    notes: [],
    links: links(record),
  });
}

function endMessage(record: RollbackRecord): ChatMessage {
  const failed = failedRows(record);
  const shown = new Set(failed.map((e) => e.detail));
  const state = stateLines(record, shown);
  return build({
    title: `${statusEmoji(record)} ${statusLine(record)}`,
    fields: [
      { label: 'Issue', lines: [record.reason] },
      { label: 'Severity', lines: [severityText(record)] },
      { label: 'Rollback Method', lines: [methodText(record)] },
      { label: 'Duration', lines: [totalText(record)] },
      ...(record.failedPhase ? [{ label: 'Failed phase', lines: [record.failedPhase] }] : []),
      ...(failed.length ? [{ label: 'What failed', lines: failed.map((e) => `${e.phase}${e.component ? ` (${e.component})` : ''}: ${e.detail}`) }] : []),
      { label: 'Current State', lines: state.length ? state : ['-'] },
      ...(record.nextSteps.length ? [{ label: 'Next Steps', lines: record.nextSteps.map((s, i) => `${i + 1}. ${s}`) }] : []),
    ],
    notes: [],
    links: links(record),
  });
}

/**
 * The record is redacted before anything is escaped or cut (see redactDeep): redacting the
 * finished message would miss a secret escaping rewrote or a cut halved.
 */
export function chatMessage(event: ChatEvent, input: RollbackRecord, log: Pick<Log, 'redact'>): ChatMessage {
  const record = redactDeep(input, log.redact);
  if (event.kind === 'start') return startMessage(record);
  if (event.kind === 'phase') return phaseMessage(event.entry, record);
  if (event.kind === 'update') return updateMessage(redactDeep(event.update, log.redact), record);
  return endMessage(record);
}

export interface SendOptions {
  /** Per attempt; the runbook's 5 seconds by default. */
  timeoutMs?: number;
  /** Pause before the one retry. */
  retryDelayMs?: number;
  /** False: one attempt only (the run is stopped: see STOPPED_SEND). */
  retry?: boolean;
  /**
   * The run's stop, for a message sent before it (a phase's update, a heartbeat): when it comes,
   * the message is not retried, and an attempt under way gets STOPPED_UNDER_WAY_MS more for its
   * answer, then is cut. The closing message waits for it and then has the stop's grace to share.
   */
  stop?: AbortSignal;
}

/**
 * How a stopped run (a cancelled job, Ctrl-C) sends its last message: one short attempt. The stop
 * gives the run 5 s to end and report; a hanging receiver's usual 5 s, a pause and a retry would
 * take 11, and the run would end saying what it changed is not known instead of what it did.
 */
export const STOPPED_SEND: SendOptions = { timeoutMs: 1500, retry: false };

/**
 * How long a message already on its way when the run is stopped may still wait for its answer: a
 * receiver that answers at all answers well within it, and one that hangs would otherwise hold the
 * stopped run for its 5 s timeout, a pause and a retry (11 s) before the closing message, past the
 * stop's 5 s grace. Cut then, as the incident issue is (incident.ts STOPPED_ISSUE_MS), it leaves
 * the closing message (STOPPED_SEND) its 1.5 s within the grace: the closing message says it all.
 */
export const STOPPED_UNDER_WAY_MS = 1000;

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_RETRY_DELAY_MS = 1000;
/** A receiver asking for a longer wait than this is not waited for: the rollback goes on. */
const MAX_RETRY_AFTER_MS = 2000;
/** What of a receiver's answer is read: it is quoted in a warning, never parsed. */
const ANSWER_READ_BYTES = 16 * 1024;

/**
 * Webhooks that failed their last message in this process. A rollback sends a message per phase and
 * waits for each: a receiver that hangs would cost it 11 s a message, so after one failed message
 * the next ones get a single attempt, and a success restores the retry.
 */
const failing = new Set<string>();

type Attempt = { ok: true } | { ok: false; why: string; retryable: boolean; retryAfterMs?: number };

async function post(url: URL, body: string, timeoutMs: number, log: Pick<Log, 'excerpt'>, cut?: AbortSignal): Promise<Attempt> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    // fetch refuses a URL with a user name and password: they go as Basic auth, as smoke checks send them.
    const { url: bare, authorization } = splitCredentials(url.href);
    const res = await fetch(bare, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'User-Agent': 'rollback-kit', ...(authorization ? { Authorization: authorization } : {}) },
      body,
      redirect: 'error',
      signal: cut ? AbortSignal.any([timeout, cut]) : timeout,
    });
    // Only quoted (100 characters), so only that much is read: a receiver's endless body costs nothing.
    // Redact, then cut: a receiver may echo what it was sent.
    const answer = log.excerpt((await readCapped(res, ANSWER_READ_BYTES)).text.replace(/\s+/g, ' ').trim(), 100);
    if (res.ok) return { ok: true };
    const why = `HTTP ${res.status}${answer ? ` (${answer})` : ''}`;
    if (res.status === 429) return { ok: false, why, retryable: true, retryAfterMs: parseRetryAfter(res.headers.get('retry-after')) };
    return { ok: false, why, retryable: res.status >= 500 || res.status === 408 };
  } catch (err) {
    const name = (err as Error)?.name;
    // The stop's bound came before the answer: not retried (the caller stops at the stop anyway).
    if (cut?.aborted && !timeout.aborted) return { ok: false, why: `no answer within ${formatDuration(STOPPED_UNDER_WAY_MS)} of the stop (${stopName(cut)})`, retryable: false };
    if (name === 'TimeoutError' || name === 'AbortError') return { ok: false, why: `no answer within ${formatDuration(timeoutMs)}`, retryable: true };
    // Refused by fetch itself for the URL's port: nothing was sent, and a retry could not send it.
    if (isBlockedPortError(err)) return { ok: false, why: `${blockedPortText(url)}; nothing went out, and it was not retried (trying again cannot help). ${blockedPortWay('notify-webhook-url').replace(/\.$/, '')}`, retryable: false };
    // Only the error code: a network error's message can carry the whole URL.
    const code = (err as { cause?: { code?: unknown } })?.cause?.code;
    return { ok: false, why: typeof code === 'string' ? code : 'network error', retryable: true };
  }
}

export type ChatSender = (message: ChatMessage, opts?: SendOptions) => Promise<boolean>;

/**
 * What posts messages to a chat webhook: a Teams one (teams-card.ts) gets the card, any other the
 * Slack-compatible JSON. The URL is a secret (its path is the
 * credential): its every form is registered with the log here, once, before the rollback prints
 * anything a provider's error could quote it in, and only its host is ever printed.
 */
export function chatSender(webhookUrl: string, log: Log): ChatSender {
  registerWebhookSecrets(webhookUrl, log);
  // A rollback sends several messages (start, heartbeats, end): a webhook that is not a URL, or does
  // not answer, is said once, not once a message. Each failed phase's row still says it was not delivered.
  const said = new Set<string>();
  const once: Log = { ...log, warning: (m) => void (said.has(m) || (said.add(m), log.warning(m))) };
  return (message, opts) => sendChatMessage(webhookUrl, message, once, opts);
}

async function sendChatMessage(webhookUrl: string, message: ChatMessage, log: Log, opts: SendOptions = {}): Promise<boolean> {
  try {
    let url: URL;
    try {
      url = new URL(webhookUrl.trim());
    } catch {
      log.warning('notify-webhook-url is not a URL; no chat message was sent. The rollback goes on.');
      return false;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      log.warning(`notify-webhook-url must be an http(s) URL (got ${url.protocol.replace(/[^a-z+.-]/gi, '')}); no chat message was sent. The rollback goes on.`);
      return false;
    }
    // Teams posts only a card; Slack and the receivers that read its JSON take text and blocks.
    const payload = isTeamsWebhook(url) ? teamsMessage(message.content ? teamsCard(message.content) : textCard(message.text)) : { text: message.text, blocks: message.blocks };
    const body = JSON.stringify(redactDeep(payload, log.redact));
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const cut = cutAfterStop(opts.stop, STOPPED_UNDER_WAY_MS);
    try {
      return await deliver(url, body, timeoutMs, log, opts, cut.signal);
    } finally {
      cut.dispose();
    }
  } catch (err) {
    // Nothing above should throw; if it does, a message is still not worth a rollback.
    log.warning(`The chat message could not be sent: ${(err as Error)?.name ?? 'error'}. The rollback goes on.`);
    return false;
  }
}

/** One attempt, and one retry unless the run was stopped by then. */
async function deliver(url: URL, body: string, timeoutMs: number, log: Log, opts: SendOptions, cut: AbortSignal | undefined): Promise<boolean> {
  let last = await post(url, body, timeoutMs, log, cut);
  if (!last.ok && last.retryable && opts.retry !== false && !failing.has(url.href) && !opts.stop?.aborted) {
    const wait = last.retryAfterMs || (opts.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS);
    if (wait <= MAX_RETRY_AFTER_MS) {
      // A stop during the pause ends it, and the message is not tried again.
      await sleep(wait, opts.stop);
      if (!opts.stop?.aborted) last = await post(url, body, timeoutMs, log, cut);
    } else {
      last = { ...last, why: `${last.why}, asked to wait ${formatDuration(wait)}` };
    }
  }
  if (last.ok) {
    failing.delete(url.href);
    return true;
  }
  failing.add(url.href);
  log.warning(`The chat message to ${url.host} was not delivered: ${last.why}. The rollback goes on; tell the team another way.`);
  return false;
}
