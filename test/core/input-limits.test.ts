// Inputs longer than they can be are refused where inputs are read, naming the limit, never the
// value; numbers past 2^53 are out of range, quoted as typed.
import { describe, expect, it } from 'vitest';
import { inputsFrom } from '../../src/core/action.js';
import { parseInteger } from '../../src/core/parse.js';

describe('inputs past their size', () => {
  it('refuses a URL or token input over 8 KiB and a name over 100 characters, naming the limit, never the value', () => {
    const value = `postgres://u:pw_SECRET_rev1ew@h/${'d'.repeat(40_000)}`;
    const inputs = inputsFrom((name) => ({ 'database-url': value, project: 'p'.repeat(101), team: 't'.repeat(100), reason: 'r'.repeat(120_000) })[name] ?? '');
    expect(() => inputs.string('database-url')).toThrow(/^Input database-url is 40032 characters long; a URL or a token is at most 8192\.$/);
    expect(() => inputs.string('project')).toThrow(/^Input project is 101 characters long; .* at most 100\.$/);
    expect(inputs.string('team')).toHaveLength(100);
    expect(inputs.string('reason')).toHaveLength(120_000);
  });
});

describe('numbers past 2^53', () => {
  it('a whole number past Number.MAX_SAFE_INTEGER is out of range, quoted as typed', () => {
    expect(() => parseInteger('99999999999999999999999', 'steps')).toThrow('Input steps is out of range: beyond ±9007199254740991, got 99999999999999999999999.');
    expect(() => parseInteger('0', 'steps', { min: 1 })).toThrow('Input steps must be at least 1, got 0.');
    expect(parseInteger('9007199254740991', 'steps')).toBe(Number.MAX_SAFE_INTEGER);
  });
});
