// `rollback-kit drill --sandbox` read none of the drill's flags but --dry-run: --budget-minutes 1
// still timed the drill against 15 minutes, --budget-minutes abc ran it (exit 0), and --config or
// --reason were dropped without a word. Now it takes what applies to the sandbox's own staging
// (--budget-minutes, checked as the staging drill checks it; --reason) and refuses the rest, exit 2,
// before anything starts. In-process from the source (main).
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { drillBudgets } from '../../src/pipeline/drill.js';
import type { FakeVercel } from '../../src/sandbox/vercel-api.js';
import { ADMIN_URL } from '../helpers/pg.js';
import { runMain } from './run-main.js';

// The sandbox's local Vercel API, kept so the test can read what the drill asked of it.
const vercels = vi.hoisted(() => [] as FakeVercel[]);
vi.mock('../../src/sandbox/vercel-api.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/sandbox/vercel-api.js')>();
  return {
    ...real,
    startFakeVercel: async () => {
      const v = await real.startFakeVercel();
      vercels.push(v);
      return v;
    },
  };
});

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function folder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rk-drill-sandbox-flags-'));
  dirs.push(dir);
  return dir;
}

describe('drill --sandbox: flags refused before anything starts (exit 2)', () => {
  it.each([
    [['--budget-minutes', 'abc'], '--budget-minutes must be a number, got "abc".'],
    [['--budget-minutes', '0'], '--budget-minutes must be at least 0.001, got 0.'],
    [['--config', 'rollback-kit.staging.yml'], '--config cannot be used with --sandbox: the sandbox drill rehearses on a staging of its own'],
    [['--config', 'x.yml', '--provider', 'vercel', '--steps', '2'], '--config, --provider, --steps cannot be used with --sandbox'],
    [['--incident-issue', 'false'], '--incident-issue cannot be used with --sandbox'],
  ])('%j', async (flags, error) => {
    const cwd = await folder();
    const run = await runMain(['drill', '--sandbox', ...flags, '--report-dir', 'report'], { cwd, env: { DATABASE_URL: ADMIN_URL } });
    expect(run.code, run.stdout + run.stderr).toBe(2);
    expect(run.stderr).toContain(error);
    expect(run.stderr).toContain('Usage: rollback-kit drill');
    // Refused before the report folder was made or the sandbox began.
    expect(readdirSync(cwd)).toEqual([]);
    expect(run.stderr).not.toContain('PostgreSQL:');
  });

  it('the refusal names the flags --sandbox takes', async () => {
    const run = await runMain(['drill', '--sandbox', '--environment', 'staging'], { cwd: await folder() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('With --sandbox give only --reason, --dry-run, --budget-minutes, --database-url, --report-dir, --throwaway-postgres');
  });

  it('--report-dir and --throwaway-postgres without --sandbox are refused too, not ignored', async () => {
    const cwd = await folder();
    const run = await runMain(['drill', '--report-dir', 'report', '--throwaway-postgres', '--json'], { cwd });
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'usage', error: expect.stringContaining('--report-dir, --throwaway-postgres work only with --sandbox') });
    expect(existsSync(join(cwd, 'report'))).toBe(false);
  });
});

it('drill --sandbox --budget-minutes 1 --reason …: the phases are timed against 1 minute, and the way back carries the reason', async () => {
  const cwd = await folder();
  const run = await runMain(['drill', '--sandbox', '--budget-minutes', '1', '--reason', 'quarterly rehearsal', '--json', '--report-dir', 'report'], { cwd, env: { DATABASE_URL: ADMIN_URL } });
  expect([0, 1], run.stderr).toContain(run.code);
  const doc = JSON.parse(run.stdout) as { record: { budgetMinutes: number; wayBackBudgetMs: number; timeline: { phase: string; 'budget-ms': number }[]; readiness: { check: string; detail: string }[] } };
  const budget = drillBudgets(1);
  expect(doc.record.budgetMinutes).toBe(1);
  expect(doc.record.wayBackBudgetMs).toBe(budget.wayBackMs);
  for (const e of doc.record.timeline) expect([e.phase, e['budget-ms']]).toEqual([e.phase, budget.phase(e.phase as Parameters<typeof budget.phase>[0])]);
  // The table and the last line say the scaled budget, not 7 min 30 s.
  expect(run.stdout).not.toContain('7 min 30 s');
  // The plan's 180 s wait no longer fits the app phase's 12 s: named where it is set, the
  // sandbox's plan file, not as a --timeout-seconds flag that would change nothing.
  const warning = doc.record.readiness.find((r) => r.check === 'budget');
  expect(warning?.detail).toContain("(--budget-minutes 1): rollback-kit.yml's components.web.timeout-seconds 180 s > app's 12 s");
  expect(run.stdout + run.stderr).not.toContain('--timeout-seconds');
  const rollbacks = vercels.at(-1)!.requestsTo(/\/rollback\//).filter((r) => r.method === 'POST');
  expect(rollbacks.map((r) => r.query.description)).toEqual(['quarterly rehearsal']);
}, 120_000);
