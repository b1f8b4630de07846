// One duration formatter (src/core/duration.ts) for every place a time is shown: the job summary,
// the HTML report and the command line write the same phase's time the same way. The command
// line's own used to print 59,960 ms as "60.0 s" and 119,600 ms as "1 min 60 s", and the HTML
// report's as "2.0 min".
import { afterEach, expect, it, vi } from 'vitest';
import { Terminal } from '../../src/cli/terminal.js';
import type { TimelineEntry } from '../../src/pipeline/record.js';
import { rollbackHtml } from '../../src/report/html.js';
import { rollbackSummaryMarkdown } from '../../src/report/rollback-summary.js';
import { fullRecord } from './records.js';

afterEach(() => vi.restoreAllMocks());

it.each([
  [59_960, '1 min 0 s', '60.0 s'],
  [119_600, '2 min 0 s', '1 min 60 s'],
  [90_000, '1 min 30 s', '1.5 min'],
])('%i ms reads "%s" in the summary, the HTML report and the terminal', (ms, shown, wrong) => {
  const record = fullRecord();
  const entry: TimelineEntry = { ...record.timeline[0]!, 'duration-ms': ms, 'budget-ms': 600_000 };
  record.timeline = [entry, ...record.timeline.slice(1)];
  let printed = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((printed += String(chunk)), true));
  new Terminal({ tty: false, color: false, json: false, verbose: false }).finished(entry);
  const places = { summary: rollbackSummaryMarkdown(record), html: rollbackHtml(record), terminal: printed };
  for (const [where, text] of Object.entries(places)) {
    expect(text, where).toContain(shown);
    expect(text, where).toContain('10 min 0 s');
    expect(text, where).not.toContain(wrong);
  }
});
