/**
 * `steps` counts from what is still applied: run again after a failure partway, it reverts that
 * many more. GitHub's "Re-run failed jobs" does exactly that (the same run id, the next attempt,
 * the same inputs), and so does a step run twice in one attempt (a shell retry loop around
 * `rollback-kit down`; matrix legs, which share the job's name), so every run writes its plan in
 * the ledger (ledger.ts) before reverting anything, keyed by run, job, step and tracking table, and
 * a later run of the same step, in any attempt, finishes that plan instead of counting again (or
 * finds it finished: nothing to do). `to-version` and `since-ref` name their target already.
 */
import { RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import type { Session } from '../db/session.js';
import { readLedger, writeLedger, type LedgerRow } from './ledger.js';
import type { Plan, Selector } from './planner.js';

/** The workflow step this runs in, as GitHub names it (GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT, GITHUB_JOB, GITHUB_ACTION). */
export interface WorkflowRun {
  id: string;
  attempt: number;
  job: string;
  step: string;
}

const METHOD = 'run-down-migrations';

/** PostgreSQL's insufficient_privilege: a role that may revert but not create the rollback_kit schema. */
const NO_PRIVILEGE = '42501';

export class RecordedPlan {
  private row: LedgerRow | undefined;

  private constructor(
    private readonly run: WorkflowRun,
    private readonly key: string,
    /** The plan an earlier attempt of this run wrote down, which this attempt finishes. */
    readonly earlier: LedgerRow | undefined,
  ) {
    this.row = earlier;
  }

  /**
   * Reads what an earlier run of this step recorded, in this attempt or an earlier one. `ledger`:
   * whether the ledger table exists, asked in the round trip that took the lock (revert.ts
   * lockAndFindTables): without it nothing is read, and with it one query reads the row.
   */
  static async read(session: Session, run: WorkflowRun, table: string, ledger: boolean): Promise<RecordedPlan> {
    const key = `${METHOD}:${run.id}:${run.job}:${run.step}:${table}`;
    const row = await readLedger(session, key, ledger);
    return new RecordedPlan(run, key, row?.method === METHOD ? row : undefined);
  }

  /** The earlier run's plan as the planner's selector, said in the log; undefined when this run plans. */
  selector(asked: Selector, log: Log): Selector | undefined {
    if (!this.earlier) return undefined;
    const plan = `revert ${this.earlier.planned.join(', ')}${this.earlier.status === 'started' ? '' : '; done'}`;
    const instead = `instead of counting ${asked.kind === 'steps' ? `\`steps: ${asked.steps}\`` : 'steps'} again from what is still applied.`;
    const step = `job ${this.run.job || '?'}, step ${this.run.step || '?'}`;
    log.info(
      this.run.attempt > 1
        ? `Re-run: attempt ${this.run.attempt} of workflow run ${this.run.id} (${step}) finishes the plan an earlier attempt recorded (${plan}), what is left of it, ${instead}`
        : // The first attempt too: the step ran before in it (a retry loop, a matrix leg of the same job).
          `This step (${step}) ran before in attempt 1 of workflow run ${this.run.id}: this run finishes the plan that run recorded (${plan}), what is left of it, ${instead}`,
    );
    // What was applied when it planned: a migration a deploy applied since is refused, not left applied under "nothing to do".
    return {
      kind: 'recorded',
      planned: this.earlier.planned,
      appliedAtPlan: this.earlier.applied,
      // A finished plan reverted all of it; an unfinished one what its row says (never more than it did).
      reverted: this.earlier.status === 'started' ? this.earlier.reverted : this.earlier.planned,
      ...(this.run.attempt > 1 ? {} : { origin: { who: 'An earlier run of this step in this attempt of the workflow run', hint: 'Run it with to-version (the last migration to keep), after checking what the migrations applied since need; or give the second revert a step of its own.' } }),
    };
  }

  /** Whether a re-run of this job finishes this plan: it is written down. */
  get recorded(): boolean {
    return this.row !== undefined;
  }

  /** Writes the plan down before anything is reverted; a role that may not create the table gets a warning and the run goes on. */
  async record(session: Session, plan: Plan, log: Log): Promise<void> {
    if (this.row) return;
    const row: LedgerRow = {
      incidentKey: this.key,
      method: METHOD,
      keepVersion: plan.keep?.version,
      planned: plan.toRevert.map((m) => m.file.version),
      applied: plan.applied.map((m) => m.version),
      reverted: [],
      status: 'started',
    };
    try {
      await writeLedger(session, row, { log });
      this.row = row;
    } catch (err) {
      if ((err as { code?: string }).code !== NO_PRIVILEGE) throw err;
      log.warning(
        `Could not write the plan to rollback_kit.rollbacks (${(err as Error).message}), so a re-run of this job would count steps again from what is still applied. If this step fails partway, finish with the to-version its error gives.`,
      );
    }
  }

  /**
   * What this attempt reverted, added to the row; `done` once the plan is finished. For the record
   * only: a re-run selects from the tracking table what is left of the plan, so a failure here
   * changes nothing a re-run does, and is a warning.
   */
  async update(session: Session, reverted: string[], done: boolean, log: Log): Promise<void> {
    if (!this.row) return;
    // A finished row found finished stays as its run wrote it: nothing to add to the record.
    if (this.row.status === 'done' && done && reverted.every((v) => this.row!.reverted.includes(v))) return;
    this.row = { ...this.row, reverted: [...new Set([...this.row.reverted, ...reverted])], status: done ? 'done' : 'started' };
    await writeLedger(session, this.row, { log }).catch((err: Error) => log.warning(`Could not update this run's row in rollback_kit.rollbacks (${err.message}); a re-run still finishes the plan from what the tracking table says.`));
  }
}

/**
 * A `steps` plan nothing recorded (no workflow run to key it by, or a role that may not write the
 * ledger): a re-run would count steps again from what is still applied. Once part of it may have
 * gone, every "run it again" a failure's hint says is said with the selector a new run finishes
 * it with (finishWith), where the hint is written (run-failure.ts, runner.ts, revert.ts).
 */
export interface Unrecorded {
  /** The version the plan keeps; none when it reverts every applied migration. */
  keep: string | undefined;
  /** How many migrations the plan reverts. */
  planned: number;
}

/** The selector a new run finishes the plan with, once `reverted` of it went (`unsure`: the one in flight may have); undefined while the same one still does. */
export function finishWith(plan: Unrecorded | undefined, reverted: number, unsure: boolean): string | undefined {
  if (!plan || (reverted === 0 && !unsure)) return undefined;
  return selectorLeft(plan.keep, plan.planned - reverted);
}

/** The selector for what is left of a plan: the version it keeps, or, keeping none, the `left` migrations still applied. */
function selectorLeft(keep: string | undefined, left: number): string {
  return keep ? `\`to-version: ${keep}\`` : `\`steps: ${left}\``;
}

/**
 * A hint's way on (`words`: "re-run", "Run it again", "start a new run"), or, for a plan only a new
 * run with `again` finishes, "start a new run with" it: Re-run jobs runs with the inputs it ran
 * with, the same steps again.
 */
export function runAgain(words: string, again: string | undefined): string {
  return again ? `${/^[A-Z]/.test(words) ? 'Start' : 'start'} a new run with ${again}` : words;
}

/**
 * The exact way to finish a `steps` plan that stopped partway, said after the failure's own hint.
 * `keep`: the version the plan keeps (none when it reverts every applied migration); `left`: how
 * many of it are still applied.
 */
export function howToFinish(steps: number, keep: string | undefined, left: number, rerunFinishes: boolean): string {
  const again = selectorLeft(keep, left);
  const absolute = keep ? again : `${again}, what is left of it (everything still applied)`;
  // With nothing to keep, a larger steps is refused (more than is applied): no harm to warn of.
  const more = keep ? `\`steps: ${steps}\` would count from what is still applied and revert ${steps} more` : undefined;
  if (rerunFinishes) return `With steps, a re-run of this job finishes this plan (the run recorded it); a new run finishes it with ${absolute}${more ? `, while ${more}` : ''}.`;
  return `With steps, finish this plan with ${absolute}${more ? `: ${more}` : ''}.`;
}

/** The failure, with how to finish the plan (howToFinish) added to what to do. */
export function withHowToFinish(err: RollbackKitError, how: string): RollbackKitError {
  // A stop stays one: the callers report it as a stop, not a fault.
  return new RollbackKitError(err.message, err.hint ? `${err.hint} ${how}` : how, err.stopped ? { stopped: true } : {});
}
