// The drill's readiness asks the server its version to choose pg_dump. On a connection that stops
// answering without closing (a proxy or NAT box that drops the flow) that question waited for ever,
// and the drill with it: it now fails the snapshot check past its deadline, and readiness goes on.
import { beforeAll, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import type { DrillRecord } from '../../src/pipeline/drill.js';
import { readiness } from '../../src/pipeline/drill-readiness.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { stallingProxy } from '../helpers/stalling-proxy.js';
import { databaseRollbackRequest } from './requests.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('rk_readiness_stall');
});

it('a stalled connection fails the snapshot check with no answer within its deadline, instead of holding the drill', async () => {
  const proxy = await stallingProxy(db, { clientSends: 'server_version_num' });
  const request = databaseRollbackRequest(
    { method: 'restore', format: 'auto', lockTimeoutSeconds: 5 },
    { database: parseConnectionString(proxy.url), workspace: '.', snapshotDir: '.', github: { repository: '', apiUrl: 'http://127.0.0.1:9' }, dryRun: true },
  );
  const record = { readiness: [], components: [] } as unknown as DrillRecord;
  await readiness(request, [], record, memoryLog());
  expect(proxy.stalls).toBe(1);
  const snapshot = record.readiness.find((r) => r.check === 'snapshot');
  expect(snapshot).toMatchObject({ status: 'failed' });
  expect(snapshot!.detail).toMatch(/ did not answer when asked its version: no answer within 10 s \(.*\), so the connection was closed\./);
});
