// What comes next after a failure is decided by facts the errors carry (RollbackKitError.changed,
// .stopped) and the record keeps (DatabaseRecord.changed, a timeline row's stopped), never by
// matching the words of our own messages: these change, and the decision must not change with them.
// Each case gives the fact in other words, and the words without the fact.
import { expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import type { ComponentRecord, DatabaseRecord, RollbackRecord, TimelineEntry } from '../../src/pipeline/record.js';
import { nextSteps, runRollback, sayNothingChanged } from '../../src/pipeline/rollback.js';
import { parseTimeline } from '../../src/pipeline/timeline.js';
import { failedRunError } from '../../src/report/rollback-summary.js';

const row = (phase: TimelineEntry['phase'], status: TimelineEntry['status'], detail: string, extra: Partial<TimelineEntry> = {}): TimelineEntry => ({
  phase,
  started: '2026-12-02T12:00:00.000Z',
  'duration-ms': 1000,
  'budget-ms': 120_000,
  status,
  detail,
  ...extra,
});

function failedRecord(failedPhase: RollbackRecord['failedPhase'], extra: Partial<RollbackRecord>): RollbackRecord {
  return {
    reason: 'orders double-charged',
    severity: 'critical',
    environment: 'production',
    scope: ['database'],
    dryRun: false,
    budgetMs: 900_000,
    startedAt: '2026-12-02T12:00:00.000Z',
    durationMs: 1000,
    status: 'failed',
    failedPhase,
    timeline: [],
    components: [],
    nextSteps: [],
    labels: [],
    incidentKey: 'production:run-1',
    ...extra,
  };
}

const SNAPSHOT = { path: '/tmp/rk/before-rollback.dump', sha256: 'ab'.repeat(32), sizeBytes: 1234 };
const restoreFailed = (db: Partial<DatabaseRecord>) =>
  failedRecord('database', { snapshot: SNAPSHOT, database: { method: 'restore', planned: [], reverted: [], status: 'failed', ...db } });

const NOT_COMMITTED = 'The restore runs in one transaction and did not commit: the database is as it was before this run.';
const NOT_KNOWN = 'Whether the restore committed is not known: check the database before anything else (the error says how).';

it('a restore that changed nothing, in words no pattern knows: the step says it did not commit', () => {
  const steps = nextSteps(restoreFailed({ error: 'The restore gave up halfway and undid its work.', changed: 'no' }));
  expect(steps[0]).toContain(NOT_COMMITTED);
  expect(steps[0]).not.toContain('not known');
});

it('an error that says "nothing was changed" without the fact: the step does not take the words for it', () => {
  const steps = nextSteps(restoreFailed({ error: 'Restore failed. Its transaction rolled back, so nothing was changed, as it was before.' }));
  expect(steps[0]).toContain(NOT_KNOWN);
});

it('a restore whose commit is not known, in words that also say "as it was before": not known', () => {
  const steps = nextSteps(restoreFailed({ error: 'The database is as it was before, or not.', changed: 'unknown' }));
  expect(steps[0]).toContain(NOT_KNOWN);
  expect(steps[0]).toContain('If it did not commit, do what the error says');
});

const STOPPED_STEP = 'The run was stopped while the snapshot was taken, so no snapshot was kept and the database was not changed. Re-run with scope db when it can run to its end.';
const SNAPSHOT_ERROR_STEP = 'No verified snapshot could be taken, so the database was not changed. Fix the snapshot error and re-run with scope db.';

it('a snapshot row marked stopped, in other words: the run was stopped, no error to fix', () => {
  const steps = nextSteps(failedRecord('snapshot', { timeline: [row('snapshot', 'failed', 'pg_dump ended early.', { stopped: true })] }));
  expect(steps).toContain(STOPPED_STEP);
  expect(steps).not.toContain(SNAPSHOT_ERROR_STEP);
});

it('a snapshot row that reads "stopped" without the fact: an error to fix', () => {
  const steps = nextSteps(failedRecord('snapshot', { timeline: [row('snapshot', 'failed', 'Snapshot of db was stopped before it was verified, so no snapshot was made.')] }));
  expect(steps).toContain(SNAPSHOT_ERROR_STEP);
});

it('"nothing was changed" is said once: by the error when it carries the fact, whatever its words; else added', () => {
  const said = new RollbackKitError('The lock went away.', 'Run again.', { changed: 'no' });
  expect(sayNothingChanged(said, 'The lock went away. Run again.', 'This run changed nothing in the database.')).toBe('The lock went away. Run again.');
  const words = new RollbackKitError('Timed out: nothing was changed.');
  expect(sayNothingChanged(words, 'Timed out: nothing was changed.', 'This run changed nothing in the database.')).toBe('Timed out: nothing was changed. This run changed nothing in the database.');
});

it('stopped crosses jobs with its timeline row: the final verify job says the database job was stopped', async () => {
  const earlier = parseTimeline(JSON.stringify([row('plan', 'ok', 'database: revert 3'), row('snapshot', 'failed', 'pg_dump ended early.', { stopped: true })]), (t) => t);
  expect(earlier[1]!.stopped).toBe(true);
  expect(parseTimeline(JSON.stringify([row('plan', 'ok', 'x')]), (t) => t)[0]).not.toHaveProperty('stopped');
  expect(() => parseTimeline(JSON.stringify([{ ...row('snapshot', 'failed', 'x'), stopped: 'yes' }]), (t) => t)).toThrow('row 1: stopped must be true when given');
  const record = await runRollback(
    {
      plan: { source: 'inputs', environment: 'production', budgetMinutes: 15, components: [], labels: [] },
      scope: [],
      reason: 'orders double-charged',
      severity: 'critical',
      dryRun: false,
      earlierTimeline: earlier,
      secrets: {},
      workspace: '/tmp',
      snapshotDir: '/tmp',
      github: { repository: 'acme/shop', apiUrl: 'http://127.0.0.1:9' },
      commandEnv: {},
    },
    {},
    memoryLog(),
  );
  expect(record.failedPhase).toBe('snapshot');
  expect(record.nextSteps).toContain(STOPPED_STEP);
  // Its own timeline output keeps the fact for whoever reads it next.
  expect(parseTimeline(JSON.stringify(record.timeline), (t) => t).find((e) => e.phase === 'snapshot')!.stopped).toBe(true);
});

const component = (extra: Partial<ComponentRecord>): ComponentRecord => ({ name: 'web', provider: 'netlify', status: 'rolled-back', skipped: [], notes: [], changedEnv: [], ...extra });
const rolledBack = (components: ComponentRecord[]) => failedRecord(undefined, { status: 'rolled-back', components });

it('what a component froze, and how to undo it, comes from its outcome, not from its notes', () => {
  const frozen = nextSteps(rolledBack([component({ frozen: { what: 'Publishing is held.', undo: 'Release the hold.' }, notes: ['Held.'] })]));
  expect(frozen).toContain('web: Publishing is held. To undo: Release the hold.');
  const words = nextSteps(rolledBack([component({ notes: ['Frozen: Publishing is held.', 'To undo: Release the hold.'] })]));
  expect(words.join('\n')).not.toContain('Publishing is held');
});

it("Vercel's automatic domain assignment left off is a fact of the outcome, not a phrase in a note", () => {
  const off = nextSteps(rolledBack([component({ provider: 'vercel', autoAssignOff: true, notes: ['Pushes wait.'] })]));
  expect(off).toContain('Vercel will not put new pushes of web live until a deployment is promoted: promote the fixed deployment when it is ready.');
  const words = nextSteps(rolledBack([component({ provider: 'vercel', notes: ['Vercel has switched off automatic domain assignment for shop after the rollback.'] })]));
  expect(words.join('\n')).not.toContain('Vercel will not put new pushes');
});

// A run that finds the app already rolled back (an earlier run's rollback, perhaps stopped before it
// could say so) and assignment still off says it too; once, beside the earlier job's same step.
it('Vercel assignment found off by a run that finds the app already rolled back: the step, said once', () => {
  const found = component({ provider: 'vercel', status: 'already-current', frozen: { what: 'Vercel has switched off automatic production domain assignment for shop.' } });
  const steps = nextSteps(failedRecord(undefined, { status: 'nothing-to-do', components: [found], earlierComponents: [{ name: 'web', to: 'dpl_good', autoAssignOff: true }] }));
  expect(steps.filter((s) => s.startsWith('Vercel will not put new pushes of web live'))).toHaveLength(1);
  // Failed, or a dry run: what the plan found before this run is not what it leaves.
  for (const status of ['failed', 'dry-run']) expect(nextSteps(rolledBack([{ ...found, status }])).join('\n')).not.toContain('Vercel will not put new pushes');
});

it('a database-only rollback does not say production is back on the previous version: no app was touched', () => {
  const db: DatabaseRecord = { method: 'down-migrations', planned: ['002'], reverted: ['002'], status: 'reverted' };
  const dbOnly = nextSteps(failedRecord(undefined, { status: 'rolled-back', database: db }));
  expect(dbOnly.join(' ')).not.toContain('Production is back on the previous version');
  expect(dbOnly[0]).toMatch(/^The database is rolled back; this run changed no app, so production still serves the release it served before/);
  const current: ComponentRecord = { name: 'web', provider: 'vercel', status: 'already-current', skipped: [], notes: [], changedEnv: [] };
  expect(nextSteps(failedRecord(undefined, { status: 'rolled-back', database: db, components: [current] }))[0]).toMatch(/^The database is rolled back; this run changed no app/);
  const moved: ComponentRecord = { ...current, status: 'rolled-back' };
  expect(nextSteps(failedRecord(undefined, { status: 'rolled-back', database: db, components: [moved] }))[0]).toMatch(/^Production is back on the previous version\./);
});

it("the action's error line carries a short next step as its hint", () => {
  const record = failedRecord('snapshot', { timeline: [row('snapshot', 'failed', 'pg_dump exited with status 1.')] });
  record.nextSteps = nextSteps(record);
  expect(failedRunError(record)).toEqual({ message: 'Rollback failed in snapshot: pg_dump exited with status 1.', hint: SNAPSHOT_ERROR_STEP });
});

it("a failed app phase's error line names the failed component and says which others WERE rolled back", () => {
  const web: ComponentRecord = { name: 'web', provider: 'vercel', status: 'rolled-back', to: { id: 'dpl_3', commitSha: 'ccccccc0000' }, skipped: [], notes: [], changedEnv: [] };
  const admin: ComponentRecord = { name: 'admin', provider: 'vercel', status: 'failed', from: { id: 'dpl_4' }, skipped: [], notes: [], changedEnv: [] };
  const record = failedRecord('app', { components: [web, admin], timeline: [row('app', 'failed', 'not every alias could be moved; production currently serves dpl_4.', { component: 'admin' })] });
  expect(failedRunError(record).message).toBe('Rollback failed in app: admin: not every alias could be moved; production currently serves dpl_4. web (now on dpl_3 (ccccccc)) was rolled back all the same.');
  // Nothing else rolled back: nothing more is said.
  const alone = failedRecord('app', { components: [{ ...web, status: 'planned' }, admin], timeline: [row('app', 'failed', 'it failed.', { component: 'admin' })] });
  expect(failedRunError(alone).message).toBe('Rollback failed in app: admin: it failed.');
});
