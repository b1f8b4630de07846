/**
 * Where a run's plan comes from, for every entry point (the root action and the command line): the
 * rollback plan file in the workspace (or the one `config` names), merged with the plan inputs,
 * the scope, the severity. One reader, so `rollback-kit rollback` and `uses: …/rollback-kit` can
 * never read the same plan two ways.
 */
import { resolve } from 'node:path';
import type { Inputs } from '../core/action.js';
import { RollbackKitError } from '../core/errors.js';
import { FileRefused, readRegularFile } from '../core/files.js';
import { clip } from '../core/secrets.js';
import { MAX_BUDGET_MINUTES, MIN_BUDGET_MINUTES } from './budgets.js';
import { MIN_DRILL_BUDGET_MINUTES } from './drill.js';
import { parsePlanFile, PLAN_FILE, type RollbackPlan } from './plan-file.js';
import { resolvePlan, type PlanInputs } from './plan-inputs.js';
import type { Severity } from './record.js';
import { selectScope } from './scope.js';

export const SEVERITIES: Severity[] = ['critical', 'major', 'minor'];
/** A plan is a page of YAML; anything this large is the wrong file. */
const MAX_PLAN_BYTES = 256 * 1024;

/** The plan file the `config` input names, else rollback-kit.yml in the workspace if there is one. */
export async function readPlanFile(inputs: Inputs, workspace: string): Promise<RollbackPlan | undefined> {
  const given = inputs.string('config');
  const path = resolve(workspace, given ?? PLAN_FILE);
  let text: string;
  try {
    text = readRegularFile(path, MAX_PLAN_BYTES);
  } catch (err) {
    if (err instanceof FileRefused) throw new RollbackKitError(`The rollback plan ${given ?? PLAN_FILE} is not a file of at most ${MAX_PLAN_BYTES / 1024} KB: ${err.why}.`);
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
    if (given) throw new RollbackKitError(`The rollback plan ${given} (input config) does not exist in the workspace.`, 'Check the path (relative to the repository root; in a workflow, that actions/checkout ran first).');
    return undefined;
  }
  return parsePlanFile(text, given ?? PLAN_FILE);
}

/** The root action's plan inputs (also the CLI's flags of the same names). */
export function planInputs(inputs: Inputs, minBudgetMinutes: number = MIN_BUDGET_MINUTES): PlanInputs {
  return {
    provider: inputs.string('provider'),
    project: inputs.string('project'),
    team: inputs.string('team'),
    target: inputs.string('target'),
    from: inputs.string('from'),
    'api-url': inputs.string('api-url'),
    method: inputs.string('method'),
    command: inputs.string('command'),
    'timeout-seconds': inputs.integer('timeout-seconds', { min: 1, max: 3600 }),
    'migrations-dir': inputs.string('migrations-dir'),
    format: inputs.string('format'),
    'migrations-table': inputs.string('migrations-table'),
    steps: inputs.integer('steps', { min: 1, max: 1000 }),
    'to-version': inputs.string('to-version'),
    'since-ref': inputs.string('since-ref'),
    'db-method': inputs.string('db-method'),
    'snapshot-path': inputs.string('snapshot-path'),
    'base-url': inputs.string('base-url'),
    checks: inputs.string('checks'),
    'checks-file': inputs.string('checks-file'),
    'budget-minutes': budgetMinutesInput(inputs, minBudgetMinutes),
    environment: inputs.string('environment'),
  };
}

/**
 * The budget-minutes input, checked: the rollback's and the drill's (a drill may go as low as
 * MIN_DRILL_BUDGET_MINUTES, to rehearse a budget that fails), the sandbox drill's too.
 */
export function budgetMinutesInput(inputs: Inputs, min: number = MIN_BUDGET_MINUTES): number | undefined {
  return inputs.number('budget-minutes', { min, max: MAX_BUDGET_MINUTES });
}

export function readSeverity(inputs: Inputs): Severity {
  const severity = (inputs.string('severity') ?? 'major').toLowerCase() as Severity;
  if (!SEVERITIES.includes(severity)) throw new RollbackKitError(`Input severity must be one of ${SEVERITIES.join(', ')}, got "${severity}".`);
  return severity;
}

/** The plan this run acts on and what of it the scope selects; nothing is contacted. */
export async function readRollbackPlan(inputs: Inputs, workspace: string, opts: { hasDatabaseUrl: boolean; scope?: string; incidentLookup?: boolean }): Promise<{ plan: RollbackPlan; scope: string[] }> {
  const file = await readPlanFile(inputs, workspace);
  checkEnvironment(file, inputs.string('environment'));
  const plan = resolvePlan(file, planInputs(inputs), opts);
  return { plan, scope: selectScope(plan, opts.scope ?? inputs.string('scope'), opts) };
}

/**
 * With a plan file, the environment input names the environment the file describes; it cannot
 * relabel it. A workflow names more after it (rollback.yml: the concurrency group, and the
 * reviewers' "<environment>-database", which GitHub creates unprotected if it does not exist), so a
 * typo must stop here, before anything runs. Case is ignored, as GitHub ignores it in environment names.
 */
export function checkEnvironment(file: RollbackPlan | undefined, given: string | undefined): void {
  if (!file || given === undefined || given.trim().toLowerCase() === file.environment.toLowerCase()) return;
  throw new RollbackKitError(
    `Input environment is "${clip(given, 60)}", but the rollback plan ${file.source} describes environment ${file.environment} (its environment key; production when it has none). Nothing was changed.`,
    `Pass environment: ${file.environment}, or, if ${file.source} describes another environment, set environment: in it.`,
  );
}

/**
 * The plan a drill rehearses: staging unless told otherwise. The default plan describes production,
 * and a drill must not roll production back by omission: that takes the environment input.
 */
export async function readDrillPlan(inputs: Inputs, workspace: string, opts: { hasDatabaseUrl: boolean }): Promise<RollbackPlan> {
  const file = await readPlanFile(inputs, workspace);
  // As in a rollback, the input cannot relabel the file: a production plan drilled as "staging" would roll production back.
  checkEnvironment(file, inputs.string('environment'));
  const plan = resolvePlan(file, planInputs(inputs, MIN_DRILL_BUDGET_MINUTES), opts);
  if (!inputs.string('environment') && plan.source === 'inputs') plan.environment = 'staging';
  if (plan.environment === 'production' && !inputs.string('environment')) {
    throw new RollbackKitError(
      `The drill would roll back production: ${plan.source} describes environment production. Nothing was changed.`,
      'Point config at the staging plan (environment: staging in it), or set the environment input to production to drill production on purpose.',
    );
  }
  return plan;
}
