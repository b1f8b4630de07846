// The sandbox's report.html is escaped HTML: a secret holding `& < > "` escaped first (`&amp;`,
// `&lt;`…) is a form the redactor does not know, so redacting the page afterwards left it in. The
// record, the plan and the checks before are redacted before anything is escaped. The same order in
// restore-db's job summary (Markdown text escapes `<` `>` and breaks `@`), whose target is named as
// the connection string names the database.
import { describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import type { RollbackPlan } from '../../src/pipeline/plan-file.js';
import type { RestoreResult } from '../../src/db/restore.js';
import { esc, rollbackHtml } from '../../src/report/html.js';
import { restoreSummary } from '../../src/report/restore-db-summary.js';
import { fullRecord } from '../report/records.js';

const SECRET = 'Tok&en<With>"Quote\'s-7f3a91c2';

describe('report.html with a secret holding & < > " \'', () => {
  it('shows neither the secret nor its escaped form, wherever it came from', () => {
    const log = memoryLog();
    log.secret(SECRET);
    const record = fullRecord();
    record.reason = `checkout fails with key ${SECRET}`;
    const plan: RollbackPlan = {
      source: 'rollback-kit.yml',
      environment: 'production',
      budgetMinutes: 15,
      components: [{ name: 'web', provider: 'command', target: `app:v1?token=${SECRET}`, command: 'true', method: 'rollback', apiUrl: '', timeoutSeconds: 20 }],
      labels: ['incident'],
    };
    const before = [{ name: 'checkout', passed: false, detail: `500 with body ${SECRET}` }];
    // As the sandbox writes it (src/sandbox/run.ts): the page, then the redactor as a last net.
    const html = log.redact(rollbackHtml(record, { title: 'sandbox', plan, before }, log));
    expect(html).not.toContain(esc(SECRET));
    expect(html).not.toContain('7f3a91c2');
    expect(html).toContain('checkout fails with key ***');
    expect(html).toContain('app:v1?token=***');
    expect(html).toContain('500 with body ***');
  });

  it('without a log nothing is redacted, and the text is still escaped', () => {
    const html = rollbackHtml(fullRecord(), { before: [{ name: 'c', passed: true, detail: SECRET }] });
    expect(html).toContain(esc(SECRET));
  });
});

describe('job summaries whose target names a database called like a secret', () => {
  const target = `127.0.0.1:5432/${SECRET}`;
  const log = memoryLog();
  log.secret(SECRET);

  it('restore-db: redacted before it is escaped, then redacted as a whole as writeSummary does', () => {
    const result: RestoreResult = {
      target,
      snapshotPath: '/tmp/snap.dump',
      snapshotTakenAt: '2026-03-14T09:26:53.000Z',
      source: target,
      targetIdentity: target,
      fromAnotherDatabase: false,
      fewerRows: [],
      discarded: [],
      verified: true,
      tablesRestored: 1,
      extraTables: [],
      extraSchemas: [],
      restoredEmpty: [],
      mode: 'pg_restore into psql, one transaction',
      durationMs: 1200,
    };
    const summary = log.redact(restoreSummary(result, undefined, log));
    expect(summary).not.toContain('7f3a91c2');
    expect(summary).toContain('## Restore of 127.0.0.1:5432/*** from snapshot: verified');
  });
});
