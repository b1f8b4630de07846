// The terminal's closing lines end with the total in the words every report uses (totalText: the
// job summary's and the incident issue's **Total** line), so the terminal never gives another
// number for the same rollback. It used to put the whole span, report phase included, on the status
// line (1 min 5 s), where the job summary said 5.0 s and the report's minute apart, off the critical path.
import { afterEach, expect, it, vi } from 'vitest';
import { reportRecord } from '../../src/cli/commands/rollback.js';
import { Cli } from '../../src/cli/context.js';
import type { RollbackRecord } from '../../src/pipeline/record.js';
import { closingLines, rollbackSummaryMarkdown, totalText } from '../../src/report/rollback-summary.js';

afterEach(() => vi.restoreAllMocks());

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
  nextSteps: ['Look at the dashboard.'],
  labels: [],
  incidentKey: 'k',
} as unknown as RollbackRecord;

it('the last closing line is Total: the report’s total text, after the status line and the next steps', () => {
  const lines = closingLines(record);
  expect(lines[0]).toMatch(/^Nothing to roll back: production already runs /);
  expect(lines[0]).not.toMatch(/budget/);
  expect(lines[1]).toBe('• Look at the dashboard.');
  expect(lines.at(-1)).toBe(`Total: ${totalText(record)}.`);
  expect(lines.at(-1)).toBe('Total: 5.0 s of 15 min 0 s budget (within budget): the whole rollback, all of it in this job; telling people afterwards (report, notify-end: off the critical path) took 1 min 0 s more.');
  // The job summary's Total line says the same words.
  expect(rollbackSummaryMarkdown(record)).toContain(`**Total: ${totalText(record)}.**`);
});

it('the terminal prints it as the last closing line', () => {
  let printed = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((printed += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const cli = new Cli('rollback', {}, { env: {}, cwd: '/', stdinIsTTY: false }, { tty: false, color: false, json: false, verbose: false });
  reportRecord(cli, record);
  const lines = printed.trimEnd().split('\n');
  // In the terminal's words (a run, not a job: cli/wording.ts), the same numbers.
  expect(lines.at(-1)).toBe('Total: 5.0 s of 15 min 0 s budget (within budget): the whole rollback, all of it in this run; telling people afterwards (report, notify-end: off the critical path) took 1 min 0 s more.');
  expect(lines.at(-2)).toBe('• Look at the dashboard.');
});
