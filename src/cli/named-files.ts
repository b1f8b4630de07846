/**
 * Files a person names on the command line are read where they are. The smoke-test action keeps a
 * checks-file inside the workspace because a workflow input could otherwise make a runner print
 * lines of its own files into a shared log; a person at their own terminal can read those files
 * anyway, and an on-call engineer's checks often live outside the repository they stand in.
 */
import type { RollbackPlan } from '../pipeline/plan-file.js';

/**
 * Marks the plan's checks-file as named by --checks-file, when it was: a plan file's
 * verify.checks-file (checksFileName set) keeps the workspace rule, as the workflow reads that file too.
 */
export function checksFileAsNamed(plan: RollbackPlan): RollbackPlan {
  if (plan.verify?.checksFile && !plan.verify.checksFileName) plan.verify.checksFileAnywhere = true;
  return plan;
}
