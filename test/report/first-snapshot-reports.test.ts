// A re-run that took no snapshot of its own (its pg_dump failed, say) still names the incident's
// first snapshot in every written report: it alone holds the database as it was before the
// rollback. One the first job never uploaded is said to be gone with that job, not shown as a path
// that still holds it.
import { describe, expect, it } from 'vitest';
import { incidentBody } from '../../src/report/incident.js';
import { rollbackHtml } from '../../src/report/html.js';
import { rollbackSummaryMarkdown } from '../../src/report/rollback-summary.js';
import { fullRecord } from './records.js';

const PATH = '/home/runner/work/_temp/rollback-kit/snapshots/shop-before-rollback-20261203T101500Z.dump';

function reRun(first: { artifact?: string; deletedWithJob?: string }) {
  const record = fullRecord();
  delete record.snapshot;
  record.firstSnapshot = { path: PATH, sha256: 'ab'.repeat(32), runUrl: 'https://github.com/acme/shop/actions/runs/7171', revertedBefore: ['20260314_add_coupons'], ...first };
  return record;
}

describe("the incident's first snapshot in the written reports", () => {
  it('is named when this run took no snapshot of its own', () => {
    const record = reRun({ artifact: 'shop-before-rollback-20261203T101500Z.dump' });
    expect(rollbackSummaryMarkdown(record)).toContain("### Snapshot taken before the rollback began (this incident's first run)");
    expect(incidentBody(record)).toContain('**Snapshot before the rollback began**');
    expect(rollbackHtml(record)).toContain('snapshot before the rollback (first run)');
  });

  it('never uploaded: said to be gone with the first job in each report', () => {
    const record = reRun({ deletedWithJob: 'yes' });
    expect(rollbackSummaryMarkdown(record)).toMatch(/not uploaded: on the first job's runner only, \*\*gone with that job\*\*/);
    expect(incidentBody(record)).toContain("(not uploaded: on the first job's runner only, gone with that job unless a step of it kept it)");
    expect(rollbackHtml(record)).toContain('(not uploaded: gone with the first job unless a step of it kept it)');
  });
});
