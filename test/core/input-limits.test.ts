// Inputs longer than they can be are refused where inputs are read, naming the limit, never the value.
import { describe, expect, it } from 'vitest';
import { inputsFrom } from '../../src/core/action.js';

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
