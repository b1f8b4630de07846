/**
 * What a rollback's rows have already said it changed, for when it was stopped and did not end
 * within the stop's grace: the command line then ends without the record, and "what it had changed
 * by then is not known" ignored the rows it had printed (the app row done, or sent and not
 * confirmed). Fed from the run's progress (each phase as it starts, each row as it ends, with the
 * record as it stands); only a phase under way without a row is said to be not known.
 */
import type { PhaseName, RollbackRecord, TimelineEntry } from './record.js';
import { RunningPhases } from './running-phases.js';

export class KnownSoFar {
  /** The phases started and not ended yet, in the order they started. */
  private readonly running = new RunningPhases();
  /** This run's rows (not an earlier job's), in the order they ended. */
  private readonly rows: TimelineEntry[] = [];
  private record: RollbackRecord | undefined;

  started(phase: PhaseName, component?: string): void {
    this.running.started(phase, component, {});
  }

  finished(entry: TimelineEntry, record: RollbackRecord): void {
    this.running.finished(entry.phase, entry.component);
    this.rows.push(entry);
    this.record = record;
  }

  /**
   * "the app rollback of web was sent (not confirmed); the database was not touched; what the
   * notify-end phase had done by then is not known": what the app and database rows say, what of
   * the planned rollback was never reached, then the phases under way. Undefined before any row
   * (nothing is known but that the run began).
   */
  say(): string | undefined {
    const record = this.record;
    if (!record) return undefined;
    const parts: string[] = [];
    for (const row of this.rows) {
      if (row.phase === 'app' && row.component) parts.push(appRow(row, record.components.find((c) => c.name === row.component)));
      // No database in this run's plan (none configured, or out of scope): its skipped row says nothing of it.
      else if (row.phase === 'database' && record.database) parts.push(databaseRow(row, record));
    }
    const reached = (phase: PhaseName, component?: string) => this.rows.some((r) => r.phase === phase && r.component === component) || this.running.has(phase, component);
    for (const c of record.components) if (!reached('app', c.name)) parts.push(`${c.name} was not touched`);
    if (record.database && !reached('database')) parts.push('the database was not touched');
    for (const { phase, component } of this.running.list()) {
      if (phase === 'app') parts.push(`what the app rollback of ${component ?? 'the app'} had changed by then is not known`);
      else if (phase === 'database') parts.push('what the database phase had changed by then is not known');
      else parts.push(`what the ${phase} phase had done by then is not known`);
    }
    return parts.length ? parts.join('; ') : undefined;
  }
}

function appRow(row: TimelineEntry, c: RollbackRecord['components'][number] | undefined): string {
  const name = row.component!;
  if (row.status === 'ok') return `the app rollback of ${name} was done`;
  if (row.status === 'nothing-to-do') return `${name} needed nothing (already rolled back)`;
  if (row.status === 'skipped') return `${name} was not touched`;
  if (c?.stopped === 'unknown') return `the app rollback of ${name} was sent (not confirmed)`;
  if (c?.stopped === 'not-touched') return `${name} was not touched`;
  if (c?.status === 'pending') return `the app rollback of ${name} was accepted and is not live yet`;
  return `the app rollback of ${name} failed (its row says why)`;
}

function databaseRow(row: TimelineEntry, record: RollbackRecord): string {
  if (row.status === 'ok') return 'the database was rolled back';
  if (row.status === 'nothing-to-do') return 'the database needed nothing';
  if (row.status === 'skipped') return 'the database was not touched';
  if (record.database?.changed === 'no') return 'the database was not changed';
  return 'the database phase failed (its row says what it changed)';
}
