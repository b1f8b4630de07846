// An SQL check on a connection that stops answering without closing (a proxy or NAT box that drops
// the flow) must not hang the step: every wait of the probe (the query, its ROLLBACK, the end of the
// session) is bounded by timeout-seconds and a margin, and the whole probe by the overall deadline.
// Before, the step waited for ever, deadline-seconds or not.
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';
import { stallingProxy } from '../helpers/stalling-proxy.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('rk_smoke_stall');
  await db.query('CREATE TABLE t (id int); INSERT INTO t VALUES (1), (2);');
});

const CHECK = '- {name: rows, query: select count(*) from t, expect-value: 2}';
// Far beyond what any bounded run takes: only a run that hangs meets it (and then fails the test).
const KILL_MS = 60_000;

describe('SQL checks on a stalled connection', () => {
  it('the first query never answered: the check fails a margin after timeout-seconds, the step ends', async () => {
    const proxy = await stallingProxy(db, 'ready');
    const run = await runAction('smoke-test', { 'database-url': proxy.url, checks: CHECK, attempts: 1, 'timeout-seconds': 1, 'deadline-seconds': 120, 'fail-step': false }, { timeoutMs: KILL_MS });
    expect(proxy.stalls).toBe(1);
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ passed: 'false', severity: 'critical', decision: 'rollback' });
    const report = JSON.parse(await readFile(run.outputs['report-path']!, 'utf8'));
    expect(report.checks[0]).toMatchObject({ name: 'rows', passed: false, unreachable: true });
    expect(report.checks[0].reason).toMatch(/^no answer within 2 s \(the statement timeout .* plus 1 s for the answer to come back\), so the connection was closed/);
  });

  it('the overall deadline ends a probe whose connection stalled, whatever timeout-seconds says', async () => {
    const proxy = await stallingProxy(db, 'ready');
    const run = await runAction('smoke-test', { 'database-url': proxy.url, checks: CHECK, attempts: 1, 'timeout-seconds': 600, 'deadline-seconds': 1, 'fail-step': false }, { timeoutMs: KILL_MS });
    expect(proxy.stalls).toBe(1);
    expect(run.code).toBe(0);
    const report = JSON.parse(await readFile(run.outputs['report-path']!, 'utf8'));
    expect(report.checks[0]).toMatchObject({ name: 'rows', passed: false, reason: 'cut short by the overall deadline (deadline-seconds)' });
  });

  it('a ROLLBACK that never gets its answer does not hold the step: the measured query decides', async () => {
    const proxy = await stallingProxy(db, { clientSends: 'ROLLBACK' });
    const run = await runAction('smoke-test', { 'database-url': proxy.url, checks: CHECK, attempts: 1, 'timeout-seconds': 1, 'deadline-seconds': 120 }, { timeoutMs: KILL_MS });
    expect(proxy.stalls).toBe(1);
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ passed: 'true', decision: 'none' });
  });
});
