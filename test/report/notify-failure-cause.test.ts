// The closing chat message of a failed rollback carries why it failed: its next steps say "fix what
// the plan row says" (or "fix the snapshot error"), and the chat is where the team reads them, with
// no plan row beside it. Each failed phase's detail goes in, redacted and escaped for the chat.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import type { RollbackRecord } from '../../src/pipeline/record.js';
import { runRollback } from '../../src/pipeline/rollback.js';
import { chatMessage } from '../../src/report/notify.js';
import { databaseRollbackRequest } from '../pipeline/requests.js';
import { failedRecord, fullRecord, unverifiedRecord } from './records.js';

const PASSWORD = 'Chat-Cause-Pass-41c9';

let ws: string;
beforeEach(async () => {
  ws = await mkdtemp(join(tmpdir(), 'rk-notify-cause-'));
});
afterEach(async () => {
  await rm(ws, { recursive: true, force: true });
});

describe('the closing chat message says what failed', () => {
  it('a plan that cannot reach the database: the plan row (the cause, redacted) is in the message the team reads', async () => {
    const log = memoryLog();
    const sent: string[] = [];
    const request = databaseRollbackRequest(
      { method: 'down-migrations', migrationsDir: 'db/migrations', format: 'dbmate', choice: { steps: 1 }, lockTimeoutSeconds: 5 },
      // Nothing listens on port 1: the plan fails reading the database.
      { database: parseConnectionString(`postgres://app:${PASSWORD}@127.0.0.1:1/shop?connect_timeout=5`), workspace: ws, snapshotDir: ws, github: { repository: '', apiUrl: 'http://127.0.0.1:9' } },
    );
    log.secret(PASSWORD);
    const record = await runRollback(
      request,
      {
        notify: async (event, r) => {
          sent.push(chatMessage(event, r, log).text);
          return true;
        },
      },
      log,
    );
    expect(record).toMatchObject({ status: 'failed', failedPhase: 'plan' });
    const row = record.timeline.find((e) => e.phase === 'plan')!;
    expect(row.detail).toMatch(/127\.0\.0\.1/);
    const end = sent.at(-1)!;
    expect(end.split('\n')[0]).toBe('❌ Rollback failed in plan');
    expect(end).toContain(`What failed: plan: ${row.detail}`);
    expect(end).toContain('fix what the plan row says');
    // Planning changed nothing: "database: planned" would read as work under way.
    expect(end).toContain('Current State: nothing changed: the rollback stopped while planning');
    expect(end).not.toContain(PASSWORD);
  });

  it('a plan that fails in the database job of a split rollback: the earlier job rolled the app back, so only this job changed nothing', async () => {
    const log = memoryLog();
    const sent: string[] = [];
    const appRolledBack = { phase: 'app' as const, component: 'web', started: new Date().toISOString(), 'duration-ms': 900, 'budget-ms': 60_000, status: 'ok' as const, detail: 'dpl_bad → dpl_good' };
    const request = {
      ...databaseRollbackRequest(
        { method: 'down-migrations', migrationsDir: 'db/migrations', format: 'dbmate', choice: { steps: 1 }, lockTimeoutSeconds: 5 },
        { database: parseConnectionString('postgres://app@127.0.0.1:1/shop?connect_timeout=5'), workspace: ws, snapshotDir: ws, github: { repository: '', apiUrl: 'http://127.0.0.1:9' } },
      ),
      earlierTimeline: [appRolledBack],
    };
    const record = await runRollback(
      request,
      {
        notify: async (event, r) => {
          sent.push(chatMessage(event, r, log).text);
          return true;
        },
      },
      log,
    );
    expect(record).toMatchObject({ status: 'failed', failedPhase: 'plan' });
    const end = sent.at(-1)!;
    expect(end).not.toContain('nothing changed: the rollback stopped while planning');
    expect(end).toContain('Current State: this job changed nothing: it stopped while planning; what the earlier job rolled back stands');
    const row = record.timeline.find((e) => e.phase === 'plan')!;
    expect(row.detail).toMatch(/This job changed nothing; what the earlier job rolled back stands\.$/);
    expect(row.detail).not.toContain('Nothing was changed');
  });

  it('a failed snapshot: its error, not only the phase name', () => {
    const m = chatMessage({ kind: 'end' }, failedRecord(), memoryLog());
    expect(m.text).toContain('What failed: snapshot: pg_dump: error: connection to server failed: FATAL: too many connections');
    expect(JSON.stringify(m.blocks)).toContain('*What failed*');
  });

  it('a failed verify (the checks could not run) and an unverified rollback say why', () => {
    const r = fullRecord();
    r.status = 'failed';
    r.failedPhase = 'verify';
    r.timeline = r.timeline.map((e) => (e.phase === 'verify' ? { ...e, status: 'failed', detail: 'getaddrinfo ENOTFOUND shop.example.com' } : e));
    expect(chatMessage({ kind: 'end' }, r, memoryLog()).text).toContain('What failed: verify: getaddrinfo ENOTFOUND shop.example.com');
    expect(chatMessage({ kind: 'end' }, unverifiedRecord(), memoryLog()).text).toContain('What failed: verify: checkout still fails');
  });

  it('a failed component: its error once, in "What failed", not again in the state', () => {
    const r: RollbackRecord = fullRecord();
    r.status = 'failed';
    r.failedPhase = 'app';
    const error = 'Vercel answered 403 <forbidden> for project shop';
    r.components[0]!.status = 'failed';
    r.components[0]!.error = error;
    r.timeline = r.timeline.map((e) => (e.phase === 'app' && e.component === 'web' ? { ...e, status: 'failed', detail: error } : e));
    const text = chatMessage({ kind: 'end' }, r, memoryLog()).text;
    expect(text).toContain('What failed: app (web): Vercel answered 403 &lt;forbidden&gt; for project shop');
    expect(text.split('forbidden').length - 1).toBe(1);
  });

  it('a rollback that worked has no such field', () => {
    expect(chatMessage({ kind: 'end' }, fullRecord(), memoryLog()).text).not.toContain('What failed');
  });
});
