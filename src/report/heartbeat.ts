/**
 * The runbook's "status updates every 5 minutes during rollback": whenever HEARTBEAT_INTERVAL_MS
 * pass without a chat message (a 6-minute database phase, a long verify), an update says which
 * phase is under way, for how long against its budget, what is done, what is next and the ETA from
 * the budgets left. It rides on the rollback's own notify path (its timeouts, its redaction and
 * escaping, its one warning per failed message) and never holds a phase up: a post is fired and
 * not awaited. Only the closing message waits for one in flight, so that it is never followed by
 * an "in progress" update; that wait is bounded by the sender's own timeouts, and once the run is
 * stopped by STOPPED_UNDER_WAY_MS (notify.ts): after a stop no update starts, the closing message says it all.
 */
import { errorLine } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { budgets, OFF_CRITICAL_PATH } from '../pipeline/budgets.js';
import { PHASES, type PhaseName, type RollbackRecord, type TimelineEntry } from '../pipeline/record.js';
import type { RollbackDeps, RollbackEvent } from '../pipeline/rollback.js';
import { RunningPhases } from '../pipeline/running-phases.js';

/** The runbook's interval. */
export const HEARTBEAT_INTERVAL_MS = 5 * 60_000;

/** What schedules the next update: the real setTimeout by default, a hand-fired one in tests. */
export interface HeartbeatTimer {
  set(tick: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimer: HeartbeatTimer = {
  set: (tick, ms) => setTimeout(tick, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** The facts of one update, worked out when it is due; notify.ts words them. */
export interface HeartbeatUpdate {
  /** When the update was due (ISO). */
  at: string;
  /** The phase(s) under way, e.g. "app (web, api)"; undefined between two phases. */
  running?: string;
  /** How long it has run, and its budget. */
  runningMs: number;
  budgetMs: number;
  /** Rows finished so far, "app (web) ok". */
  done: string[];
  next?: PhaseName;
  /** Now plus what is left of the running phase's budget and the budgets of the phases after it (ISO). */
  eta: string;
}

export interface HeartbeatOptions {
  intervalMs?: number;
  timer?: HeartbeatTimer;
}

export class ChatHeartbeat {
  private readonly intervalMs: number;
  private readonly timer: HeartbeatTimer;
  private readonly running = new RunningPhases<{ since: number }>();
  private record: RollbackRecord | undefined;
  private handle: unknown;
  private stopped = false;
  private inFlight: Promise<unknown> | undefined;

  constructor(
    private readonly deps: RollbackDeps,
    private readonly now: () => number,
    private readonly log: Pick<Log, 'warning' | 'redact'>,
    /** The run's stop: an update under way is cut short by it, and none starts after it. */
    private readonly runStop?: AbortSignal,
  ) {
    this.intervalMs = deps.heartbeat?.intervalMs ?? HEARTBEAT_INTERVAL_MS;
    this.timer = deps.heartbeat?.timer ?? realTimer;
  }

  /**
   * The deps the rollback runs with: every chat message restarts the interval, the closing one
   * stops the heartbeat first, and each phase's start and end are noted on their way to `progress`.
   */
  watching(): RollbackDeps {
    const { notify, progress } = this.deps;
    return {
      ...this.deps,
      notify: notify
        ? async (event, record, how) => {
            if (event.kind === 'end') await this.stop();
            else this.rearm();
            return notify(event, record, how);
          }
        : undefined,
      progress: {
        started: (phase, component) => {
          this.running.started(phase, component, { since: this.now() });
          progress?.started(phase, component);
        },
        finished: (entry, record) => {
          this.running.finished(entry.phase, entry.component);
          progress?.finished(entry, record);
        },
      },
    };
  }

  /** The team was told a rollback is in progress: from now on silence is filled. Without a webhook there is nothing to fill it with. */
  begin(record: RollbackRecord): void {
    if (!this.deps.notify || this.stopped) return;
    this.record = record;
    this.rearm();
  }

  /** Ends the updates (every exit path) and waits for one still being posted. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer.clear(this.handle);
    this.handle = undefined;
    await this.inFlight;
  }

  private rearm(): void {
    if (!this.record || this.stopped) return;
    this.timer.clear(this.handle);
    this.handle = this.timer.set(() => this.tick(), this.intervalMs);
  }

  private tick(): void {
    this.handle = undefined;
    const record = this.record;
    const notify = this.deps.notify;
    if (this.stopped || this.runStop?.aborted || !record || !notify) return;
    this.rearm();
    // A post still going (a receiver slower than the interval) is not stacked on.
    if (this.inFlight) return;
    const event: RollbackEvent = { kind: 'update', update: this.update(record) };
    this.inFlight = Promise.resolve()
      .then(() => notify(event, record, { signal: this.runStop }))
      .catch((err: unknown) => this.log.warning(`A chat update could not be sent (${this.log.redact(errorLine(err))}); the rollback goes on.`))
      .finally(() => (this.inFlight = undefined));
  }

  private update(record: RollbackRecord): HeartbeatUpdate {
    const now = this.now();
    const budget = budgets(record.budgetMs / 60_000);
    const rows = this.running.list();
    const current = rows.length ? rows.reduce((a, b) => (PHASES.indexOf(b.phase) > PHASES.indexOf(a.phase) ? b : a)).phase : lastPhase(record.timeline);
    const since = Math.min(...rows.filter((r) => r.phase === current).map((r) => r.since));
    const components = rows.filter((r) => r.phase === current && r.component).map((r) => r.component);
    const runningMs = rows.length ? Math.max(0, now - since) : 0;
    const budgetMs = current ? budget.phase(current) : 0;
    const after = current ? PHASES.slice(PHASES.indexOf(current) + 1) : [...PHASES];
    // Without a database in the plan, snapshot and database do not run (notify.ts's nextPhase).
    const coming = after.filter((p) => record.database || (p !== 'snapshot' && p !== 'database'));
    const left = (rows.length ? Math.max(0, budgetMs - runningMs) : 0) + coming.filter((p) => !OFF_CRITICAL_PATH.includes(p)).reduce((sum, p) => sum + budget.phase(p), 0);
    return {
      at: new Date(now).toISOString(),
      running: rows.length ? `${current}${components.length ? ` (${components.join(', ')})` : ''}` : undefined,
      runningMs,
      budgetMs,
      done: record.timeline.filter((e) => e.status !== 'skipped').map((e) => `${e.phase}${e.component ? ` (${e.component})` : ''} ${e.status}`),
      next: coming[0],
      eta: new Date(now + left).toISOString(),
    };
  }
}

function lastPhase(rows: TimelineEntry[]): PhaseName | undefined {
  return rows.at(-1)?.phase;
}
