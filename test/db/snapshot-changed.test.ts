// snapshot-db verifies the file pg_dump wrote by hashing it while pg_restore reads it in full, two
// separate reads: a file rewritten between them (something else writing the same path) had one
// version hashed into the manifest and another read, and passed as verified.
import { chmodSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { findPgTool } from '../../src/db/pg-tools.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

let db: TestDatabase;
let tools: string;
const dirs: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase('rk_snapshot_changed');
  await db.query("CREATE TABLE orders (id int PRIMARY KEY, note text); INSERT INTO orders SELECT g, 'n' || g FROM generate_series(1, 10) g");
  tools = await mkdtemp(join(tmpdir(), 'rk-snapshot-changed-tools-'));
  dirs.push(tools);
  const major = Number((await db.query<{ n: string }>("SELECT current_setting('server_version_num') AS n")).rows[0]!.n.slice(0, -4));
  const pgDump = await findPgTool('pg_dump', major, { searchPath: process.env.PATH });
  const pgRestore = await findPgTool('pg_restore', major, { searchPath: process.env.PATH });
  // pg_dump as it is; beside it (where snapshot-db takes its pg_restore from) a pg_restore that reads
  // the file in full, then writes it again, in place and with the same bytes, before it reports a clean read.
  writeFileSync(join(tools, 'pg_dump'), `#!/bin/sh\nexec '${pgDump.path}' "$@"\n`);
  writeFileSync(
    join(tools, 'pg_restore'),
    `#!/bin/sh\nif [ "$1" = --version ]; then exec '${pgRestore.path}' --version; fi\nfor last; do :; done\n'${pgRestore.path}' "$@" || exit $?\nsleep 0.05\ncat "$last" > "$last.copy" && cat "$last.copy" > "$last" && rm "$last.copy"\nexit 0\n`,
  );
  chmodSync(join(tools, 'pg_dump'), 0o755);
  chmodSync(join(tools, 'pg_restore'), 0o755);
});

afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('snapshot-db: the file written while it is verified', () => {
  it('is refused, and no snapshot is left behind', async () => {
    const outputDir = await mkdtemp(join(tmpdir(), 'rk-snapshot-changed-'));
    dirs.push(outputDir);
    const req = { ...wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir, lockTimeoutSeconds: 10 }), pgDumpPath: join(tools, 'pg_dump') };
    const err = await takeSnapshot(req, memoryLog()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RollbackKitError);
    expect((err as RollbackKitError).message).toMatch(/^Snapshot .+\.dump changed while it was being verified, right after pg_dump wrote it: /);
    expect((err as RollbackKitError).hint).toMatch(/Nothing was kept\.$/);
    expect(await readdir(outputDir)).toEqual([]);
  });

  it('one left alone is verified', async () => {
    const outputDir = await mkdtemp(join(tmpdir(), 'rk-snapshot-changed-'));
    dirs.push(outputDir);
    const req = wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir, lockTimeoutSeconds: 10, tools: { searchPath: process.env.PATH } });
    await expect(takeSnapshot(req, memoryLog())).resolves.toMatchObject({ format: 'custom' });
  });
});
