/**
 * The whole rollback's job summary: what happened in one heading, then the plan, the timeline
 * against the budget, where every part went from and to, the snapshot, the database, the
 * verification, what to do next, and a Mermaid chart of the phases against their budgets.
 * Everything that came from outside (names, reasons, provider messages) goes through
 * inlineText / codeSpan / linkText, so it renders as text and cannot add HTML or break a table.
 */
import type { Log } from '../core/log.js';
import { redactDeep } from '../core/secrets.js';
import { budgets, OFF_CRITICAL_PATH } from '../pipeline/budgets.js';
import { changedSomething, standingFailures, stoppedIn } from '../pipeline/timeline.js';
import { inThisJob } from '../pipeline/job-words.js';
import { PHASES, type ComponentRecord, type DatabaseRecord, type DeploymentRef, type RollbackRecord, type TimelineEntry } from '../pipeline/record.js';
import type { DiscardedFromTable } from '../db/restore-discarded.js';
import { rowsDiscardedText, tableRowsLine, type TableRowsPreview } from '../db/restore-rows.js';
import { discardedList } from './restore-db-summary.js';
import { codeSpan, formatBytes, inlineText, linkText, table } from './markdown.js';
import { factMarkdown, FIRST_SNAPSHOT_TITLE, firstSnapshotFacts } from './first-snapshot.js';
import { formatDuration } from '../core/duration.js';

/** Under the failure heading of a rollback that stopped before the pipeline returned a record. */
export const NOTHING_CHANGED = 'The rollback stopped before it started. Nothing was changed.';

const STATUS_ICON: Record<string, string> = {
  ok: '✅',
  failed: '❌',
  skipped: '⏭️',
  warning: '⚠️',
  'nothing-to-do': '✔️',
  'dry-run': '📝',
};

/**
 * The longest next step the action's one `::error::` line carries as its hint. A longer one (a failed
 * database phase's: where the database stands, where the snapshot is, how to restore it, ~900
 * characters) made a line of 1,500 that the annotation cuts: the job summary and the chat message
 * have it whole, and the error points there.
 */
export const ERROR_HINT_MAX = 300;

/** The root action's error for a failed run: the failed phase's row, and the first next step that does not repeat it, when short. */
export function failedRunError(record: RollbackRecord): { message: string; hint: string } {
  const row = [...record.timeline].reverse().find((e) => e.phase === record.failedPhase && e.status === 'failed');
  const step = record.nextSteps.find((s) => !row || !s.includes(row.detail));
  const which = record.failedPhase === 'app' && row?.component && record.components.length > 1 ? `${row.component}: ` : '';
  return {
    message: `Rollback ${stoppedIn(record) ? 'stopped' : 'failed'} in ${record.failedPhase ?? 'an unknown phase'}: ${which}${row?.detail ?? 'see the job summary'}${rolledBackBeside(record)}`,
    hint: !step ? 'See the job summary.' : step.length <= ERROR_HINT_MAX ? step : 'What to do next, and where things stand, is in the job summary (and the chat message, when one is sent).',
  };
}

/**
 * A failed app phase's other components that did roll back, for the error line: without it, "the
 * app failed, production serves the bad deploy" reads as if nothing changed anywhere.
 */
function rolledBackBeside(record: RollbackRecord): string {
  if (record.failedPhase !== 'app') return '';
  const done = record.components.filter((c) => c.status === 'rolled-back' || c.status === 'promoted');
  if (!done.length) return '';
  const names = done.map((c) => {
    const on = deploymentLabel(c.to);
    return `${c.name}${on ? ` (now on ${on})` : ''}`;
  });
  const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  return ` ${list} ${done.length === 1 ? 'was' : 'were'} rolled back all the same.`;
}

/** Rolled back, and stopped (`stoppedBy`) before its smoke checks ran (the stop skips verify): nobody has verified it. */
export function stoppedBeforeChecks(record: RollbackRecord, stoppedBy = record.stoppedBy): boolean {
  return Boolean(stoppedBy) && record.status === 'rolled-back' && !record.timeline.some((e) => e.phase === 'verify' && e.status !== 'skipped');
}

/** The outcome in plain words, as the heading of every report and message. */
export function statusLine(record: RollbackRecord, stoppedBy = record.stoppedBy): string {
  const env = record.environment || 'production';
  switch (record.status) {
    case 'rolled-back':
      if (stoppedBeforeChecks(record, stoppedBy)) {
        return `Rolled back, then stopped (${stoppedBy}) before the smoke checks ran: ${env} ${whereNow(record, { again: true })}, not verified`;
      }
      // The app job of a split rollback: the database job is still to come, so nothing is complete yet.
      if (record.databaseLeft) return `App rolled back; the database was left out of this run's scope: ${env} ${whereNow(record, { again: true })}`;
      return `Rollback complete: ${env} ${whereNow(record, { again: true })}`;
    case 'unverified':
      return `Rollback UNVERIFIED: ${env} still looks broken — a person must act now`;
    case 'failed':
      // A dry run fails only while planning; said as its other lines say it, so nobody reads a plan's failure as a real run's.
      // A stop (a cancelled job, Ctrl-C) is not a fault: "failed" would send people looking for one.
      return `Rollback ${stoppedIn(record) ? 'stopped' : 'failed'}${record.failedPhase ? ` in ${record.failedPhase}` : ''}${record.dryRun ? ' (dry run)' : ''}`;
    case 'nothing-to-do':
      return `Nothing to roll back: ${env} already ${whereNow(record)}`;
    case 'dry-run':
      // A dry run writes no app or database row: one that changed something is an earlier job's (inThisJob).
      return `Rollback plan (dry run): ${inThisJob('nothing was changed', changedSomething(record.timeline))} in ${env}`;
  }
}

/**
 * How a run ended, as its last lines say it: the status line, each next step, then the time against
 * the budget in the words the job summary's and the incident issue's Total line uses (totalText), so
 * the terminal and the reports never give two numbers for one rollback. The command line prints
 * them and the root action logs them, so both end the same way.
 */
export function closingLines(record: RollbackRecord): string[] {
  return [statusLine(record), ...record.nextSteps.map((step) => `• ${step}`), `Total: ${totalText(record)}.`];
}

export const STATUS_EMOJI: Record<RollbackRecord['status'], string> = {
  'rolled-back': '✅',
  unverified: '🚨',
  failed: '❌',
  'nothing-to-do': '✅',
  'dry-run': '📝',
};

/** The outcome's mark beside statusLine: a rollback stopped before its checks is not a ✅. */
export function statusEmoji(record: RollbackRecord, stoppedBy = record.stoppedBy): string {
  return stoppedBeforeChecks(record, stoppedBy) ? '⚠️' : STATUS_EMOJI[record.status];
}

/**
 * What production runs now, as the words after its name: "runs web dpl_2 (abc1234) again, with 1
 * migration reverted". `again`: the run rolled it back, so what it runs is what it ran before the
 * bad deploy. Migrations are named only when some are reverted, a restore only when it restored: a
 * database this run left as it was is nothing to report. Plain text (callers escape).
 */
export function whereNow(record: RollbackRecord, { again = false } = {}): string {
  const earlier = record.earlierComponents ?? [];
  const apps = [...record.components.map((c) => `${c.name} ${deploymentLabel(c.to ?? c.from) ?? c.status}`), ...earlier.map((m) => `${m.name} ${m.to}`)];
  // A later job of a split rollback: what the earlier job moved is where production is too.
  const by = !earlier.length ? '' : earlier.length === apps.length ? ' (rolled back by the earlier job)' : ` (${andList(earlier.map((m) => m.name))} rolled back by the earlier job)`;
  const db = record.database;
  const database = databaseAfter(db);
  // The database alone: no app moved, so nothing runs "again"; what is true is the database's state.
  // One this run left as it was, in scope: "the same deployments" would speak of what it never looked at.
  if (!apps.length) return database ? `has ${database}` : db ? 'has its database rolled back' : 'runs the same deployments';
  return `runs ${andList(apps)}${again ? ' again' : ''}${by}${database ? `, with ${database}` : ''}`;
}

/** The database's part of whereNow: "2 migrations reverted", "its database restored from the snapshot", or nothing. */
function databaseAfter(db: DatabaseRecord | undefined): string {
  if (!db) return '';
  const n = db.reverted.length;
  if (n) return `${n} migration${n === 1 ? '' : 's'} reverted`;
  return db.status === 'restored' ? 'its database restored from the snapshot' : '';
}

/** "a", "a and b", "a, b and c". */
function andList(items: string[]): string {
  return items.length < 2 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** A deployment in one short phrase: its id (or URL) and the first 7 characters of its commit. */
export function deploymentLabel(ref: DeploymentRef | undefined): string | undefined {
  if (!ref) return undefined;
  const name = ref.id ?? ref.url;
  const sha = ref.commitSha ? ref.commitSha.slice(0, 7) : undefined;
  if (!name && !sha) return undefined;
  return [name, sha && `(${sha})`].filter(Boolean).join(' ');
}

/**
 * A component's move as labels, each known one named. What served before is not always known (the
 * command provider without `from`): then `from` is unset and callers say only where it went ("back
 * to v41"), as the CLI's "Rolled back to v41"; a "?" in its place reads as a fault of the rollback.
 * Where it went, when unknown, is "the previous deployment" as the CLI says. Undefined: neither known.
 */
export function moveLabels(c: Pick<ComponentRecord, 'from' | 'to'>): { from?: string; to: string } | undefined {
  const from = deploymentLabel(c.from);
  const to = deploymentLabel(c.to);
  if (!from && !to) return undefined;
  return { ...(from ? { from } : {}), to: to ?? 'the previous deployment' };
}

/** A deployment for Markdown: id, link and commit, each escaped. */
export function deploymentMarkdown(ref: DeploymentRef | undefined): string {
  if (!ref) return '-';
  const parts = [
    ref.id && codeSpan(ref.id),
    ref.url && linkText(ref.url),
    ref.commitSha && `commit ${codeSpan(ref.commitSha)}`,
    ref.createdAt && `created ${inlineText(timeText(ref.createdAt, true))}`,
  ].filter(Boolean);
  return parts.length ? parts.join(' · ') : '-';
}

/** "14:03:07 UTC" (or with the date), or the text as given when it is no ISO time. */
export function timeText(iso: string | undefined, withDate = false): string {
  if (!iso) return '-';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const s = d.toISOString();
  return withDate ? `${s.slice(0, 10)} ${s.slice(11, 19)} UTC` : `${s.slice(11, 19)} UTC`;
}

/** "2 min 3 s of 15 min 0 s budget (within budget)". */
export function budgetText(durationMs: number, budgetMs: number): string {
  if (!budgetMs) return formatDuration(durationMs);
  const over = durationMs - budgetMs;
  const verdict = over > 0 ? `over budget by ${formatDuration(over)}` : 'within budget';
  return `${formatDuration(durationMs)} of ${formatDuration(budgetMs)} budget (${verdict})`;
}

/**
 * The whole rollback, not only this job: from the first row of the timeline (the first job's
 * first phase, when earlier jobs handed theirs on) to the end of this run, so the waits between
 * jobs (a reviewer approving the database job) count, as they do for the people waiting.
 */
export function wholeRollback(record: RollbackRecord): { startedAt: string; durationMs: number; earlierJobs: boolean } {
  const own = Date.parse(record.startedAt);
  const end = record.finishedAt ? Date.parse(record.finishedAt) : own + record.durationMs;
  const first = Math.min(own, ...record.timeline.map((e) => Date.parse(e.started)).filter((t) => !Number.isNaN(t)));
  if (Number.isNaN(own) || Number.isNaN(end) || Number.isNaN(first)) return { startedAt: record.startedAt, durationMs: record.durationMs, earlierJobs: false };
  return { startedAt: new Date(first).toISOString(), durationMs: Math.max(0, end - first), earlierJobs: first < own };
}

/**
 * "17 min 3 s of 15 min 0 s budget (over budget by 2 min 3 s): the whole rollback, …" — what every
 * report calls the total. The budget is the runbook's critical path, so the phases off it (the
 * incident issue, the closing message: OFF_CRITICAL_PATH) are taken out of the span and shown apart:
 * a slow GitHub must not turn a rollback that was on time into one over budget.
 */
export function totalText(record: RollbackRecord): string {
  const whole = wholeRollback(record);
  const offPath = record.timeline.filter((e) => OFF_CRITICAL_PATH.includes(e.phase)).reduce((sum, e) => sum + e['duration-ms'], 0);
  const critical = Math.max(0, whole.durationMs - offPath);
  const span = whole.earlierJobs
    ? `the whole rollback, from its first phase (${timeText(whole.startedAt)}, in an earlier job) to the end of this job, every job and the waits between them included; this job took ${formatDuration(record.durationMs)}`
    : 'the whole rollback, all of it in this job';
  const after = offPath ? `; telling people afterwards (${OFF_CRITICAL_PATH.join(', ')}: off the critical path) took ${formatDuration(offPath)} more` : '';
  return `${budgetText(critical, record.budgetMs)}: ${span}${after}`;
}

/** Each part's state, one phrase each: "web rolled-back, on dpl_2 (abc1234)". Plain text. */
export function stateNow(record: RollbackRecord): string[] {
  const out = record.components.map((c) => {
    // The run stopped before its app phase, so production still serves `from`; `to` is only where
    // it was going.
    const unchanged = neverReached(record, c.status);
    const on = deploymentLabel(unchanged || c.status === 'failed' || c.status === 'skipped' || c.status === 'pending' ? c.from : (c.to ?? c.from));
    return `${c.name} ${unchanged ? 'unchanged' : c.status}${on ? `, on ${on}` : ''}`;
  });
  for (const m of record.earlierComponents ?? []) out.push(`${m.name} rolled back by the earlier job, on ${m.to}`);
  const db = record.database;
  if (db) out.push(databaseNow(db, neverReached(record, db.status)));
  return out;
}

/**
 * A part the run never reached because its plan failed (the pipeline's skipUnstarted marks it
 * `skipped`; `planned` is the same part before it does): its state is "unchanged". `skipped` alone
 * is also a database phase left out after a failed app, which the state line names as such.
 */
function neverReached(record: RollbackRecord, status: string): boolean {
  return status === 'planned' || (status === 'skipped' && record.failedPhase === 'plan');
}

/** The database's part of the state line: a plan that stopped early has no count to give, and must not say "0 of 0". */
function databaseNow(db: DatabaseRecord, untouched: boolean): string {
  const status = untouched ? 'unchanged' : db.status;
  const n = db.planned.length;
  if (!n && db.method === 'restore') return `database ${status}`;
  if (!n && untouched) return `database ${status} (the run stopped before it worked out which migrations to revert)`;
  return `database ${status}, ${db.reverted.length} of ${n} planned migration${n === 1 ? '' : 's'} reverted`;
}

/** The state line, never empty: a run that failed before it had a component or the database in hand changed neither. */
function stateNowText(record: RollbackRecord): string {
  const parts = stateNow(record);
  return parts.length ? parts.map((s) => inlineText(s)).join('; ') : 'nothing changed: the run stopped before it touched any app or the database';
}

export function componentsTable(components: ComponentRecord[]): string {
  return table(
    ['Component', 'Provider', 'Status', 'From', 'To'],
    components.map((c) => [
      inlineText(c.name),
      inlineText(c.provider),
      `${c.status === 'failed' ? '❌ ' : c.status === 'pending' ? '⏳ ' : ''}${inlineText(c.status)}${c.error ? `: ${inlineText(c.error)}` : ''}`,
      deploymentMarkdown(c.from),
      deploymentMarkdown(c.to),
    ]),
  );
}

/** The smoke checks the verify phase ran, failing ones first. */
export function checksTable(record: RollbackRecord): string | undefined {
  const checks = record.verify?.checks ?? [];
  if (!checks.length) return undefined;
  const ordered = [...checks.filter((c) => !c.passed), ...checks.filter((c) => c.passed)];
  return table(
    ['Check', 'Result', 'Severity', 'Detail'],
    ordered.map((c) => [inlineText(c.name), c.passed ? '✅ passed' : '❌ failed', inlineText(c.severity), inlineText(c.detail)]),
  );
}

/**
 * Why no checks ran, in one sentence, when the verify phase has no result: the verify row's own
 * reason (the rollback stopped while planning, …), so the verdict and the timeline agree. Plain
 * text: the Markdown and the HTML report each escape it their way.
 */
export function notVerifiedText(record: RollbackRecord): string {
  const row = [...record.timeline].reverse().find((e) => e.phase === 'verify');
  if (row?.status === 'skipped') return `Not run: ${row.detail.replace(/\.$/, '')}.`;
  // The phase ran and found nothing it could check (no checks configured, only SQL ones and no database).
  if (row?.status === 'warning') return `Not verified: ${row.detail.replace(/^skipped: /, '').replace(/\.$/, '')}.`;
  // A dry run that planned well ends at its plan: it has no verify row.
  if (record.status === 'dry-run') return 'Not run: a dry run runs no checks.';
  return record.status === 'nothing-to-do' ? 'Not run: nothing changed.' : 'Not verified: the verify phase did not run.';
}

/** The verify phase's verdict in one sentence. */
export function verdictText(record: RollbackRecord): string {
  const v = record.verify;
  if (!v) return inlineText(notVerifiedText(record));
  const failed = v.checks.filter((c) => !c.passed).length;
  const counts = `${v.checks.length - failed} of ${v.checks.length} checks passed`;
  if (v.decision === 'rollback') return `Production still looks broken after the rollback (severity ${inlineText(v.severity)}, ${counts}).`;
  if (v.passed) return `Healthy: ${counts} (decision ${inlineText(v.decision)}).`;
  return `Decision ${inlineText(v.decision)}, severity ${inlineText(v.severity)}: ${counts}.`;
}

export function changedEnv(record: RollbackRecord): { component: string; names: string[] }[] {
  return record.components.filter((c) => c.changedEnv.length).map((c) => ({ component: c.name, names: c.changedEnv }));
}

function planSection(record: RollbackRecord): string[] {
  const out = ['### Plan'];
  if (record.components.length) {
    out.push(
      table(
        ['Component', 'Provider', 'Target', 'Newer deployments skipped, and why'],
        record.components.map((c) => [
          inlineText(c.name),
          inlineText(c.provider),
          deploymentMarkdown(c.to),
          c.skipped.length ? c.skipped.map((s) => `${codeSpan(s.id)}: ${inlineText(s.reason)}`).join('; ') : 'none',
        ]),
      ),
    );
  } else if (record.earlierComponents?.length) {
    out.push(`No application component is in scope of this job; the earlier job of this rollback rolled back ${record.earlierComponents.map((m) => `${inlineText(m.name)} (to ${codeSpan(m.to)})`).join(', ')}.`);
  } else {
    out.push('No application component is in scope.');
  }
  const db = record.database;
  if (db) {
    const method = db.method === 'restore' ? 'restore from the snapshot' : 'down migrations';
    out.push(
      db.status === 'nothing-to-do' && (db.planned.length || db.method === 'restore')
        ? `Database (${method}): ${nothingLeft(db)}`
        : db.planned.length
          ? `Database (${method}), migrations to revert in this order:\n\n${ordered(db.planned)}`
          : // Nothing listed after a failed plan: it stopped before it read the migrations.
            neverReached(record, db.status) && record.status === 'failed' && db.method === 'down-migrations'
            ? `Database (${method}): not worked out; the run stopped before it read which migrations to revert.`
            : `Database (${method}): no migration to revert.`,
    );
    // A dry run's: what the restore would discard, as restore-db's dry run plans it.
    if (record.status === 'dry-run' && db.rows) out.push(rowsSection(db.rows));
    if (record.status === 'dry-run' && db.discarded?.length) out.push(discardedSection(db.discarded, 'would discard', 'the snapshot the rollback takes before it restores'));
  }
  const checks = record.plannedChecks ?? record.verify?.checks.map((c) => c.name) ?? [];
  out.push(checks.length ? `Checks: ${checks.map((c) => inlineText(c)).join(', ')}.` : record.skippedChecks ? 'Checks: none that can run here.' : 'Checks: none configured.');
  if (record.skippedChecks) out.push(notRun(record.skippedChecks));
  out.push(budgetPlan(record));
  if (record.scope.length) out.push(`Scope: ${record.scope.map((s) => inlineText(s)).join(', ')}.`);
  return out;
}

/**
 * The database's plan when this run found nothing left to change: the plan it found is an earlier
 * run's for the incident (its ledger row, or the tracking table under the whole-rollback lock), and
 * what that plan reverted was reverted before this run, never by it. Why, and by which run: the
 * timeline's database row.
 */
function nothingLeft(db: DatabaseRecord): string {
  const verb = db.method === 'restore' ? 'restore' : 'revert';
  if (!db.reverted.length) return `nothing to ${verb} (the timeline's database row says why).`;
  const rest = db.planned.some((m) => !db.reverted.includes(m)) ? "\n\nThe timeline's database row says why the rest of that plan is not reverted now." : '';
  return `nothing to ${verb}: already reverted by an earlier run, in this order:\n\n${ordered(db.reverted)}${rest}`;
}

function ordered(migrations: string[]): string {
  return migrations.map((m, i) => `${i + 1}. ${codeSpan(m)}`).join('\n');
}

/** "Budget: 15 min 0 s: plan 30.0 s, …" — each phase's share of the budget, as the pipeline scales it. */
function budgetPlan(record: RollbackRecord): string {
  const b = budgets(record.budgetMs / 60_000);
  const runs = PHASES.filter((p) => record.database || (p !== 'snapshot' && p !== 'database'));
  const critical = runs.filter((p) => !OFF_CRITICAL_PATH.includes(p)).map((p) => `${p} ${formatDuration(b.phase(p))}`);
  const off = runs.filter((p) => OFF_CRITICAL_PATH.includes(p)).map((p) => `${p} ${formatDuration(b.phase(p))}`);
  return `Budget: ${formatDuration(record.budgetMs)} in total: ${critical.join(', ')}${off.length ? `; off the critical path: ${off.join(', ')}` : ''}.`;
}

/** " (over budget)" after a phase's status when it took longer than its budget: every phase table says it the same way. */
export function overBudget(e: { 'duration-ms': number; 'budget-ms': number }): string {
  return e['budget-ms'] > 0 && e['duration-ms'] > e['budget-ms'] ? ' (over budget)' : '';
}

function timelineSection(record: RollbackRecord): string[] {
  if (!record.timeline.length) return [];
  return [
    '### Timeline',
    table(
      ['Phase', 'Component', 'Start', 'Duration', 'Budget', 'Status', 'Detail'],
      record.timeline.map((e) => [
        e.phase,
        e.component ? inlineText(e.component) : '',
        inlineText(timeText(e.started)),
        formatDuration(e['duration-ms']),
        formatDuration(e['budget-ms']),
        `${STATUS_ICON[e.status] ?? ''} ${inlineText(e.status)}${overBudget(e)}`.trim(),
        inlineText(e.detail),
      ]),
    ),
    `**Total: ${inlineText(totalText(record))}.**`,
  ];
}

function databaseSection(record: RollbackRecord): string[] {
  const out: string[] = [];
  // A re-run's own snapshot holds the database after the earlier run's reverts: the first run's,
  // from the incident's ledger row, is the one that holds it as it was before the rollback.
  const first = record.firstSnapshot;
  if (first) out.push(`### ${FIRST_SNAPSHOT_TITLE}`, table(['', ''], firstSnapshotFacts(first).map((f) => [f.label, factMarkdown(f)])));
  if (record.snapshot) {
    const s = record.snapshot;
    const kept = s.artifact ? codeSpan(s.artifact) : s.deletedWithJob ? 'not uploaded: on this runner only, **deleted when this job ends**' : 'not uploaded';
    const heading = first ? `### Snapshot taken by this run, after the earlier run ${first.revertedBefore.length ? `reverted ${first.revertedBefore.map((m) => codeSpan(m)).join(', ')}` : 'reverted none of the plan'}` : '### Snapshot taken before the database changed';
    out.push(heading, table(['', ''], [['Path', codeSpan(s.path)], ['Artifact', kept], ['sha256', codeSpan(s.sha256)], ['Size', formatBytes(s.sizeBytes)]]));
  }
  const db = record.database;
  // A dry run's migrations are in the plan; there is nothing reverted to show.
  if (db && record.status !== 'dry-run') {
    const head = `### Database: ${inlineText(db.status)}${db.error ? ` — ${inlineText(db.error)}` : ''}`;
    // Nothing to do: what the plan reverted, an earlier run did (this run reverted nothing).
    const by = db.status === 'nothing-to-do' ? ' by an earlier run' : '';
    const reverted = db.reverted.length ? `Reverted${by}, in order:\n\n${ordered(db.reverted)}` : 'No migration was reverted.';
    const left = db.planned.filter((m) => !db.reverted.includes(m));
    out.push(head, reverted);
    if (left.length) out.push(`Planned but not reverted: ${left.map((m) => codeSpan(m)).join(', ')}.`);
    // Planned before the app went back (the plan's preview): discarded only once the restore committed.
    if (db.discarded?.length && db.status === 'restored') out.push(discardedSection(db.discarded, 'discarded', record.snapshot ? `the snapshot taken before the database changed (${codeSpan(record.snapshot.path)})` : 'the snapshot taken before the database changed'));
    else if (db.discarded?.length) out.push(discardedSection(db.discarded, 'would discard', 'the snapshot the rollback takes before it restores'));
  }
  return out;
}

/** A dry run's count of the rows the restore would throw away: each table it changes, as restore --dry-run lists them. */
function rowsSection(rows: TableRowsPreview[]): string {
  const changed = rows.filter((t) => t.counted !== 'yes' || t.now !== (t.snapshot ?? 0));
  const list = changed.length ? changed.map((t) => `- ${inlineText(tableRowsLine(t))}`).join('\n') : 'Every table holds as many rows now as the snapshot does.';
  return [
    '#### Rows the restore would discard',
    `It would discard ${rowsDiscardedText(rows)}: rows written since the snapshot, net of those deleted since. They are kept in the snapshot the rollback takes before it restores.`,
    list,
  ].join('\n\n');
}

/** What the restore throws away on the tables it replaces, listed as restore-db lists it (discardedList). */
function discardedSection(discarded: DiscardedFromTable[], verb: string, keptIn: string): string {
  return [
    `#### Columns and objects the restore ${verb} (added to snapshot tables since the snapshot)`,
    discardedList(discarded),
    `Their values and definitions are in ${keptIn}. Create again what is still wanted.`,
  ].join('\n\n');
}

function verifySection(record: RollbackRecord): string[] {
  if (!record.verify && record.status === 'dry-run') return [];
  const out = ['### Verification', verdictText(record)];
  const checks = checksTable(record);
  if (checks) out.push(checks);
  if (record.skippedChecks) out.push(notRun(record.skippedChecks));
  return out;
}

function notRun(names: string[]): string {
  return `Not run (SQL checks, and no database connection was given): ${names.map((c) => inlineText(c)).join(', ')}.`;
}

function envSection(record: RollbackRecord): string[] {
  const changed = changedEnv(record);
  if (!changed.length) return [];
  return [
    '### Environment variables changed after the target was built',
    'The rolled-back deployment keeps its own values, but the next redeploy picks up the new ones: check these before redeploying.',
    changed.map((c) => `- ${inlineText(c.component)}: ${c.names.map((n) => codeSpan(n)).join(', ')}`).join('\n'),
  ];
}

function nextStepsSection(record: RollbackRecord): string[] {
  if (!record.nextSteps.length) return [];
  return ['### Next steps', record.nextSteps.map((s, i) => `${i + 1}. ${inlineText(s)}`).join('\n')];
}

/** Mermaid's gantt grammar splits task lines on `:` and `;`, and `#` starts an entity: keep names to plain words. */
export function mermaidName(text: string): string {
  const cleaned = text
    .replace(/[^A-Za-z0-9 ._()/-]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 60);
  return cleaned || 'unnamed';
}

/**
 * Each phase that ran as two bars on the real clock: its budget and what it took (red when it
 * failed or ran over). Times are epoch milliseconds (`dateFormat x`), so no date text is parsed.
 */
export function ganttChart(timeline: TimelineEntry[]): string | undefined {
  const rows = timeline.filter((e) => e.status !== 'skipped' || e['duration-ms'] > 0).filter((e) => !Number.isNaN(Date.parse(e.started)));
  if (!rows.length) return undefined;
  const lines = ['```mermaid', 'gantt', '  title Phases against their budgets', '  dateFormat x', '  axisFormat %H:%M:%S'];
  rows.forEach((e, i) => {
    const start = Date.parse(e.started);
    const took = Math.max(0, Math.round(e['duration-ms']));
    const budget = Math.max(0, Math.round(e['budget-ms']));
    const late = e.status === 'failed' || (budget > 0 && took > budget);
    lines.push(`  section ${mermaidName(e.component ? `${e.phase} ${e.component}` : e.phase)}`);
    lines.push(`  budget :b${i}, ${start}, ${start + budget}`);
    lines.push(`  took ${mermaidName(formatDuration(took))} :${late ? 'crit, ' : ''}t${i}, ${start}, ${start + Math.max(took, 1)}`);
  });
  lines.push('```');
  return lines.join('\n');
}

/**
 * "**database failed**: …", one line per failed row that still says how the rollback stands (a
 * verify a later job's verify superseded is history, not a reason). Markdown, escaped.
 */
export function whyFailed(record: RollbackRecord): string[] {
  return standingFailures(record.timeline).map((e) => `**${e.phase}${e.component ? ` (${inlineText(e.component)})` : ''} failed**: ${inlineText(e.detail)}`);
}

/** With `log`, the record is redacted before anything is escaped (see redactDeep). */
export function rollbackSummaryMarkdown(input: RollbackRecord, log?: Log): string {
  const record = log ? redactDeep(input, log.redact) : input;
  const heading = `## ${statusEmoji(record)} ${inlineText(statusLine(record))}`;
  const facts = [
    `Reason: ${inlineText(record.reason)}`,
    `severity ${inlineText(record.severity)}`,
    `environment ${inlineText(record.environment)}`,
    `started ${inlineText(timeText(record.startedAt, true))}`,
    record.dryRun ? 'dry run' : undefined,
  ].filter(Boolean);
  const links = [record.runUrl && `Run: ${linkText(record.runUrl)}`, record.incidentIssueUrl && `Incident issue: ${linkText(record.incidentIssueUrl)}`].filter(Boolean);
  const parts: string[] = [heading, `${facts.join(' · ')}.`];
  if (record.status === 'failed' || record.status === 'unverified') {
    parts.push([...whyFailed(record), `**State now**: ${stateNowText(record)}.`].join('  \n'));
  }
  if (record.status === 'unverified') {
    parts.push('> [!CAUTION]\n> The rollback ran but the checks still fail: production is still broken. Act now; see the next steps below.');
  }
  parts.push(...planSection(record), ...timelineSection(record));
  if (record.components.length) parts.push('### Components: from and to', componentsTable(record.components));
  parts.push(...databaseSection(record), ...verifySection(record), ...envSection(record), ...nextStepsSection(record));
  const chart = ganttChart(record.timeline);
  if (chart) parts.push('### Phases against their budgets', chart);
  if (links.length) parts.push(links.join(' · '));
  return parts.join('\n\n') + '\n';
}
