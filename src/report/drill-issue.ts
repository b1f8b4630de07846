/**
 * The drill issue: one open "Rollback drill" issue per environment, found again by its label and a
 * hidden marker, with one comment per drill. Each comment carries its own result in a second hidden
 * marker, so the next drill reads the trend back from the comments themselves: nothing else to
 * store, and a comment a person deletes simply drops out of the table. Only the drills' own comments
 * count (the token's user, or github-actions[bot]): a marker anyone else writes is ignored. Like the incident issue,
 * writing it never fails the drill: every refusal is a warning that says what to change.
 */
import type { Log } from '../core/log.js';
import { BROKEN_WAY_BACK, DRILL_PHASES, trendRow, type DrillRecord, type DrillStatus, type DrillStop, type DrillTrendRow } from '../pipeline/drill.js';
import { GitHubIssues, issueRepository, plain, tokenLogin, type Author, type GitHubTarget, type IncidentOptions, type IssueItem, type Reply } from './incident.js';
import { drillReportMarkdown } from './drill-summary.js';
import { inlineText, redactMarkdown } from './markdown.js';
import { redactDeep } from '../core/secrets.js';

export const DRILL_LABEL = 'rollback-drill';
/** Drills shown in the trend table, this one included. */
export const TREND_ROWS = 8;
/** 100 comments a page; a quarterly drill fills ten pages in 250 years. */
const MAX_PAGES = 10;
const STATUSES: readonly DrillStatus[] = ['passed', 'failed', 'dry-run'];

/** The issue's marker: the environment as an HTML comment can carry it. */
export function drillIssueMarker(environment: string): string {
  return `<!-- rollback-kit:drill-issue ${environment.replace(/[^A-Za-z0-9._:/@+=]/g, '_')} -->`;
}

export function drillIssueTitle(environment: string): string {
  return `Rollback drill (${plain(environment).slice(0, 60) || 'staging'})`;
}

/**
 * One drill's result as its comment carries it: only numbers, an ISO time and a status word,
 * `untried=readiness` for a drill that failed in readiness (its numbers time no way back), and
 * `stopped=<signal> after=<phase>` for a drill that was stopped (its status stays failed, as its
 * exit did; the trend shows it as stopped). Earlier versions' parsers do not read a marker with
 * either: such a drill drops out of their trend, which is where it belongs, rather than showing as
 * a timing or a failure. A marker without them (an earlier version's) reads as before.
 */
export function resultMarker(row: DrillTrendRow): string {
  const stopped = row.stopped ? ` stopped=${row.stopped.by.replace(/[^A-Za-z]/g, '').slice(0, 12) || 'stopped'} after=${row.stopped.after === 'the start' ? START : row.stopped.after}` : '';
  return `<!-- rollback-kit:drill-result at=${row.at} status=${row.status} back=${row.wayBackMs} forward=${row.forwardMs} total=${row.totalMs} budget=${row.budgetMs}${row.untried ? ' untried=readiness' : ''}${stopped} -->`;
}

/** `after=` of a drill stopped before it finished any phase (DrillStop's 'the start': a marker field has no space). */
const START = 'start';
const STOPPED_AFTER: readonly string[] = [START, ...DRILL_PHASES];

const RESULT = /<!-- rollback-kit:drill-result at=(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,3})?Z) status=([a-z-]{1,10}) back=(\d{1,12}) forward=(\d{1,12}) total=(\d{1,12}) budget=(\d{1,12})( untried=readiness)?(?: stopped=([A-Za-z]{1,12}) after=([a-z-]{1,14}))? -->/;

/**
 * A failed drill's report whose first failure is the readiness checks' (drill-summary.ts): how an
 * earlier version's comment, whose marker has no `untried`, says its drill never tried the way back.
 */
const UNTRIED_REPORT = `**Why it failed**\n\n- ${BROKEN_WAY_BACK}`;

/** How far a runner's clock may run ahead of GitHub's when a drill stamps its result. */
const CLOCK_SKEW_MS = 10 * 60_000;

/**
 * The result in a comment, or undefined for any other comment (a person's, or a tampered one). A
 * result later than `notAfterMs` (now, or when GitHub says the comment was posted) is no drill's:
 * a drill's result is written before its comment.
 */
export function parseResult(body: string, notAfterMs = Date.now()): DrillTrendRow | undefined {
  // Bounded: the pattern has no nested repetition, and a comment body is cut to GitHub's limit.
  const m = RESULT.exec(body.slice(0, 70_000));
  const at = m ? Date.parse(m[1]!) : NaN;
  if (!m || !STATUSES.includes(m[2] as DrillStatus) || Number.isNaN(at) || at > notAfterMs) return undefined;
  if (m[9] !== undefined && !STOPPED_AFTER.includes(m[9])) return undefined;
  const row: DrillTrendRow = { at: m[1]!, status: m[2] as DrillStatus, wayBackMs: Number(m[3]), forwardMs: Number(m[4]), totalMs: Number(m[5]), budgetMs: Number(m[6]) };
  const untried = m[7] !== undefined || (row.status === 'failed' && body.slice(0, m.index).includes(UNTRIED_REPORT));
  if (untried) row.untried = true;
  if (m[8] !== undefined) row.stopped = { by: m[8], after: m[9] === START ? 'the start' : (m[9] as DrillStop['after']) };
  return row;
}

/** The workflow's GITHUB_TOKEN comments as the GitHub Actions app's bot. */
export const GITHUB_ACTIONS_BOT = 'github-actions[bot]';

interface CommentItem {
  body?: unknown;
  created_at?: unknown;
  user?: { login?: unknown } | null;
}

/**
 * Whose comments carry real results: the drills' own, written with this token. A personal access
 * token's user is what GET /user says. An installation token may not read GET /user: the workflow's
 * GITHUB_TOKEN comments as github-actions[bot], another GitHub App's as its own bot, which opened
 * the drill issue (a bot is an app a repository admin installed). Anyone else who can comment on
 * the issue could otherwise write a result marker and rewrite the trend.
 */
async function drillAuthors(gh: GitHubIssues, issueAuthor: Author): Promise<string[]> {
  const login = await tokenLogin(gh);
  if (login) return [login];
  const bot = issueAuthor?.type === 'Bot' && typeof issueAuthor.login === 'string' ? [issueAuthor.login] : [];
  return [...new Set([GITHUB_ACTIONS_BOT, ...bot])];
}

/** A drill's result from one comment of the issue: only the drills' author's, never later than GitHub's own time for it. */
function commentResult(c: CommentItem, authors: string[], now: number): DrillTrendRow | undefined {
  if (typeof c.body !== 'string' || typeof c.user?.login !== 'string' || !authors.includes(c.user.login)) return undefined;
  const posted = typeof c.created_at === 'string' ? Date.parse(c.created_at) : NaN;
  return parseResult(c.body, Number.isNaN(posted) ? now : Math.min(now, posted + CLOCK_SKEW_MS));
}


/** The comment for one drill: the report everyone sees, and its result marker for the next drill's trend. */
export function drillComment(record: DrillRecord, trend: DrillTrendRow[]): string {
  return `${drillReportMarkdown(record, trend)}\n${resultMarker(trendRow(record))}\n`;
}

function issueBody(record: DrillRecord): string {
  return [
    drillIssueMarker(record.environment),
    `# Rollback drill: ${inlineText(record.environment)}`,
    'rollback-kit rehearses the rollback here on a schedule: readiness checks, a verified snapshot, back to the previous deployment, verify, forward to the original, verify again, every phase against its budget.',
    'Each drill adds a comment with its phases and the trend of the last drills. Keep this issue open: the next drill finds it by its label and comments here. Close it to start a fresh trend.',
  ].join('\n\n') + '\n';
}

function why(reply: Extract<Reply, { ok: false }>, repository: string, doing: string): string {
  const head = `The drill issue was not written (${doing} in ${repository}: ${reply.why}).`;
  if (reply.status === 401) return `${head} The github-token was rejected: pass secrets.GITHUB_TOKEN.`;
  if (reply.status === 403 && !reply.rateLimited) return `${head} Grant the job \`permissions: issues: write\`.`;
  if (reply.status === 410) return `${head} Issues are disabled on this repository: enable them, or set incident-issue: false.`;
  return `${head} The drill's result is in the job summary; the next drill's trend will miss this one.`;
}

/** Comments on the open drill issue (opening it first if there is none); returns the trend, this drill last. Never throws. */
export async function recordDrill(target: GitHubTarget, input: DrillRecord, log: Log, options: IncidentOptions = {}): Promise<{ url: string; trend: DrillTrendRow[] } | undefined> {
  try {
    log.secret(target.token);
    const record = redactDeep(input, log.redact);
    const at = issueRepository(target, log, options, 'The drill issue was not written');
    if (!at) return undefined;
    const { gh, name, issues } = at;
    const marker = drillIssueMarker(record.environment);

    let found: { number: number; url: string; author?: IssueItem['user'] } | undefined;
    let page: string | undefined = gh.url(issues, { state: 'open', labels: DRILL_LABEL, per_page: '100' }).href;
    for (let n = 0; page && n < MAX_PAGES && !found; n++) {
      const reply = await gh.request('GET', page);
      if (!reply.ok) {
        log.warning(why(reply, name, 'looking for the open drill issue'));
        return undefined;
      }
      const hit = (Array.isArray(reply.data) ? (reply.data as IssueItem[]) : []).find((i) => !i.pull_request && typeof i.body === 'string' && i.body.includes(marker) && typeof i.number === 'number');
      if (hit) found = { number: hit.number as number, url: String(hit.html_url ?? ''), author: hit.user };
      page = reply.next;
    }

    const earlier: DrillTrendRow[] = [];
    if (found) {
      const authors = await drillAuthors(gh, found.author);
      const now = Date.now();
      let comments: string | undefined = gh.url(`${issues}/${found.number}/comments`, { per_page: '100' }).href;
      for (let n = 0; comments && n < MAX_PAGES; n++) {
        const reply = await gh.request('GET', comments);
        if (!reply.ok) {
          log.warning(why(reply, name, `reading the comments of drill issue #${found.number}`));
          return undefined;
        }
        for (const c of Array.isArray(reply.data) ? (reply.data as CommentItem[]) : []) {
          const row = c && typeof c === 'object' ? commentResult(c, authors, now) : undefined;
          if (row) earlier.push(row);
        }
        comments = reply.next;
      }
    } else {
      const reply = await gh.request('POST', gh.url(issues), { title: drillIssueTitle(record.environment), body: redactMarkdown(issueBody(record), (text) => log.redact(text)), labels: [DRILL_LABEL] });
      if (!reply.ok) {
        log.warning(why(reply, name, 'opening the drill issue'));
        return undefined;
      }
      const created = reply.data as IssueItem | undefined;
      if (typeof created?.number !== 'number') {
        log.warning('The drill issue was not written: GitHub did not say which issue it opened.');
        return undefined;
      }
      found = { number: created.number, url: typeof created.html_url === 'string' ? created.html_url : '' };
      log.info(`Opened the drill issue #${found.number}: ${found.url}`);
    }

    const sorted = earlier.sort((a, b) => Date.parse(a.at) - Date.parse(b.at)).filter((r) => r.at !== record.startedAt);
    const trend = [...sorted.slice(-(TREND_ROWS - 1)), trendRow(record)];
    const reply = await gh.request('POST', gh.url(`${issues}/${found.number}/comments`), { body: redactMarkdown(drillComment(record, trend), (text) => log.redact(text)) });
    if (!reply.ok) {
      log.warning(why(reply, name, `commenting on drill issue #${found.number}`));
      return undefined;
    }
    log.info(`Drill recorded on issue #${found.number} (${found.url}).`);
    return { url: found.url, trend };
  } catch (err) {
    log.warning(`The drill issue was not written: ${(err as Error)?.name ?? 'error'}. The drill's result is in the job summary.`);
    return undefined;
  }
}
