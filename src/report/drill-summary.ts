/**
 * The drill's report in Markdown: the job summary and the drill issue's comment are the same text,
 * so they can never tell different stories. Outside text goes through the escaping helpers.
 */
import type { Log } from '../core/log.js';
import { DRILL_STOPPED, trendRow, UNTRIED_WAY_BACK, wayBackTimed, type DrillPhase, type DrillRecord, type DrillStatus, type DrillTrendRow } from '../pipeline/drill.js';
import type { ReadinessCheck } from '../pipeline/drill-readiness.js';
import type { TimelineEntry } from '../pipeline/record.js';
import { inlineText, linkText, table } from './markdown.js';
import { formatDuration } from '../core/duration.js';
import { overBudget, timeText } from './rollback-summary.js';
import { redactDeep } from '../core/secrets.js';

export const DRILL_EMOJI: Record<DrillStatus, string> = { passed: '✅', failed: '❌', 'dry-run': '🧪' };
/** A drill, a phase or a check the stop cut short: neither a pass nor a failure. */
export const STOPPED_EMOJI = '⏹️';
/** In place of a time the stop cut short (a phase's, a stopped drill's): part of a time is no timing. */
export const NO_TIME = '—';

const CHECK_EMOJI: Record<ReadinessCheck['status'], string> = { ok: '✅', failed: '❌', warning: '⚠️', skipped: '➖', stopped: STOPPED_EMOJI };

/** A phase row's time against its budget, and its status: a row the stop cut short is `stopped`, with no time. */
function phaseCells(e: TimelineEntry<DrillPhase>): [string, string] {
  if (e.stopped) return [`${NO_TIME} / ${formatDuration(e['budget-ms'])}`, `${STOPPED_EMOJI} stopped`];
  return [`${formatDuration(e['duration-ms'])} / ${formatDuration(e['budget-ms'])}`, `${e.status}${e.phase === 'report' ? '' : overBudget(e)}`];
}

/** What a drill did, for the job summary and the drill issue alike: outcome, phases, readiness, trend. */
export function drillReportMarkdown(record: DrillRecord, trend: DrillTrendRow[]): string {
  // A stop is not a fault of the way back: "failed" would send people looking for one.
  const status = record.stopped ? `stopped (${record.stopped.by}) after ${record.stopped.after}` : record.status;
  const head = `**${record.stopped ? STOPPED_EMOJI : DRILL_EMOJI[record.status]} Rollback drill ${inlineText(timeText(record.startedAt, true))}: ${status}**${record.dryRun ? ' (dry run: readiness only)' : ''}`;
  const parts = [
    head,
    record.status === 'dry-run'
      ? ''
      : record.stopped
        ? `The drill was stopped before its end: the times below are of the phases it ran (budget-minutes ${record.budgetMinutes}).`
        : record.failedPhase === 'readiness'
        ? UNTRIED_WAY_BACK
        : `The way back took ${formatDuration(record.wayBackMs)} of its ${formatDuration(record.wayBackBudgetMs)} budget (budget-minutes ${record.budgetMinutes}); rolling forward took ${formatDuration(record.forwardMs)}.`,
    ...(record.failures.length ? [record.stopped ? '**Why it did not finish**' : '**Why it failed**', record.failures.map((f) => `- ${inlineText(f)}`).join('\n')] : []),
    table(
      ['Phase', 'Component', 'Took / budget', 'Status', 'Detail'],
      record.timeline.map((e) => [e.phase, e.component ? inlineText(e.component) : '', ...phaseCells(e), inlineText(e.detail)]),
    ),
    '**Readiness**',
    record.readiness
      .map((r) => `- ${CHECK_EMOJI[r.status]} ${inlineText(`${r.component ? `${r.component} ` : ''}${r.check}`)}: ${inlineText(r.detail)}${r.unproven?.length ? `\n  - not proven: ${r.unproven.map((u) => inlineText(u)).join('; ')}` : ''}`)
      .join('\n'),
    ...(record.nextSteps.length ? ['**Next steps**', record.nextSteps.map((s, i) => `${i + 1}. ${inlineText(s)}`).join('\n')] : []),
    `**Trend** (last ${trend.length} drill${trend.length === 1 ? '' : 's'})`,
    trendTable(trend),
    ...(record.runUrl ? [`Run: ${linkText(record.runUrl)}`] : []),
  ];
  return parts.filter(Boolean).join('\n\n') + '\n';
}

/** A trend row of a drill that failed in readiness (DrillTrendRow.untried), in place of its time. */
export const NOT_TIMED = 'not timed: failed in readiness, the way back was not tried';

export function trendTable(rows: DrillTrendRow[]): string {
  return table(
    ['Drill', 'Result', 'Way back / budget', 'Roll forward', 'Whole drill'],
    rows.map((r, i) => [
      `${inlineText(timeText(r.at, true))}${i === rows.length - 1 ? ' (this one)' : ''}`,
      // A stopped drill neither failed nor passed: its result is the stop, and where it came.
      r.stopped ? `${STOPPED_EMOJI} stopped (${inlineText(r.stopped.by)}) after ${r.stopped.after}` : `${DRILL_EMOJI[r.status]} ${r.status}`,
      // Its numbers are the readiness checks' only, or the phases' before a stop: shown as a time, they would skew the trend.
      r.untried ? `${NOT_TIMED} / ${formatDuration(r.budgetMs)}` : `${wayBackTimed(r) ? formatDuration(r.wayBackMs) : NO_TIME} / ${formatDuration(r.budgetMs)}`,
      r.status === 'dry-run' || r.untried || r.stopped ? NO_TIME : formatDuration(r.forwardMs),
      r.untried || r.stopped ? NO_TIME : formatDuration(r.totalMs),
    ]),
  );
}

/**
 * The error line of a drill that did not pass, and what to do: a stopped drill says it was stopped
 * (a stop is no fault of the way back), with what it found before the stop; any other, where it failed.
 */
export function drillFailure(record: DrillRecord): { message: string; hint: string } {
  const hint = record.nextSteps[0] ?? 'See the job summary: in an incident this rollback would not work as the runbook says.';
  if (!record.stopped) return { message: `Rollback drill failed in ${record.failedPhase ?? 'an unknown phase'}: ${record.failures[0] ?? 'see the job summary'}`, hint };
  const stop = record.failures.find((f) => f.startsWith(DRILL_STOPPED)) ?? `${DRILL_STOPPED} (${record.stopped.by}) after ${record.stopped.after}.`;
  const found = record.failures.find((f) => f !== stop);
  return { message: `Rollback drill stopped: ${stop[0]!.toLowerCase()}${stop.slice(1)}${found ? ` Before the stop it found: ${found}` : ''}`, hint };
}

/** Under the failure heading of a drill refused or stopped before it started (the rollback's NOTHING_CHANGED, in a drill's words). */
export const DRILL_NOT_STARTED = 'The drill stopped before it started. Nothing was changed.';

/** The job summary of a drill run. */
export function drillSummaryMarkdown(input: DrillRecord, log?: Log): string {
  const record = log ? redactDeep(input, log.redact) : input;
  const trend = record.trend.length ? record.trend : [trendRow(record)];
  const issue = record.issueUrl ? `\n\nDrill issue: ${linkText(record.issueUrl)}\n` : '';
  return `### rollback-kit drill (${inlineText(record.environment)})\n\n${drillReportMarkdown(record, trend)}${issue}`;
}
