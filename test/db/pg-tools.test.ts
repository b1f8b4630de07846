// Choosing pg_dump: real version probing of stand-in executables laid out as Debian installs them.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { findPgTool, majorFromVersionNum, siblingTool } from '../../src/db/pg-tools.js';

async function fakeInstall(versions: Record<string, string>): Promise<{ root: string; pathDir: string }> {
  const base = await mkdtemp(join(tmpdir(), 'rk-tools-'));
  const root = join(base, 'lib');
  const pathDir = join(base, 'bin');
  mkdirSync(pathDir, { recursive: true });
  for (const [where, version] of Object.entries(versions)) {
    const dir = where === 'PATH' ? pathDir : join(root, where, 'bin');
    mkdirSync(dir, { recursive: true });
    for (const tool of ['pg_dump', 'pg_restore']) {
      const p = join(dir, tool);
      writeFileSync(p, `#!/bin/sh\necho "${tool} (PostgreSQL) ${version} (Debian ${version}-1)"\n`);
      chmodSync(p, 0o755);
    }
  }
  return { root, pathDir };
}

describe('findPgTool', () => {
  it('reads the major from server_version_num', () => {
    expect(majorFromVersionNum(150020)).toBe(15);
    expect(majorFromVersionNum(170002)).toBe(17);
    expect(majorFromVersionNum(90624)).toBe(9.06);
  });

  it('prefers the newest install that is at least the server version, over an older one on PATH', async () => {
    const { root, pathDir } = await fakeInstall({ PATH: '14.11', '16': '16.4', '17': '17.2' });
    const tool = await findPgTool('pg_dump', 16, { searchPath: pathDir, versionedRoot: root });
    expect(tool).toMatchObject({ major: 17, version: '17.2', path: join(root, '17', 'bin', 'pg_dump') });
    const restore = await siblingTool(tool, 'pg_restore', 16, { searchPath: pathDir, versionedRoot: root });
    expect(restore.path).toBe(join(root, '17', 'bin', 'pg_restore'));
  });

  it('names what it found and the package to install when nothing is new enough', async () => {
    const { root, pathDir } = await fakeInstall({ PATH: '14.11', '15': '15.8' });
    const err = await findPgTool('pg_dump', 17, { searchPath: pathDir, versionedRoot: root }).catch((e: RollbackKitError) => e);
    expect(err).toBeInstanceOf(RollbackKitError);
    expect((err as RollbackKitError).line).toMatch(
      /No pg_dump of version 17 or newer: found only 14\.11 \(.*\), 15\.8 \(.*\)\. Install the client for PostgreSQL 17: sudo apt-get install -y postgresql-client-17/,
    );
  });

  it('says none was found at all', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'rk-tools-'));
    await expect(findPgTool('pg_dump', 15, { searchPath: empty, versionedRoot: join(empty, 'none') })).rejects.toThrow(/none found on PATH/);
  });
});
