// A check cut short by a time limit says which limit. The action names its inputs
// (`timeout-seconds`, `deadline-seconds`); `rollback-kit smoke` names the flags a person types
// (`--timeout-seconds`, `--deadline-seconds`). The command line runs in-process from the source
// (main), the action as the runner runs it (its bundle).
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { cliWording } from '../../src/cli/wording.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';

const SLOW = "- {name: slow, query: 'SELECT pg_sleep(5)'}";
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('rk_timing_words');
});

/** `rollback-kit <argv>` in this process: exit code and what it printed. */
async function cli(argv: string[]): Promise<{ code: number; printed: string }> {
  const printed: string[] = [];
  const capture = (chunk: unknown) => {
    printed.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    const code = await main(argv);
    return { code, printed: printed.join('') };
  } finally {
    vi.restoreAllMocks();
  }
}
afterEach(() => vi.restoreAllMocks());

describe('rollback-kit smoke names the flags', () => {
  it('a query cancelled by the request timeout: --timeout-seconds', async () => {
    const run = await cli(['smoke', '--checks', SLOW, '--database-url', db.url, '--attempts', '1', '--timeout-seconds', '0.3']);
    expect(run.code).toBe(1);
    expect(run.printed).toContain('cancelled by 0.3 s (--timeout-seconds)');
  });

  it('a check cut short by the overall deadline: --deadline-seconds', async () => {
    const run = await cli(['smoke', '--checks', SLOW, '--database-url', db.url, '--attempts', '1', '--deadline-seconds', '0.3', '--json']);
    expect(run.code).toBe(1);
    const doc = JSON.parse(run.printed) as { checks: { reason: string }[] };
    expect(doc.checks[0]!.reason).toBe('cut short by the overall deadline (--deadline-seconds)');
  });
});

describe('the smoke-test action names its inputs', () => {
  it('timeout-seconds and deadline-seconds, never a flag', async () => {
    const timeout = await runAction('smoke-test', { checks: SLOW, 'database-url': db.url, attempts: '1', 'timeout-seconds': '0.3' });
    expect(timeout.errors[0]).toContain('cancelled by 0.3 s (timeout-seconds)');
    const deadline = await runAction('smoke-test', { checks: SLOW, 'database-url': db.url, attempts: '1', 'deadline-seconds': '0.3' });
    expect(deadline.errors[0]).toContain('cut short by the overall deadline (deadline-seconds)');
    expect(timeout.stdout + deadline.stdout).not.toMatch(/--(timeout|deadline)-seconds/);
  });
});

describe('cliWording of time limits', () => {
  it.each([
    ['cut short by the overall deadline (deadline-seconds)', 'cut short by the overall deadline (--deadline-seconds)'],
    ['no answer from the database within 1.3 s (timeout-seconds for the connection and for the query, plus 1 s)', 'no answer from the database within 1.3 s (--timeout-seconds for the connection and for the query, plus 1 s)'],
    ["Vercel did not answer GET /v10/projects/shop/env before the step's deadline: timeout-seconds (1 s) ran out. Raise timeout-seconds.", "Vercel did not answer GET /v10/projects/shop/env before the command's deadline: --timeout-seconds (1 s) ran out. Raise --timeout-seconds."],
    ['A table lock was not granted within lock-timeout-seconds (5 s); raise lock-timeout-seconds.', 'A table lock was not granted within --lock-timeout-seconds (5 s); raise --lock-timeout-seconds.'],
    ['The way back took 3 s of its 15 min budget (budget-minutes 15).', 'The way back took 3 s of its 15 min budget (--budget-minutes 15).'],
  ])('%s', (from, to) => {
    expect(cliWording(from)).toBe(to);
  });

  it.each([
    // A plan file's keys and a spec's fields are not flags.
    'line 4, verify.timeout-seconds: must be a number',
    'line 2, budget-minutes: must be a number between 1 and 1440',
    'check "slow", field "timeout-seconds": must be a number',
    '{"timeout-seconds": 3}',
    'already a flag: --timeout-seconds 3',
  ])('leaves %s as it is', (text) => {
    expect(cliWording(text)).toBe(text);
  });
});
