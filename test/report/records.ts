/** Rollback records as the pipeline leaves them, one per way a rollback can end. */
import type { RollbackRecord, TimelineEntry } from '../../src/pipeline/record.js';

const T0 = Date.parse('2026-03-14T09:26:53.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

function entry(phase: TimelineEntry['phase'], startS: number, tookMs: number, budgetMs: number, status: TimelineEntry['status'], detail: string, component?: string): TimelineEntry {
  return { phase, ...(component ? { component } : {}), started: at(startS), 'duration-ms': tookMs, 'budget-ms': budgetMs, status, detail };
}

/** A full rollback of two components and the database, verified healthy. */
export function fullRecord(): RollbackRecord {
  return {
    reason: 'Checkout returns 500 after deploy 4812',
    severity: 'critical',
    environment: 'production',
    scope: ['web', 'api', 'database'],
    dryRun: false,
    budgetMs: 900_000,
    startedAt: at(0),
    finishedAt: at(300),
    durationMs: 300_000,
    status: 'rolled-back',
    timeline: [
      entry('plan', 0, 2100, 30_000, 'ok', 'web, api and 2 migrations resolved'),
      entry('notify-start', 3, 180, 30_000, 'ok', 'chat message sent'),
      entry('app', 4, 41_000, 180_000, 'ok', 'dpl_bad4812 → dpl_good4790', 'web'),
      entry('app', 4, 64_000, 180_000, 'ok', 'deploy 77 → deploy 75', 'api'),
      entry('snapshot', 70, 38_000, 120_000, 'ok', 'verified snapshot, 14 tables'),
      entry('database', 110, 9_500, 360_000, 'ok', '2 migrations reverted'),
      entry('environment', 121, 800, 60_000, 'warning', '1 variable changed after the target was built', 'web'),
      entry('verify', 122, 95_000, 120_000, 'ok', '3 of 3 checks passed'),
      entry('report', 218, 400, 30_000, 'ok', 'incident issue opened'),
    ],
    components: [
      {
        name: 'web',
        provider: 'vercel',
        status: 'rolled-back',
        from: { id: 'dpl_bad4812', url: 'https://shop-bad4812.vercel.app', commitSha: 'c0ffee1234567890c0ffee1234567890c0ffee12', createdAt: '2026-03-14T08:58:00.000Z' },
        to: { id: 'dpl_good4790', url: 'https://shop-good4790.vercel.app', commitSha: 'beefcafe00112233445566778899aabbccddeeff', createdAt: '2026-03-13T16:02:00.000Z' },
        skipped: [
          { id: 'dpl_err4805', reason: 'state ERROR' },
          { id: 'dpl_prev4801', reason: 'preview deployment, not production' },
        ],
        notes: [],
        changedEnv: ['STRIPE_WEBHOOK_SECRET', 'FEATURE_CHECKOUT_V2'],
      },
      {
        name: 'api',
        provider: 'command',
        status: 'rolled-back',
        from: { id: 'deploy 77', commitSha: 'aa11bb22cc33dd44ee55ff6677889900aabbccdd', createdAt: '2026-03-14T09:01:30.000Z' },
        to: { id: 'deploy 75' },
        skipped: [],
        notes: [],
        changedEnv: [],
      },
    ],
    database: { method: 'down-migrations', planned: ['20260314_add_coupons', '20260313_orders_index'], reverted: ['20260314_add_coupons', '20260313_orders_index'], status: 'reverted' },
    snapshot: { path: '/home/runner/work/_temp/rollback-kit/snapshots/shop-20260314T092803Z.dump', sha256: '9f2c1e0d8b7a69584736251403f2e1d0c9b8a79685746352413f2e1d0c9b8a79', sizeBytes: 48_213_114 },
    verify: {
      decision: 'none',
      severity: 'none',
      passed: true,
      checks: [
        { name: 'health', passed: true, severity: 'critical', detail: '200 in 41 ms' },
        { name: 'checkout', passed: true, severity: 'critical', detail: '200 in 180 ms' },
        { name: 'orders table', passed: true, severity: 'major', detail: '1 row' },
      ],
    },
    plannedChecks: ['health', 'checkout', 'orders table'],
    nextSteps: ['Watch the error rate for the next 2 hours.', 'Check STRIPE_WEBHOOK_SECRET and FEATURE_CHECKOUT_V2 before the next redeploy.', 'Fill in the root cause on the incident issue.'],
    runUrl: 'https://github.com/acme/shop/actions/runs/123456789',
    labels: ['incident', 'rollback'],
    incidentKey: 'production:web=dpl_bad4812,api=deploy 77',
  };
}

/** The snapshot failed: no database phase, the app stays rolled back. */
export function failedRecord(): RollbackRecord {
  const r = fullRecord();
  r.status = 'failed';
  r.failedPhase = 'snapshot';
  r.durationMs = 140_000;
  r.finishedAt = at(140);
  r.timeline = [
    ...r.timeline.slice(0, 4),
    entry('snapshot', 70, 61_000, 120_000, 'failed', 'pg_dump: error: connection to server failed: FATAL: too many connections'),
    entry('database', 131, 0, 360_000, 'skipped', 'no database change without a verified snapshot'),
    entry('verify', 131, 9_000, 120_000, 'ok', '3 of 3 checks passed'),
  ];
  r.snapshot = undefined;
  r.database = { method: 'down-migrations', planned: ['20260314_add_coupons'], reverted: [], status: 'skipped' };
  r.nextSteps = ['Fix the database connection, then re-run with scope database: the app is already rolled back.'];
  return r;
}

/** Everything ran, but the checks still fail afterwards. */
export function unverifiedRecord(): RollbackRecord {
  const r = fullRecord();
  r.status = 'unverified';
  r.verify = {
    decision: 'rollback',
    severity: 'critical',
    passed: false,
    checks: [
      { name: 'health', passed: true, severity: 'critical', detail: '200 in 41 ms' },
      { name: 'checkout', passed: false, severity: 'critical', detail: '500 Internal Server Error on 5 of 5 attempts' },
    ],
  };
  r.timeline = r.timeline.map((e) => (e.phase === 'verify' ? { ...e, status: 'failed', detail: 'checkout still fails', 'duration-ms': 130_000 } : e));
  r.nextSteps = ['Production is still broken: page the incident commander now.', 'Check the payment provider status page.'];
  return r;
}

/** A dry run: the plan only. */
export function dryRunRecord(): RollbackRecord {
  const r = fullRecord();
  r.status = 'dry-run';
  r.dryRun = true;
  r.durationMs = 2100;
  r.finishedAt = at(2.1);
  r.timeline = [entry('plan', 0, 2100, 30_000, 'dry-run', 'plan resolved; nothing changed')];
  r.components = r.components.map((c) => ({ ...c, status: 'planned', changedEnv: [] }));
  r.database = { method: 'down-migrations', planned: ['20260314_add_coupons', '20260313_orders_index'], reverted: [], status: 'planned' };
  r.snapshot = undefined;
  r.verify = undefined;
  r.nextSteps = ['Run again without dry-run to roll back.'];
  return r;
}

/** A re-run after a finished rollback. */
export function nothingToDoRecord(): RollbackRecord {
  const r = fullRecord();
  r.status = 'nothing-to-do';
  r.durationMs = 3000;
  r.finishedAt = at(3);
  r.timeline = [entry('plan', 0, 2000, 30_000, 'ok', 'every part already rolled back'), entry('app', 2, 900, 180_000, 'nothing-to-do', 'already current', 'web')];
  r.components = r.components.map((c) => ({ ...c, status: 'already-current' }));
  r.database = { method: 'down-migrations', planned: [], reverted: [], status: 'nothing-to-do' };
  r.snapshot = undefined;
  r.verify = undefined;
  r.nextSteps = [];
  return r;
}

/**
 * The last job (scope verify) of a rollback split across jobs, 20 minutes after the first job's
 * plan: the earlier jobs' rows, a long wait for the database job's reviewer, then 3 s of its own.
 */
export function splitVerifyJobRecord(): RollbackRecord {
  const r = fullRecord();
  r.scope = [];
  r.startedAt = at(1200);
  r.durationMs = 3000;
  r.finishedAt = at(1203);
  r.timeline = [...r.timeline.filter((e) => e.phase !== 'report'), entry('plan', 1200, 400, 30_000, 'ok', 'verify: 3 check(s)'), entry('verify', 1201, 1500, 120_000, 'ok', '3 of 3 checks passed')];
  return r;
}
