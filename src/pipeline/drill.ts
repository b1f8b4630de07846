/**
 * The rollback drill: the runbook rehearsed against a staging environment and a stopwatch. It
 * proves the way back before anything moves (readiness: every target resolvable and eligible, the
 * tokens usable, a matching pg_dump, down SQL for every migration the last deploy added, checks to
 * verify with), then takes a verified snapshot, rolls every component back to its previous
 * deployment, verifies, rolls forward to the deployment it started on (promoted back by id) and
 * verifies again. Every phase is timed against its share of the runbook's budget, scaled by
 * budget-minutes as the whole rollback's phases are.
 *
 * The database is snapshotted and its down migrations are planned, never run: rolling staging's
 * schema back and then forward would need the up migrations, which belong to the deploy, not to a
 * rollback tool. A drill that leaves staging on another deployment than it found says so in its
 * next steps, as does one whose way back stopped halfway (the platform may still finish it).
 */
import { errorFacts, errorLine, RollbackKitError } from '../core/errors.js';
import { stopName } from '../core/stop-signals.js';
import type { Log } from '../core/log.js';
import { describeTarget } from '../db/connection.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../db/snapshot.js';
import { changedProduction, notLiveYet, promotePrevious, type PromoteOutcome } from '../platforms/promote.js';
import type { Check } from '../smoke/spec.js';
import { budgets as rollbackBudgets } from './budgets.js';
import type { ComponentPlan } from './plan-file.js';
import type { DeploymentRef, PhaseName, SnapshotRecord, TimelineEntry, VerifyRecord } from './record.js';
import { forwardTo, label, readiness, ref, type ReadinessCheck } from './drill-readiness.js';
import { promoteRequest, registerRequestSecrets, type RollbackRequest } from './rollback.js';

export type { ReadinessCheck };
import { phaseLine, Timeline, type RowFacts } from './timeline.js';
import { verifyWithChecks } from './verify.js';
import { formatDuration } from '../core/duration.js';

/** The drill's phases, in the order they run; names are public interface (the `timeline` output in mode drill). */
export const DRILL_PHASES = ['readiness', 'snapshot', 'back', 'verify-back', 'forward', 'verify-forward', 'report'] as const;
export type DrillPhase = (typeof DRILL_PHASES)[number];

/** Each drill phase is timed against the runbook phase it rehearses. */
const RUNBOOK_PHASE: Record<DrillPhase, PhaseName> = {
  readiness: 'plan',
  snapshot: 'snapshot',
  back: 'app',
  'verify-back': 'verify',
  forward: 'app',
  'verify-forward': 'verify',
  report: 'report',
};
/** Phases whose time is the way back (what an incident would wait for). */
const WAY_BACK: readonly DrillPhase[] = ['readiness', 'snapshot', 'back', 'verify-back'];
/** Writing the report never fails a drill on time, as in the rollback. */
const OFF_CLOCK: readonly DrillPhase[] = ['report'];

/**
 * A drill may be given a budget far below a real rollback's (down to 0.06 s): a team can prove its
 * alerting on a failed drill without waiting for a slow one.
 */
export const MIN_DRILL_BUDGET_MINUTES = 0.001;


export type DrillStatus = 'passed' | 'failed' | 'dry-run';

/**
 * A drill that failed in readiness never tried the way back: it has no time to give (the record's
 * wayBackMs is only the readiness checks'). Said so in the same words on the command line and in the summary.
 */
export const UNTRIED_WAY_BACK = 'Drill failed in readiness: the way back was not tried, and nothing was changed.';

/** How a readiness failure begins, first among the failures: every drill report since the first says it so. */
export const BROKEN_WAY_BACK = 'The way back is broken: ';


export interface DrillComponent {
  name: string;
  provider: string;
  /** What served staging when the drill started, and what it is rolled forward to. */
  original?: DeploymentRef;
  /** The deployment the drill rolled back to. */
  previous?: DeploymentRef;
  back: string;
  forward: string;
  error?: string;
}

/** One drill in the trend table of the drill issue. */
export interface DrillTrendRow {
  /** ISO time the drill started. */
  at: string;
  status: DrillStatus;
  /** readiness + snapshot + back + verify-back. */
  wayBackMs: number;
  /** forward + verify-forward. */
  forwardMs: number;
  totalMs: number;
  /** The budget of the way back. */
  budgetMs: number;
  /**
   * Failed in readiness: the way back was never tried, so the drill has no time of it (its numbers
   * are only the readiness checks'): the trend shows it as not timed, never as a timing.
   */
  untried?: true;
  /**
   * The drill was stopped (DrillRecord.stopped): the trend shows it as stopped, neither a failure
   * nor a pass, and gives only the times it measured to their end (wayBackTimed).
   */
  stopped?: DrillStop;
}

/** A stopped drill: `by` names the signal, `after` the last phase it finished. */
export interface DrillStop {
  by: string;
  after: DrillPhase | 'the start';
}

/** One drill's row of the trend, as the drill issue keeps it. */
export function trendRow(record: DrillRecord): DrillTrendRow {
  const row: DrillTrendRow = { at: record.startedAt, status: record.status, wayBackMs: record.wayBackMs, forwardMs: record.forwardMs, totalMs: record.durationMs, budgetMs: record.wayBackBudgetMs };
  if (record.status === 'failed' && record.failedPhase === 'readiness') row.untried = true;
  if (record.stopped) row.stopped = { ...record.stopped };
  return row;
}

/** The phases after which a stopped drill had timed its whole way back (WAY_BACK ends with verify-back). */
const AFTER_WAY_BACK: readonly DrillStop['after'][] = ['verify-back', 'forward', 'verify-forward'];

/**
 * Whether a drill's way back was timed to its end: not when it failed in readiness (untried), nor
 * when a stop came before verify-back ended (its number is then only the phases before the stop).
 * The `way-back-ms` output is empty, and the trend says "—", when it was not.
 */
export function wayBackTimed(row: DrillTrendRow): boolean {
  return !row.untried && (!row.stopped || AFTER_WAY_BACK.includes(row.stopped.after));
}

/** The `way-back-ms` output: empty when the way back was not timed to its end (wayBackTimed), never a part of it. */
export function wayBackOutput(record: DrillRecord): number | '' {
  return wayBackTimed(trendRow(record)) ? record.wayBackMs : '';
}

/** How the stop's own failure begins (stopHere): the error line of a stopped drill is read from it. */
export const DRILL_STOPPED = 'The drill was stopped';

export interface DrillRecord {
  environment: string;
  dryRun: boolean;
  budgetMinutes: number;
  /** Sum of the way back's phase budgets. */
  wayBackBudgetMs: number;
  startedAt: string;
  finishedAt?: string;
  durationMs: number;
  wayBackMs: number;
  forwardMs: number;
  status: DrillStatus;
  failedPhase?: DrillPhase;
  /** Why the drill failed, one sentence each (over budget, a broken way back). */
  failures: string[];
  timeline: TimelineEntry<DrillPhase>[];
  readiness: ReadinessCheck[];
  components: DrillComponent[];
  snapshot?: SnapshotRecord;
  verifyBack?: VerifyRecord;
  verifyForward?: VerifyRecord;
  nextSteps: string[];
  runUrl?: string;
  issueUrl?: string;
  /** Earlier drills and this one, oldest first, as the drill issue shows them. */
  trend: DrillTrendRow[];
  /**
   * The drill was stopped (Ctrl-C, a cancelled job): `by` names the signal, `after` the last phase
   * it finished. What the stop prevented is no finding of the way back: the failures say only the stop.
   */
  stopped?: DrillStop;
}

/** What a drill needs: the rollback's request without what only an incident has (scope, severity, earlier jobs). */
export type DrillRequest = Omit<RollbackRequest, 'scope' | 'severity' | 'earlierTimeline'>;

export interface DrillDeps {
  /**
   * Records the drill (the drill issue's comment); returns its URL and the trend including this
   * drill; must never throw (a failed report is a warning, never a failed drill).
   */
  report?: (record: DrillRecord) => Promise<{ url: string; trend: DrillTrendRow[] } | undefined>;
  now?: () => number;
  /** Each phase as it starts and ends (the command line's rows); must never throw. */
  progress?: { started(phase: DrillPhase, component?: string): void; finished(entry: TimelineEntry<DrillPhase>): void };
}


/** The drill's phase budgets: the rollback's, scaled by budget-minutes the same way. */
export function drillBudgets(budgetMinutes: number): { phase(name: DrillPhase): number; wayBackMs: number } {
  const b = rollbackBudgets(budgetMinutes);
  const phase = (name: DrillPhase) => b.phase(RUNBOOK_PHASE[name]);
  return { phase, wayBackMs: WAY_BACK.reduce((sum, p) => sum + phase(p), 0) };
}

/**
 * Runs one drill. Callers (the root action in mode drill, the CLI's `rollback-kit drill`) supply:
 * `request` as for runRollback (the plan from rollback-kit.yml or inputs, secrets as values, the
 * staging database, the workspace for relative paths and since-ref, a snapshot directory, the
 * GitHub context), and `deps.report`, e.g. `(r) => recordDrill(githubTarget, r, log)` from
 * src/report/drill-issue.ts, or nothing to skip the issue. `request.dryRun` runs readiness only.
 * Never throws for a failed drill: the record says what failed and what to do.
 */
export async function runDrill(request: DrillRequest, deps: DrillDeps, log: Log): Promise<DrillRecord> {
  const now = deps.now ?? Date.now;
  const plan = request.plan;
  registerRequestSecrets(request.secrets, log);
  const budget = drillBudgets(plan.budgetMinutes);
  const started = now();
  // A drill rehearses going back from what serves now: a configured `from` names an incident.
  const components = plan.components.map((c) => ({ ...c, from: undefined }));
  const asRollback: RollbackRequest = { ...request, plan: { ...plan, components }, scope: components.map((c) => c.name), severity: 'minor', earlierTimeline: [] };
  const record: DrillRecord = {
    environment: plan.environment,
    dryRun: request.dryRun,
    budgetMinutes: plan.budgetMinutes,
    wayBackBudgetMs: budget.wayBackMs,
    startedAt: new Date(started).toISOString(),
    durationMs: 0,
    wayBackMs: 0,
    forwardMs: 0,
    status: 'failed',
    failures: [],
    timeline: [],
    readiness: [],
    components: components.map((c) => ({ name: c.name, provider: c.provider, back: 'planned', forward: 'planned' })),
    nextSteps: [],
    runUrl: request.github.runUrl,
    trend: [],
  };
  // Every row is logged where it is recorded (skipped ones and the report's too), as a rollback's are.
  const timeline = new Timeline<DrillPhase>(budget, [], (entry) => (log.info(phaseLine(entry, 'drill')), deps.progress?.finished(entry)), now, (phase, component) => deps.progress?.started(phase, component));
  record.timeline = timeline.entries;
  const redact = (err: unknown) => log.redact(errorLine(err));
  const stoppedBy = () => (request.signal?.aborted ? stopName(request.signal) : undefined);
  /** Phases a failure of which came after the stop: the stop may have cut them short. */
  const cut = new Set<DrillPhase>();
  /** A failed row's facts: `stopped` when the stop had come by then, so its time is no finding (closeOut, the reports). */
  const cutShort = () => stoppedFacts(request.signal);
  const fail = (phase: DrillPhase, why: string) => {
    record.failedPhase ??= phase;
    // A phase the stop cut short proves nothing about the way back: its row says the stop, and so does stopHere.
    if (stoppedBy()) cut.add(phase);
    else record.failures.push(why);
  };
  /**
   * The last phase that ran to its end before the stop, whether it passed or failed on its own (a
   * way back that failed for one component still ran): never one the stop cut short.
   */
  let after: DrillPhase | 'the start' = 'the start';
  /**
   * The drill was stopped: nothing more is asked of staging (a promotion after the stop is refused
   * anyway), the phases not run are skipped as such, and the record says where things stand.
   */
  const stopHere = (state: string[]): Promise<DrillRecord> => {
    const by = stoppedBy()!;
    const ran = new Set(record.timeline.map((e) => e.phase));
    const notRun = DRILL_PHASES.filter((p) => p !== 'report' && !ran.has(p));
    for (const phase of notRun) timeline.skip(phase, `not run: the drill was stopped (${by})`);
    record.stopped = { by, after };
    record.failedPhase ??= DRILL_PHASES.find((p) => !ran.has(p)) ?? 'report';
    record.failures.push(`${DRILL_STOPPED} (${by}) after ${after}${notRun.length ? `: ${notRun.join(', ')} did not run, so it says nothing about them` : ''}.`);
    record.nextSteps.push(...state, 'Run the drill again when it can run to its end.');
    return closeOut(record, timeline, budget, deps, now, started, false);
  };

  // ── readiness ─────────────────────────────────────────────────────────────────────────────
  const rt = timeline.start('readiness');
  const ready = await readiness(asRollback, components, record, log);
  // A check the stop cut short is `stopped` (it says nothing of the way back), never among these:
  // every failed check is the way back's, stop or not, and said first, as it came first.
  const readyFailed = record.readiness.filter((r) => r.status === 'failed');
  rt.end(readyFailed.length || ready.cut.length ? 'failed' : request.dryRun ? 'dry-run' : 'ok', readinessLine(record.readiness), ready.cut.length ? { stopped: true } : undefined);
  const ownFailed = readyFailed;
  if (!ready.cut.length) after = 'readiness';
  const fixReadiness = 'Nothing was changed. Fix what the readiness checks say: in an incident, this rollback would have failed the same way.';
  if (ownFailed.length) {
    record.failedPhase ??= 'readiness';
    record.failures.push(`${BROKEN_WAY_BACK}${ownFailed.map((r) => `${r.component ? `${r.component} ` : ''}${r.check}: ${r.detail}`).join('; ')}`);
  }
  if (stoppedBy()) return stopHere([ownFailed.length ? fixReadiness : 'Nothing was changed on staging: the drill was stopped before the way back.']);
  if (readyFailed.length) {
    for (const phase of ['snapshot', 'back', 'verify-back', 'forward', 'verify-forward'] as const) timeline.skip(phase, 'readiness failed: nothing was changed');
    record.nextSteps.push(fixReadiness);
    return closeOut(record, timeline, budget, deps, now, started);
  }
  if (request.dryRun) {
    record.status = 'dry-run';
    record.nextSteps.push('Dry run: readiness only, nothing was changed. Run the drill without dry-run to rehearse the rollback against the stopwatch.');
    record.nextSteps.push(...readinessWarnings(record));
    return finish(record, now, started);
  }

  // ── snapshot ──────────────────────────────────────────────────────────────────────────────
  if (!request.database) {
    timeline.skip('snapshot', 'no database in the plan');
  } else {
    const st = timeline.start('snapshot');
    try {
      const snap = await takeSnapshot({ ...wholeDatabaseSnapshot(request.database, { outputDir: request.snapshotDir, outputDirInput: 'RUNNER_TEMP', label: 'drill', tools: request.tools }), signal: request.signal }, log);
      record.snapshot = { path: snap.path, sha256: snap.sha256, sizeBytes: snap.sizeBytes };
      st.end('ok', `verified snapshot of ${describeTarget(request.database)}, ${snap.sizeBytes} bytes, read back in full`);
    } catch (err) {
      const why = redact(err);
      st.end('failed', why, cutShort());
      if (stoppedBy()) return stopHere(['Nothing was changed on staging: the drill was stopped during its snapshot, before the way back.']);
      fail('snapshot', `No verified snapshot could be taken: ${why}`);
      for (const phase of ['back', 'verify-back', 'forward', 'verify-forward'] as const) timeline.skip(phase, 'no verified snapshot: the drill changes nothing without one');
      record.nextSteps.push('Fix the snapshot first: in an incident the database could not be rolled back safely.');
      return closeOut(record, timeline, budget, deps, now, started);
    }
  }

  if (request.database) after = 'snapshot';
  if (stoppedBy()) return stopHere(['Nothing was changed on staging: the drill was stopped before the way back.']);

  // ── back ──────────────────────────────────────────────────────────────────────────────────
  const wentBack: number[] = [];
  /**
   * Components whose way back stopped with an error: the platform may have taken the request
   * (a Vercel alias job still running at the time limit, a promotion queued behind a rolling
   * release, an answer lost on the way back) and may still move staging after the drill ends.
   */
  const stoppedHalfway: number[] = [];
  /**
   * Each component's warnings of the freeze its way back caused (Vercel switches automatic domain
   * assignment off after a rollback), held until the drill's roll-forward: a promotion of what
   * staging started on undoes it, and "new pushes will NOT go live until a deployment is promoted"
   * was then wrong by the end of the drill. Said only when the freeze outlives the drill.
   */
  const freezeWarnings = new Map<number, string[]>();
  if (!components.length) timeline.skip('back', 'no component in the plan');
  await Promise.all(
    components.map(async (c, i) => {
      const rec = record.components[i]!;
      const t = timeline.start('back', c.name);
      const warned: string[] = [];
      try {
        // Readiness logged this way back's plan block (its dry run): the provider does not log it again.
        const planLogged = { from: rec.original?.id, to: rec.previous?.id };
        const outcome = await promotePrevious({ ...promoteRequest(c, asRollback, false), planLogged }, { ...log, warning: (m) => void warned.push(m) });
        // Every other warning is said at once; the freeze's only if the roll-forward leaves it.
        const freeze = outcome.frozen.frozen ? warned.filter((m) => outcome.notes.includes(m)) : [];
        for (const m of warned) if (!freeze.includes(m)) log.warning(m);
        if (freeze.length) freezeWarnings.set(i, freeze);
        rec.original = ref(outcome.from);
        rec.previous = ref(outcome.to);
        rec.back = outcome.status;
        const queued = notLiveYet(outcome, c.name);
        if (queued) throw queued;
        if (changedProduction(outcome.status)) {
          wentBack.push(i);
          t.end('ok', `${label(rec.original, 'what serves now')} → ${label(rec.previous, 'the previous deployment')}: ${log.redact(outcome.notes[0] ?? outcome.status)}`);
        } else {
          // Readiness resolved a target, so "nothing to do" now means someone changed staging meanwhile.
          const why = `did not roll back (${outcome.status}): ${log.redact(outcome.notes[0] ?? '')}`;
          t.end('failed', why, cutShort());
          fail('back', `${c.name} ${why}`);
        }
      } catch (err) {
        if (!freezeWarnings.has(i)) for (const m of warned) log.warning(m);
        rec.back = 'failed';
        rec.error = redact(err);
        // Stopped before its request was sent: nothing is halfway, staging serves what it served.
        if (errorFacts(err).changed !== 'no') stoppedHalfway.push(i);
        t.end('failed', rec.error, cutShort());
        fail('back', `${c.name} did not roll back: ${rec.error}`);
      }
    }),
  );

  /** Where each component stands when the drill is stopped after (or during) its way back. */
  const leftAt = (): string[] => {
    const by = stoppedBy();
    const left = wentBack.map((i) => {
      const c = components[i]!;
      const rec = record.components[i]!;
      const original = forwardTo(rec.original);
      return `${c.name} is left on ${label(rec.previous, 'the previous deployment')}: the drill was stopped (${by}) before rolling it forward; promote ${original ?? 'the deployment it served before the drill'} back by hand.`;
    });
    const halfway = stoppedHalfway.map((i) => {
      const c = components[i]!;
      const original = forwardTo(record.components[i]!.original);
      return `${c.name}'s way back was sent and not confirmed when the drill was stopped (${by}): check which deployment staging serves${original ? `; if it is not ${original}, promote ${original} back by hand` : ''}.`;
    });
    return left.length || halfway.length ? [...left, ...halfway] : ['Nothing was changed on staging: the drill was stopped before any way back was sent.'];
  };
  // Ran to its end, each component's way back done or failed on its own: none cut short by the stop.
  if (components.length && !cut.has('back')) after = 'back';
  if (stoppedBy()) return stopHere(leftAt());

  // ── verify-back ───────────────────────────────────────────────────────────────────────────
  if (!wentBack.length) timeline.skip('verify-back', 'nothing was rolled back');
  else {
    record.verifyBack = await verifyPhase('verify-back', ready.checks!, request, timeline, fail, log);
    // Ran to its end (its verdict given, passed or not) unless the stop cut its row short: its
    // verdict then stands, stop or not, as a failed readiness check's does.
    const verdict = !timeline.entries.at(-1)?.stopped;
    if (verdict) after = 'verify-back';
    if (verdict && timeline.entries.at(-1)?.status === 'failed') {
      const landed = wentBack.map((i) => `${components[i]!.name}: ${label(record.components[i]!.previous)}`).join(', ');
      record.nextSteps.push(
        record.verifyBack
          ? `In an incident, rolling back would land on a deployment that fails the smoke checks (${landed}): fix what the failing checks say on it, or point the component's target at a deployment that passes, before you need it.`
          : 'The smoke checks could not run against staging (see verify-back): in an incident nothing would verify the rollback. Make them run before you need them.',
      );
    }
  }

  if (stoppedBy()) return stopHere(leftAt());

  // ── forward: always attempted for what went back, so staging is left as it was found ──────
  if (!wentBack.length && !stoppedHalfway.length) timeline.skip('forward', 'nothing was rolled back, so there is nothing to roll forward');
  await Promise.all(stoppedHalfway.map((i) => putBack(i)));
  await Promise.all(
    wentBack.map(async (i) => {
      const c = components[i]!;
      const rec = record.components[i]!;
      const t = timeline.start('forward', c.name);
      const original = forwardTo(rec.original);
      try {
        if (!original) throw new RollbackKitError(`The deployment ${c.name} started on has no id or commit SHA to promote back.`, 'Roll staging forward by hand.');
        const forward: ComponentPlan = { ...c, target: original, method: 'promote', from: forwardTo(rec.previous) };
        const outcome = await promotePrevious(promoteRequest(forward, asRollback, false), log);
        rec.forward = outcome.status;
        const queued = notLiveYet(outcome, c.name);
        if (queued) throw queued;
        if (!changedProduction(outcome.status)) throw new RollbackKitError(`did not roll forward (${outcome.status}): ${outcome.notes[0] ?? ''}`);
        thawed(i, outcome);
        t.end('ok', `${label(rec.previous, 'the previous deployment')} → ${label(ref(outcome.to), 'the original deployment')}: ${log.redact(outcome.notes[0] ?? outcome.status)}`);
      } catch (err) {
        rec.forward = 'failed';
        rec.error = redact(err);
        t.end('failed', rec.error, cutShort());
        fail('forward', `${c.name} did not roll forward to ${original ?? 'the deployment it started on'}: ${rec.error}`);
        record.nextSteps.push(`${c.name} is left on ${label(rec.previous, 'the previous deployment')}: promote ${original ?? 'the deployment it served before the drill'} back by hand.`);
      }
    }),
  );
  // The freezes the roll-forward did not undo (it failed, or the platform keeps them): they stand.
  for (const held of freezeWarnings.values()) for (const m of held) log.warning(m);

  /** A roll-forward that left the platform unfrozen: the way back's freeze warning no longer stands. */
  function thawed(i: number, outcome: PromoteOutcome): void {
    if (!freezeWarnings.has(i) || outcome.frozen.frozen) return;
    freezeWarnings.delete(i);
    log.info(`${components[i]!.name}: the roll-forward undid the way back's freeze. ${outcome.frozen.what}`);
  }

  /**
   * A way back that stopped halfway: promote the deployment staging started on again, so staging
   * ends where it began if the platform did move it. That staging serves it now does not prove the
   * platform will not still finish the interrupted rollback, so a person is asked to look unless
   * this promotion moved staging back itself.
   */
  async function putBack(i: number): Promise<void> {
    const c = components[i]!;
    const rec = record.components[i]!;
    const t = timeline.start('forward', c.name);
    const original = forwardTo(rec.original);
    const look = (now: string) =>
      `${c.name}'s way back stopped halfway and ${c.provider} may still finish it: ${now}. Check which deployment staging serves${original ? `; if it is not ${original}, promote ${original} back by hand` : ' and promote the one it served before the drill back by hand'}.`;
    try {
      if (!original) throw new RollbackKitError(`The deployment ${c.name} started on has no id or commit SHA to promote back.`);
      const outcome = await promotePrevious(promoteRequest({ ...c, target: original, method: 'promote', from: undefined }, asRollback, false), log);
      rec.forward = outcome.status;
      const queued = notLiveYet(outcome, c.name);
      if (queued) throw queued;
      if (changedProduction(outcome.status)) {
        thawed(i, outcome);
        t.end('ok', `put back on ${original} after the way back stopped halfway: ${log.redact(outcome.notes[0] ?? outcome.status)}`);
        return;
      }
      t.end('nothing-to-do', `staging still serves ${original}: nothing to put back`);
      record.nextSteps.push(look(`staging still served ${original} when the drill looked again`));
    } catch (err) {
      rec.forward = 'failed';
      const why = redact(err);
      t.end('failed', why, cutShort());
      fail('forward', `${c.name} could not be put back on ${original ?? 'the deployment it started on'} after its way back stopped halfway: ${why}`);
      record.nextSteps.push(look(`putting it back failed (${why})`));
    }
  }

  if (stoppedBy()) {
    // Stopped while rolling forward: each row says what the promotion did; the stop's words say the rest.
    return stopHere(record.components.some((c) => c.forward === 'failed') ? ['Check which deployment staging serves: a roll-forward was under way when the drill was stopped (see the forward rows).'] : []);
  }
  if (record.components.some((c) => changedProduction(c.forward))) after = 'forward';

  // ── verify-forward ────────────────────────────────────────────────────────────────────────
  if (!record.components.some((c) => changedProduction(c.forward))) timeline.skip('verify-forward', 'nothing was rolled forward');
  else {
    record.verifyForward = await verifyPhase('verify-forward', ready.checks!, request, timeline, fail, log);
    const verdict = !timeline.entries.at(-1)?.stopped;
    if (verdict) after = 'verify-forward';
    if (verdict && timeline.entries.at(-1)?.status === 'failed') record.nextSteps.push('Staging, rolled forward to the deployments it started on, does not pass the smoke checks (see verify-forward): look at staging now.');
    if (!verdict) return stopHere(['Staging was rolled forward to the deployments it started on; the checks on it were stopped before their verdict: look at staging now.']);
    if (stoppedBy()) return stopHere([]);
  }

  return closeOut(record, timeline, budget, deps, now, started, Boolean(plan.database));
}

async function verifyPhase(
  phase: 'verify-back' | 'verify-forward',
  checks: Check[],
  request: DrillRequest,
  timeline: Timeline<DrillPhase>,
  fail: (phase: DrillPhase, why: string) => void,
  log: Log,
): Promise<VerifyRecord | undefined> {
  const t = timeline.start(phase);
  const what = phase === 'verify-back' ? 'the previous deployment' : 'the original deployment, rolled forward';
  try {
    const { record, summary } = await verifyWithChecks(checks, request.plan.verify!, request.database, log, request.signal);
    if (record.decision === 'rollback' || !record.passed) {
      t.end('failed', `${summary}: ${what} does not pass the checks`, stoppedFacts(request.signal));
      fail(phase, `${what} does not pass the smoke checks (${summary})`);
    } else t.end('ok', summary);
    return record;
  } catch (err) {
    const why = log.redact(errorLine(err));
    t.end('failed', why, stoppedFacts(request.signal));
    fail(phase, `the checks could not run: ${why}`);
    return undefined;
  }
}

/** Budgets, status, the report. */
async function closeOut(
  record: DrillRecord,
  timeline: Timeline<DrillPhase>,
  budget: { phase(name: DrillPhase): number },
  deps: DrillDeps,
  now: () => number,
  started: number,
  /** The plan has a database: its down migrations are planned, never run, so a pass does not cover them. */
  planHasDatabase = false,
): Promise<DrillRecord> {
  // A row the stop cut short timed only part of its phase: it counts in no total and no budget.
  const ran = (e: TimelineEntry<DrillPhase>) => e.status !== 'skipped' && !e.stopped;
  // Components run in parallel: a phase took as long as its slowest row.
  const phaseMs = (p: DrillPhase) => Math.max(0, ...record.timeline.filter((e) => e.phase === p && ran(e)).map((e) => e['duration-ms']));
  record.wayBackMs = WAY_BACK.reduce((s, p) => s + phaseMs(p), 0);
  record.forwardMs = phaseMs('forward') + phaseMs('verify-forward');
  /** Known here, not read back from the failure's words. */
  let overBudget = false;
  for (const p of DRILL_PHASES) {
    if (OFF_CLOCK.includes(p)) continue;
    const took = phaseMs(p);
    if (took > budget.phase(p)) {
      overBudget = true;
      record.failedPhase ??= p;
      record.failures.push(`${p} took ${seconds(took)}, over its budget of ${seconds(budget.phase(p))}`);
    }
  }
  record.status = record.failures.length ? 'failed' : 'passed';
  if (record.status === 'passed') {
    const names = record.components.map((c) => c.name);
    const database = !planHasDatabase
      ? 'Nothing to do until the next drill.'
      : record.snapshot
        ? "The database's was snapshotted and its down migrations checked, but they were not run or timed: the drill never changes staging's schema."
        : "The database's was not rehearsed: no database-url was given.";
    record.nextSteps.push(`The way back${names.length ? ` of ${names.join(', ')}` : ''} works and took ${seconds(record.wayBackMs)} of its ${seconds(record.wayBackBudgetMs)} budget. ${database}`);
  } else if (overBudget) {
    record.nextSteps.push('Over budget: in an incident the rollback would take longer than the runbook allows. Look at the slow phase in the table, and make it faster or raise budget-minutes deliberately.');
  }
  record.nextSteps.push(...readinessWarnings(record));
  finish(record, now, started);
  const t = timeline.start('report');
  if (deps.report) {
    const reported = await deps.report(record);
    if (reported) {
      record.issueUrl = reported.url;
      record.trend = reported.trend;
    }
    t.end(reported ? 'ok' : 'warning', reported ? 'drill recorded on the drill issue' : 'the drill issue could not be written (see the warning in the log)');
  } else {
    t.end('skipped', 'no drill issue (no github-token, or incident-issue is false)');
  }
  return finish(record, now, started);
}

function finish(record: DrillRecord, now: () => number, started: number): DrillRecord {
  // A way that never ran (readiness failed, a dry run, a stop, a failed snapshot) is not still to
  // come: `planned` read so in the components output of a drill that had ended.
  for (const c of record.components) {
    if (c.back === 'planned') c.back = record.dryRun ? 'dry-run' : 'skipped';
    if (c.forward === 'planned') c.forward = c.back === 'dry-run' ? 'dry-run' : 'skipped';
  }
  record.durationMs = Math.max(0, Math.round(now() - started));
  record.finishedAt = new Date(now()).toISOString();
  return record;
}

/** Each readiness warning as a next step (an expiring token, a wait over its budget): the dry run's too. */
function readinessWarnings(record: DrillRecord): string[] {
  return record.readiness.filter((r) => r.status === 'warning').map((r) => `${r.component ? `${r.component}: ` : ''}${r.detail}`);
}

function readinessLine(checks: ReadinessCheck[]): string {
  const failed = checks.filter((c) => c.status === 'failed');
  const stopped = checks.filter((c) => c.status === 'stopped');
  const notable = [...failed, ...stopped];
  const parts = (notable.length ? notable : checks).map((c) => `${c.component ? `${c.component} ` : ''}${c.check}: ${c.status}`);
  const cut = stopped.length ? `${stopped.length} of ${checks.length} checks stopped` : '';
  const head = failed.length ? `${failed.length} of ${checks.length} checks failed` : cut ? '' : `${checks.length} checks, none failed`;
  return `${[head, cut].filter(Boolean).join(', ')} (${parts.join(', ')})`;
}

/** A failed row's facts once the drill's stop has come: `stopped`, so no report reads its time or failure as the way back's. */
function stoppedFacts(signal: AbortSignal | undefined): RowFacts | undefined {
  return signal?.aborted ? { stopped: true } : undefined;
}

/** A duration in the words every report gives it (formatDuration): "7 min 30 s" here and in the summary, never "450.0 s". */
const seconds = formatDuration;
