// Plan mistakes read well on both sides: the CLI's flag wording keeps the sentence's punctuation,
// and a mistyped plan-file key gets the smoke spec's "did you mean" guess.
import { expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { COMMAND_FLAGS } from '../../src/cli/flags.js';
import { wordingFor } from '../../src/cli/wording.js';
import { parsePlanFile } from '../../src/pipeline/plan-file.js';
import { resolvePlan } from '../../src/pipeline/plan-inputs.js';

function refusal(run: () => unknown): RollbackKitError {
  try {
    run();
  } catch (err) {
    return err as RollbackKitError;
  }
  throw new Error('not refused');
}

it('two database choices: the CLI says "--to-version: conflicts with --steps (give exactly one …)"', () => {
  const err = refusal(() => resolvePlan(undefined, { provider: 'vercel', project: 'shop', steps: 1, 'to-version': '002' }, { hasDatabaseUrl: true }));
  const cli = wordingFor(COMMAND_FLAGS.rollback, '/tmp')(err.message);
  expect(cli).toContain('--to-version: conflicts with --steps (give exactly one of --steps, --to-version and --since-ref).');
});

it('a mistyped plan-file key gets a "did you mean", in a component and at the top level', () => {
  const err = refusal(() => parsePlanFile('components:\n  web: { provider: vercel, projct: shop }\ndatabse:\n  steps: 1\n', 'rollback-kit.yml'));
  expect(err.message).toContain('components.web.projct: unknown field (did you mean "project"?); known fields:');
  expect(err.message).toContain('databse: unknown top-level field (did you mean "database"?); known fields:');
});
