// Our own SQL on a database with the legacy standard_conforming_strings = off: a backslash in a '…'
// string is an escape there, so none of our strings may hold one (E'…' when one is needed).
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { watchBlockers } from '../../src/db/lock-wait.js';
import { userSchemas } from '../../src/db/patterns.js';
import { closeSession, connect } from '../../src/db/session.js';
import { adminQuery, createTestDatabase } from '../helpers/pg.js';

async function legacyDatabase() {
  const db = await createTestDatabase('rk_scs_ours');
  await adminQuery(`ALTER DATABASE "${db.name}" SET standard_conforming_strings = off`);
  return db;
}

describe('our SQL on a database with standard_conforming_strings = off', () => {
  it('lists schemas whose names only look like pg_toast% and pg_temp_% to a LIKE that lost its escapes', async () => {
    const db = await legacyDatabase();
    await db.query('CREATE SCHEMA pgatoast; CREATE SCHEMA pgxtemp_a');
    const session = await connect(parseConnectionString(db.url));
    try {
      expect(await userSchemas(session)).toEqual(['pgatoast', 'pgxtemp_a', 'public']);
    } finally {
      closeSession(session);
    }
  });

  it("reads a blocking session's query with its whitespace folded, and nothing else changed", async () => {
    const db = await legacyDatabase();
    await db.query('CREATE TABLE held (id int)');
    const tag = 'rk-scs-waiter';
    const blocker = new pg.Client({ connectionString: db.url });
    const waiter = new pg.Client({ connectionString: db.url, application_name: tag });
    await blocker.connect();
    await waiter.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE held IN ACCESS EXCLUSIVE MODE');
      await blocker.query("SELECT 'sessions'\n\t  AS last");
      const watch = await watchBlockers(parseConnectionString(db.url), tag, memoryLog());
      await waiter.query("SET lock_timeout = '1s'");
      await expect(waiter.query('SELECT * FROM held')).rejects.toThrow(/lock timeout/);
      const blockers = await watch.stop();
      expect(blockers.map((b) => b.query)).toEqual(["SELECT 'sessions' AS last"]);
    } finally {
      await blocker.end();
      await waiter.end();
    }
  });
});
