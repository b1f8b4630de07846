// A clause said as a sentence of its own where sentences are joined: capital first, a full stop last.
import { expect, it } from 'vitest';
import { sentence } from '../../src/core/sentence.js';

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
