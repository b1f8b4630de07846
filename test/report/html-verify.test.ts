// report.html's "Checks after the rollback", when no check ran, gives the same reason as the job
// summary's Verification (the verify row's own words), where it used to say "No checks ran." for
// every case. The row's detail is outside text: redacted, then escaped, as the rest of the page.
import { expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import type { RollbackRecord } from '../../src/pipeline/record.js';
import { esc, rollbackHtml } from '../../src/report/html.js';
import { rollbackSummaryMarkdown } from '../../src/report/rollback-summary.js';
import { dryRunRecord, fullRecord, nothingToDoRecord } from './records.js';

const SECRET = 'Tok&en<With>"Quote\'s-7f3a91c2';

/** The paragraph under "Checks after the rollback". */
const checksAfter = (html: string) => /<h2>Checks after the rollback<\/h2>\n(.*)\n/.exec(html)?.[1];

function stoppedAtPlan(): RollbackRecord {
  const r = fullRecord();
  r.status = 'failed';
  r.failedPhase = 'plan';
  r.verify = undefined;
  r.timeline = [r.timeline[0]!, { ...r.timeline.find((e) => e.phase === 'verify')!, 'duration-ms': 0, status: 'skipped', detail: 'the rollback stopped while planning' }];
  return r;
}

it('a verify row skipped: its reason, as the job summary gives it', () => {
  const r = stoppedAtPlan();
  expect(checksAfter(rollbackHtml(r))).toBe('<p>Not run: the rollback stopped while planning.</p>');
  expect(rollbackSummaryMarkdown(r)).toContain('### Verification\n\nNot run: the rollback stopped while planning.');
});

it('the reason is redacted, then escaped', () => {
  const log = memoryLog();
  log.secret(SECRET);
  const r = stoppedAtPlan();
  r.timeline[1]!.detail = `checks file <b>rk & co</b> unreadable with ${SECRET}.`;
  const html = rollbackHtml(r, {}, log);
  expect(checksAfter(html)).toBe('<p>Not run: checks file &lt;b&gt;rk &amp; co&lt;/b&gt; unreadable with ***.</p>');
  expect(html).not.toContain(esc(SECRET));
  expect(html).not.toContain('7f3a91c2');
});

it('a dry run, and a run with nothing to do: said so, never "No checks ran."', () => {
  expect(checksAfter(rollbackHtml(dryRunRecord()))).toBe('<p>Not run: a dry run runs no checks.</p>');
  expect(checksAfter(rollbackHtml(nothingToDoRecord()))).toBe('<p>Not run: nothing changed.</p>');
  expect(rollbackHtml(nothingToDoRecord())).not.toContain('No checks ran.');
});

it('checks that ran are shown as before', () => {
  const html = rollbackHtml(fullRecord());
  expect(checksAfter(html)).toMatch(/^<p>Decision /);
});

it('a verify phase that found nothing to check: its own reason, not "did not run"', () => {
  const r = fullRecord();
  r.verify = undefined;
  const verifyRow = r.timeline.find((e) => e.phase === 'verify')!;
  verifyRow.status = 'warning';
  verifyRow.detail = 'no checks are configured (verify in rollback-kit.yml, or base-url / checks inputs): production was not verified';
  const want = 'Not verified: no checks are configured (verify in rollback-kit.yml, or base-url / checks inputs): production was not verified.';
  expect(checksAfter(rollbackHtml(r))).toBe(`<p>${want}</p>`);
  expect(rollbackSummaryMarkdown(r)).toContain(`### Verification\n\n${want}`);
  verifyRow.detail = 'skipped: every check is SQL (orders) and no database-url was given, so production was not verified';
  expect(checksAfter(rollbackHtml(r))).toBe('<p>Not verified: every check is SQL (orders) and no database-url was given, so production was not verified.</p>');
});
