/**
 * What a whole rollback knows about itself: the plan it resolved, every phase's timing against its
 * budget, and what each part ended as. The pipeline fills it in; the job summary, the chat messages
 * and the incident issue are all written from it, so they can never tell different stories.
 */
import type { DiscardedFromTable } from '../db/restore-discarded.js';
import type { TableRowsPreview } from '../db/restore-rows.js';
import type { FewerRows } from '../db/restore.js';

/** Phase names are public interface (DESIGN, "The whole rollback"), in the order they run. */
export const PHASES = ['plan', 'notify-start', 'app', 'snapshot', 'database', 'environment', 'verify', 'report', 'notify-end'] as const;
export type PhaseName = (typeof PHASES)[number];

export type PhaseStatus = 'ok' | 'failed' | 'skipped' | 'warning' | 'nothing-to-do' | 'dry-run';

/** One row of the `timeline` output; field names are public interface. The drill times its own phases. */
export interface TimelineEntry<P extends string = PhaseName> {
  phase: P;
  component?: string;
  /** ISO time the phase started. */
  started: string;
  'duration-ms': number;
  'budget-ms': number;
  status: PhaseStatus;
  /** One line for people: what happened, or why it was skipped or failed. Already redacted. */
  detail: string;
  /**
   * A failed phase that was ended by a stop (a cancelled job, Ctrl-C), not by a fault to fix: what
   * comes next is read from this, never from `detail`. Crosses jobs with the row (parseTimeline).
   */
  stopped?: true;
  /**
   * An app row whose change went live: the deployment the component served before and serves now
   * (id, else commit, else URL). A later job of a split rollback reads them back to say where
   * production is (earlierMoves); rows without them (an earlier version wrote them) still parse.
   * `from` alone on an app row that found the rollback already made (nothing-to-do): the deployment
   * it was made from, as the platform records it. Either way a later job names the incident by it
   * as this job did (rollback.ts keyFacts).
   */
  from?: string;
  to?: string;
  /** An app row whose Vercel rollback left automatic production domain assignment off (ComponentRecord.autoAssignOff). */
  'auto-assign-off'?: true;
  /**
   * An app row whose rollback froze a platform setting so the bad release cannot come back (Render's
   * auto-deploy, Netlify's lock; Vercel's is auto-assign-off): what, and how to undo it (ComponentRecord.frozen).
   */
  frozen?: string;
  undo?: string;
  /**
   * An app row whose `from` input matched production through an address that follows it (a Vercel
   * production domain or alias), not one deployment: the incident is named by the row's `from`, and
   * a later job, which cannot ask Vercel, names it so too (PromoteOutcome.fromFollowsProduction).
   */
  'from-follows-production'?: true;
}

/** Where an earlier job of the rollback put a component, as its app row says. */
export interface EarlierMove {
  name: string;
  from?: string;
  to: string;
  autoAssignOff?: true;
  /** What its rollback froze (not Vercel's: autoAssignOff), and how to undo it. */
  frozen?: { what: string; undo?: string };
}

export type RollbackStatus = 'rolled-back' | 'nothing-to-do' | 'dry-run' | 'failed' | 'unverified';
export type Severity = 'critical' | 'major' | 'minor';

export interface DeploymentRef {
  id?: string;
  url?: string;
  commitSha?: string;
  /** ISO time the deployment was created, when the provider says. */
  createdAt?: string;
}

export interface ComponentRecord {
  name: string;
  provider: string;
  /**
   * rolled-back | promoted | already-current | dry-run | failed | skipped | planned | pending (the
   * platform accepted it but production does not serve it yet: a queued promotion, an open revert
   * pull request; `error` says what a person must do).
   */
  status: string;
  from?: DeploymentRef;
  to?: DeploymentRef;
  /** Newer deployments passed over, with the reason for each. */
  skipped: { id: string; reason: string }[];
  notes: string[];
  /** Production environment variable names changed after the target was built (never values). */
  changedEnv: string[];
  error?: string;
  /**
   * What the rollback froze so the bad release cannot come back (a platform setting it changed),
   * and how to undo it: the outcome's own fact, which the next steps read (the notes are for people).
   */
  frozen?: { what: string; undo?: string };
  /** Vercel: this run's rollback left automatic production domain assignment off, so new pushes do not go live. */
  autoAssignOff?: true;
  /**
   * Vercel: the run was stopped after it sent a rollback (method rollback), before it was confirmed
   * (stopped: unknown): if that rollback went through, assignment is off as after autoAssignOff.
   */
  autoAssignOffIfSent?: true;
  /** Already current, with work the app phase still does (a Netlify deploy restored but not locked): what. */
  unfinished?: string;
  /**
   * The run was stopped (SIGINT, SIGTERM) while this component rolled back: `not-touched`, before
   * any change was sent; `unknown`, after one was sent and before it was confirmed live. `error`
   * says it, with what to check.
   */
  stopped?: 'not-touched' | 'unknown';
}

export interface DatabaseRecord {
  method: 'down-migrations' | 'restore';
  /** What the plan said would be reverted, oldest last (the order they run): the first run's plan for the incident. */
  planned: string[];
  /** Of `planned`, those the tracking table shows reverted, by this run or an earlier one for the incident, in the order they run. */
  reverted: string[];
  status: string;
  error?: string;
  /** Down migrations: the newest migration the plan keeps; unset when it reverts every applied one. */
  keepVersion?: string;
  /**
   * What the failed database phase changed, as its error says (RollbackKitError.changed), for what
   * comes next: 'no', nothing (a restore that did not commit); 'unknown', it cannot tell (a COMMIT
   * sent, no answer). Unset: the error does not say, which is read as not known.
   */
  changed?: 'no' | 'unknown';
  /**
   * Method restore: what it throws away on the tables it replaces (restore-discarded.ts), as a dry
   * run plans it, or as the restore found it.
   */
  discarded?: DiscardedFromTable[];
  /**
   * Method restore, in a dry run: each snapshot table's rows now against the snapshot's
   * (restore-rows.ts), so the person deciding on a restore sees which rows it would throw away.
   */
  rows?: TableRowsPreview[];
  /**
   * Method restore, once it committed: the tables that hold fewer rows than before it (the rows
   * written since the snapshot, net of those deleted since), counted against the snapshot taken
   * just before it, which holds them.
   */
  fewerRows?: FewerRows[];
}

export interface SnapshotRecord {
  path: string;
  sha256: string;
  sizeBytes: number;
  /** The workflow artifact it was uploaded as. */
  artifact?: string;
  /** Not uploaded, and in the runner's temporary folder: GitHub deletes it when the job ends. */
  deletedWithJob?: boolean;
}

/**
 * A re-run's: the snapshot the incident's first run took before the rollback began (its ledger row
 * says where), which alone holds the database as it was before it; this run's own snapshot holds it
 * after the earlier run's reverts.
 */
export interface FirstSnapshotRecord {
  /** Undefined where the incident's row does not record it (an earlier version's row, or a table without the column). */
  path?: string;
  sha256?: string;
  artifact?: string;
  /** The workflow run it was uploaded in. */
  runUrl?: string;
  /** 'yes': not uploaded, and in the first job's RUNNER_TEMP: gone with that job unless a step of it kept it. */
  deletedWithJob?: string;
  /** What of the plan earlier runs had reverted before this run's snapshot: what this run's snapshot lacks. */
  revertedBefore: string[];
}

export interface CheckRecord {
  name: string;
  passed: boolean;
  severity: string;
  detail: string;
}

export interface VerifyRecord {
  decision: 'rollback' | 'fix-forward' | 'none' | 'inconclusive';
  severity: string;
  passed: boolean;
  checks: CheckRecord[];
}

export interface RollbackRecord {
  reason: string;
  severity: Severity;
  /** The deploy environment rolled back (e.g. production). */
  environment: string;
  /** What was asked: component names and/or "database". */
  scope: string[];
  dryRun: boolean;
  budgetMs: number;
  startedAt: string;
  finishedAt?: string;
  durationMs: number;
  status: RollbackStatus;
  failedPhase?: PhaseName;
  /**
   * The signal that stopped the run (SIGINT, SIGTERM) after its database phase, before the platforms
   * and production were asked again: a run that changed what it set out to is "rolled back, then
   * stopped", never "complete", in every report that states how it ended (statusLine).
   */
  stoppedBy?: string;
  timeline: TimelineEntry[];
  components: ComponentRecord[];
  database?: DatabaseRecord;
  snapshot?: SnapshotRecord;
  /** A re-run that finishes an earlier run's plan: that run's snapshot, taken before the rollback began. */
  firstSnapshot?: FirstSnapshotRecord;
  verify?: VerifyRecord;
  /** Names of the checks the verify phase will run, as `plan` resolved them (shown before verify runs, e.g. in a dry run). */
  plannedChecks?: string[];
  /** SQL checks left out of verify because no database connection was given (they were not run). */
  skippedChecks?: string[];
  /**
   * Components an earlier job of this rollback moved and this job left alone (a split rollback's
   * database or verify job), from the earlier rows' from/to: where production is comes from them.
   */
  earlierComponents?: EarlierMove[];
  /** The plan has a database this run's scope left out (the app job of a split rollback). */
  databaseLeft?: true;
  /** What a person should do now, plain sentences. */
  nextSteps: string[];
  /** Link to the workflow run, when running on GitHub. */
  runUrl?: string;
  incidentIssueUrl?: string;
  labels: string[];
  /**
   * Names this incident across re-runs and jobs: the environment plus the bad deployment(s) rolled
   * back from. A re-run with the same key comments on the open incident issue instead of opening one.
   */
  incidentKey: string;
  /**
   * The same incident under the names a later run may give it (incidentAliases): the incident
   * issue carries each, and a run finds the issue carrying any of its own.
   */
  incidentAliases?: string[];
}
