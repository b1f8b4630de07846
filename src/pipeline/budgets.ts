/**
 * Each phase's share of the runbook's 15-minute rollback, scaled to `budget-minutes`. The runbook
 * gives notification 1 minute (here shared by `plan` and `notify-start`: deciding what to do and
 * telling people happen in that first minute), the application 3, the database 8 (a 2-minute
 * current-state backup, then the change itself), the environment 1 and verification 2: 15 minutes
 * on the critical path. The post-rollback communication minute (`report`, `notify-end`) is off it.
 */
import type { PhaseName } from './record.js';

export const RUNBOOK_MINUTES = 15;

/** Seconds of the 15-minute runbook each phase may take. */
const RUNBOOK_SECONDS: Record<PhaseName, number> = {
  plan: 30,
  'notify-start': 30,
  app: 180,
  snapshot: 120,
  database: 360,
  environment: 60,
  verify: 120,
  report: 30,
  'notify-end': 30,
};

/** Phases that do not count towards the total: the runbook marks them "not on the critical path". */
export const OFF_CRITICAL_PATH: readonly PhaseName[] = ['report', 'notify-end'];

export const MIN_BUDGET_MINUTES = 1;
export const MAX_BUDGET_MINUTES = 240;

export interface Budgets {
  totalMs: number;
  phase(name: PhaseName): number;
}

export function budgets(budgetMinutes: number = RUNBOOK_MINUTES): Budgets {
  const scale = budgetMinutes / RUNBOOK_MINUTES;
  return {
    totalMs: Math.round(budgetMinutes * 60_000),
    phase: (name) => Math.round(RUNBOOK_SECONDS[name] * 1000 * scale),
  };
}
