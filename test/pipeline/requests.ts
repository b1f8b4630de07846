/**
 * The whole rollback of the database alone, as the library tests ask for it: a real run of plan
 * inputs in production, nothing run before it, no secrets, no component. A test gives the plan's
 * database section and what it varies (the target, its folders, GitHub's run); the rest is the same.
 */
import type { DatabasePlan } from '../../src/pipeline/plan-file.js';
import type { RollbackRequest } from '../../src/pipeline/rollback.js';

export type DatabaseRollbackGiven = Pick<RollbackRequest, 'database' | 'workspace' | 'snapshotDir' | 'github'> & Partial<Omit<RollbackRequest, 'plan'>> & { budgetMinutes?: number };

export function databaseRollbackRequest(database: DatabasePlan, given: DatabaseRollbackGiven): RollbackRequest {
  const { budgetMinutes = 15, ...rest } = given;
  return {
    plan: { source: 'inputs', environment: 'production', budgetMinutes, components: [], database, labels: [] },
    scope: ['database'],
    reason: 'checkout returns 500',
    severity: 'critical',
    dryRun: false,
    earlierTimeline: [],
    secrets: {},
    commandEnv: {},
    ...rest,
  };
}
