// Redact, then cut. A secret cut in half is no longer the secret the redactor knows: a registered
// value is matched whole, and a URL's password or ?token= value only as registered. So wherever
// outside text is cut to a length (a statement in an error, a chat message, a blocker's query, a
// repository name in a warning), the cut must come after the redaction. Each test puts the secrets
// across the cut point, at every offset around it, and searches what was produced for any prefix
// of six characters or more.
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { registerUrlSecrets } from '../../src/core/url-secrets.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { describeBlockers, watchBlockers } from '../../src/db/lock-wait.js';
import { plain } from '../../src/migrations/formats/plain.js';
import { planReverts } from '../../src/migrations/planner.js';
import type { MigrationFile } from '../../src/migrations/types.js';
import type { DrillRecord } from '../../src/pipeline/drill.js';
import { recordDrill } from '../../src/report/drill-issue.js';
import { recordIncident } from '../../src/report/incident.js';
import { chatMessage } from '../../src/report/notify.js';
import { tellingDeps } from '../../src/report/rollback-deps.js';
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js';
import { prefixLeaks } from '../helpers/leak-scan.js';
import { createTestDatabase } from '../helpers/pg.js';
import { fullRecord } from '../report/records.js';

const SECRET = 'rk_secret_Zq8Vw3Lp0Nc5Tb7Ym2';
const PASSWORD = 'Pw9-Hq4Jt6Rk2Ls8Dm';
const TOKEN = 'Tk7Gb2Wn5Xc9Vf3Hj';
/** A long user name, so that the password starts late in the word the cut goes through. */
const DB_URL = `postgres://rollback_kit_migration_owner:${PASSWORD}@db.internal:5432/shop`;
const HOOK_URL = `https://hooks.example.com/deploy?token=${TOKEN}`;
const SECRETS = [SECRET, PASSWORD, TOKEN];
/** Each secret as it turns up in outside text: alone, and inside a URL. */
const VALUES: [value: string, secret: string][] = [
  [SECRET, SECRET],
  [DB_URL, PASSWORD],
  [HOOK_URL, TOKEN],
];

/** A log that knows the secrets as an action would: a secret input, and two URL inputs. */
function secretLog() {
  const log = memoryLog();
  log.secret(SECRET);
  registerUrlSecrets(DB_URL, log);
  registerUrlSecrets(HOOK_URL, log);
  return log;
}

/**
 * One word (no space a cut could prefer) for each value and each place of its secret across `cut`
 * (an offset in the word): starting 1 to `span` characters before it.
 */
function* across(cut: number, span = 20): Generator<{ at: string; word: string }> {
  for (const [value, secret] of VALUES) {
    for (let back = 1; back <= span; back++) yield { at: `${secret.slice(0, 3)}… ${back} before the cut`, word: `${'x'.repeat(cut - back - value.indexOf(secret))}${value}` };
  }
}

describe('a down statement quoted in a refusal', () => {
  const file = (downSql: string): MigrationFile => ({ version: '001', id: '001', name: '001_x.down.sql', addedPath: '001_x.sql', downFile: '001_x.down.sql', downSql, downLine: 1, noTransaction: false });

  // The statement's first line is cut to 100 characters: 99 and an ellipsis.
  it.each([
    ['COPY … FROM stdin', 'COPY p1 (id) FROM stdin -- ', (line: string) => `${line}\n;`],
    ['transaction control', 'COMMIT -- ', (line: string) => `DROP TABLE p1;\n${line}\n;\nDROP TABLE p2;`],
  ])('%s: the statement is redacted before it is cut to the message', (_, lead, down) => {
    for (const { at, word } of across(99 - lead.length)) {
      const log = secretLog();
      let message = '';
      try {
        planReverts(plain, [file(down(`${lead}${word}`))], ['001'], { kind: 'steps', steps: 1 }, { table: 'schema_migrations', log });
      } catch (err) {
        message = `${(err as Error).message}\n${(err as { hint?: string }).hint ?? ''}`;
      }
      expect(message, `offset ${at}`).toMatch(/Nothing was run/);
      // As it is printed (through the log), and as it is thrown.
      expect(prefixLeaks(log.redact(message), SECRETS), `offset ${at}`).toEqual([]);
      expect(prefixLeaks(message, SECRETS), `offset ${at}`).toEqual([]);
    }
  });
});

describe('chat messages', () => {
  let receiver: WebhookReceiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  /** Where Slack's limits cut the reason: in its section (3000) and in `text` (39000). */
  function cuts(): number[] {
    const long = fullRecord();
    long.reason = 'x'.repeat(50_000);
    const m = chatMessage({ kind: 'start' }, long, memoryLog());
    const lead = m.text.indexOf('Issue: ') + 'Issue: '.length;
    const section = (m.blocks as { text?: { text: string } }[]).find((b) => b.text?.text.startsWith('*Issue*'))!.text!.text;
    return [section.length - 1 - '*Issue*\n'.length, m.text.length - 1 - lead];
  }

  it('the rollback (tellingDeps) sends them redacted before they are cut to Slack’s limits', async () => {
    receiver = await startWebhookReceiver();
    const log = secretLog();
    const notify = tellingDeps({ webhookUrl: receiver.url, incidentIssue: false, repository: 'acme/shop', githubApiUrl: 'http://127.0.0.1:9' }, log).notify!;
    let sent = 0;
    for (const cut of cuts()) {
      for (const { word } of across(cut, 12)) {
        const r = fullRecord();
        r.reason = `${word} and more`;
        expect(await notify({ kind: 'start' }, r)).toBe(true);
        sent++;
      }
    }
    expect(receiver.delivered).toHaveLength(sent);
    const raw = receiver.requests.map((q) => q.raw).join('\n');
    expect(raw).toContain('xxx***');
    expect(prefixLeaks(raw, SECRETS)).toEqual([]);
    expect(prefixLeaks(JSON.stringify(receiver.delivered), SECRETS)).toEqual([]);
    expect(prefixLeaks(log.lines.join('\n'), SECRETS)).toEqual([]);
  });
});

describe('a blocking session’s last query', () => {
  it('is redacted before it is cut (the cut alone)', () => {
    // Cut to 80 characters and an ellipsis.
    for (const { at, word } of across(80 - "SELECT '".length)) {
      const log = secretLog();
      const text = describeBlockers([{ pid: 42, user: 'app', state: 'idle in transaction', seconds: 3, query: `SELECT '${word}'` }], log);
      expect(text).toMatch(/^pid 42 \(user app, idle in transaction for 3 s, last query "SELECT 'x+/);
      expect(prefixLeaks(text, SECRETS), `offset ${at}`).toEqual([]);
    }
  });

  it('is read from pg_stat_activity in full enough to be redacted, then cut', async () => {
    const db = await createTestDatabase('rk_trusttext_lock');
    await db.query('CREATE TABLE held (id int)');
    const log = secretLog();
    const tag = 'rk-trusttext-waiter';
    const blocker = new pg.Client({ connectionString: db.url });
    const waiter = new pg.Client({ connectionString: db.url, application_name: tag });
    await blocker.connect();
    await waiter.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE held IN ACCESS EXCLUSIVE MODE');
      // Its last query, as the waiter's watcher reads it: the password across PostgreSQL's old cut (81).
      await blocker.query(`SELECT 'connecting with ${'x'.repeat(5)}${DB_URL}' AS note`);
      const watch = await watchBlockers(parseConnectionString(db.url), tag, log);
      await waiter.query("SET lock_timeout = '1s'");
      await expect(waiter.query('SELECT * FROM held')).rejects.toThrow(/lock timeout/);
      const blockers = await watch.stop();
      expect(blockers).toHaveLength(1);
      const text = describeBlockers(blockers, log);
      expect(text).toContain(`pid ${blockers[0]!.pid}`);
      expect(text).toContain("last query \"SELECT 'connecting with");
      expect(prefixLeaks(text, SECRETS)).toEqual([]);
    } finally {
      await blocker.end();
      await waiter.end();
    }
  });
});

describe('a repository name in a warning', () => {
  it('the incident issue and the drill issue redact it before cutting it', async () => {
    // Cut to 100 characters.
    for (const { at, word } of across(99)) {
      const log = secretLog();
      const target = { apiUrl: 'http://127.0.0.1:9', repository: word, token: 'ghs_RepoWarningToken0123456789' };
      expect(await recordIncident(target, fullRecord(), log)).toBeUndefined();
      expect(await recordDrill(target, {} as DrillRecord, log)).toBeUndefined();
      expect(log.lines.filter((l) => l.includes('must look like owner/name'))).toHaveLength(2);
      expect(prefixLeaks(log.lines.join('\n'), SECRETS), `offset ${at}`).toEqual([]);
    }
  });
});

describe('an earlier job’s timeline row read by a later job', () => {
  it('its detail is redacted with this job’s secrets before it is cut to 1,000 characters', async () => {
    const { parseTimeline } = await import('../../src/pipeline/timeline.js');
    for (const { at, word } of across(999)) {
      const log = secretLog();
      const raw = JSON.stringify([{ phase: 'database', started: '2026-12-02T08:00:00.000Z', 'duration-ms': 1, 'budget-ms': 1, status: 'failed', detail: word }]);
      const [row] = parseTimeline(raw, log.redact);
      expect(prefixLeaks(row!.detail, SECRETS), at).toEqual([]);
    }
  });
});
