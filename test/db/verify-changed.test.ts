// Verification reads a snapshot twice, side by side: its sha256, and pg_restore's full read. A file
// replaced between the two (an artifact download or another snapshot still writing to the same
// path) had its good bytes hashed and other bytes read, and passed as "verified, read in full".
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { verifySnapshot } from '../../src/db/verify.js';
import { createTestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';

let dir: string;
let snapshotPath: string;

beforeAll(async () => {
  const db = await createTestDatabase('rk_verify_changed');
  await db.query('CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders SELECT generate_series(1, 10)');
  dir = await mkdtemp(join(tmpdir(), 'rk-verify-changed-'));
  const run = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': dir });

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});
  expect(run.code, run.log).toBe(0);
  snapshotPath = run.outputs.path!;
});

/** A pg_restore that answers --version, then, once the sha256 of a small file is long done, puts `other` in place of the file it was given and reports a clean read. */
function replacingPgRestore(other: string): string {
  const path = join(dir, 'pg_restore');
  writeFileSync(
    path,
    `#!/bin/sh\nif [ "$1" = --version ]; then echo 'pg_restore (PostgreSQL) 99.0'; exit 0; fi\nfor last; do :; done\nsleep 1\ncp '${other}' "$last.new" && mv "$last.new" "$last"\nexit 0\n`,
  );
  chmodSync(path, 0o755);
  return path;
}

describe('verifySnapshot: a snapshot replaced while it is read', () => {
  it('is refused as changed, though its sha256 matched and the read succeeded', async () => {
    const path = join(dir, 'replaced.dump');
    copyFileSync(snapshotPath, path);
    copyFileSync(`${snapshotPath}.manifest.json`, `${path}.manifest.json`);
    const other = join(dir, 'other.dump');
    writeFileSync(other, readFileSync(snapshotPath).subarray(0, 200));
    const err = await verifySnapshot(path, memoryLog(), { pgRestorePath: replacingPgRestore(other) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RollbackKitError);
    expect((err as RollbackKitError).message).toBe(`Snapshot ${path} changed while it was being verified: its files were replaced, written or cut short between the start and the end of the read.`);
    expect((err as RollbackKitError).hint).toMatch(/Do not restore it as it is\./);
  });

  it('one left alone verifies', async () => {
    await expect(verifySnapshot(snapshotPath, memoryLog())).resolves.toMatchObject({ path: snapshotPath });
  });
});
