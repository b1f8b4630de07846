// The terminal's status line holds the rollback against its budget with the number every report
// calls the total (wholeRollback: first timeline row to the end of the run), so the sandbox's
// "the rollback itself …" line, the job summary and the incident issue agree with it. It used to add
// up the critical-path phases only, and printed 1.0 s where the line below said 1.1 s.
import { afterEach, expect, it, vi } from 'vitest';
import { reportRecord } from '../../src/cli/commands/rollback.js';
import { Cli } from '../../src/cli/context.js';
import type { RollbackRecord } from '../../src/pipeline/record.js';

afterEach(() => vi.restoreAllMocks());

it('the status line’s time is the whole rollback’s, report phase included', () => {
  let printed = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((printed += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const cli = new Cli('rollback', {}, { env: {}, cwd: '/', stdinIsTTY: false }, { tty: false, color: false, json: false, verbose: false });
  const row = (phase: string, started: string, ms: number) => ({ phase, started, 'duration-ms': ms, 'budget-ms': 30_000, status: 'ok' as const, detail: '' });
  const record = {
    reason: 'r',
    severity: 'major',
    environment: 'production',
    scope: [],
    dryRun: false,
    budgetMs: 900_000,
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:01:05.000Z',
    durationMs: 65_000,
    status: 'nothing-to-do',
    timeline: [row('plan', '2026-01-01T00:00:00.000Z', 5_000), row('report', '2026-01-01T00:00:05.000Z', 60_000)],
    components: [],
    nextSteps: [],
    labels: [],
    incidentKey: 'k',
  } as unknown as RollbackRecord;
  reportRecord(cli, record);
  expect(printed).toMatch(/\(1 min 5 s of the 15 min 0 s budget\)/);
});
