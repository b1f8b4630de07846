/**
 * The rules every workflow in .github/workflows/ is held to, as functions that return problems (so
 * the tests can show each rule catches what it should): no expression inside a `run:`, this
 * library's actions referenced in one form and called with their declared inputs, a reusable
 * workflow called with its declared inputs and secrets, permissions on every job, and concurrency.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** The one form: rollback-kit/rollback-kit@v1 (root) and rollback-kit/rollback-kit/actions/<name>@v1. */
export const OUR_ACTION = /^rollback-kit\/rollback-kit(?:\/actions\/([a-z-]+))?@v1$/;
/** Anything that looks like a reference to this library's actions, in whatever form. */
const LOOKS_OURS = /(^|\/)rollback-kit(\/|@|$)|^\.\/actions\/|^\.\/?$|^\.\/action\.yml$/;

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});

export interface ActionSpec {
  inputs: Record<string, { required?: boolean; default?: unknown }>;
}

/** Reads the action.yml a reference points at, from this repository's root. */
export function loadAction(root: string, name: string | undefined): ActionSpec {
  const file = name ? join(root, 'actions', name, 'action.yml') : join(root, 'action.yml');
  return { inputs: (obj(parse(readFileSync(file, 'utf8'))).inputs ?? {}) as ActionSpec['inputs'] };
}

export interface CalledWorkflow {
  inputs: Record<string, { required?: boolean; default?: unknown }>;
  secrets: Record<string, unknown>;
}

export function workflowProblems(
  file: string,
  doc: unknown,
  deps: { action: (name: string | undefined) => ActionSpec | undefined; workflow: (path: string) => CalledWorkflow | undefined },
): string[] {
  const problems: string[] = [];
  const wf = obj(doc);
  if (!wf.concurrency) problems.push(`${file}: no concurrency`);
  const jobs = obj(wf.jobs);
  if (!Object.keys(jobs).length) problems.push(`${file}: no jobs`);
  for (const [id, raw] of Object.entries(jobs)) {
    const job = obj(raw);
    const at = `${file} jobs.${id}`;
    if (job.permissions === undefined) problems.push(`${at}: no permissions`);
    // always() is true in a cancelled run too: "Cancel workflow" would not stop such a job from starting.
    if (typeof job.if === 'string' && /\balways\(\)/.test(job.if)) problems.push(`${at}: always() in if: starts even in a cancelled run (use !cancelled())`);
    if (typeof job.uses === 'string') {
      problems.push(...callProblems(at, job.uses, obj(job.with), obj(job.secrets), deps));
      continue;
    }
    const steps = Array.isArray(job.steps) ? job.steps : [];
    steps.forEach((rawStep, i) => {
      const step = obj(rawStep);
      const where = `${at}.steps[${i}]${step.id ? ` (${String(step.id)})` : ''}`;
      if (typeof step.run === 'string' && step.run.includes('${{')) problems.push(`${where}: an expression inside run: (pass it through env:)`);
      if (typeof step.uses === 'string') problems.push(...usesProblems(where, step.uses, obj(step.with), deps));
    });
  }
  return problems;
}

function usesProblems(where: string, uses: string, withKeys: Obj, deps: Parameters<typeof workflowProblems>[2]): string[] {
  const m = OUR_ACTION.exec(uses);
  if (!m) return LOOKS_OURS.test(uses) ? [`${where}: ${uses} is not the one form (rollback-kit/rollback-kit@v1 or rollback-kit/rollback-kit/actions/<name>@v1)`] : [];
  const spec = deps.action(m[1]);
  if (!spec) return [`${where}: ${uses} names no action of this library`];
  const problems = inputProblems(where, uses, withKeys, spec.inputs);
  // The root action's reason is optional in action.yml only because mode drill writes its own: a
  // rollback without one stops in its plan phase, so a workflow step must give it.
  if (m[1] === undefined && !('reason' in withKeys) && withKeys.mode !== 'drill') problems.push(`${where}: ${uses} requires input reason (unless mode: drill)`);
  return problems;
}

function callProblems(where: string, uses: string, withKeys: Obj, secrets: Obj, deps: Parameters<typeof workflowProblems>[2]): string[] {
  if (!uses.startsWith('./.github/workflows/')) return LOOKS_OURS.test(uses) ? [`${where}: ${uses}: call this repository's workflows as ./.github/workflows/<file>`] : [];
  const called = deps.workflow(uses.slice(2));
  if (!called) return [`${where}: ${uses} is not a workflow_call workflow of this repository`];
  const problems = inputProblems(where, uses, withKeys, called.inputs);
  for (const key of Object.keys(secrets)) if (!(key in called.secrets)) problems.push(`${where}: secret ${key} is not declared by ${uses}`);
  return problems;
}

function inputProblems(where: string, uses: string, given: Obj, inputs: Record<string, { required?: boolean; default?: unknown }>): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(given)) if (!(key in inputs)) problems.push(`${where}: ${uses} has no input ${key}`);
  for (const [name, spec] of Object.entries(inputs)) {
    if (spec?.required === true && (spec.default === undefined || spec.default === '') && !(name in given)) problems.push(`${where}: ${uses} requires input ${name}`);
  }
  return problems;
}
