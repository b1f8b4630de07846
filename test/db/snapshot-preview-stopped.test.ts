// A snapshot's dry run (previewSnapshot: rollback-kit snapshot --dry-run) runs no pg_dump and writes
// nothing: stopped, it says so, not a snapshot's "pg_dump was ended … what it had written was removed".
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLog } from '../../src/core/log.js';
import { stopReason } from '../../src/core/stop-signals.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { previewSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

let db: TestDatabase;
let dir: string;
beforeAll(async () => {
  db = await createTestDatabase('rk_preview_stopped');
  await db.query('CREATE TABLE orders (id int)');
  dir = await mkdtemp(join(tmpdir(), 'rk-preview-stopped-'));
});
afterAll(async () => {
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('stopped once connected: "Dry run … was stopped: it only reads, and it wrote nothing", nothing written', async () => {
  const stop = new AbortController();
  // Stopped as it says which pg_dump it would use: connected, reading the catalog next.
  const log = createLog({ info: (m) => (m.startsWith('Server ') ? stop.abort(stopReason('SIGINT')) : undefined), warning: () => undefined, debug: () => undefined });
  const request = { ...wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: join(dir, 'snapshots') }), signal: stop.signal };
  const err = await previewSnapshot(request, log).then(
    () => undefined,
    (e: unknown) => e as Error & { stopped?: boolean },
  );
  expect(stop.signal.aborted).toBe(true);
  expect(err?.message).toBe(`Dry run of the snapshot of 127.0.0.1:5432/${db.name} was stopped: it only reads, and it wrote nothing.`);
  expect(err?.stopped).toBe(true);
  expect(err?.message).not.toMatch(/pg_dump was ended|removed/);
});
