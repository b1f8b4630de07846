// Where snapshot-db connects is what database-url says, and nothing else: libpq variables in the
// runner's environment (PGSERVICE) do not steer pg_dump elsewhere, and a connection string that
// relies on what rollback-kit cannot honour is refused before anything connects.
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';
import { tempDir } from '../helpers/temp-dir.js';

let db: TestDatabase;
let other: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('rk_conn');
  other = await createTestDatabase('rk_conn_other');
  await db.query('CREATE TABLE public.wanted (id int)');
  await other.query('CREATE TABLE public.elsewhere (id int)');
});

describe('snapshot-db connects where database-url says', () => {
  it('PGSERVICE in the environment does not send pg_dump to the service\'s database', async () => {
    const dir = await tempDir('rk-service-');
    const u = new URL(other.url);
    await writeFile(join(dir, 'pg_service.conf'), `[prod]\nhost=${u.hostname}\nport=${u.port || 5432}\ndbname=${other.name}\nuser=postgres\n`);
    const saved = { PGSERVICE: process.env.PGSERVICE, PGSERVICEFILE: process.env.PGSERVICEFILE };
    // What a job-level `env:` would give every step: pg_dump inherits the runner's environment.
    Object.assign(process.env, { PGSERVICE: 'prod', PGSERVICEFILE: join(dir, 'pg_service.conf') });
    try {
      const result = await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: dir }), memoryLog());
      expect(result.manifest.tables.map((t) => t.name)).toEqual(['wanted']);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('through the bundle: service=prod is refused before connecting, naming it and what to give instead', async () => {
    const outputDir = await tempDir('rk-service-');
    const run = await runAction('snapshot-db', { 'database-url': 'service=prod', 'output-dir': outputDir });
    expect(run.code).not.toBe(0);
    expect(run.errors).toEqual([
      "The connection string's service cannot be honoured: rollback-kit's own sessions do not read pg_service.conf, so pg_dump, pg_restore and psql would connect otherwise than rollback-kit's own sessions. Give the connection as a URL with its host, port, dbname and user: postgres://user:password@host:5432/dbname. Nothing was touched.",
    ]);
    expect(await readdir(outputDir)).toEqual([]);
  });
});
