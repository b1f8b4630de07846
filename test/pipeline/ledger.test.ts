// rollback_kit.rollbacks on real PostgreSQL: a table an earlier version created (no `kept` column)
// is read as keeping nothing, and gets the column at the next write, its rows intact.
import { describe, expect, it } from 'vitest';
import { parseConnectionString } from '../../src/db/connection.js';
import { withSession } from '../../src/db/session.js';
import { memoryLog } from '../../src/core/log.js';
import { readLedger, writeLedger } from '../../src/migrations/ledger.js';
import { deleteRowSql, readLedgerAtPlanOrLegacy } from '../../src/pipeline/ledger.js';
import { componentKey } from '../../src/pipeline/incident-key.js';
import { createTestDatabase } from '../helpers/pg.js';
import { startWireLog } from '../helpers/wire-log.js';

describe('the ledger table', () => {
  it('reads and upgrades a table an earlier version created', async () => {
    const db = await createTestDatabase('rk_resume_ledger');
    await db.query('CREATE SCHEMA rollback_kit');
    // As the earlier version created it.
    await db.query(`CREATE TABLE rollback_kit.rollbacks (
       incident_key text PRIMARY KEY, method text NOT NULL, keep_version text,
       planned text[] NOT NULL DEFAULT '{}', reverted text[] NOT NULL DEFAULT '{}', status text NOT NULL,
       started_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now())`);
    await db.query(`INSERT INTO rollback_kit.rollbacks (incident_key, method, keep_version, planned, reverted, status) VALUES ('old', 'down-migrations', '1', '{3,2}', '{}', 'started')`);
    const target = parseConnectionString(db.url);

    expect(await withSession(target, (s) => readLedger(s, 'old'))).toEqual({ incidentKey: 'old', method: 'down-migrations', keepVersion: '1', planned: ['3', '2'], kept: [], applied: [], snapshot: [], firstSnapshot: [], reverted: [], status: 'started' });
    await withSession(target, (s) => writeLedger(s, { incidentKey: 'new', method: 'down-migrations', planned: ['2'], kept: ['3'], applied: ['1', '2', '3'], reverted: [], status: 'started' }));
    expect(await withSession(target, (s) => readLedger(s, 'new'))).toMatchObject({ planned: ['2'], kept: ['3'], applied: ['1', '2', '3'] });
    // An old row says nothing of what was applied when it planned: empty, which the planner reads as unknown.
    expect(await withSession(target, (s) => readLedger(s, 'old'))).toMatchObject({ planned: ['3', '2'], kept: [], applied: [], keepVersion: '1' });
    expect(await withSession(target, (s) => readLedger(s, 'none'))).toBeUndefined();
  });
});

describe('the plan read of a key and its earlier spelling', () => {
  it('reads both keys in one query on one connection, and takes up the row under the earlier spelling', async () => {
    const db = await createTestDatabase('rk_ledger_legacy_read');
    await withSession(parseConnectionString(db.url), (s) => writeLedger(s, { incidentKey: 'production:web@https://shop.example/', method: 'down-migrations', planned: ['3', '2'], kept: ['1'], applied: ['1', '2', '3'], reverted: [], status: 'started' }));
    const wire = await startWireLog();
    try {
      const url = new URL(db.url);
      url.host = `127.0.0.1:${wire.port}`;
      const log = memoryLog();
      const found = await readLedgerAtPlanOrLegacy(parseConnectionString(url.toString()), 'production:web@dep-9', { key: 'production:web@https://shop.example/', closedRows: true }, 10, log);
      expect(found).toMatchObject({ underLegacy: true, row: { incidentKey: 'production:web@dep-9', planned: ['3', '2'], status: 'started' } });
      const said = wire.queries.join('\n-----\n');
      expect(wire.queries.filter((q) => q.includes('FROM rollback_kit.rollbacks r')), said).toHaveLength(1);
      expect(wire.queries.filter((q) => q.startsWith('BEGIN READ ONLY')), said).toHaveLength(1);
      // One connection's startup, then its transaction: BEGIN with the bounds, the table looked for, the rows, COMMIT.
      expect(wire.roundTrips, said).toBe(5);
    } finally {
      await wire.stop();
    }
  });
});

describe('the DELETE a refusal gives', () => {
  it("says this version's key exactly: a URL without a path is not read as userinfo up to the next part's @", () => {
    for (const parts of [
      [{ name: 'web', ref: 'https://web.example.com' }, { name: 'api', ref: 'abc123' }],
      [{ name: 'web', ref: 'https://web.example.com' }, { name: 'api', ref: 'https://api.example.com' }],
      [{ name: 'web', ref: 'https://h.example.com/d?session=1' }],
    ]) {
      const key = componentKey('production', parts);
      expect(deleteRowSql(key)).toBe(`DELETE FROM rollback_kit.rollbacks WHERE incident_key = '${key}'`);
    }
  });

  it('says an earlier spelling that held a secret as shown, with the words to write it back', () => {
    const sql = deleteRowSql({ key: 'production:web@https://u:pw@h/', shown: 'production:web@https://h/', closedRows: true });
    expect(sql).toMatch(/^DELETE FROM rollback_kit\.rollbacks WHERE incident_key = 'production:web@https:\/\/h\/', with each URL in the key written as in the from you gave/);
    expect(sql).not.toContain('pw');
    expect(deleteRowSql({ key: 'production:web@https://h,api@x', closedRows: true })).toBe("DELETE FROM rollback_kit.rollbacks WHERE incident_key = 'production:web@https://h,api@x'");
  });
});
