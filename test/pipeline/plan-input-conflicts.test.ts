// Inputs beside a rollback plan file that the file's own settings would make do nothing: each is
// refused by name with what to do, before anything runs, never dropped in silence.
import { describe, expect, it } from 'vitest';
import { parsePlanFile, type PlanError } from '../../src/pipeline/plan-file.js';
import { resolvePlan, type PlanInputs } from '../../src/pipeline/plan-inputs.js';

function refused(file: string | undefined, inputs: PlanInputs): string[] {
  try {
    resolvePlan(file === undefined ? undefined : parsePlanFile(file), inputs, { hasDatabaseUrl: true });
  } catch (err) {
    return (err as PlanError).problems.map((p) => `${p.place}: ${p.message}`);
  }
  return [];
}

const TWO = 'components:\n  web: { provider: vercel, project: shop, timeout-seconds: 300 }\n  api: { provider: command, command: ./back.sh }\n';

describe('timeout-seconds beside a plan file', () => {
  it('is refused, naming each component key to set instead and its value now', () => {
    expect(refused(TWO, { 'timeout-seconds': 600 })).toEqual([
      "input timeout-seconds: is the wait of a component given by inputs, and rollback-kit.yml describes the components: set rollback-kit.yml's components.web.timeout-seconds (now 300), rollback-kit.yml's components.api.timeout-seconds (now 180) instead, and drop the input",
    ]);
  });

  it('is refused with a plan of a database alone too, and taken without a file', () => {
    expect(refused('database:\n  steps: 1\n', { 'timeout-seconds': 600 })).toEqual([
      'input timeout-seconds: is the wait of a component given by inputs, and rollback-kit.yml describes the components: it has none, so drop the input',
    ]);
    const plan = resolvePlan(undefined, { project: 'shop', 'timeout-seconds': 600 }, { hasDatabaseUrl: false });
    expect(plan.components[0]!.timeoutSeconds).toBe(600);
  });

  it("leaves the file's keys alone when the input is not given", () => {
    expect(resolvePlan(parsePlanFile(TWO), {}, { hasDatabaseUrl: false }).components.map((c) => c.timeoutSeconds)).toEqual([300, 180]);
  });
});

describe('down-migrations settings and method restore, the file and the inputs either way', () => {
  const RESTORE = { 'db-method': 'restore', 'snapshot-path': 's.dump' };

  it("refuses the file's migrations-table under the db-method input restore", () => {
    expect(refused('database:\n  format: dbmate\n  migrations-table: app.mig_log\n', RESTORE)).toEqual([
      "input db-method: is restore, but rollback-kit.yml's database.migrations-table is set: migrations-table is for method down-migrations (run-down-migrations' input); a restore does not read it. Remove the key from the file, or leave db-method to the file (method down-migrations)",
    ]);
  });

  it("refuses the file's statement-timeout-seconds under the db-method input restore", () => {
    expect(refused('database:\n  statement-timeout-seconds: 60\n', RESTORE)).toEqual([
      "input db-method: is restore, but rollback-kit.yml's database.statement-timeout-seconds is set: statement-timeout-seconds is for method down-migrations (run-down-migrations' input); a restore does not read it. Remove the key from the file, or leave db-method to the file (method down-migrations)",
    ]);
  });

  it("refuses the migrations-table input under the file's method restore", () => {
    expect(refused('database:\n  method: restore\n  snapshot-path: s.dump\n', { 'migrations-table': 'app.mig_log' })).toEqual([
      "input migrations-table: migrations-table is for method down-migrations (run-down-migrations' input); a restore does not read it",
    ]);
  });

  it('the migrations-table input under restore is named once, as the input', () => {
    expect(refused('database:\n  migrations-table: app.mig_log\n', { ...RESTORE, 'migrations-table': 'ops.log' })).toEqual([
      "input migrations-table: migrations-table is for method down-migrations (run-down-migrations' input); a restore does not read it",
    ]);
  });

  it('takes them when the method is down-migrations, from the file or the input', () => {
    const file = 'database:\n  migrations-table: app.mig_log\n  statement-timeout-seconds: 60\n';
    expect(refused(file, { 'db-method': 'down-migrations', steps: 1 })).toEqual([]);
    expect(resolvePlan(parsePlanFile(file), { 'db-method': 'down-migrations', steps: 1 }, { hasDatabaseUrl: true }).database).toMatchObject({ migrationsTable: 'app.mig_log', statementTimeoutSeconds: 60 });
  });
});
