/** A restore-db request for the library tests: the target's own name as confirm, a fresh pre-restore folder, the PATH's tools. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConnectionString } from '../../src/db/connection.js';
import type { RestoreRequest } from '../../src/db/restore.js';

export async function restoreRequest(url: string, snapshotPath: string, more: Partial<RestoreRequest> = {}): Promise<RestoreRequest> {
  const target = parseConnectionString(url);
  return {
    target,
    snapshotPath,
    confirm: target.database,
    preRestoreSnapshot: true,
    jobs: 1,
    clean: true,
    // Made only when the test gives none: one it gives is its own to remove.
    preRestoreDir: more.preRestoreDir ?? (await mkdtemp(join(tmpdir(), 'rk-restore-pre-'))),
    preRestoreDirInput: 'pre-restore-dir',
    lockTimeoutSeconds: 10,
    tools: { searchPath: process.env.PATH },
    ...more,
  };
}
