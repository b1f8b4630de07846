// What a rollback's rows had said when it was stopped and did not end within the grace (the CLI's
// last line then): each app and database row as it ended, what of the plan was never reached, and
// "not known" only of a phase under way without a row. It used to say "not known" of everything.
import { expect, it } from 'vitest';
import { KnownSoFar } from '../../src/pipeline/known-so-far.js';
import type { ComponentRecord, PhaseName, PhaseStatus, RollbackRecord, TimelineEntry } from '../../src/pipeline/record.js';

const component = (name: string, extra: Partial<ComponentRecord> = {}): ComponentRecord => ({ name, provider: 'vercel', status: 'planned', skipped: [], notes: [], changedEnv: [], ...extra });

function record(components: ComponentRecord[], database?: RollbackRecord['database']): RollbackRecord {
  return { reason: 'r', severity: 'critical', environment: 'production', scope: [], dryRun: false, budgetMs: 0, startedAt: '', durationMs: 0, status: 'failed', timeline: [], components, nextSteps: [], labels: [], incidentKey: 'k', ...(database ? { database } : {}) };
}

const row = (phase: PhaseName, status: PhaseStatus, component?: string): TimelineEntry => ({ phase, ...(component ? { component } : {}), started: '', 'duration-ms': 0, 'budget-ms': 0, status, detail: '' });

/** Runs the phases as the pipeline does: each started, then ended with the record as it stands. */
function play(known: KnownSoFar, rec: RollbackRecord, rows: TimelineEntry[], under?: [PhaseName, string?]): void {
  for (const r of rows) {
    known.started(r.phase, r.component);
    known.finished(r, rec);
  }
  if (under) known.started(...under);
}

it('an app row done, the snapshot under way: the app was done, the database not touched, only the snapshot not known', () => {
  const known = new KnownSoFar();
  const rec = record([component('web', { status: 'rolled-back' })], { method: 'down-migrations', planned: ['2'], reverted: [], status: 'planned' });
  play(known, rec, [row('plan', 'ok'), row('notify-start', 'skipped'), row('app', 'ok', 'web')], ['snapshot']);
  expect(known.say()).toBe('the app rollback of web was done; the database was not touched; what the snapshot phase had done by then is not known');
});

it('sent and not confirmed, not touched, and an app rollback still under way, each said of its component', () => {
  const known = new KnownSoFar();
  const rec = record([component('web', { status: 'failed', stopped: 'unknown' }), component('api', { status: 'failed', stopped: 'not-touched' }), component('jobs')]);
  play(known, rec, [row('plan', 'ok'), row('app', 'failed', 'web'), row('app', 'failed', 'api')], ['app', 'jobs']);
  expect(known.say()).toBe('the app rollback of web was sent (not confirmed); api was not touched; what the app rollback of jobs had changed by then is not known');
});

it('a database phase that failed without changing anything, a restore that may have: said as its record says', () => {
  const known = new KnownSoFar();
  const rec = record([], { method: 'restore', planned: [], reverted: [], status: 'failed', changed: 'no' });
  play(known, rec, [row('plan', 'ok'), row('app', 'skipped'), row('snapshot', 'ok'), row('database', 'failed')], ['report']);
  expect(known.say()).toBe('the database was not changed; what the report phase had done by then is not known');
  const unsure = new KnownSoFar();
  play(unsure, record([], { method: 'restore', planned: [], reverted: [], status: 'failed', changed: 'unknown' }), [row('database', 'failed')]);
  expect(unsure.say()).toBe('the database phase failed (its row says what it changed)');
});

it('no row yet: nothing is known, and the caller says so', () => {
  const known = new KnownSoFar();
  known.started('plan');
  expect(known.say()).toBeUndefined();
});
