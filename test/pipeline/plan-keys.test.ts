// The plan's sections take the single actions' inputs (README: "keys are promote-previous's
// inputs", "run-down-migrations' and restore-db's inputs", "smoke-test's inputs"): every input of
// those action.yml files is either read, or refused by name with why it does not apply to the whole
// rollback; none is an "unknown field". The keys the whole rollback honours reach the library.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { memoryLog } from '../../src/core/log.js';
import { formatPlanProblem, parsePlanFile, PlanError } from '../../src/pipeline/plan-file.js';
import { resolvePlan } from '../../src/pipeline/plan-inputs.js';
import { ROOT } from '../helpers/run-action.js';

const runSmokeTest = vi.hoisted(() => vi.fn());
vi.mock('../../src/smoke/smoke-test.js', () => ({ runSmokeTest }));
const { verifyWithChecks } = await import('../../src/pipeline/verify.js');

afterEach(() => runSmokeTest.mockReset());

function problems(text: string): string[] {
  try {
    parsePlanFile(text);
  } catch (err) {
    if (err instanceof PlanError) return err.problems.map(formatPlanProblem);
    throw err;
  }
  return [];
}

const inputsOf = (action: string): string[] => Object.keys((parse(readFileSync(join(ROOT, 'actions', action, 'action.yml'), 'utf8')) as { inputs: Record<string, unknown> }).inputs);

/** A value of the right shape for `key`, so only whether the key is taken decides its problem. */
function valueFor(key: string): string {
  if (/url$/.test(key)) return 'https://example.com';
  if (/seconds|days|attempts|samples|jobs|steps|rate|ms$/.test(key)) return '1';
  if (key === 'checks') return '|\n    - {name: home, url: /}';
  if (key === 'format') return 'dbmate';
  if (key === 'backoff') return 'exponential';
  return 'x';
}

/** The problems of a plan whose `section` holds `key` alone beside a valid rest. */
function problemsWith(section: 'component' | 'database' | 'verify', key: string): string[] {
  const value = valueFor(key);
  if (section === 'component') return problems(`components:\n  web:\n    provider: vercel\n    project: shop\n    ${key === 'provider' || key === 'project' ? 'team' : key}: ${key === 'provider' || key === 'project' ? 'x' : value}\n`);
  if (section === 'database') return problems(`database:\n  ${key}: ${value}\n`);
  return problems(`database: {}\nverify:\n  ${key}: ${value}\n`);
}

describe("every input of the actions a section's keys come from", () => {
  const cases: ['component' | 'database' | 'verify', string, string][] = [
    ...inputsOf('promote-previous').map((k) => ['component', 'promote-previous', k] as ['component', string, string]),
    ...inputsOf('run-down-migrations').map((k) => ['database', 'run-down-migrations', k] as ['database', string, string]),
    ...inputsOf('restore-db').map((k) => ['database', 'restore-db', k] as ['database', string, string]),
    ...inputsOf('smoke-test').map((k) => ['verify', 'smoke-test', k] as ['verify', string, string]),
  ];
  it.each(cases)('%s key from %s: %s is read, or refused saying why, never an unknown field', (section, _action, key) => {
    const found = problemsWith(section, key);
    for (const p of found) expect(p).not.toMatch(/unknown field/);
    // A refusal names the key's action and gives a reason after "it".
    for (const p of found.filter((p) => p.includes('not the whole rollback'))) expect(p).toMatch(/: is [a-z-]+(' and restore-db's|'s|') input, but not the whole rollback's: it .{20,}/);
  });
});

describe('keys the whole rollback honours', () => {
  it('reads database.migrations-table and statement-timeout-seconds, and verify.backoff', () => {
    const plan = parsePlanFile('database:\n  format: dbmate\n  migrations-table: app.mig_log\n  statement-timeout-seconds: 60\n  steps: 1\nverify:\n  base-url: https://shop.example.com\n  backoff: exponential\n');
    expect(plan.database).toMatchObject({ format: 'dbmate', migrationsTable: 'app.mig_log', statementTimeoutSeconds: 60, choice: { steps: 1 } });
    expect(plan.verify).toMatchObject({ backoff: 'exponential' });
  });

  it('leaves them to the actions\' defaults when not given', () => {
    const plan = parsePlanFile('database: {}\nverify:\n  base-url: https://shop.example.com\n');
    expect(plan.database!.migrationsTable).toBeUndefined();
    expect(plan.database!.statementTimeoutSeconds).toBeUndefined();
    expect(plan.verify!.backoff).toBeUndefined();
  });

  it('checks their values by place', () => {
    expect(problems('database:\n  statement-timeout-seconds: 0\n  migrations-table: a.b.c\nverify:\n  backoff: linear\n')).toEqual([
      'line 2, database.statement-timeout-seconds: must be between 1 and 86400, got 0',
      'line 3, database.migrations-table: must be table or schema.table, as the migration tool takes it',
      'line 5, verify.backoff: must be one of fixed, exponential',
    ]);
  });

  it('refuses the down-migration keys with method restore: a restore reads neither', () => {
    expect(problems('database:\n  method: restore\n  snapshot-path: s.dump\n  migrations-table: app.mig_log\n  statement-timeout-seconds: 5\n')).toEqual([
      "line 4, database.migrations-table: migrations-table is for method down-migrations (run-down-migrations' input); a restore does not read it",
      "line 5, database.statement-timeout-seconds: statement-timeout-seconds is for method down-migrations (run-down-migrations' input); a restore does not read it",
    ]);
  });

  it('the migrations-table input, with a file or without, overrides the file', () => {
    const file = parsePlanFile('database:\n  format: dbmate\n  migrations-table: app.mig_log\n');
    expect(resolvePlan(file, {}, { hasDatabaseUrl: true }).database!.migrationsTable).toBe('app.mig_log');
    expect(resolvePlan(file, { 'migrations-table': 'ops.log' }, { hasDatabaseUrl: true }).database!.migrationsTable).toBe('ops.log');
    expect(resolvePlan(undefined, { 'migrations-table': 'ops.log', steps: 1 }, { hasDatabaseUrl: true }).database).toMatchObject({ migrationsTable: 'ops.log', choice: { steps: 1 } });
  });

  it('the migrations-table input is refused as the plan key is: a bad shape, or with method restore', () => {
    const refused = (inputs: Record<string, unknown>) => {
      try {
        resolvePlan(undefined, inputs, { hasDatabaseUrl: true });
      } catch (err) {
        return (err as PlanError).problems.map((p) => `${p.place}: ${p.message}`);
      }
      return [];
    };
    expect(refused({ 'migrations-table': 'a.b.c', steps: 1 })).toEqual(['input migrations-table: must be table or schema.table, as the migration tool takes it']);
    expect(refused({ 'migrations-table': 'app.mig_log', 'db-method': 'restore', 'snapshot-path': 's.dump' })).toEqual([
      "input migrations-table: migrations-table is for method down-migrations (run-down-migrations' input); a restore does not read it",
    ]);
    expect(refused({ 'migrations-table': 'app.mig_log', steps: 1 })).toEqual([]);
  });

  it("the verify phase runs the smoke test with the plan's backoff (fixed when unset)", async () => {
    runSmokeTest.mockResolvedValue({ verdict: { decision: 'none', severity: 'none', passed: true, failed: 0 }, results: [] });
    const verify = parsePlanFile('components:\n  web: { provider: vercel, project: shop }\nverify:\n  base-url: https://shop.example.com\n  backoff: exponential\n').verify!;
    await verifyWithChecks([], verify, undefined, memoryLog());
    await verifyWithChecks([], { ...verify, backoff: undefined }, undefined, memoryLog());
    expect(runSmokeTest.mock.calls.map((c) => (c[1] as { backoff: string }).backoff)).toEqual(['exponential', 'fixed']);
  });
});

describe('keys refused with why', () => {
  it('components.<name>.reason is the incident\'s, and dry-run the whole run\'s', () => {
    expect(problems('components:\n  web: { provider: vercel, project: shop, reason: bad deploy, dry-run: true }\n')).toEqual([
      "line 2, components.web.reason: is promote-previous's input, but not the whole rollback's: it is the incident's, not the component's: every component is rolled back with the run's reason (the root action's reason input, the command line's --reason), which changes with each incident while the plan is committed",
      "line 2, components.web.dry-run: is promote-previous's input, but not the whole rollback's: it is the whole run's to decide: the root action's dry-run input (the command line's --dry-run) makes every phase a dry run",
    ]);
  });

  it('names the database and verify keys that do not apply, each with its reason', () => {
    const found = problems('database:\n  require-snapshot: false\n  confirm: shop\n  clean: false\nverify:\n  confirm-after-seconds: 60\n  baseline-url: https://prev.example.com\n');
    expect(found).toEqual([
      expect.stringMatching(/^line 2, database\.require-snapshot: is run-down-migrations' input, but not the whole rollback's: it cannot be turned off here: the whole rollback always takes and verifies its own snapshot/),
      expect.stringMatching(/^line 3, database\.confirm: is restore-db's input, but not the whole rollback's: it is not needed: putting the database in scope with method restore is the confirmation/),
      expect.stringMatching(/^line 4, database\.clean: is restore-db's input, but not the whole rollback's: it is the whole rollback's to decide/),
      expect.stringMatching(/^line 6, verify\.confirm-after-seconds: is smoke-test's input, but not the whole rollback's: it does not apply: verify deciding rollback ends the whole rollback as unverified/),
      expect.stringMatching(/^line 7, verify\.baseline-url: is smoke-test's input, but not the whole rollback's: it does not apply/),
    ]);
  });

  it('an empty secret key is refused as a secret; a filled one once, by place, never echoed', () => {
    expect(problems('components:\n  web: { provider: vercel, project: shop, vercel-token: "" }\ndatabase:\n  database-url: ""\n')).toEqual([
      expect.stringMatching(/^line 2, components\.web\.vercel-token: is promote-previous's input, but not the whole rollback's: it is a secret, and secrets never go in the rollback plan \(it is committed\): pass them as the root action's inputs/),
      expect.stringMatching(/^line 4, database\.database-url: is run-down-migrations' and restore-db's input, but not the whole rollback's: it is the connection, a secret: pass them as the root action's inputs/),
    ]);
    const token = 'abcd1234efgh5678';
    const found = problems(`components:\n  web: { provider: vercel, project: shop }\nverify:\n  bypass-token: ${token}\n`);
    expect(found).toEqual([expect.stringMatching(/^line 4, verify\.bypass-token: looks like a secret \(its key names one\)/)]);
    expect(found.join(' ')).not.toContain(token);
  });

  it('a key no action takes is still an unknown field', () => {
    expect(problems('database:\n  migration-table: x\n')).toEqual([expect.stringMatching(/^line 2, database\.migration-table: unknown field \(did you mean "migrations-table"\?\)/)]);
  });
});
