/**
 * The incident report as one self-contained HTML page (no script, no outside file): the outcome,
 * the timeline drawn as an SVG with one bar per phase against its budget, what changed, the checks
 * and the plan. Every piece of text is escaped, and redacted before that: escaping (`&` → `&amp;`)
 * turns a secret holding `& < > " '` into a form the redactor no longer recognises in the page.
 */
import type { Log } from '../core/log.js';
import { redactDeep } from '../core/secrets.js';
import type { RollbackPlan } from '../pipeline/plan-file.js';
import type { DeploymentRef, RollbackRecord, TimelineEntry } from '../pipeline/record.js';
import { deploymentName } from '../pipeline/timeline.js';
import { formatDuration } from '../core/duration.js';
import { factsLine, FIRST_SNAPSHOT_TITLE, firstSnapshotFacts, type SnapshotFact } from './first-snapshot.js';
import { notVerifiedText, statusLine } from './rollback-summary.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const esc = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

const COLOURS: Record<TimelineEntry['status'], string> = {
  ok: '#1a7f37',
  failed: '#cf222e',
  warning: '#9a6700',
  skipped: '#8c959f',
  'nothing-to-do': '#57606a',
  'dry-run': '#0969da',
};

/**
 * One row per timeline entry: a track as long as the phase's budget and a bar as long as its time
 * on the same scale (at least a sliver, so a fast phase is still seen), red past the budget.
 */
export function timelineSvg(timeline: TimelineEntry[]): string {
  const row = 28;
  const label = 190;
  const track = 520;
  const height = row * timeline.length + 10;
  const rows = timeline.map((e, i) => {
    const y = 5 + i * row;
    const share = e['budget-ms'] ? e['duration-ms'] / e['budget-ms'] : 0;
    const width = e.status === 'skipped' ? 0 : Math.max(2, Math.min(1, share) * track);
    const name = `${e.phase}${e.component ? ` (${e.component})` : ''}`;
    const colour = share > 1 ? COLOURS.failed : COLOURS[e.status];
    return [
      `<g class="phase" data-phase="${esc(e.phase)}" data-status="${esc(e.status)}">`,
      `<title>${esc(`${name}: ${e.status}, ${formatDuration(e['duration-ms'])} of ${formatDuration(e['budget-ms'])}: ${e.detail}`)}</title>`,
      `<text x="0" y="${y + 17}" font-size="13">${esc(name)}</text>`,
      `<rect class="budget" x="${label}" y="${y + 4}" width="${track}" height="16" rx="3" fill="#eaeef2"/>`,
      `<rect class="bar" x="${label}" y="${y + 4}" width="${width.toFixed(1)}" height="16" rx="3" fill="${colour}"/>`,
      `<text x="${label + track + 8}" y="${y + 17}" font-size="12" fill="#57606a">${esc(e.status === 'skipped' ? 'skipped' : `${formatDuration(e['duration-ms'])} of ${formatDuration(e['budget-ms'])}`)}</text>`,
      '</g>',
    ].join('');
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Timeline: each phase against its budget" width="${label + track + 140}" height="${height}" viewBox="0 0 ${label + track + 140} ${height}" font-family="system-ui, sans-serif">${rows.join('')}</svg>`;
}

/** A cell is text, escaped here, or `{ html }` already escaped by its writer. */
type Cell = string | { html: string };

function table(headers: string[], rows: Cell[][]): string {
  const cell = (c: Cell) => (typeof c === 'string' ? esc(c) : c.html);
  return `<table><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${cell(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

function planSection(plan: RollbackPlan): string {
  const parts = [
    `<p>From ${esc(plan.source)}: environment <b>${esc(plan.environment)}</b>, budget ${plan.budgetMinutes} min.</p>`,
    table(
      ['component', 'provider', 'where', 'puts back'],
      plan.components.map((c) => [c.name, c.provider, c.project ?? c.app ?? c.service ?? c.site ?? '', c.target]),
    ),
  ];
  if (plan.database) parts.push(`<p>Database: ${esc(plan.database.method)} (${esc(plan.database.format)}${plan.database.migrationsDir ? `, ${esc(plan.database.migrationsDir)}` : ''}${plan.database.choice ? `, ${esc(JSON.stringify(plan.database.choice))}` : ''}).</p>`);
  if (plan.verify) parts.push(`<p>Verify: ${esc(plan.verify.baseUrl ?? 'no base URL')}, ${plan.verify.attempts} attempt(s).</p>`);
  return parts.join('\n');
}

type HtmlOptions = { title?: string; plan?: RollbackPlan; before?: { name: string; passed: boolean; detail: string }[] };

/** With `log`, the record and every option (title, plan, checks) are redacted before anything is escaped (see redactDeep). */
export function rollbackHtml(input: RollbackRecord, options: HtmlOptions = {}, log?: Log): string {
  const record = log ? redactDeep(input, log.redact) : input;
  const opts = log ? redactDeep(options, log.redact) : options;
  const ref = (d?: DeploymentRef) => deploymentName(d) ?? '—';
  const changed: Cell[][] = [
    ...record.components.map((c) => [c.name, c.provider, `${ref(c.from)} → ${ref(c.to)}`, c.status]),
    ...(record.database ? [['database', record.database.method, record.database.reverted.length ? `reverted ${record.database.reverted.join(', ')}` : record.database.status, record.database.status]] : []),
    // A re-run's: the incident's first snapshot (before the rollback began), then this run's (after the earlier run's reverts).
    ...(record.firstSnapshot ? [[FIRST_SNAPSHOT_TITLE, 'pg_dump', { html: factsLine(firstSnapshotFacts(record.firstSnapshot), factHtml, esc) }, 'first run']] : []),
    ...(record.snapshot ? [[record.firstSnapshot ? 'snapshot by this run (after earlier reverts)' : 'snapshot', 'pg_dump', `${record.snapshot.path} (${record.snapshot.sizeBytes} bytes, sha256 ${record.snapshot.sha256.slice(0, 12)}…)`, 'verified']] : []),
  ];
  const checks = (list: { name: string; passed: boolean; detail: string }[]) => table(['check', 'result', 'detail'], list.map((c) => [c.name, c.passed ? 'passed' : 'FAILED', c.detail]));
  const title = opts.title ?? `Rollback of ${record.environment}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #1f2328; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
.status { padding: .75rem 1rem; border-radius: 6px; background: ${record.status === 'rolled-back' || record.status === 'nothing-to-do' ? '#dafbe1' : record.status === 'dry-run' ? '#ddf4ff' : '#ffebe9'}; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; } th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #d0d7de; vertical-align: top; }
svg { max-width: 100%; height: auto; }
</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p class="status"><b>${esc(statusLine(record))}</b><br>Reason: ${esc(record.reason)} · severity ${esc(record.severity)} · scope ${esc(record.scope.join(', '))} · ${formatDuration(record.durationMs)} of the ${formatDuration(record.budgetMs)} budget · started ${esc(record.startedAt)}</p>
<h2>Timeline against the budget</h2>
${timelineSvg(record.timeline)}
${table(
  ['phase', 'status', 'time', 'budget', 'detail'],
  record.timeline.map((e) => [`${e.phase}${e.component ? ` (${e.component})` : ''}`, e.status, formatDuration(e['duration-ms']), formatDuration(e['budget-ms']), e.detail]),
)}
<h2>What changed</h2>
${changed.length ? table(['part', 'how', 'change', 'status'], changed) : '<p>Nothing.</p>'}
${opts.before ? `<h2>Checks before the rollback</h2>\n${checks(opts.before)}` : ''}
<h2>Checks after the rollback</h2>
${record.verify ? `<p>Decision ${esc(record.verify.decision)}, severity ${esc(record.verify.severity)}.</p>\n${checks(record.verify.checks)}` : `<p>${esc(notVerifiedText(record))}</p>`}
${opts.plan ? `<h2>The plan</h2>\n${planSection(opts.plan)}` : ''}
<h2>What to do next</h2>
<ul>${record.nextSteps.map((s) => `<li>${esc(s)}</li>`).join('')}</ul>
</body>
</html>
`;
}

/** A fact of the incident's first snapshot (first-snapshot.ts) in the page: escaped, a name as code. */
function factHtml(fact: SnapshotFact): string {
  const value = fact.as === 'code' ? `<code>${esc(fact.value)}</code>` : esc(fact.value);
  return fact.warn ? `<b>${value}</b>` : value;
}
