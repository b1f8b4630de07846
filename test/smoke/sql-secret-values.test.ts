// A failing expect-value names the value the query returned. Read from a column named like a
// secret, that value is a live credential the log's redactor never saw, and the summary, incident
// issue and chat message would carry it: it is left out, the column named instead.
import { beforeAll, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString, type ConnectionTarget } from '../../src/db/connection.js';
import { probeSql } from '../../src/smoke/sql-probe.js';
import type { SqlCheck } from '../../src/smoke/spec.js';
import { createTestDatabase } from '../helpers/pg.js';

const TOKEN = 'sk_live_4f9a1c7e2b8d6e3f0a5c';
let target: ConnectionTarget;

beforeAll(async () => {
  const db = await createTestDatabase('rk_smoke_secret');
  target = parseConnectionString(db.url);
  await db.query(`CREATE TABLE settings (api_token text, author text, active_sessions int); INSERT INTO settings VALUES ('${TOKEN}', 'Ada', 3)`);
});

const check = (query: string, value: unknown): SqlCheck => ({ kind: 'sql', name: 'settings', critical: true, query, expectValue: { value } });
const probe = (c: SqlCheck) => probeSql(c, target, { timeoutMs: 5000, log: memoryLog() });

describe('SQL check values from columns named like secrets', () => {
  it('a token read from api_token is not written into the failure', async () => {
    const outcome = await probe(check('SELECT api_token FROM settings', 'sk_live_other'));
    expect(outcome.ok).toBe(false);
    expect(outcome.failures).toEqual(['the value is (not shown: the column "api_token" is named like a secret), expected (not shown: the column "api_token" is named like a secret)']);
    expect(JSON.stringify(outcome)).not.toContain(TOKEN);
  });

  it('an alias named like a secret hides it too', async () => {
    const outcome = await probe(check('SELECT api_token AS session_key FROM settings', 'x'));
    expect(JSON.stringify(outcome)).not.toContain(TOKEN);
  });

  it('a count from a column named like a secret, and ordinary columns, are still shown', async () => {
    expect((await probe(check('SELECT active_sessions FROM settings', 4))).failures).toEqual(['the value is 3, expected 4']);
    expect((await probe(check('SELECT count(*) AS sessions FROM settings', 2))).failures).toEqual(['the value is "1", expected 2']);
    expect((await probe(check('SELECT length(api_token) FROM settings', 1))).failures).toEqual([`the value is ${TOKEN.length}, expected 1`]);
    expect((await probe(check("SELECT 'Ada'::text AS name", 'Bob'))).failures).toEqual(['the value is "Ada", expected "Bob"']);
  });

  it('a matching value passes as before', async () => {
    expect(await probe(check('SELECT api_token FROM settings', TOKEN))).toMatchObject({ ok: true, failures: [] });
  });
});
