/**
 * The whole rollback as the runbook runs it: plan, notify-start, app, snapshot, database,
 * environment, verify, report, notify-end. Every phase is a library call the single actions make
 * too (promote-previous, snapshot-db, run-down-migrations, restore-db, smoke-test); this module only
 * decides what runs, in which order, what stops what, and writes it all into one RollbackRecord.
 *
 * The rules, in the runbook's words: nothing changes before everything is resolved (plan); the app
 * goes back first because it restores service fastest; no database change without a fresh snapshot
 * or under an app that failed to roll back; verify whenever anything changed; a verify that still
 * says "roll back" means a person must act now; telling people never stops the rollback.
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { errorFacts, errorLine, RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import type { MadeHook } from '../core/made.js';
import { describeTarget, type ConnectionTarget } from '../db/connection.js';
import type { FindToolOptions } from '../db/pg-tools.js';
import { manifestPathFor, readManifest, type SnapshotManifest } from '../db/manifest.js';
import { changedSinceRestore, changedText } from '../db/restored-since.js';
import { fewerRowsText, previewRestore, restoreSnapshot, type RestorePreview, type RestoreRequest } from '../db/restore.js';
import { rowsDiscardedText } from '../db/restore-rows.js';
import type { Session } from '../db/session.js';
import { takeSnapshot, wholeDatabaseSnapshot, type SnapshotResult } from '../db/snapshot.js';
import { isInside } from '../core/files.js';
import { RevertFailed, revertMigrations, type Choice, type RevertOptions } from '../migrations/revert.js';
import { STATEMENT_TIMEOUT_SECONDS } from '../migrations/revert-inputs.js';
import { isConnectionLoss } from '../migrations/run-failure.js';
import { changedProduction, checkPromoteRequest, FLY_MACHINES_API_URL, frozenNotes, notLiveYet, promotePrevious, type PromoteOutcome, type PromoteRequest } from '../platforms/promote.js';
import { changedProductionEnv } from '../platforms/vercel/env.js';
import { NOT_ROLLED_BACK_AGAIN } from '../platforms/outcome.js';
import { stopName } from '../core/stop-signals.js';
import { afterStopWithin } from '../core/bounded-wait.js';
import { loadChecks, verifySource } from '../smoke/smoke-test.js';
import type { Check } from '../smoke/spec.js';
import { budgets, type Budgets } from './budgets.js';
import { isClosed, ledgerDoneWithRestore, type LedgerRow } from '../migrations/ledger.js';
import { deleteRowSql, DOWN_MIGRATIONS, finishChoice, firstSnapshotColumn, readLedgerAtPlanOrLegacy, readLedgerUnderLockOrLegacy, writeLedgerUnderLock, freshPlan, LOCK_LOST_AFTER_PLAN, lockLostWhileReverting, lockRollback, requireRollbackLock, revertedOfPlan, supersedeUnderLock, unfinishedPlan, unlockRollback, watchRollbackLock, type DownPlan, type LegacyKey, type RowKey } from './ledger.js';
import type { ComponentPlan, RollbackPlan } from './plan-file.js';
import type { ComponentRecord, DatabaseRecord, FirstSnapshotRecord, PhaseName, PhaseStatus, RollbackRecord, Severity, SnapshotRecord, TimelineEntry } from './record.js';
import { checkCanPush } from './git-revert-access.js';
import { DATABASE } from './scope.js';
import { factsLine, FIRST_SNAPSHOT_TITLE, firstSnapshotFacts } from '../report/first-snapshot.js';
import { ChatHeartbeat, type HeartbeatOptions, type HeartbeatUpdate } from '../report/heartbeat.js';
import { changedSomething, deploymentName, earlierFroms, earlierMoves, phaseLine, standingFailures, stoppedIn, Timeline, type RowFacts } from './timeline.js';
import { inThisJob } from './job-words.js';
import { componentKey, keyFrom, keyParts, keyRef, namesRun, runRef, type KeyPart } from './incident-key.js';
import { namesServiceNotDeploy } from '../platforms/from-ref.js';
import { hideUrlSecrets } from '../core/url-secrets.js';
import { verifyWithChecks } from './verify.js';

/** The platforms' tokens and GitHub's, as the root action and the command line read them. */
export interface RequestSecrets {
  vercelToken?: string;
  flyToken?: string;
  railwayToken?: string;
  renderToken?: string;
  netlifyToken?: string;
  githubToken?: string;
}

/**
 * Every token of the run registered with the log before anything can print: the rollback, the
 * drill and the incident look-up each start with it, whichever of them a run is.
 */
export function registerRequestSecrets(secrets: RequestSecrets, log: Log): void {
  for (const token of Object.values(secrets)) log.secret(token);
}

export interface RollbackRequest {
  plan: RollbackPlan;
  /** Component names and/or "database" (selectScope). */
  scope: string[];
  reason: string;
  severity: Severity;
  dryRun: boolean;
  /** Rows of earlier jobs of the same rollback (the `timeline` input). */
  earlierTimeline: TimelineEntry[];
  secrets: RequestSecrets;
  database?: ConnectionTarget;
  /** The checkout: relative paths in the plan start here. */
  workspace: string;
  /** Where the snapshot goes. */
  snapshotDir: string;
  /** Hears of each folder and file the snapshot phase makes in snapshotDir (SnapshotRequest.made). */
  made?: MadeHook;
  /** The runner's temporary folder, which GitHub deletes when the job ends: a snapshot there must be uploaded to be kept. */
  runnerTemp?: string;
  github: { repository: string; apiUrl: string; baseBranch?: string; runId?: string; runUrl?: string };
  /** The environment a `command` provider inherits. */
  commandEnv: Record<string, string | undefined>;
  tools?: FindToolOptions;
  /** Faster alias-job polling (tests, the CLI). */
  vercelPollIntervalMs?: number;
  /** Faster deploy polling for Railway, Render and Netlify (tests, the CLI). */
  pollIntervalMs?: number;
  /** Aborted when the run is being stopped (SIGTERM, SIGINT): passed to the snapshot, the restore and the revert, which stop and say what they did. */
  signal?: AbortSignal;
  /**
   * Started by a deployment event rather than a person (auto-rollback): a deployment a rollback put
   * into production is left there, not rolled back from again (the rollback-cascade guard).
   */
  automatic?: boolean;
}

/** Same shape as the report module's ChatEvent. */
export type RollbackEvent = { kind: 'start' } | { kind: 'phase'; entry: TimelineEntry } | { kind: 'update'; update: HeartbeatUpdate } | { kind: 'end' };

/** How a chat message is sent: `stopped`, after the run's stop (one short attempt); else `signal`, the stop that cuts it short. */
export interface NotifyHow {
  stopped?: boolean;
  signal?: AbortSignal;
}

export interface RollbackDeps {
  /**
   * Tells people; must never throw (a failed message is the sender's warning). Returns false when
   * the message was not delivered, so the timeline does not claim the team was told.
   */
  notify?: (event: RollbackEvent, record: RollbackRecord, how?: NotifyHow) => Promise<boolean | void>;
  /**
   * Records the incident (issue or comment); returns its URL, or, when the run's stop (`signal`)
   * cut it short, what was not recorded and where to record it; must never throw.
   */
  report?: (record: RollbackRecord, how?: { signal?: AbortSignal }) => Promise<string | { missed: string } | undefined>;
  now?: () => number;
  /**
   * Keeps the snapshot taken before the database changes past the job (an artifact upload);
   * returns the artifact's name. A failure is warned about, and the rollback goes on.
   */
  keepSnapshot?: (snapshot: { path: string; manifestPath: string }) => Promise<string>;
  /**
   * Each phase as it starts and ends (a terminal's spinner and its rows), each row with the record
   * as it stands then (what a run that outlasts its stop's grace had said: KnownSoFar); must never throw.
   */
  progress?: { started(phase: PhaseName, component?: string): void; finished(entry: TimelineEntry, record: RollbackRecord): void };
  /** The chat updates' interval and timer (report/heartbeat.ts): every 5 minutes on real timers unless tests shorten it. */
  heartbeat?: HeartbeatOptions;
}

/** The shortest wait of a second run for the first to finish the database (the budgets may be smaller). */
const MIN_LOCK_WAIT_SECONDS = 30;

/** The wait for another rollback of the database: what its snapshot and database phases may take together. */
function rollbackWaitSeconds(budget: Budgets): number {
  return Math.max(MIN_LOCK_WAIT_SECONDS, Math.round((budget.phase('snapshot') + budget.phase('database')) / 1000));
}


export async function runRollback(request: RollbackRequest, deps: RollbackDeps, log: Log): Promise<RollbackRecord> {
  const heartbeat = new ChatHeartbeat(deps, deps.now ?? Date.now, log, request.signal);
  try {
    return await rollbackPhases(request, heartbeat.watching(), log, heartbeat);
  } finally {
    // Every exit path, a throw too: no timer outlives the rollback.
    await heartbeat.stop();
  }
}

async function rollbackPhases(request: RollbackRequest, deps: RollbackDeps, log: Log, heartbeat: ChatHeartbeat): Promise<RollbackRecord> {
  const now = deps.now ?? Date.now;
  const plan = request.plan;
  const budget = budgets(plan.budgetMinutes);
  registerRequestSecrets(request.secrets, log);
  const started = now();
  const inScope = plan.components.filter((c) => request.scope.includes(c.name));
  // scope verify (src/pipeline/scope.ts): change nothing, verify what earlier jobs of this rollback did.
  const verifyOnly = request.scope.length === 0;
  const wantsDatabase = request.scope.includes(DATABASE) && Boolean(plan.database);
  const record: RollbackRecord = {
    reason: request.reason,
    severity: request.severity,
    environment: plan.environment,
    scope: request.scope,
    dryRun: request.dryRun,
    budgetMs: budget.totalMs,
    startedAt: new Date(started).toISOString(),
    durationMs: 0,
    status: 'failed',
    timeline: [],
    components: inScope.map((c) => ({ name: c.name, provider: c.provider, status: 'planned', skipped: [], notes: [], changedEnv: [] })),
    nextSteps: [],
    runUrl: request.github.runUrl,
    labels: plan.labels,
    incidentKey: `${plan.environment}:unresolved`,
  };
  // undefined: no webhook configured, so nobody was told (the timeline says skipped, not ok).
  const notify = async (event: RollbackEvent): Promise<boolean | undefined> => {
    if (!deps.notify) return undefined;
    // Once stopped, a message must not outlast the stop's grace (notify.ts STOPPED_SEND).
    return (await deps.notify(event, record, request.signal?.aborted ? { stopped: true } : { signal: request.signal })) !== false;
  };
  // Every row is logged where it is recorded, the skipped ones and report's and the notify rows too:
  // the action's log has the rows the command line shows (its log once stopped at verify).
  const timeline = new Timeline(budget, request.earlierTimeline, (entry) => (log.info(phaseLine(entry)), deps.progress?.finished(entry, record)), now, (phase, component) => deps.progress?.started(phase, component));
  record.timeline = timeline.entries;
  // A later job of a split rollback: an earlier job changed production (its timeline rows say so).
  const changedEarlier = changedSomething(request.earlierTimeline);
  // What the earlier jobs moved and this one leaves alone: production is on it, and every report says so.
  const moved = earlierMoves(request.earlierTimeline).filter((m) => !request.scope.includes(m.name));
  if (moved.length) record.earlierComponents = moved;
  // The app job of a split: the database is the later job's, so this one's words must not say "complete".
  if (plan.database && !wantsDatabase && !verifyOnly) record.databaseLeft = true;
  const redact = (err: unknown) => inThisJob(log.redact(errorLine(err)), changedEarlier);
  let told = false;
  const finished = async (entry: TimelineEntry) => {
    // People hear of phases only once they were told a rollback started (never in a dry run). Once
    // the run is stopped, only the end message goes out (it holds every row): each message may wait
    // seconds for a slow webhook, and the report must be out before the stop's grace time ends.
    if (told && !request.signal?.aborted) await notify({ kind: 'phase', entry });
  };
  const finish = (): RollbackRecord => {
    record.durationMs = Math.max(0, Math.round(now() - started));
    record.finishedAt = new Date(now()).toISOString();
    return record;
  };
  // A function, not a comparison: phases run in closures the compiler cannot follow.
  const hasFailed = () => record.status === 'failed';
  const fail = (phase: PhaseName) => {
    record.failedPhase ??= phase;
    record.status = 'failed';
  };

  // ── plan ──────────────────────────────────────────────────────────────────────────────────
  const planTimer = timeline.start('plan');
  let checks: Check[] | undefined;
  let ledger: LedgerRow | undefined;
  /** The down migrations the database phase reverts: this run's plan, or what is left of an earlier run's. */
  let downPlan: DownPlan | undefined;
  /** The key as an earlier version spelled it, when it differs: its ledger row is this incident's (legacyIncidentKey). */
  let legacy: LegacyKey | undefined;
  /** The key the incident's ledger row has (readLedgerAtPlanOrLegacy), for the DELETE a finished incident's step gives. */
  let rowKey: RowKey | undefined;
  /** Each component's row facts at plan (madeFromFacts): a run with nothing to do says them in its app rows. */
  let planned: RowFacts[] = [];
  /** Method restore: the restore planned as it will run, nothing locked (previewRestore), beside the rest of the plan. */
  let previewing: Promise<RestorePreview> | undefined;
  /** A dry run's finding: what would refuse the real run, which a dry run (writing nothing) plans past. */
  let wouldRefuse: string | undefined;
  try {
    for (const c of inScope) checkPromoteRequest(promoteRequest(c, request, true), placeOf(c, plan));
    if (wantsDatabase && !request.database) {
      throw new RollbackKitError('The scope includes the database, but no database connection was given.', 'Pass database-url from a secret (or set DATABASE_URL), or leave database out of scope.');
    }
    // A restore the plan refuses (a snapshot that does not verify or is of another database, an
    // object it cannot put back, a transaction pooler) is refused here, in a real run too, before the
    // app is touched: found in the database phase, it would stop the rollback half-done. Started
    // beside the promote dry runs, which wait on the network while it reads the snapshot. Its cost is
    // one sha256 of the snapshot on the plan's path (the app waits for it); the restore hashes again
    // before it locks anything, on purpose: that proof is of the bytes it restores, not of bytes
    // read an app phase earlier, and by then production is already back.
    const restoring = wantsDatabase && plan.database!.method === 'restore' && plan.database!.snapshotPath && existsSync(plan.database!.snapshotPath);
    if (restoring) {
      // Waits little for locks: the app waits for this plan, and the database phase waits its full lock-timeout.
      // A dry run counts each table's rows too (restore-rows.ts): no app waits for a dry run's plan,
      // and the rows a restore throws away are what a person deciding on one asks about first. The
      // counts are bounded (2 min in all), so the plan row may then run past its share of the budget.
      previewing = previewRestore({ ...restoreRequest(request), lockTimeoutSeconds: Math.min(plan.database!.lockTimeoutSeconds, PREVIEW_LOCK_WAIT_SECONDS) }, log, { countRows: request.dryRun });
      previewing.catch(() => undefined);
    }
    if (plan.verify) {
      // Every check is validated, but SQL ones need a connection the app-only jobs do not get
      // (rollback.yml's app job, auto-rollback): they are left out with a warning rather than
      // stopping an app rollback at plan. The smoke-test action itself stays strict.
      const all = await loadChecks(verifySource(plan.verify, request.workspace), { baseUrl: plan.verify.baseUrl, hasDatabase: true });
      checks = request.database ? all : all.filter((c) => c.kind !== 'sql');
      const left = all.filter((c) => !checks!.includes(c)).map((c) => c.name);
      if (left.length) {
        record.skippedChecks = left;
        log.warning(`No database connection was given, so the SQL checks ${left.join(', ')} will not run${checks.length ? '; the HTTP checks still do' : ' and nothing is verified'}. Pass database-url to run them.`);
      }
      record.plannedChecks = checks.map((c) => c.name);
      if (!checks.length) checks = undefined;
    }
    const requests = inScope.map((c) => planRequest(c, request, budget));
    const outcomes = await Promise.all(requests.map((req) => promotePrevious(req, log)));
    outcomes.forEach((o, i) => applyOutcome(record.components[i]!, o, { preview: !request.dryRun }));
    planned = outcomes.map((o) => madeFromFacts(o, log));
    // A revert to push: the job must be able to, or the app phase would stop halfway.
    for (const [i, c] of inScope.entries()) if (c.provider === 'git-revert' && outcomes[i]!.status === 'dry-run') await checkCanPush(request.workspace, c.name, requests[i]!.timeoutSeconds, log, request.signal);
    const earlierFacts = keyFacts(plan.components, inScope, outcomes, request.earlierTimeline);
    // The database alone: asked of the platforms as a full rollback's plan asks, only for the key.
    const alone = wantsDatabase && !inScope.length ? await databaseAloneFacts(request, earlierFacts, budget, log) : undefined;
    const facts = alone && 'facts' in alone ? alone.facts : earlierFacts;
    record.incidentKey = incidentKey(plan.environment, plan.components, inScope, facts, request.github.runId);
    if (alone) sayDatabaseAloneKey(alone, record.incidentKey, log);
    keyNotes(plan.components, facts, request.github.runId, log);
    const aliases = incidentAliases(plan.environment, plan.components, facts, record.incidentKey, request.github.runId);
    const legacyKey = legacyIncidentKey(plan.environment, plan.components, inScope, outcomes, request.github.runId);
    // The issue an earlier version opened carries that spelling in its marker, so it is an alias too:
    // unless it held a secret (a URL's password: looked up in the ledger only, never written out), or
    // names a Render or Fly service or a Vercel domain, which every incident on it shared: the alias would join a new
    // incident to an earlier one's open issue. Such a spelling is this incident's only when its
    // ledger row is found under it (below).
    const aliasable = legacyKey.key !== record.incidentKey && legacyKey.shown === undefined ? legacyKey.key : undefined;
    const serviceWide = plan.components.some((c, i) => fromNamesNoDeploy(c, facts[i]));
    legacy = legacyKey.key !== record.incidentKey ? { ...legacyKey, closedRows: !serviceWide } : undefined;
    if (aliasable && !serviceWide && !aliases.includes(aliasable)) aliases.push(aliasable);
    if (aliases.length) record.incidentAliases = aliases;

    if (wantsDatabase) {
      const db = plan.database!;
      const target = request.database!;
      const found = await readLedgerAtPlanOrLegacy(target, record.incidentKey, legacy, db.lockTimeoutSeconds, log, { signal: request.signal, dryRun: request.dryRun });
      ledger = found.row;
      rowKey = found.rowKey;
      if (found.refused) {
        const unread = found.unread ? ' This role may not read the ledger either, so this dry run planned as if it held no row for the incident.' : '';
        wouldRefuse = `The real run would be refused: ${found.refused}${unread}`;
        log.warning(wouldRefuse);
      }
      if (found.underLegacy && aliasable && !aliases.includes(aliasable)) record.incidentAliases = [...aliases, aliasable];
      // A row another incident's run superseded is finished as a done one is (its work was done for it).
      const closed = isClosed(ledger) ? ledger : undefined;
      record.database = { method: db.method, planned: [], reverted: [], status: 'planned' };
      const earlier = unfinishedPlan(ledger);
      if (closed) {
        if (closed.status === 'superseded') log.info(`Incident ${record.incidentKey}: ${SUPERSEDED_ROW}; nothing is left to do.`);
        // Refused before the earlier run's work is taken as this run's: its migrations are applied
        // again, so "reverted" would tell the reader to remove migrations that are back in place.
        refuseAnotherMethod(closed, record.incidentKey, found.rowKey, request);
        if (closed.method === DOWN_MIGRATIONS && closed.planned.length) await refuseAnotherIncident(closed, record.incidentKey, found.rowKey, request, log);
        if (closed.method === 'restore') await refuseAnotherRestore(closed, record.incidentKey, found.rowKey, request, 'plan');
        record.database.planned = closed.planned;
        record.database.reverted = closed.reverted;
        record.database.status = 'nothing-to-do';
        // Nothing left to restore: what the preview would refuse no longer matters.
        await previewing?.catch(() => undefined);
      } else if (db.method === 'restore') {
        if (!db.snapshotPath) throw new RollbackKitError('The database method is restore, but no snapshot-path says which snapshot to restore.', 'Pass snapshot-path (the pre-deploy snapshot), or use method down-migrations.');
        if (!existsSync(db.snapshotPath)) throw new RollbackKitError(`The snapshot to restore (${db.snapshotPath}) does not exist on this runner.`, 'Download the artifact that holds it first, or check snapshot-path.');
        // Planned as the restore plans it: what it would discard is in the plan row and the summary,
        // and a real run's restore lists again what it found, before it changes anything.
        try {
          const preview = await (previewing ?? previewRestore(restoreRequest(request), log, { countRows: request.dryRun }));
          record.database.discarded = preview.discarded;
          if (preview.rows) record.database.rows = preview.rows;
        } catch (err) {
          // A session holding a table now (a migration running) is no reason to keep the bad app in
          // production: only a real run goes on, and its database phase waits for the lock again.
          if (request.dryRun || !(err instanceof RollbackKitError && err.blocked)) throw err;
          log.warning(`The restore could not be planned now, so what it discards is not listed here: ${redact(err)} The rollback goes on; the database phase waits for the lock again (up to ${plan.database!.lockTimeoutSeconds} s).`);
        }
      } else if (earlier) {
        // What is left of it comes from the tracking table: the row's `reverted` may be behind it (ledger.ts).
        log.info(`An earlier run for incident ${record.incidentKey} planned to revert ${earlier.planned.join(', ')} and did not finish: this run finishes that plan, what is left of it, whatever the database section asks now.`);
        const dry = await revertMigrations(revertOptions(request, finishChoice(record.incidentKey, earlier, found.rowKey), { dryRun: true }), log);
        downPlan = earlier;
        record.database.planned = earlier.planned;
        if (earlier.keepVersion) record.database.keepVersion = earlier.keepVersion;
        record.database.reverted = revertedOfPlan(earlier.planned, dry.plan);
        if (dry.status === 'nothing-to-do') record.database.status = 'nothing-to-do';
      } else {
        if (!db.choice) {
          throw new RollbackKitError('The database is in scope, but nothing says which migrations to revert.', 'Give exactly one of steps, to-version or since-ref (inputs, or the database section of rollback-kit.yml).');
        }
        const dry = await revertMigrations(revertOptions(request, db.choice, { dryRun: true }), log);
        // From here on the plan is these versions, not the choice: `steps` would count again from
        // what is applied when the database phase runs, and a since-ref plan need not be the newest ones.
        downPlan = freshPlan(dry.plan.map((p) => p.version), dry.stillApplied.map((m) => m.version), dry.keepVersion);
        record.database.planned = downPlan.planned;
        if (downPlan.keepVersion) record.database.keepVersion = downPlan.keepVersion;
        if (dry.status === 'nothing-to-do') record.database.status = 'nothing-to-do';
      }
    }
    const parts = [
      ...record.components.map((c) => `${c.name}: ${c.status === 'already-current' ? `already current${c.unfinished ? `, still to ${c.unfinished}` : ''}` : `${c.from?.id ?? c.from?.commitSha ?? 'what serves now'} → ${c.to?.id ?? c.to?.commitSha ?? 'the previous deployment'}`}`),
      ...(record.database ? [`database: ${databasePlanText(record.database)}`] : []),
      ...(checks ? [`verify: ${checks.length} check(s)`] : []),
      ...(record.skippedChecks ? [`SQL checks not run (no database-url): ${record.skippedChecks.join(', ')}`] : []),
    ];
    const planText = `${parts.join('; ') || (verifyOnly ? 'nothing to roll back (scope verify)' : 'nothing in scope')}; budget ${plan.budgetMinutes} min.`;
    await finished(planTimer.end(wouldRefuse ? 'warning' : request.dryRun ? 'dry-run' : 'ok', wouldRefuse ? `${planText} ${wouldRefuse}` : planText));
  } catch (err) {
    // Its planning session is gone before the run ends (a preview, read only, still running).
    await previewing?.catch(() => undefined);
    fail('plan');
    // Nothing after the plan runs: `planned` would read as still to come, in the components output
    // and the summary's tables, beside a state line that says unchanged.
    skipUnstarted(record);
    // Said once: a refusal of the restore's plan says it itself. In a later job of a split rollback
    // the earlier job's rows say what it already changed: only this job changed nothing (redact
    // puts the error's own words so too).
    await finished(planTimer.end('failed', sayNothingChanged(err, redact(err), changedEarlier ? EARLIER_STANDS : 'Nothing was changed.'), { stopped: errorFacts(err).stopped }));
    const stopped = 'the rollback stopped while planning';
    for (const phase of ['notify-start', 'app', 'snapshot', 'database', 'environment', 'verify'] as const) timeline.skip(phase, stopped);
    // The plan row already says nothing was changed (above): the action's error line puts this step
    // right after it, where a second "Nothing was changed" only doubled it.
    // A stop (Ctrl-C, a cancelled job) left nothing to fix.
    record.nextSteps.push(errorFacts(err).stopped ? (changedEarlier ? PLAN_SIGNALLED_AFTER_EARLIER_STEP : PLAN_SIGNALLED_STEP) : PLAN_STOPPED_STEP);
    if (!request.dryRun) return await closeOut(record, timeline, notify, deps, finish, request.signal);
    // A dry run tells nobody and records no incident, stopped or not: its last two rows say why they
    // did not run in the same words as the others, not "no webhook configured".
    for (const phase of ['report', 'notify-end'] as const) timeline.skip(phase, stopped);
    record.nextSteps.unshift(...nextSteps(record));
    return finish();
  }

  if (request.dryRun) {
    for (const c of record.components) if (c.status === 'planned') c.status = 'dry-run';
    if (record.database && record.database.status === 'planned') record.database.status = 'dry-run';
    record.status = 'dry-run';
    // First: what the person must do before the real run can.
    if (wouldRefuse) record.nextSteps.push(wouldRefuse);
    record.nextSteps.push(
      verifyOnly
        ? inThisJob('Dry run of scope verify: the plan and the inputs were read and checked; nothing was contacted or changed.', changedEarlier)
        : inThisJob('Dry run: nothing was changed. Run again with dry-run false to do what the plan says.', changedEarlier),
    );
    return finish();
  }

  /** The verify phase: the smoke checks against production, their failure said as `broken`. */
  const runChecks = async (loaded: Check[], verify: NonNullable<typeof plan.verify>, broken: string) => {
    const vt = timeline.start('verify');
    try {
      const { record: verified, summary } = await verifyWithChecks(loaded, verify, request.database, log, request.signal);
      record.verify = verified;
      if (verified.decision === 'rollback') {
        if (!hasFailed()) {
          record.status = 'unverified';
          record.failedPhase = 'verify';
        }
        await finished(vt.end('failed', `${summary}: ${broken}`));
      } else {
        await finished(vt.end(verified.passed && !record.skippedChecks ? 'ok' : 'warning', `${summary}${record.skippedChecks ? `; SQL checks not run (no database-url): ${record.skippedChecks.join(', ')}` : ''}`));
      }
    } catch (err) {
      fail('verify');
      // Stopped mid-measure: no verdict, said as a stop rather than as a fault of the checks.
      await finished(vt.end('failed', redact(err), { stopped: errorFacts(err).stopped }));
    }
  };

  // A component already current with work left (a Netlify deploy restored but not locked) is not nothing.
  const nothingPlanned = record.components.every((c) => c.status === 'already-current' && !c.unfinished) && (!record.database || record.database.status === 'nothing-to-do');
  if (nothingPlanned && !verifyOnly) {
    record.status = 'nothing-to-do';
    // The cascade guard says why in its own words (the workflows look for them in the timeline).
    const notAgain = guardNote(record);
    // A re-run of a rollback whose checks failed ("Re-run failed jobs" after UNVERIFIED) finds
    // nothing left to roll back, but production may still be broken: its checks run again, and a
    // failure stays a failure (never "✅ Nothing to roll back" mid-incident). Not for the cascade
    // guard, which left production alone on purpose, nor a stopped run.
    const recheck = !notAgain && !request.signal?.aborted && checks && plan.verify ? { checks, verify: plan.verify } : undefined;
    for (const phase of ['notify-start', 'app', 'snapshot', 'database', 'environment', ...(recheck ? [] : ['verify' as const])] as const) {
      const superseded = phase === 'database' && ledger?.status === 'superseded';
      const detail = superseded
        ? `${SUPERSEDED_ROW}; nothing to do`
        : !notAgain
          ? 'an earlier run already rolled this back; nothing to do'
          : phase === 'app'
            ? notAgain
            : 'not rolled back again (the app row says why)';
      // A row per component, saying what the rollback already made was made from: a later job of a
      // split rollback ("Re-run all jobs") names the incident by it, as this job did (keyFacts).
      if (phase === 'app' && inScope.length) inScope.forEach((c, i) => timeline.skip(phase, detail, c.name, planned[i]));
      else timeline.skip(phase, detail);
    }
    // A later job's re-run: the earlier job of the rollback did change production (inThisJob). Said
    // first, before the steps that still stand (Vercel's promotion): it is why nothing was done.
    // Only a row that is done: a superseded one (its plan taken over by a later key) already said so above.
    const finished = !notAgain && !changedEarlier && ledger?.status === 'done' ? finishedIncident(record, ledger, rowKey ?? record.incidentKey, inScope.length === 0, plan.components.length === 0) : undefined;
    if (recheck) {
      await runChecks(recheck.checks, recheck.verify, 'production still looks broken, and an earlier run already rolled back what the plan names: nothing is left to roll back');
      if ((record.status as RollbackRecord['status']) === 'unverified' || hasFailed()) {
        return await closeOut(record, timeline, notify, deps, finish, request.signal, inThisJob('Nothing was left to roll back (an earlier run already did), and production still fails its checks: a person must act now. The rollback did not fix it; look at what else changed (the database, configuration, a dependency) and escalate.', changedEarlier));
      }
    }
    const why = notAgain ?? finished ?? inThisJob('An earlier run already did this rollback; nothing was changed. If production is still broken, look at what the earlier run reported.', changedEarlier);
    return await closeOut(record, timeline, notify, deps, finish, request.signal, why);
  }

  // ── notify-start ──────────────────────────────────────────────────────────────────────────
  if (verifyOnly) {
    record.status = 'rolled-back'; // provisional, as below
    told = true;
    timeline.skip('notify-start', verifyOnlyStartNote(request.earlierTimeline, deps.notify !== undefined));
    // What an earlier job of this rollback failed to do stays failed, whatever the checks now say.
    // An earlier failed verify does not: this job's verify, of the end state, supersedes it.
    const failedEarlier = standingFailures(request.earlierTimeline).find((e) => e.phase !== 'verify');
    if (failedEarlier) {
      fail(failedEarlier.phase);
      record.nextSteps.push(
        `An earlier job of this rollback failed in its ${failedEarlier.phase} phase${failedEarlier.component ? ` (${failedEarlier.component})` : ''}: ${failedEarlier.detail.replace(/\.$/, '')}. Its job summary says what to do; this job only verified production.`,
      );
    }
  } else {
    const t = timeline.start('notify-start');
    record.status = 'rolled-back'; // provisional, so the "in progress" message reads right
    const sent = await notify({ kind: 'start' });
    told = true;
    endNotice(t, sent, 'told the team a rollback is in progress');
  }
  heartbeat.begin(record);

  // ── app ───────────────────────────────────────────────────────────────────────────────────
  // A verify-only job verifies what the earlier jobs changed; its status says whether they did.
  let changed = verifyOnly && changedSomething(request.earlierTimeline);
  if (!inScope.length) {
    timeline.skip('app', 'no component in scope');
  } else {
    await Promise.all(
      inScope.map(async (c, i) => {
        const rec = record.components[i]!;
        const t = timeline.start('app', c.name);
        try {
          const unfinished = rec.unfinished;
          // The plan phase logged this component's plan block: the provider does not log it again.
          const planLogged = rec.status === 'planned' ? { from: rec.from?.id, to: rec.to?.id } : undefined;
          const outcome = await promotePrevious({ ...promoteRequest(c, request, false), planLogged }, log);
          applyOutcome(rec, outcome);
          const pending = notLive(c, outcome);
          if (pending) {
            // Accepted, not live: production still serves the bad release, so nothing that needs
            // the good one live (the database, a verification of the way back) may follow.
            rec.status = 'pending';
            rec.error = redact(pending);
            await finished(t.end('failed', rec.error));
            return;
          }
          if (changedProduction(outcome.status)) changed = true;
          const follows = outcome.fromFollowsProduction ? { 'from-follows-production': true as const } : {};
          const madeFrom = madeFromFacts(outcome, log);
          // Finishing what an earlier run left (a lock) is work done: the row says what it did. When
          // the cascade guard stopped the run, its words lead the row (the workflows look for them).
          if (unfinished && outcome.status === 'already-current') await finished(t.end('ok', log.redact(outcome.notes.slice(outcome.putThereByRollback ? 0 : 1).join(' ') || `finished: ${unfinished}`), madeFrom));
          else {
            // Where it went, and what it froze, for a later job of a split rollback to say where
            // production is and what stays to undo (earlierMoves, nextSteps).
            const frozen = leftFrozen(c.provider, rec.frozen);
            const moved = changedProduction(outcome.status)
              ? {
                  from: deploymentName(rec.from) && log.redact(deploymentName(rec.from)!),
                  to: deploymentName(rec.to) && log.redact(deploymentName(rec.to)!),
                  ...(rec.autoAssignOff ? { 'auto-assign-off': true as const } : {}),
                  ...(frozen ? { frozen: log.redact(frozen.what), ...(frozen.undo ? { undo: log.redact(frozen.undo) } : {}) } : {}),
                  ...follows,
                }
              : madeFrom;
            await finished(t.end(outcome.status === 'already-current' ? 'nothing-to-do' : 'ok', log.redact(outcome.notes[0] ?? outcome.status), moved));
          }
        } catch (err) {
          rec.status = 'failed';
          rec.error = redact(err);
          // Stopped (change-guard.ts): production not touched, or a change sent and not confirmed.
          const facts = errorFacts(err);
          if (facts.stopped) rec.stopped = facts.changed === 'no' ? 'not-touched' : 'unknown';
          // A Vercel rollback sent and not confirmed may have gone through, and with it assignment went off.
          if (rec.stopped === 'unknown' && c.provider === 'vercel' && c.method === 'rollback') rec.autoAssignOffIfSent = true;
          // The plan's notes said where it stood before this run touched it (a setting it may have
          // changed since, what it would do): after a failure only the error says what happened.
          rec.notes = [];
          await finished(t.end('failed', rec.error, { stopped: facts.stopped }));
        }
      }),
    );
    if (record.components.some((c) => c.status === 'failed' || c.status === 'pending')) fail('app');
  }

  // ── snapshot, database ────────────────────────────────────────────────────────────────────
  const db = record.database;
  if (!wantsDatabase || !db) {
    timeline.skip('snapshot', 'the database is not in scope');
    timeline.skip('database', 'the database is not in scope');
  } else if (db.status === 'nothing-to-do') {
    timeline.skip('snapshot', 'nothing to change in the database');
    const why =
      ledger?.status === 'done'
        ? 'an earlier run already rolled the database back for this incident'
        : ledger?.status === 'superseded'
          ? SUPERSEDED_ROW
        : downPlan && db.reverted.length
          ? `an earlier run for this incident reverted its whole plan (${db.reverted.join(', ')})`
          : 'none of the selected migrations is applied';
    await finished(timeline.start('database').end('nothing-to-do', why));
  } else if (hasFailed()) {
    const why = 'an app component did not roll back (or production does not serve it yet); changing the database under it would make things worse';
    db.status = 'skipped';
    timeline.skip('snapshot', why);
    timeline.skip('database', why);
  } else {
    const target = request.database!;
    const st = timeline.start('snapshot');
    /** The snapshot is kept (uploaded) before the database phase goes on; with method restore, before it commits. */
    const snapshotTaken = async (snap: SnapshotResult) => {
      record.snapshot = { path: snap.path, sha256: snap.sha256, sizeBytes: snap.sizeBytes };
      await keepSnapshot(record.snapshot, snap.manifestPath, request, deps, log);
      const held = db.method === 'restore' ? ', taken in the restore\'s transaction with its tables locked against writes' : '';
      await finished(st.end('ok', `verified snapshot of ${describeTarget(target)}, ${snap.sizeBytes} bytes${held}`));
    };
    // One whole rollback of a database at a time, held from before its snapshot to the end of its
    // change: a second run started beside this one ("Run workflow" pressed twice, the automatic
    // trigger racing a person) waits here holding no table lock, rather than dumping while the
    // first one reverts (its snapshot would give way: lock-wait.ts) or taking a needless snapshot.
    let lock: Session | undefined;
    try {
      let left: { plan?: DownPlan; done?: string } | undefined;
      try {
        lock = await lockRollback(target, rollbackWaitSeconds(budget), log, request.signal);
        left = await whatIsLeft(lock, request, record, downPlan, legacy, log);
      } catch (err) {
        fail('database');
        db.status = 'failed';
        // A lock wait's own errors may say so already; say it once.
        db.changed = 'no';
        db.error = inThisJob(sayNothingChanged(err, redact(err), 'This run changed nothing in the database.'), changedEarlier);
        await finished(st.end('skipped', 'not taken: the database rollback stopped before it (see the database phase)'));
        await finished(timeline.start('database').end('failed', db.error, { stopped: errorFacts(err).stopped }));
      }
      if (left?.done) {
        db.status = 'nothing-to-do';
        await finished(st.end('skipped', 'not needed: nothing is left to change in the database'));
        await finished(timeline.start('database').end('nothing-to-do', left.done));
        record.nextSteps.push(inThisJob('Another run rolled the database back while this one was on its way; this run changed nothing in the database. If production is still broken, look at what that run reported.', changedEarlier));
      } else if (left) {
        if (db.method !== 'restore') {
          try {
            // The root action has no output-dir input: its snapshots go under $RUNNER_TEMP.
            await snapshotTaken(await takeSnapshot({ ...wholeDatabaseSnapshot(target, { outputDir: request.snapshotDir, outputDirInput: 'RUNNER_TEMP', label: 'before-rollback', tools: request.tools }), signal: request.signal, made: request.made }, log));
          } catch (err) {
            fail('snapshot');
            db.status = 'skipped';
            await finished(st.end('failed', redact(err), { stopped: errorFacts(err).stopped }));
            timeline.skip('database', 'no verified snapshot to go back to, so the database was not changed');
          }
        }
        // A restore takes the snapshot itself, once its transaction holds the tables it replaces: taken
        // here, before it, rows written in between would be in neither (restore.ts).
        if (record.snapshot || db.method === 'restore') {
          let dt = record.snapshot ? timeline.start('database') : undefined;
          try {
            const result = await databasePhase(request, record, lock!, left.plan, log, async (snap) => {
              await snapshotTaken(snap);
              dt = timeline.start('database');
            });
            db.status = result.status;
            if (result.status === 'reverted' || result.status === 'restored') changed = true;
            await finished(dt!.end(result.status === 'nothing-to-do' ? 'nothing-to-do' : 'ok', result.detail));
          } catch (err) {
            fail('database');
            db.status = 'failed';
            db.error = redact(err);
            db.changed = errorFacts(err).changed;
            // databasePhase has set db.reverted from the tracking table as the run left it.
            // A half-done non-transactional migration changed the database too: what ran of it committed.
            const stopped = err instanceof RevertFailed ? err.partial.stoppedIn : undefined;
            if (err instanceof RevertFailed && (err.partial.reverted.length || (stopped && (stopped.ran > 0 || stopped.unsure)))) changed = true;
            if (!dt) {
              // The restore stopped before its snapshot existed (refused while planned, a lock not
              // granted, the snapshot failed): it changed nothing, and says why.
              await finished(st.end('skipped', 'the restore stopped before its snapshot was taken (see the database phase)'));
              dt = timeline.start('database');
            }
            await finished(dt.end('failed', db.error, { stopped: errorFacts(err).stopped }));
          }
        }
      }
    } finally {
      if (lock) await unlockRollback(lock);
    }
  }

  // ── environment ───────────────────────────────────────────────────────────────────────────
  // Stopped: nothing more is asked of the platforms or of production; the report says where it stands.
  const stoppedBy = request.signal?.aborted ? stopName(request.signal) : undefined;
  if (stoppedBy) record.stoppedBy = stoppedBy;
  if (stoppedBy) timeline.skip('environment', `the run was stopped (${stoppedBy})`);
  else await environmentPhase(request, inScope, record, timeline, finished, log);

  // ── verify ────────────────────────────────────────────────────────────────────────────────
  if (stoppedBy) {
    timeline.skip('verify', `the run was stopped (${stoppedBy}), so production was not verified`);
    if (changed) record.nextSteps.push('The run was stopped before its smoke checks ran: check production by hand now.');
  } else if (!changed && !verifyOnly) {
    timeline.skip('verify', inThisJob('nothing was changed, so there is nothing new to verify', changedEarlier));
  } else if (!checks && record.skippedChecks) {
    await finished(timeline.start('verify').end('warning', `skipped: every check is SQL (${record.skippedChecks.join(', ')}) and no database-url was given, so production was not verified`));
  } else if (!checks || !plan.verify) {
    await finished(timeline.start('verify').end('warning', 'no checks are configured (verify in rollback-kit.yml, or base-url / checks inputs): production was not verified'));
    record.nextSteps.push('No smoke checks are configured, so nobody has verified production yet: check it by hand now, and add a verify section to rollback-kit.yml.');
  } else {
    await runChecks(checks, plan.verify, 'production still looks broken after the rollback');
  }
  if (record.status === 'rolled-back' && !changed) {
    record.status = 'nothing-to-do';
    // Only a lock was finished (Netlify): the cascade guard's words still say why nothing went back.
    const notAgain = guardNote(record);
    if (notAgain) record.nextSteps.push(notAgain);
  }
  return await closeOut(record, timeline, notify, deps, finish, request.signal);
}

/** The cascade guard's note, when a component's provider left production alone because a rollback put it there. */
function guardNote(record: RollbackRecord): string | undefined {
  return record.components.flatMap((c) => c.notes).find((n) => n.startsWith(NOT_ROLLED_BACK_AGAIN));
}

/**
 * The most the report may take once the run is stopped, from the stop (or from its start, when it
 * starts stopped): its own bound (incident.ts STOPPED_ISSUE_MS, 2 s) with room to spare, well inside
 * the stop's grace (5 s). Whatever it awaits, it cannot hold the run past that grace, where the run
 * would end saying what it changed is not known while its timeline says exactly what.
 */
export const REPORT_AFTER_STOP_MS = 3000;

/** What a stopped run's report that did not end within REPORT_AFTER_STOP_MS left unrecorded. */
function reportOutlasted(signal: AbortSignal | undefined): string {
  return `The incident was not recorded: the run was stopped (${stopName(signal)}) and the incident issue was not written within ${REPORT_AFTER_STOP_MS / 1000} s of the stop. Record the incident by hand, with what the rows above say.`;
}

/** report and notify-end: always run (except dry runs), never change the outcome. */
async function closeOut(
  record: RollbackRecord,
  timeline: Timeline,
  notify: (event: RollbackEvent) => Promise<boolean | undefined>,
  deps: RollbackDeps,
  finish: () => RollbackRecord,
  signal: AbortSignal | undefined,
  /** Why the run ended as it did, said before the steps the record gives (nextSteps). */
  lead?: string,
): Promise<RollbackRecord> {
  record.nextSteps.unshift(...(lead ? [lead] : []), ...nextSteps(record));
  finish();
  const rt = timeline.start('report');
  if (deps.report) {
    const got = await afterStopWithin(deps.report(record, { signal }), signal, REPORT_AFTER_STOP_MS, () => ({ missed: reportOutlasted(signal) }));
    const url = typeof got === 'string' ? got : undefined;
    if (url) record.incidentIssueUrl = url;
    if (url) rt.end('ok', 'incident recorded');
    // Pointed at only once the report is there: a step naming a report that was never written sends people looking for it.
    if (url) record.nextSteps.push(postMortemStep(url));
    else if (typeof got === 'object') {
      // Stopped: what production is in stays the first step; recording the incident by hand comes after it.
      rt.end('warning', got.missed);
      record.nextSteps.push(got.missed);
    } else rt.end('warning', 'the incident issue could not be written (see the warning in the log)');
  } else {
    rt.end('skipped', 'no incident issue (no github-token, or incident-issue is false)');
  }
  const nt = timeline.start('notify-end');
  const sent = await notify({ kind: 'end' });
  if (sent === false && signal?.aborted) {
    // Stopped, the closing message had one short attempt: the summary and the next steps say plainly
    // that the team was not told how it ended, since nobody will retry it.
    const missed = `The closing chat message was not sent: the run was stopped (${stopName(signal)}) and the webhook did not take the message within the short time a stopped run gives it (the warning in the log says why). Tell the team how the rollback ended another way.`;
    nt.end('warning', missed);
    record.nextSteps.push(missed);
  } else endNotice(nt, sent, 'told the team how it ended');
  return finish();
}

/** The post-mortem starts from the incident report the run wrote (its issue's URL, or the sandbox's file). */
export function postMortemStep(where: string): string {
  return `Write the post-mortem from the report at ${where}: it holds the timeline and what each phase did; fill in its root cause, action items and lessons learned.`;
}

/**
 * Why a verify-only job sends no start message, in words true of what the earlier jobs did: the
 * split workflow's app job told the team, but a verify job run on its own had no earlier job.
 */
function verifyOnlyStartNote(earlier: TimelineEntry[], hasWebhook: boolean): string {
  const told = [...earlier].reverse().find((e) => e.phase === 'notify-start');
  if (told?.status === 'ok') return 'an earlier job of this rollback told the team';
  if (told) return `not sent again: an earlier job of this rollback had it ${told.status} (${told.detail.replace(/\.$/, '')})`;
  if (!hasWebhook) return 'no webhook configured';
  return 'scope verify changes nothing, so it sends no start message (no earlier job of this rollback is known to this one); the end message says what it found';
}

/** After a failed plan, each part still `planned` never ran: `skipped`, as a database phase that did not run says (and ComponentRecord's statuses name). */
function skipUnstarted(record: RollbackRecord): void {
  for (const c of record.components) if (c.status === 'planned') c.status = 'skipped';
  if (record.database?.status === 'planned') record.database.status = 'skipped';
}

/** A notify phase's row: ok only when a message went out; no webhook is skipped, a failed send a warning. */
function endNotice(t: { end(status: PhaseStatus, detail: string): unknown }, sent: boolean | undefined, told: string): void {
  if (sent === undefined) t.end('skipped', 'no webhook configured');
  else if (sent) t.end('ok', told);
  else t.end('warning', 'the chat message was not delivered (see the warning in the log); tell the team another way');
}

/**
 * A rollback the platform accepted that production does not serve yet: a Vercel promotion queued
 * behind a rolling release (notLiveYet), or a git-revert pull request, which changes production
 * only once someone merges it and it deploys (a re-run finds the branch pushed and the pull
 * request open: still not live). After the merge git-revert recognises its rollback: already-current.
 */
export function notLive(c: ComponentPlan, outcome: PromoteOutcome): RollbackKitError | undefined {
  const queued = notLiveYet(outcome, c.name);
  if (queued || c.provider !== 'git-revert' || !outcome.to.url) return queued;
  const good = outcome.to.commitSha ? ` (the code of ${outcome.to.commitSha.slice(0, 7)})` : '';
  return new RollbackKitError(
    `${c.name} is not rolled back yet: pull request ${outcome.to.url} reverts it${good}, but production runs the bad code until that pull request is merged and deployed.`,
    `Merge ${outcome.to.url} and wait for its deploy: only then is ${c.name} rolled back.`,
  );
}

export function placeOf(c: ComponentPlan, plan: RollbackPlan): (field: string) => string {
  return (field) => (field.endsWith('-token') || plan.source === 'inputs' ? `Input ${field}` : `components.${c.name}.${field} in ${plan.source}`);
}

export function promoteRequest(c: ComponentPlan, request: RollbackRequest, dryRun: boolean): PromoteRequest {
  const common = { target: c.target, from: c.from, reason: request.reason, timeoutSeconds: c.timeoutSeconds, dryRun, automatic: request.automatic, signal: request.signal, environmentName: request.plan.environment };
  switch (c.provider) {
    case 'vercel':
      return {
        ...common,
        provider: 'vercel',
        token: request.secrets.vercelToken,
        project: c.project,
        team: c.team,
        apiUrl: c.apiUrl,
        method: c.method,
        github: { token: request.secrets.githubToken, repository: request.github.repository || undefined, apiUrl: request.github.apiUrl },
        pollIntervalMs: request.vercelPollIntervalMs,
      };
    case 'fly':
      return { ...common, provider: 'fly', token: request.secrets.flyToken, app: c.app, apiUrl: c.apiUrl, machinesApiUrl: c.machinesApiUrl ?? FLY_MACHINES_API_URL, registryUrl: c.registryUrl };
    case 'railway':
      return { ...common, provider: 'railway', token: request.secrets.railwayToken, project: c.project, environment: c.environment, service: c.service, apiUrl: c.apiUrl, pollIntervalMs: request.pollIntervalMs };
    case 'render':
      return { ...common, provider: 'render', token: request.secrets.renderToken, service: c.service, apiUrl: c.apiUrl, pollIntervalMs: request.pollIntervalMs };
    case 'netlify':
      return { ...common, provider: 'netlify', token: request.secrets.netlifyToken, site: c.site, apiUrl: c.apiUrl, pollIntervalMs: request.pollIntervalMs };
    case 'git-revert':
      return { ...common, provider: 'git-revert', githubToken: request.secrets.githubToken, repoDir: request.workspace, repository: request.github.repository, apiUrl: request.github.apiUrl, baseBranch: request.github.baseBranch };
    case 'command':
      return { ...common, provider: 'command', command: c.command, verifyCommand: c.verifyCommand, cwd: request.workspace, baseEnv: request.commandEnv };
  }
}

/**
 * The plan phase's floor for its look-ups, as the lock wait has one (MIN_LOCK_WAIT_SECONDS): a
 * small budget-minutes shrinks the plan's share to seconds, which would fail a healthy but slow API.
 */
export const MIN_PLAN_LOOKUP_SECONDS = 30;

/**
 * The dry run the plan phase makes of a component: its look-ups (and their retries) end with the
 * plan's budget, not the component's timeout-seconds, which bounds the app phase's wait for the
 * platform (minutes). Without it, a platform that never answers held the plan for every retry's
 * request timeout (4 × 20 s) before anything was said. Never below MIN_PLAN_LOOKUP_SECONDS (the
 * plan may then run past a budget smaller than that), never above timeout-seconds.
 */
export function planRequest(c: ComponentPlan, request: RollbackRequest, budget: Budgets): PromoteRequest {
  const planSeconds = Math.max(MIN_PLAN_LOOKUP_SECONDS, budget.phase('plan') / 1000);
  const req = promoteRequest(c, request, true);
  if (req.timeoutSeconds <= planSeconds) return req;
  return { ...req, timeoutSeconds: planSeconds, timeoutInput: `the plan phase's share of budget-minutes` };
}

/**
 * `preview`: `o` is the dry run a real run plans with. Its notes speak of a dry run ("Dry run:
 * nothing was changed. A real run would …"), which a real run's record (its --json, its incident)
 * must never say: they are left out, and the app phase writes the real outcome's.
 */
function applyOutcome(rec: ComponentRecord, o: PromoteOutcome, { preview = false } = {}): void {
  rec.status = o.status === 'dry-run' ? 'planned' : o.status;
  rec.from = { ...o.from };
  rec.to = { ...o.to };
  rec.skipped = o.skipped;
  rec.notes = preview && (o.status === 'dry-run' || o.unfinished) ? [] : [...o.notes, ...frozenNotes(o)];
  if (o.unfinished) rec.unfinished = o.unfinished;
  else delete rec.unfinished;
  // Facts for the next steps, beside the notes that say them to people.
  if (o.frozen.frozen) rec.frozen = { what: o.frozen.what, ...(o.frozen.undo ? { undo: o.frozen.undo } : {}) };
  else delete rec.frozen;
  // Off after a rollback this run made (already-current, or a dry run, leaves it to earlier runs).
  if (o.autoAssignDisabled && (o.status === 'rolled-back' || o.status === 'promoted')) rec.autoAssignOff = true;
  else delete rec.autoAssignOff;
}

/**
 * What names a component's incident, one per component of the plan (`all`): this job's outcome at
 * plan for a component it rolls back (the deployment it rolls back from, or the one a rollback
 * already made was made from), else what an earlier job of this rollback said in its app row (the
 * `timeline` input: the deployment it rolled back from, or found the rollback made from, and
 * whether `from` followed production); undefined when neither tells.
 */
type KeyFacts = Pick<PromoteOutcome, 'rolledBackFrom' | 'fromFollowsProduction' | 'putThereByRollback'> & Partial<Pick<PromoteOutcome, 'from' | 'status'>>;

function keyFacts(all: ComponentPlan[], components: ComponentPlan[], outcomes: PromoteOutcome[], earlier: TimelineEntry[]): (KeyFacts | undefined)[] {
  const rows = earlierFroms(earlier);
  return all.map((c) => {
    const i = components.indexOf(c);
    if (i >= 0) return outcomes[i];
    const row = rows.get(c.name);
    return row?.from ? { rolledBackFrom: row.from, ...(row['from-follows-production'] ? { fromFollowsProduction: true } : {}) } : undefined;
  });
}

/** What databaseAloneFacts found: the facts that name the incident, or why it could not ask (`cannot`) or the asking failed (`failed`). */
type AloneFacts = { facts: (KeyFacts | undefined)[]; asked: string } | { cannot: string } | { failed: string };

/**
 * A run of the database alone (scope db) that neither `from` nor an earlier job's app row (the
 * `timeline`) names the incident for asks each app component's platform what a full rollback's plan
 * asks (planRequest: a dry run, read only, bounded by the plan's budget), only to name the incident
 * as that rollback names it: the deployment rolled back from, or what production serves. Keyed by the
 * workflow run instead, "Run workflow" pressed twice with scope db was two incidents, and the second
 * reverted one migration more. Undefined when a `from` or a row names it already. It asks only when
 * every component can be asked (a command component cannot say what it serves; a platform needs its
 * token), since a key that leaves a component out is not the one a full rollback computes. A failed
 * look-up never fails the database's rollback: the key is then the workflow run's, with a warning.
 */
async function databaseAloneFacts(request: RollbackRequest, facts: (KeyFacts | undefined)[], budget: Budgets, log: Log, who = 'This run rolls back the database alone, without from'): Promise<AloneFacts | undefined> {
  const components = request.plan.components;
  if (!components.length || components.some((c) => c.from) || facts.some(Boolean)) return undefined;
  const cannot = components.flatMap((c) => {
    if (c.provider === 'command') return [`${c.name} is a command component, which cannot say what it serves`];
    try {
      checkPromoteRequest(promoteRequest(c, request, true), placeOf(c, request.plan));
      return [];
    } catch (err) {
      return [`${c.name} (${c.provider}) cannot be asked: ${(err instanceof Error ? err.message : String(err)).replace(/\.$/, '')}`];
    }
  });
  if (cannot.length) return { cannot: cannot.join('; ') };
  const asked = components.map((c) => `${c.name} (${c.provider})`).join(', ');
  log.info(`${who}: asking ${asked} which deployment production serves or was rolled back from (read only, as a full rollback's plan does), to name the incident as that rollback does.`);
  // The dry run's own lines speak of a rollback of the app this run does not make: kept for --verbose (debug).
  const quiet: Log = { ...log, info: (m) => log.debug(m), warning: (m) => log.debug(m) };
  try {
    const outcomes = await Promise.all(components.map((c) => promotePrevious(planRequest(c, request, budget), quiet)));
    return { facts: outcomes, asked };
  } catch (err) {
    // A stop is the run's to say (the plan fails as it does for any look-up a stop cuts short).
    if (request.signal?.aborted) throw err;
    return { failed: log.redact(errorLine(err)).replace(/\.$/, '') };
  }
}

/** What scope incident found: the key and its from, and what was asked, or why nothing names it by a deployment. */
export type IncidentLookup = { key: string; from: string } & ({ asked: string } | { cannot: string } | { given: true });

/**
 * Scope incident (scope.ts INCIDENT_ONLY): only the look-up a run of the database alone makes
 * (databaseAloneFacts), for rollback.yml's database job, which holds no platform token: the key a
 * full rollback would name this incident by, and the from (keyFrom) that names it so in that job.
 * Read only: nothing is changed, nobody is told, no issue is opened, no database is touched. A plan
 * whose components cannot be asked (none at all, a command, a git-revert, whose dry run checks
 * history and push access this job is not given) is no failure: the from is then empty and
 * `cannot` says why (the database job names the incident by the workflow run, and warns). A
 * look-up that fails is: it throws, so the job says why.
 */
export async function nameIncident(request: RollbackRequest, log: Log): Promise<IncidentLookup> {
  const plan = request.plan;
  registerRequestSecrets(request.secrets, log);
  const unasked = !plan.components.length
    ? 'the rollback plan has no app components'
    : plan.components.filter((c) => c.provider === 'git-revert').map((c) => `${c.name} is a git-revert component, which this look-up does not ask`).join('; ');
  const none = plan.components.map(() => undefined);
  const alone = unasked ? { cannot: unasked } : await databaseAloneFacts(request, none, budgets(plan.budgetMinutes), log, 'Naming the incident of this database rollback, which runs without from');
  if (alone && 'failed' in alone) {
    throw new RollbackKitError(`The incident of this database rollback could not be named by the deployment: ${alone.failed}. Nothing was changed.`, 'The database job names it by the workflow run (a new workflow run is then a new incident); give from (the bad deployment\'s id) to name it by the deployment.');
  }
  const key = incidentKey(plan.environment, plan.components, [], alone && 'facts' in alone ? alone.facts : none, request.github.runId);
  const from = keyFrom(key, plan.environment);
  // A from in the plan file names it already (databaseAloneFacts asks nothing then).
  if (!alone) return { key, from, given: true };
  return 'facts' in alone ? { key, from, asked: alone.asked } : { key, from, cannot: alone.cannot };
}

/** What the key of a run of the database alone is named by, said once it is known. */
function sayDatabaseAloneKey(alone: AloneFacts, key: string, log: Log): void {
  if ('facts' in alone) {
    log.info(`Incident ${key}: named by the deployment of ${alone.asked}, as a full rollback names it: every run of the database alone for this incident, and its full rollback, share one ledger row and one issue.`);
    return;
  }
  const why = 'cannot' in alone ? `it cannot ask which deployment the incident is of (${alone.cannot})` : `asking which deployment the incident is of failed (${alone.failed})`;
  log.warning(
    `This run rolls back the database alone, without from, and ${why}: the incident could not be named by the deployment, so it is named ${key}, and a new workflow run would be a new incident whose steps count again from what is still applied (reverting more). Pass from (the bad deployment's id) on every run of this incident, or give the platform's token to this job.`,
  );
}

/**
 * What an app row that changed nothing says names the incident, for a later job of a split rollback
 * to name it so too (keyFacts): the deployment the rollback already made was made from.
 */
function madeFromFacts(o: PromoteOutcome, log: Log): RowFacts {
  return o.rolledBackFrom ? { from: log.redact(o.rolledBackFrom), ...(o.fromFollowsProduction ? { 'from-follows-production': true as const } : {}) } : {};
}

/**
 * Names this incident across re-runs and jobs. The bad deployment (`from`) says it best; without
 * it, the deployment rolled back from, as the app phase found it at plan (what production serves,
 * or, once a rollback is live, what production served when that rollback was made, as the platform
 * records it: PromoteOutcome.rolledBackFrom, every platform provider and git-revert), or as an
 * earlier job of this rollback said in its app row (keyFacts): a second workflow run ("Run
 * workflow" pressed twice, queued behind the first), a re-run, the later jobs of a split rollback
 * and the command line all name one incident so, with `from` or without. Only when no component
 * says (a command provider cannot; the database alone, when it cannot ask a platform or the asking
 * failed: databaseAloneFacts): the workflow run (a "Re-run jobs" keeps
 * GITHUB_RUN_ID), else, on the command line, `?` for each component, or `database`.
 * Written and read by incident-key.ts: a URL from keeps its commas and `@` to itself, and its secrets out.
 */
function incidentKey(environment: string, all: ComponentPlan[], components: ComponentPlan[], facts: (KeyFacts | undefined)[], runId: string | undefined): string {
  // Every component's `from`, in scope or not: the app job and the database job of one rollback
  // share the key.
  const explicit = all.flatMap((c, i) => (c.from ? [{ name: c.name, ref: namedFrom(c, facts[i], runId) }] : []));
  if (explicit.length) return componentKey(environment, explicit);
  // A component this job rolls back that cannot say is `?`, as the command line always named it.
  const resolved = all.flatMap((c, i) => {
    const f = facts[i];
    const ref = f?.rolledBackFrom ?? f?.from?.id ?? f?.from?.commitSha;
    return ref ? [{ name: c.name, ref: keyRef(ref) }] : components.includes(c) ? [{ name: c.name, ref: '?' }] : [];
  });
  if (runId && !resolved.some((p) => p.ref !== '?')) return `${environment}:run-${runId}`;
  return resolved.length ? componentKey(environment, resolved) : `${environment}:database`;
}

/**
 * A component's `from` as the key names it (keyRef'd). A from the cascade guard turned down names
 * the deployment a rollback put there (the promotion event of our own rollback): the incident is the
 * one that rollback was made for, named by the platform's id of what it rolled back from. A from
 * that names no deployment of its own (fromNamesNoDeploy) is named by the deploy the provider found
 * to roll back from, as a run without from is, or an earlier job's app row said; a job that neither
 * rolls that component back nor was told cannot find it (serviceFrom).
 */
function namedFrom(c: ComponentPlan, f: KeyFacts | undefined, runId: string | undefined): string {
  if (f?.putThereByRollback && f.rolledBackFrom) return keyRef(f.rolledBackFrom);
  if (!fromNamesNoDeploy(c, f)) return keyRef(c.from!);
  const id = f?.rolledBackFrom ?? f?.from?.id;
  return id ? keyRef(id) : serviceFrom(c.from!, runId);
}

/**
 * Whether a component's `from` is the same for every deploy, so it cannot name an incident: a Render
 * or Fly service URL, a Netlify site domain, known from the plan (namesServiceNotDeploy); or a
 * Vercel production domain or alias, known only once Vercel matched it to what serves through an
 * alias (PromoteOutcome.fromFollowsProduction: a custom domain looks like any URL), by this job or,
 * as its app row says, an earlier one. `f`: keyFacts, undefined when no job said.
 */
function fromNamesNoDeploy(c: ComponentPlan, f: KeyFacts | undefined): boolean {
  return namesServiceNotDeploy(c.provider, c.from) || !!f?.fromFollowsProduction;
}

/**
 * A service URL no deploy was found for here, made incident-specific by the workflow run (a re-run,
 * and the later jobs of a split rollback, keep the run id). Without one (the command line) the URL
 * is all there is: keyNotes says so.
 */
function serviceFrom(from: string, runId: string | undefined): string {
  return runId ? runRef(keyRef(from), runId) : keyRef(from);
}

/**
 * The key as a7b1bdd's rollback-kit spelled it, which wrote the ledger rows of incidents still in
 * flight at an upgrade: a from as given (a Render or Fly service URL, not the deploy it served nor
 * `|run-<id>`; a URL with its userinfo, secret parameters and bare commas), or a platform's id as
 * given. Only looked up (readLedgerAtPlanOrLegacy): new rows are written under incidentKey. Keep
 * this as it is: it is that version's spelling, not a second way to name an incident.
 */
function legacyIncidentKey(environment: string, all: ComponentPlan[], components: ComponentPlan[], outcomes: PromoteOutcome[], runId: string | undefined): { key: string; shown?: string } {
  const explicit = all.filter((c) => c.from).map((c) => {
    const o = outcomes[components.indexOf(c)];
    return { name: c.name, ref: o?.putThereByRollback && o.rolledBackFrom ? o.rolledBackFrom : c.from! };
  });
  if (explicit.length) return spelled(environment, explicit);
  if (runId) return { key: `${environment}:run-${runId}` };
  const resolved = components.map((c, i) => ({ name: c.name, ref: outcomes[i]?.rolledBackFrom ?? outcomes[i]?.from.id ?? outcomes[i]?.from.commitSha ?? '?' }));
  return resolved.length ? spelled(environment, resolved) : { key: `${environment}:database` };
}

/**
 * That version's key of these parts, and (`shown`) how it may be said when a ref holds a secret:
 * each ref hidden on its own, since in the joined key a URL without a path reads the next part's
 * `name@` as its userinfo (`web@https://h,api@abc`).
 */
function spelled(environment: string, parts: KeyPart[]): { key: string; shown?: string } {
  const key = `${environment}:${parts.map((p) => `${p.name}@${p.ref}`).join(',')}`;
  const shown = `${environment}:${parts.map((p) => `${p.name}@${hideUrlSecrets(p.ref)}`).join(',')}`;
  return shown === key ? { key } : { key, shown };
}

/** Tells the user how a from that names a service (or a Vercel domain), not a deploy, named the incident. */
function keyNotes(all: ComponentPlan[], facts: (KeyFacts | undefined)[], runId: string | undefined, log: Log): void {
  for (const [i, c] of all.entries()) {
    const o = facts[i];
    if (!fromNamesNoDeploy(c, o)) continue;
    const id = o?.rolledBackFrom ?? o?.from?.id;
    const said = namesServiceNotDeploy(c.provider, c.from)
      ? `from of ${c.name} (${keyRef(c.from!)}) is the URL of the ${c.provider} service, the same for every deploy`
      : `from of ${c.name} (${keyRef(c.from!)}) is an address that follows production on ${c.provider} (a domain or alias of whatever deployment serves), not one deployment's id or own URL`;
    if (id) {
      log.info(`${said}: the incident is named by the deploy rolled back from, ${id}.`);
      continue;
    }
    const named = runId
      ? 'the incident is named by this workflow run as well (re-runs and the later jobs of this run are the same incident; a new workflow run is a new one)'
      : 'the incident is named by that URL alone, which every incident on this service shares';
    log.warning(`${said}, and this job does not roll ${c.name} back, so it cannot find the deploy that URL served: ${named}. Pass the deploy's own id as from to name the incident across runs.`);
  }
}

/**
 * The incident under the other names a later run or job gives it. The key takes `from` as given, and
 * auto-rollback's events give a commit SHA (workflow_run) or a URL (deployment_status); the cascade
 * guard of a later run names the same deployment by the platform's id (namedFrom). So a run that
 * rolls a component back also names the incident by the id of the deployment it rolls back from.
 * A service URL this run resolved to a deploy is also named as a job that cannot resolve it names
 * it (serviceFrom): the database job of a split rollback then finds this job's incident issue.
 */
function incidentAliases(environment: string, all: ComponentPlan[], facts: (KeyFacts | undefined)[], key: string, runId: string | undefined): string[] {
  const explicit = all.flatMap((c, i) => (c.from ? [{ c, f: facts[i] }] : []));
  if (!explicit.length) return [];
  const parts = explicit.map(({ c, f }) => {
    // The plan's preview (dry-run): the deployment this run rolls back from.
    const id = f && (f.status === 'dry-run' || changedProduction(f.status)) ? f.from?.id : undefined;
    return { name: c.name, ref: id ? keyRef(id) : namedFrom(c, f, runId) };
  });
  const unresolved = explicit.map(({ c, f }) => ({ name: c.name, ref: namesServiceNotDeploy(c.provider, c.from) ? serviceFrom(c.from!, runId) : namedFrom(c, f, runId) }));
  return [...new Set([componentKey(environment, parts), componentKey(environment, unresolved)])].filter((alias) => alias !== key);
}

/** `check`: the dry run looks at what is applied for a refusal, and is not the plan this run will carry out. */
function revertOptions(request: RollbackRequest, choice: Choice, opts: { dryRun: boolean; snapshotPath?: string; check?: true }): RevertOptions {
  const db = request.plan.database!;
  return {
    target: request.database!,
    root: request.workspace,
    migrationsDir: db.migrationsDir,
    migrationsDirName: db.migrationsDirName,
    format: db.format,
    migrationsTable: db.migrationsTable,
    choice,
    dryRun: opts.dryRun,
    // A real run plans with a dry run: its log says what the run will do, not what a dry run would.
    ...(opts.check ? { preview: 'check' as const } : opts.dryRun && !request.dryRun ? { preview: 'real-run' as const } : {}),
    snapshotPath: opts.snapshotPath,
    requireSnapshot: !opts.dryRun,
    lockTimeoutSeconds: db.lockTimeoutSeconds,
    statementTimeoutSeconds: db.statementTimeoutSeconds ?? STATEMENT_TIMEOUT_SECONDS.default,
    tools: request.tools,
    signal: request.signal,
  };
}

/**
 * ", discarding 24 row(s) (public.orders 24) written since it was taken …; and 1 column and 2
 * index(es), … added to its tables since it was taken (the summary lists them)": what a dry run found.
 */
function discardedCount(db: DatabaseRecord): string {
  const tables = db.discarded ?? [];
  const columns = tables.reduce((n, t) => n + t.columns.length, 0);
  const objects = tables.reduce((n, t) => n + t.objects.length, 0);
  const said: string[] = [];
  if (db.rows) said.push(`${rowsDiscardedText(db.rows)} written since it was taken (net of those deleted since)`);
  const parts = [columns && `${columns} column${columns === 1 ? '' : 's'}`, objects && `${objects} index(es), constraint(s), trigger(s), policies or rules`].filter(Boolean);
  if (parts.length) said.push(`${parts.join(' and ')} added to its tables since it was taken (the summary lists them)`);
  return said.length ? `, discarding ${said.join('; and ')}` : '';
}

/** The longest the plan's preview of a restore waits for a table lock: the app's rollback waits for the plan. */
const PREVIEW_LOCK_WAIT_SECONDS = 5;

/** The restore of the database section's snapshot, as the database phase runs it and a dry run previews it. */
function restoreRequest(request: RollbackRequest, onRestoreSnapshot?: (snapshot: SnapshotResult) => Promise<void>): RestoreRequest {
  const db = request.plan.database!;
  return {
    target: request.database!,
    snapshotPath: db.snapshotPath!,
    // Putting the database in scope with method restore is the deliberate choice restore-db's
    // confirm stands for. Its pre-restore snapshot is the snapshot phase's.
    confirm: request.database!.database,
    preRestoreSnapshot: true,
    onPreRestoreSnapshot: onRestoreSnapshot,
    jobs: 1,
    clean: true,
    preRestoreDir: request.snapshotDir,
    preRestoreDirInput: 'RUNNER_TEMP',
    lockTimeoutSeconds: db.lockTimeoutSeconds,
    tools: request.tools,
    signal: request.signal,
    made: request.made,
  };
}

/** The plan row's words for the database. */
function databasePlanText(db: DatabaseRecord): string {
  if (db.status === 'nothing-to-do') return db.reverted.length ? `nothing left to do: an earlier run for this incident reverted ${db.reverted.join(', ')}` : 'nothing to do';
  if (db.method === 'restore') return `restore the snapshot${discardedCount(db)}`;
  const left = db.planned.filter((v) => !db.reverted.includes(v));
  if (!db.reverted.length) return `revert ${left.join(', ') || 'nothing'}`;
  return `revert ${left.join(', ')}, what is left of the plan an earlier run for this incident started (${db.planned.join(', ')}; ${db.reverted.join(', ')} already reverted)`;
}

/**
 * What is left for this run to change in the database, read under the whole-rollback lock before
 * its snapshot: a run started at the same time may have rolled the database back meanwhile. For this
 * incident its ledger row says so; a run of another incident ("Run workflow" pressed twice: each run
 * is its own incident) leaves it to the tracking table, which a dry run of this run's plan reads.
 * Returns the plan to run (what an earlier run for this incident planned and did not finish comes
 * first: ledger.ts), or `done`, why nothing is left.
 */
async function whatIsLeft(session: Session, request: RollbackRequest, record: RollbackRecord, plannedHere: DownPlan | undefined, legacy: LegacyKey | undefined, log: Log): Promise<{ plan?: DownPlan; done?: string }> {
  const dbRecord = record.database!;
  const row = await readLedgerUnderLockOrLegacy(session, request.database!, record.incidentKey, legacy, request.plan.database!.lockTimeoutSeconds, log);
  if (row && isClosed(row)) {
    // Written since this run planned: a restore of another snapshot is not this run's done for it.
    // Refused in the database phase: the app phase may have rolled the app back already.
    if (row.method === 'restore') await refuseAnotherRestore(row, record.incidentKey, record.incidentKey, request, 'database');
    dbRecord.planned = row.planned;
    dbRecord.reverted = row.reverted;
    return { done: row.status === 'superseded' ? SUPERSEDED_ROW : 'another run already rolled the database back for this incident' };
  }
  if (request.plan.database!.method === 'restore') return {};
  // The first run's plan stays the plan (a run that started at the same time and failed may have
  // written it since this one planned): a later run only reverts what is left of it.
  const plan = unfinishedPlan(row) ?? plannedHere!;
  const dry = await revertMigrations(revertOptions(request, finishChoice(record.incidentKey, plan), { dryRun: true }), log);
  if (dry.status !== 'nothing-to-do') {
    // This run's snapshot will hold the database after the earlier run's reverts: the reports name
    // the first run's too, which alone holds it as it was before the rollback.
    if (plan.earlierRun) record.firstSnapshot = { ...plan.earlierRun.snapshot, revertedBefore: revertedOfPlan(plan.planned, dry.plan) };
    return { plan };
  }
  dbRecord.planned = plan.planned;
  dbRecord.reverted = revertedOfPlan(plan.planned, dry.plan);
  return { done: `none of the planned migrations (${plan.planned.join(', ')}) is applied any more: another run reverted them after this one planned` };
}

/** A row another incident's run closed (migrations/ledger.ts supersedeSql), as a run for its key says it. */
const SUPERSEDED_ROW =
  "this incident's run stopped before finishing, and the whole rollback of another incident finished its work since (its row in rollback_kit.rollbacks says superseded)";

/** The 'done' write stopped after the revert: the plan is done all the same. */
const DONE_NOT_WRITTEN = {
  state: "The plan's migrations were reverted (the tracking table shows it); this incident's row in rollback_kit.rollbacks still says started, and a later run for it finds nothing left to do.",
  facts: {},
};

/**
 * The database change, on the session that holds the whole-rollback lock, written down in the
 * ledger as it goes. Sets `record.database.reverted` from the tracking table as the run leaves it,
 * also when it fails.
 */
async function databasePhase(
  request: RollbackRequest,
  record: RollbackRecord,
  session: Session,
  /** What whatIsLeft found left to revert (down-migrations). */
  left: DownPlan | undefined,
  log: Log,
  /** Method restore: its snapshot, as soon as it exists (the restore commits only once this resolves). */
  onRestoreSnapshot: (snapshot: SnapshotResult) => Promise<void>,
): Promise<{ status: 'reverted' | 'restored' | 'nothing-to-do'; detail: string }> {
  const db = request.plan.database!;
  const dbRecord = record.database!;
  await requireRollbackLock(session);
  if (db.method === 'restore') {
    // Which snapshot: a later run under the same key that restores another one is another incident's (refuseAnotherRestore).
    // Unreadable, the restore refuses it itself, in its own words.
    const restored = await snapshotSha(db.snapshotPath!).catch(() => undefined);
    const entry = (status: 'started' | 'done'): LedgerRow => ({ incidentKey: record.incidentKey, method: 'restore', planned: [], snapshot: restored ? [restored] : [], reverted: [], status });
    await writeLedgerUnderLock(session, request.database!, entry('started'), db.lockTimeoutSeconds, log);
    // 'done' commits with the restore, in its transaction: written after it, a run that died between
    // the two left 'started', and a re-run restored the snapshot again over every write made since.
    const result = await restoreSnapshot({ ...restoreRequest(request, onRestoreSnapshot), inTransaction: ledgerDoneWithRestore(entry('done')) }, log);
    dbRecord.discarded = result.discarded;
    dbRecord.fewerRows = result.fewerRows;
    // The rows it threw away, said where people look first (the row, the summary's timeline): they are
    // in the snapshot the restore took of the state before it (the snapshot phase's), and only there.
    const rows = result.fewerRows.length
      ? `; it discarded ${fewerRowsText(result.fewerRows)} written since that snapshot, which the snapshot taken just before the restore holds`
      : '; it discarded no rows: no table holds fewer rows than before it';
    const emptied = result.restoredEmpty.length ? `; every row of ${result.restoredEmpty.join(', ')} is gone too (the snapshot holds none for them)` : '';
    return { status: 'restored', detail: `restored ${result.tablesRestored} table(s) from ${db.snapshotPath}${rows}${emptied}` };
  }
  // Down migrations: whatIsLeft always finds a plan for them.
  const plan = left!;
  dbRecord.planned = plan.planned;
  // The first run's snapshot stays the row's through every later run (none where its row did not record it: a later one's is not it).
  const mine = record.snapshot!;
  const first = plan.earlierRun ? plan.earlierRun.snapshot : { path: mine.path, sha256: mine.sha256, artifact: mine.artifact, runUrl: record.runUrl, ...(mine.deletedWithJob ? { deletedWithJob: 'yes' } : {}) };
  const entry = (reverted: string[], status: 'started' | 'done'): LedgerRow => ({
    incidentKey: record.incidentKey,
    method: DOWN_MIGRATIONS,
    keepVersion: plan.keepVersion,
    planned: plan.planned,
    kept: plan.kept,
    applied: plan.applied,
    firstSnapshot: first ? firstSnapshotColumn(first) : [],
    reverted,
    status,
  });
  // Written before the first statement runs, so that a run killed midway leaves its plan behind.
  await writeLedgerUnderLock(session, request.database!, entry(dbRecord.reverted, 'started'), db.lockTimeoutSeconds, log);
  const lock = watchRollbackLock(session, request.signal);
  try {
    const result = await revertMigrations({ ...revertOptions(request, finishChoice(record.incidentKey, plan), { dryRun: false, snapshotPath: record.snapshot!.path }), signal: lock.signal }, log);
    dbRecord.reverted = revertedOfPlan(plan.planned, result.stillApplied);
    // Lost as the last migration ran: the plan is done; the row, on the lost session, stays 'started'.
    // The session's end may be heard only when the 'done' write fails on it: the same case, not a
    // failure (which way it went was a race between the two sessions).
    /** Whether the 'done' row was written: a table held by another session is not waited for twice (supersedeUnderLock below). */
    let doneWritten = false;
    const lostAfterPlan =
      lock.lost() ||
      (await writeLedgerUnderLock(session, request.database!, entry(dbRecord.reverted, 'done'), db.lockTimeoutSeconds, log, DONE_NOT_WRITTEN).then(
        () => {
          doneWritten = true;
          return false;
        },
        (err: unknown) => {
          // A session holding the ledger table: the plan is done all the same, and a later run for this
          // incident reads from the tracking table that nothing is left (the row is never trusted).
          if (err instanceof RollbackKitError && err.blocked) {
            log.warning(`The plan was reverted, but this incident's row in rollback_kit.rollbacks could not be marked done: ${err.message} It still says started; a later run for this incident finds nothing left to do.`);
            return false;
          }
          if (!isConnectionLoss(err) && !lock.lost()) throw err;
          return true;
        },
      ));
    if (lostAfterPlan) log.warning(LOCK_LOST_AFTER_PLAN);
    // Earlier incidents' plans this revert finished, left 'started' by runs that stopped: closed now.
    const superseded = lostAfterPlan || !doneWritten ? [] : await supersedeUnderLock(session, request.database!, record.incidentKey, result.stillApplied.map((m) => m.version), db.lockTimeoutSeconds, log);
    const now = result.reverted.map((r) => r.version);
    const before = dbRecord.reverted.filter((v) => !now.includes(v));
    const earlier = before.length ? `${before.join(', ')} ${before.length === 1 ? 'was' : 'were'} reverted by an earlier run for this incident` : '';
    const closed = superseded.length ? `; the unfinished ledger row${superseded.length === 1 ? '' : 's'} of ${superseded.join(', ')} marked superseded (this revert finished ${superseded.length === 1 ? 'its plan' : 'their plans'})` : '';
    if (result.status === 'nothing-to-do') return { status: 'nothing-to-do', detail: `${earlier ? `nothing left of the plan: ${earlier}` : 'none of the planned migrations is applied any more'}${closed}` };
    return { status: 'reverted', detail: `reverted ${now.join(', ')}${earlier ? ` (${earlier})` : ''}; ${result.stillApplied.length} still applied${closed}` };
  } catch (err) {
    if (err instanceof RevertFailed) {
      dbRecord.reverted = revertedOfPlan(plan.planned, err.partial.stillApplied);
      await writeLedgerUnderLock(session, request.database!, entry(dbRecord.reverted, 'started'), db.lockTimeoutSeconds, log).catch(() => undefined);
    }
    throw lock.lost() ? lockLostWhileReverting(err) : err;
  } finally {
    lock.dispose();
  }
}

/** Names (never values) of production variables changed after each Vercel target was built: a warning. */
async function environmentPhase(
  request: RollbackRequest,
  components: ComponentPlan[],
  record: RollbackRecord,
  timeline: Timeline,
  finished: (entry: TimelineEntry) => Promise<void>,
  log: Log,
): Promise<void> {
  const vercel = components.map((c, i) => ({ c, rec: record.components[i]! })).filter(({ c, rec }) => c.provider === 'vercel' && rec.status !== 'failed' && rec.status !== 'pending' && rec.to?.createdAt);
  if (!vercel.length) {
    timeline.skip('environment', components.some((c) => c.provider === 'vercel') ? 'no Vercel component reached its target' : 'no Vercel component: environment variables are not tracked for other providers');
    return;
  }
  const t = timeline.start('environment');
  const lines: string[] = [];
  let warn = false;
  for (const { c, rec } of vercel) {
    try {
      rec.changedEnv = await changedProductionEnv({ token: request.secrets.vercelToken!, project: c.project!, team: c.team, apiUrl: c.apiUrl, since: rec.to!.createdAt!, timeoutSeconds: c.timeoutSeconds }, log);
      if (rec.changedEnv.length) {
        warn = true;
        const line = `${c.name}: ${rec.changedEnv.join(', ')} changed after ${rec.to!.id} was built; production runs the old values now, the next redeploy picks up the new ones`;
        log.warning(line);
        lines.push(line);
      } else lines.push(`${c.name}: no production variable changed since ${rec.to!.id} was built`);
    } catch (err) {
      warn = true;
      lines.push(`${c.name}: could not list environment variables (${log.redact(errorLine(err))})`);
    }
  }
  await finished(t.end(warn ? 'warning' : 'ok', lines.join('; ')));
}

/**
 * Uploads the snapshot (deps.keepSnapshot) so it outlives the job; without an upload, one in the
 * runner's temporary folder is marked and warned about: GitHub deletes it when the job ends.
 */
async function keepSnapshot(snapshot: SnapshotRecord, manifestPath: string, request: RollbackRequest, deps: RollbackDeps, log: Log): Promise<void> {
  if (deps.keepSnapshot) {
    try {
      snapshot.artifact = await deps.keepSnapshot({ path: snapshot.path, manifestPath });
      log.info(`Uploaded the snapshot taken before the rollback as artifact ${snapshot.artifact}.`);
      return;
    } catch (err) {
      log.warning(`The snapshot taken before the rollback could not be uploaded: ${log.redact(errorLine(err))}`);
    }
  }
  if (!isInside(snapshot.path, request.runnerTemp)) return;
  snapshot.deletedWithJob = true;
  log.warning(`The snapshot taken before the rollback (${snapshot.path}) is in RUNNER_TEMP, which GitHub deletes when this job ends, and it was not uploaded: it is the way back. Upload it or copy it elsewhere in a later step of this job (if: always()).`);
}

/** The next step of a run stopped while planning. */
const PLAN_STOPPED_STEP = 'The rollback stopped while planning: fix what the plan row says and run it again.';
/** The next step of a run a signal (Ctrl-C, a cancelled job) stopped while planning: nothing to fix. */
const PLAN_SIGNALLED_STEP = 'The rollback was stopped while planning, before it changed anything: run it again when it can run to its end.';
/** The same, in a later job of a split rollback whose earlier job already changed the app or the database. */
const PLAN_SIGNALLED_AFTER_EARLIER_STEP = 'This job was stopped while planning, before it changed anything; what the earlier job rolled back stands: run this job again when it can run to its end.';
/** A plan row's last sentence in a later job of a split rollback whose earlier job already changed something. */
const EARLIER_STANDS = 'This job changed nothing; what the earlier job rolled back stands.';

/**
 * `said` (the error's line), and `sentence` saying nothing was changed unless the error says so
 * itself: one made with changed: 'no' does (RollbackKitError.changed), whatever its words.
 */
export function sayNothingChanged(err: unknown, said: string, sentence: string): string {
  return errorFacts(err).changed === 'no' ? said : `${said} ${sentence}`;
}

/** What a person should do now, from what the record says (exported: a function of the record alone, tested as one). */
export function nextSteps(record: RollbackRecord): string[] {
  const steps: string[] = [];
  const failedParts = record.components.filter((c) => c.status === 'failed');
  switch (record.status) {
    case 'unverified':
      steps.push('Production still looks broken after the rollback: a person must act now. Look at the failing checks below, check the platform dashboards, and escalate to the deployment lead.');
      break;
    case 'failed':
      if (record.failedPhase === 'app') {
        // Stopped parts: their error says what production is (not touched, or sent and not confirmed) and what to check.
        const faulted = failedParts.filter((c) => !c.stopped);
        for (const c of failedParts.filter((p) => p.stopped)) steps.push(`${c.name}: ${c.error}`);
        if (faulted.length) {
          steps.push(`${faulted.map((c) => c.name).join(', ')} did not roll back: ${faulted.map((c) => c.error).join(' ')} Fix that and re-run: parts already rolled back are recognised and left alone.`);
        }
        // Their error is what a person must do (merge the pull request, finish the rolling release).
        for (const c of record.components.filter((p) => p.status === 'pending')) {
          steps.push(`Production still serves the bad release of ${c.name}: ${c.error}`);
          // After the merge git-revert finds its rollback and changes nothing (merged.ts), so a re-run
          // is safe for the app; before the deploy it would still change the database under bad code.
          if (c.provider === 'git-revert') steps.push(`Once ${c.name} is deployed from the merged pull request, and only if the database must go back too, start a new run with scope db (or re-run this one: git-revert then finds the rollback merged and leaves ${c.name} as it is).`);
        }
        if (record.database) steps.push('The database was not touched, because changing it under an app that did not roll back makes things worse.');
      } else if (record.failedPhase === 'snapshot') {
        // A stopped run (a cancelled job, Ctrl-C) had no error to fix: its snapshot was ended on purpose.
        steps.push(
          record.timeline.some((e) => e.phase === 'snapshot' && e.status === 'failed' && e.stopped)
            ? 'The run was stopped while the snapshot was taken, so no snapshot was kept and the database was not changed. Re-run with scope db when it can run to its end.'
            : 'No verified snapshot could be taken, so the database was not changed. Fix the snapshot error and re-run with scope db.',
        );
      } else if (record.failedPhase === 'database' && record.database?.error) {
        steps.push(databaseFailedStep(record, record.database));
      } else if (record.failedPhase === 'verify') {
        steps.push('The rollback ran but the checks could not be run: verify production by hand now.');
      }
      break;
    case 'nothing-to-do':
    case 'dry-run':
      break;
    case 'rolled-back':
      // Only a run that moved an app put production back on the previous version: a database-only
      // run (scope db, or every component already current) left the app serving what it served.
      if (record.databaseLeft) {
        steps.push('The app is rolled back; the database was left out of this run\'s scope and not touched: roll it back with scope db (in a split rollback, the database job) if the bad deploy changed it. Keep the bad change out of the next deploy.');
      } else if (record.database && record.earlierComponents?.length && !record.components.some((c) => changedProduction(c.status))) {
        const names = record.earlierComponents.map((m) => `${m.name} (now on ${m.to})`).join(', ');
        steps.push(`The database is rolled back, and the earlier job of this rollback rolled back ${names}: check that production works with both. Keep the bad change out of the next deploy.`);
      } else if (record.database && !record.components.some((c) => changedProduction(c.status))) {
        steps.push(
          `The database is rolled back; this run changed no app, so ${record.environment || 'production'} still serves the release it served before: check that it works with the database as it is now. Keep the bad change out of the next deploy.`,
        );
      } else steps.push('Production is back on the previous version. Keep the bad change out of the next deploy.');
      break;
  }
  if (record.skippedChecks && record.status !== 'dry-run') steps.push(`The SQL checks ${record.skippedChecks.join(', ')} were not run, because this job had no database connection: run them by hand, or give the job database-url (the DATABASE_URL secret).`);
  for (const c of record.components) {
    if (c.changedEnv.length) steps.push(`Before the next redeploy of ${c.name}, check the production environment variables ${c.changedEnv.join(', ')}: they changed after the deployment now serving was built.`);
    // Off after this run's rollback, or found off by a run that finds the app already rolled back (an
    // earlier run's rollback, perhaps one stopped before it could say so): new pushes stay held back
    // until a promotion, whichever run made the change, so every such run says it.
    if (c.autoAssignOff || (c.provider === 'vercel' && c.frozen && c.status === 'already-current')) steps.push(vercelPromoteStep(c.name));
    // Stopped after the rollback was sent: the run cannot know whether it went through, so it says
    // what follows if it did (a re-run that finds it so says it plainly, above).
    else if (c.autoAssignOffIfSent) steps.push(vercelPromoteStep(c.name, { ifSent: true }));
    const frozen = leftFrozen(c.provider, c.frozen);
    if (frozen) steps.push(undoStep(c.name, frozen));
  }
  // What the earlier job's rollback froze still holds the bad release back (Vercel's new pushes,
  // Render's auto-deploy, Netlify's lock): its step stands in this job's report too, once.
  for (const m of record.earlierComponents ?? []) {
    if (m.autoAssignOff && !steps.includes(vercelPromoteStep(m.name))) steps.push(vercelPromoteStep(m.name));
    if (m.frozen && !steps.includes(undoStep(m.name, m.frozen))) steps.push(undoStep(m.name, m.frozen));
  }
  const reverted = record.database?.reverted ?? [];
  if (reverted.length) steps.push(`${reverted.length === 1 ? `Migration ${reverted[0]} was` : `Migrations ${reverted.join(', ')} were`} reverted: remove or fix ${reverted.length === 1 ? 'it' : 'them'} before the next deploy, or the next deploy applies ${reverted.length === 1 ? 'it' : 'them'} again.`);
  const snap = record.snapshot;
  // A failed database phase's step already says where the snapshot is kept, and what it is for.
  const told = record.failedPhase === 'database' && record.database?.error !== undefined;
  // A re-run's own snapshot came after the earlier run's reverts: the step names both, and which is which.
  const first = record.firstSnapshot;
  if (first && !told) steps.push(bothSnapshots(first, snap));
  if (snap?.artifact && !told) {
    if (!first) steps.push(`Keep the snapshot taken before the rollback (artifact ${snap.artifact}, ${snap.path}) until the incident is closed.`);
  } else if (snap?.deletedWithJob) {
    steps.push(
      `${first ? "This run's snapshot" : 'The snapshot taken before the rollback'} (${snap.path}) is on this runner only, in RUNNER_TEMP, which GitHub deletes when this job ends, and it was not uploaded: upload it (actions/upload-artifact with if: always()) or copy it elsewhere in a later step of this job, and keep it until the incident is closed.`,
    );
  } else if (snap && !told && !first) steps.push(`Keep the snapshot taken before the rollback (${snap.path}) until the incident is closed.`);
  return steps;
}

/**
 * After a Vercel rollback that left automatic production domain assignment off; `ifSent`, after one
 * sent and not confirmed (a stopped run): the same sentence, said of the rollback if it went through.
 */
function vercelPromoteStep(name: string, { ifSent = false } = {}): string {
  return `${ifSent ? `If the rollback of ${name} went through, Vercel` : 'Vercel'} will not put new pushes of ${name} live until a deployment is promoted: promote the fixed deployment when it is ready.`;
}

/**
 * What a component's rollback froze that stays until someone undoes it (Render's auto-deploy,
 * Netlify's lock), for its next step (undoStep); Vercel's is vercelPromoteStep's (auto-assign-off).
 */
function leftFrozen(provider: string, frozen: ComponentRecord['frozen']): ComponentRecord['frozen'] {
  return frozen && provider !== 'vercel' ? frozen : undefined;
}

function undoStep(name: string, frozen: NonNullable<ComponentRecord['frozen']>): string {
  return `${name}: ${frozen.what}${frozen.undo ? ` To undo: ${frozen.undo}` : ''}`;
}

/**
 * After "Rollback failed in database", in one step, since the action's error gives only one as its
 * hint: what state the database is in, where the verified snapshot taken before this run changed
 * it is kept (on GitHub the uploaded artifact: the file in RUNNER_TEMP goes with the job), and what
 * to do: run it again, which finishes the plan recorded for the incident (ledger.ts), or restore
 * that snapshot. The error itself is in the phase row, the summary and the chat message.
 */
function databaseFailedStep(record: RollbackRecord, db: DatabaseRecord): string {
  const snap = record.snapshot;
  const again = runAgain(record);
  const out: string[] = [];
  if (db.method === 'restore') {
    // A restore commits all or nothing; its errors say which (restore.ts: RollbackKitError.changed),
    // and nothing here guesses past them: one that does not say it changed nothing leaves the
    // database to be checked.
    const unchanged = !snap || db.changed === 'no';
    const unknown = !unchanged;
    if (!snap) out.push('The restore stopped before its snapshot was taken, so this run changed nothing in the database, and took no snapshot.');
    else if (!unknown) out.push('The restore runs in one transaction and did not commit: the database is as it was before this run.');
    else out.push('Whether the restore committed is not known: check the database before anything else (the error says how).');
    if (snap) out.push(`The verified snapshot taken just before the restore is ${snapshotPlace(record, snap)}.`);
    if (unknown) out.push(`If it did not commit, do what the error says and ${again}: it runs the restore again. If it did, and must be undone, restore that snapshot: ${restoreStep(snap!, runIdOf(record))}.`);
    else out.push(`Do what the error says, then ${again}: it runs the restore again${snap ? '; keep that snapshot until the incident is closed' : ''}.`);
    return out.join(' ');
  }
  const left = db.planned.filter((v) => !db.reverted.includes(v));
  const reverted = db.reverted.length ? `${db.reverted.join(', ')} reverted` : 'none of it reverted';
  const still = left.length ? `${left.join(', ')} still applied` : 'none of it still applied';
  out.push(`${snap ? 'Where the database is now' : 'This run changed nothing in the database'}: of the plan (${db.planned.join(', ') || 'no migration'}), ${reverted}, ${still}, as the tracking table shows.`);
  const finishes = left.length ? `it finishes the plan recorded for this incident, reverting only what the tracking table shows left of it (${left.join(', ')})` : 'it finds the plan recorded for this incident finished and says so';
  // Stopped (Ctrl-C, a cancelled job): the error is no fault to fix, and what ran of the migration it
  // stopped in is in the row above it (a transactional one cancelled rolled back whole).
  if (stoppedIn(record)) {
    if (snap) out.push(`The verified snapshot taken before this run is ${snapshotPlace(record, snap)}.`);
    // A cancelled CONCURRENTLY index statement may leave an index to drop first: its error names the DROP.
    const first = db.error?.includes('DROP INDEX CONCURRENTLY') ? 'do what the error says, then ' : '';
    out.push(`The run was stopped, not failed: ${first}${again} when it can run to its end: ${finishes}.`);
    if (record.firstSnapshot) out.push(bothSnapshots(record.firstSnapshot, snap));
    return out.join(' ');
  }
  out.push(snap ? `The verified snapshot taken before this run changed it is ${snapshotPlace(record, snap)}.` : 'This run took no snapshot, since it stopped before changing anything.');
  out.push(`Do what the error says, then ${again}: ${finishes}.`);
  if (record.runUrl && left.length) out.push(`If the fix is to a migration's down SQL, push it first, then ${newRunWithFix(record, db, left)}: Re-run jobs checks out the same commit, so it would run the old SQL again.`);
  if (snap) out.push(`Or, to put the database back as it was before this run, restore that snapshot: ${restoreStep(snap, runIdOf(record))}.`);
  if (record.firstSnapshot) out.push(bothSnapshots(record.firstSnapshot, snap, { restore: true }));
  return out.join(' ');
}

/**
 * A re-run's words on its two snapshots: the incident's first run's (its ledger row says where),
 * the only one that holds the database as it was before the rollback began, and this run's, taken
 * after the earlier run's reverts. `restore`: with the step that restores the first. The first is
 * named by the facts every report gives of it (report/first-snapshot.ts), so the next steps and the
 * reports cannot describe it differently; this adds only what a step adds: how to fetch and restore it.
 */
function bothSnapshots(first: FirstSnapshotRecord, snap: SnapshotRecord | undefined, { restore = false } = {}): string {
  const before = first.revertedBefore;
  const mine = !snap
    ? 'This run took no snapshot of its own.'
    : `This run's snapshot (${snap.artifact ? `artifact ${snap.artifact}, ` : ''}${snap.path}) was taken after the earlier run ${before.length ? `reverted ${before.join(', ')}` : 'for this incident, which reverted none of the plan'}: it holds the database as this run found it.`;
  const facts = `${FIRST_SNAPSHOT_TITLE}: ${factsLine(firstSnapshotFacts(first), (f) => f.value)}.`;
  if (!first.path) return `${facts} Find it in that run's output and keep it until the incident is closed, since it alone holds the database as it was before the rollback. ${mine}`;
  const runId = first.runUrl?.match(/\/actions\/runs\/(\d+)/)?.[1];
  const fetch = first.artifact ? ` Download it with "gh run download ${runId ?? '<run-id>'} -n ${first.artifact}" (it holds ${basename(first.path)}).` : '';
  const back = !restore
    ? ''
    : !first.artifact && first.deletedWithJob
      ? ' To put the database back as it was before the rollback began, restore that one from wherever that job kept it (restore-db with its snapshot-path): its path above is gone with that job.'
      : ` To put the database back as it was before the rollback began, restore that one: ${restoreStep({ path: first.path, artifact: first.artifact }, runId)}.`;
  return `${facts} It alone holds the database as it was before the rollback; keep it until the incident is closed.${fetch}${back} ${mine}`;
}

/** How to run the rollback again so that it is the same incident (the key names it: see incidentKey). */
function runAgain(record: RollbackRecord): string {
  if (!record.runUrl) return 'run the same rollback again';
  // A key from the run id: only a re-run of this workflow run finishes the plan; a new run plans afresh.
  return namesRun(record.incidentKey, record.environment) && record.database?.method === DOWN_MIGRATIONS ? 're-run this job (Re-run jobs: a new workflow run is a new incident, and plans afresh)' : 're-run this job';
}

/**
 * How a fixed migration file reaches the rollback: only a new workflow run checks it out. With the
 * incident named by from, the new run is the same incident and finishes its recorded plan; keyed by
 * the run, it is a new incident and plans afresh, so it must name the same end absolutely (`steps`
 * would count again from what is still applied, and revert more).
 */
function newRunWithFix(record: RollbackRecord, db: DatabaseRecord, left: string[]): string {
  if (!namesRun(record.incidentKey, record.environment)) return 'start a new run with the same from, which checks out the fix and finishes the plan recorded for this incident';
  const end = db.keepVersion ? `to-version: ${db.keepVersion}` : `steps: ${left.length}`;
  return `start a new run with ${end} (a new workflow run is a new incident and plans afresh: the same steps would count again from what is still applied), which reverts ${left.join(', ')}`;
}

/** Where the snapshot is kept: the artifact on GitHub, and how to fetch it; else the file. */
function snapshotPlace(record: RollbackRecord, snap: SnapshotRecord): string {
  if (snap.artifact) return `kept as artifact ${snap.artifact} of this workflow run: download it with "gh run download ${runIdOf(record) ?? '<run-id>'} -n ${snap.artifact}" (it holds ${basename(snap.path)} and its manifest)`;
  if (snap.deletedWithJob) return `${snap.path}, on this runner only: it was not uploaded, and GitHub deletes it when this job ends (see below)`;
  return snap.path;
}

/** The step that restores the snapshot, to copy. */
function restoreStep(snap: Pick<SnapshotRecord, 'path' | 'artifact' | 'deletedWithJob'>, runId?: string): string {
  if (snap.artifact) {
    // By name alone, download-artifact looks in the workflow run it runs in; a restore is often a new run.
    const from = runId ? `, run-id: ${runId}, github-token: \${{ github.token }}` : '';
    return `a job (permissions: actions: read) with the steps "uses: actions/download-artifact@v4, with: { name: ${snap.artifact}${from} }" and "uses: <owner>/rollback-kit/actions/restore-db@v1, with: { database-url: \${{ secrets.DATABASE_URL }}, snapshot-path: ${basename(snap.path)}, confirm: <database name> }"`;
  }
  if (snap.deletedWithJob) return `restore-db with snapshot-path: ${snap.path} in a later step of this job (if: failure()), or from wherever it is uploaded or copied to`;
  return `"rollback-kit restore --snapshot-path ${snap.path}" (or restore-db with snapshot-path: ${snap.path})`;
}

/** The workflow run's id, from its URL (…/actions/runs/<id>). */
function runIdOf(record: RollbackRecord): string | undefined {
  return record.runUrl?.match(/\/actions\/runs\/(\d+)/)?.[1];
}

/**
 * A run that found its incident's ledger row finished: said plainly, since "nothing to do" alone
 * reads as if the run had looked and found production fine, and a new incident under the same key
 * (the command line without --from) would be silently taken for the old one. A new incident needs
 * a from of its own; a database-only run, whose key often names no deployment, is also given the
 * exact statement that forgets the finished incident (deleteRowSql: the key as a quoted literal).
 */
function finishedIncident(record: RollbackRecord, row: LedgerRow, rowKey: RowKey, databaseOnly: boolean, noComponents: boolean): string {
  const did = row.method === 'restore' ? 'restored a snapshot' : row.reverted.length ? `reverted ${row.reverted.join(', ')}` : 'reverted nothing';
  const said = `Incident ${record.incidentKey} is finished: an earlier run rolled it back (its database phase ${did}), so this run changed nothing. If production is still broken, look at what the earlier run reported.`;
  // Keyed by the workflow run (a re-run of it): a new workflow run is already a new incident.
  const newRun = namesRun(record.incidentKey, record.environment) ? 'start a new workflow run for it rather than re-running this one, or ' : '';
  // A plan with no component has no deployment to name: from is refused there (plan-inputs), so
  // forgetting the finished incident is the one way to plan afresh under its key.
  if (noComponents) return `${said} If this is a new incident, ${newRun}delete its row first, then run again: ${deleteRowSql(rowKey)}.`;
  const base = `${said} If this is a new incident, ${newRun}name it: pass from: <deployment> (the deployment that went bad, name=ref for each component when there are several), so that it gets a key, and a plan, of its own.`;
  return databaseOnly ? `${base} To forget the finished incident and plan afresh under this name instead, delete its row first: ${deleteRowSql(rowKey)}.` : base;
}

/** The refusals below change nothing in the database (the ones in plan, nothing at all): their words say so, once. */
const NOTHING_CHANGED = { changed: 'no' } as const;

/**
 * A finished incident's row, found by a run under the same key, stands for this run only when the
 * database is as that incident left it. The key is the same whenever nothing names the incident
 * (the command line without --from, with a command component or the database alone; a re-run of a
 * finished workflow run), so a new incident can come under it: its plan's migrations applied again
 * (a fix deployed, then the bad deploy again), or migrations applied since that the finished plan
 * never counted (the next bad deploy). Either way the run would find the row done and call the
 * database rolled back, leaving the new deploy's migrations applied: it stops in plan instead,
 * before anything changes, naming them and how to name the new incident.
 */
async function refuseAnotherIncident(closed: LedgerRow, incidentKey: string, rowKey: RowKey, request: RollbackRequest, log: Log): Promise<void> {
  // The row's own check on what was applied when it planned is left to this function, which words
  // it for a finished plan: without it, the dry run lists the plan's migrations applied again.
  const dry = await revertMigrations(revertOptions(request, finishChoice(incidentKey, { planned: closed.planned, kept: closed.kept ?? [], applied: [] }, rowKey), { dryRun: true, check: true }), log);
  const earlier = `An earlier run for incident ${incidentKey} finished rolling the database back (it reverted ${closed.planned.join(', ')})`;
  const how = nameTheNewIncident(incidentKey, rowKey, request.plan);
  const again = dry.plan.map((p) => p.version);
  if (again.length) {
    throw new RollbackKitError(
      `${earlier}, and ${again.join(', ')} ${again.length === 1 ? 'is' : 'are'} applied again since: this is most likely a new incident under the same name, and this run would have left the database as it is. Nothing was changed.`,
      how,
      NOTHING_CHANGED,
    );
  }
  const atPlan = closed.applied ?? [];
  const unnamed = unnamedKey(incidentKey, request.plan);
  if (atPlan.length) {
    const since = dry.stillApplied.filter((m) => !atPlan.includes(m.version)).map((m) => m.version);
    if (!since.length) return;
    throw new RollbackKitError(
      `${earlier}, and ${since.join(', ')} ${since.length === 1 ? 'was' : 'were'} applied since, which that plan did not count: this is most likely a new incident under the same name${unnamed ? ` (${unnamed})` : ''}, and this run would have left ${since.length === 1 ? 'it' : 'them'} applied and called the database rolled back. Nothing was changed.`,
      how,
      NOTHING_CHANGED,
    );
  }
  // A row an earlier version (or a role that may not add the column) wrote does not say what was applied when it planned. Under a key that
  // names a deployment or a workflow run, the row is that incident's; under one that names nothing,
  // what this run's own plan would revert now may be a new incident's, and nothing tells.
  const choice = request.plan.database!.choice;
  if (!unnamed || !choice) return;
  const mine = await revertMigrations(revertOptions(request, choice, { dryRun: true, check: true }), log);
  const other = mine.plan.map((p) => p.version).filter((v) => !closed.planned.includes(v));
  if (!other.length) return;
  throw new RollbackKitError(
    `${earlier}, and this run's plan would revert ${other.join(', ')} now. The key cannot tell that incident from a new one (${unnamed}), and the earlier run's row does not say what was applied when it planned (an earlier version of rollback-kit wrote it, or a role that may not add the ledger's applied column), so whether ${other.length === 1 ? 'it is' : 'they are'} the new incident's is not known. Nothing was changed.`,
    how,
    NOTHING_CHANGED,
  );
}

/**
 * A finished row of the other method (a restore, where this run reverts migrations, or the reverse)
 * says nothing of what this run's plan would change: finding it done would leave that undone.
 */
function refuseAnotherMethod(closed: LedgerRow, incidentKey: string, rowKey: RowKey, request: RollbackRequest): void {
  const mine = request.plan.database!.method;
  if (closed.method === mine || (closed.method !== DOWN_MIGRATIONS && closed.method !== 'restore')) return;
  const unnamed = unnamedKey(incidentKey, request.plan);
  const did = closed.method === 'restore' ? 'restored a snapshot' : `reverted ${closed.planned.join(', ') || 'its plan'}`;
  throw new RollbackKitError(
    `An earlier run for incident ${incidentKey} finished rolling the database back (it ${did}), and this run's database section asks for ${mine}: most likely a new incident under the same name${unnamed ? ` (${unnamed})` : ''}, and this run would have left the database as it is and called it rolled back. Nothing was changed.`,
    nameTheNewIncident(incidentKey, rowKey, request.plan),
    NOTHING_CHANGED,
  );
}

/**
 * A finished restore's row stands for this run only when this run restores the same snapshot (its
 * sha256, as the manifest records it): another snapshot under the same key is another incident's
 * restore (the command line without --from: production:database), which finding the row done would
 * skip, leaving the database as it is. A snapshot not on this runner (a re-run that did not fetch
 * it) changes nothing: there is nothing to compare, and nothing this run could restore.
 * Found in `plan`, nothing was changed. Found in the database phase (another run finished that
 * restore between this run's plan and its whole-rollback lock), the app phase may have changed the
 * app: only the database is untouched, and the words say that.
 */
async function refuseAnotherRestore(closed: LedgerRow, incidentKey: string, rowKey: RowKey, request: RollbackRequest, phase: 'plan' | 'database'): Promise<void> {
  const unchanged = phase === 'plan' ? 'Nothing was changed.' : 'Another run finished that restore after this run planned; this run changed nothing in the database.';
  const db = request.plan.database!;
  if (db.method !== 'restore' || !db.snapshotPath || !existsSync(db.snapshotPath)) return;
  // Read once: its sha256 says which snapshot this is, its counts whether the data changed since.
  const manifest = await readManifest(manifestPathFor(db.snapshotPath));
  const mine = manifest.sha256;
  const theirs = closed.snapshot?.[0];
  const unnamed = unnamedKey(incidentKey, request.plan);
  const how = nameTheNewIncident(incidentKey, rowKey, request.plan);
  const earlier = `An earlier run for incident ${incidentKey} finished rolling the database back (it restored the snapshot${theirs ? ` with sha256 ${theirs.slice(0, 12)}…` : ''})`;
  if (theirs && mine !== theirs) {
    throw new RollbackKitError(
      `${earlier}, and this run restores another one (${db.snapshotPath}, sha256 ${mine.slice(0, 12)}…): this is most likely a new incident under the same name${unnamed ? ` (${unnamed})` : ''}, and this run would have left the database as it is and called it rolled back. ${unchanged}`,
      how,
      NOTHING_CHANGED,
    );
  }
  if (!theirs && unnamed) {
    throw new RollbackKitError(
      `${earlier}. The key cannot tell that incident from a new one (${unnamed}), and the earlier run's row does not say which snapshot it restored, so whether restoring ${db.snapshotPath} is the new incident's is not known. ${unchanged}`,
      how,
      NOTHING_CHANGED,
    );
  }
  // The same snapshot under a key that names nothing: a re-run, or a new incident whose damage came
  // after the restore (refuseAnotherIncident's migrations applied since, for a restore). Only the
  // data tells them apart. Asked in plan only: in the database phase another run has just restored it.
  if (unnamed && phase === 'plan') await refuseChangedSinceRestore(db.snapshotPath, manifest, incidentKey, unnamed, how, request);
}

/**
 * A finished restore stands for this run only while the database still holds what it put back:
 * rows written since (a new incident's bad data) would otherwise stay, under "nothing to roll back".
 * A table not counted in time leaves it unknown; refused as refuseAnotherIncident refuses what it
 * cannot tell, since restoring again is the person's call, not this run's.
 */
async function refuseChangedSinceRestore(snapshotPath: string, manifest: SnapshotManifest, incidentKey: string, unnamed: string, how: string, request: RollbackRequest): Promise<void> {
  const { changed, uncounted } = await changedSinceRestore(request.database!, manifest, { lockTimeoutSeconds: request.plan.database!.lockTimeoutSeconds, signal: request.signal });
  if (!changed.length && !uncounted.length) return;
  const since = changed.length
    ? `the database has changed since (${changedText(changed)})`
    : `whether the database changed since is not known (${uncounted.join(', ')} could not be counted in time)`;
  throw new RollbackKitError(
    `The database was NOT restored: an earlier run for incident ${incidentKey} finished restoring this same snapshot (${snapshotPath}), and ${since}: this may be a new incident under the same name (${unnamed}), and taking that restore as this run's would have left the database as it is and called it rolled back. Nothing was changed.`,
    how,
    NOTHING_CHANGED,
  );
}

/** The snapshot's sha256 as its manifest records it (a manifest it cannot read is refused, as the restore refuses it). */
async function snapshotSha(snapshotPath: string): Promise<string> {
  return (await readManifest(manifestPathFor(snapshotPath))).sha256;
}

/** Why a key names no incident, when it names none: every incident of the environment then shares it. */
function unnamedKey(incidentKey: string, plan: Pick<RollbackPlan, 'environment' | 'components'>): string | undefined {
  const environment = plan.environment;
  // Without a component, from is refused (plan-inputs): saying it names one would send people to it.
  if (incidentKey === `${environment}:database`) return `it names no deployment: the run rolls back the database alone, and ${plan.components.length ? 'only from names one' : 'the plan has no component for from to name'}`;
  if (keyParts(incidentKey, environment)?.some((p) => p.ref === '?')) return 'it names no deployment: a command component cannot say what it serves, and only from names one';
  return undefined;
}

/** What to do when a run under a finished incident's key is another incident's; `rowKey`: the key that incident's row has (deleteRowSql). */
function nameTheNewIncident(incidentKey: string, rowKey: RowKey, plan: Pick<RollbackPlan, 'environment' | 'components'>): string {
  const reuse = `delete the earlier incident's row first (${deleteRowSql(rowKey)})`;
  const stays = 'If this is the earlier incident after all and what the database holds now is meant to stay, nothing is left to do for it.';
  // A plan with no component has no deployment to name: from is refused there (plan-inputs), so
  // forgetting the finished incident is the one way forward, as finishedIncident says it.
  if (!plan.components.length) return `To roll back the new incident under this name, ${reuse}, then run again. ${stays}`;
  const name = namesRun(incidentKey, plan.environment)
    ? 'Start a new workflow run for the new incident rather than re-running the finished one, or pass from with the release that went bad'
    : 'Name the new incident: pass from (--from on the command line) with the release that went bad (name=ref for each component when there are several), so that it gets a key, and a plan, of its own';
  return `${name}. ${stays} To reuse the name and plan afresh, ${reuse}.`;
}
