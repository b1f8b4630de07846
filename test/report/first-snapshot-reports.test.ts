// A re-run that took no snapshot of its own (its pg_dump failed, say) still names the incident's
// first snapshot in every written report: it alone holds the database as it was before the
// rollback. One the first job never uploaded is said to be gone with that job, not shown as a path
// that still holds it. The job summary, the incident issue and the HTML report say it in the same
// words (first-snapshot.ts): they once worded it three ways, one without its checksum or run.
import { describe, expect, it } from 'vitest';
import { incidentBody } from '../../src/report/incident.js';
import { rollbackHtml } from '../../src/report/html.js';
import { rollbackSummaryMarkdown } from '../../src/report/rollback-summary.js';
import type { FirstSnapshotRecord } from '../../src/pipeline/record.js';
import { fullRecord } from './records.js';

const PATH = '/home/runner/work/_temp/rollback-kit/snapshots/shop-before-rollback-20261203T101500Z.dump';
const TITLE = "Snapshot taken before the rollback began (this incident's first run)";
const GONE = "not uploaded: on the first job's runner only, gone with that job unless a step of it kept it";

function reRun(first: Partial<FirstSnapshotRecord>) {
  const record = fullRecord();
  delete record.snapshot;
  record.firstSnapshot = { path: PATH, sha256: 'ab'.repeat(32), runUrl: 'https://github.com/acme/shop/actions/runs/7171', revertedBefore: ['20260314_add_coupons'], ...first };
  return record;
}

/** Markdown's code spans, autolinks and emphasis taken off: the words a reader reads. */
const fromMarkdown = (md: string) => md.replace(/\*\*/g, '').replace(/`([^`]*)`/g, '$1').replace(/<(https?:[^>]*)>/g, '$1').trim();
const fromHtml = (html: string) =>
  html
    .replace(/<[^>]+>/g, '')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** What each report says of the first snapshot, as "label: value" facts in plain words. */
function said(record: ReturnType<typeof reRun>): { summary: string[]; incident: string[]; html: string[] } {
  const md = rollbackSummaryMarkdown(record);
  const start = md.indexOf(`### ${TITLE}\n`);
  expect(start).toBeGreaterThanOrEqual(0);
  const section = md.slice(start).split('\n');
  const head = section.findIndex((l) => l.startsWith('|'));
  const end = section.findIndex((l, i) => i > head && !l.startsWith('|'));
  const rows = section.slice(head + 2, end < 0 ? undefined : end);
  const summary = rows.map((r) => r.slice(2, -2).split(' | ').map(fromMarkdown).join(': '));
  const line = incidentBody(record).split('\n').find((l) => l.startsWith(`**${TITLE}**: `));
  expect(line).toBeDefined();
  const incident = fromMarkdown(line!.slice(`**${TITLE}**: `.length).replace(/\.$/, '')).split('; ');
  const row = rollbackHtml(record).match(/<tr><td>([^<]*)<\/td><td>pg_dump<\/td><td>(.*?)<\/td><td>first run<\/td><\/tr>/);
  expect(fromHtml(row![1]!)).toBe(TITLE);
  const html = fromHtml(row![2]!).split('; ');
  return { summary, incident, html };
}

describe("the incident's first snapshot in the written reports", () => {
  it('is named when this run took no snapshot of its own', () => {
    const record = reRun({ artifact: 'shop-before-rollback-20261203T101500Z.dump' });
    expect(rollbackSummaryMarkdown(record)).toContain(`### ${TITLE}`);
    expect(incidentBody(record)).toContain(`**${TITLE}**`);
    expect(rollbackHtml(record)).toContain(TITLE.replace("'", '&#39;'));
  });

  it('never uploaded: said to be gone with the first job in each report', () => {
    const record = reRun({ deletedWithJob: 'yes' });
    expect(rollbackSummaryMarkdown(record)).toContain(`| Artifact | **${GONE}** |`);
    expect(incidentBody(record)).toContain(`Artifact: **${GONE}**`);
    expect(rollbackHtml(record)).toContain(`Artifact: <b>${GONE.replace("'", '&#39;')}</b>`);
  });

  it.each([
    ['uploaded', { artifact: 'shop-before-rollback-20261203T101500Z.dump' }],
    ['never uploaded', { deletedWithJob: 'yes' }],
    ['neither said', {}],
    ['no run, no checksum', { runUrl: undefined, sha256: undefined }],
    ['not recorded', { path: undefined, sha256: undefined, runUrl: undefined }],
  ])('%s: the three reports say the same facts, in the same words', (_, first) => {
    const { summary, incident, html } = said(reRun(first));
    expect(incident).toEqual(summary);
    expect(html).toEqual(summary);
    expect(summary[0]).toMatch(/^Path: /);
  });

  it('every fact, in full', () => {
    expect(said(reRun({ artifact: 'a.dump' })).summary).toEqual([`Path: ${PATH}`, 'Artifact: a.dump', 'Workflow run: https://github.com/acme/shop/actions/runs/7171', `sha256: ${'ab'.repeat(32)}`]);
    expect(said(reRun({ path: undefined })).summary).toEqual([
      "Path: not recorded in rollback_kit.rollbacks (a row an earlier version wrote, or a table without the first_snapshot column): see the first run's output",
    ]);
  });
});
