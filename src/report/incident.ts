/**
 * The incident issue: the runbook's post-mortem template, opened on GitHub with every fact the run
 * knows filled in and the human sections left as headed blanks. A hidden marker carries the
 * incident key, so a re-run (or the next job of the same rollback) comments on the open issue
 * instead of opening a second one. Recording the incident never stops a rollback: every failure
 * is a warning that says what to change.
 */
import type { Log } from '../core/log.js';
import type { DeploymentRef, RollbackRecord } from '../pipeline/record.js';
import { parseRepository, type Repo } from '../platforms/git-revert/pulls.js';
import { RollbackKitError } from '../core/errors.js';
import { githubClient } from '../github/client.js';
import { HttpApiError, HttpNetworkError, OutOfTime, WaitTooLong, type HttpClient } from '../platforms/http/client.js';
import { StepDeadline } from '../platforms/http/deadline.js';
import { codeSpan, inlineText, linkText, redactMarkdown, table } from './markdown.js';
import { factMarkdown, factsLine, FIRST_SNAPSHOT_TITLE, firstSnapshotFacts } from './first-snapshot.js';
import { formatDuration } from '../core/duration.js';
import { changedEnv, checksTable, deploymentMarkdown, moveLabels, overBudget, statusEmoji, statusLine, timeText, totalText, verdictText, whyFailed } from './rollback-summary.js';
import { redactDeep } from '../core/secrets.js';
import { comparableUrl } from '../platforms/from-ref.js';
import { keyParts, keyRef } from '../pipeline/incident-key.js';
import { stopName } from '../core/stop-signals.js';

export interface GitHubTarget {
  apiUrl: string;
  /** owner/name */
  repository: string;
  token: string;
}

export interface IncidentOptions {
  /** Per request. */
  timeoutMs?: number;
  /** Extra attempts after a 5xx, a network error or a rate limit. */
  retries?: number;
  /** A Retry-After longer than this is not waited for: the incident is left for a re-run. */
  maxWaitMs?: number;
  /** First pause after a 5xx or network error; doubles each time. */
  backoffMs?: number;
  /** Everything (search, pages, retries, the write) within this, so the report phase stays bounded. */
  deadlineMs?: number;
}

export const DEFAULTS: Required<IncidentOptions> = { timeoutMs: 10_000, retries: 3, maxWaitMs: 20_000, backoffMs: 1000, deadlineMs: 60_000 };

/**
 * How long a stopped run (a cancelled job, Ctrl-C) gives the incident issue: counted from the stop,
 * or from the issue's start when the stop came before it, every request tried once. The stop gives
 * the run 5 s to end and report, and the chat's last message may take 1.5 of them (notify.ts
 * STOPPED_SEND): a slow GitHub's usual 10 s a request, with retries, would outlast the grace, and the
 * run would end saying that what it changed is not known instead of what it did.
 */
export const STOPPED_ISSUE_MS = 2000;

/** The run's stop as the incident issue hears of it. */
export interface IncidentStop {
  /** Aborted at the stop (SIGINT, SIGTERM). */
  signal?: AbortSignal;
  /** Told, once, what the stop left unrecorded and where to record it (also a warning in the log). */
  missed?: (what: string) => void;
}

/** The stopped run's time for the incident issue ran out (STOPPED_ISSUE_MS): what was under way is cut. */
class StopBoundPassed extends Error {}
/** GitHub refuses bodies longer than 65,536 characters. */
const GITHUB_BODY_LIMIT = 65_536;
const BODY_MAX = 65_000;
const TITLE_MAX = 120;
/** 100 open issues a page: more than ten pages of open incidents is not a list to search further. */
const MAX_PAGES = 10;

const PRIORITY: Record<string, string> = { critical: 'P0', major: 'P1', minor: 'P2' };
const BLANK = '_To be filled in._';

/** The key as an HTML comment can carry it: nothing that could close the comment or hide in it. */
export function incidentMarker(key: string): string {
  return `${MARKER_HEAD}${markerText(key)} -->`;
}

const MARKER_HEAD = '<!-- rollback-kit:incident ';

function markerText(key: string): string {
  return key.replace(/[^A-Za-z0-9._:/@+=-]/g, '_').replace(/-{2,}/g, (m) => '-_'.repeat(m.length).slice(0, m.length));
}

/** Every name of the incident: its key, then the names a later run may give it (record.incidentAliases). */
const incidentKeys = (record: Pick<RollbackRecord, 'incidentKey' | 'incidentAliases'>): string[] => [record.incidentKey, ...(record.incidentAliases ?? [])];

/**
 * Whether an issue an earlier version opened is this incident under another name. Before the alias
 * markers (incidentAliases), an issue carried one marker, its run's key, which names the bad
 * deployment as that run's `from` was given (auto-rollback's commit SHA or URL); a later run (the
 * cascade guard's) names it by the platform's id. What such an issue does carry: a marker of the same
 * environment, and in its Resolution, for each component, the deployment it was rolled back from,
 * id first (`- **web** (vercel): …` then `  - from: \`dpl_…\``), as incidentBody has always written
 * it. So a name `environment:web@dpl_…` (every component's) is found there, never guessed from a
 * title or a date. Names that are not component@id pairs (run-…, unresolved) find nothing this way.
 * A from recorded with no id is named by its URL alone (recordedUrl): a name whose part is a URL
 * finds it by that URL, however the two spell its scheme, host and trailing slash (comparableUrl;
 * deployment_status gives `https://app-abc123.vercel.app`, the Resolution writes it as the URL
 * parser does, with a slash). A from recorded with an id is found by that id only: a URL beside it
 * may name the service rather than the deployment (a Render or Railway domain), so other incidents.
 */
export function olderIssueNames(body: string, record: Pick<RollbackRecord, 'environment' | 'incidentKey' | 'incidentAliases'>): boolean {
  const env = `${record.environment}:`;
  if (!body.includes(`${MARKER_HEAD}${markerText(env)}`)) return false;
  const lines = body.split('\n');
  const fromOf = (name: string): string | undefined => {
    const at = lines.findIndex((l) => l.startsWith(`- **${inlineText(name)}** (`));
    const next = at >= 0 ? lines[at + 1] : undefined;
    return next?.startsWith('  - from: ') ? next.slice('  - from: '.length) : undefined;
  };
  return incidentKeys(record).some((key) => {
    const parts = keyParts(key, record.environment);
    return (
      !!parts &&
      parts.every((p) => {
        const from = fromOf(p.name);
        if (!from) return false;
        const id = codeSpan(p.ref);
        const url = comparableUrl(p.ref);
        return from === id || from.startsWith(`${id} · `) || (!!url && recordedUrl(from) === url);
      })
    );
  });
}

/**
 * The URL a Resolution's from line names its deployment by when it records no platform id: its first
 * part a link (deploymentMarkdown writes the id first, then the URL), or an id that is itself a URL
 * (the command provider records from as it was given). Undefined when the line leads with any other id.
 */
function recordedUrl(from: string): string | undefined {
  const first = from.split(' · ')[0]!;
  const m = /^<([^<>\s]+)>$/.exec(first) ?? /^`([^`\s]+)`$/.exec(first);
  const url = m ? comparableUrl(m[1]!) : undefined;
  // As the key writes a URL (incident-key.ts), so that the two compare.
  return url && keyRef(url);
}

export function plain(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001F\u007F\u202A-\u202E\u2066-\u2069]+/g, ' ').replace(/\s+/g, ' ').trim();
}

export function incidentTitle(record: RollbackRecord): string {
  const env = plain(record.environment) || 'production';
  const tail = ` (${env.slice(0, 40)})`;
  const room = TITLE_MAX - 'Rollback: '.length - tail.length;
  const reason = plain(record.reason) || 'no reason given';
  return `Rollback: ${reason.length > room ? `${reason.slice(0, room - 1)}…` : reason}${tail}`;
}

function endTime(record: RollbackRecord): string | undefined {
  if (record.finishedAt) return record.finishedAt;
  const start = Date.parse(record.startedAt);
  return Number.isNaN(start) ? undefined : new Date(start + record.durationMs).toISOString();
}

function phaseEnd(record: RollbackRecord, phase: string, component?: string): { at: string; status: string; detail: string } | undefined {
  const e = record.timeline.filter((t) => t.phase === phase && (component === undefined || t.component === component)).at(-1);
  if (!e) return undefined;
  const start = Date.parse(e.started);
  return { at: Number.isNaN(start) ? e.started : new Date(start + e['duration-ms']).toISOString(), status: e.status, detail: e.detail };
}

/** The template's timeline: what the run knows, in time order, and the rows only a person can fill. */
function timelineRows(record: RollbackRecord, stoppedBy?: string): string[][] {
  // `mark`: the rows the order below is built around, named rather than read back from their words.
  const rows: { at?: string; event: string; mark?: 'initiated' | 'verified' }[] = [];
  for (const c of record.components) {
    if (c.from?.createdAt) rows.push({ at: c.from.createdAt, event: `${inlineText(c.name)}: bad deployment ${deploymentMarkdown({ ...c.from, createdAt: undefined })} created` });
  }
  rows.push({ event: `First error detected: ${BLANK}` }, { event: `Incident declared: ${BLANK}` });
  rows.push({ at: record.startedAt, event: `Rollback initiated by rollback-kit: ${inlineText(record.reason)}`, mark: 'initiated' });
  for (const c of record.components) {
    const done = phaseEnd(record, 'app', c.name);
    if (done) rows.push({ at: done.at, event: `${inlineText(c.name)}: ${componentEvent(c, stoppedBy)}` });
  }
  const db = phaseEnd(record, 'database');
  if (db && record.database) rows.push({ at: db.at, event: `Database: ${inlineText(record.database.status)}, ${record.database.reverted.length} migration(s) reverted` });
  rows.push({ at: endTime(record), event: inlineText(statusLine(record, stoppedBy)) });
  const verify = phaseEnd(record, 'verify');
  if (verify && record.verify) {
    rows.push({ at: verify.at, event: record.verify.passed && record.verify.decision !== 'rollback' ? 'System verified stable by the smoke checks' : `Verification: ${verdictText(record)}` });
  } else {
    rows.push({ event: `System verified stable: ${BLANK} (the run did not verify)`, mark: 'verified' });
  }
  // Known times in order; the rows a person fills in stay where the runbook puts them.
  const known = rows.filter((r) => r.at).sort((a, b) => Date.parse(a.at!) - Date.parse(b.at!));
  const firstRollback = known.findIndex((r) => r.mark === 'initiated');
  const manual = rows.filter((r) => !r.at && r.mark !== 'verified');
  const tail = rows.filter((r) => !r.at && r.mark === 'verified');
  const ordered = [...known.slice(0, firstRollback), ...manual, ...known.slice(firstRollback), ...tail];
  return ordered.map((r) => [r.at ? inlineText(timeText(r.at, true)) : 'HH:MM', r.event]);
}

/**
 * What a component's rollback left it on, as its app row says it: "now on" only when it went there;
 * a stop says whether its rollback was sent (ComponentRecord.stopped).
 */
function componentEvent(c: RollbackRecord['components'][number], stoppedBy = 'stopped'): string {
  const on = (ref: DeploymentRef | undefined) => deploymentMarkdown(ref && { ...ref, createdAt: undefined });
  if (c.stopped === 'not-touched') return `stopped (${inlineText(stoppedBy)}) before its rollback was sent: not touched, still on ${on(c.from)}`;
  if (c.stopped === 'unknown') return `stopped (${inlineText(stoppedBy)}) after its rollback to ${on(c.to)} was sent, not confirmed: on it, or still on ${on(c.from)}`;
  if (!c.to) return inlineText(c.status);
  return c.status === 'rolled-back' || c.status === 'promoted' ? `${inlineText(c.status)}, now on ${on(c.to)}` : `${inlineText(c.status)} (its target: ${on(c.to)})`;
}

function resolution(record: RollbackRecord): string[] {
  const out: string[] = [];
  const methods = [...new Set(record.components.map((c) => c.provider))].map((p) => inlineText(p));
  if (record.database) methods.push(record.database.method === 'restore' ? 'database restore from a snapshot' : 'down migrations');
  out.push(`**Method**: ${methods.join(', ') || 'none'} (rollback-kit, status ${inlineText(record.status)}).`);
  for (const c of record.components) {
    out.push(`- **${inlineText(c.name)}** (${inlineText(c.provider)}): ${inlineText(c.status)}${c.error ? ` — ${inlineText(c.error)}` : ''}\n  - from: ${deploymentMarkdown(c.from)}\n  - to: ${deploymentMarkdown(c.to)}`);
  }
  const first = record.firstSnapshot;
  if (first) out.push(`**${FIRST_SNAPSHOT_TITLE}**: ${factsLine(firstSnapshotFacts(first), factMarkdown)}.`);
  if (record.snapshot) out.push(`**Snapshot ${first ? "by this run, after the earlier run's reverts" : 'before the database changed'}**: ${codeSpan(record.snapshot.path)}, sha256 ${codeSpan(record.snapshot.sha256)}, ${record.snapshot.sizeBytes} bytes.`);
  if (record.database) {
    const db = record.database;
    out.push(
      db.reverted.length
        ? `**Reverted migrations** (in order): ${db.reverted.map((m) => codeSpan(m)).join(', ')}.`
        : `**Database**: ${inlineText(db.status)}, no migration reverted${db.error ? ` — ${inlineText(db.error)}` : ''}.`,
    );
  }
  out.push(`**Smoke checks**: ${verdictText(record)}`);
  const checks = checksTable(record);
  if (checks) out.push(checks);
  const env = changedEnv(record);
  if (env.length) {
    out.push(`**Environment variables changed after the target was built** (the next redeploy picks up their new values): ${env.map((c) => `${inlineText(c.component)}: ${c.names.map((n) => codeSpan(n)).join(', ')}`).join('; ')}.`);
  }
  if (record.runUrl) out.push(`**Run**: ${linkText(record.runUrl)}`);
  return out;
}

function phasesTable(record: RollbackRecord): string {
  return table(
    ['Phase', 'Component', 'Start', 'Took / budget', 'Status', 'Detail'],
    record.timeline.map((e) => [e.phase, e.component ? inlineText(e.component) : '', inlineText(timeText(e.started)), `${formatDuration(e['duration-ms'])} / ${formatDuration(e['budget-ms'])}`, `${inlineText(e.status)}${overBudget(e)}`, inlineText(e.detail)]),
  );
}

/** `stoppedBy`: the stop (SIGINT) the run saw before its report, which the outcome and timeline say. */
export function incidentBody(record: RollbackRecord, stoppedBy?: string): string {
  const start = timeText(record.startedAt, true);
  const badSince = record.components.map((c) => c.from?.createdAt).filter((t): t is string => !!t && !Number.isNaN(Date.parse(t))).sort((a, b) => Date.parse(a) - Date.parse(b))[0];
  const end = endTime(record);
  const impact = badSince && end ? `${inlineText(timeText(badSince, true))} – ${inlineText(timeText(end, true))} at most (from the bad deployment's creation to the end of the rollback; confirm)` : BLANK;
  const moved = record.components.flatMap((c) => {
    // Cut short by a stop: its timeline row says whether it moved; "from … to …" would say it did.
    const m = c.stopped ? undefined : moveLabels(c);
    return m ? [m.from ? `${c.name} from ${m.from} to ${m.to}` : `${c.name} back to ${m.to}`] : [];
  });
  const summary = [
    `rollback-kit rolled ${inlineText(record.environment)} back because: ${inlineText(record.reason)}.`,
    moved.length ? `${inlineText(moved.join('; '))}.` : '',
    `Outcome: ${statusEmoji(record, stoppedBy)} ${inlineText(statusLine(record, stoppedBy))}.`,
  ]
    .filter(Boolean)
    .join(' ');
  const steps = record.nextSteps.length ? record.nextSteps.map((s, i) => `${i + 1}. ${inlineText(s)}`).join('\n') : '';
  const parts = [
    incidentKeys(record).map(incidentMarker).join('\n'),
    `# Incident Post-Mortem: ${inlineText(incidentTitle(record))}`,
    [
      `**Date**: ${inlineText(start.slice(0, 10))}`,
      `**Duration**: rollback ${inlineText(totalText(record))}; impact ${impact}`,
      `**Severity**: ${PRIORITY[record.severity] ?? ''} (${inlineText(record.severity)})`,
      `**Environment**: ${inlineText(record.environment)}`,
      `**Incident Commander**: ${BLANK}`,
    ].join('  \n'),
    '## Summary',
    `${summary}\n\n${BLANK}`,
    '## Impact',
    [`- **Users Affected**: ${BLANK}`, `- **Features Affected**: ${BLANK}`, `- **Financial Impact**: ${BLANK}`, `- **Duration**: ${impact}`].join('\n'),
    '## Timeline',
    table(['Time', 'Event'], timelineRows(record, stoppedBy)),
    ...(record.timeline.length ? ['<details><summary>Every phase of the rollback</summary>', phasesTable(record), '</details>'] : []),
    '## Root Cause',
    BLANK,
    '## Contributing Factors',
    `- ${BLANK}`,
    '## Resolution',
    resolution(record).join('\n\n'),
    ...(steps ? ['### Next steps the run suggested', steps] : []),
    '## What Went Well',
    `- ${BLANK}`,
    "## What Didn't Go Well",
    `- ${BLANK}`,
    '## Action Items',
    table(['Action', 'Owner', 'Due Date', 'Status'], [[BLANK, '', '', '[ ]']]),
    '## Lessons Learned',
    `- ${BLANK}`,
    '## Prevention',
    `1. ${BLANK}`,
    '---',
    `Opened by rollback-kit${record.runUrl ? ` from ${linkText(record.runUrl)}` : ''}. Re-runs of this rollback add a comment here instead of opening another issue.`,
  ];
  const body = parts.join('\n\n') + '\n';
  return body.length <= BODY_MAX ? body : `${body.slice(0, BODY_MAX)}\n\n_(Cut to GitHub's size limit: the run's job summary has everything.)_\n`;
}

/**
 * The short comment a re-run adds to the open incident issue: those watching the issue are told
 * why it failed and what to do now, as the job summary and the chat message tell them.
 */
export function incidentComment(record: RollbackRecord): string {
  const failing = record.status === 'failed' || record.status === 'unverified';
  const lines = [
    `**${statusEmoji(record)} Rollback run ${inlineText(timeText(record.startedAt, true))}**: ${inlineText(statusLine(record))}.`,
    '',
    ...(failing ? [...whyFailed(record).map((w) => `- ${w}`), ''] : []),
    ...record.components.map((c) => `- ${inlineText(c.name)}: ${inlineText(c.status)}${c.to ? ` (on ${deploymentMarkdown({ ...c.to, createdAt: undefined })})` : ''}`),
    ...(record.database ? [`- database: ${inlineText(record.database.status)}, ${record.database.reverted.length} migration(s) reverted for this incident`] : []),
    ...(record.verify ? [`- verify: ${verdictText(record)}`] : []),
    ...(record.nextSteps.length ? ['', 'Next steps:', '', ...record.nextSteps.map((s, i) => `${i + 1}. ${inlineText(s)}`)] : []),
    '',
    `Total: ${inlineText(totalText(record))}.${record.runUrl ? ` Run: ${linkText(record.runUrl)}` : ''}`,
  ];
  return lines.join('\n') + '\n';
}

// ---- GitHub REST -------------------------------------------------------------------------------

export type Reply =
  | { ok: true; status: number; data: unknown; next?: string }
  | {
      ok: false;
      status?: number;
      message: string;
      why: string;
      rateLimited?: boolean;
      /** The run was stopped (its signal's name): what was not recorded is said with where to record it. */
      stopped?: string;
      /** A write was sent and its answer was cut at the stop's bound: it may have been recorded. */
      unsure?: boolean;
    };

/**
 * A Link header's next page, only when it stays on the API's own origin (the token goes with it).
 * A URL holds no `<`: the match starts at the last `<` before a `>`, so a header of many `<` is
 * read once (with `[^>]+` every `<` read on to the end: n² steps).
 */
export function nextPageLink(link: string | null | undefined, base: URL): string | undefined {
  const m = link && /<([^<>]+)>\s*;\s*rel="next"/.exec(link);
  if (!m) return undefined;
  try {
    const next = new URL(m[1]!, base);
    return next.origin === base.origin ? next.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * GitHub's REST API as the incident and drill issues use it: the one GitHub client (github/client.ts:
 * timeouts, retries, rate limits, redaction, redirects on the API's own origin, capped bodies), with
 * every failure turned into a Reply instead of an error, and everything (search, pages, retries, the
 * write) within deadlineMs.
 */
export class GitHubIssues {
  readonly host: string;
  private readonly base: URL;
  private readonly deadline: StepDeadline;
  private readonly client: HttpClient;
  /** Aborted STOPPED_ISSUE_MS after the stop: what is under way then is cut. */
  private readonly cut = new AbortController();
  private cutTimer: NodeJS.Timeout | undefined;
  private readonly onStop = () => {
    this.deadline.shorten(STOPPED_ISSUE_MS);
    // Not unref'd: the run awaits what this timer ends (bounded-wait.ts says why).
    this.cutTimer = setTimeout(() => this.cut.abort(new StopBoundPassed()), STOPPED_ISSUE_MS);
  };

  constructor(
    apiUrl: string,
    token: string,
    private readonly opts: Required<IncidentOptions>,
    private readonly log: Log,
    /** The run's stop: from then on the issue gets STOPPED_ISSUE_MS, every request tried once. */
    private readonly stop?: AbortSignal,
  ) {
    this.base = new URL(apiUrl.replace(/\/*$/, '/'));
    this.host = this.base.host;
    this.deadline = new StepDeadline(Date.now, opts.deadlineMs / 1000, 'the time allowed for the issue');
    this.client = githubClient(this.base.href, token, log, {
      requestTimeoutMs: opts.timeoutMs,
      retry: { rateLimitRetries: opts.retries, serverErrorRetries: opts.retries, baseDelayMs: opts.backoffMs, jitterMs: 0 },
      longestWaitMs: opts.maxWaitMs,
      deadline: this.deadline,
      // GitHub's message and its validation errors, as the warnings quote them.
      apiError: (status, text, request) => new HttpApiError('GitHub', status, undefined, plainMessage(parseJson(text), log), request),
    });
    if (stop?.aborted) this.onStop();
    else stop?.addEventListener('abort', this.onStop, { once: true });
  }

  /** Ends the stop's timer: the issue is done with. */
  close(): void {
    clearTimeout(this.cutTimer);
    this.stop?.removeEventListener('abort', this.onStop);
  }

  url(path: string, query: Record<string, string> = {}): URL {
    const url = new URL(path.replace(/^\//, ''), this.base);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    return url;
  }

  /** Never throws: a refusal, a wait too long, no answer, or an answer that cannot be used is a Reply saying why. */
  async request(method: 'GET' | 'POST' | 'PATCH', url: URL | string, body?: unknown): Promise<Reply> {
    const allowed = `out of the ${formatDuration(this.opts.deadlineMs)} allowed for the incident issue`;
    const left = this.deadline.left();
    if (this.stop?.aborted && (left <= 0 || this.cut.signal.aborted)) return this.cutShort();
    if (left <= 0) return { ok: false, message: '', why: allowed };
    try {
      // After the stop, one attempt (a request under way then is not retried either), its answer
      // awaited up to the bound: the deadline, shortened at the stop, bounds a request started after it.
      const res = await this.client.request(method, new URL(url), { ...(body !== undefined ? { body } : {}), cut: this.cut.signal, noRetryAfter: this.stop });
      return { ok: true, status: res.status, data: res.data, next: nextPageLink(res.headers?.get('link'), this.base) };
    } catch (err) {
      // Sent, and cut before its answer came: a write may have been recorded.
      if (err instanceof StopBoundPassed || (err instanceof OutOfTime && this.stop?.aborted)) return this.cutShort(method);
      const stopped = this.stop?.aborted ? { stopped: stopName(this.stop) } : {};
      return { ...this.answered(err, left, allowed), ...stopped };
    }
  }

  /**
   * The stop's time for the issue ran out: before a request was sent, or while `sent` (its method)
   * awaited its answer (a write then may have been recorded).
   */
  private cutShort(sent?: 'GET' | 'POST' | 'PATCH'): Extract<Reply, { ok: false }> {
    const by = stopName(this.stop);
    const why = sent ? `GitHub did not answer within ${formatDuration(STOPPED_ISSUE_MS)} of the stop (${by})` : `not sent: the ${formatDuration(STOPPED_ISSUE_MS)} a stopped run (${by}) gives the incident issue had passed`;
    return { ok: false, message: '', why, stopped: by, ...(sent && sent !== 'GET' ? { unsure: true } : {}) };
  }

  /** What GitHub's refusal, or the client's, says. */
  private answered(err: unknown, left: number, allowed: string): Extract<Reply, { ok: false }> {
    if (err instanceof WaitTooLong) {
      const reply = this.failed(err.last);
      return { ...reply, why: `${reply.why}; ${err.because === 'longest-wait' ? `GitHub asks to wait ${formatDuration(err.askedMs)}, longer than a rollback should` : `GitHub asks to wait ${formatDuration(err.askedMs)}, ${allowed}`}` };
    }
    if (err instanceof OutOfTime) return { ok: false, message: '', why: `no answer within ${formatDuration(Math.min(left, this.opts.timeoutMs))}; ${allowed}` };
    return this.failed(err);
  }

  private failed(err: unknown): Extract<Reply, { ok: false }> {
    if (err instanceof HttpApiError) {
      const said = `HTTP ${err.status}${err.serverMessage ? ` ${err.serverMessage}` : ''}`;
      return { ok: false, status: err.status, message: err.serverMessage, why: err.rateLimited ? `rate limited (${said})` : said, rateLimited: err.rateLimited || undefined };
    }
    if (err instanceof HttpNetworkError) {
      const code = (err.underlying as { code?: unknown } | undefined)?.code;
      return { ok: false, message: '', why: err.timedOut ? `no answer within ${formatDuration(this.opts.timeoutMs)}` : typeof code === 'string' ? code : 'network error' };
    }
    // The client's own refusals (a redirect elsewhere, a body over the cap) name the host and path, never the token.
    if (err instanceof RollbackKitError) return { ok: false, message: '', why: this.log.redact(err.message) };
    return { ok: false, message: '', why: (err as Error)?.name ?? 'error' };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** GitHub's error text, redacted before it is cut (an error may quote what it was sent). */
function plainMessage(data: unknown, log: Pick<Log, 'excerpt'>): string {
  const d = data as { message?: unknown; errors?: { message?: unknown; code?: unknown; field?: unknown }[] } | undefined;
  const message = typeof d?.message === 'string' ? d.message : '';
  const details = Array.isArray(d?.errors) ? d.errors.map((e) => [e.field, e.code, e.message].filter((x) => typeof x === 'string').join(' ')).filter(Boolean) : [];
  return log.excerpt(plain([message, ...details].join(': ')), 200);
}

/**
 * Where a person records the incident by hand: the repository's issues page, from the run's URL
 * (`<server>/<owner>/<name>/actions/runs/<id>`, GitHub Enterprise's server too), else its name.
 */
export function issuesPlace(repository: string, runUrl: string | undefined): string {
  const page = runUrl && /^(https?:\/\/.+)\/actions\/runs\/[^/]+$/.exec(runUrl)?.[1];
  return page ? `${page}/issues` : `the issues of ${repository} on GitHub`;
}

/**
 * What a stopped run left unrecorded, and where to record it: not recorded, or (a write sent, its
 * answer cut) perhaps recorded, to look for first.
 */
function stoppedAdvice(reply: Extract<Reply, { ok: false }>, doing: string, place: string): string {
  const fill = 'with the facts of this run (its job summary, or the rollback\'s output), or run the rollback again, which records it';
  if (reply.unsure) {
    return `The incident issue may not have been recorded: the run was stopped, and ${doing} was sent, but ${reply.why}. Look in ${place} for an open issue titled "Rollback: …" that has this run; if none has it, record it there by hand ${fill}.`;
  }
  return `The incident issue was not recorded: the run was stopped while ${doing} (${reply.why}). Record it by hand in ${place} ${fill}.`;
}

/** What to change, per refusal, so the next run records the incident. */
function advice(reply: Extract<Reply, { ok: false }>, repository: string, doing: string, place = issuesPlace(repository, undefined)): string {
  if (reply.stopped) return stoppedAdvice(reply, `${doing} in ${repository}`, place);
  const head = `The incident issue was not recorded (${doing} in ${repository}: ${reply.why}).`;
  if (reply.rateLimited) return `${head} GitHub's rate limit: re-run the step later to record it; the rollback itself is not affected.`;
  switch (reply.status) {
    case 401:
      return `${head} The github-token was rejected: pass secrets.GITHUB_TOKEN or a token that is still valid.`;
    case 403:
      return `${head} The token may not write issues: grant the job \`permissions: issues: write\` (a fine-grained token needs Issues: read and write).`;
    case 404:
      return `${head} The repository was not found with this token: check GITHUB_REPOSITORY and that the token can see it (a fine-grained token must include this repository).`;
    case 410:
      return `${head} Issues are disabled on this repository: enable them in the repository settings, or set incident-issue: false.`;
    case 422:
      return `${head} GitHub refused the issue's content: check the incident labels in the rollback plan.`;
    default:
      return `${head} Re-run the step later to record it; the rollback itself is not affected.`;
  }
}

export interface IssueItem {
  number?: unknown;
  html_url?: unknown;
  body?: unknown;
  pull_request?: unknown;
  user?: Author;
}

/** An issue's or a comment's author, as GitHub gives it. */
export type Author = { login?: unknown; type?: unknown } | null | undefined;

/**
 * Who this token writes as: a personal access token's user, from GET /user; undefined for an
 * installation token (the workflow's GITHUB_TOKEN, a GitHub App's), which may not read GET /user
 * and writes as its app's bot.
 */
export async function tokenLogin(gh: GitHubIssues): Promise<string | undefined> {
  const reply = await gh.request('GET', gh.url('user'));
  const login = reply.ok ? (reply.data as { login?: unknown } | undefined)?.login : undefined;
  return typeof login === 'string' && login ? login : undefined;
}

/**
 * Written with this token: by its user, or, for an installation token, by a bot (an app a
 * repository admin installed). Anyone else who can open an issue could otherwise copy our marker
 * into one and have the rollback report there.
 */
export function writtenWithToken(author: Author, login: string | undefined): boolean {
  return login ? author?.login === login : author?.type === 'Bot';
}

/** Where an issue is written: GitHub's client, the repository's name for messages, and its issues' path. */
export interface IssueRepository {
  gh: GitHubIssues;
  name: string;
  issues: string;
}

/**
 * The repository an issue (incident or drill) is written in, or undefined after a warning that
 * begins with `head` and says what is wrong: a repository not owner/name, no token, an API URL
 * that is no URL. Nothing is asked of GitHub before these hold.
 */
export function issueRepository(target: GitHubTarget, log: Log, options: IncidentOptions, head: string, stop?: AbortSignal): IssueRepository | undefined {
  let repo: Repo;
  try {
    repo = parseRepository(target.repository);
  } catch {
    log.warning(`${head}: the repository must look like owner/name (got "${log.excerpt(plain(target.repository), 100)}").`);
    return undefined;
  }
  if (!target.token) {
    log.warning(`${head}: no github-token was given.`);
    return undefined;
  }
  let gh: GitHubIssues;
  try {
    gh = new GitHubIssues(target.apiUrl, target.token, { ...DEFAULTS, ...options }, log, stop);
  } catch {
    log.warning(`${head}: GITHUB_API_URL is not a URL.`);
    return undefined;
  }
  return { gh, name: `${repo.owner}/${repo.repo}`, issues: `repos/${encodeURIComponent(repo.owner)}/${encodeURIComponent(repo.repo)}/issues` };
}

/**
 * How an issue found by what it records (olderIssueNames) was found, in words true of every way it
 * comes about: the issue does not say which version opened it, and an issue this version opened
 * under another name of the same incident (a run without from, named by its run, then one given
 * the bad deployment's URL) is found this way as much as one an earlier version opened.
 */
const foundByFrom = (number: string): string =>
  `Incident issue #${number} was found by the deployment its Resolution says was rolled back from, not by this run's incident key (the same incident, named another way when the issue was opened)`;

/**
 * An issue found by what it carries (olderIssueNames), not by this run's markers: this run's
 * markers are added at the top of its body, beside its own, so the next run finds it by marker as
 * it finds any other. Only the markers change. A refusal is a warning: the next run finds it the same way.
 */
async function addMarkers(gh: GitHubIssues, path: string, body: string, markers: string[], repository: string, log: Log): Promise<void> {
  const missing = markers.filter((m) => !body.includes(m));
  if (!missing.length) return;
  const updated = `${missing.join('\n')}\n${body}`;
  const number = path.split('/').at(-1)!;
  if (updated.length > GITHUB_BODY_LIMIT) {
    log.info(`${foundByFrom(number)}; its body is too long to add this incident's markers to.`);
    return;
  }
  const reply = await gh.request('PATCH', gh.url(path), { body: updated });
  // The comment is recorded; only the markers are missing, and the next run finds the issue without them.
  if (!reply.ok && reply.stopped) log.info(`Incident issue #${number}: this incident's markers were not added (the run was stopped: ${reply.why}). The next run finds it the same way.`);
  else if (!reply.ok) log.warning(`${advice(reply, repository, `adding this incident's markers to incident issue #${number}, found by the deployment its Resolution says was rolled back from`)} The next run finds it the same way.`);
  else log.info(`${foundByFrom(number)}: added this incident's markers to it, so later runs find it by them.`);
}

/**
 * Opens the incident issue, or comments on the open one carrying record.incidentKey; never throws
 * (a warning, and undefined). After the run's stop (`stop`), within STOPPED_ISSUE_MS, each request
 * tried once; what that leaves unrecorded is said with where to record it, to `stop.missed` too.
 */
export async function recordIncident(target: GitHubTarget, input: RollbackRecord, log: Log, options: IncidentOptions = {}, stop: IncidentStop = {}): Promise<{ url: string; created: boolean } | undefined> {
  let gh: GitHubIssues | undefined;
  try {
    log.secret(target.token);
    // Redacted before it is escaped into Markdown, where a secret would no longer read as itself.
    const record = redactDeep(input, log.redact);
    const at = issueRepository(target, log, options, 'The incident issue was not recorded', stop.signal);
    if (!at) return undefined;
    gh = at.gh;
    const { name, issues } = at;
    const markers = incidentKeys(record).map(incidentMarker);
    const place = issuesPlace(name, record.runUrl);
    /** The warning for a refusal; a stopped run's is also the caller's to show (stop.missed). */
    const notRecorded = (reply: Extract<Reply, { ok: false }>, doing: string): undefined => {
      const said = advice(reply, name, doing, place);
      log.warning(said);
      if (reply.stopped) stop.missed?.(said);
      return undefined;
    };

    const query: Record<string, string> = { state: 'open', per_page: '100' };
    if (record.labels.length) query.labels = record.labels.join(',');
    let page: string | undefined = gh.url(issues, query).href;
    let found: { number: number; url: string } | undefined;
    /** An issue of this incident found by what it records, without this run's markers (olderIssueNames): used when no issue carries them. */
    let older: { number: number; url: string; body: string } | undefined;
    /** Asked only once an issue carries the marker: null until then. */
    let login: string | undefined | null = null;
    for (let n = 0; page && n < MAX_PAGES && !found; n++) {
      const reply = await gh.request('GET', page);
      if (!reply.ok) return notRecorded(reply, 'looking for an open incident issue');
      const list = (Array.isArray(reply.data) ? (reply.data as IssueItem[]) : []).filter((i) => !i.pull_request && typeof i.body === 'string' && typeof i.number === 'number');
      const marked = list.filter((i) => markers.some((m) => (i.body as string).includes(m)));
      const earlier = older ? [] : list.filter((i) => !marked.includes(i) && olderIssueNames(i.body as string, record));
      if ((marked.length || earlier.length) && login === null) login = await tokenLogin(gh);
      const hit = marked.find((i) => writtenWithToken(i.user, login ?? undefined));
      if (hit) found = { number: hit.number as number, url: String(hit.html_url ?? '') };
      else if (marked.length) log.info(`Issue #${String(marked[0]!.number)} carries this incident's marker but was not opened with this token: left alone.`);
      const old = earlier.find((i) => writtenWithToken(i.user, login ?? undefined));
      if (old) older = { number: old.number as number, url: String(old.html_url ?? ''), body: old.body as string };
      page = reply.next;
    }

    if (found || older) {
      const at = (found ?? older)!;
      const reply = await gh.request('POST', gh.url(`${issues}/${at.number}/comments`), { body: redactMarkdown(incidentComment(record), (text) => log.redact(text)) });
      if (!reply.ok) return notRecorded(reply, `commenting on incident issue #${at.number}`);
      log.info(`Incident issue #${at.number} already open for this rollback: added a comment (${at.url}).`);
      if (!found && older) await addMarkers(gh, `${issues}/${older.number}`, older.body, markers, name, log);
      return { url: at.url, created: false };
    }

    const reply = await gh.request('POST', gh.url(issues), {
      title: log.redact(incidentTitle(record)),
      body: redactMarkdown(incidentBody(record, stop.signal?.aborted ? stopName(stop.signal) : undefined), (text) => log.redact(text)),
      ...(record.labels.length ? { labels: record.labels.map((l) => log.redact(l)) } : {}),
    });
    if (!reply.ok) return notRecorded(reply, 'opening the incident issue');
    const created = reply.data as IssueItem | undefined;
    const url = typeof created?.html_url === 'string' ? created.html_url : '';
    log.info(`Opened incident issue #${String(created?.number ?? '?')}: ${url}`);
    return { url, created: true };
  } catch (err) {
    log.warning(`The incident issue was not recorded: ${(err as Error)?.name ?? 'error'}. The rollback itself is not affected.`);
    return undefined;
  } finally {
    gh?.close();
  }
}
