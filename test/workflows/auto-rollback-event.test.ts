// auto-rollback.yml's one script, run with bash as the runner would: each trigger's event fields
// (passed through env:) become the URL to check, the commit to record and the deployment to roll
// back from; anything malformed stops the job before a check runs and never reaches GITHUB_OUTPUT.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseFileCommands, ROOT } from '../helpers/run-action.js';
import { parsePlanFile } from '../../src/pipeline/plan-file.js';
import { resolvePlan } from '../../src/pipeline/plan-inputs.js';

const workflow = parse(await readFile(join(ROOT, '.github', 'workflows', 'auto-rollback.yml'), 'utf8')) as {
  jobs: { smoke: { steps: { id?: string; run?: string; env?: Record<string, string> }[] } };
};
const step = workflow.jobs.smoke.steps.find((s) => s.id === 'deployment')!;
const script = step.run!;
// GitHub sets every env: key of the step, empty when the event lacks the field.
const EMPTY = Object.fromEntries(Object.keys(step.env ?? {}).map((k) => [k, '']));

async function resolve(env: Record<string, string>): Promise<{ code: number; outputs: Record<string, string>; stdout: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'rk-auto-event-'));
  const output = join(dir, 'output');
  await writeFile(output, '');
  // GitHub runs `run:` with bash -e {0} when no shell is given (ubuntu runners).
  const file = join(dir, 'step.sh');
  await writeFile(file, script);
  const result = await promisify(execFile)('bash', ['--noprofile', '--norc', '-eo', 'pipefail', file], { env: { PATH: process.env.PATH, GITHUB_OUTPUT: output, ...EMPTY, ...env }, timeout: 10_000 }).then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (err: { code?: number; stdout?: string }) => ({ code: err.code ?? 1, stdout: err.stdout ?? '' }),
  );
  return { ...result, outputs: parseFileCommands(await readFile(output, 'utf8')) };
}

const SHA = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

describe('auto-rollback: which deployment an event names', () => {
  it('reads exactly the event fields the step passes through env:', () => {
    expect(Object.keys(EMPTY).sort()).toEqual(['DISPATCH_ID', 'DISPATCH_SHA', 'DISPATCH_URL', 'EVENT', 'FROM_COMPONENTS', 'PRODUCTION_URL', 'RUN_SHA', 'STATUS_SHA', 'STATUS_URL']);
  });

  it('deployment_status: the deployment URL is checked and rolled back from; the deployed commit is recorded', async () => {
    const r = await resolve({ EVENT: 'deployment_status', STATUS_URL: 'https://shop-7f3k2-acme.vercel.app', STATUS_SHA: SHA });
    expect(r.code).toBe(0);
    expect(r.outputs).toEqual({ url: 'https://shop-7f3k2-acme.vercel.app', sha: SHA, from: 'https://shop-7f3k2-acme.vercel.app' });
  });

  it("repository_dispatch: Vercel's payload url (no scheme) and deployment id", async () => {
    const r = await resolve({ EVENT: 'repository_dispatch', DISPATCH_URL: 'shop-7f3k2-acme.vercel.app', DISPATCH_ID: 'dpl_7f3K2xYz', DISPATCH_SHA: SHA });
    expect(r.outputs).toEqual({ url: 'https://shop-7f3k2-acme.vercel.app', sha: SHA, from: 'dpl_7f3K2xYz' });
  });

  it('workflow_run: PRODUCTION_URL is checked, the run head SHA is the deployment', async () => {
    const r = await resolve({ EVENT: 'workflow_run', RUN_SHA: SHA, PRODUCTION_URL: 'https://shop.example.com' });
    expect(r.outputs).toEqual({ url: 'https://shop.example.com', sha: SHA, from: SHA });
  });

  it('with several components, from is the pairs of the component(s) ROLLBACK_FROM_COMPONENT names, which the plan accepts', async () => {
    const plan = parsePlanFile('components:\n  web: { provider: vercel, project: shop }\n  api: { provider: railway, project: p, environment: e, service: s }\n  jobs: { provider: command, command: ./rollback.sh }\n');
    const vercel = await resolve({ EVENT: 'deployment_status', STATUS_URL: 'https://shop-7f3k2-acme.vercel.app', STATUS_SHA: SHA, FROM_COMPONENTS: 'web' });
    expect(vercel.outputs.from).toBe('web=https://shop-7f3k2-acme.vercel.app');
    const run = await resolve({ EVENT: 'workflow_run', RUN_SHA: SHA, PRODUCTION_URL: 'https://shop.example.com', FROM_COMPONENTS: 'web, api' });
    expect(run.outputs.from).toBe(`web=${SHA},api=${SHA}`);
    // What rollback.yml hands the root action: each named component gets it, the others none.
    expect(resolvePlan(plan, { from: run.outputs.from }, { hasDatabaseUrl: false }).components.map((c) => c.from)).toEqual([SHA, SHA, undefined]);
    expect(resolvePlan(plan, { from: vercel.outputs.from }, { hasDatabaseUrl: false }).components.map((c) => c.from)).toEqual(['https://shop-7f3k2-acme.vercel.app', undefined, undefined]);
    // Without the variable, a bare from is refused by a plan of several components, naming the variable.
    const bare = await resolve({ EVENT: 'workflow_run', RUN_SHA: SHA, PRODUCTION_URL: 'https://shop.example.com' });
    expect(() => resolvePlan(plan, { from: bare.outputs.from }, { hasDatabaseUrl: false })).toThrow(/the plan has 3 components; .*set the repository variable ROLLBACK_FROM_COMPONENT/);
  });

  it.each(['web=dpl_1', 'web;api', '-web', 'web,,api'])('a ROLLBACK_FROM_COMPONENT of %j stops with one error and writes no output', async (names) => {
    const r = await resolve({ EVENT: 'repository_dispatch', DISPATCH_URL: 'x.vercel.app', DISPATCH_ID: 'dpl_1', DISPATCH_SHA: SHA, FROM_COMPONENTS: names });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain('::error::The ROLLBACK_FROM_COMPONENT variable must be component names');
    expect(r.outputs).toEqual({});
  });

  it('a commit that is not a full SHA is simply not recorded', async () => {
    const r = await resolve({ EVENT: 'repository_dispatch', DISPATCH_URL: 'shop-1.vercel.app', DISPATCH_ID: 'dpl_1', DISPATCH_SHA: 'main' });
    expect(r.code).toBe(0);
    expect(r.outputs.sha).toBe('');
  });

  it.each([
    ['workflow_run without PRODUCTION_URL', { EVENT: 'workflow_run', RUN_SHA: SHA }, 'No usable deployment URL'],
    ['a URL carrying a second output line', { EVENT: 'deployment_status', STATUS_URL: 'https://x.vercel.app\nfrom=dpl_other', STATUS_SHA: SHA }, 'No usable deployment URL'],
    ['a URL with shell in it', { EVENT: 'deployment_status', STATUS_URL: 'https://x.vercel.app/$(touch pwned)', STATUS_SHA: SHA }, 'No usable deployment URL'],
    ['a deployment id with a newline', { EVENT: 'repository_dispatch', DISPATCH_URL: 'x.vercel.app', DISPATCH_ID: 'dpl_1\nurl=https://evil', DISPATCH_SHA: SHA }, 'No usable deployment id'],
    ['an unknown event', { EVENT: 'push' }, 'Unexpected event'],
  ])('%s: stops with one error and writes no output', async (_name, env, message) => {
    const r = await resolve(env as Record<string, string>);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain(`::error::${message}`);
    expect(r.outputs).toEqual({});
  });
});
