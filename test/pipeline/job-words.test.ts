import { expect, it } from 'vitest';
import { inThisJob } from '../../src/pipeline/job-words.js';

it('a later job of a split rollback says its errors changed nothing in this job, not that nothing was changed', () => {
  const said = 'Reading the rollback ledger was stopped (SIGINT): nothing was changed. Nothing was changed. Check the network. This run changed nothing in the database; the run changed nothing else.';
  expect(inThisJob(said, true)).toBe('Reading the rollback ledger was stopped (SIGINT): this job changed nothing. This job changed nothing. Check the network. This job changed nothing in the database; this job changed nothing else.');
});

it('a rollback in one job keeps the error\'s own words', () => {
  const said = 'Stopped while still connecting: nothing had been sent to the database, so nothing was changed.';
  expect(inThisJob(said, false)).toBe(said);
});

it("a later job's dry run of scope verify says this job contacted nothing, not that nothing was contacted or changed", () => {
  expect(inThisJob('read and checked; nothing was contacted or changed. Nothing was contacted or changed.', true)).toBe('read and checked; this job contacted nothing and changed nothing. This job contacted nothing and changed nothing.');
  expect(inThisJob('read and checked; nothing was contacted or changed.', false)).toBe('read and checked; nothing was contacted or changed.');
});
