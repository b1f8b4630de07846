// pg_dump and psql connect with TCP keepalive timings and a TCP user timeout of rollback-kit's own
// (toolConninfo), passed as the conninfo of --dbname since libpq has no variable for them: left to
// the system, a vanished peer holds a dump or a restore (and the restore's locks) for hours. Each run
// of either, snapshot, pre-restore snapshot, kept views' definitions and the restore, gets them, and
// the real tools accept them.
import { symlinkSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { findPgTool } from '../../src/db/pg-tools.js';
import { restoreSnapshot } from '../../src/db/restore.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { createTestDatabase } from '../helpers/pg.js';
import { restoreRequest } from '../restore-db/request.js';
import { tempDir } from '../helpers/temp-dir.js';

const CONNINFO = '--dbname=keepalives=1 keepalives_idle=10 keepalives_interval=10 keepalives_count=3 tcp_user_timeout=60000';

/** The real tools, pg_dump and psql behind wrappers that write each run's arguments, one per line, to `<name>.args`. */
async function recordingTools(dir: string): Promise<{ searchPath: string; versionedRoot: string }> {
  symlinkSync((await findPgTool('pg_restore', 0, { searchPath: process.env.PATH })).path, join(dir, 'pg_restore'));
  for (const name of ['pg_dump', 'psql'] as const) {
    const real = (await findPgTool(name, 0, { searchPath: process.env.PATH })).path;
    await writeFile(join(dir, name), `#!/bin/sh\n[ "$1" = --version ] || { for a; do printf '%s\\n' "$a"; done; echo ---; } >> "${dir}/${name}.args"\nexec "${real}" "$@"\n`);
    await chmod(join(dir, name), 0o755);
  }
  return { searchPath: dir, versionedRoot: join(dir, 'none') };
}

const runs = async (dir: string, name: string) => (await readFile(join(dir, `${name}.args`), 'utf8')).split('---\n').filter(Boolean).map((r) => r.split('\n'));

it('every pg_dump and psql run connects with rollback-kit\'s keepalive and TCP user timeout, and works', async () => {
  const db = await createTestDatabase('rk_tool_keepalives');
  await db.query('CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders SELECT generate_series(1, 10)');
  const dir = await tempDir('rk-tool-keepalives-');
  const tools = await recordingTools(dir);
  const snapshot = await takeSnapshot({ ...wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: join(dir, 'out'), tools }) }, memoryLog());
  // A view the snapshot does not have: the restore keeps it, through a pg_dump of its definition.
  await db.query('DELETE FROM orders WHERE id > 5; CREATE VIEW recent AS SELECT id FROM orders');
  const restored = await restoreSnapshot(await restoreRequest(db.url, snapshot.path, { tools }), memoryLog());
  expect(restored.verified).toBe(true);
  expect((await db.query('SELECT count(*)::int AS n FROM orders')).rows[0]!.n).toBe(10);
  expect((await db.query("SELECT count(*)::int AS n FROM pg_views WHERE viewname = 'recent'")).rows[0]!.n).toBe(1);

  const dumps = await runs(dir, 'pg_dump');
  const psqls = await runs(dir, 'psql');
  // The snapshot, the pre-restore snapshot and the kept view's definition; the restore.
  expect(dumps).toHaveLength(3);
  expect(psqls).toHaveLength(1);
  for (const args of dumps) expect(args).toContain(CONNINFO);
  expect(psqls[0]).toContain('--dbname');
  expect(psqls[0]).toContain(CONNINFO.slice('--dbname='.length));
});
