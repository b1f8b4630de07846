// rollback.yml with scope db and no from: its database job holds no platform token, so it could not
// ask which deployment names the incident, named it by the workflow run, and "Run workflow" pressed
// twice reverted two migrations. An incident job that holds the platform tokens and no database URL
// asks (scope incident: the read-only look-up only) and hands the database job its from.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from '../helpers/run-action.js';
import { evaluate, evaluateAll } from './expressions.js';

interface Step {
  id?: string;
  uses?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  'continue-on-error'?: boolean;
}
interface Job {
  needs?: string | string[];
  if?: string;
  environment?: string;
  permissions?: Record<string, string>;
  outputs?: Record<string, string>;
  env?: Record<string, unknown>;
  steps?: Step[];
}
const wf = parse(readFileSync(join(ROOT, '.github', 'workflows', 'rollback.yml'), 'utf8')) as { on: { workflow_call: { secrets: Record<string, unknown> } }; jobs: Record<string, Job> };
const { incident, database } = wf.jobs;
const PLATFORM_SECRETS = Object.keys(wf.on.workflow_call.secrets).filter((s) => s !== 'DATABASE_URL' && s !== 'ROLLBACK_WEBHOOK_URL');
const rootStep = (job: Job) => job.steps!.find((s) => s.uses === 'rollback-kit/rollback-kit@v1')!;
/** Every secret a job can read: in its steps' with: and env:, and its own env:. */
const secretsOf = (job: Job): string[] => [...JSON.stringify([job.env, job.steps]).matchAll(/secrets\.([A-Za-z0-9_]+)/g)].map((m) => m[1]!);

describe('rollback.yml, scope db without from', () => {
  it('an incident job holds every platform token and no database URL, and asks only: scope incident, no issue, no message', () => {
    expect(incident, 'rollback.yml has no incident job').toBeDefined();
    expect(new Set(secretsOf(incident!))).toEqual(new Set(PLATFORM_SECRETS));
    expect(JSON.stringify(incident)).not.toMatch(/DATABASE_URL|database-url/);
    // No environment: its reviewers guard the database URL, which this job never gets.
    expect(incident!.environment).toBeUndefined();
    expect(incident!.permissions).toEqual({ contents: 'read', statuses: 'read' });
    const step = rootStep(incident!);
    // Not an app dry run, whose summary shows an app plan and says to run it for real.
    expect(step.with).toMatchObject({ scope: 'incident', 'incident-issue': false });
    expect(step.with).not.toHaveProperty('notify-webhook-url');
    expect(step.with).not.toHaveProperty('from');
    // A failed look-up must not hold the database job back: it then runs named by the run, and warns.
    expect(step['continue-on-error']).toBe(true);
  });

  it('runs only for scope db without from, after the check', () => {
    expect([incident!.needs].flat()).toEqual(['check']);
    expect(incident!.if).toBe("inputs.scope == 'db' && inputs.from == ''");
  });

  it("gives the database job, which holds no platform token, the from the incident job's look-up found; a from given wins", () => {
    const step = rootStep(incident!);
    expect(incident!.outputs).toEqual({ from: `\${{ steps.${step.id}.outputs.incident-from }}` });
    expect([database!.needs].flat()).toContain('incident');
    expect(secretsOf(database!).filter((s) => PLATFORM_SECRETS.includes(s))).toEqual([]);
    const db = rootStep(database!);
    const from = (inputs: Record<string, string>, found: string) => evaluate(db.with!.from, { inputs, needs: { incident: { outputs: { from: found } }, app: { outputs: {} } } });
    expect(from({ scope: 'db', from: '' }, 'shop=dpl_bad')).toBe('shop=dpl_bad');
    expect(from({ scope: 'db', from: 'shop=dpl_given' }, '')).toBe('shop=dpl_given');
    // The incident job skipped or its look-up failed: no from, as before (named by the run, with a warning).
    expect(from({ scope: 'db', from: '' }, '')).toBe('');
    expect(evaluateAll(db.with, { inputs: { scope: 'db', from: '', environment: 'production' }, needs: { incident: { outputs: { from: 'shop=dpl_bad' } } }, secrets: {}, github: {}, vars: {} }).scope).toBe('db');
  });

  it("does not wait on the incident job's success: a database job runs when that job failed or was skipped", () => {
    expect(database!.if).not.toContain('needs.incident');
    expect(database!.if).toContain('!cancelled()');
  });
});
