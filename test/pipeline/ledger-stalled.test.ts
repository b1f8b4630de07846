// A ledger write on the whole-rollback lock's session whose answer never comes (a proxy or NAT box
// that stops forwarding): the session's deadline closes the connection, and the lock with it. The
// run's error said "Unexpected error: no answer within …"; it now says which write stopped, that
// nothing was reverted or restored, and what to check. It still reads as a lost connection, which
// the 'done' write after the revert turns into "the lock was lost as the last migration ran".
import { beforeAll, expect, it } from 'vitest';
import { errorFacts, errorLine, RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { closeSession, connect } from '../../src/db/session.js';
import { isConnectionLoss } from '../../src/migrations/run-failure.js';
import { LockSessionUnanswered, writeLedgerUnderLock } from '../../src/pipeline/ledger.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { stallingProxy } from '../helpers/stalling-proxy.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('rk_ledger_stall');
});

it("a 'started' write that gets no answer says what stopped and that nothing was changed, and still reads as a lost connection", async () => {
  // The write's bytes reach the server (it writes the row); only its answer never comes back.
  const proxy = await stallingProxy(db, { clientSends: 'INSERT INTO rollback_kit.rollbacks' });
  const target = parseConnectionString(proxy.url);
  // A small deadline in place of the lock session's 35 s: the same session wrapper enforces both.
  const session = await connect(target, { queryDeadline: { statementMs: 200, marginMs: 200 } });
  const row = { incidentKey: 'inc-1', method: 'restore', planned: [], reverted: [], status: 'started' as const };
  const err = await writeLedgerUnderLock(session, target, row, 5, memoryLog()).then(
    () => undefined,
    (e: unknown) => e,
  );
  closeSession(session);
  expect(proxy.stalls).toBe(1);
  expect(err).toBeInstanceOf(LockSessionUnanswered);
  expect(err).toBeInstanceOf(RollbackKitError);
  const line = errorLine(err);
  expect(line).not.toMatch(/^Unexpected error/);
  expect(line).toMatch(/^Writing this incident's row of the rollback ledger \(rollback_kit\.rollbacks\) of .* stopped: no answer within 0\.4 s .*so the connection was closed, and the whole-rollback lock held on it went with it\. /);
  expect(line).toMatch(/Nothing was reverted or restored; .* may already say started/);
  expect(line).toMatch(/Check the network path to the database .*then run again\.$/);
  expect(errorFacts(err)).toEqual({ changed: 'no' });
  // What the 'done' write's caller reads as the lock lost with its session.
  expect(isConnectionLoss(err)).toBe(true);
});
