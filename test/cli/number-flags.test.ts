// A numeric flag (and input) is a decimal number: 0x10, 1e1 and 0b11 are refused, not read as 16, 10
// and 3 the way JavaScript's Number() reads them.
import { describe, expect, it } from 'vitest';
import { decimalNumber } from '../../src/core/parse.js';
import { runCli } from './run-cli.js';
import { tempDir } from '../helpers/temp-dir.js';

const empty = () => tempDir('rk-cli-numbers-');

describe('decimalNumber', () => {
  it.each([['10', 10], [' 2.5 ', 2.5], ['+3', 3], ['-1', -1], ['.5', 0.5], ['5.', 5]])('%s is %d', (text, n) => {
    expect(decimalNumber(text)).toBe(n);
  });
  it.each(['0x10', '1e1', '0b11', '0o7', 'Infinity', '1_000', '', ' ', '1,5', '--1'])('%s is not a number', (text) => {
    expect(decimalNumber(text)).toBeNaN();
  });
});

describe('numeric flags are decimal numbers', () => {
  it.each([
    ['--attempts', '0x10', '--attempts must be a whole number, got "0x10".'],
    ['--timeout-seconds', '1e1', '--timeout-seconds must be a number, got "1e1".'],
    ['--samples', '0b11', '--samples must be a whole number, got "0b11".'],
  ])('%s %s', async (name, value, message) => {
    const run = await runCli(['smoke', '--base-url', 'https://x.example.com', '--checks', '- {name: a, url: /}', name, value, '--dry-run'], { cwd: await empty() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });

  it('plan: --steps 0x10 is not 16', async () => {
    const run = await runCli(['plan', '--provider', 'vercel', '--project', 'shop', '--steps', '0x10'], { cwd: await empty() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--steps must be a whole number, got "0x10".');
  });
});
