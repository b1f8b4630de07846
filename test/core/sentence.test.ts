// A clause said as a sentence of its own where sentences are joined: capital first, a full stop last.
import { expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { ended, sentence } from '../../src/core/sentence.js';

it.each([
  ['the service is unreachable: its check got no answer (connection refused by 127.0.0.1:9)', 'The service is unreachable: its check got no answer (connection refused by 127.0.0.1:9).'],
  ['check "broken" failed: relation "nope" does not exist (SQLSTATE 42P01)', 'Check "broken" failed: relation "nope" does not exist (SQLSTATE 42P01).'],
  ['Already a sentence.', 'Already a sentence.'],
  ['"login" is slower than the baseline!', '"login" is slower than the baseline!'],
  ['  padded  ', 'Padded.'],
  ['', ''],
])('%s', (clause, said) => {
  expect(sentence(clause)).toBe(said);
});

it.each([
  ['a message that ends in a bracket (and the database)', 'a message that ends in a bracket (and the database).'],
  ['since-ref names "v2"', 'since-ref names "v2".'],
  ['Already ended.', 'Already ended.'],
  ['Ended? ', 'Ended?'],
  ['', ''],
])('ended(%j)', (text, said) => {
  expect(ended(text)).toBe(said);
});

it("an error's line ends its message's sentence before the hint, and keeps both as written", () => {
  expect(new RollbackKitError('drill a plan without it (naming only the database)', 'Nothing was changed.').line).toBe('drill a plan without it (naming only the database). Nothing was changed.');
  expect(new RollbackKitError('Could not read it.', 'since-ref must name a commit.').line).toBe('Could not read it. since-ref must name a commit.');
  expect(new RollbackKitError('no hint (none)').line).toBe('no hint (none)');
});
