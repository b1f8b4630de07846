// Choosing pg_dump: real version probing of stand-in executables laid out as Debian installs them.
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { findPgTool, majorFromVersionNum, siblingTool } from '../../src/db/pg-tools.js';
import { tempDir } from '../helpers/temp-dir.js';

async function fakeInstall(versions: Record<string, string>): Promise<{ root: string; pathDir: string }> {
  const base = await tempDir('rk-tools-');
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
    const empty = await tempDir('rk-tools-');
    await expect(findPgTool('pg_dump', 15, { searchPath: empty, versionedRoot: join(empty, 'none') })).rejects.toThrow(/none found on PATH/);
  });

  it('probes each program once per run: PATH entries reaching one file, and repeated searches', async () => {
    const base = await tempDir('rk-tools-');
    const probes = join(base, 'probes.log');
    const root = join(base, 'lib');
    mkdirSync(join(root, '16', 'bin'), { recursive: true });
    const real = join(root, '16', 'bin', 'pg_dump');
    writeFileSync(real, `#!/bin/sh\necho probe >> "${probes}"\necho "pg_dump (PostgreSQL) 16.4"\n`);
    chmodSync(real, 0o755);
    // Debian's layout: /bin is a link to /usr/bin, and PATH holds both.
    const usrBin = join(base, 'usr-bin');
    mkdirSync(usrBin);
    symlinkSync(real, join(usrBin, 'pg_dump'));
    symlinkSync(usrBin, join(base, 'bin'));
    const opts = { searchPath: [usrBin, join(base, 'bin')].join(':'), versionedRoot: root };
    expect((await findPgTool('pg_dump', 15, opts)).path).toBe(real);
    expect((await findPgTool('pg_dump', 16, opts)).path).toBe(real);
    expect(readFileSync(probes, 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it("prefers the versioned binary over Debian's wrapper, which is then not started at all", async () => {
    const { root } = await fakeInstall({ '15': '15.8' });
    const base = await tempDir('rk-tools-');
    const started = join(base, 'wrapper-started');
    const share = join(base, 'share');
    mkdirSync(share);
    writeFileSync(join(share, 'pg_wrapper'), `#!/bin/sh\ntouch "${started}"\necho "pg_dump (PostgreSQL) 15.8"\n`);
    chmodSync(join(share, 'pg_wrapper'), 0o755);
    const pathDir = join(base, 'bin');
    mkdirSync(pathDir);
    symlinkSync(join(share, 'pg_wrapper'), join(pathDir, 'pg_dump'));
    const tool = await findPgTool('pg_dump', 15, { searchPath: pathDir, versionedRoot: root });
    expect(tool.path).toBe(join(root, '15', 'bin', 'pg_dump'));
    expect(existsSync(started)).toBe(false);
    // With no versioned binary that fits, the wrapper is asked, by the tool's name.
    const alone = await findPgTool('pg_dump', 15, { searchPath: pathDir, versionedRoot: join(base, 'none') });
    expect(alone).toMatchObject({ path: join(pathDir, 'pg_dump'), major: 15 });
    expect(existsSync(started)).toBe(true);
  });

  it('keeps pg-dump-path as given and says plainly when it is not a pg_dump', async () => {
    const { root } = await fakeInstall({ '14': '14.11' });
    const given = join(root, '14', 'bin', 'pg_dump');
    await expect(findPgTool('pg_dump', 14, { explicitPath: given, pathInput: 'pg-dump-path' })).resolves.toMatchObject({ path: given, version: '14.11' });
    const err = (await findPgTool('pg_dump', 16, { explicitPath: given, pathInput: 'pg-dump-path' }).catch((e: RollbackKitError) => e)) as RollbackKitError;
    expect(err.line).toMatch(/^pg_dump 14\.11 at .* is older than the server \(PostgreSQL 16\).*or pass its path in pg-dump-path\.$/);
    const missing = (await findPgTool('pg_dump', 16, { explicitPath: join(root, 'nope'), pathInput: 'pg-dump-path' }).catch((e: RollbackKitError) => e)) as RollbackKitError;
    expect(missing.line).toMatch(/^pg_dump at .*nope does not exist or is not a PostgreSQL pg_dump\./);
  });
});
